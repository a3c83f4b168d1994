import { invariant } from "../scheduler/errors.js";

/**
 * A partition's aborted-transaction index (Kafka's `TransactionIndex`, one `.txnindex` per
 * segment there): for every aborted transaction, the producer id, the first offset of its data in
 * this partition, the offset of its abort marker, and the last stable offset right after the
 * abort. A `read_committed` fetch asks for the aborted transactions overlapping its range and
 * drops their records; nothing is rewritten in the log itself, exactly as in Kafka.
 *
 * Entries are appended in marker order. The stored last stable offset lets a lookup stop early: a
 * transaction aborted later was either open at that time (so its first offset is at or above the
 * LSO then) or started afterwards, so once an entry's LSO reaches the fetch's upper bound no later
 * entry can overlap the fetch. Columns are plain number arrays (data plane).
 */

/** One aborted transaction. */
export interface AbortedTxn {
  readonly producerId: number;
  readonly firstOffset: number;
  /** Offset of the abort marker. */
  readonly lastOffset: number;
  /** The partition's last stable offset right after the abort (before clamping to the log start). */
  readonly lastStableOffset: number;
}

/**
 * Aborted transactions of one partition.
 *
 * @example
 * ```ts
 * const index = new AbortedTxnIndex();
 * index.append(7, 10, 14, 15);
 * const pids: number[] = [], firsts: number[] = [];
 * index.collect(12, 100, pids, firsts); // 1: pids [7], firsts [10]
 * ```
 */
export class AbortedTxnIndex {
  private producerIds: number[] = [];
  private firstOffsets: number[] = [];
  private lastOffsets: number[] = [];
  private stableOffsets: number[] = [];
  /** Entries before this index are dropped (retention moved the log start past them). */
  private head = 0;

  /** Number of entries. */
  get size(): number {
    return this.producerIds.length - this.head;
  }

  /** Records an aborted transaction; markers arrive in offset order. */
  append(producerId: number, firstOffset: number, lastOffset: number, lastStableOffset: number): void {
    const n = this.lastOffsets.length;
    invariant(
      n === this.head || lastOffset > this.lastOffsets[n - 1]!,
      () => `aborted index: marker ${lastOffset} not after ${this.lastOffsets[n - 1]}`,
    );
    invariant(firstOffset < lastOffset, () => `aborted index: first ${firstOffset} ≥ marker ${lastOffset}`);
    this.producerIds.push(producerId);
    this.firstOffsets.push(firstOffset);
    this.lastOffsets.push(lastOffset);
    this.stableOffsets.push(lastStableOffset);
  }

  /**
   * Appends to the output columns, from index `count` on, the aborted transactions overlapping
   * `[fetchOffset, upperBound)` whose first offset is at least `minFirst`, sorted by first offset,
   * and returns the new count (Kafka's `collectAbortedTxns`). A fetch collects a window ahead of
   * its scan and, when the scan passes it, the next window with `minFirst` set to the old bound —
   * so the work per fetch follows the records it reads, not the length of the index.
   */
  collect(
    fetchOffset: number,
    upperBound: number,
    outProducerIds: number[],
    outFirstOffsets: number[],
    count = 0,
    minFirst = Number.NEGATIVE_INFINITY,
  ): number {
    const lasts = this.lastOffsets;
    let lo = this.head;
    let hi = lasts.length;
    const from = Math.max(fetchOffset, minFirst);
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (lasts[mid]! < from) lo = mid + 1;
      else hi = mid;
    }
    const start = count;
    let n = count;
    for (let i = lo; i < lasts.length; i++) {
      const first = this.firstOffsets[i]!;
      if (first < upperBound && first >= minFirst) {
        // Insertion by first offset: entries arrive nearly sorted, and a window holds few.
        let at = n;
        while (at > start && outFirstOffsets[at - 1]! > first) {
          outFirstOffsets[at] = outFirstOffsets[at - 1]!;
          outProducerIds[at] = outProducerIds[at - 1]!;
          at--;
        }
        outFirstOffsets[at] = first;
        outProducerIds[at] = this.producerIds[i]!;
        n++;
      }
      if (this.stableOffsets[i]! >= upperBound) break;
    }
    return n;
  }

  /** Forgets entries whose marker lies below `offset` (the log start moved past them). */
  truncateBefore(offset: number): void {
    while (this.head < this.lastOffsets.length && this.lastOffsets[this.head]! < offset) this.head++;
    // Compact now and then so a long-lived partition does not keep every dropped entry.
    if (this.head > 1024 && this.head * 2 > this.lastOffsets.length) {
      this.producerIds = this.producerIds.slice(this.head);
      this.firstOffsets = this.firstOffsets.slice(this.head);
      this.lastOffsets = this.lastOffsets.slice(this.head);
      this.stableOffsets = this.stableOffsets.slice(this.head);
      this.head = 0;
    }
  }

  /** Every entry, in marker order (tests, notebooks). */
  entries(): AbortedTxn[] {
    const result: AbortedTxn[] = [];
    for (let i = this.head; i < this.lastOffsets.length; i++) {
      result.push({
        producerId: this.producerIds[i]!,
        firstOffset: this.firstOffsets[i]!,
        lastOffset: this.lastOffsets[i]!,
        lastStableOffset: this.stableOffsets[i]!,
      });
    }
    return result;
  }
}
