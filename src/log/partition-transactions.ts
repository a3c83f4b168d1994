import { invariant } from "../scheduler/errors.js";
import { AbortedTxnIndex } from "./aborted-index.js";
import { ATTR_ABORT_MARKER, ATTR_CONTROL, ATTR_TRANSACTIONAL, type Segment } from "./segment.js";

/**
 * What one partition knows about transactions (Kafka's `ProducerStateManager` transaction part):
 * the open transactions with data here (producer id → first offset), which pin the last stable
 * offset, and the index of aborted transactions that `read_committed` fetches filter with.
 *
 * Open transactions live in a Map whose insertion order is first-offset order (a producer's data
 * can only start a transaction at the log end, and a finished one is deleted before the producer
 * can start again), so the earliest open transaction — the LSO — is the Map's first entry.
 */
export class PartitionTransactions {
  /** Producer id → first offset of its open transaction in this partition. */
  readonly ongoing = new Map<number, number>();
  /** Aborted transactions, in marker order. */
  readonly aborted = new AbortedTxnIndex();

  /** Notes transactional data from `producerId` at `offset` (starts its transaction here if new). */
  begin(producerId: number, offset: number): void {
    if (!this.ongoing.has(producerId)) this.ongoing.set(producerId, offset);
  }

  /** First offset of the earliest open transaction, or -1 when none is open. */
  get firstUnstableOffset(): number {
    for (const first of this.ongoing.values()) return first;
    return -1;
  }

  /**
   * A marker for `producerId` was written at `markerOffset`: its transaction here is over. An abort
   * with data here becomes an index entry. `highWatermark` is the log end after the marker.
   *
   * @example
   * ```ts
   * txns.begin(7, 0);
   * txns.complete(7, 3, true, 4); // aborted: offsets 0..2 of producer 7 are dropped by read_committed
   * ```
   */
  complete(producerId: number, markerOffset: number, abort: boolean, highWatermark: number): void {
    const first = this.ongoing.get(producerId);
    this.ongoing.delete(producerId);
    if (!abort || first === undefined) return;
    const unstable = this.firstUnstableOffset;
    this.aborted.append(producerId, first, markerOffset, unstable >= 0 ? unstable : highWatermark);
  }

  /**
   * For the cleaner: a per-record flag (1 = drop) for control records and records of aborted
   * transactions in `segment`, or null when the segment holds neither.
   */
  discardable(segment: Segment): Uint8Array | null {
    const attributes = segment.attributes;
    if (attributes === null) return null;
    const n = segment.count;
    const flags = new Uint8Array(n);
    const pids: number[] = [];
    const firsts: number[] = [];
    const count =
      this.aborted.size === 0
        ? 0
        : this.aborted.collect(segment.baseOffset, segment.nextOffset, pids, firsts);
    const active: number[] = [];
    let ai = 0;
    let any = false;
    for (let i = 0; i < n; i++) {
      const bits = attributes[i]!;
      if (bits === 0) continue;
      const offset = segment.offsetAt(i);
      while (ai < count && firsts[ai]! <= offset) active.push(pids[ai++]!);
      const pid = segment.producerIds === null ? -1 : segment.producerIds[i]!;
      if ((bits & ATTR_CONTROL) !== 0) {
        flags[i] = 1;
        any = true;
        if ((bits & ATTR_ABORT_MARKER) !== 0) removeOne(active, pid);
      } else if ((bits & ATTR_TRANSACTIONAL) !== 0 && active.includes(pid)) {
        flags[i] = 1;
        any = true;
      }
    }
    return any ? flags : null;
  }

  /** Asserts that open transactions start below the log end, in increasing order. */
  checkInvariants(where: string, logEndOffset: number): void {
    let previous = -1;
    for (const [pid, first] of this.ongoing) {
      invariant(
        first > previous && first < logEndOffset,
        () =>
          `${where}: open transaction of producer ${pid} starts at ${first} (previous ${previous}, log end ${logEndOffset})`,
      );
      previous = first;
    }
  }
}

/**
 * Removes one occurrence of `value` (order is irrelevant: the list is a small set).
 *
 * @example
 * ```ts
 * const active = [3, 7, 9];
 * removeOne(active, 3); // active is now [9, 7]
 * ```
 */
export function removeOne(list: number[], value: number): void {
  const i = list.indexOf(value);
  if (i < 0) return;
  list[i] = list[list.length - 1]!;
  list.pop();
}
