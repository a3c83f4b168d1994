import { describe, expect, it } from "vitest";
import { drive, manualWorld } from "./helpers.js";

describe("kafkajs facade in manual mode: the test drives the clock", () => {
  it("joins after the initial rebalance delay, consumes at that virtual instant, heartbeats on schedule", async () => {
    const { sim, kafka } = manualWorld(2);
    const producer = kafka.producer();
    await producer.connect();
    const sent = await drive(
      sim,
      producer.send({ topic: "t", messages: [0, 1, 2, 3].map((i) => ({ key: `k${i}`, value: `v${i}` })) }),
    );
    expect(sent.map((m) => m.partition).sort()).toEqual([0, 1]);
    const consumer = kafka.consumer({ groupId: "g", heartbeatInterval: 1000, sessionTimeout: 10_000 });
    const joins: { at: number; duration: number; assignment: Record<string, number[]> }[] = [];
    const beats: number[] = [];
    consumer.on(
      consumer.events.GROUP_JOIN,
      (e: { timestamp: number; payload: { duration: number; memberAssignment: Record<string, number[]> } }) =>
        joins.push({ at: e.timestamp, duration: e.payload.duration, assignment: e.payload.memberAssignment }),
    );
    consumer.on(consumer.events.HEARTBEAT, (e: { timestamp: number }) => beats.push(e.timestamp));
    await consumer.connect();
    await consumer.subscribe({ topics: ["t"], fromBeginning: true });
    const received: { value: string; at: number }[] = [];
    const start = sim.now;
    const running = consumer.run({
      eachMessage: async ({ message }) => {
        received.push({ value: message.value!.toString(), at: sim.now });
      },
    });
    await sim.runFor(2999);
    expect(joins).toEqual([]); // group.initial.rebalance.delay.ms: 3000
    expect(received).toEqual([]);
    await sim.runFor(1);
    await running; // run() resolves once the member has joined
    expect(joins).toEqual([{ at: start + 3000, duration: 3000, assignment: { t: [0, 1] } }]);
    await sim.runFor(1);
    expect(received.map((r) => r.value).sort()).toEqual(["v0", "v1", "v2", "v3"]);
    expect(new Set(received.map((r) => r.at))).toEqual(new Set([start + 3000]));
    // Idle: each empty fetch waits maxWaitTimeInMs (5000) and then heartbeats if 1000 ms passed.
    await sim.runFor(12_000);
    expect(beats.length).toBeGreaterThanOrEqual(2);
    for (const t of beats) expect(t).toBeGreaterThanOrEqual(start + 3000);
    await drive(sim, consumer.disconnect());
    const admin = kafka.admin();
    const offsets = await admin.fetchOffsets({ groupId: "g", topics: ["t"] });
    expect(offsets[0]!.partitions.map((p) => Number(p.offset)).reduce((a, b) => a + b, 0)).toBe(4);
  });

  it("idle consumers leave the simulation quiescent: sim.run() returns", async () => {
    const { sim, kafka } = manualWorld(1);
    const consumer = kafka.consumer({ groupId: "idle" });
    await consumer.subscribe({ topic: "quiet" });
    const running = consumer.run({ eachMessage: async () => {} });
    await sim.run(); // joins (3 s), then only background waits remain
    await running;
    expect(sim.now).toBe(3000);
    await drive(sim, consumer.stop());
  });

  it("a handler that sleeps in virtual time delays the next message by exactly that long", async () => {
    const { sim, kafka } = manualWorld(1);
    const producer = kafka.producer();
    await producer.connect();
    await drive(
      sim,
      producer.send({ topic: "slow", messages: [{ value: "a" }, { value: "b" }, { value: "c" }] }),
    );
    const consumer = kafka.consumer({ groupId: "slow" });
    await consumer.subscribe({ topic: "slow", fromBeginning: true });
    const times: number[] = [];
    consumer.run({
      eachMessage: async () => {
        times.push(sim.now);
        await sim.sleep(250);
      },
    });
    await sim.runFor(5000);
    expect(times.map((t) => t - times[0]!)).toEqual([0, 250, 500]);
    await drive(sim, consumer.disconnect());
  });
});
