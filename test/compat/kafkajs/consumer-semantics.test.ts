import { describe, expect, it } from "vitest";
import type { EachBatchPayload } from "../../../src/compat/kafkajs/index.js";
import { eventually, quietKafka } from "./helpers.js";

async function seed(
  kafka: ReturnType<typeof quietKafka>,
  topic: string,
  partitions: number,
  perPartition: number,
) {
  const admin = kafka.admin();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }] });
  const producer = kafka.producer();
  await producer.connect();
  for (let p = 0; p < partitions; p++) {
    await producer.send({
      topic,
      messages: Array.from({ length: perPartition }, (_, i) => ({ partition: p, value: `p${p}-${i}` })),
    });
  }
  return { admin, producer };
}

describe("kafkajs consumer semantics", () => {
  it("a throwing eachMessage is retried from the failed message, then crashes and restarts (CRASH restart: true)", async () => {
    const kafka = quietKafka();
    const sim = kafka.simulation;
    const { admin } = await seed(kafka, "jobs", 1, 5);
    const consumer = kafka.consumer({ groupId: "workers", retry: { retries: 2, initialRetryTime: 100 } });
    const crashes: { restart: boolean; name: string }[] = [];
    consumer.on(consumer.events.CRASH, (e: { payload: { restart: boolean; error: Error } }) =>
      crashes.push({ restart: e.payload.restart, name: e.payload.error.name }),
    );
    await consumer.subscribe({ topic: "jobs", fromBeginning: true });
    const deliveries: string[] = [];
    let failures = 0;
    await consumer.run({
      eachMessage: async ({ message }) => {
        deliveries.push(message.value!.toString());
        if (message.offset === "2" && failures < 4) {
          failures++;
          throw new Error("downstream unavailable");
        }
      },
    });
    await eventually(sim, () => deliveries.includes("p0-4"), "the consumer to get past the poison message");
    // 3 attempts (retries: 2) then a crash; the restarted consumer fails once more, then succeeds.
    expect(deliveries).toEqual(["p0-0", "p0-1", "p0-2", "p0-2", "p0-2", "p0-2", "p0-2", "p0-3", "p0-4"]);
    expect(crashes).toEqual([{ restart: true, name: "KafkaJSNumberOfRetriesExceeded" }]);
    // autoCommit committed what succeeded before the failure; after the restart everything.
    await eventually(sim, () => true, "settle");
    const [offsets] = await admin.fetchOffsets({ groupId: "workers", topics: ["jobs"] });
    expect(offsets!.partitions[0]!.offset).toBe("5");
    await consumer.disconnect();
    sim.close();
  });

  it("a TypeError in eachMessage crashes without restart, as kafkajs treats it as unrecoverable", async () => {
    const kafka = quietKafka();
    const sim = kafka.simulation;
    await seed(kafka, "t", 1, 1);
    const consumer = kafka.consumer({ groupId: "g" });
    const crashes: boolean[] = [];
    consumer.on(consumer.events.CRASH, (e: { payload: { restart: boolean } }) =>
      crashes.push(e.payload.restart),
    );
    await consumer.subscribe({ topic: "t", fromBeginning: true });
    await consumer.run({
      eachMessage: async () => {
        throw new TypeError("undefined is not a function");
      },
    });
    await eventually(sim, () => crashes.length > 0, "a crash");
    await sim.sleep(10_000);
    expect(crashes).toEqual([false]);
    sim.close();
  });

  it("a handler blocking longer than the session timeout without heartbeat() loses its partitions; heartbeat() keeps them", async () => {
    for (const callsHeartbeat of [false, true]) {
      const kafka = quietKafka();
      const sim = kafka.simulation;
      await seed(kafka, "slow", 2, 1);
      const joins: string[] = [];
      const make = (name: string) => {
        const c = kafka.consumer({ groupId: "g", sessionTimeout: 6000, heartbeatInterval: 1000 });
        c.on(c.events.GROUP_JOIN, (e: { payload: { memberAssignment: Record<string, number[]> } }) =>
          joins.push(`${name}:${(e.payload.memberAssignment.slow ?? []).join(",")}`),
        );
        return c;
      };
      const a = make("a");
      const b = make("b");
      await a.subscribe({ topic: "slow", fromBeginning: true });
      await b.subscribe({ topic: "slow", fromBeginning: true });
      let slowDone = false;
      const handler =
        (name: string) =>
        async ({ heartbeat }: { heartbeat(): Promise<void> }) => {
          if (name !== "a" || slowDone) return;
          for (let i = 0; i < 20; i++) {
            await sim.sleep(1000); // 20 s of work
            if (callsHeartbeat) await heartbeat();
          }
          slowDone = true;
        };
      await Promise.all([a.run({ eachMessage: handler("a") }), b.run({ eachMessage: handler("b") })]);
      await sim.sleep(30_000);
      if (callsHeartbeat)
        expect(joins.filter((j) => j.startsWith("b")).length).toBe(1); // no rebalance
      else expect(joins).toContain("b:0,1"); // a was evicted, b took everything
      await Promise.all([a.disconnect(), b.disconnect()]);
      sim.close();
    }
  });

  it("pause() from eachMessage stops the partition after the current message; resume continues", async () => {
    const kafka = quietKafka();
    const sim = kafka.simulation;
    await seed(kafka, "pp", 2, 3);
    const consumer = kafka.consumer({ groupId: "g" });
    await consumer.subscribe({ topic: "pp", fromBeginning: true });
    const seen: string[] = [];
    let resume: (() => void) | null = null;
    await consumer.run({
      eachMessage: async ({ partition, message, pause }) => {
        seen.push(message.value!.toString());
        if (partition === 0 && message.offset === "0") resume = pause();
      },
    });
    await sim.sleep(20_000);
    expect(seen.filter((v) => v.startsWith("p0"))).toEqual(["p0-0"]);
    expect(seen.filter((v) => v.startsWith("p1"))).toEqual(["p1-0", "p1-1", "p1-2"]);
    expect(consumer.paused()).toEqual([{ topic: "pp", partitions: [0] }]);
    resume!();
    await eventually(sim, () => seen.includes("p0-2"), "p0 to resume");
    expect(seen.filter((v) => v.startsWith("p0"))).toEqual(["p0-0", "p0-1", "p0-2"]);
    await consumer.disconnect();
    sim.close();
  });

  it("eachBatch: resolveOffset, uncommittedOffsets, commitOffsetsIfNecessary, isStale after seek", async () => {
    const kafka = quietKafka();
    const sim = kafka.simulation;
    const { admin } = await seed(kafka, "b", 1, 6);
    const consumer = kafka.consumer({ groupId: "g" });
    await consumer.subscribe({ topic: "b", fromBeginning: true });
    const snapshots: unknown[] = [];
    let first = true;
    await consumer.run({
      eachBatchAutoResolve: false,
      autoCommit: false,
      eachBatch: async ({
        batch,
        resolveOffset,
        uncommittedOffsets,
        commitOffsetsIfNecessary,
        isRunning,
        isStale,
      }: EachBatchPayload) => {
        if (!first) {
          resolveOffset(batch.lastOffset());
          return;
        }
        first = false;
        expect(batch.messages.map((m) => m.offset)).toEqual(["0", "1", "2", "3", "4", "5"]);
        expect([batch.firstOffset(), batch.lastOffset(), batch.highWatermark, batch.offsetLag()]).toEqual([
          "0",
          "5",
          "6",
          "0",
        ]);
        resolveOffset("2");
        snapshots.push(uncommittedOffsets());
        await commitOffsetsIfNecessary({
          topics: [{ topic: "b", partitions: [{ partition: 0, offset: "3" }] }],
        });
        expect(isRunning()).toBe(true);
        expect(isStale()).toBe(false);
        consumer.seek({ topic: "b", partition: 0, offset: "5" });
        expect(isStale()).toBe(true);
      },
    });
    await sim.sleep(10_000);
    expect(snapshots).toEqual([{ topics: [{ topic: "b", partitions: [{ partition: 0, offset: "3" }] }] }]);
    const [offsets] = await admin.fetchOffsets({ groupId: "g", topics: ["b"] });
    expect(offsets!.partitions[0]!.offset).toBe("3"); // autoCommit off: seek committed nothing
    await consumer.disconnect();
    sim.close();
  });

  it("autoCommitThreshold commits inside a batch; without it kafkajs commits after the batch", async () => {
    const kafka = quietKafka();
    const sim = kafka.simulation;
    await seed(kafka, "th", 1, 10);
    const consumer = kafka.consumer({ groupId: "g" });
    const commits: string[][] = [];
    consumer.on(
      consumer.events.COMMIT_OFFSETS,
      (e: { payload: { topics: { partitions: { offset: string }[] }[] } }) =>
        commits.push(e.payload.topics.flatMap((t) => t.partitions.map((p) => p.offset))),
    );
    await consumer.subscribe({ topic: "th", fromBeginning: true });
    await consumer.run({ autoCommitThreshold: 4, eachMessage: async () => {} });
    await sim.sleep(10_000);
    expect(commits).toEqual([["4"], ["8"], ["10"]]);
    await consumer.disconnect();
    sim.close();
  });

  it("partitionsConsumedConcurrently processes partitions' batches in parallel (virtual time shows it)", async () => {
    for (const [concurrency, expected] of [
      [1, 4000],
      [2, 2000],
    ] as const) {
      const kafka = quietKafka();
      const sim = kafka.simulation;
      await seed(kafka, "cc", 2, 2);
      const consumer = kafka.consumer({ groupId: "g" });
      await consumer.subscribe({ topic: "cc", fromBeginning: true });
      const times: number[] = [];
      await consumer.run({
        partitionsConsumedConcurrently: concurrency,
        eachMessage: async () => {
          await sim.sleep(1000);
          times.push(sim.now);
        },
      });
      await eventually(sim, () => times.length === 4, "4 messages");
      expect(Math.max(...times) - Math.min(...times) + 1000).toBe(expected);
      await consumer.disconnect();
      sim.close();
    }
  });

  it("seek right after run (before the join) starts there; seek with autoCommit commits the offset", async () => {
    const kafka = quietKafka();
    const sim = kafka.simulation;
    const { admin } = await seed(kafka, "sk", 1, 10);
    const consumer = kafka.consumer({ groupId: "g" });
    await consumer.subscribe({ topic: "sk", fromBeginning: true });
    const seen: string[] = [];
    const running = consumer.run({ eachMessage: async ({ message }) => void seen.push(message.offset) });
    consumer.seek({ topic: "sk", partition: 0, offset: "7" });
    await running;
    await eventually(sim, () => seen.length >= 3, "3 messages");
    expect(seen).toEqual(["7", "8", "9"]);
    const [offsets] = await admin.fetchOffsets({ groupId: "g", topics: ["sk"] });
    expect(offsets!.partitions[0]!.offset).toBe("10");
    await consumer.disconnect();
    sim.close();
  });

  it("fromBeginning: false starts at the end; a topic created with more partitions later is picked up after metadataMaxAge", async () => {
    const kafka = quietKafka();
    const sim = kafka.simulation;
    const { admin, producer } = await seed(kafka, "grow", 1, 3);
    const consumer = kafka.consumer({ groupId: "g", metadataMaxAge: 10_000 });
    const joins: number[][] = [];
    consumer.on(
      consumer.events.GROUP_JOIN,
      (e: { payload: { memberAssignment: Record<string, number[]> } }) =>
        joins.push(e.payload.memberAssignment.grow ?? []),
    );
    await consumer.subscribe({ topic: "grow" });
    const seen: string[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
    await sim.sleep(1000);
    await producer.send({ topic: "grow", messages: [{ value: "new-0" }] });
    await admin.createPartitions({ topicPartitions: [{ topic: "grow", count: 2 }] });
    await sim.sleep(30_000);
    expect(joins).toEqual([[0], [0, 1]]);
    await producer.send({ topic: "grow", messages: [{ partition: 1, value: "new-1" }] });
    await eventually(sim, () => seen.includes("new-1"), "the new partition's message");
    expect(seen).toEqual(["new-0", "new-1"]);
    await consumer.disconnect();
    sim.close();
  });
});
