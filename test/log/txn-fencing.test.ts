import { describe, expect, it } from "vitest";
import type { Producer } from "../../src/log/producer.js";
import { TXN_CRASH_POINTS, type TxnCrashPoint } from "../../src/log/transaction-manager.js";
import { allValues, committedValues, drive, outcome, PROTOCOLS, txnSetup } from "./txn-helpers.js";

describe.each(PROTOCOLS)("fencing (%s)", (protocol) => {
  it.each(["send", "send to a new partition", "sendOffsets", "commit", "abort"])(
    "a new instance fences the zombie, aborts its open transaction; the zombie's next %s fails with PRODUCER_FENCED and it never appends again",
    async (firstContact) => {
      const { sim, cluster } = txnSetup(protocol);
      cluster.createTopic("out", { partitions: 2 });
      cluster.createTopic("in");
      const zombie = cluster.producer({ transactionalId: "tx", clientId: "zombie" });
      const fresh = cluster.producer({ transactionalId: "tx", clientId: "fresh" });
      const results = await drive(sim, async () => {
        await zombie.initTransactions();
        zombie.beginTransaction();
        await zombie.send({ topic: "out", partition: 0, value: "z-open" });
        await fresh.initTransactions(); // bumps the epoch, aborts the zombie's transaction
        expect(fresh.epoch).toBeGreaterThan(zombie.epoch);
        const appendsBefore =
          cluster.partition("out", 0).logEndOffset + cluster.partition("out", 1).logEndOffset;
        let first: Promise<unknown>;
        if (firstContact === "send") first = zombie.send({ topic: "out", partition: 0, value: "z-late" });
        else if (firstContact === "send to a new partition")
          first = zombie.send({ topic: "out", partition: 1, value: "z-late" });
        else if (firstContact === "sendOffsets")
          first = zombie.sendOffsetsToTransaction([{ topic: "in", partition: 0, offset: 0 }], "group");
        else if (firstContact === "commit") first = zombie.commitTransaction();
        else first = zombie.abortTransaction();
        const firstCode = await outcome(first);
        const appendsAfter =
          cluster.partition("out", 0).logEndOffset + cluster.partition("out", 1).logEndOffset;
        // Fatal from now on, synchronously.
        const later = [
          () => zombie.send({ topic: "out", partition: 0, value: "z-later" }),
          () => zombie.beginTransaction(),
          () => zombie.commitTransaction(),
          () => zombie.abortTransaction(),
          () => zombie.sendOffsetsToTransaction([{ topic: "in", partition: 0, offset: 0 }], "group"),
        ].map((call) => {
          try {
            call();
            return "no error";
          } catch (error) {
            return (error as { code: string }).code;
          }
        });
        fresh.beginTransaction();
        await fresh.send({ topic: "out", partition: 0, value: "fresh" });
        await fresh.commitTransaction();
        return { firstCode, later, appended: appendsAfter - appendsBefore };
      });
      expect(results.firstCode).toBe("PRODUCER_FENCED");
      expect(results.later).toEqual(Array(5).fill("PRODUCER_FENCED"));
      expect(results.appended).toBe(0);
      expect(zombie.transactionState).toBe("FATAL_ERROR");
      expect(committedValues(cluster, "out", 0)).toEqual(["fresh"]);
      expect(allValues(cluster, "out", 0)).toEqual(["z-open", "fresh"]);
      expect(cluster.listGroups()).toEqual([]); // the zombie's offsets never landed anywhere
      cluster.checkInvariants();
    },
  );

  it("transaction.timeout.ms: the coordinator aborts the stale transaction and fences its producer", async () => {
    const { sim, cluster } = txnSetup(protocol, {
      transactionAbortTimedOutTransactionCleanupIntervalMs: 500,
    });
    cluster.createTopic("out");
    const events: string[] = [];
    sim.bus.on("txn.fenced", (e) => events.push(`${e.reason}:${e.epoch}`));
    const slow = cluster.producer({ transactionalId: "slow", transactionTimeoutMs: 2000 });
    const code = await drive(sim, async () => {
      await slow.initTransactions();
      slow.beginTransaction();
      await slow.send({ topic: "out", value: "stale" });
      expect(cluster.partition("out", 0).lastStableOffset).toBe(0);
      await sim.sleep(2600); // the check at 2500 sees it open for more than 2000 ms
      expect(cluster.transactions.describe("slow")).toMatchObject({ state: "CompleteAbort" });
      expect(cluster.partition("out", 0).lastStableOffset).toBe(cluster.partition("out", 0).highWatermark);
      return outcome(slow.commitTransaction());
    });
    expect(code).toBe("PRODUCER_FENCED");
    expect(events).toEqual(["timeout:1"]); // a new id needs no fencing; the timeout bumps 0 → 1
    expect(() => slow.send({ topic: "out", value: "again" })).toThrow(
      expect.objectContaining({ code: "PRODUCER_FENCED" }),
    );
    expect(committedValues(cluster, "out")).toEqual([]);
    cluster.checkInvariants();
  });

  it("a failed send dooms the transaction: commit refuses (INVALID_TXN_STATE), abort recovers with a fresh epoch", async () => {
    const { sim, cluster } = txnSetup(protocol);
    cluster.createTopic("out");
    const producer = cluster.producer({
      transactionalId: "tx",
      requestTimeoutMs: 500,
      deliveryTimeoutMs: 1000,
    });
    let dropping = false;
    cluster.network.setFaultHook((r) => (dropping && r.kind === "produce" ? "drop-request" : undefined));
    const result = await drive(sim, async () => {
      await producer.initTransactions();
      const epoch = producer.epoch;
      producer.beginTransaction();
      dropping = true;
      const lost = outcome(producer.send({ topic: "out", value: "lost" }));
      await sim.sleep(1500);
      dropping = false;
      const commit = await outcome(() => producer.commitTransaction()); // throws at once: the transaction is doomed
      const state = producer.transactionState;
      await producer.abortTransaction();
      const epochAfter = producer.epoch;
      producer.beginTransaction();
      await producer.send({ topic: "out", value: "kept" });
      await producer.commitTransaction();
      return { lost: await lost, commit, state, epoch, epochAfter };
    });
    expect(result.lost).toBe("DELIVERY_TIMEOUT");
    expect(result.commit).toBe("INVALID_TXN_STATE");
    expect(result.state).toBe("ABORTABLE_ERROR");
    expect(result.epochAfter).toBeGreaterThan(result.epoch); // KIP-360 (v1) or the v2 abort bump
    expect(committedValues(cluster, "out")).toEqual(["kept"]);
    cluster.checkInvariants();
  });
});

describe("crash points", () => {
  const visibleAfterRestart: Record<TxnCrashPoint, boolean> = {
    "before-send": false,
    "before-send-offsets": false,
    "after-send-offsets": false,
    "before-commit": false,
    "during-commit": true,
    "after-commit": true,
    "before-abort": false,
    "after-abort": false,
  };

  it.each(PROTOCOLS.flatMap((p) => TXN_CRASH_POINTS.map((point) => [p, point] as const)))(
    "%s: crashing at %s leaves the transaction all-or-nothing, and a restart unblocks the LSO",
    async (protocol, point) => {
      const { sim, cluster } = txnSetup(protocol);
      cluster.createTopic("out", { partitions: 2 });
      cluster.createTopic("in");
      await drive(sim, async () => {
        const seed = cluster.producer();
        await seed.send({ topic: "in", value: "x" });
      });
      const first = cluster.producer({ transactionalId: "tx" });
      first.setTransactionCrashHook((p, info) => p === point && (p !== "before-send" || info.send === 1));
      const abort = point === "before-abort" || point === "after-abort";
      const crashed = await drive(sim, async () => {
        await first.initTransactions();
        first.beginTransaction();
        const sends: Promise<unknown>[] = [];
        try {
          sends.push(first.send({ topic: "out", partition: 0, value: "r0" }));
          sends.push(first.send({ topic: "out", partition: 1, value: "r1" }));
          await Promise.all(sends);
          await first.sendOffsetsToTransaction([{ topic: "in", partition: 0, offset: 1 }], "app");
          if (abort) await first.abortTransaction();
          else await first.commitTransaction();
          return null;
        } catch (error) {
          await Promise.allSettled(sends);
          return (error as { code: string }).code;
        }
      });
      expect(crashed).toBe("PRODUCER_CLOSED");
      const restarted = cluster.producer({ transactionalId: "tx" });
      await drive(sim, () => restarted.initTransactions());
      const expected = visibleAfterRestart[point];
      const p0 = committedValues(cluster, "out", 0);
      const p1 = committedValues(cluster, "out", 1);
      expect([p0, p1]).toEqual(expected ? [["r0"], ["r1"]] : [[], []]);
      const offsets = cluster.listGroups().includes("app") ? cluster.groupOffsets("app") : [];
      expect(offsets.map((o) => o.offset)).toEqual(expected ? [1] : []);
      for (const p of [0, 1]) {
        const log = cluster.partition("out", p);
        expect(log.lastStableOffset).toBe(log.highWatermark);
      }
      cluster.checkInvariants();
    },
  );
});

describe("the late EndTxn hazard (Kafka before 4.0) and its fix (KIP-890)", () => {
  /**
   * Transaction 1 ends; its first EndTxn is held in the network past the client's request timeout,
   * so the client retries, the retry completes transaction 1, and the client moves on to
   * transaction 2. Then the original EndTxn arrives.
   */
  async function lateEndTxn(protocol: "v1" | "v2", first: "commit" | "abort", second: "commit" | "abort") {
    const { sim, cluster } = txnSetup(protocol);
    cluster.createTopic("out", { partitions: 2 });
    const rejected: string[] = [];
    sim.bus.on("txn.rejected", (e) => rejected.push(`${e.request}:${e.code}`));
    const producer: Producer = cluster.producer({ transactionalId: "tx", requestTimeoutMs: 1000 });
    cluster.network.setFaultHook((r) =>
      r.kind === "end-txn" && r.attempt === 0 && r.sentAt < 1000 ? { delayRequestMs: 5000 } : undefined,
    );
    const result = await drive(sim, async () => {
      await producer.initTransactions();
      producer.beginTransaction();
      await producer.send({ topic: "out", partition: 0, value: "t1" });
      if (first === "commit") await producer.commitTransaction();
      else await producer.abortTransaction();
      // Transaction 2 starts while transaction 1's first EndTxn is still on its way.
      producer.beginTransaction();
      await producer.send({ topic: "out", partition: 0, value: "t2-a" });
      await sim.sleep(5000); // the late EndTxn lands now
      const sendB = await outcome(producer.send({ topic: "out", partition: 1, value: "t2-b" }));
      const end = await outcome(() =>
        second === "commit" ? producer.commitTransaction() : producer.abortTransaction(),
      );
      return { end, sendB };
    });
    return {
      ...result,
      rejected,
      p0: committedValues(cluster, "out", 0),
      p1: committedValues(cluster, "out", 1),
    };
  }

  it("v1: a delayed abort of transaction 1 silently aborts the first half of transaction 2, whose commit then succeeds — a torn transaction, a lost write", async () => {
    const r = await lateEndTxn("v1", "abort", "commit");
    expect(r.sendB).toBe("ok");
    expect(r.end).toBe("ok"); // the application believes transaction 2 committed…
    expect(r.p0).toEqual([]); // …but t2-a was aborted by a request sent for transaction 1
    expect(r.p1).toEqual(["t2-b"]);
    expect(r.rejected).toEqual([]);
  });

  it("v2: the same delayed abort is fenced; transaction 2 commits intact", async () => {
    const r = await lateEndTxn("v2", "abort", "commit");
    expect(r.rejected).toContain("EndTxn(abort):PRODUCER_FENCED");
    expect(r.end).toBe("ok");
    expect(r.p0).toEqual(["t2-a"]);
    expect(r.p1).toEqual(["t2-b"]);
  });

  it("v1: a delayed commit of transaction 1 commits half of transaction 2, which the application then aborts — an aborted read", async () => {
    const r = await lateEndTxn("v1", "commit", "abort");
    expect(r.end).toBe("ok");
    expect(r.p0).toEqual(["t1", "t2-a"]); // visible although the application aborted transaction 2
    expect(r.p1).toEqual([]); // the other half was aborted: a torn transaction
  });

  it("v2: the delayed commit is fenced; the aborted transaction stays invisible", async () => {
    const r = await lateEndTxn("v2", "commit", "abort");
    expect(r.rejected).toContain("EndTxn(commit):PRODUCER_FENCED");
    expect(r.end).toBe("ok");
    expect(r.p0).toEqual(["t1"]);
    expect(r.p1).toEqual([]);
  });
});
