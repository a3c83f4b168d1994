import type { Simulation } from "../scheduler/simulation.js";

/**
 * The recording seam between the models and facades (which emit operations) and the history
 * (which listens). It lives on the simulation's event bus so that nothing below `semantics`
 * imports a history: a facade asks `sim.bus.wants(HISTORY_EVENT)` — one branch — and builds
 * nothing when no history records.
 */

/** The four completions of Jepsen's histories, plus the invocation. */
export type OperationType = "invoke" | "ok" | "fail" | "info";

/**
 * What an operation is about. `id` is the message identity; the rest apply where they make
 * sense (a Kafka send has `topic`, `partition`, `offset` and `key`; a publish has `queues`).
 */
export interface OperationValue {
  id?: string;
  key?: string | null;
  topic?: string;
  partition?: number;
  offset?: number;
  queue?: string;
  queues?: readonly string[];
  txn?: string;
  redelivered?: boolean;
  isolation?: "read_committed" | "read_uncommitted";
  [field: string]: unknown;
}

/** The bus payload of one recorded step (the history adds `index` and `time`). */
export interface RecordedStep {
  process: string;
  type: OperationType;
  f: string;
  value: OperationValue;
}

/** The bus event a history listens to. */
export const HISTORY_EVENT = "history.op";

declare module "../scheduler/event-bus.js" {
  interface BrokerlabEvents {
    /** A history operation (emitted only when a history records or a tap listens). */
    "history.op": RecordedStep;
  }
}

/**
 * True when someone records operations on this simulation: guard building a step with it.
 *
 * @example
 * ```ts
 * if (recording(sim)) emitStep(sim, "billing", "invoke", "send", { id });
 * ```
 */
export function recording(sim: Simulation): boolean {
  return sim.bus.wants(HISTORY_EVENT);
}

/**
 * Emits one step to the history (call only when {@link recording} said yes).
 *
 * @example
 * ```ts
 * emitStep(sim, "billing", "ok", "send", { id: "m1", topic: "orders", partition: 0, offset: 7 });
 * ```
 */
export function emitStep(
  sim: Simulation,
  process: string,
  type: OperationType,
  f: string,
  value: OperationValue,
): void {
  sim.bus.emit(HISTORY_EVENT, { process, type, f, value });
}

/**
 * The name a recorded step carries: the kernel's current process when one runs (issue 8's
 * `sim.currentProcess`), else the client's own name.
 *
 * @example
 * ```ts
 * processName(sim, "consumer-1"); // "worker" inside sim.spawn("worker", ...)
 * ```
 */
export function processName(sim: Simulation, fallback: string): string {
  const current = (sim as unknown as { currentProcess?: { name?: unknown } | null }).currentProcess;
  return current && typeof current.name === "string" ? current.name : fallback;
}
