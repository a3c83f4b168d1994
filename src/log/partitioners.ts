import { describeValue } from "../scheduler/describe-value.js";
import { InvalidArgumentError } from "../scheduler/errors.js";
import { checkFunction, checkInteger, checkOptions, checkString } from "../scheduler/validate.js";
import { kafkajsLegacyMurmur2, murmur2, toPositive } from "./murmur2.js";

/**
 * Partitioning strategies of Kafka producers: which partition a record goes to.
 *
 * Precedence is the same everywhere: an explicit partition wins, then the strategy; built-in
 * strategies hash keyed records and differ in what they do with null keys. Random choices come
 * from an injected `pickInt(bound)` so that a simulation can feed its seeded generator.
 */

/**
 * What a partitioner sees of one record.
 *
 * @example
 * ```ts
 * const input: PartitionInput = { topic: "orders", key: utf8Bytes("customer-42"), partitionCount: 12, valueSizeBytes: 310 };
 * ```
 */
export interface PartitionInput {
  /** Topic name; strategies that keep state (sticky, round-robin) keep it per topic. */
  readonly topic: string;
  /** Serialized key, or null for a keyless record. An empty array is a key, not a null key. */
  readonly key: Uint8Array | null;
  /** Number of partitions of the topic (≥ 1). */
  readonly partitionCount: number;
  /** Bytes this record adds to its batch; the sticky partitioner switches on their running total. */
  readonly valueSizeBytes: number;
  /** A partition the caller chose; when given it always wins. */
  readonly partition?: number | null | undefined;
  /**
   * Partitions that currently have a leader. Keyless records only go to these, as in Java and
   * kafkajs; keyed records hash over all partitions. Absent or empty means all partitions.
   */
  readonly availablePartitions?: readonly number[] | undefined;
}

/**
 * A partitioning strategy. Implementations may keep per-topic state (a counter, a sticky
 * partition), so one instance belongs to one producer.
 *
 * @example
 * ```ts
 * const everythingToZero: Partitioner = { partition: () => 0 };
 * resolvePartition(everythingToZero, { topic: "t", key: null, partitionCount: 3, valueSizeBytes: 10 }); // 0
 * ```
 */
export interface Partitioner {
  partition(input: PartitionInput): number;
}

/**
 * Returns a uniformly random integer in [0, bound); a simulation passes its seeded generator.
 *
 * @example
 * ```ts
 * const pickInt: PickInt = (bound) => sim.random.int(bound);
 * ```
 */
export type PickInt = (bound: number) => number;

const INPUT_KEYS = ["topic", "key", "partitionCount", "valueSizeBytes", "partition", "availablePartitions"];

function checkInput(input: PartitionInput, where: string): void {
  if (input === null || typeof input !== "object") {
    throw new InvalidArgumentError(`${where}: input must be an object with topic, key, partitionCount.`);
  }
  checkOptions(input, INPUT_KEYS, where);
  checkString(input.topic, "topic", where, true);
  if (input.key !== null && !(input.key instanceof Uint8Array)) {
    throw new InvalidArgumentError(
      `${where}: key must be a Uint8Array or null (encode string keys with utf8Bytes), got ${typeof input.key}.`,
    );
  }
  checkInteger(input.partitionCount, "partitionCount", where, 1, 0x7fffffff);
  checkInteger(input.valueSizeBytes, "valueSizeBytes", where, 0);
  if (input.availablePartitions !== undefined && !Array.isArray(input.availablePartitions)) {
    throw new InvalidArgumentError(`${where}: availablePartitions must be an array of partition numbers.`);
  }
}

function checkPartition(value: unknown, partitionCount: number, what: string, where: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value >= partitionCount) {
    throw new InvalidArgumentError(
      `${where}: ${what} must be an integer in [0, ${partitionCount}), got ${describeValue(value)}.`,
      "INVALID_PARTITION",
      { partition: value, partitionCount },
    );
  }
  return value;
}

function explicitPartition(input: PartitionInput, where: string): number | undefined {
  if (input.partition === undefined || input.partition === null) return undefined;
  return checkPartition(input.partition, input.partitionCount, "partition", where);
}

function checkPicked(value: number, bound: number, where: string): number {
  if (!Number.isInteger(value) || value < 0 || value >= bound) {
    throw new InvalidArgumentError(
      `${where}: pickInt(${bound}) returned ${describeValue(value)}, expected an integer in [0, ${bound}).`,
    );
  }
  return value;
}

/** Available partitions when some are listed, else null meaning "all of them". */
function availableOf(input: PartitionInput): readonly number[] | null {
  const available = input.availablePartitions;
  return available !== undefined && available.length > 0 ? available : null;
}

/** Picks `available[index]`, checking it, so a malformed list fails on the element actually used. */
function availableAt(
  available: readonly number[],
  index: number,
  input: PartitionInput,
  where: string,
): number {
  return checkPartition(available[index], input.partitionCount, "availablePartitions entry", where);
}

/**
 * Kafka's partition for a keyed record: `toPositive(murmur2(key)) % partitionCount`, over all
 * partitions whether or not they are available (Java's and kafkajs' `DefaultPartitioner`).
 *
 * @example
 * ```ts
 * keyedPartition(utf8Bytes("foobar"), 10); // 6
 * ```
 */
export function keyedPartition(keyBytes: Uint8Array, partitionCount: number): number {
  checkInteger(partitionCount, "partitionCount", "keyedPartition", 1, 0x7fffffff);
  return toPositive(murmur2(keyBytes)) % partitionCount;
}

/**
 * Applies a partitioner with Kafka's precedence: validates the input, returns the explicit
 * partition when there is one, otherwise asks the strategy and checks its answer is a real
 * partition (a custom strategy returning 7 of 3 partitions is an `INVALID_PARTITION` error, not a
 * record written nowhere).
 *
 * @example
 * ```ts
 * const p = new StickyPartitioner({ pickInt: (n) => rng.int(n) });
 * resolvePartition(p, { topic: "t", key: null, partitionCount: 3, valueSizeBytes: 100, partition: 2 }); // 2
 * ```
 */
export function resolvePartition(partitioner: Partitioner, input: PartitionInput): number {
  const where = "resolvePartition";
  if (partitioner === null || typeof partitioner !== "object") {
    throw new InvalidArgumentError(`${where}: partitioner must be an object with a partition(input) method.`);
  }
  checkFunction(partitioner.partition, "partitioner.partition", where);
  checkInput(input, where);
  const explicit = explicitPartition(input, where);
  if (explicit !== undefined) return explicit;
  return checkPartition(
    partitioner.partition(input),
    input.partitionCount,
    "the partitioner's result",
    where,
  );
}

/**
 * Options of {@link StickyPartitioner}.
 *
 * @example
 * ```ts
 * const options: StickyPartitionerOptions = { pickInt, batchSize: 16384, ignoreKeys: false };
 * ```
 */
export interface StickyPartitionerOptions {
  /** Random source for choosing the next sticky partition. */
  readonly pickInt: PickInt;
  /** Bytes sent to the sticky partition before switching (Kafka's `batch.size`, default 16384). */
  readonly batchSize?: number;
  /** Treat keyed records like keyless ones (Kafka's `partitioner.ignore.keys`, default false). */
  readonly ignoreKeys?: boolean;
}

/**
 * Java's built-in partitioner since Kafka 3.3 (KIP-794, uniform sticky, adaptive off): keyed
 * records hash with murmur2; keyless records stick to one partition per topic until at least
 * `batchSize` bytes went to it, then a uniformly random available partition is chosen (possibly
 * the same one). The record that crosses the threshold still goes to the old partition, as in
 * Java where the switch happens after the append. Keyed records do not count towards the total.
 *
 * Not modelled: adaptive (load-weighted) choice and the `linger.ms`-driven deferral that lets
 * Java run up to 2 × batch.size before switching.
 *
 * @example
 * ```ts
 * const p = new StickyPartitioner({ pickInt: (n) => rng.int(n), batchSize: 100 });
 * p.partition({ topic: "t", key: null, partitionCount: 4, valueSizeBytes: 60 }); // say 2
 * p.partition({ topic: "t", key: null, partitionCount: 4, valueSizeBytes: 60 }); // 2 again (120 ≥ 100: switch next)
 * p.partition({ topic: "t", key: null, partitionCount: 4, valueSizeBytes: 60 }); // a fresh random pick
 * ```
 */
export class StickyPartitioner implements Partitioner {
  private readonly pickInt: PickInt;
  private readonly batchSize: number;
  private readonly ignoreKeys: boolean;
  private readonly sticky = new Map<string, { partition: number; bytes: number }>();

  constructor(options: StickyPartitionerOptions) {
    const where = "StickyPartitioner";
    checkOptions(options, ["pickInt", "batchSize", "ignoreKeys"], where);
    if (options === undefined) throw new InvalidArgumentError(`${where}: options with pickInt are required.`);
    checkFunction(options.pickInt, "pickInt", where);
    const batchSize = options.batchSize ?? 16384;
    checkInteger(batchSize, "batchSize", where, 1);
    if (options.ignoreKeys !== undefined && typeof options.ignoreKeys !== "boolean") {
      throw new InvalidArgumentError(`${where}: ignoreKeys must be a boolean.`);
    }
    this.pickInt = options.pickInt;
    this.batchSize = batchSize;
    this.ignoreKeys = options.ignoreKeys ?? false;
  }

  partition(input: PartitionInput): number {
    const where = "StickyPartitioner.partition";
    checkInput(input, where);
    const explicit = explicitPartition(input, where);
    if (explicit !== undefined) return explicit;
    if (input.key !== null && !this.ignoreKeys) return toPositive(murmur2(input.key)) % input.partitionCount;

    let state = this.sticky.get(input.topic);
    if (state === undefined || state.partition >= input.partitionCount) {
      state = { partition: this.next(input, where), bytes: 0 };
      this.sticky.set(input.topic, state);
    }
    const chosen = state.partition;
    state.bytes += input.valueSizeBytes;
    if (state.bytes >= this.batchSize) {
      state.partition = this.next(input, where);
      state.bytes = 0;
    }
    return chosen;
  }

  /** Java's `BuiltInPartitioner.nextPartition` with adaptive partitioning off. */
  private next(input: PartitionInput, where: string): number {
    const available = availableOf(input);
    if (available === null)
      return checkPicked(this.pickInt(input.partitionCount), input.partitionCount, where);
    const index = checkPicked(this.pickInt(available.length), available.length, where);
    return availableAt(available, index, input, where);
  }
}

/**
 * Options of {@link RoundRobinPartitioner}.
 *
 * @example
 * ```ts
 * const options: RoundRobinPartitionerOptions = { start: pickInt(12), ignoreKeys: true };
 * ```
 */
export interface RoundRobinPartitionerOptions {
  /** Where each topic's cycle starts (default 0); pass a seeded pick to spread producers. */
  readonly start?: number;
  /** Round-robin keyed records too, like Java's `RoundRobinPartitioner` (default false: hash them). */
  readonly ignoreKeys?: boolean;
}

/**
 * Round-robin for keyless records: each topic cycles through its available partitions, one
 * record each, from `start`. Keyed records hash with murmur2 unless `ignoreKeys` is set, in which
 * case every record cycles, as with Java's `RoundRobinPartitioner` (without its known habit,
 * KAFKA-9965, of skipping a partition whenever a new batch is created).
 *
 * @example
 * ```ts
 * const p = new RoundRobinPartitioner();
 * const input = { topic: "t", key: null, partitionCount: 3, valueSizeBytes: 1 };
 * [p.partition(input), p.partition(input), p.partition(input), p.partition(input)]; // [0, 1, 2, 0]
 * ```
 */
export class RoundRobinPartitioner implements Partitioner {
  private readonly start: number;
  private readonly ignoreKeys: boolean;
  private readonly counters = new Map<string, number>();

  constructor(options: RoundRobinPartitionerOptions = {}) {
    const where = "RoundRobinPartitioner";
    checkOptions(options, ["start", "ignoreKeys"], where);
    const start = options.start ?? 0;
    checkInteger(start, "start", where, 0, 0x7fffffff);
    if (options.ignoreKeys !== undefined && typeof options.ignoreKeys !== "boolean") {
      throw new InvalidArgumentError(`${where}: ignoreKeys must be a boolean.`);
    }
    this.start = start;
    this.ignoreKeys = options.ignoreKeys ?? false;
  }

  partition(input: PartitionInput): number {
    const where = "RoundRobinPartitioner.partition";
    checkInput(input, where);
    const explicit = explicitPartition(input, where);
    if (explicit !== undefined) return explicit;
    if (input.key !== null && !this.ignoreKeys) return toPositive(murmur2(input.key)) % input.partitionCount;

    const counter = this.counters.get(input.topic) ?? this.start;
    // Wrap like Java's AtomicInteger so that toPositive keeps cycling after 2^31 records.
    this.counters.set(input.topic, (counter + 1) | 0);
    const available = availableOf(input);
    if (available === null) return toPositive(counter) % input.partitionCount;
    return availableAt(available, toPositive(counter) % available.length, input, where);
  }
}

/**
 * Options of the kafkajs partitioners.
 *
 * @example
 * ```ts
 * const options: KafkajsPartitionerOptions = { pickInt: (bound) => sim.random.int(bound) };
 * ```
 */
export interface KafkajsPartitionerOptions {
  /** Random source for each topic's starting counter (kafkajs draws it from crypto). */
  readonly pickInt: PickInt;
}

/**
 * kafkajs 2.x's partitioner logic, parameterised by its hash. Reproduces kafkajs exactly: a
 * per-topic counter starts at a random 32-bit value the first time the topic is seen (even if
 * that record is keyed), keyless records take `available[toPositive(++counter) % available]`.
 */
class KafkajsPartitioner implements Partitioner {
  private readonly pickInt: PickInt;
  private readonly hash: (bytes: Uint8Array) => number;
  private readonly where: string;
  private readonly counters = new Map<string, number>();

  constructor(options: KafkajsPartitionerOptions, hash: (bytes: Uint8Array) => number, name: string) {
    checkOptions(options, ["pickInt"], name);
    if (options === undefined) throw new InvalidArgumentError(`${name}: options with pickInt are required.`);
    checkFunction(options.pickInt, "pickInt", name);
    this.pickInt = options.pickInt;
    this.hash = hash;
    this.where = `${name}.partition`;
  }

  partition(input: PartitionInput): number {
    const where = this.where;
    checkInput(input, where);
    let counter = this.counters.get(input.topic);
    if (counter === undefined) {
      // kafkajs reads a random uint32; only its low 31 bits survive toPositive, so 2^31 is enough.
      counter = checkPicked(this.pickInt(0x80000000), 0x80000000, where);
      this.counters.set(input.topic, counter);
    }
    const explicit = explicitPartition(input, where);
    if (explicit !== undefined) return explicit;
    if (input.key !== null) return toPositive(this.hash(input.key)) % input.partitionCount;

    counter += 1;
    this.counters.set(input.topic, counter);
    const available = availableOf(input);
    if (available === null) return toPositive(counter) % input.partitionCount;
    return availableAt(available, toPositive(counter) % available.length, input, where);
  }
}

/**
 * kafkajs 2.x's `Partitioners.DefaultPartitioner` (formerly `JavaCompatiblePartitioner`): keyed
 * records go where a Java producer would put them; keyless records round-robin over available
 * partitions from a random per-topic start.
 *
 * @example
 * ```ts
 * const p = new KafkajsDefaultPartitioner({ pickInt: (n) => rng.int(n) });
 * p.partition({ topic: "t", key: utf8Bytes("foobar"), partitionCount: 10, valueSizeBytes: 1 }); // 6
 * ```
 */
export class KafkajsDefaultPartitioner extends KafkajsPartitioner {
  constructor(options: KafkajsPartitionerOptions) {
    super(options, murmur2, "KafkajsDefaultPartitioner");
  }
}

/**
 * kafkajs 2.x's `Partitioners.LegacyPartitioner` (the pre-2.0 default): like
 * {@link KafkajsDefaultPartitioner} but hashing with {@link kafkajsLegacyMurmur2}, so keyed
 * records land on different partitions than a Java producer would choose.
 *
 * @example
 * ```ts
 * const p = new KafkajsLegacyPartitioner({ pickInt: (n) => rng.int(n) });
 * p.partition({ topic: "t", key: utf8Bytes("21"), partitionCount: 10, valueSizeBytes: 1 });
 * ```
 */
export class KafkajsLegacyPartitioner extends KafkajsPartitioner {
  constructor(options: KafkajsPartitionerOptions) {
    super(options, kafkajsLegacyMurmur2, "KafkajsLegacyPartitioner");
  }
}
