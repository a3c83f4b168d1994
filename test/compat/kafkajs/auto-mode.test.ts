import { describe, expect, it } from "vitest";
import { Kafka, logLevel } from "../../../src/compat/kafkajs/index.js";

/**
 * Application code as written for kafkajs — nothing below knows about simulations: no clock, no
 * driving. It runs on `new Kafka({ clientId, brokers })`, which creates an auto-driven simulation.
 */
async function orderPipeline(
  kafka: Kafka,
  orders: number,
): Promise<{ totals: Map<string, number>; seen: number }> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: "orders", numPartitions: 3 }] });
  const producer = kafka.producer();
  await producer.connect();
  for (let i = 0; i < orders; i++) {
    await producer.send({
      topic: "orders",
      messages: [
        { key: `customer-${i % 5}`, value: JSON.stringify({ amount: i }), headers: { source: "web" } },
      ],
    });
  }
  const consumer = kafka.consumer({ groupId: "billing" });
  await consumer.connect();
  await consumer.subscribe({ topics: ["orders"], fromBeginning: true });
  const totals = new Map<string, number>();
  let seen = 0;
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((r) => {
    resolveDone = r;
  });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const key = message.key?.toString() ?? "";
      const { amount } = JSON.parse(message.value?.toString() ?? "{}") as { amount: number };
      totals.set(key, (totals.get(key) ?? 0) + amount);
      if (++seen === orders) resolveDone();
    },
  });
  await done;
  await consumer.disconnect();
  await producer.disconnect();
  await admin.disconnect();
  return { totals, seen };
}

describe("kafkajs facade in auto mode: unmodified application code", () => {
  it("produces, consumes with a group and commits, with no simulation in sight", async () => {
    const kafka = new Kafka({ clientId: "shop", brokers: ["kafka:9092"], logLevel: logLevel.NOTHING });
    const { totals, seen } = await orderPipeline(kafka, 20);
    expect(seen).toBe(20);
    // customer-k got orders k, k+5, k+10, k+15
    expect([...totals].sort()).toEqual([
      ["customer-0", 30],
      ["customer-1", 34],
      ["customer-2", 38],
      ["customer-3", 42],
      ["customer-4", 46],
    ]);
    const admin = kafka.admin();
    const offsets = await admin.fetchOffsets({ groupId: "billing", topics: ["orders"] });
    const committed = offsets[0]!.partitions.reduce((n, p) => n + Number(p.offset), 0);
    expect(committed).toBe(20); // every message committed: the next offsets sum to the log size
    expect(kafka.simulation.drive).toBe("auto");
    kafka.simulation.close();
  });

  it("is deterministic: two runs take the same virtual time and commit the same offsets", async () => {
    const run = async () => {
      const kafka = new Kafka({ clientId: "shop", brokers: ["kafka:9092"], logLevel: logLevel.NOTHING });
      await orderPipeline(kafka, 12);
      const offsets = await kafka.admin().fetchOffsets({ groupId: "billing", topics: ["orders"] });
      const now = kafka.simulation.now;
      kafka.simulation.close();
      return { now, offsets };
    };
    expect(await run()).toEqual(await run());
  });

  it("keys a Buffer value and headers through unchanged, offsets and timestamps as strings", async () => {
    const kafka = new Kafka({ clientId: "bytes", brokers: ["kafka:9092"], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    const [meta] = await producer.send({
      topic: "raw",
      messages: [
        { key: Buffer.from([1, 2]), value: Buffer.from("v"), headers: { h: ["a", "b"] }, timestamp: "1234" },
      ],
    });
    expect(meta).toEqual({
      topicName: "raw",
      partition: 0,
      errorCode: 0,
      baseOffset: "0",
      logAppendTime: "-1",
      logStartOffset: "0",
    });
    const consumer = kafka.consumer({ groupId: "g" });
    await consumer.subscribe({ topic: "raw", fromBeginning: true });
    const got = await new Promise<import("../../../src/compat/kafkajs/index.js").KafkaMessage>((resolve) => {
      consumer.run({ eachMessage: async ({ message }) => resolve(message) });
    });
    expect(Buffer.isBuffer(got.value)).toBe(true);
    expect([...(got.key ?? [])]).toEqual([1, 2]);
    expect(got.offset).toBe("0");
    expect(got.timestamp).toBe("1234");
    expect((got.headers.h as Buffer[]).map((b) => b.toString())).toEqual(["a", "b"]);
    await consumer.disconnect();
    kafka.simulation.close();
  });
});
