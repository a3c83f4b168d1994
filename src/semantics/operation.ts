import { InvalidArgumentError } from "../scheduler/errors.js";
import type { OperationType, OperationValue } from "./record.js";

export type { OperationType, OperationValue } from "./record.js";

/**
 * One history operation, Jepsen-style, as plain JSON: an `invoke` and later its completion
 * (`ok`, `fail` or `info` = outcome unknown) by the same `process`, with the same `f` and the same
 * `value.id`.
 *
 * @example
 * ```ts
 * const op: Operation = { index: 0, time: 0, process: "p", type: "invoke", f: "send", value: { id: "m1" } };
 * ```
 */
export interface Operation {
  readonly index: number;
  readonly time: number;
  readonly process: string;
  readonly type: OperationType;
  readonly f: string;
  readonly value: OperationValue;
}

/** The `f`s brokerlab records; users may add their own. */
export const KNOWN_FUNCTIONS = Object.freeze([
  "send",
  "receive",
  "ack",
  "nack",
  "commit",
  "txn",
  "effect",
  "rebalance",
  "seek",
  "restart",
  "crash",
] as const);

/** Operations after which one process's poll positions start afresh. */
export const POSITION_RESETS: ReadonlySet<string> = new Set(["rebalance", "seek", "restart", "crash"]);

const TYPES: ReadonlySet<string> = new Set(["invoke", "ok", "fail", "info"]);

/** The key pairing an invocation with its completion. */
export function pairKey(process: string, f: string, value: OperationValue): string {
  return `${process}\u0000${f}\u0000${value.id ?? ""}`;
}

/**
 * Validates operations loaded from elsewhere (JSON lines, a hand-written array): shape, index
 * order, non-decreasing time, and pairing — every completion needs an earlier open invocation by
 * the same process with the same `f` and `value.id`. Throws `INVALID_HISTORY` (bad shape or order)
 * or `UNMATCHED_COMPLETION` naming the operation.
 *
 * @example
 * ```ts
 * validateOperations([{ index: 0, time: 0, process: "p", type: "ok", f: "send", value: { id: "m1" } }]);
 * // throws UNMATCHED_COMPLETION: operation 0 is an ok without its invoke
 * ```
 */
export function validateOperations(operations: readonly unknown[]): Operation[] {
  if (!Array.isArray(operations)) {
    throw new InvalidArgumentError("History: expected an array of operations.", "INVALID_HISTORY");
  }
  const open = new Map<string, number>();
  const out: Operation[] = [];
  let lastTime = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < operations.length; i++) {
    const raw = operations[i] as Record<string, unknown> | null;
    const where = `History: operation ${i}`;
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
      throw new InvalidArgumentError(
        `${where} must be an object { index, time, process, type, f, value }.`,
        "INVALID_HISTORY",
      );
    }
    const { index, time, process, type, f, value } = raw;
    if (index !== undefined && index !== i) {
      throw new InvalidArgumentError(
        `${where} has index ${String(index)}; indexes must count 0, 1, 2, … in order.`,
        "INVALID_HISTORY",
        { at: i },
      );
    }
    if (typeof time !== "number" || !Number.isFinite(time)) {
      throw new InvalidArgumentError(
        `${where}: time must be a finite number of virtual ms.`,
        "INVALID_HISTORY",
        { at: i },
      );
    }
    if (time < lastTime) {
      throw new InvalidArgumentError(
        `${where}: time ${time} goes back from ${lastTime}; operations must be in time order.`,
        "INVALID_HISTORY",
        { at: i },
      );
    }
    lastTime = time;
    if (typeof process !== "string" || process === "") {
      throw new InvalidArgumentError(`${where}: process must be a non-empty string.`, "INVALID_HISTORY", {
        at: i,
      });
    }
    if (typeof type !== "string" || !TYPES.has(type)) {
      throw new InvalidArgumentError(
        `${where}: type must be "invoke", "ok", "fail" or "info", got ${JSON.stringify(type)}.`,
        "INVALID_HISTORY",
        { at: i },
      );
    }
    if (typeof f !== "string" || f === "") {
      throw new InvalidArgumentError(
        `${where}: f must be a non-empty string (send, receive, ack, nack, commit, txn, effect, or your own).`,
        "INVALID_HISTORY",
        { at: i },
      );
    }
    const v = value === undefined ? {} : value;
    if (v === null || typeof v !== "object" || Array.isArray(v)) {
      throw new InvalidArgumentError(
        `${where}: value must be an object (holding id, key, topic, partition, offset, …).`,
        "INVALID_HISTORY",
        { at: i },
      );
    }
    const ov = v as OperationValue;
    if (ov.id !== undefined && typeof ov.id !== "string") {
      throw new InvalidArgumentError(`${where}: value.id must be a string.`, "INVALID_HISTORY", { at: i });
    }
    const key = pairKey(process, f, ov);
    if (type === "invoke") {
      open.set(key, (open.get(key) ?? 0) + 1);
    } else {
      const n = open.get(key) ?? 0;
      if (n === 0) {
        throw new InvalidArgumentError(
          `${where} is an ${type} of ${f}${ov.id !== undefined ? ` ${ov.id}` : ""} by ${process} without its invoke; record the invoke first (same process, f and value.id).`,
          "UNMATCHED_COMPLETION",
          { at: i, process, f, id: ov.id },
        );
      }
      if (n === 1) open.delete(key);
      else open.set(key, n - 1);
    }
    out.push({ index: i, time, process, type: type as OperationType, f, value: ov });
  }
  return out;
}
