import { describe, expect, it } from "vitest";
import { AbortedTxnIndex } from "../../src/log/aborted-index.js";
import { controlAttributes, controlType } from "../../src/log/control-records.js";
import {
  committedOffset,
  emptyGroup,
  hasPendingTxnOffset,
  type JoiningMember,
  reduceGroup,
  validateTxnOffsetCommit,
} from "../../src/log/group-state.js";
import { PartitionTransactions } from "../../src/log/partition-transactions.js";
import { ATTR_TRANSACTIONAL, Segment } from "../../src/log/segment.js";
import { TXN_CLIENT_TRANSITIONS } from "../../src/log/transaction-manager.js";
import {
  bumpedIdentity,
  canTransition,
  checkProducer,
  isEndTxnRetry,
  MAX_PRODUCER_EPOCH,
  newTxnMetadata,
  reduceTxn,
  TXN_PREDECESSORS,
  type TxnMetadata,
  type TxnPhase,
} from "../../src/log/transaction-state.js";

const tp = (topic: string, partition: number) => ({ topic, partition });

function ongoing(): TxnMetadata {
  return reduceTxn(newTxnMetadata("tx", 1, 0, 60_000, 0), {
    type: "add",
    partitions: [tp("b", 1), tp("a", 0)],
    groups: ["g"],
    now: 5,
  });
}

describe("transaction coordinator reducers", () => {
  it("follow Kafka's predecessor table exactly", () => {
    const phases = Object.keys(TXN_PREDECESSORS) as TxnPhase[];
    const allowed = phases.flatMap((to) =>
      phases.filter((from) => canTransition(from, to)).map((f) => `${f}→${to}`),
    );
    expect(allowed.sort()).toEqual(
      [
        "Empty→Empty",
        "CompleteCommit→Empty",
        "CompleteAbort→Empty",
        "Empty→Ongoing",
        "Ongoing→Ongoing",
        "CompleteCommit→Ongoing",
        "CompleteAbort→Ongoing",
        "Ongoing→PrepareCommit",
        "Ongoing→PrepareAbort",
        "PrepareEpochFence→PrepareAbort",
        "PrepareCommit→CompleteCommit",
        "PrepareAbort→CompleteAbort",
        "Ongoing→PrepareEpochFence",
        "Empty→Dead",
        "CompleteCommit→Dead",
        "CompleteAbort→Dead",
      ].sort(),
    );
  });

  it("add → Ongoing with sorted, de-duplicated partitions and a start time; state is immutable", () => {
    const empty = newTxnMetadata("tx", 1, 0, 60_000, 0);
    const t1 = ongoing();
    expect(empty.phase).toBe("Empty");
    expect(t1).toMatchObject({ phase: "Ongoing", startedAt: 5, groups: ["g"] });
    expect(t1.partitions).toEqual([tp("a", 0), tp("b", 1)]);
    const t2 = reduceTxn(t1, { type: "add", partitions: [tp("a", 0), tp("c", 0)], groups: ["g"], now: 9 });
    expect(t2.partitions).toEqual([tp("a", 0), tp("b", 1), tp("c", 0)]);
    expect(t2.startedAt).toBe(5); // the timeout counts from the first add
    expect(t1.partitions).toHaveLength(2);
    expect(Object.isFrozen(t2)).toBe(true);
  });

  it("prepare keeps the transaction's producer id for the markers; v2-style bumps record the previous identity", () => {
    const prepared = reduceTxn(ongoing(), {
      type: "prepare",
      result: "commit",
      producerId: 1,
      epoch: 1,
      now: 6,
    });
    expect(prepared).toMatchObject({
      phase: "PrepareCommit",
      result: "commit",
      markerProducerId: 1,
      epoch: 1,
      previous: { producerId: 1, epoch: 0 },
    });
    const done = reduceTxn(prepared, { type: "complete", now: 7 });
    expect(done).toMatchObject({
      phase: "CompleteCommit",
      partitions: [],
      groups: [],
      startedAt: -1,
      completed: 1,
      markerProducerId: null,
    });
  });

  it("fence → PrepareEpochFence → PrepareAbort keeps the fenced transaction's producer id even across rotation", () => {
    const fenced = reduceTxn(ongoing(), { type: "fence", producerId: 9, epoch: 0, now: 6 });
    expect(fenced).toMatchObject({ phase: "PrepareEpochFence", producerId: 9, markerProducerId: 1 });
    const aborting = reduceTxn(fenced, { type: "prepare", result: "abort", producerId: 9, epoch: 0, now: 6 });
    expect(aborting).toMatchObject({ phase: "PrepareAbort", markerProducerId: 1, previous: null });
  });

  it("refuses illegal transitions with an invariant error", () => {
    const empty = newTxnMetadata("tx", 1, 0, 60_000, 0);
    expect(() =>
      reduceTxn(empty, { type: "prepare", result: "commit", producerId: 1, epoch: 0, now: 1 }),
    ).toThrow(expect.objectContaining({ code: "INVARIANT_VIOLATED" }));
    expect(() => reduceTxn(empty, { type: "complete", now: 1 })).toThrow(/illegal transition/);
    expect(() =>
      reduceTxn(ongoing(), { type: "init", producerId: 1, epoch: 1, timeoutMs: 1, now: 1 }),
    ).toThrow();
  });

  it("checks producer identity: stale epoch PRODUCER_FENCED, unknown id INVALID_PRODUCER_ID_MAPPING", () => {
    const t = reduceTxn(newTxnMetadata("tx", 1, 0, 60_000, 0), {
      type: "init",
      producerId: 1,
      epoch: 3,
      timeoutMs: 60_000,
      now: 1,
    });
    expect(checkProducer(t, 1, 3)).toBeNull();
    expect(checkProducer(t, 1, 2)).toBe("PRODUCER_FENCED");
    expect(checkProducer(t, 7, 3)).toBe("INVALID_PRODUCER_ID_MAPPING");
    expect(checkProducer(t, 1, 4)).toBe("INVALID_PRODUCER_EPOCH");
  });

  it("recognizes a retried EndTxn: v1 by the same epoch, v2 by the epoch before the bump; never while the next transaction runs", () => {
    const v1 = reduceTxn(
      reduceTxn(ongoing(), { type: "prepare", result: "abort", producerId: 1, epoch: 0, now: 6 }),
      { type: "complete", now: 7 },
    );
    expect(isEndTxnRetry(v1, "v1", 1, 0, "abort")).toBe(true);
    expect(isEndTxnRetry(v1, "v1", 1, 0, "commit")).toBe(false);
    const v2 = reduceTxn(
      reduceTxn(ongoing(), { type: "prepare", result: "abort", producerId: 1, epoch: 1, now: 6 }),
      { type: "complete", now: 7 },
    );
    expect(isEndTxnRetry(v2, "v2", 1, 0, "abort")).toBe(true);
    expect(isEndTxnRetry(v2, "v2", 1, 1, "abort")).toBe(false);
    const next = reduceTxn(v2, { type: "add", partitions: [tp("a", 0)], groups: [], now: 8 });
    expect(isEndTxnRetry(next, "v2", 1, 0, "abort")).toBe(false);
    expect(checkProducer(next, 1, 0)).toBe("PRODUCER_FENCED"); // the late request is fenced
  });

  it("bumps the epoch, rotating the producer id when it is exhausted", () => {
    expect(bumpedIdentity({ producerId: 3, epoch: 4 }, () => 9)).toEqual({ producerId: 3, epoch: 5 });
    expect(bumpedIdentity({ producerId: 3, epoch: MAX_PRODUCER_EPOCH }, () => 9)).toEqual({
      producerId: 9,
      epoch: 0,
    });
  });

  it("client transitions follow Java's TransactionManager", () => {
    expect(TXN_CLIENT_TRANSITIONS.UNINITIALIZED).toContain("INITIALIZING");
    expect(TXN_CLIENT_TRANSITIONS.READY).toContain("IN_TRANSACTION");
    expect(TXN_CLIENT_TRANSITIONS.READY).not.toContain("COMMITTING_TRANSACTION");
    expect(TXN_CLIENT_TRANSITIONS.ABORTABLE_ERROR).not.toContain("COMMITTING_TRANSACTION");
    for (const targets of Object.values(TXN_CLIENT_TRANSITIONS)) expect(targets).toContain("FATAL_ERROR");
  });
});

describe("partition transaction state", () => {
  it("LSO is the first offset of the earliest open transaction; aborts enter the index", () => {
    const txns = new PartitionTransactions();
    expect(txns.firstUnstableOffset).toBe(-1);
    txns.begin(1, 0);
    txns.begin(2, 3);
    txns.begin(1, 5); // same transaction continues
    expect(txns.firstUnstableOffset).toBe(0);
    txns.complete(1, 6, false, 7);
    expect(txns.firstUnstableOffset).toBe(3);
    txns.complete(2, 7, true, 8);
    expect(txns.firstUnstableOffset).toBe(-1);
    expect(txns.aborted.entries()).toEqual([
      { producerId: 2, firstOffset: 3, lastOffset: 7, lastStableOffset: 8 },
    ]);
  });

  it("the aborted index returns the overlapping transactions by first offset and stops early", () => {
    const index = new AbortedTxnIndex();
    index.append(1, 10, 20, 15); // another transaction was open from 15
    index.append(2, 15, 25, 26);
    index.append(3, 30, 31, 32);
    const pids: number[] = [];
    const firsts: number[] = [];
    expect(index.collect(0, 100, pids, firsts)).toBe(3);
    expect(pids.slice(0, 3)).toEqual([1, 2, 3]);
    expect(index.collect(21, 100, pids, firsts)).toBe(2);
    expect(pids.slice(0, 2)).toEqual([2, 3]);
    expect(index.collect(0, 12, pids, firsts)).toBe(1); // stops after the first entry: its LSO ≥ 12
    expect(index.collect(26, 30, pids, firsts)).toBe(0);
    index.truncateBefore(21);
    expect(index.entries().map((e) => e.producerId)).toEqual([2, 3]);
  });

  it("the cleaner's discard mask covers markers and aborted records only", () => {
    const segment = new Segment(0, 0);
    const txns = new PartitionTransactions();
    segment.push(null, "plain", null, 0, 1);
    segment.push("k", "aborted", null, 0, 1, ATTR_TRANSACTIONAL, 4);
    segment.push("k", "committed", null, 0, 1, ATTR_TRANSACTIONAL, 5);
    segment.push(null, null, null, 0, 1, controlAttributes("abort"), 4);
    segment.push(null, null, null, 0, 1, controlAttributes("commit"), 5);
    txns.begin(4, 1);
    txns.begin(5, 2);
    txns.complete(4, 3, true, 4);
    txns.complete(5, 4, false, 5);
    expect([...txns.discardable(segment)!]).toEqual([0, 1, 0, 1, 1]);
    expect(controlType(controlAttributes("abort"))).toBe("abort");
    expect(controlType(ATTR_TRANSACTIONAL)).toBeNull();
  });
});

describe("group reducers for transactional offsets", () => {
  const member = (memberId: string): JoiningMember => ({
    memberId,
    groupInstanceId: null,
    clientId: memberId,
    protocols: ["range"],
    topics: ["t"],
    ownedPartitions: [],
    ownedGeneration: -1,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 10_000,
  });

  it("pending offsets become committed on commit and vanish on abort", () => {
    const g0 = emptyGroup("g");
    const offsets = [{ topic: "t", partition: 0, offset: 5 }];
    const g1 = reduceGroup(g0, { type: "txn-offsets", producerId: 7, offsets });
    expect(hasPendingTxnOffset(g1, "t", 0)).toBe(true);
    expect(committedOffset(g1, "t", 0)).toBeNull();
    const g2 = reduceGroup(g1, {
      type: "txn-offsets",
      producerId: 7,
      offsets: [{ topic: "t", partition: 0, offset: 8 }],
    });
    const committed = reduceGroup(g2, { type: "txn-complete", producerId: 7, commit: true, now: 3 });
    expect(committedOffset(committed, "t", 0)?.offset).toBe(8);
    expect(hasPendingTxnOffset(committed, "t", 0)).toBe(false);
    const aborted = reduceGroup(g2, { type: "txn-complete", producerId: 7, commit: false, now: 3 });
    expect(committedOffset(aborted, "t", 0)).toBeNull();
    expect(aborted.pendingTxnOffsets.size).toBe(0);
    expect(hasPendingTxnOffset(g0, "t", 0)).toBe(false); // g0 untouched
  });

  it("validates TxnOffsetCommit like KIP-447: stale generation, unknown member; group-only form unchecked", () => {
    let g = reduceGroup(emptyGroup("g"), { type: "join", members: [member("a")], now: 0, reason: "" });
    g = reduceGroup(g, { type: "complete-join", protocol: "range", leaderId: "a", assignments: {} });
    expect(validateTxnOffsetCommit(g, { memberId: "a", generation: 1 })).toBeNull();
    expect(validateTxnOffsetCommit(g, { memberId: "a", generation: 0 })).toBe("ILLEGAL_GENERATION");
    expect(validateTxnOffsetCommit(g, { memberId: "zombie", generation: 1 })).toBe("UNKNOWN_MEMBER_ID");
    expect(validateTxnOffsetCommit(g, { memberId: "", generation: -1 })).toBeNull();
    // Unlike a plain commit, CompletingRebalance does not refuse it.
    expect(g.phase).toBe("CompletingRebalance");
  });
});
