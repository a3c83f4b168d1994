import { describe, expect, it } from "vitest";
import type { LogCluster } from "../../src/log/cluster.js";
import type { Consumer } from "../../src/log/consumer.js";
import { FAST } from "./helpers.js";
import { committedValues, drive, outcome, PROTOCOLS, txnSetup } from "./txn-helpers.js";

async function fillInput(cluster: LogCluster, count: number) {
  const producer = cluster.producer();
  await Promise.all(Array.from({ length: count }, (_, i) => producer.send({ topic: "in", value: i })));
}

/** Polls until the consumer has an assignment (the group formed); call it before input arrives. */
async function joined(consumer: Consumer): Promise<void> {
  for (let i = 0; i < 50 && consumer.assignment().length === 0; i++) await consumer.pollAsync(100);
}

const committedOf = (cluster: LogCluster, group: string) =>
  cluster.listGroups().includes(group) ? cluster.groupOffsets(group).map((o) => o.offset) : [];

describe.each(PROTOCOLS)("offsets in transactions (%s)", (protocol) => {
  it("offsets sent to a transaction count as committed only if it commits", async () => {
    const { sim, cluster } = txnSetup(protocol);
    cluster.createTopic("in");
    cluster.createTopic("out");
    const consumer = cluster.consumer({
      groupId: "app",
      enableAutoCommit: false,
      autoOffsetReset: "earliest",
      isolationLevel: "read_committed",
      maxPollRecords: 2,
      ...FAST,
    });
    consumer.subscribe(["in"]);
    const producer = cluster.producer({ transactionalId: "app-tx" });
    const history = await drive(sim, async () => {
      await producer.initTransactions();
      await joined(consumer);
      await fillInput(cluster, 4);
      const seen: number[][] = [];
      for (const verdict of ["commit", "abort", "commit"] as const) {
        const records = consumer.poll();
        producer.beginTransaction();
        for (const r of records) await producer.send({ topic: "out", value: (r.value as number) * 10 });
        const next = records.at(-1)!.offset + 1;
        await producer.sendOffsetsToTransaction(
          [{ topic: "in", partition: 0, offset: next }],
          consumer.groupMetadata(),
        );
        if (verdict === "commit") await producer.commitTransaction();
        else {
          await producer.abortTransaction();
          consumer.seek({ topic: "in", partition: 0 }, records[0]!.offset); // reprocess
        }
        seen.push(committedOf(cluster, "app"));
      }
      return seen;
    });
    expect(history).toEqual([[2], [2], [4]]);
    expect(committedValues(cluster, "out")).toEqual([0, 10, 20, 30]);
    cluster.checkInvariants();
  });

  it("a stale generation is refused (ILLEGAL_GENERATION): nothing changes, the transaction must abort", async () => {
    const { sim, cluster } = txnSetup(protocol);
    cluster.createTopic("in", { partitions: 2 });
    cluster.createTopic("out");
    const options = {
      groupId: "app",
      enableAutoCommit: false,
      autoOffsetReset: "earliest" as const,
      ...FAST,
    };
    const first = cluster.consumer(options);
    first.subscribe(["in"]);
    const producer = cluster.producer({ transactionalId: "app-tx" });
    const result = await drive(sim, async () => {
      await producer.initTransactions();
      await joined(first);
      const stale = first.groupMetadata();
      const second = cluster.consumer(options);
      second.subscribe(["in"]);
      for (let i = 0; i < 20 && cluster.describeGroup("app").generation === stale.generationId; i++) {
        first.poll();
        second.poll();
        await sim.sleep(100);
      }
      producer.beginTransaction();
      await producer.send({ topic: "out", value: "derived" });
      const groupBefore = cluster.coordinator.state("app");
      const code = await outcome(
        producer.sendOffsetsToTransaction([{ topic: "in", partition: 0, offset: 0 }], stale),
      );
      const groupAfter = cluster.coordinator.state("app");
      const state = producer.transactionState;
      const commit = await outcome(() => producer.commitTransaction());
      await producer.abortTransaction();
      return {
        code,
        same: groupBefore!.offsets === groupAfter!.offsets,
        pending: groupAfter!.pendingTxnOffsets.size,
        state,
        commit,
        generation: stale.generationId,
      };
    });
    expect(result).toMatchObject({
      code: "ILLEGAL_GENERATION",
      same: true,
      pending: 0,
      state: "ABORTABLE_ERROR",
      commit: "INVALID_TXN_STATE",
    });
    expect(cluster.describeGroup("app").generation).toBeGreaterThan(result.generation);
    expect(committedValues(cluster, "out")).toEqual([]);
    cluster.checkInvariants();
  });

  it("offsets for a group the member is not in are refused (UNKNOWN_MEMBER_ID); a consumer without a group cannot send any (INVALID_GROUP_ID)", async () => {
    const { sim, cluster } = txnSetup(protocol);
    cluster.createTopic("in");
    const member = cluster.consumer({ groupId: "app", enableAutoCommit: false, ...FAST });
    member.subscribe(["in"]);
    const loner = cluster.consumer({});
    const producer = cluster.producer({ transactionalId: "tx" });
    const codes = await drive(sim, async () => {
      await producer.initTransactions();
      await joined(member);
      producer.beginTransaction();
      const elsewhere = { ...member.groupMetadata(), groupId: "other-group" };
      const code = await outcome(
        producer.sendOffsetsToTransaction([{ topic: "in", partition: 0, offset: 0 }], elsewhere),
      );
      await producer.abortTransaction();
      producer.beginTransaction();
      const sync = await outcome(() =>
        producer.sendOffsetsToTransaction([{ topic: "in", partition: 0, offset: 0 }], loner.groupMetadata()),
      );
      const stillOpen = producer.transactionState;
      await producer.abortTransaction();
      return { code, sync, stillOpen };
    });
    expect(codes).toEqual({
      code: "UNKNOWN_MEMBER_ID",
      sync: "INVALID_GROUP_ID",
      stillOpen: "IN_TRANSACTION",
    });
    expect(committedOf(cluster, "other-group")).toEqual([]);
  });

  it("read_committed consumers wait for pending transactional offsets (UNSTABLE_OFFSET_COMMIT); read_uncommitted ones do not", async () => {
    const { sim, cluster } = txnSetup(protocol);
    cluster.createTopic("in");
    const producer = cluster.producer({ transactionalId: "tx" });
    const stable = cluster.consumer({
      groupId: "g",
      isolationLevel: "read_committed",
      enableAutoCommit: false,
      autoOffsetReset: "earliest",
    });
    const eager = cluster.consumer({
      groupId: "g",
      isolationLevel: "read_uncommitted",
      enableAutoCommit: false,
      autoOffsetReset: "earliest",
    });
    const result = await drive(sim, async () => {
      await fillInput(cluster, 5);
      await producer.initTransactions();
      producer.beginTransaction();
      await producer.sendOffsetsToTransaction([{ topic: "in", partition: 0, offset: 3 }], "g"); // group id only (kafkajs form)
      stable.assign([{ topic: "in", partition: 0 }]);
      eager.assign([{ topic: "in", partition: 0 }]);
      const unstable = await outcome(() => stable.position({ topic: "in", partition: 0 }));
      const nothing = stable.poll().length;
      const eagerFirst = eager.poll()[0]!.offset;
      await producer.commitTransaction();
      const after = stable.poll()[0]!.offset;
      return { unstable, nothing, eagerFirst, after };
    });
    expect(result).toEqual({ unstable: "UNSTABLE_OFFSET_COMMIT", nothing: 0, eagerFirst: 0, after: 3 });
  });
});
