import { ATTR_ABORT_MARKER, ATTR_CONTROL, ATTR_TRANSACTIONAL } from "./segment.js";

/**
 * Control records (Kafka's transaction markers): one per partition a transaction touched, written
 * by the coordinator when the transaction commits or aborts. A marker takes an offset like any
 * record but is never returned to consumers, so consumers see gaps in offsets. Its key in Kafka is
 * `(version, type)` and its value `(version, coordinatorEpoch)`; here the value is a small frozen
 * object, the type is also an attribute bit (so reads need not look at values), and the record
 * carries the producer id of the transaction it ends.
 */

/** What a marker says. */
export type ControlRecordType = "commit" | "abort";

/** The value stored in a marker's slot. */
export interface ControlRecordValue {
  readonly type: ControlRecordType;
  readonly coordinatorEpoch: number;
}

/** Bytes a marker counts for (Kafka's control record: 4-byte key, 6-byte value). */
export const CONTROL_RECORD_SIZE = 10;

const COMMIT: ControlRecordValue = Object.freeze({ type: "commit", coordinatorEpoch: 0 });
const ABORT: ControlRecordValue = Object.freeze({ type: "abort", coordinatorEpoch: 0 });

/**
 * The (shared, frozen) value of a marker.
 *
 * @example
 * ```ts
 * controlRecordValue("abort"); // { type: "abort", coordinatorEpoch: 0 }
 * ```
 */
export function controlRecordValue(type: ControlRecordType): ControlRecordValue {
  return type === "commit" ? COMMIT : ABORT;
}

/**
 * Segment attribute bits of a marker.
 *
 * @example
 * ```ts
 * controlAttributes("commit") & ATTR_CONTROL; // 1
 * ```
 */
export function controlAttributes(type: ControlRecordType): number {
  return ATTR_CONTROL | ATTR_TRANSACTIONAL | (type === "abort" ? ATTR_ABORT_MARKER : 0);
}

/**
 * The marker type encoded in attribute bits, or null for a data record.
 *
 * @example
 * ```ts
 * controlType(controlAttributes("abort")); // "abort"
 * controlType(ATTR_TRANSACTIONAL);          // null
 * ```
 */
export function controlType(attributes: number): ControlRecordType | null {
  if ((attributes & ATTR_CONTROL) === 0) return null;
  return (attributes & ATTR_ABORT_MARKER) !== 0 ? "abort" : "commit";
}

/**
 * One slot of a partition as the broker stores it, markers included (for tests, notebooks and
 * pictures of "where the gaps come from"; consumers never see markers).
 *
 * @example
 * ```ts
 * cluster.partition("out", 0).entries(); // [{ offset: 0, kind: "data", transactional: true, producerId: 1, value: … }, { offset: 1, kind: "commit", … }]
 * ```
 */
export interface LogEntry {
  readonly offset: number;
  readonly kind: "data" | ControlRecordType;
  readonly transactional: boolean;
  /** Producer id of the record (-1 for non-idempotent producers). */
  readonly producerId: number;
  readonly value: unknown;
  readonly timestamp: number;
}
