import { describe, expect, it } from "vitest";
import type { BrokerlabEvents } from "../../src/scheduler/event-bus.js";
import { setup } from "./helpers.js";

function values(cluster: ReturnType<typeof setup>["cluster"], topic = "t", partition = 0) {
  return cluster
    .partition(topic, partition)
    .all()
    .map((r) => r.value);
}

describe("producer", () => {
  it("batches records sent in one tick with linger.ms 0 into one request", async () => {
    const { sim, cluster } = setup();
    cluster.createTopic("t");
    const requests: BrokerlabEvents["producer.request"][] = [];
    sim.bus.on("producer.request", (e) => requests.push(e));
    const producer = cluster.producer();
    const acks = [1, 2, 3].map((v) => producer.send({ topic: "t", value: v }));
    await sim.run();
    expect((await Promise.all(acks)).map((m) => m.offset)).toEqual([0, 1, 2]);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.batches).toEqual([{ topic: "t", partition: 0, count: 3, sequence: 0, attempt: 0 }]);
  });

  it("waits linger.ms for more records, and sends a full batch at once", async () => {
    const { sim, cluster } = setup();
    cluster.createTopic("t");
    const sentAt: number[] = [];
    sim.bus.on("producer.request", () => sentAt.push(sim.now));
    const producer = cluster.producer({ lingerMs: 50, batchSize: 10 });
    producer.send({ topic: "t", value: "aaaa" });
    await sim.runFor(20);
    producer.send({ topic: "t", value: "bbbb" });
    await sim.runFor(40);
    expect(sentAt).toEqual([50]); // linger measured from the batch's first record
    producer.send({ topic: "t", value: "0123456789" }); // fills a batch: sent immediately
    await sim.runFor(1);
    expect(sentAt).toEqual([50, 60]);
  });

  it("acks 0 resolves with offset -1 and never retries", async () => {
    const { sim, cluster } = setup();
    cluster.createTopic("t");
    cluster.network.setFaultHook(() => "drop-request");
    const producer = cluster.producer({ acks: 0 });
    expect(producer.idempotent).toBe(false);
    const ack = producer.send({ topic: "t", value: 1 });
    await sim.run();
    expect(await ack).toMatchObject({ offset: -1 });
    expect(cluster.partition("t", 0).logEndOffset).toBe(0); // lost, and nobody knows
  });

  it("retries a timed-out request; without idempotence a lost response duplicates the record", async () => {
    const { sim, cluster } = setup();
    cluster.createTopic("t");
    let first = true;
    cluster.network.setFaultHook((r) => {
      if (r.kind !== "produce" || !first) return;
      first = false;
      return "drop-response"; // appended, ack lost
    });
    const producer = cluster.producer({ enableIdempotence: false, requestTimeoutMs: 1000 });
    const retries: BrokerlabEvents["producer.retry"][] = [];
    sim.bus.on("producer.retry", (e) => retries.push(e));
    const ack = producer.send({ topic: "t", value: "x" });
    await sim.run();
    expect(await ack).toMatchObject({ offset: 1 });
    expect(values(cluster)).toEqual(["x", "x"]);
    expect(retries).toEqual([
      {
        clientId: producer.clientId,
        topic: "t",
        partition: 0,
        attempt: 1,
        reason: "REQUEST_TIMED_OUT",
        sequence: -1,
      },
    ]);
    expect(sim.now).toBe(1100); // request timeout, then retry.backoff.ms
  });

  it("an idempotent producer's retry after a lost response is answered with the original offset", async () => {
    const { sim, cluster } = setup();
    cluster.createTopic("t");
    let first = true;
    cluster.network.setFaultHook((r) => {
      if (r.kind !== "produce" || !first) return;
      first = false;
      return "drop-response";
    });
    const duplicates: unknown[] = [];
    sim.bus.on("log.duplicate", (e) => duplicates.push(e));
    const producer = cluster.producer({ requestTimeoutMs: 1000 });
    expect(producer.idempotent).toBe(true);
    const ack = producer.send({ topic: "t", value: "x" });
    await sim.run();
    expect(await ack).toMatchObject({ offset: 0 });
    expect(values(cluster)).toEqual(["x"]);
    expect(duplicates).toHaveLength(1);
  });

  it("a delayed request that arrives after its retry is a duplicate for an idempotent producer", async () => {
    const { sim, cluster } = setup();
    cluster.createTopic("t");
    cluster.network.setFaultHook((r) =>
      r.kind === "produce" && r.attempt === 0 ? { delayRequestMs: 5000 } : undefined,
    );
    const producer = cluster.producer({ requestTimeoutMs: 1000 });
    const acks = [producer.send({ topic: "t", value: "a" })];
    await sim.run();
    expect((await acks[0])!.offset).toBe(0);
    expect(values(cluster)).toEqual(["a"]);
  });

  it("keeps per-partition order with 5 in flight when idempotent, even when early requests are lost", async () => {
    const { sim, cluster } = setup();
    cluster.createTopic("t");
    let n = 0;
    cluster.network.setFaultHook((r) => (r.kind === "produce" && n++ < 2 ? "drop-request" : undefined));
    const producer = cluster.producer({ batchSize: 1, requestTimeoutMs: 1000 });
    const acks = [1, 2, 3, 4, 5, 6, 7].map((v) => producer.send({ topic: "t", value: v }));
    await sim.run();
    await Promise.all(acks);
    expect(values(cluster)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    cluster.checkInvariants();
  });

  it("without idempotence, retries with several requests in flight can reorder", async () => {
    const { sim, cluster } = setup();
    cluster.createTopic("t");
    let n = 0;
    cluster.network.setFaultHook((r) => (r.kind === "produce" && n++ === 0 ? "drop-request" : undefined));
    const producer = cluster.producer({ enableIdempotence: false, batchSize: 1, requestTimeoutMs: 1000 });
    const acks = [1, 2, 3].map((v) => producer.send({ topic: "t", value: v }));
    await sim.run();
    await Promise.all(acks);
    // The lost request breaks the connection: requests 2 and 3 behind it are cut off too. Like
    // Java, each failed batch goes back to the front of its queue, so the retries reverse.
    expect(values(cluster)).toEqual([3, 2, 1]);
  });

  it("fails with DELIVERY_TIMEOUT when delivery.timeout.ms passes, then recovers with a new epoch", async () => {
    const { sim, cluster } = setup();
    cluster.createTopic("t");
    cluster.network.setFaultHook((r) =>
      r.kind === "produce" && sim.now < 5000 ? "drop-request" : undefined,
    );
    const producer = cluster.producer({ requestTimeoutMs: 1000, deliveryTimeoutMs: 3000 });
    const lost = producer.send({ topic: "t", value: "lost" });
    await sim.runFor(4000);
    await expect(lost).rejects.toMatchObject({ code: "DELIVERY_TIMEOUT" });
    await sim.runFor(2000);
    const later = producer.send({ topic: "t", value: "later" });
    await sim.run();
    expect(await later).toMatchObject({ offset: 0 });
    expect(producer.epoch).toBe(1);
    expect(values(cluster)).toEqual(["later"]);
  });

  it("honours max.in.flight.requests.per.connection", async () => {
    const { sim, cluster } = setup({ requestLatencyMs: 10 });
    cluster.createTopic("t", { partitions: 4 });
    let maxSeen = 0;
    const producer = cluster.producer({
      maxInFlightRequestsPerConnection: 2,
      enableIdempotence: false,
      batchSize: 1,
    });
    sim.bus.on("log.append", () => (maxSeen = Math.max(maxSeen, producer.inFlight)));
    const acks = Array.from({ length: 20 }, (_, i) =>
      producer.send({ topic: "t", value: i, partition: i % 4 }),
    );
    await sim.run();
    await Promise.all(acks);
    expect(maxSeen).toBe(2);
  });

  it("flush sends lingering batches at once; close refuses later sends", async () => {
    const { sim, cluster } = setup();
    cluster.createTopic("t");
    const producer = cluster.producer({ lingerMs: 10_000 });
    const ack = producer.send({ topic: "t", value: 1 });
    const flushed = producer.flush();
    await sim.runFor(1);
    await flushed;
    expect((await ack).offset).toBe(0);
    await producer.close();
    expect(() => producer.send({ topic: "t", value: 2 })).toThrow(
      expect.objectContaining({ code: "PRODUCER_CLOSED" }),
    );
  });

  it("crash loses unsent records but requests already sent still land", async () => {
    const { sim, cluster } = setup({ requestLatencyMs: 5 });
    cluster.createTopic("t");
    const producer = cluster.producer({ enableIdempotence: false, maxInFlightRequestsPerConnection: 1 });
    const first = producer.send({ topic: "t", value: "in flight" });
    await sim.runFor(1);
    const second = producer.send({ topic: "t", value: "waiting" });
    await sim.runFor(1);
    producer.crash();
    await sim.run();
    await expect(first).rejects.toMatchObject({ code: "PRODUCER_CLOSED" });
    await expect(second).rejects.toMatchObject({ code: "PRODUCER_CLOSED" });
    expect(values(cluster)).toEqual(["in flight"]); // appended, though the producer never learned it
  });

  it("uses the configured partitioner for keyless records and murmur2 for keys", async () => {
    const { sim, cluster } = setup();
    cluster.createTopic("t", { partitions: 3 });
    const rr = cluster.producer({ partitioner: "round-robin" });
    const acks = [0, 1, 2, 3, 4, 5].map((v) => rr.send({ topic: "t", value: v }));
    const keyed = rr.send({ topic: "t", key: "foobar", value: "k" });
    const custom = cluster.producer({ partitioner: () => 2 });
    const c = custom.send({ topic: "t", value: "c" });
    await sim.run();
    const parts = (await Promise.all(acks)).map((m) => m.partition);
    expect(new Set(parts).size).toBe(3);
    expect(parts[3]).toBe(parts[0]);
    expect((await keyed).partition).toBe(0); // toPositive(murmur2("foobar")) % 3
    expect((await c).partition).toBe(2);
  });
});
