import { InvalidArgumentError, invariant } from "../scheduler/errors.js";
import { CRASH_POINTS, type ModelCrashPoint, neverSettles } from "../scheduler/process.js";
import { checkInteger, checkOptions, checkString } from "../scheduler/validate.js";
import type { LogCluster } from "./cluster.js";
import { CommitFailedError, LogError, type LogErrorCode } from "./errors.js";
import type { ConsumerGroupMetadata } from "./group-state.js";
import type { RequestKind } from "./network.js";
import { checkOffsetList, type TopicPartition, type TopicPartitionOffset, tpKey } from "./record.js";
import type { TxnResponse } from "./transaction-coordinator.js";
import type { TransactionProtocol, TxnResult } from "./transaction-state.js";
import "./events.js";

/**
 * The client half of Kafka transactions (Java's `TransactionManager`), owned by a producer created
 * with a `transactionalId`. It keeps the client state machine, talks to the transaction
 * coordinator through the network model (every request can be dropped or delayed by the fault
 * hook, times out after `request.timeout.ms` and is retried until `max.block.ms`), holds back
 * records for partitions not yet added to the transaction (v1), and decides which failures are
 * fatal (fenced: the producer is finished) and which only doom the current transaction (abortable:
 * `abortTransaction()` and carry on).
 *
 * ## Native transaction API (on `Producer`; a kafkajs facade wraps it thinly)
 *
 * ```ts
 * const producer = cluster.producer({ transactionalId: "order-totals", transactionTimeoutMs: 60_000 });
 * await producer.initTransactions();            // InitProducerId: fences older incarnations, aborts their open transaction
 * producer.beginTransaction();                   // local; throws INVALID_TXN_STATE unless READY
 * producer.send({ topic: "order-totals", key, value });   // Promise<RecordMetadata>; any number, any partitions
 * await producer.sendOffsetsToTransaction(       // consumed offsets (next to read) join the transaction
 *   [{ topic: "orders", partition: 0, offset: 42 }],
 *   consumer.groupMetadata(),                     // or just the group id (kafkajs' sendOffsets({ consumerGroupId }))
 * );
 * await producer.commitTransaction();            // flushes, then EndTxn(commit); or:
 * await producer.abortTransaction();             // drops unsent records, then EndTxn(abort)
 * producer.transactionState;                     // "READY" | "IN_TRANSACTION" | … (isActive ⇔ IN_TRANSACTION)
 * producer.setTransactionCrashHook((point, info) => point === "before-commit");   // fault points
 * ```
 *
 * kafkajs mapping: `producer({ transactionalId, idempotent: true, maxInFlightRequests: 1,
 * transactionTimeout })` → `cluster.producer({ transactionalId, transactionTimeoutMs,
 * maxInFlightRequestsPerConnection })`; `producer.transaction()` → `initTransactions()` the first
 * time, then `beginTransaction()`; `transaction.send/sendBatch` → `send` per message (await all);
 * `sendOffsets({ consumerGroupId, topics })` → `sendOffsetsToTransaction(flattened, consumerGroupId)`;
 * `commit()` / `abort()` → `commitTransaction()` / `abortTransaction()`; `isActive()` →
 * `transactionState === "IN_TRANSACTION"`; a consumer's `readUncommitted: false` →
 * `isolationLevel: "read_committed"`.
 *
 * Errors (codes are Kafka's names): INVALID_TXN_STATE for a call in the wrong state (including
 * transactional calls on a non-transactional producer, commit without begin, begin twice, any call
 * after an abortable error other than abort); PRODUCER_FENCED once a newer instance initialized the
 * same transactional id or the coordinator aborted a transaction that outlived
 * `transaction.timeout.ms` (fatal: every later call throws it); CommitFailedError
 * (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID) when the group refuses the offsets
 * (abortable); INVALID_GROUP_ID for group metadata without a group; INVALID_TRANSACTION_TIMEOUT
 * above `transaction.max.timeout.ms`; REQUEST_TIMED_OUT after `max.block.ms` of retries (the call
 * may be repeated).
 */

/** Java's `TransactionManager.State`. */
export type TxnClientState =
  | "UNINITIALIZED"
  | "INITIALIZING"
  | "READY"
  | "IN_TRANSACTION"
  | "COMMITTING_TRANSACTION"
  | "ABORTING_TRANSACTION"
  | "ABORTABLE_ERROR"
  | "FATAL_ERROR";

/**
 * Allowed client transitions (Java's `State.isTransitionValid`); FATAL_ERROR is reachable from
 * everywhere.
 *
 * @example
 * ```ts
 * TXN_CLIENT_TRANSITIONS.READY; // ["IN_TRANSACTION", "INITIALIZING", "FATAL_ERROR"]
 * ```
 */
export const TXN_CLIENT_TRANSITIONS: Readonly<Record<TxnClientState, readonly TxnClientState[]>> =
  Object.freeze({
    UNINITIALIZED: ["INITIALIZING", "FATAL_ERROR"],
    INITIALIZING: ["INITIALIZING", "READY", "FATAL_ERROR"],
    READY: ["IN_TRANSACTION", "INITIALIZING", "FATAL_ERROR"],
    IN_TRANSACTION: ["COMMITTING_TRANSACTION", "ABORTING_TRANSACTION", "ABORTABLE_ERROR", "FATAL_ERROR"],
    COMMITTING_TRANSACTION: ["READY", "ABORTABLE_ERROR", "FATAL_ERROR"],
    ABORTING_TRANSACTION: ["READY", "INITIALIZING", "FATAL_ERROR"],
    ABORTABLE_ERROR: ["ABORTING_TRANSACTION", "ABORTABLE_ERROR", "FATAL_ERROR"],
    FATAL_ERROR: ["FATAL_ERROR"],
  });

/**
 * Where a transactional producer can be made to crash (the process dies there: unsent records are
 * lost, requests already sent still arrive, nothing after the point runs):
 * - `before-send`: before each `send` (with `info.send` ≥ 1: between two sends of a transaction);
 * - `before-send-offsets` / `after-send-offsets`: around `sendOffsetsToTransaction`;
 * - `before-commit`: on entering `commitTransaction`, before the flush;
 * - `during-commit`: right after the EndTxn(commit) request left — the coordinator will commit,
 *   the application never hears;
 * - `after-commit`: after the commit was acknowledged, before the call returns;
 * - `before-abort` / `after-abort`: around `abortTransaction`.
 */
export type TxnCrashPoint =
  | "before-send"
  | "before-send-offsets"
  | "after-send-offsets"
  | "before-commit"
  | "during-commit"
  | "after-commit"
  | "before-abort"
  | "after-abort";

/** Every crash point, in the order a transaction meets them. */
export const TXN_CRASH_POINTS: readonly TxnCrashPoint[] = Object.freeze([
  "before-send",
  "before-send-offsets",
  "after-send-offsets",
  "before-commit",
  "during-commit",
  "after-commit",
  "before-abort",
  "after-abort",
]);

/**
 * The process-level crash point (`sim.crashPoint`, see `CRASH_POINTS`) each transactional fault
 * point also is: the kernel's crash hook kills the process there, not only the producer.
 */
const PROCESS_POINT: Readonly<Record<TxnCrashPoint, ModelCrashPoint>> = Object.freeze({
  "before-send": CRASH_POINTS.beforeTransactionalSend,
  "before-send-offsets": CRASH_POINTS.beforeSendOffsets,
  "after-send-offsets": CRASH_POINTS.afterSendOffsets,
  "before-commit": CRASH_POINTS.beforeCommitTransaction,
  "during-commit": CRASH_POINTS.duringCommitTransaction,
  "after-commit": CRASH_POINTS.afterCommitTransaction,
  "before-abort": CRASH_POINTS.beforeAbortTransaction,
  "after-abort": CRASH_POINTS.afterAbortTransaction,
});

/** What a crash hook is told. */
export interface TxnCrashInfo {
  readonly clientId: string;
  readonly transactionalId: string;
  /** 1-based count of transactions this producer instance began. */
  readonly transaction: number;
  /** Sends so far in this transaction (0 at the first `before-send`). */
  readonly send: number;
}

/**
 * Decides whether the producer crashes at a fault point; return true to crash.
 *
 * @example
 * ```ts
 * // Crash between the second and third send of the first transaction.
 * producer.setTransactionCrashHook((point, info) => point === "before-send" && info.transaction === 1 && info.send === 2);
 * ```
 */
export type TxnCrashHook = (point: TxnCrashPoint, info: TxnCrashInfo) => boolean;

/** What the transaction manager needs from its producer. */
export interface TxnProducerLink {
  readonly clientId: string;
  readonly producerId: number;
  readonly epoch: number;
  readonly isCrashed: boolean;
  /** New producer id / epoch from the coordinator; sequences restart at 0. */
  setIdentity(producerId: number, epoch: number): void;
  /** Resolves when nothing is left to send or acknowledge. */
  flush(): Promise<void>;
  crash(): void;
  /** Fails every batch not in flight (aborting, or fenced). */
  abortUnsent(error: LogError): void;
  /** Fails the batches waiting for these partitions (`topic:partition` keys). */
  failPartitions(keys: ReadonlySet<string>, error: LogError): void;
  /** Makes `send`, `flush`, … throw this from now on. */
  setFatal(error: LogError): void;
  /** Asks the sender to look at its queues again. */
  wake(): void;
}

/** Settings of a transaction manager. */
export interface TransactionManagerSettings {
  readonly transactionalId: string;
  readonly transactionTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly retryBackoffMs: number;
  readonly maxBlockMs: number;
}

const RETRIABLE: ReadonlySet<LogErrorCode> = new Set([
  "CONCURRENT_TRANSACTIONS",
  "COORDINATOR_NOT_AVAILABLE",
]);
const FENCING: ReadonlySet<LogErrorCode> = new Set([
  "PRODUCER_FENCED",
  "INVALID_PRODUCER_EPOCH",
  "INVALID_PRODUCER_ID_MAPPING",
]);
const GROUP_REFUSALS: ReadonlySet<LogErrorCode> = new Set([
  "ILLEGAL_GENERATION",
  "UNKNOWN_MEMBER_ID",
  "FENCED_INSTANCE_ID",
  "REBALANCE_IN_PROGRESS",
  "COORDINATOR_NOT_AVAILABLE",
]);

/**
 * Normalizes what `sendOffsetsToTransaction` accepts as its second argument: a
 * {@link ConsumerGroupMetadata} (KIP-447: the member and generation are checked) or a bare group
 * id (the older form kafkajs uses: only the group is named, nothing is checked).
 *
 * @example
 * ```ts
 * normalizeGroupMetadata("billing", "x"); // { groupId: "billing", generationId: -1, memberId: "", groupInstanceId: null }
 * ```
 */
export function normalizeGroupMetadata(
  value: unknown,
  where: string,
): ConsumerGroupMetadata & { groupId: string } {
  if (typeof value === "string") {
    checkString(value, "groupMetadata", where, true);
    return { groupId: value, generationId: -1, memberId: "", groupInstanceId: null };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new InvalidArgumentError(
      `${where}: groupMetadata must be consumer.groupMetadata() ({ groupId, generationId, memberId, groupInstanceId }) or a group id string.`,
    );
  }
  checkOptions(value, ["groupId", "generationId", "memberId", "groupInstanceId"], `${where}: groupMetadata`);
  const meta = value as ConsumerGroupMetadata;
  if (meta.groupId === null || meta.groupId === undefined) {
    throw new LogError(
      "INVALID_GROUP_ID",
      `${where}: the consumer has no group (groupId null), so there is no group to commit offsets for. Give the consumer a groupId.`,
    );
  }
  checkString(meta.groupId, "groupMetadata.groupId", where, true);
  const generationId = meta.generationId ?? -1;
  checkInteger(generationId, "groupMetadata.generationId", where, -1);
  const memberId = meta.memberId ?? "";
  checkString(memberId, "groupMetadata.memberId", where);
  const groupInstanceId = meta.groupInstanceId ?? null;
  if (groupInstanceId !== null) checkString(groupInstanceId, "groupMetadata.groupInstanceId", where, true);
  return { groupId: meta.groupId, generationId, memberId, groupInstanceId };
}

/**
 * The transactional state of one producer. Created by the producer; use the producer's methods.
 *
 * @example
 * ```ts
 * const producer = cluster.producer({ transactionalId: "tx" });
 * producer.transactionState; // "UNINITIALIZED"
 * ```
 */
export class TransactionManager {
  readonly transactionalId: string;
  private readonly settings: TransactionManagerSettings;
  private readonly producer: TxnProducerLink;
  private readonly cluster: LogCluster;
  private stateValue: TxnClientState = "UNINITIALIZED";
  private fatalError: LogError | null = null;
  private abortableError: LogError | null = null;
  /** Partitions the coordinator confirmed in this transaction (v1). */
  private readonly added = new Set<string>();
  /** Partitions waiting for an AddPartitionsToTxn to be sent / answered (v1). */
  private readonly pendingAdd = new Map<string, TopicPartition>();
  private readonly inFlightAdd = new Map<string, TopicPartition>();
  private addScheduled = false;
  /** Groups added with AddOffsetsToTxn (v1). */
  private readonly groupsAdded = new Set<string>();
  /** The coordinator may have an open transaction for us (so EndTxn must be sent). */
  private transactionStarted = false;
  /** A sequenced batch failed: the epoch must be bumped before the next transaction (KIP-360). */
  private epochBumpRequired = false;
  /** Transactional requests in progress (commit and abort wait for them). */
  private readonly operations = new Set<Promise<unknown>>();
  private readonly pendingReplies = new Set<(error: LogError) => void>();
  /** The initTransactions in progress (a repeated call joins it). */
  private initializing: Promise<void> | null = null;
  /** The commit or abort in progress (a repeated call joins it rather than sending a second EndTxn). */
  private ending: { readonly result: TxnResult; readonly promise: Promise<void> } | null = null;
  private crashHook: TxnCrashHook | null = null;
  private crashedValue = false;
  private transactionsBegun = 0;
  private sendsInTransaction = 0;

  constructor(producer: TxnProducerLink, cluster: LogCluster, settings: TransactionManagerSettings) {
    this.producer = producer;
    this.cluster = cluster;
    this.settings = settings;
    this.transactionalId = settings.transactionalId;
  }

  /** Client state. */
  get state(): TxnClientState {
    return this.stateValue;
  }

  /** The coordinator's protocol. */
  get protocol(): TransactionProtocol {
    return this.cluster.transactions.protocol;
  }

  /** Transactions this producer instance began. */
  get transactions(): number {
    return this.transactionsBegun;
  }

  /** Installs (or removes) this producer's crash hook (overrides the cluster's). */
  setCrashHook(hook: TxnCrashHook | null): void {
    if (hook !== null && typeof hook !== "function") {
      throw new InvalidArgumentError("setTransactionCrashHook: hook must be a function or null.");
    }
    this.crashHook = hook;
  }

  // ---------------------------------------------------------------- public operations

  /** See `Producer.initTransactions`. */
  initTransactions(): Promise<void> {
    const where = "Producer.initTransactions";
    this.throwIfFatal();
    if (this.initializing !== null) return this.initializing;
    if (this.stateValue !== "UNINITIALIZED" && this.stateValue !== "INITIALIZING") {
      throw this.stateError(where, "initTransactions may be called only once per producer instance");
    }
    this.transition("INITIALIZING");
    const promise = this.doInit(null);
    this.initializing = promise;
    const clear = () => {
      this.initializing = null;
    };
    promise.then(clear, clear);
    return this.track(promise);
  }

  /** See `Producer.beginTransaction`. */
  beginTransaction(): void {
    const where = "Producer.beginTransaction";
    this.throwIfFatal();
    if (this.stateValue !== "READY") throw this.stateError(where, "beginTransaction needs state READY");
    invariant(
      this.added.size === 0 && this.pendingAdd.size === 0 && !this.transactionStarted,
      "transaction bookkeeping not reset",
    );
    this.transition("IN_TRANSACTION");
    this.transactionsBegun++;
    this.sendsInTransaction = 0;
  }

  /**
   * Called by `Producer.send` before anything is queued: state check and the `before-send` fault
   * point. True when the process running the send died there (the send must then do nothing).
   */
  checkSend(where: string): boolean {
    this.throwIfFatal();
    if (this.stateValue === "ABORTABLE_ERROR") throw this.mustAbort(where);
    if (this.stateValue !== "IN_TRANSACTION") {
      throw this.stateError(
        where,
        "a transactional producer sends only inside a transaction (beginTransaction first)",
      );
    }
    return this.crashPoint("before-send", where);
  }

  /** Called by `Producer.send` once the record is queued. */
  recordSend(): void {
    this.sendsInTransaction++;
    // v2 adds the partition when the produce request reaches the broker; from now on the
    // coordinator may hold an open transaction, so ending it needs an EndTxn.
    if (this.protocol === "v2") this.transactionStarted = true;
  }

  /** See `Producer.sendOffsetsToTransaction`. */
  sendOffsetsToTransaction(offsets: readonly TopicPartitionOffset[], groupMetadata: unknown): Promise<void> {
    const where = "Producer.sendOffsetsToTransaction";
    this.throwIfFatal();
    const list = checkOffsetList(offsets, "offsets", where);
    const group = normalizeGroupMetadata(groupMetadata, where);
    if (this.stateValue === "ABORTABLE_ERROR") throw this.mustAbort(where);
    if (this.stateValue !== "IN_TRANSACTION") {
      throw this.stateError(
        where,
        "sendOffsetsToTransaction needs an open transaction (beginTransaction first)",
      );
    }
    if (list.length === 0) return Promise.resolve();
    if (this.crashPoint("before-send-offsets", where)) return neverSettles();
    return this.track(this.doSendOffsets(list, group, where));
  }

  /** See `Producer.commitTransaction`. */
  commitTransaction(): Promise<void> {
    const where = "Producer.commitTransaction";
    this.throwIfFatal();
    if (this.stateValue === "ABORTABLE_ERROR") throw this.mustAbort(where);
    if (this.stateValue !== "IN_TRANSACTION" && this.stateValue !== "COMMITTING_TRANSACTION") {
      throw this.stateError(where, "commitTransaction needs an open transaction (beginTransaction first)");
    }
    if (this.ending?.result === "commit") return this.ending.promise;
    if (this.crashPoint("before-commit", where)) return neverSettles();
    if (this.stateValue === "IN_TRANSACTION") this.transition("COMMITTING_TRANSACTION");
    return this.end("commit", where);
  }

  /** See `Producer.abortTransaction`. */
  abortTransaction(): Promise<void> {
    const where = "Producer.abortTransaction";
    this.throwIfFatal();
    if (
      this.stateValue !== "IN_TRANSACTION" &&
      this.stateValue !== "ABORTABLE_ERROR" &&
      this.stateValue !== "ABORTING_TRANSACTION"
    ) {
      throw this.stateError(where, "abortTransaction needs an open transaction (beginTransaction first)");
    }
    if (this.ending?.result === "abort") return this.ending.promise;
    if (this.crashPoint("before-abort", where)) return neverSettles();
    if (this.stateValue !== "ABORTING_TRANSACTION") this.transition("ABORTING_TRANSACTION");
    this.producer.abortUnsent(
      new LogError(
        "TRANSACTION_ABORTED",
        `Producer ${this.producer.clientId}: the transaction was aborted before this record was sent.`,
      ),
    );
    // The records that needed these partitions are gone; adding them now could only open a
    // transaction behind the abort's back.
    this.pendingAdd.clear();
    return this.end("abort", where);
  }

  private end(result: TxnResult, where: string): Promise<void> {
    const promise = this.doEnd(result, where);
    const ending = { result, promise };
    this.ending = ending;
    const clear = () => {
      if (this.ending === ending) this.ending = null;
    };
    promise.then(clear, clear);
    return this.track(promise);
  }

  // ---------------------------------------------------------------- producer callbacks

  /**
   * Whether records for this partition may be sent now. v1 holds them back until the coordinator
   * confirmed AddPartitionsToTxn (and sends that request); v2 sends at once.
   */
  partitionReady(topic: string, partition: number): boolean {
    if (this.protocol === "v2") return true;
    const key = tpKey(topic, partition);
    if (this.added.has(key)) return true;
    if (this.stateValue === "FATAL_ERROR" || this.crashedValue) return false;
    if (!this.pendingAdd.has(key) && !this.inFlightAdd.has(key)) {
      this.pendingAdd.set(key, { topic, partition });
      if (!this.addScheduled && this.inFlightAdd.size === 0) {
        this.addScheduled = true;
        this.cluster.sim.defer(this.sendAddPartitions);
      }
    }
    return false;
  }

  /**
   * A batch of this producer failed for good. Our own abort is expected; fencing is fatal; anything
   * else dooms the transaction. A batch that had a sequence number leaves the broker's sequence
   * state unknown, so the epoch must be bumped before the next transaction.
   */
  onBatchFailed(code: LogErrorCode, message: string, sequenced: boolean): LogError | null {
    if (sequenced) this.epochBumpRequired = true;
    if (code === "TRANSACTION_ABORTED" || code === "PRODUCER_CLOSED") return null;
    if (FENCING.has(code)) return this.fence(message);
    this.setAbortable(new LogError(code, message));
    return null;
  }

  /** The producer crashed: outstanding requests are abandoned. */
  onCrash(): void {
    this.crashedValue = true;
    const error = this.closedError("the producer crashed");
    for (const reject of [...this.pendingReplies]) reject(error);
    this.pendingReplies.clear();
  }

  /** Marks the producer fenced (fatal) and returns the error every later call throws. */
  fence(detail: string): LogError {
    if (this.fatalError !== null && this.fatalError.code === "PRODUCER_FENCED") return this.fatalError;
    const error = new LogError(
      "PRODUCER_FENCED",
      `Producer ${this.producer.clientId} (transactional id ${this.transactionalId}) is fenced: ${detail} ` +
        "A newer producer with the same transactional id took over (or the transaction outlived transaction.timeout.ms and the coordinator aborted it). This instance can no longer be used: close it.",
      {
        transactionalId: this.transactionalId,
        producerId: this.producer.producerId,
        epoch: this.producer.epoch,
      },
    );
    this.setFatal(error);
    return error;
  }

  // ---------------------------------------------------------------- flows

  private async doInit(expected: { producerId: number; epoch: number } | null): Promise<void> {
    const coordinator = this.cluster.transactions;
    const { transactionalId, transactionTimeoutMs } = this.settings;
    const r = await this.rpc("init-producer-id", [], null, undefined, () =>
      coordinator.initProducerId(transactionalId, transactionTimeoutMs, expected),
    );
    if (r.error !== null) {
      if (r.error === "REQUEST_TIMED_OUT") throw this.timeoutError("initTransactions", r.message);
      const error = new LogError(r.error, `Producer ${this.producer.clientId}: ${r.message}`, {
        transactionalId,
      });
      if (FENCING.has(r.error)) throw this.fence(r.message);
      this.setFatal(error);
      throw error;
    }
    this.producer.setIdentity(r.producerId, r.epoch);
    this.epochBumpRequired = false;
    this.transition("READY");
  }

  private async doSendOffsets(
    offsets: TopicPartitionOffset[],
    group: ConsumerGroupMetadata & { groupId: string },
    where: string,
  ): Promise<void> {
    const coordinator = this.cluster.transactions;
    const transactionalId = this.transactionalId;
    const producerId = this.producer.producerId;
    const epoch = this.producer.epoch;
    const partitions = offsets.map((o) => ({ topic: o.topic, partition: o.partition }));
    if (this.protocol === "v1" && !this.groupsAdded.has(group.groupId)) {
      const added = await this.rpc("add-offsets", [], group.groupId, undefined, () =>
        coordinator.addOffsets(transactionalId, producerId, epoch, group.groupId),
      );
      this.handleFailure(added, where);
      this.groupsAdded.add(group.groupId);
      this.transactionStarted = true;
    }
    if (this.protocol === "v2") this.transactionStarted = true;
    const r = await this.rpc("txn-offset-commit", partitions, group.groupId, undefined, () =>
      coordinator.txnOffsetCommit({
        transactionalId,
        producerId,
        epoch,
        groupId: group.groupId,
        memberId: group.memberId,
        generationId: group.generationId,
        groupInstanceId: group.groupInstanceId,
        offsets,
      }),
    );
    this.handleFailure(r, where);
    if (this.crashPoint("after-send-offsets", where)) await neverSettles();
  }

  private async doEnd(result: TxnResult, where: string): Promise<void> {
    // Everything sent in the transaction must be acknowledged first (Java flushes in commit; an
    // abort waits for requests already in flight, its unsent records were dropped).
    await this.settleOperations();
    await this.producer.flush();
    if (this.crashedValue) throw this.closedError("the producer crashed");
    this.throwIfFatal();
    if (result === "commit" && this.abortableError !== null) {
      this.transition("ABORTABLE_ERROR");
      throw this.mustAbort(where);
    }
    if (this.transactionStarted) {
      const coordinator = this.cluster.transactions;
      const { transactionalId } = this;
      const producerId = this.producer.producerId;
      const epoch = this.producer.epoch;
      const r = await this.rpc(
        "end-txn",
        [],
        null,
        (attempt) => {
          if (result === "commit" && attempt === 0) this.crashPoint("during-commit", where);
        },
        () => coordinator.endTxn(transactionalId, producerId, epoch, result),
        result,
      );
      if (r.error !== null) {
        if (r.error === "REQUEST_TIMED_OUT") throw this.timeoutError(where, r.message);
        if (FENCING.has(r.error)) throw this.fence(r.message);
        // Java treats any other EndTxn error as fatal: the client no longer knows the outcome.
        const error = new LogError(r.error, `Producer ${this.producer.clientId}: ${r.message}`, {
          transactionalId,
        });
        this.setFatal(error);
        throw error;
      }
      if (r.producerId !== producerId || r.epoch !== epoch) {
        // v2: the coordinator bumped the epoch with the decision.
        this.producer.setIdentity(r.producerId, r.epoch);
        this.epochBumpRequired = false;
      }
    }
    this.resetTransaction();
    if (result === "abort" && this.epochBumpRequired) {
      // KIP-360: sequences of failed batches are unknown; a bumped epoch restarts them at 0.
      this.transition("INITIALIZING");
      await this.doInit({ producerId: this.producer.producerId, epoch: this.producer.epoch });
    } else {
      this.transition("READY");
    }
    if (this.crashPoint(result === "commit" ? "after-commit" : "after-abort", where)) await neverSettles();
  }

  private readonly sendAddPartitions = (): void => {
    this.addScheduled = false;
    if (this.pendingAdd.size === 0 || this.inFlightAdd.size > 0 || this.crashedValue) return;
    const state = this.stateValue;
    if (state !== "IN_TRANSACTION" && state !== "COMMITTING_TRANSACTION" && state !== "ABORTABLE_ERROR") {
      this.pendingAdd.clear();
      return;
    }
    for (const [key, tp] of this.pendingAdd) this.inFlightAdd.set(key, tp);
    this.pendingAdd.clear();
    const coordinator = this.cluster.transactions;
    const transactionalId = this.transactionalId;
    const producerId = this.producer.producerId;
    const epoch = this.producer.epoch;
    const partitions = [...this.inFlightAdd.values()];
    const op = this.rpc("add-partitions", partitions, null, undefined, () =>
      coordinator.addPartitions(transactionalId, producerId, epoch, partitions),
    ).then(
      (r) => {
        const keys = new Set(this.inFlightAdd.keys());
        this.inFlightAdd.clear();
        if (r.error === null) {
          for (const key of keys) this.added.add(key);
          this.transactionStarted = true;
        } else {
          let error: LogError;
          if (FENCING.has(r.error)) error = this.fence(r.message);
          else {
            error = new LogError(
              r.error === "REQUEST_TIMED_OUT" ? "REQUEST_TIMED_OUT" : r.error,
              `Producer ${this.producer.clientId}: ${r.message}`,
              { transactionalId },
            );
            this.setAbortable(error);
          }
          this.producer.failPartitions(keys, error);
        }
        if (this.pendingAdd.size > 0) this.sendAddPartitions();
        this.producer.wake();
      },
      () => {
        this.inFlightAdd.clear(); // crashed: nothing more to do
      },
    );
    this.track(op);
  };

  // ---------------------------------------------------------------- requests

  /**
   * One transactional request through the network model, retried (after `retry.backoff.ms`) on
   * timeouts and on CONCURRENT_TRANSACTIONS / COORDINATOR_NOT_AVAILABLE until `max.block.ms`.
   * `handle` runs at the coordinator when (and if) the request arrives, with the identity captured
   * when the call was made. Rejects only if the producer crashes; errors come back in the response.
   */
  private async rpc(
    kind: RequestKind,
    partitions: readonly TopicPartition[],
    groupId: string | null,
    onSent: ((attempt: number) => void) | undefined,
    handle: () => TxnResponse,
    result?: TxnResult,
  ): Promise<TxnResponse> {
    const sim = this.cluster.sim;
    const deadline = sim.now + this.settings.maxBlockMs;
    let last = "no response";
    for (let attempt = 0; ; attempt++) {
      if (this.crashedValue) throw this.closedError("the producer crashed");
      const pending = this.attempt(kind, partitions, groupId, attempt, handle, result);
      if (onSent !== undefined) {
        // The hook may crash the producer right after the request left; the attempt then settles
        // with the crash error, which nobody else awaits.
        pending.catch(() => {});
        onSent(attempt);
      }
      const response = await pending;
      if (response !== null && (response.error === null || !RETRIABLE.has(response.error))) return response;
      last =
        response === null
          ? `no response within request.timeout.ms ${this.settings.requestTimeoutMs}`
          : response.message;
      if (sim.now + this.settings.retryBackoffMs >= deadline) {
        return {
          error: "REQUEST_TIMED_OUT",
          message: `${kind} did not complete within max.block.ms ${this.settings.maxBlockMs} (last: ${last}).`,
          producerId: this.producer.producerId,
          epoch: this.producer.epoch,
        };
      }
      await sim.sleep(this.settings.retryBackoffMs);
    }
  }

  /** One attempt: resolves with the response, or null when it timed out. */
  private attempt(
    kind: RequestKind,
    partitions: readonly TopicPartition[],
    groupId: string | null,
    attempt: number,
    handle: () => TxnResponse,
    result: TxnResult | undefined,
  ): Promise<TxnResponse | null> {
    const sim = this.cluster.sim;
    const network = this.cluster.network;
    const requestId = network.requestId();
    const deferred = sim.deferred<TxnResponse | null>();
    const fault = network.decide({
      kind,
      requestId,
      clientId: this.producer.clientId,
      sentAt: sim.now,
      partitions,
      attempt,
      groupId,
      transactionalId: this.transactionalId,
      ...(result === undefined ? {} : { result }),
    });
    if (fault.action !== "deliver" && sim.bus.wants("network.fault")) {
      sim.bus.emit("network.fault", {
        kind,
        requestId,
        clientId: this.producer.clientId,
        action: fault.action,
      });
    }
    let done = false;
    const reject = (error: LogError) => {
      if (done) return;
      done = true;
      sim.cancel(timer);
      deferred.reject(error);
    };
    const settle = (response: TxnResponse | null) => {
      if (done) return;
      done = true;
      this.pendingReplies.delete(reject);
      sim.cancel(timer);
      deferred.resolve(response);
    };
    this.pendingReplies.add(reject);
    const timer = sim.schedule(sim.now + this.settings.requestTimeoutMs, () => settle(null));
    const latency = network.latencyMs;
    // The request reaches the coordinator even if this producer dies meanwhile: a late request is
    // exactly what the fault model must be able to deliver.
    if (!fault.dropRequest) {
      sim.schedule(sim.now + latency + fault.requestDelayMs, () => {
        const response = handle();
        if (fault.dropResponse) return;
        sim.schedule(sim.now + latency + fault.responseDelayMs, () => {
          if (!this.crashedValue) settle(response);
        });
      });
    }
    return deferred.promise;
  }

  // ---------------------------------------------------------------- helpers

  private handleFailure(r: TxnResponse, where: string): void {
    if (r.error === null) return;
    if (FENCING.has(r.error)) throw this.fence(r.message);
    const error = GROUP_REFUSALS.has(r.error)
      ? new CommitFailedError(r.error, `${where}: ${r.message}`, { transactionalId: this.transactionalId })
      : new LogError(r.error, `${where}: ${r.message}`, { transactionalId: this.transactionalId });
    this.setAbortable(error);
    throw error;
  }

  /**
   * A fault point. The producer's own hook (or the cluster's) may crash the producer here: then
   * this throws PRODUCER_CLOSED. Reached by a process's code, it is also the process-level crash
   * point {@link PROCESS_POINT}: returns true when the kernel's crash hook killed the process
   * there (its producers are dropped), and the caller must then do nothing of what follows.
   */
  private crashPoint(point: TxnCrashPoint, where: string): boolean {
    if (this.crashedValue) return false;
    const hook = this.crashHook ?? this.cluster.transactionCrashHook;
    const sim = this.cluster.sim;
    if (hook === null && sim.currentProcess === null) return false;
    const info: TxnCrashInfo = {
      clientId: this.producer.clientId,
      transactionalId: this.transactionalId,
      transaction: this.transactionsBegun,
      send: this.sendsInTransaction,
    };
    if (hook?.(point, info)) {
      const bus = sim.bus;
      if (bus.wants("producer.crash-point")) bus.emit("producer.crash-point", { ...info, point });
      this.producer.crash();
      throw this.closedError(`it crashed at fault point ${point} (${where})`);
    }
    return sim.currentProcess !== null && sim.crashPoint(PROCESS_POINT[point], info);
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.operations.add(promise);
    const forget = () => {
      this.operations.delete(promise);
    };
    promise.then(forget, forget);
    return promise;
  }

  private async settleOperations(): Promise<void> {
    // Called before the commit or abort itself is tracked, so this waits only for the others.
    if (this.operations.size > 0) await Promise.allSettled([...this.operations]);
  }

  private resetTransaction(): void {
    this.added.clear();
    this.pendingAdd.clear();
    this.groupsAdded.clear();
    this.transactionStarted = false;
    this.abortableError = null;
    this.sendsInTransaction = 0;
  }

  private setAbortable(error: LogError): void {
    if (this.stateValue === "FATAL_ERROR") return;
    if (this.abortableError === null) this.abortableError = error;
    if (this.stateValue === "IN_TRANSACTION") this.transition("ABORTABLE_ERROR");
  }

  private setFatal(error: LogError): void {
    if (this.fatalError === null) this.fatalError = error;
    this.stateValue = "FATAL_ERROR";
    this.producer.setFatal(this.fatalError);
    this.producer.abortUnsent(this.fatalError);
  }

  private transition(to: TxnClientState): void {
    const from = this.stateValue;
    invariant(
      TXN_CLIENT_TRANSITIONS[from].includes(to),
      () => `transactional producer ${this.producer.clientId}: illegal transition ${from} → ${to}`,
    );
    this.stateValue = to;
  }

  private throwIfFatal(): void {
    if (this.fatalError !== null) throw this.fatalError;
    if (this.crashedValue) throw this.closedError("it crashed");
  }

  private stateError(where: string, rule: string): LogError {
    const hint: Partial<Record<TxnClientState, string>> = {
      UNINITIALIZED: "call initTransactions() first",
      INITIALIZING: "wait for initTransactions() to complete",
      READY: "no transaction is open: call beginTransaction() first",
      IN_TRANSACTION: "a transaction is already open: commit or abort it first",
      COMMITTING_TRANSACTION: "a commit is in progress",
      ABORTING_TRANSACTION: "an abort is in progress",
    };
    return new LogError(
      "INVALID_TXN_STATE",
      `${where}: ${rule}; the producer is in state ${this.stateValue} (${hint[this.stateValue] ?? "see the earlier error"}).`,
      { transactionalId: this.transactionalId, state: this.stateValue },
    );
  }

  private mustAbort(where: string): LogError {
    const cause = this.abortableError;
    return new LogError(
      "INVALID_TXN_STATE",
      `${where}: the transaction failed (${cause?.code ?? "unknown"}: ${cause?.message ?? "?"}) and can only be aborted: call abortTransaction().`,
      { transactionalId: this.transactionalId, state: this.stateValue, cause: cause?.code ?? null },
    );
  }

  private timeoutError(where: string, detail: string): LogError {
    return new LogError(
      "REQUEST_TIMED_OUT",
      `Producer ${this.producer.clientId}: ${where}: ${detail} The call may be repeated.`,
      { transactionalId: this.transactionalId },
    );
  }

  private closedError(detail: string): LogError {
    return new LogError("PRODUCER_CLOSED", `Producer ${this.producer.clientId}: ${detail}.`, {
      transactionalId: this.transactionalId,
    });
  }
}
