import type { RandomSource } from "../../scheduler/random.js";
import type { Simulation } from "../../scheduler/simulation.js";
import { checkOptions } from "../../scheduler/validate.js";
import { invalid, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded } from "./errors.js";

/**
 * kafkajs' retrier (`src/retry`), on virtual time: a failed attempt is retried after `retryTime`,
 * which starts near `initialRetryTime` and grows by `multiplier` with ±`factor` jitter up to
 * `maxRetryTime`, at most `retries` times; then the last error is wrapped in
 * {@link KafkaJSNumberOfRetriesExceeded}. Errors with `retriable: false` (and JS's TypeError,
 * RangeError, ReferenceError, SyntaxError) are not retried but wrapped in
 * {@link KafkaJSNonRetriableError}. Jitter comes from a seeded stream, never from the unseeded global generator.
 */

/**
 * kafkajs' `RetryOptions`.
 *
 * @example
 * ```ts
 * const retry: RetryOptions = { retries: 8, initialRetryTime: 100, maxRetryTime: 2000 };
 * ```
 */
export interface RetryOptions {
  maxRetryTime?: number;
  initialRetryTime?: number;
  factor?: number;
  multiplier?: number;
  retries?: number;
  /** Consumers only: decides whether a crashed consumer restarts (default: restart). */
  restartOnFailure?: (error: Error) => Promise<boolean>;
}

/**
 * kafkajs' retry defaults (`src/retry/defaults.js`).
 *
 * @example
 * ```ts
 * RETRY_DEFAULTS.initialRetryTime; // 300
 * ```
 */
export const RETRY_DEFAULTS = Object.freeze({
  maxRetryTime: 30_000,
  initialRetryTime: 300,
  factor: 0.2,
  multiplier: 2,
  retries: 5,
});

/** The retried function: kafkajs passes `bail`, the attempt number and the current retry time. */
export type Retriable<T> = (
  bail: (error: Error) => void,
  retryCount: number,
  retryTime: number,
) => Promise<T>;

/** Runs a function with retries. */
export type Retrier = <T>(fn: Retriable<T>) => Promise<T>;

const UNRECOVERABLE = ["RangeError", "ReferenceError", "SyntaxError", "TypeError"];

/** kafkajs' `isErrorRetriable`. */
function retriable(error: unknown): boolean {
  const e = error as { retriable?: unknown; name?: unknown } | null;
  const flag = e?.retriable;
  return (flag === true || flag !== false) && !UNRECOVERABLE.includes(String(e?.name));
}

/**
 * Validates retry options as kafkajs users pass them.
 *
 * @example
 * ```ts
 * checkRetryOptions({ retries: 3 }, "consumer");
 * ```
 */
export function checkRetryOptions(options: unknown, where: string): RetryOptions | undefined {
  if (options === undefined || options === null) return undefined;
  checkOptions(
    options,
    ["maxRetryTime", "initialRetryTime", "factor", "multiplier", "retries", "restartOnFailure"],
    `${where}: retry`,
  );
  const o = options as Record<string, unknown>;
  for (const key of ["maxRetryTime", "initialRetryTime", "factor", "multiplier", "retries"]) {
    const v = o[key];
    if (v !== undefined && (typeof v !== "number" || !(v >= 0) || Number.isNaN(v))) {
      throw invalid(`${where}: retry.${key} must be a number ≥ 0, got ${String(v)}.`);
    }
  }
  if (o.restartOnFailure !== undefined && typeof o.restartOnFailure !== "function") {
    throw invalid(`${where}: retry.restartOnFailure must be a function returning a promise of a boolean.`);
  }
  return options as RetryOptions;
}

/**
 * Creates a retrier on `sim`'s clock with jitter from `random`.
 *
 * @example
 * ```ts
 * const retrier = createRetry(sim, sim.random.fork("kafkajs:retry"), { retries: 3 });
 * await retrier(async (bail, attempt) => { if (attempt < 2) throw new Error("flaky"); });
 * ```
 */
export function createRetry(sim: Simulation, random: RandomSource, options: RetryOptions = {}): Retrier {
  const config = {
    maxRetryTime: options.maxRetryTime ?? RETRY_DEFAULTS.maxRetryTime,
    initialRetryTime: options.initialRetryTime ?? RETRY_DEFAULTS.initialRetryTime,
    factor: options.factor ?? RETRY_DEFAULTS.factor,
    multiplier: options.multiplier ?? RETRY_DEFAULTS.multiplier,
    retries: options.retries ?? RETRY_DEFAULTS.retries,
  };
  const jitter = (retryTime: number): number => {
    const delta = config.factor * retryTime;
    return Math.ceil(retryTime - delta + random.float() * 2 * delta);
  };
  return <T>(fn: Retriable<T>): Promise<T> => {
    const done = sim.deferred<T>();
    let aborted = false;
    const bail = (error: Error) => {
      aborted = true;
      done.reject(error ?? new Error("Aborted"));
    };
    const attempt = (retryTime: number, retryCount: number): void => {
      if (aborted) return;
      const nextRetryTime = Math.min(jitter(retryTime) * config.multiplier, config.maxRetryTime);
      let pending: Promise<T>;
      try {
        pending = fn(bail, retryCount, retryTime);
      } catch (error) {
        pending = Promise.reject(error);
      }
      pending.then(
        (value) => done.resolve(value),
        (error: unknown) => {
          if (aborted) return;
          const e = error instanceof Error ? error : new Error(String(error));
          if (!retriable(e)) {
            done.reject(new KafkaJSNonRetriableError(e, { cause: (e as { cause?: unknown }).cause ?? e }));
          } else if (retryCount < config.retries) {
            // An async callback: the attempt's continuations (a fetch loop, a handler) are part of
            // this event, so the drive lets them run at the retry's instant before time moves.
            sim.after(retryTime, async () => attempt(nextRetryTime, retryCount + 1), {
              label: "kafkajs retry",
            });
          } else {
            done.reject(new KafkaJSNumberOfRetriesExceeded(e, { retryCount, retryTime }));
          }
        },
      );
    };
    attempt(jitter(config.initialRetryTime), 0);
    return done.promise;
  };
}
