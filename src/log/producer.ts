import { describeValue } from "../scheduler/describe-value.js";
import { InvalidArgumentError, invariant } from "../scheduler/errors.js";
import { type Droppable, neverSettles } from "../scheduler/process.js";
import type { TimerId } from "../scheduler/timer-queue.js";
import { checkInteger, checkNonNegative, checkOptions, checkString } from "../scheduler/validate.js";
import type { LogCluster, ProduceBatchResult } from "./cluster.js";
import { KAFKA_ERRORS, LogError, type LogErrorCode } from "./errors.js";
import type { ConsumerGroupMetadata } from "./group-state.js";
import { lastSequenceOf, nextSequence } from "./idempotence.js";
import { utf8Bytes } from "./murmur2.js";
import {
  KafkajsDefaultPartitioner,
  KafkajsLegacyPartitioner,
  type Partitioner,
  type PartitionInput,
  RoundRobinPartitioner,
  resolvePartition,
  StickyPartitioner,
} from "./partitioners.js";
import {
  checkHeaders,
  checkKey,
  checkTimestamp,
  type ProducerRecord,
  type RecordHeaders,
  type RecordKey,
  type RecordMetadata,
  type TopicPartition,
  type TopicPartitionOffset,
  tpKey,
} from "./record.js";
import { defaultSizer, headersSize, keySize } from "./sizer.js";
import {
  TransactionManager,
  type TxnClientState,
  type TxnCrashHook,
  type TxnProducerLink,
} from "./transaction-manager.js";
import "./events.js";

/** Null-key strategies by name, or a custom partitioner. */
export type PartitionerChoice =
  | "sticky"
  | "round-robin"
  | "kafkajs"
  | "kafkajs-legacy"
  | Partitioner
  | ((input: PartitionInput) => number);

/**
 * Producer options: Kafka's producer configs, camel-cased, with the Java client 3.x defaults.
 * (kafkajs differs: idempotence off, retries 5, `acks` -1; the kafkajs facade passes its own.)
 *
 * @example
 * ```ts
 * cluster.producer({ acks: 1, lingerMs: 5, enableIdempotence: false, partitioner: "round-robin" });
 * ```
 */
export interface ProducerOptions {
  /** `client.id`. Default `producer-N`. */
  clientId?: string;
  /** `acks`: 0 (fire and forget, offset -1), 1 (leader), "all"/-1 (all in-sync replicas; one broker here). Default "all". */
  acks?: 0 | 1 | -1 | "all";
  /** `linger.ms`: wait this long for more records before sending a batch. Default 0 (Java 3.x; Kafka 4.0 uses 5). */
  lingerMs?: number;
  /** `batch.size` in bytes. Default 16384. */
  batchSize?: number;
  /** `retries`. Default 2147483647 (bounded by `deliveryTimeoutMs`). */
  retries?: number;
  /** `retry.backoff.ms`. Default 100. */
  retryBackoffMs?: number;
  /** `delivery.timeout.ms`: a record fails if not acknowledged this long after send. Default 120000. Must be ≥ lingerMs + requestTimeoutMs. */
  deliveryTimeoutMs?: number;
  /** `request.timeout.ms`: a request without response this long is retried (its outcome unknown). Default 30000. */
  requestTimeoutMs?: number;
  /** `max.in.flight.requests.per.connection`. Default 5. */
  maxInFlightRequestsPerConnection?: number;
  /**
   * `max.request.size`: bytes of batches per request, and the largest record (or batch) accepted;
   * a larger record is refused at `send` with MESSAGE_TOO_LARGE. Default 1048576.
   */
  maxRequestSize?: number;
  /**
   * `enable.idempotence`. Default true when compatible (acks all, retries > 0, in-flight ≤ 5) as in
   * Java 3.x; setting it true with incompatible options is INVALID_CONFIG.
   */
  enableIdempotence?: boolean;
  /** Partitioner for records without an explicit partition. Default "sticky" (Java's built-in). */
  partitioner?: PartitionerChoice;
  /**
   * `transactional.id`: makes the producer transactional (see `initTransactions`). Implies
   * idempotence; `enableIdempotence: false` or incompatible settings are INVALID_CONFIG.
   */
  transactionalId?: string;
  /** `transaction.timeout.ms`: the coordinator aborts a transaction open longer than this. Default 60000. */
  transactionTimeoutMs?: number;
  /** `max.block.ms`: how long transactional calls retry before REQUEST_TIMED_OUT. Default 60000. */
  maxBlockMs?: number;
}

/**
 * Kafka's producer defaults (Java client 3.x).
 *
 * @example
 * ```ts
 * PRODUCER_DEFAULTS.deliveryTimeoutMs; // 120000
 * ```
 */
export const PRODUCER_DEFAULTS = Object.freeze({
  acks: "all" as const,
  lingerMs: 0,
  batchSize: 16_384,
  retries: 2_147_483_647,
  retryBackoffMs: 100,
  deliveryTimeoutMs: 120_000,
  requestTimeoutMs: 30_000,
  maxInFlightRequestsPerConnection: 5,
  maxRequestSize: 1_048_576,
  partitioner: "sticky" as const,
  transactionTimeoutMs: 60_000,
  maxBlockMs: 60_000,
});

const OPTION_KEYS = [
  "clientId",
  "acks",
  "lingerMs",
  "batchSize",
  "retries",
  "retryBackoffMs",
  "deliveryTimeoutMs",
  "requestTimeoutMs",
  "maxInFlightRequestsPerConnection",
  "maxRequestSize",
  "enableIdempotence",
  "partitioner",
  "transactionalId",
  "transactionTimeoutMs",
  "maxBlockMs",
];

const RECORD_KEYS = ["topic", "key", "value", "headers", "partition", "timestamp"];

const noop = () => {};

/** A batch of records for one partition, columnar. */
class Batch {
  readonly keys: RecordKey[] = [];
  readonly values: unknown[] = [];
  readonly headers: (RecordHeaders | null)[] = [];
  readonly timestamps: number[] = [];
  readonly sizes: number[] = [];
  readonly resolvers: ((metadata: RecordMetadata) => void)[] = [];
  readonly rejecters: ((error: unknown) => void)[] = [];
  bytes = 0;
  sequence = -1;
  epoch = -1;
  attempts = 0;
  retryAt = 0;
  lingerTimer: TimerId = -1;

  constructor(
    readonly queue: PartitionQueue,
    readonly createdAt: number,
  ) {}

  get count(): number {
    return this.values.length;
  }
}

/** Per-partition accumulator state. */
interface PartitionQueue {
  readonly topic: string;
  readonly partition: number;
  open: Batch | null;
  readonly ready: Batch[];
  inFlight: number;
  nextSequence: number;
  /** Sequenced batches not yet acknowledged or failed. */
  readonly pending: Set<Batch>;
}

interface Request {
  readonly id: number;
  readonly batches: Batch[];
  timer: TimerId;
  done: boolean;
  readonly connection: Connection;
}

/** The producer's connection to the broker; replaced after a request timeout (Java disconnects). */
interface Connection {
  lastArrival: number;
  lastResponse: number;
  /** A request was lost: nothing behind it gets through. */
  broken: boolean;
  /** A response was lost: no response behind it comes back. */
  stalled: boolean;
}

function newConnection(): Connection {
  return {
    lastArrival: Number.NEGATIVE_INFINITY,
    lastResponse: Number.NEGATIVE_INFINITY,
    broken: false,
    stalled: false,
  };
}

/**
 * A Kafka producer: accumulates records into per-partition batches (`linger.ms`, `batch.size`),
 * sends them in requests (at most `max.in.flight.requests.per.connection` at once, one batch per
 * partition per request), retries failed and timed-out requests with backoff until
 * `delivery.timeout.ms`, and — when idempotent — numbers each partition's records so that the
 * broker can drop duplicates that retries of timed-out requests would otherwise create.
 *
 * `send` returns a promise of the record's metadata. The promise is pre-handled, so a send you do
 * not await never crashes the process with an unhandled rejection; failures also appear as
 * `producer.error` events.
 *
 * With a `transactionalId` the producer is transactional (Kafka's transactions, see
 * `transaction-manager.ts`): `initTransactions()` once, then `beginTransaction()`, sends,
 * `sendOffsetsToTransaction()`, and `commitTransaction()` or `abortTransaction()`; sends are only
 * allowed inside a transaction.
 *
 * @example
 * ```ts
 * const producer = cluster.producer({ lingerMs: 5 });
 * const acks = await Promise.all([1, 2, 3].map((n) => producer.send({ topic: "t", key: `k${n}`, value: n })));
 * await producer.close();
 * ```
 */
export class Producer implements Droppable {
  readonly clientId: string;
  readonly cluster: LogCluster;
  /** Resolved options. */
  readonly config: Readonly<
    Required<Omit<ProducerOptions, "partitioner" | "transactionalId" | "clientId" | "acks">> & {
      acks: 0 | 1 | -1;
    }
  >;
  /** Whether idempotence is on (explicitly, by Java 3.x's default, or implied by a transactional id). */
  readonly idempotent: boolean;
  /** `transactional.id`, or null for a non-transactional producer. */
  readonly transactionalId: string | null;
  private producerIdValue: number;
  private epochValue: number;
  /** The client half of transactions (null without a transactional id). */
  private readonly txn: TransactionManager | null;
  private readonly partitioner: Partitioner;
  private readonly queues = new Map<string, PartitionQueue>();
  private inFlightRequests = 0;
  private readonly requests = new Set<Request>();
  private connection: Connection = newConnection();
  private drainScheduled = false;
  private wakeTimer: TimerId = -1;
  private wakeAt = Number.POSITIVE_INFINITY;
  private needsEpochBump = false;
  private flushing = false;
  private closed = false;
  private crashed = false;
  private fatal: LogError | null = null;
  private idleWaiters: (() => void)[] = [];
  private readonly sizer;
  /** Bytes a batch may hold: `batchSize`, but never more than one request may carry. */
  private readonly batchLimit: number;
  /** Records acknowledged so far. */
  acked = 0;
  /** Records that failed for good so far. */
  failed = 0;

  /** @internal Use `cluster.producer(options)`. */
  constructor(cluster: LogCluster, options: ProducerOptions = {}) {
    const where = "Producer";
    checkOptions(options, OPTION_KEYS, where);
    const transactionalId = options.transactionalId ?? null;
    if (transactionalId !== null) checkString(transactionalId, "transactionalId", where, true);
    const clientId = options.clientId ?? cluster.clientId("producer");
    checkString(clientId, "clientId", where, true);
    const rawAcks = options.acks ?? PRODUCER_DEFAULTS.acks;
    if (rawAcks !== 0 && rawAcks !== 1 && rawAcks !== -1 && rawAcks !== "all") {
      throw new InvalidArgumentError(
        `${where}: acks must be 0, 1, -1 or "all", got ${describeValue(rawAcks)}.`,
      );
    }
    const acks: 0 | 1 | -1 = rawAcks === "all" ? -1 : rawAcks;
    const config = {
      acks,
      lingerMs: options.lingerMs ?? PRODUCER_DEFAULTS.lingerMs,
      batchSize: options.batchSize ?? PRODUCER_DEFAULTS.batchSize,
      retries: options.retries ?? PRODUCER_DEFAULTS.retries,
      retryBackoffMs: options.retryBackoffMs ?? PRODUCER_DEFAULTS.retryBackoffMs,
      deliveryTimeoutMs: options.deliveryTimeoutMs ?? PRODUCER_DEFAULTS.deliveryTimeoutMs,
      requestTimeoutMs: options.requestTimeoutMs ?? PRODUCER_DEFAULTS.requestTimeoutMs,
      maxInFlightRequestsPerConnection:
        options.maxInFlightRequestsPerConnection ?? PRODUCER_DEFAULTS.maxInFlightRequestsPerConnection,
      maxRequestSize: options.maxRequestSize ?? PRODUCER_DEFAULTS.maxRequestSize,
      enableIdempotence: false,
      transactionTimeoutMs: options.transactionTimeoutMs ?? PRODUCER_DEFAULTS.transactionTimeoutMs,
      maxBlockMs: options.maxBlockMs ?? PRODUCER_DEFAULTS.maxBlockMs,
    };
    checkNonNegative(config.lingerMs, "lingerMs", where);
    checkInteger(config.batchSize, "batchSize", where, 1);
    checkInteger(config.retries, "retries", where, 0, 2_147_483_647);
    checkNonNegative(config.retryBackoffMs, "retryBackoffMs", where);
    checkInteger(config.deliveryTimeoutMs, "deliveryTimeoutMs", where, 1);
    checkInteger(config.requestTimeoutMs, "requestTimeoutMs", where, 1);
    checkInteger(config.maxInFlightRequestsPerConnection, "maxInFlightRequestsPerConnection", where, 1);
    checkInteger(config.maxRequestSize, "maxRequestSize", where, 1);
    checkInteger(config.transactionTimeoutMs, "transactionTimeoutMs", where, 1);
    checkInteger(config.maxBlockMs, "maxBlockMs", where, 0);
    if (config.deliveryTimeoutMs < config.lingerMs + config.requestTimeoutMs) {
      throw new LogError(
        "INVALID_CONFIG",
        `${where}: deliveryTimeoutMs (${config.deliveryTimeoutMs}) must be ≥ lingerMs + requestTimeoutMs (${config.lingerMs + config.requestTimeoutMs}), as Kafka requires.`,
        { config: "delivery.timeout.ms" },
      );
    }
    const compatible = acks === -1 && config.retries > 0 && config.maxInFlightRequestsPerConnection <= 5;
    if (options.enableIdempotence !== undefined && typeof options.enableIdempotence !== "boolean") {
      throw new InvalidArgumentError(`${where}: enableIdempotence must be a boolean.`);
    }
    if (transactionalId !== null && (options.enableIdempotence === false || !compatible)) {
      throw new LogError(
        "INVALID_CONFIG",
        `${where}: a transactionalId needs idempotence: enableIdempotence must not be false, acks must be "all", retries > 0 and maxInFlightRequestsPerConnection ≤ 5 (got enableIdempotence ${String(options.enableIdempotence)}, acks ${String(rawAcks)}, retries ${config.retries}, in-flight ${config.maxInFlightRequestsPerConnection}).`,
        { config: "transactional.id" },
      );
    }
    if (options.enableIdempotence === true && !compatible) {
      throw new LogError(
        "INVALID_CONFIG",
        `${where}: enableIdempotence requires acks "all", retries > 0 and maxInFlightRequestsPerConnection ≤ 5 (got acks ${String(rawAcks)}, retries ${config.retries}, in-flight ${config.maxInFlightRequestsPerConnection}).`,
        { config: "enable.idempotence" },
      );
    }
    this.idempotent = transactionalId !== null || (options.enableIdempotence ?? compatible);
    config.enableIdempotence = this.idempotent;
    this.config = Object.freeze(config);
    this.clientId = clientId;
    this.cluster = cluster;
    this.sizer = cluster.options.sizer ?? defaultSizer;
    this.batchLimit = Math.min(config.batchSize, config.maxRequestSize);
    this.partitioner = makePartitioner(
      options.partitioner ?? PRODUCER_DEFAULTS.partitioner,
      cluster,
      clientId,
      config.batchSize,
    );
    this.transactionalId = transactionalId;
    if (transactionalId !== null) {
      // A transactional producer gets its id and epoch from the coordinator in initTransactions.
      this.producerIdValue = -1;
      this.epochValue = -1;
      this.txn = new TransactionManager(this.link(), cluster, {
        transactionalId,
        transactionTimeoutMs: config.transactionTimeoutMs,
        requestTimeoutMs: config.requestTimeoutMs,
        retryBackoffMs: config.retryBackoffMs,
        maxBlockMs: config.maxBlockMs,
      });
    } else if (this.idempotent) {
      const { producerId, epoch } = cluster.initProducerId();
      this.producerIdValue = producerId;
      this.epochValue = epoch;
      this.txn = null;
    } else {
      this.producerIdValue = -1;
      this.epochValue = -1;
      this.txn = null;
    }
    // Created by a process's code, it dies with that process (see drop).
    cluster.sim.own(this);
  }

  /** Producer id (-1 when not idempotent, or transactional before `initTransactions`). */
  get producerId(): number {
    return this.producerIdValue;
  }

  /** Current producer epoch (-1 when not idempotent). */
  get epoch(): number {
    return this.epochValue;
  }

  /** Requests in flight. */
  get inFlight(): number {
    return this.inFlightRequests;
  }

  /** Records accepted but not yet acknowledged or failed. */
  get pendingRecords(): number {
    let n = 0;
    for (const q of this.queues.values()) {
      if (q.open !== null) n += q.open.count;
      for (const b of q.ready) n += b.count;
    }
    for (const r of this.requests) for (const b of r.batches) n += b.count;
    return n;
  }

  /**
   * Sends a record. Throws at once for bad input, a value the sizer cannot measure
   * (INVALID_SIZE), a record larger than `maxRequestSize` (MESSAGE_TOO_LARGE), an unknown topic
   * (unless the cluster auto-creates) or a closed producer, changing nothing; otherwise returns a promise of its metadata, rejected
   * with DELIVERY_TIMEOUT, INVALID_RECORD, … when delivery fails for good.
   *
   * @example
   * ```ts
   * const { partition, offset } = await producer.send({ topic: "orders", key: "c-1", value: { total: 3 } });
   * ```
   */
  send<V>(record: ProducerRecord<V>): Promise<RecordMetadata> {
    const where = "Producer.send";
    this.checkUsable(where);
    if (record === null || typeof record !== "object" || Array.isArray(record)) {
      throw new InvalidArgumentError(
        `${where}: record must be an object { topic, key?, value, headers?, partition?, timestamp? }.`,
      );
    }
    checkOptions(record, RECORD_KEYS, where);
    checkString(record.topic, "topic", where, true);
    checkKey(record.key, where);
    checkHeaders(record.headers, where);
    checkTimestamp(record.timestamp, where);
    if (record.value === undefined) {
      throw new InvalidArgumentError(`${where}: value is required (use null for a tombstone).`);
    }
    const key = record.key ?? null;
    const headers = record.headers ?? null;
    // Measured (and refused) before anything can change: topic auto-creation, partitioner state.
    const size = keySize(key) + this.measure(record.value, where) + headersSize(headers);
    if (size > this.config.maxRequestSize) {
      throw new LogError(
        "MESSAGE_TOO_LARGE",
        `${where}: the record is ${size} bytes, larger than maxRequestSize (${this.config.maxRequestSize} bytes, Kafka's max.request.size); send a smaller record or raise maxRequestSize.`,
        { topic: record.topic, size, maxRequestSize: this.config.maxRequestSize },
      );
    }
    // Transactional: only inside a transaction (checked before anything — topic auto-creation,
    // partitioner state — can change); the before-send fault point may crash the producer here.
    // A process that died at the transactional send's crash point never hears back.
    if (this.txn?.checkSend(where) === true) return neverSettles();
    // The partition is resolved against the count the topic has (or would get when auto-created),
    // so a refused partition leaves no auto-created topic behind.
    const existing = this.cluster.findTopic(record.topic);
    const partitionCount =
      existing?.partitionCount ?? this.cluster.prospectivePartitionCount(record.topic, where);
    const partition = resolvePartition(this.partitioner, {
      topic: record.topic,
      key: key === null ? null : typeof key === "string" ? utf8Bytes(key) : key,
      partitionCount,
      valueSizeBytes: size,
      ...(record.partition === undefined || record.partition === null ? {} : { partition: record.partition }),
    });
    const topic = existing ?? this.cluster.resolveTopic(record.topic, where);
    const sim = this.cluster.sim;
    const deferred = sim.deferred<RecordMetadata>();
    deferred.promise.catch(noop);
    this.append(
      topic.name,
      partition,
      key,
      record.value,
      headers,
      record.timestamp ?? sim.now,
      size,
      deferred.resolve,
      deferred.reject,
    );
    this.txn?.recordSend();
    if (sim.bus.wants("producer.send"))
      sim.bus.emit("producer.send", { clientId: this.clientId, topic: topic.name, partition });
    return deferred.promise;
  }

  // ---------------------------------------------------------------- transactions

  /** The client transaction state ("UNINITIALIZED" … "FATAL_ERROR"), or null for a non-transactional producer. */
  get transactionState(): TxnClientState | null {
    return this.txn === null ? null : this.txn.state;
  }

  /**
   * Registers the transactional id with the coordinator (InitProducerId): gets the producer id
   * and a bumped epoch, which fences every older producer with the same id; an open transaction
   * of the previous incarnation is aborted first (the call waits for it). Call once, before the
   * first transaction. Errors: INVALID_TXN_STATE (not transactional, called twice),
   * INVALID_TRANSACTION_TIMEOUT, REQUEST_TIMED_OUT after `maxBlockMs` (may be repeated).
   *
   * @example
   * ```ts
   * const producer = cluster.producer({ transactionalId: "order-totals" });
   * await producer.initTransactions();
   * ```
   */
  initTransactions(): Promise<void> {
    return this.transactional("Producer.initTransactions").initTransactions();
  }

  /**
   * Opens a transaction (locally; the coordinator learns of it from the first record or offsets).
   * INVALID_TXN_STATE unless the producer is initialized and no transaction is open.
   *
   * @example
   * ```ts
   * producer.beginTransaction();
   * producer.send({ topic: "order-totals", key: "c-1", value: 12 });
   * await producer.commitTransaction();
   * ```
   */
  beginTransaction(): void {
    this.transactional("Producer.beginTransaction").beginTransaction();
  }

  /**
   * Makes consumed offsets (next offsets to read) part of the open transaction: they become the
   * group's committed offsets if and only if the transaction commits. `groupMetadata` is
   * `consumer.groupMetadata()` — a member that is no longer in the group or is from a stale
   * generation is refused (CommitFailedError: UNKNOWN_MEMBER_ID / ILLEGAL_GENERATION; the
   * transaction must then be aborted) — or just a group id (no member check, as kafkajs does).
   *
   * @example
   * ```ts
   * await producer.sendOffsetsToTransaction([{ topic: "orders", partition: 0, offset: 43 }], consumer.groupMetadata());
   * ```
   */
  sendOffsetsToTransaction(
    offsets: readonly TopicPartitionOffset[],
    groupMetadata: ConsumerGroupMetadata | string,
  ): Promise<void> {
    return this.transactional("Producer.sendOffsetsToTransaction").sendOffsetsToTransaction(
      offsets,
      groupMetadata,
    );
  }

  /**
   * Commits the open transaction: waits for every record sent in it to be acknowledged, then sends
   * EndTxn(commit); the coordinator writes a commit marker into every partition the transaction
   * touched (its records become visible to read_committed consumers) and commits its offsets. A
   * failed send makes the transaction abortable: commit then throws INVALID_TXN_STATE and
   * `abortTransaction()` is the way on. PRODUCER_FENCED if a newer instance took over.
   *
   * @example
   * ```ts
   * await producer.commitTransaction();
   * ```
   */
  commitTransaction(): Promise<void> {
    return this.transactional("Producer.commitTransaction").commitTransaction();
  }

  /**
   * Aborts the open transaction: records not yet sent fail with TRANSACTION_ABORTED, requests in
   * flight are awaited, then EndTxn(abort) writes abort markers (read_committed consumers skip the
   * transaction's records) and drops its offsets. Also the way out of an abortable error.
   *
   * @example
   * ```ts
   * try { await producer.commitTransaction(); } catch { await producer.abortTransaction(); }
   * ```
   */
  abortTransaction(): Promise<void> {
    return this.transactional("Producer.abortTransaction").abortTransaction();
  }

  /**
   * Installs (or with null removes) a crash hook for this producer's transactional fault points
   * (overrides the cluster's `setTransactionCrashHook`).
   *
   * @example
   * ```ts
   * producer.setTransactionCrashHook((point) => point === "after-send-offsets");
   * ```
   */
  setTransactionCrashHook(hook: TxnCrashHook | null): void {
    this.transactional("Producer.setTransactionCrashHook").setCrashHook(hook);
  }

  private transactional(where: string): TransactionManager {
    if (this.txn === null) {
      throw new LogError(
        "INVALID_TXN_STATE",
        `${where}: producer ${this.clientId} is not transactional (Kafka: "Transactional method invoked on a non-transactional producer"). Create it with a transactionalId.`,
        { clientId: this.clientId },
      );
    }
    return this.txn;
  }

  /** The view of this producer its transaction manager works through. */
  private link(): TxnProducerLink {
    // Getters, not copies: the link must see the live id, epoch and crash state.
    const self = this;
    return {
      get clientId() {
        return self.clientId;
      },
      get producerId() {
        return self.producerIdValue;
      },
      get epoch() {
        return self.epochValue;
      },
      get isCrashed() {
        return self.crashed;
      },
      setIdentity: (producerId, epoch) => this.setIdentity(producerId, epoch),
      flush: () => this.flush(),
      crash: () => this.crash(),
      abortUnsent: (error) => this.abortUnsent(error),
      failPartitions: (keys, error) => this.failPartitions(keys, error),
      setFatal: (error) => {
        this.fatal = error;
      },
      wake: () => this.scheduleDrain(),
    };
  }

  /** New identity from the coordinator: every partition's sequence restarts at 0. */
  private setIdentity(producerId: number, epoch: number): void {
    for (const q of this.queues.values()) {
      invariant(
        q.pending.size === 0 && q.inFlight === 0,
        () =>
          `producer ${this.clientId}: identity changed with batches of ${q.topic}-${q.partition} unresolved`,
      );
      q.nextSequence = 0;
    }
    this.producerIdValue = producerId;
    this.epochValue = epoch;
  }

  /** Fails every batch that is not in flight (open, ready, waiting for a retry or a partition add). */
  private abortUnsent(error: LogError): void {
    for (const q of this.queues.values()) {
      if (q.open !== null) this.closeBatch(q);
      const batches = q.ready.splice(0);
      for (const b of batches) this.fail(b, error.code as LogErrorCode, error.message);
    }
    this.checkIdle();
  }

  /** Fails the queued batches of some partitions (their AddPartitionsToTxn was refused). */
  private failPartitions(keys: ReadonlySet<string>, error: LogError): void {
    for (const [key, q] of this.queues) {
      if (!keys.has(key)) continue;
      if (q.open !== null) this.closeBatch(q);
      for (const b of q.ready.splice(0)) this.fail(b, error.code as LogErrorCode, error.message);
    }
    this.checkIdle();
  }

  /**
   * Sends every batch now, ignoring `linger.ms`, and resolves once nothing is left to send or
   * acknowledge.
   *
   * @example
   * ```ts
   * producer.send({ topic: "t", value: 1 });
   * await producer.flush();
   * ```
   */
  flush(): Promise<void> {
    if (this.crashed) return Promise.resolve();
    this.flushing = true;
    const deferred = this.cluster.sim.deferred<void>();
    this.idleWaiters.push(() => deferred.resolve());
    this.scheduleDrain();
    this.checkIdle();
    return deferred.promise;
  }

  /**
   * Flushes, then closes: later sends throw PRODUCER_CLOSED.
   *
   * @example
   * ```ts
   * await producer.close();
   * ```
   */
  async close(): Promise<void> {
    if (this.closed) return;
    const state = this.txn?.state;
    if (state === "IN_TRANSACTION" || state === "ABORTABLE_ERROR") {
      // Java's sender aborts an incomplete transaction on a graceful close.
      try {
        await this.abortTransaction();
      } catch (error) {
        if (!(error instanceof LogError)) throw error;
      }
    }
    await this.flush();
    this.closed = true;
    this.cluster.forget(this);
  }

  /**
   * Stops the producer at once, as a process crash would: records not yet sent are lost (their
   * promises reject with PRODUCER_CLOSED); requests already sent still reach the broker, but their
   * responses are ignored, so their records' fate is unknown to the caller.
   *
   * @example
   * ```ts
   * producer.crash();
   * ```
   */
  crash(): void {
    if (this.crashed) return;
    this.crashed = true;
    this.closed = true;
    this.txn?.onCrash();
    const error = () =>
      new LogError(
        "PRODUCER_CLOSED",
        `Producer ${this.clientId} crashed before the record was acknowledged.`,
      );
    for (const q of this.queues.values()) {
      const batches = q.open === null ? q.ready.splice(0) : [q.open, ...q.ready.splice(0)];
      q.open = null;
      for (const b of batches) this.reject(b, error());
    }
    for (const request of this.requests) {
      request.done = true;
      this.cluster.sim.cancel(request.timer);
      for (const b of request.batches) this.reject(b, error());
    }
    this.requests.clear();
    this.inFlightRequests = 0;
    if (this.wakeTimer >= 0) this.cluster.sim.cancel(this.wakeTimer);
    this.cluster.forget(this);
    this.resolveIdle();
  }

  /**
   * Vanishes as a crashed process's producer does: {@link crash}. An open transaction stays open
   * at the coordinator until the next incarnation's `initTransactions` (same transactional id)
   * aborts it, or `transaction.timeout.ms` does. A process that crashes drops the producers it
   * created by itself.
   *
   * @example
   * ```ts
   * sim.spawn("relay", async () => {
   *   const producer = cluster.producer({ transactionalId: "relay" }); // owned by "relay"
   *   await producer.initTransactions(); // aborts what a crashed earlier incarnation left open
   * });
   * ```
   */
  drop(): void {
    this.crash();
  }

  /** Asserts producer invariants: in-flight accounting and limits. */
  checkInvariants(): void {
    invariant(
      this.inFlightRequests >= 0 && this.inFlightRequests <= this.config.maxInFlightRequestsPerConnection,
      () => `producer ${this.clientId}: ${this.inFlightRequests} requests in flight`,
    );
    invariant(
      this.inFlightRequests === this.requests.size || this.config.acks === 0,
      () =>
        `producer ${this.clientId}: in-flight count ${this.inFlightRequests} ≠ ${this.requests.size} tracked requests`,
    );
    const perPartition = new Map<PartitionQueue, number>();
    for (const r of this.requests)
      for (const b of r.batches) perPartition.set(b.queue, (perPartition.get(b.queue) ?? 0) + 1);
    for (const q of this.queues.values()) {
      invariant(
        (perPartition.get(q) ?? 0) === q.inFlight,
        () =>
          `producer ${this.clientId}: ${q.topic}-${q.partition} in-flight ${q.inFlight} ≠ ${perPartition.get(q) ?? 0}`,
      );
    }
  }

  // ---------------------------------------------------------------- accumulator

  private queueFor(topic: string, partition: number): PartitionQueue {
    const key = tpKey(topic, partition);
    let q = this.queues.get(key);
    if (q === undefined) {
      q = { topic, partition, open: null, ready: [], inFlight: 0, nextSequence: 0, pending: new Set() };
      this.queues.set(key, q);
    }
    return q;
  }

  /** Runs the sizer on a value, refusing a value it cannot measure or a size it must not return. */
  private measure(value: unknown, where: string): number {
    let size: unknown;
    try {
      size = this.sizer(value);
    } catch (error) {
      throw new InvalidArgumentError(
        `${where}: the sizer cannot measure the value ${describeValue(value)} (${error instanceof Error ? describeValue(error.message) : describeValue(error)}); send bytes, a string or JSON-serialisable data, or give the cluster a sizer that can.`,
        "INVALID_SIZE",
        { cause: error },
      );
    }
    if (typeof size !== "number" || !Number.isFinite(size) || size < 0) {
      throw new InvalidArgumentError(
        `${where}: the sizer returned ${describeValue(size)} for a record value; it must return a finite number ≥ 0.`,
        "INVALID_SIZE",
      );
    }
    return size;
  }

  private append(
    topic: string,
    partition: number,
    key: RecordKey,
    value: unknown,
    headers: RecordHeaders | null,
    timestamp: number,
    size: number,
    resolve: (m: RecordMetadata) => void,
    reject: (e: unknown) => void,
  ): void {
    const q = this.queueFor(topic, partition);
    const now = this.cluster.sim.now;
    let batch = q.open;
    if (batch !== null && batch.count > 0 && batch.bytes + size > this.batchLimit) {
      this.closeBatch(q);
      batch = null;
    }
    if (batch === null) {
      batch = new Batch(q, now);
      q.open = batch;
      if (this.config.lingerMs > 0)
        batch.lingerTimer = this.cluster.sim.schedule(now + this.config.lingerMs, this.onLinger, batch);
    }
    batch.keys.push(key);
    batch.values.push(value);
    batch.headers.push(headers);
    batch.timestamps.push(timestamp);
    batch.sizes.push(size);
    batch.resolvers.push(resolve);
    batch.rejecters.push(reject);
    batch.bytes += size;
    if (batch.bytes >= this.batchLimit) this.closeBatch(q);
    if (this.config.lingerMs === 0 || q.ready.length > 0) this.scheduleDrain();
  }

  private closeBatch(q: PartitionQueue): void {
    const batch = q.open;
    if (batch === null) return;
    if (batch.lingerTimer >= 0) this.cluster.sim.cancel(batch.lingerTimer);
    batch.lingerTimer = -1;
    q.open = null;
    q.ready.push(batch);
  }

  private readonly onLinger = (batch: Batch): void => {
    batch.lingerTimer = -1;
    if (batch.queue.open === batch) this.closeBatch(batch.queue);
    this.scheduleDrain();
  };

  // ---------------------------------------------------------------- sender

  private scheduleDrain(): void {
    if (this.drainScheduled || this.crashed) return;
    this.drainScheduled = true;
    this.cluster.sim.defer(this.drain);
  }

  private readonly drain = (): void => {
    this.drainScheduled = false;
    if (this.crashed) return;
    const sim = this.cluster.sim;
    const now = sim.now;
    // Expire what waited too long in the accumulator (Java's RecordAccumulator.expiredBatches).
    for (const q of this.queues.values()) {
      if (q.open !== null && (this.config.lingerMs === 0 || this.flushing)) this.closeBatch(q);
      for (let i = 0; i < q.ready.length; i++) {
        const b = q.ready[i]!;
        if (now >= b.createdAt + this.config.deliveryTimeoutMs) {
          q.ready.splice(i--, 1);
          this.fail(
            b,
            "DELIVERY_TIMEOUT",
            `Expiring ${b.count} record(s) for ${q.topic}-${q.partition}: ${now - b.createdAt} ms has passed since batch creation (delivery.timeout.ms ${this.config.deliveryTimeoutMs}).`,
          );
        }
      }
    }
    if (this.needsEpochBump) {
      if (this.inFlightRequests > 0) return; // wait for every outstanding sequence to resolve
      this.bumpEpoch();
    }
    while (this.inFlightRequests < this.config.maxInFlightRequestsPerConnection) {
      const batches: Batch[] = [];
      let bytes = 0;
      for (const q of this.queues.values()) {
        const head = q.ready[0];
        if (head === undefined || head.retryAt > now) continue;
        // v1 transactions: nothing goes to a partition before AddPartitionsToTxn confirmed it.
        if (this.txn !== null && !this.txn.partitionReady(q.topic, q.partition)) continue;
        // An idempotent retry goes alone, after every earlier request for the partition resolved,
        // so sequences reach the broker in order.
        if (this.idempotent && head.sequence >= 0 && q.inFlight > 0) continue;
        if (batches.length > 0 && bytes + head.bytes > this.config.maxRequestSize) continue;
        q.ready.shift();
        if (this.idempotent && head.sequence < 0) {
          head.sequence = q.nextSequence;
          head.epoch = this.epochValue;
          q.nextSequence = nextSequence(lastSequenceOf(head.sequence, head.count));
          q.pending.add(head);
        }
        batches.push(head);
        bytes += head.bytes;
      }
      if (batches.length === 0) break;
      this.sendRequest(batches);
    }
    // Wake for the next retry backoff or delivery expiry among batches still waiting.
    let nextWake = Number.POSITIVE_INFINITY;
    for (const q of this.queues.values()) {
      for (const b of q.ready) {
        const due = Math.min(
          b.retryAt > now ? b.retryAt : Number.POSITIVE_INFINITY,
          b.createdAt + this.config.deliveryTimeoutMs,
        );
        if (due < nextWake) nextWake = due;
      }
    }
    if (nextWake === Number.POSITIVE_INFINITY && this.wakeTimer >= 0) {
      sim.cancel(this.wakeTimer);
      this.wakeTimer = -1;
      this.wakeAt = Number.POSITIVE_INFINITY;
    }
    if (
      nextWake !== Number.POSITIVE_INFINITY &&
      (this.wakeTimer < 0 || !sim.isPending(this.wakeTimer) || nextWake < this.wakeAt)
    ) {
      if (this.wakeTimer >= 0) sim.cancel(this.wakeTimer);
      this.wakeAt = nextWake;
      this.wakeTimer = sim.schedule(nextWake, this.onWake);
    }
    this.checkIdle();
  };

  private readonly onWake = (): void => {
    this.wakeTimer = -1;
    this.wakeAt = Number.POSITIVE_INFINITY;
    this.scheduleDrain();
  };

  private sendRequest(batches: Batch[]): void {
    const cluster = this.cluster;
    const sim = cluster.sim;
    const network = cluster.network;
    const now = sim.now;
    const id = network.requestId();
    const partitions: TopicPartition[] = batches.map((b) => ({
      topic: b.queue.topic,
      partition: b.queue.partition,
    }));
    const fault = network.decide({
      kind: "produce",
      requestId: id,
      clientId: this.clientId,
      sentAt: now,
      partitions,
      attempt: batches[0]!.attempts,
      groupId: null,
    });
    if (fault.action !== "deliver" && sim.bus.wants("network.fault")) {
      sim.bus.emit("network.fault", {
        kind: "produce",
        requestId: id,
        clientId: this.clientId,
        action: fault.action,
      });
    }
    if (sim.bus.wants("producer.request")) {
      sim.bus.emit("producer.request", {
        clientId: this.clientId,
        requestId: id,
        batches: batches.map((b) => ({
          topic: b.queue.topic,
          partition: b.queue.partition,
          count: b.count,
          sequence: b.sequence,
          attempt: b.attempts,
        })),
      });
    }
    for (const b of batches) b.attempts++;
    const latency = network.latencyMs;
    // What the broker sees is a snapshot: a later retry of the same batch is a separate request.
    const wire = batches.map((b) => this.toWire(b));

    if (this.config.acks === 0) {
      // Fire and forget: done once sent; the broker appends later unless the request is lost.
      if (!fault.dropRequest)
        sim.schedule(now + latency + fault.requestDelayMs, () => {
          for (const w of wire) cluster.handleProduce(w);
        });
      for (const b of batches) this.complete(b, -1, -1);
      this.checkIdle();
      return;
    }

    const request: Request = { id, batches, timer: -1, done: false, connection: this.connection };
    this.requests.add(request);
    this.inFlightRequests++;
    for (const b of batches) b.queue.inFlight++;
    request.timer = sim.schedule(now + this.config.requestTimeoutMs, () => this.onTimeout(request));
    const connection = this.connection;
    // One connection is a byte stream: requests reach the broker in order and responses come back
    // in order, so a lost or stuck message holds back everything behind it until the producer
    // times out and reconnects. This is what bounds how far a retry can trail the batches after
    // it, and why idempotence needs at most 5 requests in flight.
    if (fault.dropRequest || connection.broken) {
      connection.broken = true;
      return;
    }
    const arrival = Math.max(now + latency + fault.requestDelayMs, connection.lastArrival);
    connection.lastArrival = arrival;
    sim.schedule(arrival, () => {
      const results = wire.map((w) => cluster.handleProduce(w));
      if (fault.dropResponse || connection.stalled) {
        connection.stalled = true;
        return;
      }
      const at = Math.max(sim.now + latency + fault.responseDelayMs, connection.lastResponse);
      connection.lastResponse = at;
      sim.schedule(at, () => this.onResponse(request, results));
    });
  }

  private toWire(b: Batch) {
    return {
      topic: b.queue.topic,
      partition: b.queue.partition,
      keys: b.keys.slice(),
      values: b.values.slice(),
      headers: b.headers.slice(),
      timestamps: b.timestamps.slice(),
      sizes: b.sizes.slice(),
      producerId: this.producerId,
      epoch: this.idempotent ? b.epoch : -1,
      sequence: this.idempotent ? b.sequence : -1,
      transactional: this.txn !== null,
    };
  }

  private finishRequest(request: Request): boolean {
    if (request.done) return false; // a late response to a request that already timed out
    request.done = true;
    this.requests.delete(request);
    this.inFlightRequests--;
    for (const b of request.batches) b.queue.inFlight--;
    return true;
  }

  private onResponse(request: Request, results: ProduceBatchResult[]): void {
    if (this.crashed || !this.finishRequest(request)) return;
    this.cluster.sim.cancel(request.timer);
    request.batches.forEach((b, i) => {
      const result = results[i]!;
      if (result.error === null) this.complete(b, result.baseOffset, result.logAppendTime);
      else this.retryOrFail(b, result.error, result.message);
    });
    this.scheduleDrain();
  }

  private onTimeout(request: Request): void {
    if (this.crashed || request.done) return;
    const sim = this.cluster.sim;
    if (sim.bus.wants("producer.timeout")) {
      sim.bus.emit("producer.timeout", {
        clientId: this.clientId,
        requestId: request.id,
        partitions: request.batches.map((b) => ({ topic: b.queue.topic, partition: b.queue.partition })),
      });
    }
    // Java closes the connection on a request timeout: every request in flight on it fails, and
    // whether the broker acted on any of them is unknown.
    const failed = [...this.requests]
      .filter((r) => r.connection === request.connection)
      .sort((a, b) => a.id - b.id);
    if (request.connection === this.connection) this.connection = newConnection();
    for (const r of failed) {
      this.finishRequest(r);
      sim.cancel(r.timer);
      for (const b of r.batches) {
        this.retryOrFail(
          b,
          "REQUEST_TIMED_OUT",
          r === request
            ? `Request ${r.id} got no response within request.timeout.ms ${this.config.requestTimeoutMs}; the broker may or may not have appended it.`
            : `Request ${r.id} was cut off when request ${request.id} timed out and the connection was closed; the broker may or may not have appended it.`,
        );
      }
    }
    this.scheduleDrain();
  }

  private retryOrFail(b: Batch, code: LogErrorCode, message: string): void {
    const q = b.queue;
    if (this.txn !== null && code === "INVALID_PRODUCER_EPOCH") {
      // Java maps a fenced epoch on produce to ProducerFencedException for transactional producers.
      this.fatal = this.txn.fence(message);
      code = "PRODUCER_FENCED";
    }
    const now = this.cluster.sim.now;
    let retriable = KAFKA_ERRORS[code].retriable;
    if (code === "OUT_OF_ORDER_SEQUENCE_NUMBER" && this.idempotent) {
      // A gap behind an earlier batch still unresolved (or about to be renumbered) heals by retrying.
      retriable =
        this.needsEpochBump ||
        [...q.pending].some((p) => p !== b && p.sequence >= 0 && p.sequence < b.sequence);
    }
    if (code === "INVALID_PRODUCER_EPOCH" && this.txn === null) {
      this.fatal = new LogError(
        "INVALID_PRODUCER_EPOCH",
        `Producer ${this.clientId} (id ${this.producerId}, epoch ${this.epochValue}) was fenced by a newer epoch.`,
      );
    }
    const deadline = b.createdAt + this.config.deliveryTimeoutMs;
    if (
      retriable &&
      b.attempts <= this.config.retries &&
      now + this.config.retryBackoffMs < deadline &&
      this.fatal === null
    ) {
      b.retryAt = now + this.config.retryBackoffMs;
      // Retries go to the front; idempotent ones in sequence order.
      let at = 0;
      if (this.idempotent)
        while (at < q.ready.length && q.ready[at]!.sequence >= 0 && q.ready[at]!.sequence < b.sequence) at++;
      q.ready.splice(at, 0, b);
      const sim = this.cluster.sim;
      if (sim.bus.wants("producer.retry")) {
        sim.bus.emit("producer.retry", {
          clientId: this.clientId,
          topic: q.topic,
          partition: q.partition,
          attempt: b.attempts,
          reason: code,
          sequence: b.sequence,
        });
      }
      return;
    }
    const finalCode: LogErrorCode =
      retriable && now + this.config.retryBackoffMs >= deadline ? "DELIVERY_TIMEOUT" : code;
    this.fail(
      b,
      finalCode,
      finalCode === "DELIVERY_TIMEOUT"
        ? `Expiring ${b.count} record(s) for ${q.topic}-${q.partition}: delivery.timeout.ms ${this.config.deliveryTimeoutMs} passed (last error ${code}: ${message})`
        : message,
    );
  }

  private complete(b: Batch, baseOffset: number, logAppendTime: number): void {
    const q = b.queue;
    q.pending.delete(b);
    const logAppend =
      logAppendTime >= 0 &&
      this.cluster.hasTopic(q.topic) &&
      this.cluster.topic(q.topic).config.messageTimestampType === "LogAppendTime";
    for (let i = 0; i < b.count; i++) {
      b.resolvers[i]!({
        topic: q.topic,
        partition: q.partition,
        offset: baseOffset < 0 ? -1 : baseOffset + i,
        timestamp: logAppend ? logAppendTime : b.timestamps[i]!,
      });
    }
    this.acked += b.count;
    const sim = this.cluster.sim;
    if (sim.bus.wants("producer.ack"))
      sim.bus.emit("producer.ack", {
        clientId: this.clientId,
        topic: q.topic,
        partition: q.partition,
        baseOffset,
        count: b.count,
      });
  }

  private fail(b: Batch, code: LogErrorCode, message: string): void {
    const q = b.queue;
    // A transactional producer cannot bump its own epoch: the transaction manager does it through
    // the coordinator after the (now doomed) transaction is aborted.
    if (this.txn !== null) this.txn.onBatchFailed(code, message, b.sequence >= 0);
    else if (this.idempotent && b.sequence >= 0 && code !== "INVALID_PRODUCER_EPOCH")
      this.needsEpochBump = true;
    q.pending.delete(b);
    this.reject(
      b,
      new LogError(code, `Producer ${this.clientId}: ${message}`, { topic: q.topic, partition: q.partition }),
    );
    this.failed += b.count;
    const sim = this.cluster.sim;
    if (sim.bus.wants("producer.error"))
      sim.bus.emit("producer.error", {
        clientId: this.clientId,
        topic: q.topic,
        partition: q.partition,
        count: b.count,
        code,
      });
  }

  private reject(b: Batch, error: LogError): void {
    for (const reject of b.rejecters) reject(error);
  }

  /** KIP-360: after an unresolvable sequence, a new epoch restarts every partition's sequence at 0. */
  private bumpEpoch(): void {
    this.needsEpochBump = false;
    this.epochValue = this.cluster.bumpProducerEpoch(this.producerIdValue);
    for (const q of this.queues.values()) {
      q.nextSequence = 0;
      for (const b of q.ready) {
        if (b.sequence < 0) continue;
        b.sequence = q.nextSequence;
        b.epoch = this.epochValue;
        q.nextSequence = nextSequence(lastSequenceOf(b.sequence, b.count));
      }
    }
    const sim = this.cluster.sim;
    if (sim.bus.wants("producer.epoch-bump"))
      sim.bus.emit("producer.epoch-bump", {
        clientId: this.clientId,
        producerId: this.producerId,
        epoch: this.epochValue,
      });
  }

  private checkIdle(): void {
    if (this.idleWaiters.length === 0) return;
    if (this.inFlightRequests > 0) return;
    for (const q of this.queues.values()) if (q.open !== null || q.ready.length > 0) return;
    this.flushing = false;
    this.resolveIdle();
  }

  private resolveIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private checkUsable(where: string): void {
    if (this.fatal !== null) throw this.fatal;
    if (this.closed) throw new LogError("PRODUCER_CLOSED", `${where}: producer ${this.clientId} is closed.`);
  }
}

function makePartitioner(
  choice: PartitionerChoice,
  cluster: LogCluster,
  clientId: string,
  batchSize: number,
): Partitioner {
  const random = cluster.sim.random.fork(`producer:${clientId}:partitioner`);
  const pickInt = (bound: number) => random.int(0, bound - 1);
  if (typeof choice === "function") return { partition: choice };
  if (
    choice !== null &&
    typeof choice === "object" &&
    typeof (choice as Partitioner).partition === "function"
  )
    return choice as Partitioner;
  switch (choice) {
    case "sticky":
      return new StickyPartitioner({ pickInt, batchSize });
    case "round-robin":
      return new RoundRobinPartitioner({ start: random.int(0, 0x7fffffff) });
    case "kafkajs":
      return new KafkajsDefaultPartitioner({ pickInt });
    case "kafkajs-legacy":
      return new KafkajsLegacyPartitioner({ pickInt });
    default:
      throw new InvalidArgumentError(
        `Producer: partitioner must be "sticky", "round-robin", "kafkajs", "kafkajs-legacy", a Partitioner or a function, got ${describeValue(choice)}.`,
      );
  }
}
