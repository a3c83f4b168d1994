/**
 * Broker-side state of idempotent producers for one partition (Kafka's `ProducerStateManager` /
 * `ProducerAppendInfo`): per producer id the current epoch and the last five batches, so that a
 * retried batch is answered with its original offsets instead of being appended twice, and a gap
 * in sequence numbers is refused.
 */

/** Batches remembered per producer and partition (Kafka's `NUM_BATCHES_TO_RETAIN`). */
export const RETAINED_BATCHES = 5;

const MAX_SEQUENCE = 0x7fffffff;

/** A batch the broker remembers. */
export interface BatchMetadata {
  readonly firstSequence: number;
  readonly lastSequence: number;
  readonly baseOffset: number;
  readonly count: number;
  readonly timestamp: number;
}

/** The broker's verdict on an incoming idempotent batch. */
export type SequenceVerdict =
  | { readonly kind: "append" }
  | { readonly kind: "duplicate"; readonly batch: BatchMetadata }
  | {
      readonly kind: "error";
      readonly code: "OUT_OF_ORDER_SEQUENCE_NUMBER" | "INVALID_PRODUCER_EPOCH";
      readonly expected: number;
    };

interface ProducerEntry {
  epoch: number;
  /** Oldest first, at most {@link RETAINED_BATCHES}. */
  batches: BatchMetadata[];
}

/**
 * Last sequence of a batch of `count` records starting at `first`, wrapping after 2³¹−1 as Kafka does.
 *
 * @example
 * ```ts
 * lastSequenceOf(0x7fffffff, 2); // 0
 * ```
 */
export function lastSequenceOf(first: number, count: number): number {
  const last = first + count - 1;
  return last > MAX_SEQUENCE ? last - MAX_SEQUENCE - 1 : last;
}

/**
 * The sequence that follows `sequence` (wrapping).
 *
 * @example
 * ```ts
 * nextSequence(5); // 6
 * ```
 */
export function nextSequence(sequence: number): number {
  return sequence === MAX_SEQUENCE ? 0 : sequence + 1;
}

/**
 * Per-partition producer state.
 *
 * @example
 * ```ts
 * const table = new ProducerStateTable();
 * table.check(7, 0, 0, 3);                 // { kind: "append" }
 * table.record(7, 0, 0, 3, 100, 0);
 * table.check(7, 0, 0, 3);                 // duplicate of offsets 100..102
 * table.check(7, 0, 5, 1).kind;            // "error": OUT_OF_ORDER_SEQUENCE_NUMBER (3 expected)
 * ```
 */
export class ProducerStateTable {
  private readonly entries = new Map<number, ProducerEntry>();

  /** Number of producers with state here. */
  get size(): number {
    return this.entries.size;
  }

  /** Decides what to do with a batch; changes nothing. */
  check(producerId: number, epoch: number, firstSequence: number, count: number): SequenceVerdict {
    const entry = this.entries.get(producerId);
    if (entry === undefined) {
      // Without state only a fresh sequence can start (Kafka: a new producer must start at 0).
      return firstSequence === 0
        ? { kind: "append" }
        : { kind: "error", code: "OUT_OF_ORDER_SEQUENCE_NUMBER", expected: 0 };
    }
    if (epoch < entry.epoch) return { kind: "error", code: "INVALID_PRODUCER_EPOCH", expected: -1 };
    if (epoch > entry.epoch) {
      return firstSequence === 0
        ? { kind: "append" }
        : { kind: "error", code: "OUT_OF_ORDER_SEQUENCE_NUMBER", expected: 0 };
    }
    const last = lastSequenceOf(firstSequence, count);
    for (const batch of entry.batches) {
      if (batch.firstSequence === firstSequence && batch.lastSequence === last)
        return { kind: "duplicate", batch };
    }
    const previous = entry.batches[entry.batches.length - 1];
    const expected = previous === undefined ? 0 : nextSequence(previous.lastSequence);
    if (firstSequence !== expected) return { kind: "error", code: "OUT_OF_ORDER_SEQUENCE_NUMBER", expected };
    return { kind: "append" };
  }

  /** Remembers an appended batch (after {@link check} said "append"). */
  record(
    producerId: number,
    epoch: number,
    firstSequence: number,
    count: number,
    baseOffset: number,
    timestamp: number,
  ): void {
    let entry = this.entries.get(producerId);
    if (entry === undefined || epoch > entry.epoch) {
      entry = { epoch, batches: [] };
      this.entries.set(producerId, entry);
    }
    entry.batches.push({
      firstSequence,
      lastSequence: lastSequenceOf(firstSequence, count),
      baseOffset,
      count,
      timestamp,
    });
    if (entry.batches.length > RETAINED_BATCHES) entry.batches.shift();
  }

  /** The remembered batches of a producer, oldest first (for tests and diagnostics). */
  batchesOf(producerId: number): readonly BatchMetadata[] {
    return this.entries.get(producerId)?.batches ?? [];
  }

  /** Current epoch of a producer here, or -1. */
  epochOf(producerId: number): number {
    return this.entries.get(producerId)?.epoch ?? -1;
  }
}
