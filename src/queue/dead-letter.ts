/**
 * Why a message was dead-lettered (RabbitMQ's reasons, as they appear in `x-death`).
 *
 * @example
 * ```ts
 * const reason: DeadLetterReason = "expired";
 * ```
 */
export type DeadLetterReason = "rejected" | "expired" | "maxlen" | "delivery_limit";

/**
 * One `x-death` entry, with RabbitMQ's field names. `time` is the virtual time of the first such
 * death in whole seconds (an AMQP timestamp; amqplib would decode it as `{ "!": "timestamp", value }`).
 *
 * @example
 * ```ts
 * const [latest] = delivery.headers?.["x-death"] as XDeathEntry[];
 * latest.reason; // "rejected"
 * latest.count; // 1
 * ```
 */
export interface XDeathEntry {
  count: number;
  exchange: string;
  "original-expiration"?: string;
  queue: string;
  reason: DeadLetterReason;
  "routing-keys": string[];
  time: number;
}

/**
 * What one dead-lettering records, the input of {@link deadLetterHeaders}.
 *
 * @example
 * ```ts
 * const info: DeathInfo = {
 *   queue: "work", reason: "expired", now: sim.now, exchange: "jobs", routingKey: "k", expiration: undefined,
 * };
 * ```
 */
export interface DeathInfo {
  /** The queue the message died in. */
  queue: string;
  reason: DeadLetterReason;
  /** Virtual time in milliseconds; recorded in whole seconds. */
  now: number;
  /** The exchange the message was last published to. */
  exchange: string;
  /** Its routing key (the first of its keys). */
  routingKey: string;
  /** Its `expiration` property, if any. */
  expiration: string | undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** String elements of a `CC`/`BCC` header array, as RabbitMQ's `header_routes` reads them. */
function headerRoutes(headers: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const name of ["CC", "BCC"]) {
    const value = headers[name];
    if (Array.isArray(value)) for (const key of value) if (typeof key === "string") out.push(key);
  }
  return out;
}

/**
 * The headers of a dead-lettered copy, as RabbitMQ 3.10's `rabbit_dead_letter:make_msg` builds
 * them from the dying message's headers (which are not modified):
 *
 * - a new `x-death` entry `{count: 1, exchange, queue, reason, routing-keys, time}` (plus
 *   `original-expiration` when the message had an `expiration`), where `routing-keys` is the
 *   routing key followed by the `CC` header's keys;
 * - entries are keyed by (queue, reason): a repeat increments the existing entry's `count` and
 *   moves it to the front, keeping its first `time`, `exchange` and `routing-keys`;
 * - newest first; `x-first-death-queue`/`-reason`/`-exchange` are added only when the message had
 *   no `x-death` at all;
 * - with a dead-letter routing key, `CC` is removed (after `routing-keys` was computed).
 *
 * An `x-death` that is not an array (put there by a client) is replaced, as RabbitMQ does.
 *
 * @example
 * ```ts
 * const headers = deadLetterHeaders({ tenant: "eu" }, {
 *   queue: "work", reason: "rejected", now: 5_000, exchange: "jobs", routingKey: "k", expiration: undefined,
 * }, false);
 * // { tenant: "eu", "x-death": [{ count: 1, exchange: "jobs", queue: "work", reason: "rejected",
 * //   "routing-keys": ["k"], time: 5 }], "x-first-death-exchange": "jobs", ... }
 * ```
 */
export function deadLetterHeaders(
  headers: Readonly<Record<string, unknown>> | undefined,
  info: DeathInfo,
  dropCc: boolean,
): Record<string, unknown> {
  const out: Record<string, unknown> = headers === undefined ? {} : { ...headers };
  const existing = out["x-death"];
  const deaths: unknown[] = Array.isArray(existing) ? existing : [];
  const index = deaths.findIndex(
    (entry) => isRecord(entry) && entry.queue === info.queue && entry.reason === info.reason,
  );
  let entry: Record<string, unknown>;
  if (index >= 0) {
    const previous = deaths[index] as Record<string, unknown>;
    const count = typeof previous.count === "number" ? previous.count : 0;
    entry = { ...previous, count: count + 1 };
  } else {
    entry = {
      count: 1,
      exchange: info.exchange,
      ...(info.expiration === undefined ? {} : { "original-expiration": info.expiration }),
      queue: info.queue,
      reason: info.reason,
      "routing-keys": [info.routingKey, ...headerRoutes(out)],
      time: Math.floor(info.now / 1000),
    };
  }
  const others = index >= 0 ? deaths.filter((_, i) => i !== index) : deaths;
  out["x-death"] = [entry, ...others];
  if (existing === undefined) {
    out["x-first-death-exchange"] = info.exchange;
    out["x-first-death-queue"] = info.queue;
    out["x-first-death-reason"] = info.reason;
  }
  if (dropCc) delete out.CC;
  return out;
}

/**
 * Whether dead-lettering a message into `targetQueue` would close a fully automatic cycle, as
 * RabbitMQ 3.10's `rabbit_dead_letter:detect_cycles` decides: never for reason `rejected` (a
 * client took part); otherwise when `targetQueue` appears in `deaths` (the copy's `x-death`,
 * newest first, including the death being recorded) and no entry up to and including that one
 * has reason `rejected`. Such copies are dropped.
 *
 * @example
 * ```ts
 * // a TTL queue dead-lettering into itself:
 * isDeadLetterCycle("retry", [{ queue: "retry", reason: "expired" }], "expired"); // true
 * isDeadLetterCycle("work", [{ queue: "retry", reason: "expired" }, { queue: "work", reason: "rejected" }], "expired"); // false
 * ```
 */
export function isDeadLetterCycle(
  targetQueue: string,
  deaths: readonly unknown[],
  reason: DeadLetterReason,
): boolean {
  if (reason === "rejected") return false;
  for (const death of deaths) {
    // Something we did not write means a client touched the message: not fully automatic.
    if (!isRecord(death)) return false;
    if (death.reason === "rejected") return false;
    if (death.queue === targetQueue) return true;
  }
  return false;
}
