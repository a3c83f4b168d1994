import { describe, expect, it } from "vitest";
import { check } from "../../src/semantics/check.js";
import { recordHistory } from "../../src/semantics/history.js";
import { drive, manualWorld } from "../compat/kafkajs/helpers.js";

describe("recording through the kafkajs facade", () => {
  it("records sends with ids and offsets, receives with the same ids, commits and rebalances", async () => {
    const { sim, kafka } = manualWorld(2);
    const history = recordHistory(sim);
    const producer = kafka.producer();
    await producer.connect();
    await drive(
      sim,
      producer.send({
        topic: "t",
        messages: [
          { key: "a", value: "1", headers: { id: "mine" } },
          { key: "b", value: "2" },
          { key: "a", value: "3" },
        ],
      }),
    );
    const consumer = kafka.consumer({ groupId: "g" });
    await consumer.subscribe({ topic: "t", fromBeginning: true });
    const seen: string[] = [];
    consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(String(message.headers.id));
      },
    });
    await sim.runFor(10_000);
    await drive(sim, consumer.disconnect());
    const sends = history.operations.filter((o) => o.f === "send");
    expect(sends.filter((o) => o.type === "invoke").map((o) => o.value.id)).toEqual([
      "mine",
      "test-1",
      "test-2",
    ]);
    expect(
      sends
        .filter((o) => o.type === "ok")
        .map((o) => o.value.id)
        .sort(),
    ).toEqual(["mine", "test-1", "test-2"]);
    expect(sends.filter((o) => o.type === "ok").every((o) => typeof o.value.offset === "number")).toBe(true);
    expect(seen.sort()).toEqual(["mine", "test-1", "test-2"]);
    const receives = history.operations.filter((o) => o.f === "receive" && o.type === "ok");
    expect(receives.map((o) => o.value.id).sort()).toEqual(["mine", "test-1", "test-2"]);
    expect(receives[0]!.value.isolation).toBe("read_committed");
    expect(history.operations.some((o) => o.f === "rebalance")).toBe(true);
    expect(history.operations.some((o) => o.f === "commit" && o.type === "ok")).toBe(true);
    const result = check(history, { guarantee: "exactly-once", ordering: "per-key" });
    expect(result.anomalies).toEqual([]);
  });

  it("records nothing when no history records (and messages get no id header)", async () => {
    const { sim, kafka } = manualWorld(1);
    const producer = kafka.producer();
    await producer.connect();
    const consumer = kafka.consumer({ groupId: "g" });
    await consumer.subscribe({ topic: "t", fromBeginning: true });
    const headers: unknown[] = [];
    consumer.run({
      eachMessage: async ({ message }) => {
        headers.push(message.headers);
      },
    });
    await drive(sim, producer.send({ topic: "t", messages: [{ value: "x" }] }));
    await sim.runFor(5000);
    expect(headers).toEqual([{}]);
  });

  it("records transactions: begin, sends with their txn, sendOffsets as a commit, commit", async () => {
    const { sim, kafka, cluster } = manualWorld(1);
    cluster.createTopic("in");
    const history = recordHistory(sim);
    const producer = kafka.producer({ transactionalId: "tx-1", maxInFlightRequests: 1, idempotent: true });
    await producer.connect();
    const tx = await drive(sim, producer.transaction());
    await drive(sim, tx.send({ topic: "out", messages: [{ value: "v" }] }));
    await drive(
      sim,
      tx.sendOffsets({
        consumerGroupId: "g",
        topics: [{ topic: "in", partitions: [{ partition: 0, offset: "1" }] }],
      }),
    );
    await drive(sim, tx.commit());
    const lines = history.operations.map(
      (o) => `${o.type} ${o.f} ${String(o.value.action ?? o.value.id ?? "")}`,
    );
    expect(lines).toEqual([
      "invoke txn begin",
      "ok txn begin",
      "invoke send test-1",
      "ok send test-1",
      "invoke commit ",
      "ok commit ",
      "invoke txn commit",
      "ok txn commit",
    ]);
    const txn = history.operations[0]!.value.txn;
    expect(history.operations[2]!.value.txn).toBe(txn);
    expect(check(history).counts.sent.ok).toBe(1);
  });
});
