import type { Simulation } from "../../scheduler/simulation.js";
import { emitStep, processName, recording } from "../../semantics/record.js";
import type { IHeaders, KafkaMessage, Message } from "./types.js";

/**
 * History recording for the kafkajs facade (issue 9): every helper is called only when
 * `recording(sim)` said yes, so an unrecorded simulation pays one branch per call site.
 *
 * Message identity: the `id` header when the application sets one, else an id the facade assigns
 * at send (`<clientId>-<n>`, counted per producer) and carries in an `id` header, so that retries,
 * redeliveries and copies (a pipeline forwarding headers) keep it.
 */

export { recording };

const decoder = new TextDecoder();

/** The message id in a header set, or undefined. */
export function headerId(headers: IHeaders | undefined | null): string | undefined {
  if (headers === undefined || headers === null) return undefined;
  let raw = (headers as Record<string, unknown>).id;
  if (Array.isArray(raw)) raw = raw[0];
  if (typeof raw === "string") return raw;
  if (raw instanceof Uint8Array) return decoder.decode(raw);
  return undefined;
}

/**
 * Messages with an id each: those without an `id` header get a copy with one (the caller's
 * objects are never changed).
 *
 * @example
 * ```ts
 * const messages = withIds(sim, "billing", batch.messages);
 * ```
 */
export function withIds(sim: Simulation, prefix: string, messages: readonly Message[]): Message[] {
  return messages.map((m) => {
    if (m === null || typeof m !== "object" || headerId(m.headers) !== undefined) return m;
    return { ...m, headers: { ...(m.headers ?? {}), id: nextId(sim, prefix) } };
  });
}

// Counted per simulation and client id, so a restarted application instance with the same client
// id goes on counting instead of reusing its predecessor's ids.
const counters = new WeakMap<Simulation, Map<string, number>>();

function nextId(sim: Simulation, prefix: string): string {
  let map = counters.get(sim);
  if (map === undefined) counters.set(sim, (map = new Map()));
  const n = (map.get(prefix) ?? 0) + 1;
  map.set(prefix, n);
  return `${prefix}-${n}`;
}

function keyString(key: unknown): string | null {
  if (key === null || key === undefined) return null;
  if (key instanceof Uint8Array) return decoder.decode(key);
  return String(key);
}

/** Records the invocation of one send. */
export function sendInvoked(
  sim: Simulation,
  client: string,
  topic: string,
  message: Message,
  txn: string | null,
): void {
  const value: Record<string, unknown> = {
    id: headerId(message.headers),
    topic,
    key: keyString(message.key),
  };
  if (txn !== null) value.txn = txn;
  emitStep(sim, processName(sim, client), "invoke", "send", value);
}

/** Records the completion of one send: ok with its coordinates, or fail / info (unknown outcome). */
export function sendCompleted(
  sim: Simulation,
  client: string,
  topic: string,
  message: Message,
  txn: string | null,
  outcome: { partition: number; offset: number } | { error: unknown },
): void {
  const value: Record<string, unknown> = {
    id: headerId(message.headers),
    topic,
    key: keyString(message.key),
  };
  if (txn !== null) value.txn = txn;
  if ("error" in outcome) {
    value.error = errorName(outcome.error);
    emitStep(sim, processName(sim, client), definite(outcome.error) ? "fail" : "info", "send", value);
  } else {
    value.partition = outcome.partition;
    value.offset = outcome.offset;
    emitStep(sim, processName(sim, client), "ok", "send", value);
  }
}

/** Records a message handed to the application (eachMessage / eachBatch). */
export function received(
  sim: Simulation,
  client: string,
  topic: string,
  partition: number,
  message: KafkaMessage,
  readCommitted: boolean,
): void {
  const offset = Number(message.offset);
  const value = {
    id: headerId(message.headers) ?? `${topic}/${partition}@${offset}`,
    topic,
    partition,
    offset,
    key: keyString(message.key),
    isolation: readCommitted ? "read_committed" : "read_uncommitted",
  } as const;
  const process = processName(sim, client);
  emitStep(sim, process, "invoke", "receive", value);
  emitStep(sim, process, "ok", "receive", value);
}

/** Records a step that has no duration (rebalance, seek, transaction begin): invoke and ok at once. */
export function event(sim: Simulation, client: string, f: string, value: Record<string, unknown>): void {
  const process = processName(sim, client);
  emitStep(sim, process, "invoke", f, value);
  emitStep(sim, process, "ok", f, value);
}

/** Records an invocation or completion of an operation with a duration (commit, txn end). */
export function step(
  sim: Simulation,
  client: string,
  type: "invoke" | "ok" | "fail" | "info",
  f: string,
  value: Record<string, unknown>,
): void {
  emitStep(sim, processName(sim, client), type, f, value);
}

/** The completion type for an error: fail when it certainly did not happen, info otherwise. */
export function outcomeOf(error: unknown): "fail" | "info" {
  return definite(error) ? "fail" : "info";
}

/** Offsets as a compact string for the history (`orders/0=5,orders/1=9`). */
export function offsetsString(
  topics: readonly { topic: string; partitions: readonly { partition: number; offset: string | number }[] }[],
): string {
  const parts: string[] = [];
  for (const { topic, partitions } of topics)
    for (const p of partitions) parts.push(`${topic}/${p.partition}=${p.offset}`);
  return parts.join(",");
}

function errorName(error: unknown): string {
  if (error !== null && typeof error === "object") {
    const e = error as { type?: unknown; code?: unknown; name?: unknown };
    if (typeof e.type === "string") return e.type;
    if (typeof e.code === "string") return e.code;
    if (typeof e.name === "string") return e.name;
  }
  return String(error);
}

/**
 * Only refusals the broker certainly did not act on are `fail`; timeouts, lost responses and
 * anything retriable may have happened (`info`).
 */
function definite(error: unknown): boolean {
  if (error === null || typeof error !== "object") return false;
  const e = error as {
    retriable?: unknown;
    code?: unknown;
    type?: unknown;
    name?: unknown;
    message?: unknown;
  };
  const text = `${String(e.code ?? "")} ${String(e.type ?? "")} ${String(e.name ?? "")} ${String(e.message ?? "")}`;
  if (/TIMEOUT|TIMED_OUT|timed out|crash|NETWORK|DISCONNECT/i.test(text)) return false;
  return e.retriable === false;
}
