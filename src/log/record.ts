import { describeValue } from "../scheduler/describe-value.js";
import { InvalidArgumentError } from "../scheduler/errors.js";
import { checkFinite, checkInteger, checkOptions, checkString } from "../scheduler/validate.js";
import type { TopicPartition } from "./assignors/types.js";

export type { TopicPartition } from "./assignors/types.js";

/**
 * Record shapes shared by producers, the broker and consumers. Keys are strings, bytes or null;
 * values are any JS value (or bytes, or null for a tombstone); headers map names to strings or bytes.
 */

/** A record key: a string (hashed as its UTF-8 bytes), bytes, or null (keyless). */
export type RecordKey = string | Uint8Array | null;

/** One header value; Kafka allows repeated header names, so a value may be a list. */
export type HeaderValue = string | Uint8Array | readonly (string | Uint8Array)[];

/** Record headers. */
export type RecordHeaders = Readonly<Record<string, HeaderValue>>;

/** How a record's timestamp was set: by the producer, or by the broker on append (`message.timestamp.type`). */
export type TimestampType = "CreateTime" | "LogAppendTime";

/**
 * What a producer sends.
 *
 * @example
 * ```ts
 * producer.send({ topic: "orders", key: "customer-7", value: { total: 12 } });
 * ```
 */
export interface ProducerRecord<V = unknown> {
  topic: string;
  /** Default null (keyless). */
  key?: RecordKey;
  /** Null is a tombstone on compacted topics. */
  value: V | null;
  headers?: RecordHeaders | null;
  /** Explicit partition; wins over the partitioner. */
  partition?: number | null;
  /** CreateTime in virtual ms; default: the producer's current virtual time. */
  timestamp?: number | null;
}

/**
 * A record acknowledged by the broker. `offset` is -1 with `acks: 0` (the producer never learns it).
 *
 * @example
 * ```ts
 * const { partition, offset } = await producer.send({ topic: "t", value: "x" });
 * ```
 */
export interface RecordMetadata {
  topic: string;
  partition: number;
  offset: number;
  /** CreateTime, or the broker's append time on LogAppendTime topics (-1 with acks 0 there). */
  timestamp: number;
}

/**
 * A record as `poll()` returns it.
 *
 * @example
 * ```ts
 * for (const r of consumer.poll()) console.log(r.topic, r.partition, r.offset, r.value);
 * ```
 */
export interface ConsumerRecord<V = unknown> {
  topic: string;
  partition: number;
  offset: number;
  key: RecordKey;
  value: V | null;
  headers: RecordHeaders | null;
  timestamp: number;
  timestampType: TimestampType;
}

/**
 * An offset for one partition (for commits, seeks and listings); `metadata` is the free-form commit
 * metadata string Kafka stores beside a committed offset.
 *
 * @example
 * ```ts
 * consumer.commitSync([{ topic: "t", partition: 0, offset: 42 }]);
 * ```
 */
export interface TopicPartitionOffset extends TopicPartition {
  offset: number;
  metadata?: string;
}

/**
 * The string key of a partition, `topic:partition` (`:` cannot appear in a topic name, so keys are
 * unique).
 *
 * @example
 * ```ts
 * tpKey("orders", 3); // "orders:3"
 * ```
 */
export function tpKey(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}

/**
 * Formats a partition as Kafka's tools do, `topic-partition`.
 *
 * @example
 * ```ts
 * tpName({ topic: "orders", partition: 3 }); // "orders-3"
 * ```
 */
export function tpName(tp: TopicPartition): string {
  return `${tp.topic}-${tp.partition}`;
}

/**
 * Sorts partitions by topic, then number (a new array).
 *
 * @example
 * ```ts
 * sortPartitions([{ topic: "b", partition: 0 }, { topic: "a", partition: 1 }]); // a-1, b-0
 * ```
 */
export function sortPartitions<T extends TopicPartition>(list: readonly T[]): T[] {
  return list
    .slice()
    .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
}

/** Validates a `{ topic, partition }` argument. */
export function checkTopicPartitionArg(value: unknown, name: string, where: string): TopicPartition {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new InvalidArgumentError(`${where}: ${name} must be an object { topic, partition }.`);
  }
  const tp = value as TopicPartition;
  checkString(tp.topic, `${name}.topic`, where, true);
  checkInteger(tp.partition, `${name}.partition`, where, 0, 0x7fffffff);
  return { topic: tp.topic, partition: tp.partition };
}

/** Validates a list of `{ topic, partition }`; duplicates are refused. */
export function checkPartitionList(value: unknown, name: string, where: string): TopicPartition[] {
  if (!Array.isArray(value)) {
    throw new InvalidArgumentError(`${where}: ${name} must be an array of { topic, partition }.`);
  }
  const seen = new Set<string>();
  return value.map((item, i) => {
    const tp = checkTopicPartitionArg(item, `${name}[${i}]`, where);
    const key = tpKey(tp.topic, tp.partition);
    if (seen.has(key)) throw new InvalidArgumentError(`${where}: ${tpName(tp)} appears twice in ${name}.`);
    seen.add(key);
    return tp;
  });
}

/** Validates a list of `{ topic, partition, offset, metadata? }`. */
export function checkOffsetList(value: unknown, name: string, where: string): TopicPartitionOffset[] {
  if (!Array.isArray(value)) {
    throw new InvalidArgumentError(`${where}: ${name} must be an array of { topic, partition, offset }.`);
  }
  const seen = new Set<string>();
  return value.map((item, i) => {
    const tp = checkTopicPartitionArg(item, `${name}[${i}]`, where);
    checkOptions(item, ["topic", "partition", "offset", "metadata"], `${where}: ${name}[${i}]`);
    const raw = item as TopicPartitionOffset;
    checkInteger(raw.offset, `${name}[${i}].offset`, where, 0);
    if (raw.metadata !== undefined) checkString(raw.metadata, `${name}[${i}].metadata`, where);
    const key = tpKey(tp.topic, tp.partition);
    if (seen.has(key)) throw new InvalidArgumentError(`${where}: ${tpName(tp)} appears twice in ${name}.`);
    seen.add(key);
    return raw.metadata === undefined
      ? { ...tp, offset: raw.offset }
      : { ...tp, offset: raw.offset, metadata: raw.metadata };
  });
}

/** Validates a record key. */
export function checkKey(key: unknown, where: string): asserts key is RecordKey | undefined {
  if (key !== undefined && key !== null && typeof key !== "string" && !(key instanceof Uint8Array)) {
    throw new InvalidArgumentError(
      `${where}: key must be a string, a Uint8Array or null, got ${typeof key}. Serialize other keys first.`,
    );
  }
}

/** Validates headers: a plain object of string / bytes values (or lists of them). */
export function checkHeaders(
  headers: unknown,
  where: string,
): asserts headers is RecordHeaders | null | undefined {
  if (headers === undefined || headers === null) return;
  if (typeof headers !== "object" || Array.isArray(headers)) {
    throw new InvalidArgumentError(`${where}: headers must be an object of name → string or bytes.`);
  }
  for (const [name, value] of Object.entries(headers)) {
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) {
      if (typeof v !== "string" && !(v instanceof Uint8Array)) {
        throw new InvalidArgumentError(
          `${where}: header ${describeValue(name)} must be a string or a Uint8Array (or a list of them).`,
        );
      }
    }
  }
}

/** Validates an optional timestamp. */
export function checkTimestamp(timestamp: unknown, where: string): void {
  if (timestamp !== undefined && timestamp !== null) checkFinite(timestamp, "timestamp", where);
}
