import { describe, expect, it } from "vitest";
import { FAST, setup } from "./helpers.js";

async function scenario(seed: number) {
  const { sim, cluster } = setup({ requestLatencyMs: 1 }, seed);
  const trace = sim.trace();
  cluster.createTopic("t", { partitions: 3 });
  const producer = cluster.producer({ requestTimeoutMs: 1000 });
  cluster.network.setFaultHook((r) =>
    r.kind === "produce" && r.requestId % 3 === 0 ? "drop-response" : undefined,
  );
  for (let i = 0; i < 20; i++) sim.at(i * 10, () => void producer.send({ topic: "t", value: i }));
  const c1 = cluster.consumer({ groupId: "g", autoOffsetReset: "earliest", ...FAST });
  const c2 = cluster.consumer({ groupId: "g", autoOffsetReset: "earliest", ...FAST });
  c1.subscribe(["t"]);
  c2.subscribe(["t"]);
  for (let i = 0; i < 30; i++) {
    c1.poll();
    if (i < 10) c2.poll();
    if (i === 10) c2.crash();
    await sim.runFor(200);
  }
  return trace;
}

describe("events", () => {
  it("every transition is visible on the bus, and the same seed gives the same trace", async () => {
    const a = await scenario(7);
    const b = await scenario(7);
    expect(a.serialize()).toBe(b.serialize());
    const types = new Set(a.entries.map((e) => e.type));
    for (const type of [
      "log.topic-created",
      "log.append",
      "log.duplicate",
      "log.fetch",
      "log.commit",
      "log.offset-reset",
      "producer.request",
      "producer.retry",
      "producer.timeout",
      "producer.ack",
      "network.fault",
      "group.join",
      "group.rebalance",
      "group.generation",
      "group.assign",
      "group.stable",
      "group.member-removed",
      "consumer.rebalance-callback",
    ]) {
      expect(types, type).toContain(type);
    }
  });

  it("builds no payloads when nobody listens", async () => {
    const { sim, cluster } = setup();
    cluster.createTopic("t");
    const producer = cluster.producer();
    const ack = producer.send({ topic: "t", value: 1 });
    await sim.run();
    expect((await ack).offset).toBe(0);
    expect(sim.bus.active).toBe(false);
  });
});
