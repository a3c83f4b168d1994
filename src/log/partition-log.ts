import { describeValue } from "../scheduler/describe-value.js";
import { invariant } from "../scheduler/errors.js";
import type { EventBus } from "../scheduler/event-bus.js";
import type { AbortedTxn } from "./aborted-index.js";
import {
  CONTROL_RECORD_SIZE,
  type ControlRecordType,
  controlAttributes,
  controlRecordValue,
  controlType,
  type LogEntry,
} from "./control-records.js";
import { LogError } from "./errors.js";
import { ProducerStateTable } from "./idempotence.js";
import { PartitionTransactions, removeOne } from "./partition-transactions.js";
import type { ConsumerRecord, RecordHeaders, RecordKey, TimestampType } from "./record.js";
import { ATTR_ABORT_MARKER, ATTR_CONTROL, ATTR_TRANSACTIONAL, Segment } from "./segment.js";
import { defaultSizer, headersSize, keySize, type Sizer } from "./sizer.js";
import type { TopicConfig } from "./topic-config.js";
import "./events.js";

/**
 * A reusable buffer that {@link PartitionLog.readInto} fills column by column, so a fetch
 * allocates nothing once the buffer has grown. Entries `0 .. count-1` are valid.
 *
 * @example
 * ```ts
 * const buffer = new FetchBuffer();
 * log.readInto(0, 500, Infinity, buffer);
 * for (let i = 0; i < buffer.count; i++) console.log(buffer.offsets[i], buffer.values[i]);
 * ```
 */
export class FetchBuffer {
  count = 0;
  bytes = 0;
  /** Offset the next fetch should start at. */
  nextOffset = 0;
  offsets: number[] = [];
  keys: RecordKey[] = [];
  values: unknown[] = [];
  headers: (RecordHeaders | null)[] = [];
  timestamps: number[] = [];

  /**
   * Appends the first `count` buffered records to `out` as consumer records (the one place the
   * columnar fetch result becomes objects).
   *
   * @example
   * ```ts
   * const n = log.readInto(offset, 500, Infinity, buffer);
   * buffer.pushRecords(n, "orders", 0, "CreateTime", records);
   * ```
   */
  pushRecords(
    count: number,
    topic: string,
    partition: number,
    timestampType: TimestampType,
    out: ConsumerRecord[],
  ): void {
    for (let i = 0; i < count; i++) {
      out.push({
        topic,
        partition,
        offset: this.offsets[i]!,
        key: this.keys[i]!,
        value: this.values[i],
        headers: this.headers[i]!,
        timestamp: this.timestamps[i]!,
        timestampType,
      });
    }
  }
}

/** What a log knows about its surroundings. */
export interface PartitionLogContext {
  /** Current virtual time. */
  readonly clock: () => number;
  /** Event bus (events are built only when wanted). */
  readonly bus?: EventBus | null;
  /** Byte sizes of values. */
  readonly sizer?: Sizer;
}

/**
 * One partition of a topic: an append-only sequence of records with consecutive offsets, stored in
 * columnar {@link Segment}s. The last segment is active; older ones are deleted whole by retention
 * or thinned by compaction. Single replica: the high watermark is the log end offset.
 *
 * @example
 * ```ts
 * const log = new PartitionLog("t", 0, { ...TOPIC_DEFAULTS }, { clock: () => sim.now });
 * log.append("k", "v");        // 0
 * log.read(0).values;          // ["v"]
 * ```
 */
export class PartitionLog {
  readonly topic: string;
  readonly partition: number;
  /** Live topic configuration (shared with the topic, so config changes apply at once). */
  config: TopicConfig;
  /** @internal Segments, oldest first; never empty. */
  segments: Segment[];
  /** @internal First readable offset (retention and `deleteRecords` move it; compaction does not). */
  start = 0;
  /** @internal Offsets below this have been compacted. */
  cleanerCheckpoint = 0;
  /** @internal Tombstones the cleaner has seen: offset → time after which they may be removed. */
  tombstoneHorizons: Map<number, number> | null = null;
  /** Idempotent-producer state (Kafka's producer state snapshot for this partition). */
  readonly producers = new ProducerStateTable();
  /** Open transactions with data here, and the aborted-transaction index. */
  readonly transactions = new PartitionTransactions();
  /** Scratch columns for read_committed fetches (reads are synchronous, so one set per log suffices). */
  private readonly scratchPids: number[] = [];
  private readonly scratchFirsts: number[] = [];
  private readonly scratchActive: number[] = [];
  /** Consumers waiting for data (long polls); woken on append. */
  private waiters: (() => void)[] | null = null;
  private readonly clock: () => number;
  private readonly bus: EventBus | null;
  /** Byte sizer for values. */
  readonly sizer: Sizer;
  /** True once the topic was deleted: reads and appends fail with UNKNOWN_TOPIC_OR_PARTITION. */
  deleted = false;

  constructor(topic: string, partition: number, config: TopicConfig, context: PartitionLogContext) {
    this.topic = topic;
    this.partition = partition;
    this.config = config;
    this.clock = context.clock;
    this.bus = context.bus ?? null;
    this.sizer = context.sizer ?? defaultSizer;
    this.segments = [new Segment(0, this.clock())];
  }

  /** First readable offset. */
  get logStartOffset(): number {
    return this.start;
  }

  /** Offset the next record will get. */
  get logEndOffset(): number {
    return this.active.nextOffset;
  }

  /** High watermark: with one replica, the log end offset. */
  get highWatermark(): number {
    return this.active.nextOffset;
  }

  /**
   * Last stable offset: the first offset of the earliest open transaction with data here (never
   * below the log start), else the high watermark. `read_committed` consumers read only below it.
   */
  get lastStableOffset(): number {
    const unstable = this.transactions.firstUnstableOffset;
    return unstable < 0 ? this.active.nextOffset : Math.max(unstable, this.start);
  }

  /** The active (last) segment. */
  get active(): Segment {
    return this.segments[this.segments.length - 1]!;
  }

  /** Records currently stored (after retention and compaction). */
  get size(): number {
    let n = 0;
    for (const s of this.segments) n += s.count;
    return n;
  }

  /** Bytes currently stored. */
  get bytes(): number {
    let n = 0;
    for (const s of this.segments) n += s.bytes;
    return n;
  }

  /** Number of segments. */
  get segmentCount(): number {
    return this.segments.length;
  }

  /** Base offsets of the segments, oldest first. */
  get segmentBaseOffsets(): number[] {
    return this.segments.map((s) => s.baseOffset);
  }

  /** Size of one record as retention and fetch limits count it. */
  recordSize(key: RecordKey, value: unknown, headers: RecordHeaders | null): number {
    return keySize(key) + this.sizer(value) + headersSize(headers);
  }

  /**
   * Appends one record and returns its offset. `timestamp` is the CreateTime (default: now); on
   * LogAppendTime topics the broker's time replaces it.
   */
  append(
    key: RecordKey,
    value: unknown,
    headers: RecordHeaders | null = null,
    timestamp: number | null = null,
    attributes = 0,
    producerId = -1,
  ): number {
    this.checkWritable();
    const now = this.clock();
    const size = this.recordSize(key, value, headers);
    this.maybeRoll(now, size);
    const segment = this.active;
    segment.reserve(1);
    if (segment.count === 0) segment.firstAppendTime = now;
    const offset = segment.nextOffset;
    const ts = this.config.messageTimestampType === "LogAppendTime" || timestamp === null ? now : timestamp;
    segment.push(key, value, headers, ts, size, attributes, producerId);
    if (this.bus?.wants("log.append")) {
      this.bus.emit("log.append", {
        topic: this.topic,
        partition: this.partition,
        baseOffset: offset,
        count: 1,
        producerId,
        sequence: -1,
      });
    }
    if (this.waiters !== null) this.wake();
    return offset;
  }

  /**
   * Appends records `from .. to-1` of parallel columns as one batch (one segment-roll check, as
   * Kafka rolls per batch) and returns the base offset. `keys`/`headers` may be null (all null);
   * `timestamps` null means now; `sizes` null means computed.
   */
  appendBatch(
    keys: readonly RecordKey[] | null,
    values: readonly unknown[],
    headers: readonly (RecordHeaders | null)[] | null = null,
    timestamps: readonly number[] | null = null,
    from = 0,
    to = values.length,
    sizes: readonly number[] | null = null,
    producerId = -1,
    sequence = -1,
    attributes = 0,
  ): number {
    this.checkWritable();
    const now = this.clock();
    const count = to - from;
    invariant(count > 0, "appendBatch with no records");
    let batchBytes = 0;
    const computed = sizes === null ? new Array<number>(count) : null;
    for (let i = from; i < to; i++) {
      let size: number;
      if (sizes !== null) size = sizes[i]!;
      else {
        size = this.sizer(values[i]);
        if (keys !== null) size += keySize(keys[i]!);
        if (headers !== null) size += headersSize(headers[i]!);
        computed![i - from] = size;
      }
      batchBytes += size;
    }
    this.maybeRoll(now, batchBytes);
    const segment = this.active;
    segment.reserve(count);
    if (segment.count === 0) segment.firstAppendTime = now;
    const base = segment.nextOffset;
    const logAppendTime = this.config.messageTimestampType === "LogAppendTime";
    for (let i = from; i < to; i++) {
      const ts = logAppendTime || timestamps === null ? now : timestamps[i]!;
      const size = sizes !== null ? sizes[i]! : computed![i - from]!;
      segment.push(
        keys === null ? null : keys[i]!,
        values[i],
        headers === null ? null : headers[i]!,
        ts,
        size,
        attributes,
        producerId,
      );
    }
    // Transactional data pins the LSO until its marker arrives.
    if ((attributes & ATTR_TRANSACTIONAL) !== 0 && (attributes & ATTR_CONTROL) === 0)
      this.transactions.begin(producerId, base);
    if (this.bus?.wants("log.append")) {
      this.bus.emit("log.append", {
        topic: this.topic,
        partition: this.partition,
        baseOffset: base,
        count,
        producerId,
        sequence,
      });
    }
    if (this.waiters !== null) this.wake();
    return base;
  }

  /**
   * Fills `out` with up to `maxRecords` records from `offset`, stopping before `maxBytes` would be
   * exceeded (but always returning at least one record, as Kafka does). An offset that compaction
   * removed reads from the next surviving record. Control records (transaction markers) are never
   * returned; the position moves past them. With `readCommitted`, reading stops at the last stable
   * offset and records of aborted transactions are skipped too (Kafka's `read_committed`: the
   * broker bounds the fetch by the LSO and sends the aborted transactions of the range, the client
   * drops their records). Offsets outside [log start, log end] are `OFFSET_OUT_OF_RANGE`. Returns
   * the number of records.
   */
  readInto(
    offset: number,
    maxRecords: number,
    maxBytes: number,
    out: FetchBuffer,
    readCommitted = false,
  ): number {
    this.checkReadable();
    this.checkRange(offset);
    let n = 0;
    let bytes = 0;
    let next = offset;
    const limit = readCommitted ? this.lastStableOffset : Number.POSITIVE_INFINITY;
    // Aborted transactions overlapping the fetch, by first offset, collected one window ahead of
    // the scan; `active` holds the producers whose aborted transaction the scan is inside (entered
    // at its first offset, left at its marker).
    const abortedPids = this.scratchPids;
    const abortedFirsts = this.scratchFirsts;
    const active = this.scratchActive;
    active.length = 0;
    const index = this.transactions.aborted;
    const window = Math.max(256, Math.min(maxRecords, 32_768) * 2);
    let bound = limit;
    let abortedCount = 0;
    if (readCommitted && index.size > 0 && offset < limit) {
      bound = Math.min(limit, offset + window);
      abortedCount = index.collect(offset, bound, abortedPids, abortedFirsts);
    }
    let ai = 0;
    const segments = this.segments;
    let si = this.segmentIndexFor(offset);
    const outOffsets = out.offsets;
    const outKeys = out.keys;
    const outValues = out.values;
    const outHeaders = out.headers;
    const outTimestamps = out.timestamps;
    outer: for (; si < segments.length; si++) {
      const segment = segments[si]!;
      let i = segment.indexOf(next);
      const end = segment.count;
      const keys = segment.keys;
      const values = segment.values;
      const headers = segment.headers;
      const timestamps = segment.timestamps;
      const sizes = segment.sizes;
      const attributes = segment.attributes;
      for (; i < end; i++) {
        const recordOffset = segment.offsets === null ? segment.baseOffset + i : segment.offsets[i]!;
        if (recordOffset >= bound) {
          if (recordOffset >= limit) break outer;
          // The scan left the collected window: collect the aborted transactions starting in the next one.
          const next = Math.min(limit, recordOffset + window);
          abortedCount = index.collect(offset, next, abortedPids, abortedFirsts, abortedCount, bound);
          bound = next;
        }
        if (attributes !== null) {
          const bits = attributes[i]!;
          if (bits !== 0) {
            // Markers and aborted records cost no room in the fetch: skip them before the limits.
            while (ai < abortedCount && abortedFirsts[ai]! <= recordOffset) active.push(abortedPids[ai++]!);
            if ((bits & ATTR_CONTROL) !== 0) {
              if ((bits & ATTR_ABORT_MARKER) !== 0 && active.length > 0)
                removeOne(active, segment.producerIds![i]!);
              next = recordOffset + 1;
              continue;
            }
            if (
              active.length > 0 &&
              (bits & ATTR_TRANSACTIONAL) !== 0 &&
              active.includes(segment.producerIds![i]!)
            ) {
              next = recordOffset + 1;
              continue;
            }
          }
        }
        if (n >= maxRecords) break outer;
        const size = sizes[i]!;
        if (n > 0 && bytes + size > maxBytes) break outer;
        next = recordOffset + 1;
        outOffsets[n] = recordOffset;
        outKeys[n] = keys === null ? null : keys[i]!;
        outValues[n] = values[i];
        outHeaders[n] = headers === null ? null : headers[i]!;
        outTimestamps[n] = timestamps[i]!;
        bytes += size;
        n++;
      }
      // Whole segment consumed: skip any compacted-away tail (never past the LSO).
      if (segment.nextOffset > next) next = Math.min(segment.nextOffset, limit);
    }
    out.count = n;
    out.bytes = bytes;
    out.nextOffset = next;
    return n;
  }

  /**
   * Reads records as objects (convenient for tests and notebooks; consumers use {@link readInto}).
   *
   * @example
   * ```ts
   * log.read(0, 10).map((r) => r.value);
   * log.read(0, Infinity, Infinity, true); // read_committed
   * ```
   */
  read(
    offset: number,
    maxRecords = Number.POSITIVE_INFINITY,
    maxBytes = Number.POSITIVE_INFINITY,
    readCommitted = false,
  ): ConsumerRecord[] {
    const buffer = new FetchBuffer();
    const n = this.readInto(offset, maxRecords, maxBytes, buffer, readCommitted);
    const records: ConsumerRecord[] = [];
    buffer.pushRecords(n, this.topic, this.partition, this.config.messageTimestampType, records);
    return records;
  }

  /** Every stored record, oldest first (tests and notebooks); `readCommitted` as a read_committed consumer sees them. */
  all(readCommitted = false): ConsumerRecord[] {
    return this.read(this.start, Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY, readCommitted);
  }

  /**
   * Every stored slot, markers included, with its transactional flags (what the broker holds, not
   * what consumers see).
   *
   * @example
   * ```ts
   * log.entries().map((e) => `${e.offset}:${e.kind}`); // ["0:data", "1:data", "2:commit"]
   * ```
   */
  entries(): LogEntry[] {
    const result: LogEntry[] = [];
    for (const segment of this.segments) {
      for (let i = 0; i < segment.count; i++) {
        const offset = segment.offsetAt(i);
        if (offset < this.start) continue;
        const bits = segment.attributes === null ? 0 : segment.attributes[i]!;
        result.push({
          offset,
          kind: controlType(bits) ?? "data",
          transactional: (bits & ATTR_TRANSACTIONAL) !== 0,
          producerId: segment.producerIds === null ? -1 : segment.producerIds[i]!,
          value: segment.values[i],
          timestamp: segment.timestamps[i]!,
        });
      }
    }
    return result;
  }

  /** The aborted-transaction index of this partition, in marker order. */
  abortedTransactions(): AbortedTxn[] {
    return this.transactions.aborted.entries();
  }

  /**
   * Appends a transaction marker for `producerId` (the coordinator's WriteTxnMarkers) and returns
   * its offset. It ends that producer's open transaction here: the LSO moves on, and an abort's
   * records enter the aborted index. A marker for a transaction with no data here still takes an
   * offset, as in Kafka.
   */
  appendMarker(producerId: number, type: ControlRecordType): number {
    this.checkWritable();
    const now = this.clock();
    this.maybeRoll(now, CONTROL_RECORD_SIZE);
    const segment = this.active;
    segment.reserve(1);
    if (segment.count === 0) segment.firstAppendTime = now;
    const offset = segment.nextOffset;
    segment.push(
      null,
      controlRecordValue(type),
      null,
      now,
      CONTROL_RECORD_SIZE,
      controlAttributes(type),
      producerId,
    );
    this.transactions.complete(producerId, offset, type === "abort", this.active.nextOffset);
    if (this.start > 0) this.transactions.aborted.truncateBefore(this.start);
    if (this.waiters !== null) this.wake();
    return offset;
  }

  /**
   * The earliest offset whose timestamp is ≥ `timestamp` (Kafka's ListOffsets by time), or null
   * when no record is that recent.
   */
  offsetForTimestamp(timestamp: number): number | null {
    for (const segment of this.segments) {
      if (segment.maxTimestamp < timestamp) continue;
      for (let i = 0; i < segment.count; i++) {
        const offset = segment.offsetAt(i);
        if (offset < this.start) continue;
        if (segment.timestamps[i]! >= timestamp) return offset;
      }
    }
    return null;
  }

  /**
   * Moves the log start offset to `offset` (Kafka's DeleteRecords): records below it become
   * unreadable at once, segments wholly below it are deleted. Returns the new log start offset.
   */
  deleteRecordsBefore(offset: number): number {
    this.checkWritable();
    if (!Number.isInteger(offset) || offset < 0 || offset > this.logEndOffset) {
      throw new LogError(
        "OFFSET_OUT_OF_RANGE",
        `deleteRecords: offset ${describeValue(offset)} of ${this.topic}-${this.partition} is outside [0, ${this.logEndOffset}].`,
        { topic: this.topic, partition: this.partition, offset, logEndOffset: this.logEndOffset },
      );
    }
    if (offset <= this.start) return this.start;
    this.start = offset;
    while (this.segments.length > 1 && this.segments[0]!.nextOffset <= offset) this.segments.shift();
    return this.start;
  }

  /** Rolls a new active segment now (tests; retention uses it when every segment expires). */
  roll(): void {
    const now = this.clock();
    const base = this.active.nextOffset;
    this.segments.push(new Segment(base, now));
    if (this.bus?.wants("log.segment-rolled")) {
      this.bus.emit("log.segment-rolled", { topic: this.topic, partition: this.partition, baseOffset: base });
    }
  }

  /** Registers a one-shot callback for the next append (long polls). */
  onNextAppend(callback: () => void): () => void {
    if (this.waiters === null) this.waiters = [];
    this.waiters.push(callback);
    return () => {
      if (this.waiters === null) return;
      const i = this.waiters.indexOf(callback);
      if (i >= 0) this.waiters.splice(i, 1);
      if (this.waiters.length === 0) this.waiters = null;
    };
  }

  /** Asserts the structural invariants of this log. */
  checkInvariants(): void {
    const where = `${this.topic}-${this.partition}`;
    invariant(this.segments.length > 0, `${where}: no segments`);
    invariant(
      this.start >= 0 && this.start <= this.logEndOffset,
      () => `${where}: log start ${this.start} outside [0, ${this.logEndOffset}]`,
    );
    let previousEnd = -1;
    for (const segment of this.segments) {
      invariant(
        segment.baseOffset >= previousEnd,
        () => `${where}: segment ${segment.baseOffset} overlaps the previous one ending at ${previousEnd}`,
      );
      invariant(
        segment.nextOffset >= segment.baseOffset + (segment.offsets === null ? segment.count : 0),
        () => `${where}: segment ${segment.baseOffset} end before its records`,
      );
      let last = segment.baseOffset - 1;
      let bytes = 0;
      for (let i = 0; i < segment.count; i++) {
        const offset = segment.offsetAt(i);
        invariant(offset > last, () => `${where}: offsets not increasing at ${offset} (after ${last})`);
        invariant(
          segment.offsets !== null || offset === last + 1,
          () => `${where}: offsets not consecutive at ${offset}`,
        );
        last = offset;
        bytes += segment.sizes[i]!;
      }
      invariant(
        last < segment.nextOffset,
        () => `${where}: record ${last} beyond segment end ${segment.nextOffset}`,
      );
      invariant(
        bytes === segment.bytes,
        () => `${where}: segment ${segment.baseOffset} byte count ${segment.bytes} ≠ ${bytes}`,
      );
      previousEnd = segment.nextOffset;
    }
    this.transactions.checkInvariants(where, this.logEndOffset);
    invariant(
      this.lastStableOffset >= this.start && this.lastStableOffset <= this.highWatermark,
      () => `${where}: LSO ${this.lastStableOffset} outside [${this.start}, ${this.highWatermark}]`,
    );
  }

  // ---------------------------------------------------------------- internals

  /** Rolls when the batch would overflow `segment.bytes` or the segment is older than `segment.ms`. */
  private maybeRoll(now: number, batchBytes: number): void {
    const segment = this.active;
    if (segment.count === 0) return;
    if (
      segment.bytes + batchBytes > this.config.segmentBytes ||
      now - segment.firstAppendTime >= this.config.segmentMs
    ) {
      this.roll();
    }
  }

  /** Index of the last segment whose base is ≤ offset (0 if none). */
  private segmentIndexFor(offset: number): number {
    const segments = this.segments;
    let lo = 0;
    let hi = segments.length - 1;
    if (segments[hi]!.baseOffset <= offset) return hi;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (segments[mid]!.baseOffset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private checkRange(offset: number): void {
    if (offset < this.start || offset > this.active.nextOffset || !Number.isInteger(offset)) {
      throw new LogError(
        "OFFSET_OUT_OF_RANGE",
        `Offset ${offset} is out of range for ${this.topic}-${this.partition}: readable offsets are [${this.start}, ${this.active.nextOffset}]. ` +
          "Retention may have deleted it; seek to a valid offset or rely on auto.offset.reset.",
        {
          topic: this.topic,
          partition: this.partition,
          offset,
          logStartOffset: this.start,
          logEndOffset: this.active.nextOffset,
        },
      );
    }
  }

  private checkReadable(): void {
    if (this.deleted) throw this.unknown();
  }

  private checkWritable(): void {
    if (this.deleted) throw this.unknown();
  }

  private unknown(): LogError {
    return new LogError(
      "UNKNOWN_TOPIC_OR_PARTITION",
      `Partition ${this.topic}-${this.partition} does not exist any more: the topic was deleted.`,
      { topic: this.topic, partition: this.partition },
    );
  }

  private wake(): void {
    const waiters = this.waiters!;
    this.waiters = null;
    for (const waiter of waiters) waiter();
  }
}
