import type { ConsumerRecord, RecordHeaders } from "../../log/record.js";
import { readBytes } from "./codec.js";
import type { Batch, IHeaders, KafkaMessage } from "./types.js";

/**
 * kafkajs' `Batch` (`src/consumer/batch.js`): the messages one fetch returned for one partition,
 * with the offsets and lags kafkajs computes from them. A batch may also be "empty due to
 * filtering": the fetch moved past records the consumer never sees (transaction control markers),
 * and kafkajs still resolves and commits past them.
 */

/**
 * Converts a stored record to kafkajs' message shape (`RecordBatchEntry`): fresh `Buffer`s for key,
 * value and header values, offset and timestamp as strings.
 *
 * @example
 * ```ts
 * toKafkaMessage(record).offset; // "42"
 * ```
 */
export function toKafkaMessage(record: ConsumerRecord): KafkaMessage {
  return {
    magicByte: 2,
    attributes: 0,
    timestamp: String(record.timestamp),
    offset: String(record.offset),
    key: readBytes(record.key),
    value: readBytes(record.value),
    headers: readHeaders(record.headers),
    isControlRecord: false,
  };
}

function readHeaders(headers: RecordHeaders | null): IHeaders {
  const out: IHeaders = {};
  if (headers === null) return out;
  for (const name of Object.keys(headers)) {
    const raw = headers[name]!;
    // kafkajs decodes a repeated header name to an array, a single one to a Buffer.
    out[name] = Array.isArray(raw) ? raw.map((v) => readBytes(v)!) : readBytes(raw)!;
  }
  return out;
}

/**
 * One partition's share of a fetch response.
 *
 * @example
 * ```ts
 * const batch = new FetchedBatch("orders", 0, 10, 15, messages, 14);
 * batch.offsetLag(); // "0" once the last message is offset 14
 * ```
 */
export class FetchedBatch implements Batch {
  readonly highWatermark: string;

  /**
   * @param fetchedOffset where the fetch started.
   * @param highWatermarkValue the partition's high watermark (last stable offset for read_committed) at fetch time.
   * @param lastReadOffset the last offset the fetch moved past, seen or not (-1 when it read nothing).
   */
  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly fetchedOffset: number,
    private readonly highWatermarkValue: number,
    readonly messages: KafkaMessage[],
    private readonly lastReadOffset: number,
  ) {
    this.highWatermark = String(highWatermarkValue);
  }

  /** True when no message is visible. */
  isEmpty(): boolean {
    return this.messages.length === 0;
  }

  /** True when the fetch read records but none is visible (control markers only). */
  isEmptyDueToFiltering(): boolean {
    return this.messages.length === 0 && this.lastReadOffset >= this.fetchedOffset;
  }

  /** Offset of the first message, or null. */
  firstOffset(): string | null {
    return this.messages.length === 0 ? null : this.messages[0]!.offset;
  }

  /** Offset of the last record read (the high watermark − 1 when nothing was read). */
  lastOffset(): string {
    if (this.lastReadOffset >= this.fetchedOffset) {
      const last = this.messages[this.messages.length - 1];
      return last !== undefined && Number(last.offset) >= this.lastReadOffset
        ? last.offset
        : String(this.lastReadOffset);
    }
    return String(this.highWatermarkValue - 1);
  }

  /** High watermark − 1 − last offset (lag behind the end after this batch). */
  offsetLag(): string {
    return String(this.highWatermarkValue - 1 - Number(this.lastOffset()));
  }

  /** High watermark − 1 − first offset ("0" for an empty batch). */
  offsetLagLow(): string {
    const first = this.firstOffset();
    return first === null ? "0" : String(this.highWatermarkValue - 1 - Number(first));
  }
}
