import { describeValue } from "../scheduler/describe-value.js";
import { InvalidArgumentError } from "../scheduler/errors.js";
import { checkOptions } from "../scheduler/validate.js";
import { AmqpError, resourceName } from "./amqp-error.js";
import { MAX_EXPIRY_MS } from "./message.js";
import { utf8ByteLength } from "./routing-key.js";

/**
 * What a full queue does with a new message.
 * - `drop-head` (default): keep the newcomer, drop (or dead-letter `maxlen`) the oldest ready ones;
 * - `reject-publish`: refuse the newcomer (publisher nack on confirm channels), no dead-letter;
 * - `reject-publish-dlx`: refuse it and dead-letter it `maxlen`.
 *
 * @example
 * ```ts
 * broker.queue("bounded", { maxLength: 100, overflow: "reject-publish" });
 * ```
 */
export type OverflowMode = "drop-head" | "reject-publish" | "reject-publish-dlx";

/**
 * Queue types: RabbitMQ's classic queues, and quorum queues (delivery limits, `x-delivery-count`,
 * 3.10 requeue positions). Streams are not modelled.
 *
 * @example
 * ```ts
 * broker.queue("orders", { durable: true, type: "quorum", deliveryLimit: 5 });
 * ```
 */
export type QueueType = "classic" | "quorum";

/**
 * Options of a queue declaration. Flags default to AMQP's defaults (all false; amqplib's
 * `assertQueue` defaults `durable` to true, so a facade passes it explicitly). Named options are
 * shorthands for the `x-` arguments in brackets and override `arguments`, as in amqplib.
 *
 * @example
 * ```ts
 * broker.queue("work", {
 *   durable: true,
 *   deadLetterExchange: "retry",
 *   messageTtl: 30_000,
 *   arguments: { "x-queue-mode": "lazy" },
 * });
 * ```
 */
export interface QueueOptions {
  /** Survives a broker restart. Default false. Exclusive queues are never durable. */
  durable?: boolean;
  /** Owned by the declaring connection: others get 405, and it is deleted with it. Default false. */
  exclusive?: boolean;
  /** Deleted when its last consumer goes (never if none ever came). Default false. */
  autoDelete?: boolean;
  /** Only check that it exists (404 if not); declare nothing. Default false. */
  passive?: boolean;
  /** Raw `x-` arguments. */
  arguments?: Record<string, unknown>;
  /** [`x-queue-type`] Default `"classic"`. Quorum queues must be durable (pass `durable: true`). */
  type?: QueueType;
  /** [`x-message-ttl`] Message TTL in ms (integer ≥ 0). */
  messageTtl?: number;
  /** [`x-expires`] Delete the queue after this many ms unused (integer > 0). */
  expires?: number;
  /** [`x-dead-letter-exchange`] Where rejected, expired and dropped messages go (`""`: default exchange). */
  deadLetterExchange?: string;
  /** [`x-dead-letter-routing-key`] Routing key for dead-letters (default: the message's keys). */
  deadLetterRoutingKey?: string;
  /** [`x-max-length`] Most ready messages. */
  maxLength?: number;
  /** [`x-max-length-bytes`] Most ready body bytes (see the broker's `sizer`). */
  maxLengthBytes?: number;
  /** [`x-overflow`] Default `"drop-head"`. */
  overflow?: OverflowMode;
  /** [`x-delivery-limit`] Quorum only: deliveries beyond 1 + limit dead-letter `delivery_limit`. */
  deliveryLimit?: number;
  /** [`x-single-active-consumer`] Deliver to one consumer at a time. Default false. */
  singleActiveConsumer?: boolean;
}

/**
 * Every option of {@link QueueOptions}, for `checkOptions`.
 *
 * @example
 * ```ts
 * checkOptions(options, QUEUE_OPTION_NAMES, "AmqpChannel.queue");
 * ```
 */
export const QUEUE_OPTION_NAMES: readonly string[] = [
  "durable",
  "exclusive",
  "autoDelete",
  "passive",
  "arguments",
  "type",
  "messageTtl",
  "expires",
  "deadLetterExchange",
  "deadLetterRoutingKey",
  "maxLength",
  "maxLengthBytes",
  "overflow",
  "deliveryLimit",
  "singleActiveConsumer",
];

const NAMED_QUEUE_ARGS: ReadonlyArray<readonly [keyof QueueOptions, string]> = [
  ["type", "x-queue-type"],
  ["messageTtl", "x-message-ttl"],
  ["expires", "x-expires"],
  ["deadLetterExchange", "x-dead-letter-exchange"],
  ["deadLetterRoutingKey", "x-dead-letter-routing-key"],
  ["maxLength", "x-max-length"],
  ["maxLengthBytes", "x-max-length-bytes"],
  ["overflow", "x-overflow"],
  ["deliveryLimit", "x-delivery-limit"],
  ["singleActiveConsumer", "x-single-active-consumer"],
];

/**
 * A queue's behaviour, parsed from its arguments. Numbers are -1 when unset.
 *
 * @example
 * ```ts
 * const settings = parseQueueArguments("q", { "x-message-ttl": 500 });
 * settings.messageTtl; // 500
 * ```
 */
export interface QueueArguments {
  type: QueueType;
  messageTtl: number;
  expires: number;
  deadLetterExchange: string | null;
  deadLetterRoutingKey: string | null;
  maxLength: number;
  maxLengthBytes: number;
  overflow: OverflowMode;
  deliveryLimit: number;
  singleActiveConsumer: boolean;
}

/**
 * The arguments RabbitMQ 3.10 compares when a queue is redeclared (`rabbit_amqqueue:declare_args`
 * plus the quorum `x-delivery-limit`); others are ignored.
 *
 * @example
 * ```ts
 * assertArgsEquivalent("queue", "q", current, requested, EQUIVALENT_QUEUE_ARGS);
 * ```
 */
export const EQUIVALENT_QUEUE_ARGS: readonly string[] = [
  "x-expires",
  "x-message-ttl",
  "x-dead-letter-exchange",
  "x-dead-letter-routing-key",
  "x-max-length",
  "x-max-length-bytes",
  "x-max-in-memory-length",
  "x-max-in-memory-bytes",
  "x-max-priority",
  "x-overflow",
  "x-queue-mode",
  "x-single-active-consumer",
  "x-queue-type",
  "x-quorum-initial-group-size",
  "x-delivery-limit",
];

/**
 * The only exchange argument RabbitMQ compares on redeclaration.
 *
 * @example
 * ```ts
 * assertArgsEquivalent("exchange", "x", current, requested, EQUIVALENT_EXCHANGE_ARGS);
 * ```
 */
export const EQUIVALENT_EXCHANGE_ARGS: readonly string[] = ["alternate-exchange"];

/**
 * The AMQP field type amqplib would encode `value` as, for RabbitMQ-style messages.
 *
 * @example
 * ```ts
 * amqpTypeName(1000); // "short"
 * amqpTypeName("x"); // "longstr"
 * ```
 */
export function amqpTypeName(value: unknown): string {
  switch (typeof value) {
    case "string":
      return "longstr";
    case "boolean":
      return "bool";
    case "bigint":
      return "long";
    case "number": {
      if (!Number.isInteger(value)) return "double";
      if (value >= -128 && value < 128) return "byte";
      if (value >= -0x8000 && value < 0x8000) return "short";
      if (value >= -0x80000000 && value < 0x80000000) return "signedint";
      return "long";
    }
    case "object":
      if (value === null) return "void";
      if (Array.isArray(value)) return "array";
      if (value instanceof Uint8Array) return "binary";
      return "table";
    default:
      return typeof value;
  }
}

function integerValue(value: unknown): number | null {
  if (typeof value === "number" && Number.isInteger(value)) return value;
  if (typeof value === "bigint") return Number(value);
  return null;
}

function showValue(value: unknown): string {
  if (typeof value === "string") return `<<"${value}">>`;
  if (typeof value === "bigint") return value.toString();
  try {
    // RabbitMQ prints the term; JSON is close. A value JSON cannot print (a nested BigInt, a
    // cycle, a Symbol) is named by its kind instead, so that the refusal itself never throws.
    const json = JSON.stringify(value);
    if (json !== undefined) return json;
  } catch {
    // Named by describeValue below.
  }
  return describeValue(value);
}

/**
 * A copy without `undefined` values (amqplib does not encode them, so they are not arguments).
 *
 * @example
 * ```ts
 * definedEntries({ a: 1, b: undefined }); // { a: 1 }
 * ```
 */
export function definedEntries(args: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (args === undefined) return out;
  for (const key of Object.keys(args)) if (args[key] !== undefined) out[key] = args[key];
  return out;
}

/**
 * Merges named queue options into `arguments` (named ones win), as amqplib's `assertQueue` does.
 *
 * @example
 * ```ts
 * queueArgumentsFrom({ messageTtl: 100, arguments: { "x-message-ttl": 5 } }); // { "x-message-ttl": 100 }
 * ```
 */
export function queueArgumentsFrom(options: QueueOptions | undefined): Record<string, unknown> {
  const args = definedEntries(options?.arguments);
  if (options === undefined) return args;
  for (const [name, key] of NAMED_QUEUE_ARGS) {
    const value = options[name];
    if (value !== undefined) args[key] = value;
  }
  return args;
}

/**
 * Validates and reads a queue's arguments the way RabbitMQ 3.10 does, throwing a 406
 * `PRECONDITION_FAILED` {@link AmqpError} with RabbitMQ's wording for an invalid value:
 * `x-message-ttl` an integer in [0, 2^32−1]; `x-expires` an integer in [1, 2^32−1];
 * `x-max-length`, `x-max-length-bytes`, `x-delivery-limit` integers ≥ 0; `x-dead-letter-exchange`
 * and `x-dead-letter-routing-key` strings, the latter only with the former; `x-overflow` one of
 * the three modes; `x-queue-type` `classic` or `quorum`; `x-single-active-consumer` a boolean;
 * `x-queue-mode` `default` or `lazy`. Unknown arguments are ignored, as RabbitMQ ignores them.
 * `x-max-priority` (priority queues) and streams are refused with `UNSUPPORTED_ARGUMENT`: the
 * simulator does not model them and says so rather than silently ignoring them.
 *
 * @example
 * ```ts
 * parseQueueArguments("q", { "x-message-ttl": -1 });
 * // throws PRECONDITION_FAILED - invalid arg 'x-message-ttl' for queue 'q' in vhost '/': {value_negative,-1}
 * ```
 */
export function parseQueueArguments(queue: string, args: Readonly<Record<string, unknown>>): QueueArguments {
  const invalid = (key: string, problem: string): AmqpError =>
    new AmqpError(
      "PRECONDITION_FAILED",
      `invalid arg '${key}' for ${resourceName("queue", queue)}: ${problem}`,
      {
        reason: "invalid-arg",
        argument: key,
        received: args[key],
        queue,
      },
    );
  const integer = (key: string, min: number, max: number): number => {
    const value = args[key];
    if (value === undefined) return -1;
    const n = integerValue(value);
    if (n === null) throw invalid(key, `{unacceptable_type,${amqpTypeName(value)}}`);
    if (n < min) throw invalid(key, n === 0 ? "{value_zero,0}" : `{value_negative,${n}}`);
    if (n > max) throw invalid(key, `{value_too_large,${n}}`);
    return n;
  };
  const string = (key: string): string | null => {
    const value = args[key];
    if (value === undefined) return null;
    if (typeof value !== "string") throw invalid(key, `{unacceptable_type,${amqpTypeName(value)}}`);
    return value;
  };
  const oneOf = <T extends string>(key: string, allowed: readonly T[], fallback: T): T => {
    const value = args[key];
    if (value === undefined) return fallback;
    if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
      throw invalid(key, `{unacceptable_value,${showValue(value)}}; expected one of ${allowed.join(", ")}`);
    }
    return value as T;
  };

  const typeValue = args["x-queue-type"];
  if (typeValue === "stream") {
    throw new InvalidArgumentError(
      `queue '${queue}': stream queues are not modelled by brokerlab; use a classic or quorum queue, or the Kafka-style log.`,
      "UNSUPPORTED_ARGUMENT",
      { argument: "x-queue-type", queue },
    );
  }
  if (args["x-max-priority"] !== undefined) {
    throw new InvalidArgumentError(
      `queue '${queue}': x-max-priority (priority queues) is not modelled by brokerlab; declare the queue without it.`,
      "UNSUPPORTED_ARGUMENT",
      { argument: "x-max-priority", queue },
    );
  }
  const type = oneOf<QueueType>("x-queue-type", ["classic", "quorum"], "classic");
  const messageTtl = integer("x-message-ttl", 0, MAX_EXPIRY_MS);
  const expires = integer("x-expires", 1, MAX_EXPIRY_MS);
  const deadLetterExchange = string("x-dead-letter-exchange");
  const deadLetterRoutingKey = string("x-dead-letter-routing-key");
  if (deadLetterRoutingKey !== null && deadLetterExchange === null) {
    throw invalid("x-dead-letter-routing-key", '{missing_dependent_args,[<<"x-dead-letter-exchange">>]}');
  }
  const maxLength = integer("x-max-length", 0, Number.MAX_SAFE_INTEGER);
  const maxLengthBytes = integer("x-max-length-bytes", 0, Number.MAX_SAFE_INTEGER);
  integer("x-max-in-memory-length", 0, Number.MAX_SAFE_INTEGER);
  integer("x-max-in-memory-bytes", 0, Number.MAX_SAFE_INTEGER);
  const overflow = oneOf<OverflowMode>(
    "x-overflow",
    ["drop-head", "reject-publish", "reject-publish-dlx"],
    "drop-head",
  );
  oneOf("x-queue-mode", ["default", "lazy"], "default");
  const sac = args["x-single-active-consumer"];
  if (sac !== undefined && typeof sac !== "boolean") {
    throw invalid("x-single-active-consumer", `{unacceptable_type,${amqpTypeName(sac)}}`);
  }
  const deliveryLimit = integer("x-delivery-limit", 0, Number.MAX_SAFE_INTEGER);
  return {
    type,
    messageTtl,
    expires,
    deadLetterExchange,
    deadLetterRoutingKey,
    maxLength,
    maxLengthBytes,
    // RabbitMQ 3.10 quorum queues log a warning for reject-publish-dlx and use drop-head.
    overflow: type === "quorum" && overflow === "reject-publish-dlx" ? "drop-head" : overflow,
    // x-delivery-limit means nothing to a classic queue; RabbitMQ ignores it there.
    deliveryLimit: type === "quorum" ? deliveryLimit : -1,
    singleActiveConsumer: sac === true,
  };
}

/**
 * Structural equality of argument values (tables and arrays compared deeply, bigints as integers).
 *
 * @example
 * ```ts
 * argumentValuesEqual({ a: [1, "x"] }, { a: [1, "x"] }); // true
 * ```
 */
export function argumentValuesEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === "bigint" || typeof b === "bigint") {
    return integerValue(a) !== null && integerValue(a) === integerValue(b);
  }
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    return a.length === b.length && a.every((byte, i) => byte === b[i]);
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => argumentValuesEqual(item, b[i]));
  }
  if (a !== null && b !== null && typeof a === "object" && typeof b === "object") {
    const keysA = Object.keys(a as object).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
    const keysB = Object.keys(b as object).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
    return (
      keysA.length === keysB.length &&
      keysA.every((k) =>
        argumentValuesEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
      )
    );
  }
  return false;
}

function describeArg(value: unknown): string {
  if (value === undefined) return "none";
  const shown = typeof value === "string" ? value : showValue(value);
  return `the value '${shown}' of type '${amqpTypeName(value)}'`;
}

/**
 * Compares the checked arguments of an existing resource and a redeclaration, throwing RabbitMQ's
 * 406 `inequivalent arg` for the first one that differs (present on one side only counts).
 *
 * @example
 * ```ts
 * assertArgsEquivalent("queue", "q", { "x-message-ttl": 1000 }, {}, EQUIVALENT_QUEUE_ARGS);
 * // throws PRECONDITION_FAILED - inequivalent arg 'x-message-ttl' for queue 'q' in vhost '/':
 * //   received none but current is the value '1000' of type 'short'
 * ```
 */
export function assertArgsEquivalent(
  kind: "queue" | "exchange",
  name: string,
  current: Readonly<Record<string, unknown>>,
  requested: Readonly<Record<string, unknown>>,
  checked: readonly string[],
): void {
  for (const key of checked) {
    const had = current[key];
    const wants = requested[key];
    if (had === undefined && wants === undefined) continue;
    if (had !== undefined && wants !== undefined && argumentValuesEqual(had, wants)) continue;
    throw new AmqpError(
      "PRECONDITION_FAILED",
      `inequivalent arg '${key}' for ${resourceName(kind, name)}: received ${describeArg(wants)} but current is ${describeArg(had)}`,
      { reason: "inequivalent-arg", argument: key, received: wants, current: had, [kind]: name },
    );
  }
}

/**
 * Compares one declaration flag (`durable`, `auto_delete`, `internal`, `type`), throwing RabbitMQ's
 * 406 `inequivalent arg` when it differs.
 *
 * @example
 * ```ts
 * assertFieldEquivalent("exchange", "x", "type", "direct", "fanout");
 * // throws PRECONDITION_FAILED - inequivalent arg 'type' for exchange 'x' in vhost '/': received 'fanout' but current is 'direct'
 * ```
 */
export function assertFieldEquivalent(
  kind: "queue" | "exchange",
  name: string,
  field: string,
  current: string | boolean,
  requested: string | boolean,
): void {
  if (current === requested) return;
  throw new AmqpError(
    "PRECONDITION_FAILED",
    `inequivalent arg '${field}' for ${resourceName(kind, name)}: received '${String(requested)}' but current is '${String(current)}'`,
    { reason: "inequivalent-arg", argument: field, received: requested, current, [kind]: name },
  );
}

/**
 * Options of an exchange declaration. Defaults are AMQP's (all false; amqplib's `assertExchange`
 * defaults `durable` to true, so a facade passes it explicitly).
 *
 * @example
 * ```ts
 * broker.exchange("orders", "topic", { durable: true, alternateExchange: "unrouted" });
 * ```
 */
export interface ExchangeOptions {
  /** Survives a broker restart. Default false. */
  durable?: boolean;
  /** Deleted when its last binding goes, once it had one. Default false. */
  autoDelete?: boolean;
  /** Only reachable through exchange-to-exchange bindings and dead-lettering. Default false. */
  internal?: boolean;
  /** Only check that it exists (404 if not). Default false. */
  passive?: boolean;
  /** [`alternate-exchange`] Where messages matching no binding go. */
  alternateExchange?: string;
  /** Raw arguments. */
  arguments?: Record<string, unknown>;
}

/**
 * Every option of {@link ExchangeOptions}, for `checkOptions`.
 *
 * @example
 * ```ts
 * checkOptions(options, EXCHANGE_OPTION_NAMES, "AmqpChannel.exchange");
 * ```
 */
export const EXCHANGE_OPTION_NAMES: readonly string[] = [
  "durable",
  "autoDelete",
  "internal",
  "passive",
  "alternateExchange",
  "arguments",
];

/**
 * Reads a boolean option (undefined → `fallback`), refusing other types with `INVALID_ARGUMENT`.
 *
 * @example
 * ```ts
 * const durable = booleanOption(options?.durable, "durable", "AmqpBroker.queue"); // false when absent
 * ```
 */
export function booleanOption(value: unknown, name: string, where: string, fallback = false): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") {
    throw new InvalidArgumentError(`${where}: ${name} must be a boolean, got ${describeValue(value)}.`);
  }
  return value;
}

/**
 * Validates an options object's keys and that `arguments` (if any) is a plain object.
 *
 * @example
 * ```ts
 * checkDeclareOptions({ durable: true, arguments: {} }, QUEUE_OPTION_NAMES, "AmqpBroker.queue");
 * ```
 */
export function checkDeclareOptions(options: unknown, allowed: readonly string[], where: string): void {
  checkOptions(options, allowed, where);
  const args = (options as { arguments?: unknown } | undefined)?.arguments;
  if (args !== undefined && (args === null || typeof args !== "object" || Array.isArray(args))) {
    throw new InvalidArgumentError(`${where}: arguments must be an object of x- arguments.`);
  }
}

/**
 * Asserts that `value` is a string of at most 255 UTF-8 bytes (an AMQP short string: queue and
 * exchange names, consumer tags). Anything else is an {@link InvalidArgumentError} with code
 * `INVALID_NAME`, refused before any state changes, as a real client refuses to encode it.
 *
 * @example
 * ```ts
 * checkShortString("orders", "exchange name", "channel.publish"); // passes
 * ```
 */
export function checkShortString(value: unknown, what: string, where: string): asserts value is string {
  if (typeof value !== "string") {
    throw new InvalidArgumentError(
      `${where}: ${what} must be a string, got ${value === null ? "null" : typeof value}.`,
      "INVALID_NAME",
      { what },
    );
  }
  // 85 UTF-16 units are at most 255 UTF-8 bytes: only longer strings need measuring.
  if (value.length > 85 && utf8ByteLength(value) > 255) {
    throw new InvalidArgumentError(
      `${where}: ${what} is longer than 255 UTF-8 bytes (an AMQP short string); shorten it.`,
      "INVALID_NAME",
      { what },
    );
  }
}
