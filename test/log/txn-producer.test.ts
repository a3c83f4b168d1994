import { describe, expect, it } from "vitest";
import { compactLog } from "../../src/log/compaction.js";
import { allValues, committedValues, drive, outcome, PROTOCOLS, txnSetup } from "./txn-helpers.js";

describe.each(PROTOCOLS)("transactions (%s)", (protocol) => {
  it("commit makes every partition's records visible at once; abort hides them; markers take offsets", async () => {
    const { sim, cluster } = txnSetup(protocol);
    cluster.createTopic("out", { partitions: 3 });
    const producer = cluster.producer({ transactionalId: "tx" });
    await drive(sim, async () => {
      await producer.initTransactions();
      producer.beginTransaction();
      await Promise.all([0, 1, 2].map((p) => producer.send({ topic: "out", partition: p, value: `c${p}` })));
      // Open: appended (read_uncommitted sees it), not visible to read_committed, LSO pinned.
      for (const p of [0, 1, 2]) {
        expect(allValues(cluster, "out", p)).toEqual([`c${p}`]);
        expect(committedValues(cluster, "out", p)).toEqual([]);
      }
      expect(cluster.offsets("out").map((o) => o.lastStableOffset)).toEqual([0, 0, 0]);
      await producer.commitTransaction();
      producer.beginTransaction();
      await producer.send({ topic: "out", partition: 0, value: "a0" });
      await producer.send({ topic: "out", partition: 2, value: "a2" });
      await producer.abortTransaction();
    });
    expect([0, 1, 2].map((p) => committedValues(cluster, "out", p))).toEqual([["c0"], ["c1"], ["c2"]]);
    expect(allValues(cluster, "out", 0)).toEqual(["c0", "a0"]);
    expect(
      cluster
        .partition("out", 0)
        .entries()
        .map((e) => `${e.offset}:${e.kind}`),
    ).toEqual(["0:data", "1:commit", "2:data", "3:abort"]);
    expect(
      cluster
        .partition("out", 1)
        .entries()
        .map((e) => `${e.offset}:${e.kind}`),
    ).toEqual(["0:data", "1:commit"]); // the aborted transaction never touched partition 1
    // Visible offsets have gaps where the markers sit.
    expect(cluster.fetch("out", 0, 0).map((r) => r.offset)).toEqual([0, 2]);
    expect(cluster.offsets("out").map((o) => [o.highWatermark, o.lastStableOffset])).toEqual([
      [4, 4],
      [2, 2],
      [4, 4],
    ]);
    expect(cluster.partition("out", 0).abortedTransactions()).toEqual([
      expect.objectContaining({ firstOffset: 2, lastOffset: 3 }),
    ]);
    expect(cluster.transactions.describe("tx")).toMatchObject({ state: "CompleteAbort", completed: 2 });
    cluster.checkInvariants();
  });

  it("read_committed consumers stop at the LSO, see the transaction when it commits, skip aborted records, and never get markers", async () => {
    const { sim, cluster } = txnSetup(protocol);
    cluster.createTopic("out");
    const plain = cluster.producer();
    const txA = cluster.producer({ transactionalId: "a" });
    const txB = cluster.producer({ transactionalId: "b" });
    const committed = cluster.consumer({ isolationLevel: "read_committed" });
    const uncommitted = cluster.consumer({ isolationLevel: "read_uncommitted" });
    committed.assign([{ topic: "out", partition: 0 }]);
    uncommitted.assign([{ topic: "out", partition: 0 }]);
    committed.seekToBeginning();
    uncommitted.seekToBeginning();
    const seen: unknown[] = [];
    await drive(sim, async () => {
      await txA.initTransactions();
      await txB.initTransactions();
      await plain.send({ topic: "out", value: "p0" });
      txA.beginTransaction();
      txB.beginTransaction();
      await txA.send({ topic: "out", value: "a1" }); // offset 1: A's transaction pins the LSO here
      await txB.send({ topic: "out", value: "b1" });
      await plain.send({ topic: "out", value: "p1" });
      await txA.send({ topic: "out", value: "a2" });
      expect(uncommitted.poll().map((r) => r.value)).toEqual(["p0", "a1", "b1", "p1", "a2"]);
      seen.push(...committed.poll().map((r) => r.value));
      expect(seen).toEqual(["p0"]);
      expect(committed.endOffsets([{ topic: "out", partition: 0 }])[0]!.offset).toBe(1); // the LSO
      expect(uncommitted.endOffsets([{ topic: "out", partition: 0 }])[0]!.offset).toBe(5);
      expect(committed.currentLag({ topic: "out", partition: 0 })).toBe(0);
      expect(uncommitted.currentLag({ topic: "out", partition: 0 })).toBe(0);
      await txB.commitTransaction(); // B is done, but A still pins the LSO
      expect(committed.poll()).toEqual([]);
      const waiting = committed.pollAsync(5000);
      await txA.abortTransaction(); // A's abort marker wakes the long poll
      seen.push(...(await waiting).map((r) => r.value));
      seen.push(...committed.poll().map((r) => r.value));
    });
    expect(seen).toEqual(["p0", "b1", "p1"]);
    expect(committed.position({ topic: "out", partition: 0 })).toBe(
      cluster.partition("out", 0).highWatermark,
    );
    cluster.checkInvariants();
  });

  it("seekToEnd and lag follow the isolation level", async () => {
    const { sim, cluster } = txnSetup(protocol);
    cluster.createTopic("out");
    const tx = cluster.producer({ transactionalId: "tx" });
    const rc = cluster.consumer({ groupId: "rc", isolationLevel: "read_committed", enableAutoCommit: false });
    const ru = cluster.consumer({
      groupId: "ru",
      isolationLevel: "read_uncommitted",
      enableAutoCommit: false,
    });
    rc.assign([{ topic: "out", partition: 0 }]);
    ru.assign([{ topic: "out", partition: 0 }]);
    await drive(sim, async () => {
      await tx.initTransactions();
      tx.beginTransaction();
      await tx.send({ topic: "out", value: 1 });
      await tx.commitTransaction(); // offsets 0 (data), 1 (marker)
      tx.beginTransaction();
      await tx.send({ topic: "out", value: 2 }); // offset 2, open
      rc.seekToEnd();
      ru.seekToEnd();
      expect(rc.position({ topic: "out", partition: 0 })).toBe(2);
      expect(ru.position({ topic: "out", partition: 0 })).toBe(3);
      rc.commitSync([{ topic: "out", partition: 0, offset: 0 }]);
      ru.commitSync([{ topic: "out", partition: 0, offset: 0 }]);
      expect(cluster.lag("rc", { isolationLevel: "read_committed" }).total).toBe(2);
      expect(cluster.lag("ru").total).toBe(3);
      await tx.commitTransaction();
      expect(cluster.lag("rc", { isolationLevel: "read_committed" }).total).toBe(4);
      rc.seek({ topic: "out", partition: 0 }, 0);
      expect(rc.poll().map((r) => r.value)).toEqual([1, 2]);
      expect(rc.currentLag({ topic: "out", partition: 0 })).toBe(0);
    });
  });

  it("two transactional producers interleave; each partition's LSO is its earliest open transaction", async () => {
    const { sim, cluster } = txnSetup(protocol);
    cluster.createTopic("out", { partitions: 2 });
    const a = cluster.producer({ transactionalId: "a" });
    const b = cluster.producer({ transactionalId: "b" });
    await drive(sim, async () => {
      await a.initTransactions();
      await b.initTransactions();
      let start = 0;
      for (let round = 0; round < 3; round++) {
        a.beginTransaction();
        b.beginTransaction();
        await Promise.all([
          a.send({ topic: "out", partition: round % 2, value: `a${round}` }),
          b.send({ topic: "out", partition: 0, value: `b${round}` }),
          a.send({ topic: "out", partition: 1, value: `a${round}'` }),
        ]);
        const p0 = cluster.partition("out", 0);
        const firstOf = (pid: number) =>
          p0.entries().find((e) => e.producerId === pid && e.offset >= start)!.offset;
        expect(p0.lastStableOffset).toBe(
          Math.min(firstOf(b.producerId), round % 2 === 0 ? firstOf(a.producerId) : Infinity),
        );
        if (round === 1) await a.abortTransaction();
        else await a.commitTransaction();
        expect(p0.lastStableOffset).toBe(firstOf(b.producerId)); // only B is still open on partition 0
        await b.commitTransaction();
        expect(p0.lastStableOffset).toBe(p0.highWatermark);
        start = p0.highWatermark;
      }
    });
    expect(committedValues(cluster, "out", 0).sort()).toEqual(["a0", "a2", "b0", "b1", "b2"]);
    expect(committedValues(cluster, "out", 1)).toEqual(["a0'", "a2'"]);
    expect(allValues(cluster, "out", 1)).toEqual(["a0'", "a1", "a1'", "a2'"]);
    cluster.checkInvariants();
  });

  it("an abort right after a send drops the unsent record and leaves no transaction open behind the client", async () => {
    const { sim, cluster } = txnSetup(protocol);
    cluster.createTopic("out");
    const producer = cluster.producer({ transactionalId: "tx" });
    const result = await drive(sim, async () => {
      await producer.initTransactions();
      producer.beginTransaction();
      const sent = outcome(producer.send({ topic: "out", value: "never" }));
      await sim.sleep(0); // the sender has looked at the batch (v1: AddPartitionsToTxn queued, not sent)
      await producer.abortTransaction();
      await sim.sleep(100);
      producer.beginTransaction();
      await producer.send({ topic: "out", value: "kept" });
      await producer.commitTransaction();
      return sent;
    });
    if (protocol === "v1") {
      // Held back for AddPartitionsToTxn, so dropped by the abort, and the add never sent.
      expect(result).toBe("TRANSACTION_ABORTED");
      expect(allValues(cluster, "out")).toEqual(["kept"]);
    } else {
      // v2 sent it at once: appended, then aborted with the transaction.
      expect(result).toBe("ok");
      expect(allValues(cluster, "out")).toEqual(["never", "kept"]);
    }
    expect(committedValues(cluster, "out")).toEqual(["kept"]);
    expect(cluster.transactions.describe("tx")?.state).toBe("CompleteCommit");
    cluster.checkInvariants();
  });

  it("compaction never lets an aborted write shadow a committed value, and waits for open transactions", async () => {
    const { sim, cluster } = txnSetup(protocol);
    cluster.createTopic("kv", { config: { cleanupPolicy: "compact", segmentBytes: 64 } });
    const tx = cluster.producer({ transactionalId: "tx" });
    await drive(sim, async () => {
      await tx.initTransactions();
      tx.beginTransaction();
      await tx.send({ topic: "kv", key: "k", value: "committed" });
      await tx.commitTransaction();
      tx.beginTransaction();
      await tx.send({ topic: "kv", key: "k", value: "aborted" });
      await tx.abortTransaction();
      tx.beginTransaction();
      await tx.send({ topic: "kv", key: "other", value: "open" });
    });
    const log = cluster.partition("kv", 0);
    log.roll();
    compactLog(log, sim.now, true);
    expect(committedValues(cluster, "kv")).toEqual(["committed"]);
    expect(
      log
        .entries()
        .filter((e) => e.kind === "data")
        .map((e) => e.value),
    ).toContain("open");
    cluster.checkInvariants();
  });
});
