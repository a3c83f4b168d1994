import { describe, expect, it } from "vitest";
import { Kafka, logLevel } from "../../../src/compat/kafkajs/index.js";
import { drive, manualWorld } from "./helpers.js";

/**
 * kafkajs' documented pause/resume patterns (https://kafka.js.org/docs/consuming#pause-resume),
 * written as its docs write them, in auto mode (real `setTimeout`) and in manual mode (the test
 * drives the clock; the resume is a simulation timer).
 */

class TooManyRequestsError extends Error {
  constructor(readonly retryAfter: number) {
    super("429 Too Many Requests");
  }
}

/** A dependency that answers 429 the first `failures` times. */
function rateLimited(failures: number) {
  let calls = 0;
  return async (value: string) => {
    calls++;
    if (calls <= failures) throw new TooManyRequestsError(0.05);
    return value;
  };
}

describe("kafkajs pause/resume patterns, auto mode (unmodified application code)", () => {
  it("pause the topic on 429, throw so the message is redelivered, resume with setTimeout", async () => {
    const kafka = new Kafka({ clientId: "pr", brokers: ["kafka:9092"], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.createTopics({ topics: [{ topic: "jobs", numPartitions: 1 }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: "jobs", messages: ["a", "b", "c"].map((value) => ({ value })) });
    const consumer = kafka.consumer({ groupId: "workers", retry: { retries: 10, initialRetryTime: 20 } });
    await consumer.connect();
    await consumer.subscribe({ topics: ["jobs"], fromBeginning: true });
    const sendToDependency = rateLimited(2);
    const delivered: string[] = [];
    const attempts: string[] = [];
    const pausedSeen: unknown[] = [];
    let resolveDone = () => {};
    const done = new Promise<void>((r) => {
      resolveDone = r;
    });
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        attempts.push(message.value!.toString());
        try {
          delivered.push(await sendToDependency(message.value!.toString()));
          if (delivered.length === 3) resolveDone();
        } catch (e) {
          if (e instanceof TooManyRequestsError) {
            consumer.pause([{ topic }]);
            pausedSeen.push(consumer.paused());
            setTimeout(() => consumer.resume([{ topic }]), e.retryAfter * 1000);
          }
          throw e;
        }
      },
    });
    await done;
    expect(delivered).toEqual(["a", "b", "c"]);
    expect(attempts).toEqual(["a", "a", "a", "b", "c"]); // "a" redelivered after each resume
    expect(pausedSeen).toEqual([[{ topic: "jobs", partitions: [0] }], [{ topic: "jobs", partitions: [0] }]]);
    expect(consumer.paused()).toEqual([]);
    await consumer.disconnect();
    await producer.disconnect();
    const offsets = await admin.fetchOffsets({ groupId: "workers", topics: ["jobs"] });
    expect(offsets[0]!.partitions).toEqual([{ partition: 0, offset: "3", metadata: null }]);
  });

  it("the pause() function eachMessage gets pauses only its partition; the returned function resumes it", async () => {
    const kafka = new Kafka({ clientId: "pr2", brokers: ["kafka:9092"], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.createTopics({ topics: [{ topic: "calls", numPartitions: 2 }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: "calls",
      messages: [
        { value: "p0-a", partition: 0 },
        { value: "p0-b", partition: 0 },
      ],
    });
    await producer.send({
      topic: "calls",
      messages: [
        { value: "p1-a", partition: 1 },
        { value: "p1-b", partition: 1 },
      ],
    });
    const consumer = kafka.consumer({ groupId: "callers", retry: { retries: 10, initialRetryTime: 20 } });
    await consumer.subscribe({ topics: ["calls"], fromBeginning: true });
    let failedOnce = false;
    const order: string[] = [];
    const pausedDuring: unknown[] = [];
    let resolveDone = () => {};
    const done = new Promise<void>((r) => {
      resolveDone = r;
    });
    await consumer.run({
      eachMessage: async ({ partition, message, pause }) => {
        const value = message.value!.toString();
        if (partition === 0 && !failedOnce) {
          failedOnce = true;
          const resumeThisPartition = pause();
          pausedDuring.push(consumer.paused());
          setTimeout(resumeThisPartition, 100);
          throw new TooManyRequestsError(0.1);
        }
        order.push(value);
        if (order.length === 4) resolveDone();
      },
    });
    await done;
    expect(pausedDuring).toEqual([[{ topic: "calls", partitions: [0] }]]);
    // Partition 1 went on while partition 0 was paused; partition 0's first message came back.
    expect(order.filter((v) => v.startsWith("p1"))).toEqual(["p1-a", "p1-b"]);
    expect(order.filter((v) => v.startsWith("p0"))).toEqual(["p0-a", "p0-b"]);
    expect(order.indexOf("p1-b")).toBeLessThan(order.indexOf("p0-a"));
    await consumer.disconnect();
    await producer.disconnect();
  });
});

describe("kafkajs pause/resume patterns, manual mode (the test drives the clock)", () => {
  const setup = async (partitions: number, values: { value: string; partition: number }[]) => {
    const { sim, kafka } = manualWorld(partitions);
    const producer = kafka.producer();
    await drive(sim, producer.connect());
    await drive(sim, producer.send({ topic: "t", messages: values }));
    return { sim, kafka };
  };

  it("paused partitions get nothing — not even new messages — and stay assigned; resume redelivers from the unresolved offset", async () => {
    const { sim, kafka } = await setup(2, [
      { value: "a0", partition: 0 },
      { value: "a1", partition: 0 },
      { value: "b0", partition: 1 },
    ]);
    const consumer = kafka.consumer({ groupId: "g" });
    await consumer.subscribe({ topics: ["t"], fromBeginning: true });
    const got: string[] = [];
    const joins: Record<string, number[]>[] = [];
    consumer.on(
      consumer.events.GROUP_JOIN,
      (e: { payload: { memberAssignment: Record<string, number[]> } }) =>
        joins.push(e.payload.memberAssignment),
    );
    await drive(
      sim,
      consumer.run({
        eachMessage: async ({ partition, message }) => {
          const value = message.value!.toString();
          if (value === "a0" && !got.includes("a0-paused")) {
            got.push("a0-paused");
            consumer.pause([{ topic: "t", partitions: [partition] }]);
            // Resume 10 virtual seconds later (kafkajs' docs use setTimeout; here a simulation timer).
            sim.schedule(sim.now + 10_000, () => consumer.resume([{ topic: "t", partitions: [partition] }]));
            throw new Error("retry later");
          }
          got.push(value);
        },
      }),
    );
    await sim.runFor(1000);
    expect(consumer.paused()).toEqual([{ topic: "t", partitions: [0] }]);
    expect(got).toEqual(["a0-paused", "b0"]);
    // New messages on the paused partition wait too.
    await drive(sim, kafka.producer().connect());
    const p = kafka.producer();
    await drive(sim, p.connect());
    await drive(sim, p.send({ topic: "t", messages: [{ value: "a2", partition: 0 }] }));
    await sim.runFor(5000);
    expect(got).toEqual(["a0-paused", "b0"]);
    expect(joins).toEqual([{ t: [0, 1] }]); // still assigned, no rebalance
    await sim.runFor(6000); // past the resume
    expect(consumer.paused()).toEqual([]);
    expect(got).toEqual(["a0-paused", "b0", "a0", "a1", "a2"]);
    await drive(sim, consumer.disconnect());
  });

  it("pause without throwing: the message is processed, the rest of the batch waits for resume (and kafkajs' idle sleep)", async () => {
    const { sim, kafka } = await setup(
      1,
      ["m0", "m1", "m2"].map((value) => ({ value, partition: 0 })),
    );
    const consumer = kafka.consumer({ groupId: "g2" });
    await consumer.subscribe({ topics: ["t"], fromBeginning: true });
    const got: { value: string; at: number }[] = [];
    let resume: (() => void) | null = null;
    await drive(
      sim,
      consumer.run({
        eachMessage: async ({ message, pause }) => {
          got.push({ value: message.value!.toString(), at: sim.now });
          if (resume === null) resume = pause();
        },
      }),
    );
    await sim.runFor(3000);
    expect(got.map((g) => g.value)).toEqual(["m0"]);
    resume!();
    // With every partition paused, kafkajs' fetch sleeps maxWaitTimeInMs (5000) before it looks
    // again; a resume does not cut that sleep short. So m1 arrives 5 s after m0, not at the resume.
    await sim.runFor(1000);
    expect(got.map((g) => g.value)).toEqual(["m0"]);
    await sim.runFor(1100);
    expect(got.map((g) => g.value)).toEqual(["m0", "m1", "m2"]);
    expect(got[1]!.at - got[0]!.at).toBe(5000);
    await drive(sim, consumer.disconnect());
  });

  it("pausing a whole topic pauses every assigned partition; resuming some partitions resumes only those", async () => {
    const { sim, kafka } = await setup(
      3,
      [0, 1, 2].map((p) => ({ value: `v${p}`, partition: p })),
    );
    const consumer = kafka.consumer({ groupId: "g3" });
    await consumer.subscribe({ topics: ["t"], fromBeginning: true });
    const got: number[] = [];
    expect(consumer.paused()).toEqual([]);
    const running = consumer.run({ eachMessage: async ({ partition }) => void got.push(partition) });
    consumer.pause([{ topic: "t" }]); // before the group is joined: kept and applied
    await drive(sim, running);
    await sim.runFor(2000);
    expect(got).toEqual([]);
    expect(consumer.paused()).toEqual([{ topic: "t", partitions: [0, 1, 2] }]);
    consumer.resume([{ topic: "t", partitions: [1] }]);
    await sim.runFor(5000); // the all-paused fetch sleep (maxWaitTimeInMs) ends, then partition 1 is fetched
    expect(got).toEqual([1]);
    expect(consumer.paused()).toEqual([{ topic: "t", partitions: [0, 2] }]);
    consumer.resume([{ topic: "t" }]);
    // The fetch in flight long-polls partition 1 alone (up to maxWaitTimeInMs, as a broker holds
    // it); the resumed partitions join the next fetch.
    await sim.runFor(1000);
    expect(got).toEqual([1]);
    await sim.runFor(4100);
    expect(got.sort()).toEqual([0, 1, 2]);
    await drive(sim, consumer.disconnect());
  });

  it("a pause survives a rebalance: the paused topic's newly assigned partitions stay paused", async () => {
    const { sim, kafka } = await setup(2, [
      { value: "x0", partition: 0 },
      { value: "x1", partition: 1 },
    ]);
    const got: string[] = [];
    const a = kafka.consumer({ groupId: "g4", heartbeatInterval: 500 });
    await a.subscribe({ topics: ["t"], fromBeginning: true });
    const running = a.run({ eachMessage: async ({ message }) => void got.push(`a:${message.value}`) });
    a.pause([{ topic: "t" }]);
    await drive(sim, running);
    await sim.runFor(1000);
    expect(a.paused()).toEqual([{ topic: "t", partitions: [0, 1] }]);
    const b = kafka.consumer({ groupId: "g4", heartbeatInterval: 500 });
    await b.subscribe({ topics: ["t"], fromBeginning: true });
    await drive(sim, b.run({ eachMessage: async ({ message }) => void got.push(`b:${message.value}`) }));
    await sim.runFor(12_000);
    // a still has one partition and it is still paused; b consumed its own.
    expect(a.paused()).toHaveLength(1);
    expect(a.paused()[0]!.partitions).toHaveLength(1);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatch(/^b:x[01]$/);
    a.resume([{ topic: "t" }]);
    await sim.runFor(6000);
    expect(got).toHaveLength(2);
    expect(got[1]).toMatch(/^a:x[01]$/);
    await drive(sim, Promise.all([a.disconnect(), b.disconnect()]));
  });
});
