import { InvalidArgumentError } from "../../scheduler/errors.js";

/**
 * kafkajs' logger: levels, `logCreator`, namespaces. Timestamps are virtual (the simulation's
 * clock), so a log is reproducible from the seed like everything else.
 */

/**
 * kafkajs' log levels.
 *
 * @example
 * ```ts
 * new Kafka({ clientId: "app", brokers: ["localhost:9092"], logLevel: logLevel.ERROR });
 * ```
 */
export const logLevel = Object.freeze({ NOTHING: 0, ERROR: 1, WARN: 2, INFO: 4, DEBUG: 5 } as const);

/** One of {@link logLevel}'s values. */
export type LogLevel = (typeof logLevel)[keyof typeof logLevel];
/** kafkajs' `logLevel` is an enum, so code uses its name as a type too (`(level: logLevel) => …`). */
export type logLevel = LogLevel;

/** What a log creator's function receives (kafkajs' `LogEntry`). */
export interface LogEntry {
  namespace: string;
  level: LogLevel;
  label: string;
  log: { timestamp: string; logger: "kafkajs"; message: string; [key: string]: unknown };
}

/**
 * kafkajs' `logCreator`: given the root level, returns the function that writes entries.
 *
 * @example
 * ```ts
 * const lines: string[] = [];
 * const logCreator: LogCreator = () => ({ label, log }) => lines.push(`${label} ${log.message}`);
 * ```
 */
export type LogCreator = (level: LogLevel) => (entry: LogEntry) => void;

/**
 * kafkajs' `Logger`.
 *
 * @example
 * ```ts
 * kafka.logger().namespace("app").info("started", { partitions: 3 });
 * ```
 */
export interface Logger {
  info(message: string, extra?: object): void;
  error(message: string, extra?: object): void;
  warn(message: string, extra?: object): void;
  debug(message: string, extra?: object): void;
  namespace(namespace: string, logLevel?: LogLevel): Logger;
  setLogLevel(logLevel: LogLevel): void;
}

const LEVEL_VALUES: readonly number[] = Object.values(logLevel);

/**
 * Checks a log level value (INVALID_ARGUMENT otherwise).
 *
 * @example
 * ```ts
 * checkLogLevel(logLevel.WARN, "Kafka");
 * ```
 */
export function checkLogLevel(value: unknown, where: string): asserts value is LogLevel {
  if (!LEVEL_VALUES.includes(value as number)) {
    throw new InvalidArgumentError(
      `${where}: logLevel must be one of logLevel.NOTHING (0), ERROR (1), WARN (2), INFO (4), DEBUG (5), got ${String(value)}.`,
    );
  }
}

/**
 * kafkajs' default log creator: one JSON line per entry on the console, at the entry's level.
 *
 * @example
 * ```ts
 * new Kafka({ clientId: "app", brokers: ["b:9092"], logCreator: consoleLogCreator });
 * ```
 */
export const consoleLogCreator: LogCreator =
  () =>
  ({ namespace, level, label, log }) => {
    const prefix = namespace ? `[${namespace}] ` : "";
    const line = JSON.stringify({ level: label, ...log, message: `${prefix}${log.message}` });
    const out = globalThis.console;
    if (level === logLevel.INFO) out.info(line);
    else if (level === logLevel.ERROR) out.error(line);
    else if (level === logLevel.WARN) out.warn(line);
    else if (level === logLevel.DEBUG) out.log(line);
  };

/**
 * Creates a kafkajs-shaped logger whose timestamps come from `clock` (virtual milliseconds).
 *
 * @example
 * ```ts
 * const logger = createLogger({ level: logLevel.INFO, logCreator: consoleLogCreator, clock: () => sim.now });
 * ```
 */
export function createLogger(options: {
  level: LogLevel;
  logCreator: LogCreator;
  clock: () => number;
}): Logger {
  let rootLevel = options.level;
  const write = options.logCreator(rootLevel);
  const make = (namespace: string, namespaceLevel: LogLevel | null): Logger => {
    const current = () => namespaceLevel ?? rootLevel;
    const at =
      (label: string, level: LogLevel) =>
      (message: string, extra: object = {}): void => {
        if (level > current()) return;
        write({
          namespace,
          level,
          label,
          log: {
            timestamp: new Date(options.clock()).toISOString(),
            logger: "kafkajs",
            message,
            ...(extra as Record<string, unknown>),
          },
        });
      };
    return {
      info: at("INFO", logLevel.INFO),
      error: at("ERROR", logLevel.ERROR),
      warn: at("WARN", logLevel.WARN),
      debug: at("DEBUG", logLevel.DEBUG),
      namespace: (name, level) => {
        if (level !== undefined) checkLogLevel(level, "Logger.namespace");
        return make(name, level ?? null);
      },
      setLogLevel: (level) => {
        checkLogLevel(level, "Logger.setLogLevel");
        rootLevel = level;
      },
    };
  };
  return make("", null);
}
