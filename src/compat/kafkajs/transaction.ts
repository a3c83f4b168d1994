import type { Producer as NativeProducer } from "../../log/producer.js";
import type { TopicPartitionOffset } from "../../log/record.js";
import type { TxnClientState } from "../../log/transaction-manager.js";
import type { Simulation } from "../../scheduler/simulation.js";
import { checkOptions } from "../../scheduler/validate.js";
import { parseLong } from "./codec.js";
import { invalid, KafkaJSNonRetriableError, toKafkaJSError } from "./errors.js";
import * as history from "./recording.js";
import type { ProducerBatch, ProducerRecord, RecordMetadata, TopicOffsets } from "./types.js";

/**
 * kafkajs transactions (`producer.transaction()`) over the native transaction API
 * (`src/log/transaction-manager.ts`), following kafkajs 2.2.4's producer and `eosManager`:
 *
 * - The transactional id is registered (InitProducerId, which bumps the epoch, fences every older
 *   producer with that id and aborts its open transaction) on the producer's first
 *   `transaction()`, not on `connect()`: kafkajs' `connect` initializes only the idempotent
 *   (non-transactional) producer id.
 * - One transaction at a time: `transaction()` while one is open rejects with kafkajs' "There is
 *   already an ongoing transaction for this producer. …".
 * - `send`/`sendBatch` take the producer's validation, partitioning and RecordMetadata shaping and
 *   go through one native transactional producer (idempotent, acks -1, one request in flight);
 *   `sendOffsets({ consumerGroupId, topics })` is `sendOffsetsToTransaction(offsets, groupId)` —
 *   a bare group id, no member or generation check, as kafkajs sends it; `commit`/`abort` end the
 *   transaction, after which every method of that transaction object rejects with kafkajs'
 *   "Cannot continue to use transaction once ended" (`isActive()` is false from the moment a
 *   commit or abort starts, as in kafkajs).
 * - `producer.send` outside a transaction is not part of any transaction (kafkajs sends it through
 *   its separate non-transactional producer id): read_committed consumers see it as soon as no
 *   open transaction precedes it in the partition.
 * - Errors are the native model's, converted by `toKafkaJSError`: a fenced producer's calls reject
 *   with brokerlab code PRODUCER_FENCED (a `KafkaJSProtocolError` of type
 *   KAFKAJS_UNKNOWN_ERROR_CODE, kafkajs 2.2.4 having no entry for Kafka's code 90) and every later
 *   call does too; a failed send dooms the transaction (Java's abortable error): `commit` then
 *   rejects with INVALID_TXN_STATE and `abort` is the way on.
 *
 * Consumers need nothing: `readUncommitted: false` (the default) reads through a native consumer
 * with `isolationLevel: "read_committed"`, below the last stable offset and without aborted records.
 */

/**
 * kafkajs' `Transaction`.
 *
 * @example
 * ```ts
 * const tx = await producer.transaction();
 * await tx.send({ topic: "out", messages: [{ value: "x" }] });
 * await tx.sendOffsets({ consumerGroupId: "g", topics: [{ topic: "in", partitions: [{ partition: 0, offset: "43" }] }] });
 * await tx.commit();
 * ```
 */
export interface Transaction {
  send(record: ProducerRecord): Promise<RecordMetadata[]>;
  sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]>;
  sendOffsets(offsets: { consumerGroupId: string; topics: TopicOffsets[] }): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
  isActive(): boolean;
}

/** What the transactions of one facade producer need from it. */
export interface TransactionalLink {
  readonly transactionalId: string;
  /** The native transactional producer (created on first use; throws kafkajs-shaped config errors). */
  native(): NativeProducer;
  /** A send through the native transactional producer, with kafkajs' validation and shaping. */
  sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]>;
  /** A single-topic send, as `producer.send` builds it. */
  send(record: ProducerRecord): Promise<RecordMetadata[]>;
  /** For history recording: the simulation and the client id operations are recorded under. */
  readonly sim?: Simulation;
  readonly clientId?: string;
}

/** kafkajs' transaction states (`eosManager/transactionStates.js`) for the native client states. */
const KAFKAJS_STATE: Readonly<Record<TxnClientState, string>> = {
  UNINITIALIZED: "UNINITIALIZED",
  INITIALIZING: "UNINITIALIZED",
  READY: "READY",
  IN_TRANSACTION: "TRANSACTING",
  ABORTABLE_ERROR: "TRANSACTING",
  COMMITTING_TRANSACTION: "COMMITTING",
  ABORTING_TRANSACTION: "ABORTING",
  FATAL_ERROR: "READY",
};

const ONGOING =
  "There is already an ongoing transaction for this producer. Please end the transaction before beginning another.";
const ENDED = "Cannot continue to use transaction once ended";
const SEND_OFFSETS_KEYS = ["consumerGroupId", "topics"];
const TOPIC_OFFSETS_KEYS = ["topic", "partitions"];
const PARTITION_OFFSET_KEYS = ["partition", "offset", "metadata"];

/** Whether the native producer has a transaction open (kafkajs' TRANSACTING). */
function isOngoing(state: TxnClientState | null): boolean {
  return state === "IN_TRANSACTION" || state === "ABORTABLE_ERROR";
}

/**
 * The error a producer in FATAL_ERROR throws on every call (fenced, typically), or null when it
 * is not in that state. The native producer documents that every call then throws it; asking
 * `beginTransaction` changes nothing.
 */
function fatalError(native: NativeProducer): Error | null {
  if (native.transactionState !== "FATAL_ERROR") return null;
  try {
    native.beginTransaction();
  } catch (error) {
    return toKafkaJSError(error);
  }
  return null;
}

/**
 * Validates kafkajs' `sendOffsets` argument and flattens it to native offsets. Refuses, changing
 * nothing, what kafkajs would fail on (its asserts, or an encoding error at the broker).
 */
function checkSendOffsets(arg: unknown): { groupId: string; offsets: TopicPartitionOffset[] } {
  const where = "transaction.sendOffsets";
  if (arg === null || typeof arg !== "object" || Array.isArray(arg)) {
    throw invalid(
      `${where}: expected { consumerGroupId, topics: [{ topic, partitions: [{ partition, offset }] }] }.`,
    );
  }
  try {
    checkOptions(arg, SEND_OFFSETS_KEYS, where);
  } catch (error) {
    throw toKafkaJSError(error);
  }
  const { consumerGroupId, topics } = arg as { consumerGroupId?: unknown; topics?: unknown };
  // kafkajs: assert(consumerGroupId, 'Missing consumerGroupId'); assert(topics, 'Missing offset topics').
  if (!consumerGroupId) throw invalid("Missing consumerGroupId");
  if (typeof consumerGroupId !== "string") {
    throw invalid(`${where}: consumerGroupId must be a string, got ${typeof consumerGroupId}.`);
  }
  if (!topics) throw invalid("Missing offset topics");
  if (!Array.isArray(topics)) throw invalid(`${where}: topics must be an array of { topic, partitions }.`);
  const offsets: TopicPartitionOffset[] = [];
  const seen = new Set<string>();
  topics.forEach((entry: unknown, i) => {
    const at = `${where}: topics[${i}]`;
    if (entry === null || typeof entry !== "object" || Array.isArray(entry)) {
      throw invalid(`${at} must be { topic, partitions: [{ partition, offset }] }.`);
    }
    try {
      checkOptions(entry, TOPIC_OFFSETS_KEYS, at);
    } catch (error) {
      throw toKafkaJSError(error);
    }
    const { topic, partitions } = entry as { topic?: unknown; partitions?: unknown };
    if (typeof topic !== "string" || topic === "") throw invalid(`${at}.topic must be a non-empty string.`);
    if (!Array.isArray(partitions)) {
      throw invalid(`${at}.partitions must be an array of { partition, offset }.`);
    }
    partitions.forEach((p: unknown, j) => {
      const pat = `${at}.partitions[${j}]`;
      if (p === null || typeof p !== "object" || Array.isArray(p)) {
        throw invalid(`${pat} must be { partition, offset }.`);
      }
      try {
        checkOptions(p, PARTITION_OFFSET_KEYS, pat);
      } catch (error) {
        throw toKafkaJSError(error);
      }
      const { partition, offset, metadata } = p as {
        partition?: unknown;
        offset?: unknown;
        metadata?: unknown;
      };
      if (typeof partition !== "number" || !Number.isInteger(partition) || partition < 0) {
        throw invalid(`${pat}.partition must be an integer ≥ 0, got ${String(partition)}.`);
      }
      let n: number;
      try {
        n = parseLong(offset, "offset", pat);
      } catch (error) {
        throw toKafkaJSError(error);
      }
      if (n < 0) {
        throw invalid(
          `${pat}.offset must be ≥ 0 (the offset of the next message to consume, message.offset + 1), got ${String(offset)}.`,
        );
      }
      if (metadata !== undefined && metadata !== null && typeof metadata !== "string") {
        throw invalid(`${pat}.metadata must be a string or null.`);
      }
      const key = `${topic}:${partition}`;
      if (seen.has(key)) throw invalid(`${where}: ${topic}[${partition}] appears twice.`);
      seen.add(key);
      offsets.push(
        typeof metadata === "string"
          ? { topic, partition, offset: n, metadata }
          : { topic, partition, offset: n },
      );
    });
  });
  return { groupId: consumerGroupId, offsets };
}

/**
 * The transactions of one facade producer: creates the native transactional producer on the
 * first `transaction()` and hands out one {@link Transaction} at a time.
 *
 * @example
 * ```ts
 * const transactions = new Transactions(link);
 * const tx = await transactions.begin();
 * ```
 */
export class Transactions {
  private readonly link: TransactionalLink;
  private open: string | null = null;
  private begun = 0;

  /** The history id of the open transaction (null between transactions). */
  get currentTxn(): string | null {
    return this.open;
  }

  constructor(link: TransactionalLink) {
    this.link = link;
  }

  /** kafkajs' `producer.transaction()`. */
  async begin(): Promise<Transaction> {
    const native = this.link.native();
    const before = native.transactionState;
    if (isOngoing(before))
      throw new KafkaJSNonRetriableError(ONGOING, { brokerlabCode: "INVALID_TXN_STATE" });
    if (before === "COMMITTING_TRANSACTION" || before === "ABORTING_TRANSACTION") {
      throw new KafkaJSNonRetriableError(
        `Transaction state exception: Cannot call "beginTransaction" in state "${KAFKAJS_STATE[before]}"`,
        { brokerlabCode: "INVALID_TXN_STATE" },
      );
    }
    try {
      // kafkajs initializes the transactional producer id once, on the first transaction().
      if (before === "UNINITIALIZED" || before === "INITIALIZING") await native.initTransactions();
      // Another transaction() may have begun while this one waited for the coordinator.
      if (isOngoing(native.transactionState)) {
        throw new KafkaJSNonRetriableError(ONGOING, { brokerlabCode: "INVALID_TXN_STATE" });
      }
      native.beginTransaction();
    } catch (error) {
      throw toKafkaJSError(error);
    }
    // The producer id and epoch tell incarnations apart; the count tells transactions of one apart.
    this.open = `${this.link.transactionalId}@${native.producerId}.${native.epoch}#${++this.begun}`;
    const { sim, clientId } = this.link;
    if (sim !== undefined && history.recording(sim))
      history.event(sim, clientId ?? this.link.transactionalId, "txn", { txn: this.open, action: "begin" });
    return this.transaction(native, this.open);
  }

  private transaction(native: NativeProducer, txn: string): Transaction {
    const link = this.link;
    const { sim } = link;
    const client = link.clientId ?? link.transactionalId;
    /** open → ending (commit/abort in progress) → ended; back to open if the end failed and may be retried. */
    let phase: "open" | "ending" | "ended" = "open";
    // A fenced producer's transaction is over too (kafkajs would say active until a commit failed).
    const isActive = () => phase === "open" && native.transactionState !== "FATAL_ERROR";
    /** What a call on an ended transaction rejects with: the producer's fatal error (fenced), else kafkajs'. */
    const endedError = () =>
      fatalError(native) ?? new KafkaJSNonRetriableError(ENDED, { brokerlabCode: "INVALID_TXN_STATE" });
    const guard =
      <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
      (...args: A): Promise<R> => {
        // A fenced producer refuses before anything (topic auto-creation, partitioner state) happens.
        if (!isActive()) return Promise.reject(endedError());
        return fn(...args);
      };
    /**
     * After a failed commit or abort: still open while the native transaction can go on (abort
     * after an abortable error, or repeat a commit/abort that timed out), else over.
     */
    const afterFailedEnd = () => {
      const state = native.transactionState;
      phase =
        isOngoing(state) || state === "COMMITTING_TRANSACTION" || state === "ABORTING_TRANSACTION"
          ? "open"
          : "ended";
    };
    const end = async (how: "commit" | "abort") => {
      phase = "ending";
      const rec = sim !== undefined && history.recording(sim);
      if (rec) history.step(sim, client, "invoke", "txn", { txn, action: how });
      try {
        await (how === "commit" ? native.commitTransaction() : native.abortTransaction());
      } catch (error) {
        afterFailedEnd();
        const e = toKafkaJSError(error);
        if (rec) history.step(sim, client, history.outcomeOf(e), "txn", { txn, action: how, error: e.name });
        throw e;
      }
      phase = "ended";
      if (this.open === txn) this.open = null;
      if (rec) history.step(sim, client, "ok", "txn", { txn, action: how });
    };
    return {
      send: guard((record: ProducerRecord) => link.send(record)),
      sendBatch: guard((batch: ProducerBatch) => link.sendBatch(batch)),
      sendOffsets: guard(async (arg: { consumerGroupId: string; topics: TopicOffsets[] }) => {
        const { groupId, offsets } = checkSendOffsets(arg);
        const rec = sim !== undefined && history.recording(sim);
        const value = {
          txn,
          group: groupId,
          offsets: offsets.map((o) => `${o.topic}/${o.partition}=${o.offset}`).join(","),
        };
        if (rec) history.step(sim, client, "invoke", "commit", value);
        try {
          await native.sendOffsetsToTransaction(offsets, groupId);
        } catch (error) {
          const e = toKafkaJSError(error);
          if (rec) history.step(sim, client, history.outcomeOf(e), "commit", value);
          throw e;
        }
        if (rec) history.step(sim, client, "ok", "commit", value);
      }),
      commit: guard(() => end("commit")),
      abort: guard(() => end("abort")),
      isActive,
    };
  }
}
