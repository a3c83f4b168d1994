import { invariant } from "../scheduler/errors.js";
import type { RepeatingHandle, Simulation } from "../scheduler/simulation.js";
import type { TopicPartition } from "./assignors/types.js";
import type { LogErrorCode } from "./errors.js";
import type { GroupCoordinator } from "./group-coordinator.js";
import type { Network } from "./network.js";
import type { PartitionLog } from "./partition-log.js";
import { type TopicPartitionOffset, tpName } from "./record.js";
import {
  bumpedIdentity,
  checkProducer,
  isCompleting,
  isEndTxnRetry,
  isTransactionOpen,
  MAX_PRODUCER_EPOCH,
  newTxnMetadata,
  type ProducerIdentity,
  reduceTxn,
  type TransactionProtocol,
  type TxnAction,
  type TxnMetadata,
  type TxnPhase,
  type TxnResult,
} from "./transaction-state.js";
import "./events.js";

/**
 * The transaction coordinator of a cluster (Kafka's `TransactionCoordinator`): maps each
 * `transactional.id` to a producer id and epoch, tracks the partitions and consumer groups of its
 * open transaction, decides commits and aborts, writes the markers, aborts transactions that stay
 * open longer than their `transaction.timeout.ms`, and fences older incarnations by bumping the
 * epoch. Each id's state is an immutable {@link TxnMetadata} advanced by the reducers of
 * `transaction-state.ts`; this class owns what reducers must not: the marker writes, the timeout
 * timer, the producer-id table and the events.
 *
 * Requests arrive here from the producer's transaction manager through the network model (so the
 * fault hook can drop or delay them), and from the broker's produce path for verification. Each
 * answers with a {@link TxnResponse} carrying Kafka's error name; nothing changes on an error.
 *
 * Protocol v1 versus v2 (see {@link TransactionProtocol}): v1 keeps one epoch per producer session,
 * needs explicit AddPartitionsToTxn / AddOffsetsToTxn, and cannot tell a late EndTxn of the last
 * transaction from an EndTxn of the current one; v2 bumps the epoch at every EndTxn, adds
 * partitions and groups implicitly, and fences anything older.
 */

/** What the coordinator needs from its cluster. */
export interface TransactionCoordinatorContext {
  readonly sim: Simulation;
  readonly network: Network;
  readonly groups: GroupCoordinator;
  readonly protocol: TransactionProtocol;
  /** `transaction.max.timeout.ms`. */
  readonly maxTimeoutMs: number;
  /** `transaction.abort.timed.out.transaction.cleanup.interval.ms`. */
  readonly cleanupIntervalMs: number;
  /** `transactional.id.expiration.ms`. */
  readonly idExpirationMs: number;
  allocateProducerId(): number;
  setProducerEpoch(producerId: number, epoch: number): void;
  producerEpoch(producerId: number): number;
  partition(topic: string, partition: number): PartitionLog | null;
}

/**
 * The coordinator's answer to a transactional request: Kafka's error name (null on success) and
 * the producer identity the client must use from now on.
 *
 * @example
 * ```ts
 * const r = cluster.transactions.initProducerId("pipeline", 60_000, null);
 * r.error; // null
 * ```
 */
export interface TxnResponse {
  readonly error: LogErrorCode | null;
  readonly message: string;
  readonly producerId: number;
  readonly epoch: number;
}

/** A TxnOffsetCommit as the coordinator sees it. */
export interface TxnOffsetCommitRequest {
  readonly transactionalId: string;
  readonly producerId: number;
  readonly epoch: number;
  readonly groupId: string;
  readonly memberId: string;
  readonly generationId: number;
  readonly groupInstanceId: string | null;
  readonly offsets: readonly TopicPartitionOffset[];
}

/**
 * A transactional id as Kafka's DescribeTransactions shows it.
 *
 * @example
 * ```ts
 * cluster.transactions.describe("pipeline"); // { state: "Ongoing", partitions: [...], … }
 * ```
 */
export interface TransactionDescription {
  transactionalId: string;
  producerId: number;
  epoch: number;
  state: TxnPhase;
  timeoutMs: number;
  /** Virtual time the open transaction started (-1 when none is open). */
  startedAt: number;
  partitions: TopicPartition[];
  groups: string[];
  /** Transactions completed under this id. */
  completed: number;
}

/**
 * The transaction coordinator. Reached through `cluster.transactions`; producers call it through
 * the network model.
 *
 * @example
 * ```ts
 * const cluster = new LogCluster(sim, { transactionProtocol: "v2" });
 * // … a transactional producer commits …
 * cluster.transactions.describe("pipeline").state; // "CompleteCommit"
 * ```
 */
export class TransactionCoordinator {
  private readonly txns = new Map<string, TxnMetadata>();
  /** Producer id → transactional id, for the broker's produce verification. */
  private readonly byProducerId = new Map<number, string>();
  private readonly context: TransactionCoordinatorContext;
  private cleanupTimer: RepeatingHandle | null = null;
  private closed = false;

  constructor(context: TransactionCoordinatorContext) {
    this.context = context;
  }

  /** The protocol this coordinator speaks. */
  get protocol(): TransactionProtocol {
    return this.context.protocol;
  }

  /** The immutable state of a transactional id, or undefined. */
  state(transactionalId: string): TxnMetadata | undefined {
    return this.txns.get(transactionalId);
  }

  /** Known transactional ids, sorted. */
  transactionalIds(): string[] {
    return [...this.txns.keys()].sort();
  }

  /** Describes a transactional id; undefined when unknown (or expired). */
  describe(transactionalId: string): TransactionDescription | undefined {
    const t = this.txns.get(transactionalId);
    if (t === undefined) return undefined;
    return {
      transactionalId,
      producerId: t.producerId,
      epoch: t.epoch,
      state: t.phase,
      timeoutMs: t.timeoutMs,
      startedAt: t.startedAt,
      partitions: t.partitions.map((tp) => ({ topic: tp.topic, partition: tp.partition })),
      groups: [...t.groups],
      completed: t.completed,
    };
  }

  /** The transactional id a producer id belongs to, or undefined. */
  transactionalIdOf(producerId: number): string | undefined {
    return this.byProducerId.get(producerId);
  }

  // ---------------------------------------------------------------- requests

  /**
   * InitProducerId for a transactional id (Kafka's `handleInitProducerId`). A new id gets a fresh
   * producer id at epoch 0. An idle one gets its epoch bumped, fencing every older incarnation. An
   * Ongoing one is fenced now (epoch bumped, transaction aborted) and answered with
   * CONCURRENT_TRANSACTIONS, so the client retries once the abort completed; a completing one gets
   * CONCURRENT_TRANSACTIONS. `expected` (KIP-360) asks to bump a known identity after an abort
   * whose sequences the client lost track of: a stale one is PRODUCER_FENCED.
   */
  initProducerId(transactionalId: string, timeoutMs: number, expected: ProducerIdentity | null): TxnResponse {
    const request = "InitProducerId";
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > this.context.maxTimeoutMs) {
      return this.reject(
        transactionalId,
        request,
        -1,
        -1,
        "INVALID_TRANSACTION_TIMEOUT",
        `transaction.timeout.ms ${timeoutMs} is not in [1, transaction.max.timeout.ms ${this.context.maxTimeoutMs}].`,
      );
    }
    const now = this.context.sim.now;
    const meta = this.txns.get(transactionalId);
    if (meta === undefined) {
      if (expected !== null) {
        return this.reject(
          transactionalId,
          request,
          expected.producerId,
          expected.epoch,
          "INVALID_PRODUCER_ID_MAPPING",
          `transactional id ${transactionalId} is unknown (expired?), so producer id ${expected.producerId} cannot be bumped.`,
        );
      }
      const producerId = this.context.allocateProducerId();
      const fresh = newTxnMetadata(transactionalId, producerId, 0, timeoutMs, now);
      this.txns.set(transactionalId, fresh);
      this.byProducerId.set(producerId, transactionalId);
      this.context.setProducerEpoch(producerId, 0);
      this.emitTransition(fresh, "(new)", "init-producer-id");
      this.ensureCleanupTimer();
      return ok(fresh);
    }
    if (
      expected !== null &&
      (expected.producerId !== meta.producerId || expected.epoch !== meta.epoch) &&
      !isCompleting(meta)
    ) {
      return this.reject(
        transactionalId,
        request,
        expected.producerId,
        expected.epoch,
        "PRODUCER_FENCED",
        `producer ${expected.producerId} epoch ${expected.epoch} is no longer current for ${transactionalId} (now ${meta.producerId}/${meta.epoch}).`,
      );
    }
    if (isCompleting(meta)) {
      return this.reject(
        transactionalId,
        request,
        meta.producerId,
        meta.epoch,
        "CONCURRENT_TRANSACTIONS",
        `transactional id ${transactionalId} is completing a transaction (${meta.phase}); retry shortly.`,
      );
    }
    if (meta.phase === "Ongoing") {
      this.fenceAndAbort(transactionalId, "init");
      const after = this.txns.get(transactionalId)!;
      return this.reject(
        transactionalId,
        request,
        after.producerId,
        after.epoch,
        "CONCURRENT_TRANSACTIONS",
        `transactional id ${transactionalId} had an open transaction; it is being aborted and its producer fenced. Retry shortly.`,
      );
    }
    const identity = this.bump(meta);
    const next = this.apply(
      transactionalId,
      { type: "init", producerId: identity.producerId, epoch: identity.epoch, timeoutMs, now },
      "init-producer-id",
    );
    this.emitFenced(next, expected === null ? "init" : "bump");
    return ok(next);
  }

  /**
   * AddPartitionsToTxn (v1 clients send it before the first record to a partition; v2 brokers add
   * implicitly through {@link verifyProduce}). All or nothing.
   */
  addPartitions(
    transactionalId: string,
    producerId: number,
    epoch: number,
    partitions: readonly TopicPartition[],
  ): TxnResponse {
    const request = "AddPartitionsToTxn";
    const refused = this.checkRequest(transactionalId, request, producerId, epoch);
    if (refused !== null) return refused;
    for (const tp of partitions) {
      if (this.context.partition(tp.topic, tp.partition) === null) {
        return this.reject(
          transactionalId,
          request,
          producerId,
          epoch,
          "UNKNOWN_TOPIC_OR_PARTITION",
          `partition ${tpName(tp)} does not exist; no partition of this request was added.`,
        );
      }
    }
    return ok(this.add(transactionalId, partitions, [], "add-partitions"));
  }

  /** AddOffsetsToTxn (v1): makes a consumer group's offsets part of the open transaction. */
  addOffsets(transactionalId: string, producerId: number, epoch: number, groupId: string): TxnResponse {
    const refused = this.checkRequest(transactionalId, "AddOffsetsToTxn", producerId, epoch);
    if (refused !== null) return refused;
    return ok(this.add(transactionalId, [], [groupId], "add-offsets"));
  }

  /**
   * TxnOffsetCommit (handled by the group coordinator in Kafka; composed here): the transaction
   * must be current (v1: the group added with AddOffsetsToTxn; v2: added now), the member and
   * generation valid (KIP-447), the offsets acceptable. The offsets then wait in the group until the
   * transaction's marker commits or drops them. Nothing changes on an error.
   */
  txnOffsetCommit(request: TxnOffsetCommitRequest): TxnResponse {
    const name = "TxnOffsetCommit";
    const { transactionalId, producerId, epoch, groupId } = request;
    const meta = this.txns.get(transactionalId);
    if (meta === undefined) return this.unknownId(transactionalId, name, producerId, epoch);
    const stale = checkProducer(meta, producerId, epoch);
    if (stale !== null) return this.stale(meta, name, producerId, epoch, stale);
    if (this.protocol === "v1" && (meta.phase !== "Ongoing" || !meta.groups.includes(groupId))) {
      return this.reject(
        transactionalId,
        name,
        producerId,
        epoch,
        "INVALID_TXN_STATE",
        `group ${groupId} is not part of an open transaction of ${transactionalId} (${meta.phase}); AddOffsetsToTxn must come first.`,
      );
    }
    if (isCompleting(meta)) return this.concurrent(meta, name, producerId, epoch);
    const who = {
      memberId: request.memberId,
      generation: request.generationId,
      groupInstanceId: request.groupInstanceId,
    };
    const invalid = this.context.groups.checkTxnOffsetCommit(groupId, who, request.offsets);
    if (invalid !== null) {
      return this.reject(
        transactionalId,
        name,
        producerId,
        epoch,
        invalid.code as LogErrorCode,
        invalid.message,
      );
    }
    const current =
      meta.phase === "Ongoing" && meta.groups.includes(groupId)
        ? meta
        : this.add(transactionalId, [], [groupId], "txn-offset-commit");
    this.context.groups.addTxnOffsets(groupId, producerId, request.offsets);
    const bus = this.context.sim.bus;
    if (bus.wants("txn.offsets")) {
      bus.emit("txn.offsets", {
        transactionalId,
        groupId,
        producerId,
        offsets: request.offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset })),
      });
    }
    return ok(current);
  }

  /**
   * EndTxn: decides a commit or an abort (Prepare*), answers at once, and writes the markers one
   * network hop later (then Complete*). v2 bumps the epoch with the decision and answers with the
   * new identity. A retry of the EndTxn that completed the last transaction is answered with
   * success; a different outcome for it is INVALID_TXN_STATE. See {@link isEndTxnRetry} for why a
   * late EndTxn is harmless under v2 only.
   */
  endTxn(transactionalId: string, producerId: number, epoch: number, result: TxnResult): TxnResponse {
    const name = result === "commit" ? "EndTxn(commit)" : "EndTxn(abort)";
    const meta = this.txns.get(transactionalId);
    if (meta === undefined) return this.unknownId(transactionalId, name, producerId, epoch);
    if (isEndTxnRetry(meta, this.protocol, producerId, epoch, result)) return ok(meta);
    const stale = checkProducer(meta, producerId, epoch);
    if (stale !== null) return this.stale(meta, name, producerId, epoch, stale);
    const now = this.context.sim.now;
    switch (meta.phase) {
      case "Ongoing": {
        const identity = this.protocol === "v2" ? this.bump(meta) : meta;
        const next = this.apply(
          transactionalId,
          { type: "prepare", result, producerId: identity.producerId, epoch: identity.epoch, now },
          result === "commit" ? "end-txn commit" : "end-txn abort",
        );
        this.scheduleMarkers(transactionalId);
        return ok(next);
      }
      case "PrepareCommit":
      case "PrepareAbort":
      case "PrepareEpochFence":
        if (meta.result === result || meta.phase === "PrepareEpochFence")
          return this.concurrent(meta, name, producerId, epoch);
        break;
      default:
        // v2 clients cannot know whether their first produce reached the broker (which is what
        // opens the transaction), so they always send EndTxn(abort); with nothing open the
        // coordinator just bumps the epoch, as KIP-890 specifies.
        if (this.protocol === "v2" && result === "abort") {
          const identity = this.bump(meta);
          const next = this.apply(
            transactionalId,
            {
              type: "init",
              producerId: identity.producerId,
              epoch: identity.epoch,
              timeoutMs: meta.timeoutMs,
              now,
            },
            "end-txn abort (nothing open)",
          );
          return ok(next);
        }
        break;
    }
    return this.reject(
      transactionalId,
      name,
      producerId,
      epoch,
      "INVALID_TXN_STATE",
      `cannot ${result} transactional id ${transactionalId} in state ${meta.phase}${meta.result === null ? "" : ` (last outcome: ${meta.result})`}.`,
    );
  }

  /**
   * The broker's check of a transactional produce batch (KIP-890 verification): the producer id
   * must belong to a transactional id whose transaction is open on this partition (v1: added with
   * AddPartitionsToTxn; v2: added now). Returns null to append, or the error to answer with.
   */
  verifyProduce(
    producerId: number,
    epoch: number,
    topic: string,
    partition: number,
  ): { code: LogErrorCode; message: string } | null {
    const name = "Produce";
    const transactionalId = this.byProducerId.get(producerId);
    if (transactionalId === undefined) {
      return {
        code: "INVALID_PRODUCER_ID_MAPPING",
        message: `Producer id ${producerId} belongs to no transactional id.`,
      };
    }
    const meta = this.txns.get(transactionalId)!;
    const stale = checkProducer(meta, producerId, epoch);
    if (stale !== null) {
      this.rejected(transactionalId, name, producerId, epoch, "INVALID_PRODUCER_EPOCH");
      return {
        code: "INVALID_PRODUCER_EPOCH",
        message: `Producer ${producerId} epoch ${epoch} of ${transactionalId} is fenced (current epoch ${meta.epoch}).`,
      };
    }
    const included = meta.partitions.some((tp) => tp.topic === topic && tp.partition === partition);
    if (meta.phase === "Ongoing" && included) return null;
    if (this.protocol === "v2") {
      if (isCompleting(meta)) {
        this.rejected(transactionalId, name, producerId, epoch, "CONCURRENT_TRANSACTIONS");
        return {
          code: "CONCURRENT_TRANSACTIONS",
          message: `Transactional id ${transactionalId} is completing its last transaction; retry.`,
        };
      }
      this.add(transactionalId, [{ topic, partition }], [], "produce (implicit add)");
      return null;
    }
    this.rejected(transactionalId, name, producerId, epoch, "INVALID_TXN_STATE");
    return {
      code: "INVALID_TXN_STATE",
      message: `${topic}-${partition} is not part of an open transaction of ${transactionalId} (${meta.phase}).`,
    };
  }

  /** True when `producerId`'s open transaction includes this partition (no hanging transaction). */
  ownsOpenTransaction(producerId: number, topic: string, partition: number): boolean {
    for (const meta of this.txns.values()) {
      if (!isTransactionOpen(meta)) continue;
      const pid = meta.phase === "Ongoing" ? meta.producerId : meta.markerProducerId;
      if (pid !== producerId) continue;
      if (meta.partitions.some((tp) => tp.topic === topic && tp.partition === partition)) return true;
    }
    return false;
  }

  // ---------------------------------------------------------------- timers

  /**
   * Aborts every transaction open longer than its timeout, fencing its producer first (Kafka's
   * `abortTimedOutTransactions`, run every `transaction.abort.timed.out.transaction.cleanup.interval.ms`),
   * and expires ids idle longer than `transactional.id.expiration.ms`.
   *
   * @example
   * ```ts
   * cluster.transactions.expire(); // what the periodic check does
   * ```
   */
  expire(): void {
    const now = this.context.sim.now;
    for (const [transactionalId, meta] of [...this.txns]) {
      if (meta.phase === "Ongoing" && meta.startedAt + meta.timeoutMs < now) {
        this.fenceAndAbort(transactionalId, "timeout");
      } else if (
        (meta.phase === "Empty" || meta.phase === "CompleteCommit" || meta.phase === "CompleteAbort") &&
        meta.updatedAt + this.context.idExpirationMs < now
      ) {
        this.apply(transactionalId, { type: "dead", now }, "transactional.id.expiration.ms");
        this.txns.delete(transactionalId);
        this.byProducerId.delete(meta.producerId);
      }
    }
  }

  /** Stops the periodic timeout check. */
  close(): void {
    this.closed = true;
    this.cleanupTimer?.stop();
  }

  /**
   * Asserts coordinator invariants: producer ids map back to their transactional ids, the broker's
   * epochs match, Ongoing transactions have a start time, Prepare* ones a marker producer id.
   */
  checkInvariants(): void {
    for (const [transactionalId, meta] of this.txns) {
      invariant(
        this.byProducerId.get(meta.producerId) === transactionalId,
        () => `transactional id ${transactionalId}: producer id ${meta.producerId} not mapped back`,
      );
      invariant(
        this.context.producerEpoch(meta.producerId) === meta.epoch,
        () =>
          `transactional id ${transactionalId}: broker epoch ${this.context.producerEpoch(meta.producerId)} ≠ coordinator epoch ${meta.epoch}`,
      );
      invariant(
        (meta.phase === "Ongoing") === meta.startedAt >= 0 || isCompleting(meta),
        () => `transactional id ${transactionalId}: ${meta.phase} with start time ${meta.startedAt}`,
      );
      invariant(
        !isCompleting(meta) ||
          (meta.markerProducerId !== null && (meta.result !== null || meta.phase === "PrepareEpochFence")),
        () => `transactional id ${transactionalId}: ${meta.phase} without a decision`,
      );
    }
  }

  // ---------------------------------------------------------------- internals

  private add(
    transactionalId: string,
    partitions: readonly TopicPartition[],
    groups: readonly string[],
    reason: string,
  ): TxnMetadata {
    const now = this.context.sim.now;
    return this.apply(transactionalId, { type: "add", partitions, groups, now }, reason);
  }

  /** Common checks of AddPartitionsToTxn / AddOffsetsToTxn. */
  private checkRequest(
    transactionalId: string,
    request: string,
    producerId: number,
    epoch: number,
  ): TxnResponse | null {
    const meta = this.txns.get(transactionalId);
    if (meta === undefined) return this.unknownId(transactionalId, request, producerId, epoch);
    const stale = checkProducer(meta, producerId, epoch);
    if (stale !== null) return this.stale(meta, request, producerId, epoch, stale);
    if (isCompleting(meta)) return this.concurrent(meta, request, producerId, epoch);
    return null;
  }

  /** Bumps the epoch of an idle or fenced id (or rotates its producer id), updating the broker. */
  private bump(meta: ProducerIdentity): ProducerIdentity {
    return bumpedIdentity(meta, () => this.context.allocateProducerId());
  }

  /** Fences the open transaction of an id (epoch bump) and aborts it. */
  private fenceAndAbort(transactionalId: string, reason: "init" | "timeout"): void {
    const meta = this.txns.get(transactionalId)!;
    const now = this.context.sim.now;
    const identity = this.bump(meta);
    const fenced = this.apply(
      transactionalId,
      { type: "fence", producerId: identity.producerId, epoch: identity.epoch, now },
      reason === "init" ? "fenced by a new incarnation" : "transaction.timeout.ms",
    );
    this.emitFenced(fenced, reason);
    this.apply(
      transactionalId,
      { type: "prepare", result: "abort", producerId: fenced.producerId, epoch: fenced.epoch, now },
      reason === "init" ? "abort fenced transaction" : "abort timed-out transaction",
    );
    this.scheduleMarkers(transactionalId);
  }

  /** Writes the markers of a decided transaction one network hop later, then completes it. */
  private scheduleMarkers(transactionalId: string): void {
    const sim = this.context.sim;
    sim.schedule(sim.now + this.context.network.latencyMs, this.writeMarkers, transactionalId);
  }

  private readonly writeMarkers = (transactionalId: string): void => {
    const meta = this.txns.get(transactionalId);
    invariant(
      meta !== undefined && (meta.phase === "PrepareCommit" || meta.phase === "PrepareAbort"),
      () => `transactional id ${transactionalId}: markers due in state ${meta?.phase}`,
    );
    const pid = meta.markerProducerId!;
    const result = meta.result!;
    const bus = this.context.sim.bus;
    for (const tp of meta.partitions) {
      const log = this.context.partition(tp.topic, tp.partition);
      if (log === null) continue; // the topic was deleted meanwhile
      const offset = log.appendMarker(pid, result);
      if (bus.wants("txn.marker")) {
        bus.emit("txn.marker", {
          transactionalId,
          producerId: pid,
          topic: tp.topic,
          partition: tp.partition,
          offset,
          result,
        });
      }
    }
    for (const groupId of meta.groups) this.context.groups.completeTxn(groupId, pid, result === "commit");
    this.apply(transactionalId, { type: "complete", now: this.context.sim.now }, "markers written");
  };

  private apply(transactionalId: string, action: TxnAction, reason: string): TxnMetadata {
    const before = this.txns.get(transactionalId)!;
    const after = reduceTxn(before, action);
    this.txns.set(transactionalId, after);
    if (after.producerId !== before.producerId) {
      // Rotation: the old id may never write again.
      this.byProducerId.delete(before.producerId);
      this.byProducerId.set(after.producerId, transactionalId);
      this.context.setProducerEpoch(before.producerId, MAX_PRODUCER_EPOCH + 1);
    }
    if (after.epoch !== before.epoch || after.producerId !== before.producerId)
      this.context.setProducerEpoch(after.producerId, after.epoch);
    if (after.phase !== before.phase || action.type === "init")
      this.emitTransition(after, before.phase, reason);
    return after;
  }

  private ensureCleanupTimer(): void {
    if (this.cleanupTimer !== null || this.closed) return;
    this.cleanupTimer = this.context.sim.every(this.context.cleanupIntervalMs, () => this.expire(), {
      label: "transaction timeout check",
    });
  }

  private unknownId(
    transactionalId: string,
    request: string,
    producerId: number,
    epoch: number,
  ): TxnResponse {
    return this.reject(
      transactionalId,
      request,
      producerId,
      epoch,
      "INVALID_PRODUCER_ID_MAPPING",
      `transactional id ${transactionalId} is unknown (never initialized, or expired after transactional.id.expiration.ms).`,
    );
  }

  private stale(
    meta: TxnMetadata,
    request: string,
    producerId: number,
    epoch: number,
    code: LogErrorCode,
  ): TxnResponse {
    return this.reject(
      meta.transactionalId,
      request,
      producerId,
      epoch,
      code,
      code === "PRODUCER_FENCED"
        ? `producer ${producerId} epoch ${epoch} was fenced: transactional id ${meta.transactionalId} is now at producer ${meta.producerId} epoch ${meta.epoch} (a newer instance called initTransactions, or the transaction timed out).`
        : `producer ${producerId} epoch ${epoch} does not match transactional id ${meta.transactionalId} (producer ${meta.producerId} epoch ${meta.epoch}).`,
    );
  }

  private concurrent(meta: TxnMetadata, request: string, producerId: number, epoch: number): TxnResponse {
    return this.reject(
      meta.transactionalId,
      request,
      producerId,
      epoch,
      "CONCURRENT_TRANSACTIONS",
      `transactional id ${meta.transactionalId} is completing a transaction (${meta.phase}); retry shortly.`,
    );
  }

  private reject(
    transactionalId: string,
    request: string,
    producerId: number,
    epoch: number,
    error: LogErrorCode,
    message: string,
  ): TxnResponse {
    this.rejected(transactionalId, request, producerId, epoch, error);
    return { error, message: `${request}: ${message}`, producerId, epoch };
  }

  private rejected(
    transactionalId: string,
    request: string,
    producerId: number,
    epoch: number,
    code: LogErrorCode,
  ): void {
    const bus = this.context.sim.bus;
    if (bus.wants("txn.rejected"))
      bus.emit("txn.rejected", { transactionalId, request, producerId, epoch, code });
  }

  private emitTransition(meta: TxnMetadata, from: string, reason: string): void {
    const bus = this.context.sim.bus;
    if (bus.wants("txn.transition")) {
      bus.emit("txn.transition", {
        transactionalId: meta.transactionalId,
        producerId: meta.producerId,
        epoch: meta.epoch,
        from,
        to: meta.phase,
        reason,
      });
    }
  }

  private emitFenced(meta: TxnMetadata, reason: "init" | "timeout" | "bump"): void {
    const bus = this.context.sim.bus;
    if (bus.wants("txn.fenced")) {
      bus.emit("txn.fenced", {
        transactionalId: meta.transactionalId,
        producerId: meta.producerId,
        epoch: meta.epoch,
        reason,
      });
    }
  }
}

function ok(meta: TxnMetadata): TxnResponse {
  return { error: null, message: "", producerId: meta.producerId, epoch: meta.epoch };
}
