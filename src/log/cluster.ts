import { describeValue } from "../scheduler/describe-value.js";
import { InvalidArgumentError, invariant } from "../scheduler/errors.js";
import type { RepeatingHandle, Simulation } from "../scheduler/simulation.js";
import {
  checkFunction,
  checkInteger,
  checkNonNegative,
  checkOneOf,
  checkOptions,
  checkString,
} from "../scheduler/validate.js";
import { compactLog } from "./compaction.js";
import { Consumer, type ConsumerOptions } from "./consumer.js";
import { LogError, type LogErrorCode } from "./errors.js";
import { GroupCoordinator, type GroupDescription } from "./group-coordinator.js";
import { committedOffset, committedOffsets } from "./group-state.js";
import { Network } from "./network.js";
import type { PartitionLog } from "./partition-log.js";
import { Producer, type ProducerOptions } from "./producer.js";
import {
  type ConsumerRecord,
  checkOffsetList,
  type RecordHeaders,
  type RecordKey,
  sortPartitions,
  type TopicPartition,
  type TopicPartitionOffset,
} from "./record.js";
import { applyRetention } from "./retention.js";
import { ATTR_TRANSACTIONAL } from "./segment.js";
import type { Sizer } from "./sizer.js";
import { Topic } from "./topic.js";
import {
  resolveTopicConfig,
  TOPIC_DEFAULTS,
  type TopicConfig,
  type TopicConfigOptions,
  validatePartitionCount,
  validateTopicName,
} from "./topic-config.js";
import { TransactionCoordinator } from "./transaction-coordinator.js";
import type { TxnCrashHook } from "./transaction-manager.js";
import type { TransactionProtocol } from "./transaction-state.js";
import "./events.js";

/**
 * Options of a {@link LogCluster}: broker-level settings, with Kafka 3.x broker defaults.
 *
 * @example
 * ```ts
 * new LogCluster(sim, { requestLatencyMs: 1, groupInitialRebalanceDelayMs: 0 });
 * ```
 */
export interface LogClusterOptions {
  /** One-way client↔broker latency in virtual ms. Default 0 (requests still take their own event). */
  requestLatencyMs?: number;
  /** `auto.create.topics.enable`. Default **false** (Kafka: true): a typo should be an error in tests. */
  autoCreateTopics?: boolean;
  /** `num.partitions` for auto-created topics and `createTopic` without a count. Default 1. */
  defaultPartitions?: number;
  /** Defaults of every topic's configuration (overrides Kafka's, see {@link TOPIC_DEFAULTS}). */
  topicDefaults?: TopicConfigOptions;
  /** `group.initial.rebalance.delay.ms`. Default 3000. */
  groupInitialRebalanceDelayMs?: number;
  /** `group.min.session.timeout.ms`. Default 6000. */
  groupMinSessionTimeoutMs?: number;
  /** `group.max.session.timeout.ms`. Default 1800000. */
  groupMaxSessionTimeoutMs?: number;
  /** `log.retention.check.interval.ms`. Default 300000. */
  retentionCheckIntervalMs?: number;
  /** `log.cleaner.backoff.ms`: how often the compactor looks for dirty logs. Default 15000. */
  cleanerBackoffMs?: number;
  /**
   * Refuse commits beyond the log end with OFFSET_OUT_OF_RANGE. Default true. Real Kafka stores
   * any offset (the consumer resets later); the facade may turn this off to match.
   */
  validateCommitOffsets?: boolean;
  /** Byte sizes of values (see `sizer.ts`). */
  sizer?: Sizer;
  /**
   * Transaction protocol: "v1" (Kafka 3.x: one epoch per producer session, explicit
   * AddPartitionsToTxn; a delayed EndTxn can land in the next transaction) or "v2" (Kafka 4.0
   * `transaction.version=2`, KIP-890: the epoch is bumped at every commit and abort, partitions
   * are added implicitly, late requests are fenced). Default "v1", matching the 3.x defaults used
   * everywhere else.
   */
  transactionProtocol?: TransactionProtocol;
  /** `transaction.max.timeout.ms`: the largest `transaction.timeout.ms` a producer may ask for. Default 900000. */
  transactionMaxTimeoutMs?: number;
  /** `transaction.abort.timed.out.transaction.cleanup.interval.ms`: how often timed-out transactions are aborted. Default 10000. */
  transactionAbortTimedOutTransactionCleanupIntervalMs?: number;
  /** `transactional.id.expiration.ms`: idle transactional ids are forgotten after this. Default 604800000 (7 days). */
  transactionalIdExpirationMs?: number;
}

/** Resolved cluster options. */
export type ResolvedClusterOptions = Required<Omit<LogClusterOptions, "sizer" | "topicDefaults">> & {
  topicDefaults: TopicConfig;
  sizer: Sizer | undefined;
};

const OPTION_KEYS = [
  "requestLatencyMs",
  "autoCreateTopics",
  "defaultPartitions",
  "topicDefaults",
  "groupInitialRebalanceDelayMs",
  "groupMinSessionTimeoutMs",
  "groupMaxSessionTimeoutMs",
  "retentionCheckIntervalMs",
  "cleanerBackoffMs",
  "validateCommitOffsets",
  "sizer",
  "transactionProtocol",
  "transactionMaxTimeoutMs",
  "transactionAbortTimedOutTransactionCleanupIntervalMs",
  "transactionalIdExpirationMs",
];

/**
 * Offsets of one partition (Kafka's ListOffsets / kafkajs' `fetchTopicOffsets`).
 *
 * @example
 * ```ts
 * cluster.offsets("orders")[0]; // { partition: 0, logStartOffset: 0, highWatermark: 12, lastStableOffset: 12 }
 * ```
 */
export interface PartitionOffsets {
  partition: number;
  logStartOffset: number;
  highWatermark: number;
  lastStableOffset: number;
}

/**
 * Lag of one partition for a group: log end minus committed offset (log end minus log start when
 * nothing is committed).
 */
export interface PartitionLag {
  topic: string;
  partition: number;
  committed: number | null;
  logStartOffset: number;
  logEndOffset: number;
  lag: number;
}

/**
 * Lag of a group.
 *
 * @example
 * ```ts
 * cluster.lag("billing").total; // 1200
 * ```
 */
export interface GroupLag {
  groupId: string;
  total: number;
  partitions: PartitionLag[];
}

/** A topic as described by {@link LogCluster.describeTopic}. */
export interface TopicDescription {
  name: string;
  id: number;
  partitions: number;
  config: TopicConfig;
}

/** Broker-side outcome of one produce batch. */
export interface ProduceBatchResult {
  error: LogErrorCode | null;
  message: string;
  baseOffset: number;
  logAppendTime: number;
  duplicate: boolean;
}

/** One produce batch as the broker receives it. */
export interface ProduceBatch {
  topic: string;
  partition: number;
  keys: readonly RecordKey[];
  values: readonly unknown[];
  headers: readonly (RecordHeaders | null)[];
  timestamps: readonly number[];
  sizes: readonly number[];
  producerId: number;
  epoch: number;
  /** First sequence number, -1 for non-idempotent producers. */
  sequence: number;
  /** Records of a transaction (verified against the transaction coordinator, marked in the log). */
  transactional?: boolean;
}

/**
 * A Kafka cluster inside a simulation (one broker): topics and partitions, the group coordinator,
 * producer ids, periodic retention and compaction on virtual time, and factories for producers and
 * consumers. Everything time-dependent runs on `sim`'s clock.
 *
 * @example
 * ```ts
 * const sim = new Simulation({ seed: 1 });
 * const cluster = new LogCluster(sim, { groupInitialRebalanceDelayMs: 0 });
 * cluster.createTopic("orders", { partitions: 3 });
 * const producer = cluster.producer();
 * await producer.send({ topic: "orders", key: "k", value: "hello" });
 * const consumer = cluster.consumer({ groupId: "billing", autoOffsetReset: "earliest" });
 * consumer.subscribe(["orders"]);
 * const records = await consumer.pollAsync(10_000);
 * ```
 */
export class LogCluster {
  readonly sim: Simulation;
  readonly network: Network;
  readonly coordinator: GroupCoordinator;
  /** The transaction coordinator (transactional ids, producer epochs, markers, timeouts). */
  readonly transactions: TransactionCoordinator;
  readonly options: ResolvedClusterOptions;
  /** Incremented by every topic creation, deletion and partition change (clients compare it on refresh). */
  metadataVersion = 0;
  private readonly topics = new Map<string, Topic>();
  private nextTopicId = 1;
  private nextProducerId = 1;
  private readonly producerEpochs = new Map<number, number>();
  private nextClientId = 1;
  private readonly producers = new Set<Producer>();
  private readonly consumers = new Set<Consumer>();
  private retentionTimer: RepeatingHandle | null = null;
  private cleanerTimer: RepeatingHandle | null = null;
  private closed = false;
  private txnCrashHook: TxnCrashHook | null = null;

  constructor(sim: Simulation, options: LogClusterOptions = {}) {
    const where = "LogCluster";
    checkOptions(options, OPTION_KEYS, where);
    if (sim === null || typeof sim !== "object" || typeof (sim as Simulation).schedule !== "function") {
      throw new InvalidArgumentError(`${where}: the first argument must be a Simulation.`);
    }
    const resolved: ResolvedClusterOptions = {
      requestLatencyMs: options.requestLatencyMs ?? 0,
      autoCreateTopics: options.autoCreateTopics ?? false,
      defaultPartitions: options.defaultPartitions ?? 1,
      topicDefaults: resolveTopicConfig(options.topicDefaults, TOPIC_DEFAULTS, `${where}: topicDefaults`),
      groupInitialRebalanceDelayMs: options.groupInitialRebalanceDelayMs ?? 3000,
      groupMinSessionTimeoutMs: options.groupMinSessionTimeoutMs ?? 6000,
      groupMaxSessionTimeoutMs: options.groupMaxSessionTimeoutMs ?? 1_800_000,
      retentionCheckIntervalMs: options.retentionCheckIntervalMs ?? 300_000,
      cleanerBackoffMs: options.cleanerBackoffMs ?? 15_000,
      validateCommitOffsets: options.validateCommitOffsets ?? true,
      sizer: options.sizer,
      transactionProtocol: options.transactionProtocol ?? "v1",
      transactionMaxTimeoutMs: options.transactionMaxTimeoutMs ?? 900_000,
      transactionAbortTimedOutTransactionCleanupIntervalMs:
        options.transactionAbortTimedOutTransactionCleanupIntervalMs ?? 10_000,
      transactionalIdExpirationMs: options.transactionalIdExpirationMs ?? 604_800_000,
    };
    checkNonNegative(resolved.requestLatencyMs, "requestLatencyMs", where);
    if (typeof resolved.autoCreateTopics !== "boolean")
      throw new InvalidArgumentError(`${where}: autoCreateTopics must be a boolean.`);
    validatePartitionCount(resolved.defaultPartitions, where);
    checkNonNegative(resolved.groupInitialRebalanceDelayMs, "groupInitialRebalanceDelayMs", where);
    checkNonNegative(resolved.groupMinSessionTimeoutMs, "groupMinSessionTimeoutMs", where);
    checkNonNegative(resolved.groupMaxSessionTimeoutMs, "groupMaxSessionTimeoutMs", where);
    if (resolved.groupMaxSessionTimeoutMs < resolved.groupMinSessionTimeoutMs) {
      throw new InvalidArgumentError(`${where}: groupMaxSessionTimeoutMs is below groupMinSessionTimeoutMs.`);
    }
    checkInteger(resolved.retentionCheckIntervalMs, "retentionCheckIntervalMs", where, 1);
    checkInteger(resolved.cleanerBackoffMs, "cleanerBackoffMs", where, 1);
    if (typeof resolved.validateCommitOffsets !== "boolean")
      throw new InvalidArgumentError(`${where}: validateCommitOffsets must be a boolean.`);
    if (resolved.sizer !== undefined) checkFunction(resolved.sizer, "sizer", where);
    checkOneOf(resolved.transactionProtocol, ["v1", "v2"], "transactionProtocol", where);
    checkInteger(resolved.transactionMaxTimeoutMs, "transactionMaxTimeoutMs", where, 1);
    checkInteger(
      resolved.transactionAbortTimedOutTransactionCleanupIntervalMs,
      "transactionAbortTimedOutTransactionCleanupIntervalMs",
      where,
      1,
    );
    checkInteger(resolved.transactionalIdExpirationMs, "transactionalIdExpirationMs", where, 1);
    this.sim = sim;
    this.options = resolved;
    this.network = new Network(resolved.requestLatencyMs);
    this.coordinator = new GroupCoordinator({
      sim,
      network: this.network,
      partitionCount: (topic) => this.topics.get(topic)?.partitionCount ?? null,
      highWatermark: (topic, partition) =>
        this.topics.get(topic)?.partitions[partition]?.highWatermark ?? null,
      initialRebalanceDelayMs: resolved.groupInitialRebalanceDelayMs,
      minSessionTimeoutMs: resolved.groupMinSessionTimeoutMs,
      maxSessionTimeoutMs: resolved.groupMaxSessionTimeoutMs,
      validateCommitOffsets: resolved.validateCommitOffsets,
    });
    this.transactions = new TransactionCoordinator({
      sim,
      network: this.network,
      groups: this.coordinator,
      protocol: resolved.transactionProtocol,
      maxTimeoutMs: resolved.transactionMaxTimeoutMs,
      cleanupIntervalMs: resolved.transactionAbortTimedOutTransactionCleanupIntervalMs,
      idExpirationMs: resolved.transactionalIdExpirationMs,
      allocateProducerId: () => this.nextProducerId++,
      setProducerEpoch: (producerId, epoch) => this.producerEpochs.set(producerId, epoch),
      producerEpoch: (producerId) => this.producerEpochs.get(producerId) ?? -1,
      partition: (topic, partition) => this.topics.get(topic)?.partitions[partition] ?? null,
    });
    this.retentionTimer = sim.every(resolved.retentionCheckIntervalMs, () => this.applyRetention(), {
      label: "log retention check",
    });
  }

  // ---------------------------------------------------------------- topics

  /**
   * Creates a topic. Errors: INVALID_TOPIC_NAME, INVALID_PARTITIONS, TOPIC_ALREADY_EXISTS,
   * INVALID_CONFIG; nothing is created on error.
   *
   * @example
   * ```ts
   * cluster.createTopic("users", { partitions: 6, config: { cleanupPolicy: "compact" } });
   * ```
   */
  createTopic(
    name: string,
    options: { partitions?: number; config?: TopicConfigOptions } = {},
  ): TopicDescription {
    const where = "createTopic";
    this.checkOpen(where);
    validateTopicName(name, where);
    checkOptions(options, ["partitions", "config"], where);
    const partitions = options.partitions ?? this.options.defaultPartitions;
    validatePartitionCount(partitions, where);
    const config = resolveTopicConfig(options.config, this.options.topicDefaults, `${where}: config`);
    if (this.topics.has(name)) {
      throw new LogError("TOPIC_ALREADY_EXISTS", `${where}: topic ${describeValue(name)} already exists.`, {
        topic: name,
      });
    }
    const topic = new Topic(
      name,
      this.nextTopicId++,
      partitions,
      config,
      () => this.sim.now,
      this.sim.bus,
      this.options.sizer,
    );
    this.topics.set(name, topic);
    this.metadataVersion++;
    if (config.cleanupPolicy !== "delete") this.ensureCleaner();
    if (this.sim.bus.wants("log.topic-created"))
      this.sim.bus.emit("log.topic-created", { topic: name, partitions });
    return this.describeTopic(name);
  }

  /**
   * Deletes a topic and its records; groups lose its committed offsets. Unknown topic:
   * UNKNOWN_TOPIC_OR_PARTITION.
   *
   * @example
   * ```ts
   * cluster.deleteTopic("scratch");
   * ```
   */
  deleteTopic(name: string): void {
    const topic = this.topic(name, "deleteTopic");
    topic.markDeleted();
    this.topics.delete(name);
    this.metadataVersion++;
    this.coordinator.topicDeleted(name);
    if (this.sim.bus.wants("log.topic-deleted")) this.sim.bus.emit("log.topic-deleted", { topic: name });
  }

  /**
   * Raises a topic's partition count to `total` (Kafka's CreatePartitions). Keyed records hash
   * differently afterwards. `total` ≤ current count: INVALID_PARTITIONS.
   *
   * @example
   * ```ts
   * cluster.addPartitions("orders", 6);
   * ```
   */
  addPartitions(name: string, total: number): void {
    const where = "addPartitions";
    const topic = this.topic(name, where);
    validatePartitionCount(total, where);
    if (total <= topic.partitionCount) {
      throw new LogError(
        "INVALID_PARTITIONS",
        `${where}: topic ${name} already has ${topic.partitionCount} partitions; the new total must be larger (partitions cannot be removed).`,
        {
          topic: name,
          partitions: total,
          current: topic.partitionCount,
        },
      );
    }
    const from = topic.partitionCount;
    topic.grow(total);
    this.metadataVersion++;
    if (this.sim.bus.wants("log.partitions-added"))
      this.sim.bus.emit("log.partitions-added", { topic: name, from, to: total });
  }

  /**
   * Changes topic configuration (Kafka's IncrementalAlterConfigs): given keys are replaced, others stay.
   *
   * @example
   * ```ts
   * cluster.alterTopicConfig("events", { retentionMs: 60_000 });
   * ```
   */
  alterTopicConfig(name: string, config: TopicConfigOptions): TopicConfig {
    const topic = this.topic(name, "alterTopicConfig");
    const next = resolveTopicConfig(config, topic.config, "alterTopicConfig");
    topic.setConfig(next);
    if (next.cleanupPolicy !== "delete") this.ensureCleaner();
    return { ...next };
  }

  /** True when the topic exists. */
  hasTopic(name: string): boolean {
    return this.topics.has(name);
  }

  /** Topic names, sorted. */
  listTopics(): string[] {
    return [...this.topics.keys()].sort();
  }

  /** A topic's name, id, partition count and configuration. */
  describeTopic(name: string): TopicDescription {
    const topic = this.topic(name, "describeTopic");
    return { name, id: topic.id, partitions: topic.partitionCount, config: { ...topic.config } };
  }

  /**
   * The topic object; UNKNOWN_TOPIC_OR_PARTITION if absent.
   *
   * @example
   * ```ts
   * cluster.topic("orders").partitionCount;
   * ```
   */
  topic(name: string, where = "topic"): Topic {
    checkString(name, "topic", where, true);
    const topic = this.topics.get(name);
    if (topic === undefined) {
      throw new LogError(
        "UNKNOWN_TOPIC_OR_PARTITION",
        `${where}: topic ${describeValue(name)} does not exist. Known topics: ${this.listTopics().join(", ") || "none"}.`,
        {
          topic: name,
        },
      );
    }
    return topic;
  }

  /** @internal The topic, or undefined when there is none (no auto-creation). */
  findTopic(name: string): Topic | undefined {
    return this.topics.get(name);
  }

  /**
   * @internal The partition count `resolveTopic(name)` would give, without creating anything: a
   * send validates its partition against it before the topic is auto-created.
   */
  prospectivePartitionCount(name: string, where: string): number {
    const existing = this.topics.get(name);
    if (existing !== undefined) return existing.partitionCount;
    if (this.options.autoCreateTopics) {
      this.checkOpen(where);
      validateTopicName(name, where);
      return this.options.defaultPartitions;
    }
    return this.topic(name, where).partitionCount;
  }

  /** @internal The topic, created on the fly when `autoCreateTopics` is on. */
  resolveTopic(name: string, where: string): Topic {
    const existing = this.topics.get(name);
    if (existing !== undefined) return existing;
    if (this.options.autoCreateTopics) {
      this.createTopic(name);
      return this.topics.get(name)!;
    }
    return this.topic(name, where);
  }

  /**
   * One partition's log; UNKNOWN_TOPIC_OR_PARTITION if absent.
   *
   * @example
   * ```ts
   * cluster.partition("orders", 0).logEndOffset;
   * ```
   */
  partition(topic: string, partition: number, where = "partition"): PartitionLog {
    const t = this.topic(topic, where);
    checkInteger(partition, "partition", where, 0);
    const log = t.partitions[partition];
    if (log === undefined) {
      throw new LogError(
        "UNKNOWN_TOPIC_OR_PARTITION",
        `${where}: topic ${topic} has ${t.partitionCount} partitions; partition ${partition} does not exist.`,
        {
          topic,
          partition,
        },
      );
    }
    return log;
  }

  /**
   * Reads records directly from a partition (no consumer, no group), markers never included;
   * `isolationLevel: "read_committed"` stops at the last stable offset and drops aborted records.
   * Offsets outside [log start, log end]: OFFSET_OUT_OF_RANGE; missing topic:
   * UNKNOWN_TOPIC_OR_PARTITION.
   *
   * @example
   * ```ts
   * cluster.fetch("orders", 0, 0, { maxRecords: 10 }).map((r) => r.value);
   * cluster.fetch("order-totals", 0, 0, { isolationLevel: "read_committed" });
   * ```
   */
  fetch(
    topic: string,
    partition: number,
    offset: number,
    options: {
      maxRecords?: number;
      maxBytes?: number;
      isolationLevel?: "read_uncommitted" | "read_committed";
    } = {},
  ): ConsumerRecord[] {
    const where = "fetch";
    checkOptions(options, ["maxRecords", "maxBytes", "isolationLevel"], where);
    const isolationLevel = options.isolationLevel ?? "read_uncommitted";
    checkOneOf(isolationLevel, ["read_uncommitted", "read_committed"], "isolationLevel", where);
    const log = this.partition(topic, partition, where);
    checkInteger(offset, "offset", where, 0);
    const maxRecords = options.maxRecords ?? Number.POSITIVE_INFINITY;
    const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
    if (maxRecords !== Number.POSITIVE_INFINITY) checkInteger(maxRecords, "maxRecords", where, 1);
    if (maxBytes !== Number.POSITIVE_INFINITY) checkInteger(maxBytes, "maxBytes", where, 1);
    return log.read(offset, maxRecords, maxBytes, isolationLevel === "read_committed");
  }

  /** Log start, high watermark and last stable offset of every partition of a topic. */
  offsets(topic: string): PartitionOffsets[] {
    return this.topic(topic, "offsets").partitions.map((log) => ({
      partition: log.partition,
      logStartOffset: log.logStartOffset,
      highWatermark: log.highWatermark,
      lastStableOffset: log.lastStableOffset,
    }));
  }

  /** Earliest offset with a timestamp ≥ `timestamp`, or null (Kafka's ListOffsets by time). */
  offsetForTimestamp(topic: string, partition: number, timestamp: number): number | null {
    const log = this.partition(topic, partition, "offsetForTimestamp");
    checkNonNegative(timestamp, "timestamp", "offsetForTimestamp");
    return log.offsetForTimestamp(timestamp);
  }

  /** Moves a partition's log start offset (Kafka's DeleteRecords); returns the new start. */
  deleteRecords(topic: string, partition: number, beforeOffset: number): number {
    return this.partition(topic, partition, "deleteRecords").deleteRecordsBefore(beforeOffset);
  }

  // ---------------------------------------------------------------- clients

  /**
   * A producer on this cluster. See {@link ProducerOptions} for Kafka's defaults.
   *
   * @example
   * ```ts
   * const producer = cluster.producer({ lingerMs: 5, acks: 1 });
   * ```
   */
  producer(options: ProducerOptions = {}): Producer {
    this.checkOpen("producer");
    const producer = new Producer(this, options);
    this.producers.add(producer);
    return producer;
  }

  /**
   * A consumer on this cluster. See {@link ConsumerOptions} for Kafka's defaults.
   *
   * @example
   * ```ts
   * const consumer = cluster.consumer({ groupId: "g", autoOffsetReset: "earliest" });
   * ```
   */
  consumer(options: ConsumerOptions = {}): Consumer {
    this.checkOpen("consumer");
    const consumer = new Consumer(this, options);
    this.consumers.add(consumer);
    return consumer;
  }

  /** @internal A fresh client id like `producer-3`. */
  clientId(kind: "producer" | "consumer"): string {
    return `${kind}-${this.nextClientId++}`;
  }

  /** @internal Forget a closed client. */
  forget(client: Producer | Consumer): void {
    if (client instanceof Producer) this.producers.delete(client);
    else this.consumers.delete(client);
  }

  /** Allocates a producer id with epoch 0 (Kafka's InitProducerId for idempotent producers). */
  initProducerId(): { producerId: number; epoch: number } {
    const producerId = this.nextProducerId++;
    this.producerEpochs.set(producerId, 0);
    return { producerId, epoch: 0 };
  }

  /** Bumps a producer id's epoch (KIP-360 recovery; transactions fence with it). Returns the new epoch. */
  bumpProducerEpoch(producerId: number): number {
    const epoch = (this.producerEpochs.get(producerId) ?? -1) + 1;
    this.producerEpochs.set(producerId, epoch);
    return epoch;
  }

  /**
   * Installs (or with null removes) a crash hook for every transactional producer of this cluster
   * that has none of its own: the fault points where the semantics layer can crash a producer
   * (see {@link TxnCrashHook}).
   *
   * @example
   * ```ts
   * cluster.setTransactionCrashHook((point, info) => point === "before-commit" && info.transaction === 2);
   * ```
   */
  setTransactionCrashHook(hook: TxnCrashHook | null): void {
    if (hook !== null) checkFunction(hook, "hook", "setTransactionCrashHook");
    this.txnCrashHook = hook;
  }

  /** @internal The cluster-wide transactional crash hook. */
  get transactionCrashHook(): TxnCrashHook | null {
    return this.txnCrashHook;
  }

  /**
   * @internal The broker's handling of one produce batch: topic checks, compacted-topic key check,
   * idempotent sequence checks (duplicates answered with their original offsets), then the append.
   */
  handleProduce(batch: ProduceBatch): ProduceBatchResult {
    const now = this.sim.now;
    const topic = this.topics.get(batch.topic);
    const log = topic?.partitions[batch.partition];
    const fail = (error: LogErrorCode, message: string): ProduceBatchResult => {
      if (this.sim.bus.wants("log.append-rejected")) {
        this.sim.bus.emit("log.append-rejected", {
          topic: batch.topic,
          partition: batch.partition,
          producerId: batch.producerId,
          code: error,
        });
      }
      return { error, message, baseOffset: -1, logAppendTime: -1, duplicate: false };
    };
    if (topic === undefined || log === undefined) {
      return fail(
        "UNKNOWN_TOPIC_OR_PARTITION",
        `Partition ${batch.topic}-${batch.partition} does not exist.`,
      );
    }
    if (topic.config.cleanupPolicy !== "delete" && batch.keys.some((k) => k === null)) {
      return fail(
        "INVALID_RECORD",
        `Topic ${batch.topic} is compacted (cleanup.policy=${topic.config.cleanupPolicy}); compacted topics cannot accept records without a key.`,
      );
    }
    const idempotent = batch.producerId >= 0 && batch.sequence >= 0;
    if (batch.producerId >= 0) {
      const current = this.producerEpochs.get(batch.producerId) ?? 0;
      if (batch.epoch < current) {
        return fail(
          "INVALID_PRODUCER_EPOCH",
          `Producer ${batch.producerId} epoch ${batch.epoch} is older than the current epoch ${current}: it was fenced.`,
        );
      }
    }
    if (batch.transactional === true) {
      const refused = this.transactions.verifyProduce(
        batch.producerId,
        batch.epoch,
        batch.topic,
        batch.partition,
      );
      if (refused !== null) return fail(refused.code, refused.message);
    }
    if (idempotent) {
      const verdict = log.producers.check(batch.producerId, batch.epoch, batch.sequence, batch.values.length);
      if (verdict.kind === "duplicate") {
        if (this.sim.bus.wants("log.duplicate")) {
          this.sim.bus.emit("log.duplicate", {
            topic: batch.topic,
            partition: batch.partition,
            producerId: batch.producerId,
            sequence: batch.sequence,
            baseOffset: verdict.batch.baseOffset,
          });
        }
        return {
          error: null,
          message: "",
          baseOffset: verdict.batch.baseOffset,
          logAppendTime: verdict.batch.timestamp,
          duplicate: true,
        };
      }
      if (verdict.kind === "error") {
        return fail(
          verdict.code,
          verdict.code === "INVALID_PRODUCER_EPOCH"
            ? `Producer ${batch.producerId} epoch ${batch.epoch} is fenced on ${batch.topic}-${batch.partition}.`
            : `Producer ${batch.producerId} sent sequence ${batch.sequence} to ${batch.topic}-${batch.partition}, expected ${verdict.expected}.`,
        );
      }
    }
    const baseOffset = log.appendBatch(
      batch.keys,
      batch.values,
      batch.headers,
      batch.timestamps,
      0,
      batch.values.length,
      batch.sizes,
      batch.producerId,
      batch.sequence,
      batch.transactional === true ? ATTR_TRANSACTIONAL : 0,
    );
    if (idempotent)
      log.producers.record(
        batch.producerId,
        batch.epoch,
        batch.sequence,
        batch.values.length,
        baseOffset,
        now,
      );
    return { error: null, message: "", baseOffset, logAppendTime: now, duplicate: false };
  }

  // ---------------------------------------------------------------- groups

  /** Describes a group; an unknown group reads as state "Dead" with no members, as in Kafka. */
  describeGroup(groupId: string): GroupDescription {
    checkString(groupId, "groupId", "describeGroup", true);
    return this.coordinator.describe(groupId);
  }

  /** Known group ids, sorted. */
  listGroups(): string[] {
    return this.coordinator.groupIds();
  }

  /**
   * Committed offsets of a group. Unknown group: GROUP_ID_NOT_FOUND.
   *
   * @example
   * ```ts
   * cluster.groupOffsets("billing"); // [{ topic: "orders", partition: 0, offset: 42, metadata: "" }]
   * ```
   */
  groupOffsets(groupId: string, topic?: string): TopicPartitionOffset[] {
    const state = this.knownGroup(groupId, "groupOffsets");
    if (topic !== undefined) checkString(topic, "topic", "groupOffsets", true);
    return committedOffsets(state)
      .filter((c) => topic === undefined || c.topic === topic)
      .map((c) => ({ topic: c.topic, partition: c.partition, offset: c.offset, metadata: c.metadata }));
  }

  /**
   * Sets committed offsets of a group from outside it (kafkajs' `admin.setOffsets`); refused with
   * UNKNOWN_MEMBER_ID while the group has members. Creates the group if needed.
   *
   * @example
   * ```ts
   * cluster.setGroupOffsets("billing", [{ topic: "orders", partition: 0, offset: 0 }]);
   * ```
   */
  setGroupOffsets(groupId: string, offsets: readonly TopicPartitionOffset[]): void {
    checkString(groupId, "groupId", "setGroupOffsets", true);
    const list = checkOffsetList(offsets, "offsets", "setGroupOffsets");
    this.coordinator.commit(groupId, { memberId: "", generation: -1 }, list);
  }

  /**
   * Resets a group's offsets of a topic to its earliest or latest offsets (kafkajs' `resetOffsets`).
   *
   * @example
   * ```ts
   * cluster.resetGroupOffsets("billing", "orders", "earliest");
   * ```
   */
  resetGroupOffsets(groupId: string, topic: string, to: "earliest" | "latest" = "latest"): void {
    checkOneOf(to, ["earliest", "latest"], "to", "resetGroupOffsets");
    const offsets = this.offsets(topic).map((o) => ({
      topic,
      partition: o.partition,
      offset: to === "earliest" ? o.logStartOffset : o.highWatermark,
    }));
    this.setGroupOffsets(groupId, offsets);
  }

  /** Deletes an empty group: GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP. */
  deleteGroup(groupId: string): void {
    checkString(groupId, "groupId", "deleteGroup", true);
    this.coordinator.deleteGroup(groupId);
  }

  /**
   * Lag of a group per partition (committed partitions and partitions currently assigned) and in
   * total: log end (the last stable offset for `read_committed`) minus committed offset. Markers
   * count as offsets, so a group that consumed a committed transaction may show a lag of 1 until
   * its next poll moves past the marker, as in Kafka. Unknown group: GROUP_ID_NOT_FOUND.
   *
   * @example
   * ```ts
   * const { total, partitions } = cluster.lag("billing");
   * ```
   */
  lag(groupId: string, options: { isolationLevel?: "read_uncommitted" | "read_committed" } = {}): GroupLag {
    const state = this.knownGroup(groupId, "lag");
    checkOptions(options, ["isolationLevel"], "lag");
    const isolationLevel = options.isolationLevel ?? "read_uncommitted";
    checkOneOf(isolationLevel, ["read_uncommitted", "read_committed"], "isolationLevel", "lag");
    const partitions = new Map<string, TopicPartition>();
    for (const c of committedOffsets(state))
      partitions.set(`${c.topic}:${c.partition}`, { topic: c.topic, partition: c.partition });
    for (const member of state.members.values())
      for (const tp of member.assignment) partitions.set(`${tp.topic}:${tp.partition}`, tp);
    const result: PartitionLag[] = [];
    let total = 0;
    for (const tp of sortPartitions([...partitions.values()])) {
      const log = this.topics.get(tp.topic)?.partitions[tp.partition];
      if (log === undefined) continue;
      const committed = committedOffset(state, tp.topic, tp.partition)?.offset ?? null;
      const end = isolationLevel === "read_committed" ? log.lastStableOffset : log.highWatermark;
      const lag = Math.max(0, end - Math.max(committed ?? log.logStartOffset, log.logStartOffset));
      total += lag;
      result.push({
        topic: tp.topic,
        partition: tp.partition,
        committed,
        logStartOffset: log.logStartOffset,
        logEndOffset: end,
        lag,
      });
    }
    return { groupId, total, partitions: result };
  }

  // ---------------------------------------------------------------- cleaning

  /**
   * Runs retention and compaction now on every partition (the periodic cleaner does the same on
   * its schedule). `forceCompaction` ignores `min.cleanable.dirty.ratio`.
   *
   * @example
   * ```ts
   * cluster.clean({ forceCompaction: true });
   * ```
   */
  clean(options: { forceCompaction?: boolean } = {}): void {
    checkOptions(options, ["forceCompaction"], "clean");
    this.applyRetention();
    this.compact(options.forceCompaction ?? false);
  }

  private applyRetention(): void {
    const now = this.sim.now;
    for (const topic of this.topics.values()) {
      for (const log of topic.partitions) {
        const result = applyRetention(log, now);
        if (result.segments > 0 && this.sim.bus.wants("log.retention")) {
          this.sim.bus.emit("log.retention", {
            topic: topic.name,
            partition: log.partition,
            segments: result.segments,
            records: result.records,
            logStartOffset: log.logStartOffset,
          });
        }
      }
    }
  }

  private compact(force: boolean): void {
    const now = this.sim.now;
    for (const topic of this.topics.values()) {
      if (topic.config.cleanupPolicy === "delete") continue;
      for (const log of topic.partitions) {
        const result = compactLog(log, now, force);
        if (result !== null && this.sim.bus.wants("log.compaction")) {
          this.sim.bus.emit("log.compaction", { topic: topic.name, partition: log.partition, ...result });
        }
      }
    }
  }

  private ensureCleaner(): void {
    if (this.cleanerTimer !== null) return;
    this.cleanerTimer = this.sim.every(this.options.cleanerBackoffMs, () => this.compact(false), {
      label: "log cleaner",
    });
  }

  // ---------------------------------------------------------------- housekeeping

  /**
   * Asserts every invariant of the model: per-partition offsets, coordinator state, producers'
   * in-flight limits. For tests; throws InvariantError.
   */
  checkInvariants(): void {
    for (const topic of this.topics.values()) {
      for (const log of topic.partitions) {
        log.checkInvariants();
        // No hanging transaction: open data belongs to an open transaction that includes the partition.
        for (const producerId of log.transactions.ongoing.keys()) {
          invariant(
            this.transactions.ownsOpenTransaction(producerId, topic.name, log.partition),
            () =>
              `${topic.name}-${log.partition}: producer ${producerId} has open transactional data but no open transaction includes the partition`,
          );
        }
      }
    }
    this.coordinator.checkInvariants();
    this.transactions.checkInvariants();
    for (const producer of this.producers) producer.checkInvariants();
    for (const consumer of this.consumers) consumer.checkInvariants();
  }

  /** Stops the periodic cleaner timers. Clients keep working until closed. */
  close(): void {
    this.closed = true;
    this.retentionTimer?.stop();
    this.cleanerTimer?.stop();
    this.transactions.close();
  }

  private checkOpen(where: string): void {
    if (this.closed) throw new LogError("ILLEGAL_STATE", `${where}: the cluster is closed.`);
  }

  private knownGroup(groupId: string, where: string) {
    checkString(groupId, "groupId", where, true);
    const state = this.coordinator.state(groupId);
    if (state === undefined) {
      throw new LogError(
        "GROUP_ID_NOT_FOUND",
        `${where}: group ${describeValue(groupId)} does not exist. Known groups: ${this.listGroups().join(", ") || "none"}.`,
        {
          groupId,
        },
      );
    }
    return state;
  }
}
