import type { RecordHeaders, RecordKey } from "./record.js";

/** Attribute bit: a control record (transaction marker); it takes an offset but is never returned. */
export const ATTR_CONTROL = 1;
/** Attribute bit: the record belongs to a transaction. */
export const ATTR_TRANSACTIONAL = 2;
/** Attribute bit on a control record: it is an abort marker (without it, a commit marker). */
export const ATTR_ABORT_MARKER = 4;

const INITIAL_CAPACITY = 16;

/**
 * One log segment in columnar form: no object per record. Offsets are implicit
 * (`baseOffset + index`) until compaction removes records, after which an explicit, strictly
 * increasing `offsets` column takes over; offsets themselves never change. Timestamps and sizes
 * live in typed arrays; keys and headers columns are created only when the first non-null key or
 * header arrives, so keyless, header-less records cost two pointers (value) and 12 bytes.
 * Attribute and producer-id columns (for transactions: control markers, aborted-record filtering)
 * are likewise created on first use.
 *
 * @example
 * ```ts
 * const s = new Segment(100, 0);
 * s.push(null, "v", null, 5, 1);
 * s.offsetAt(0); // 100
 * ```
 */
export class Segment {
  /** First offset this segment covers. */
  readonly baseOffset: number;
  /** Virtual time the segment was created (rolled). */
  readonly createdAt: number;
  /** One past the last offset this segment covers (unchanged by compaction). */
  nextOffset: number;
  /** Records stored. */
  count = 0;
  /** Sum of record sizes. */
  bytes = 0;
  /** Broker time of the first append; `segment.ms` counts from it. NaN while empty. */
  firstAppendTime = Number.NaN;
  /** Largest record timestamp; time-based retention compares it. */
  maxTimestamp = Number.NEGATIVE_INFINITY;
  /** Keys column, null while every key was null. */
  keys: RecordKey[] | null = null;
  values: unknown[] = [];
  /** Headers column, null while every record had none. */
  headers: (RecordHeaders | null)[] | null = null;
  timestamps: Float64Array;
  sizes: Int32Array;
  /** Explicit offsets after compaction; null while offsets are `baseOffset + index`. */
  offsets: Float64Array | null = null;
  /** Attribute bits per record ({@link ATTR_CONTROL}, {@link ATTR_TRANSACTIONAL}, {@link ATTR_ABORT_MARKER}); null while all zero. */
  attributes: Uint8Array | null = null;
  /** Producer id per record; null until a record with a producer id and attributes arrives. */
  producerIds: Float64Array | null = null;

  constructor(baseOffset: number, createdAt: number, capacity = INITIAL_CAPACITY) {
    this.baseOffset = baseOffset;
    this.nextOffset = baseOffset;
    this.createdAt = createdAt;
    this.timestamps = new Float64Array(capacity);
    this.sizes = new Int32Array(capacity);
  }

  /** Room for `extra` more records in the typed columns. */
  reserve(extra: number): void {
    const needed = this.count + extra;
    if (needed <= this.timestamps.length) return;
    let capacity = this.timestamps.length * 2;
    while (capacity < needed) capacity *= 2;
    const timestamps = new Float64Array(capacity);
    timestamps.set(this.timestamps.subarray(0, this.count));
    this.timestamps = timestamps;
    const sizes = new Int32Array(capacity);
    sizes.set(this.sizes.subarray(0, this.count));
    this.sizes = sizes;
    if (this.attributes !== null) {
      const attributes = new Uint8Array(capacity);
      attributes.set(this.attributes.subarray(0, this.count));
      this.attributes = attributes;
    }
    if (this.offsets !== null) {
      const offsets = new Float64Array(capacity);
      offsets.set(this.offsets.subarray(0, this.count));
      this.offsets = offsets;
    }
    if (this.producerIds !== null) {
      const ids = new Float64Array(capacity).fill(-1);
      ids.set(this.producerIds.subarray(0, this.count));
      this.producerIds = ids;
    }
  }

  /** Appends one record at offset `nextOffset` (the caller reserved room and checked order). */
  push(
    key: RecordKey,
    value: unknown,
    headers: RecordHeaders | null,
    timestamp: number,
    size: number,
    attributes = 0,
    producerId = -1,
  ): void {
    const i = this.count;
    if (key !== null) {
      if (this.keys === null) this.keys = new Array<RecordKey>(i).fill(null);
      this.keys.push(key);
    } else if (this.keys !== null) this.keys.push(null);
    this.values.push(value);
    if (headers !== null) {
      if (this.headers === null) this.headers = new Array<RecordHeaders | null>(i).fill(null);
      this.headers.push(headers);
    } else if (this.headers !== null) this.headers.push(null);
    this.timestamps[i] = timestamp;
    this.sizes[i] = size;
    if (attributes !== 0 || this.attributes !== null) {
      if (this.attributes === null) this.attributes = new Uint8Array(this.timestamps.length);
      this.attributes[i] = attributes;
    }
    if (producerId >= 0 || this.producerIds !== null) {
      if (this.producerIds === null) this.producerIds = new Float64Array(this.timestamps.length).fill(-1);
      this.producerIds[i] = producerId;
    }
    if (this.offsets !== null) this.offsets[i] = this.nextOffset;
    if (timestamp > this.maxTimestamp) this.maxTimestamp = timestamp;
    this.bytes += size;
    this.count = i + 1;
    this.nextOffset++;
  }

  /** Offset of the record at index `i`. */
  offsetAt(i: number): number {
    return this.offsets === null ? this.baseOffset + i : this.offsets[i]!;
  }

  /** Key at index `i`. */
  keyAt(i: number): RecordKey {
    return this.keys === null ? null : this.keys[i]!;
  }

  /** Headers at index `i`. */
  headersAt(i: number): RecordHeaders | null {
    return this.headers === null ? null : this.headers[i]!;
  }

  /** Index of the first record with offset ≥ `offset` (`count` if none). */
  indexOf(offset: number): number {
    if (this.offsets === null) {
      const i = offset - this.baseOffset;
      return Math.min(Math.max(i, 0), this.count);
    }
    let lo = 0;
    let hi = this.count;
    const offsets = this.offsets;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (offsets[mid]! < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Keeps only the records whose index `keep(i)` accepts, switching to an explicit offsets column.
   * Returns the number removed. Used by compaction; offsets of survivors are unchanged.
   */
  retain(keep: (i: number) => boolean): number {
    const n = this.count;
    const offsets = new Float64Array(Math.max(n, 1));
    const timestamps = new Float64Array(Math.max(n, 1));
    const sizes = new Int32Array(Math.max(n, 1));
    const attributes = this.attributes === null ? null : new Uint8Array(Math.max(n, 1));
    const producerIds = this.producerIds === null ? null : new Float64Array(Math.max(n, 1)).fill(-1);
    const keys: RecordKey[] | null = this.keys === null ? null : [];
    const headers: (RecordHeaders | null)[] | null = this.headers === null ? null : [];
    const values: unknown[] = [];
    let j = 0;
    let bytes = 0;
    let maxTimestamp = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      if (!keep(i)) continue;
      offsets[j] = this.offsetAt(i);
      timestamps[j] = this.timestamps[i]!;
      sizes[j] = this.sizes[i]!;
      if (attributes !== null) attributes[j] = this.attributes![i]!;
      if (producerIds !== null) producerIds[j] = this.producerIds![i]!;
      if (keys !== null) keys.push(this.keys![i]!);
      if (headers !== null) headers.push(this.headers![i]!);
      values.push(this.values[i]);
      bytes += this.sizes[i]!;
      if (this.timestamps[i]! > maxTimestamp) maxTimestamp = this.timestamps[i]!;
      j++;
    }
    this.offsets = offsets;
    this.timestamps = timestamps;
    this.sizes = sizes;
    this.attributes = attributes;
    this.producerIds = producerIds;
    this.keys = keys;
    this.headers = headers;
    this.values = values;
    this.bytes = bytes;
    // Kafka keeps the segment's largest timestamp after cleaning, so time retention is unaffected.
    if (j > 0) this.maxTimestamp = Math.max(maxTimestamp, this.maxTimestamp);
    this.count = j;
    return n - j;
  }
}
