import { produce } from "immer";
import { invariant } from "../scheduler/errors.js";
import type { TopicPartition } from "./assignors/types.js";
import type { LogErrorCode } from "./errors.js";
import { sortPartitions, tpKey } from "./record.js";

/**
 * The transaction coordinator's control-plane state for one `transactional.id`, as an immutable
 * value advanced by small pure reducers (immer) — Kafka's `TransactionMetadata`. The coordinator
 * keeps one value per id and swaps it on every transition; timers, marker writes and network
 * replies stay outside, so every transition can be tested on its own.
 *
 * Phases and their allowed predecessors follow Kafka's `TransactionState`:
 *
 * | phase             | entered from                                   |
 * | ----------------- | ---------------------------------------------- |
 * | Empty             | (new id), Empty, CompleteCommit, CompleteAbort |
 * | Ongoing           | Empty, Ongoing, CompleteCommit, CompleteAbort  |
 * | PrepareCommit     | Ongoing                                        |
 * | PrepareAbort      | Ongoing, PrepareEpochFence                     |
 * | CompleteCommit    | PrepareCommit                                  |
 * | CompleteAbort     | PrepareAbort                                   |
 * | PrepareEpochFence | Ongoing                                        |
 * | Dead              | Empty, CompleteCommit, CompleteAbort           |
 *
 * Prepare* is the decision (Kafka writes it to the transaction log before answering EndTxn);
 * Complete* follows once a marker sits in every partition the transaction touched.
 */

/** Kafka's transaction states. */
export type TxnPhase =
  | "Empty"
  | "Ongoing"
  | "PrepareCommit"
  | "PrepareAbort"
  | "CompleteCommit"
  | "CompleteAbort"
  | "PrepareEpochFence"
  | "Dead";

/** How a transaction ends. */
export type TxnResult = "commit" | "abort";

/**
 * Which transaction protocol the coordinator speaks:
 * - `"v1"` (Kafka ≤ 3.x): one epoch per producer session; the client adds partitions with
 *   AddPartitionsToTxn; a delayed EndTxn from transaction N can land in transaction N+1.
 * - `"v2"` (Kafka 4.0, `transaction.version=2`, KIP-890): every commit or abort bumps the epoch,
 *   partitions and groups are added implicitly by the produce / offset-commit request, and late
 *   requests from an earlier transaction are fenced.
 *
 * @example
 * ```ts
 * new LogCluster(sim, { transactionProtocol: "v2" });
 * ```
 */
export type TransactionProtocol = "v1" | "v2";

/** A producer id and epoch. */
export interface ProducerIdentity {
  readonly producerId: number;
  readonly epoch: number;
}

/** The largest epoch Kafka uses before rotating to a new producer id (`Short.MAX_VALUE - 1`). */
export const MAX_PRODUCER_EPOCH = 32_766;

/**
 * Allowed predecessors of each phase (Kafka's `TransactionState.validPreviousStates`).
 *
 * @example
 * ```ts
 * TXN_PREDECESSORS.PrepareCommit; // ["Ongoing"]
 * ```
 */
export const TXN_PREDECESSORS: Readonly<Record<TxnPhase, readonly TxnPhase[]>> = Object.freeze({
  Empty: ["Empty", "CompleteCommit", "CompleteAbort"],
  Ongoing: ["Empty", "Ongoing", "CompleteCommit", "CompleteAbort"],
  PrepareCommit: ["Ongoing"],
  PrepareAbort: ["Ongoing", "PrepareEpochFence"],
  CompleteCommit: ["PrepareCommit"],
  CompleteAbort: ["PrepareAbort"],
  PrepareEpochFence: ["Ongoing"],
  Dead: ["Empty", "CompleteCommit", "CompleteAbort"],
});

/**
 * True when Kafka allows the transition `from → to`.
 *
 * @example
 * ```ts
 * canTransition("Ongoing", "PrepareCommit"); // true
 * canTransition("Empty", "PrepareCommit");   // false
 * ```
 */
export function canTransition(from: TxnPhase, to: TxnPhase): boolean {
  return TXN_PREDECESSORS[to].includes(from);
}

/** The immutable coordinator state of one transactional id. */
export interface TxnMetadata {
  readonly transactionalId: string;
  /** Current producer id and epoch: requests with an older epoch are fenced. */
  readonly producerId: number;
  readonly epoch: number;
  /**
   * v2: the identity before the last EndTxn bumped it (null otherwise), so that a retried EndTxn
   * whose first attempt already completed is answered with success rather than fenced.
   */
  readonly previous: ProducerIdentity | null;
  readonly phase: TxnPhase;
  /** `transaction.timeout.ms` the producer registered. */
  readonly timeoutMs: number;
  /** Partitions of the open (or completing) transaction, sorted. */
  readonly partitions: readonly TopicPartition[];
  /** Consumer groups whose offsets are part of the open transaction, sorted. */
  readonly groups: readonly string[];
  /** Virtual time the first partition or group was added (-1 outside a transaction); the timeout counts from it. */
  readonly startedAt: number;
  readonly updatedAt: number;
  /** The decided outcome while Prepare*, the last outcome while Complete*; null otherwise. */
  readonly result: TxnResult | null;
  /** Producer id the markers of the completing transaction carry (its records' id), null unless Prepare*. */
  readonly markerProducerId: number | null;
  /** Transactions completed under this id (committed or aborted). */
  readonly completed: number;
}

/** Every transition of a transactional id. */
export type TxnAction =
  /** InitProducerId on an idle id: new identity, no transaction. */
  | {
      readonly type: "init";
      readonly producerId: number;
      readonly epoch: number;
      readonly timeoutMs: number;
      readonly now: number;
    }
  /** AddPartitionsToTxn / AddOffsetsToTxn (explicit in v1, implicit in v2): the transaction is Ongoing. */
  | {
      readonly type: "add";
      readonly partitions: readonly TopicPartition[];
      readonly groups: readonly string[];
      readonly now: number;
    }
  /** A newer incarnation or the timeout fences the open transaction: the epoch is bumped first. */
  | { readonly type: "fence"; readonly producerId: number; readonly epoch: number; readonly now: number }
  /**
   * EndTxn decided (or a fenced transaction is being aborted): Prepare*. `producerId`/`epoch` are
   * the identity afterwards (v2 bumps it here); the markers carry the transaction's own id.
   */
  | {
      readonly type: "prepare";
      readonly result: TxnResult;
      readonly producerId: number;
      readonly epoch: number;
      readonly now: number;
    }
  /** Every marker is written: Complete*. */
  | { readonly type: "complete"; readonly now: number }
  /** The id expired (`transactional.id.expiration.ms`). */
  | { readonly type: "dead"; readonly now: number };

/**
 * The state of a transactional id right after its first InitProducerId.
 *
 * @example
 * ```ts
 * const t = newTxnMetadata("pipeline", 7, 0, 60_000, 0);
 * t.phase; // "Empty"
 * ```
 */
export function newTxnMetadata(
  transactionalId: string,
  producerId: number,
  epoch: number,
  timeoutMs: number,
  now: number,
): TxnMetadata {
  return {
    transactionalId,
    producerId,
    epoch,
    previous: null,
    phase: "Empty",
    timeoutMs,
    partitions: [],
    groups: [],
    startedAt: -1,
    updatedAt: now,
    result: null,
    markerProducerId: null,
    completed: 0,
  };
}

/**
 * The phase an action leads to from `state`.
 *
 * @example
 * ```ts
 * targetPhase(t, { type: "complete", now: 5 }); // "CompleteCommit" when t is PrepareCommit
 * ```
 */
export function targetPhase(state: TxnMetadata, action: TxnAction): TxnPhase {
  switch (action.type) {
    case "init":
      return "Empty";
    case "add":
      return "Ongoing";
    case "fence":
      return "PrepareEpochFence";
    case "prepare":
      return action.result === "commit" ? "PrepareCommit" : "PrepareAbort";
    case "complete":
      return state.phase === "PrepareCommit" ? "CompleteCommit" : "CompleteAbort";
    case "dead":
      return "Dead";
  }
}

/**
 * Applies one transition. Pure: returns a new state and never mutates the old one. An illegal
 * transition is a coordinator bug and throws an InvariantError (the coordinator validates requests
 * first and answers them with Kafka's errors).
 *
 * @example
 * ```ts
 * let t = newTxnMetadata("tx", 1, 0, 60_000, 0);
 * t = reduceTxn(t, { type: "add", partitions: [{ topic: "out", partition: 0 }], groups: [], now: 1 });
 * t = reduceTxn(t, { type: "prepare", result: "commit", producerId: 1, epoch: 0, now: 2 });
 * t = reduceTxn(t, { type: "complete", now: 3 });
 * t.phase; // "CompleteCommit"
 * ```
 */
export function reduceTxn(state: TxnMetadata, action: TxnAction): TxnMetadata {
  const to = targetPhase(state, action);
  invariant(
    canTransition(state.phase, to),
    () => `transactional id ${state.transactionalId}: illegal transition ${state.phase} → ${to}`,
  );
  return produce(state, (draft) => {
    draft.phase = to;
    draft.updatedAt = action.now;
    switch (action.type) {
      case "init":
        draft.producerId = action.producerId;
        draft.epoch = action.epoch;
        draft.timeoutMs = action.timeoutMs;
        draft.previous = null;
        draft.result = null;
        break;
      case "add": {
        if (state.phase !== "Ongoing") {
          draft.startedAt = action.now;
          draft.result = null;
          draft.previous = null;
        }
        if (action.partitions.length > 0) {
          const known = new Set(state.partitions.map((tp) => tpKey(tp.topic, tp.partition)));
          const added = action.partitions.filter((tp) => !known.has(tpKey(tp.topic, tp.partition)));
          if (added.length > 0)
            draft.partitions = sortPartitions([...state.partitions, ...added]).map((tp) => ({
              topic: tp.topic,
              partition: tp.partition,
            }));
        }
        for (const group of action.groups) if (!draft.groups.includes(group)) draft.groups.push(group);
        draft.groups.sort();
        break;
      }
      case "fence":
        // Remember the id the fenced transaction's records carry before the bump may rotate it.
        draft.markerProducerId = state.producerId;
        draft.producerId = action.producerId;
        draft.epoch = action.epoch;
        draft.previous = null;
        break;
      case "prepare":
        draft.result = action.result;
        // The records of this transaction carry the id it was opened under; a fence or a v2
        // rotation may already have moved the id on.
        draft.markerProducerId =
          state.phase === "PrepareEpochFence" ? state.markerProducerId : state.producerId;
        draft.previous =
          action.producerId !== state.producerId || action.epoch !== state.epoch
            ? { producerId: state.producerId, epoch: state.epoch }
            : null;
        draft.producerId = action.producerId;
        draft.epoch = action.epoch;
        break;
      case "complete":
        draft.partitions = [];
        draft.groups = [];
        draft.startedAt = -1;
        draft.markerProducerId = null;
        draft.completed = state.completed + 1;
        break;
      case "dead":
        break;
    }
  });
}

/**
 * Checks a request's producer id and epoch against the coordinator's (Kafka's
 * `TransactionCoordinator` checks): an id that no longer maps to this transactional id is
 * INVALID_PRODUCER_ID_MAPPING, an older epoch PRODUCER_FENCED. Null when current.
 *
 * @example
 * ```ts
 * checkProducer(t, t.producerId, t.epoch - 1); // "PRODUCER_FENCED"
 * ```
 */
export function checkProducer(state: TxnMetadata, producerId: number, epoch: number): LogErrorCode | null {
  if (producerId !== state.producerId) {
    return state.previous?.producerId === producerId ? "PRODUCER_FENCED" : "INVALID_PRODUCER_ID_MAPPING";
  }
  if (epoch < state.epoch) return "PRODUCER_FENCED";
  if (epoch > state.epoch) return "INVALID_PRODUCER_EPOCH";
  return null;
}

/**
 * True when an EndTxn is a retry of the one that completed the last transaction, so the answer is
 * success, not an error: v1 — same identity, Complete* with the same result; v2 — the identity
 * from before the bump that EndTxn caused (KIP-890), Complete* with the same result. A late EndTxn
 * while the next transaction is Ongoing is no retry: v1 cannot tell it apart from that
 * transaction's own EndTxn (the hazard), v2 fences it.
 *
 * @example
 * ```ts
 * isEndTxnRetry(t, "v1", t.producerId, t.epoch, "commit"); // true after CompleteCommit
 * ```
 */
export function isEndTxnRetry(
  state: TxnMetadata,
  protocol: TransactionProtocol,
  producerId: number,
  epoch: number,
  result: TxnResult,
): boolean {
  const complete = result === "commit" ? "CompleteCommit" : "CompleteAbort";
  if (state.phase !== complete) return false;
  if (protocol === "v1") return producerId === state.producerId && epoch === state.epoch;
  return (
    state.previous !== null && state.previous.producerId === producerId && state.previous.epoch === epoch
  );
}

/**
 * The identity after one epoch bump: epoch + 1, or a fresh producer id at epoch 0 once the epoch
 * is exhausted (Kafka rotates the producer id rather than wrapping).
 *
 * @example
 * ```ts
 * bumpedIdentity({ producerId: 3, epoch: 4 }, () => 9);              // { producerId: 3, epoch: 5 }
 * bumpedIdentity({ producerId: 3, epoch: MAX_PRODUCER_EPOCH }, () => 9); // { producerId: 9, epoch: 0 }
 * ```
 */
export function bumpedIdentity(current: ProducerIdentity, allocate: () => number): ProducerIdentity {
  if (current.epoch >= MAX_PRODUCER_EPOCH) return { producerId: allocate(), epoch: 0 };
  return { producerId: current.producerId, epoch: current.epoch + 1 };
}

/**
 * True while the id has a transaction that is not finished (Ongoing, Prepare*, fencing).
 *
 * @example
 * ```ts
 * isTransactionOpen(t); // false for Empty and Complete*
 * ```
 */
export function isTransactionOpen(state: TxnMetadata): boolean {
  return (
    state.phase === "Ongoing" ||
    state.phase === "PrepareCommit" ||
    state.phase === "PrepareAbort" ||
    state.phase === "PrepareEpochFence"
  );
}

/**
 * True while the coordinator is between a decision and its markers (requests must wait:
 * CONCURRENT_TRANSACTIONS).
 *
 * @example
 * ```ts
 * isCompleting(t); // true for PrepareCommit, PrepareAbort, PrepareEpochFence
 * ```
 */
export function isCompleting(state: TxnMetadata): boolean {
  return isTransactionOpen(state) && state.phase !== "Ongoing";
}
