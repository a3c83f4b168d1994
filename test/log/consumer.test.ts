import { describe, expect, it } from "vitest";
import type { ConsumerRecord } from "../../src/log/record.js";
import { FAST, produceAll, setup } from "./helpers.js";

const tp0 = { topic: "t", partition: 0 };

async function withRecords(n: number, options = {}) {
  const { sim, cluster } = setup(options);
  cluster.createTopic("t");
  await produceAll(
    sim,
    cluster,
    "t",
    Array.from({ length: n }, (_, i) => i),
  );
  return { sim, cluster };
}

/** Subscribes a fresh group consumer and polls until it has an assignment. */
async function joined(
  ctx: { sim: ReturnType<typeof setup>["sim"]; cluster: ReturnType<typeof setup>["cluster"] },
  options = {},
) {
  const consumer = ctx.cluster.consumer({ groupId: "g", autoOffsetReset: "earliest", ...FAST, ...options });
  consumer.subscribe(["t"]);
  consumer.poll();
  await ctx.sim.runFor(10);
  return consumer;
}

describe("consumer: positions and commits", () => {
  it("assign + poll returns records in order, max.poll.records at a time; position ≠ committed", async () => {
    const { cluster } = await withRecords(7);
    const consumer = cluster.consumer({
      groupId: "g",
      autoOffsetReset: "earliest",
      maxPollRecords: 3,
      enableAutoCommit: false,
    });
    consumer.assign([tp0]);
    expect(consumer.poll().map((r) => r.offset)).toEqual([0, 1, 2]);
    expect(consumer.poll().map((r) => r.offset)).toEqual([3, 4, 5]);
    expect(consumer.position(tp0)).toBe(6);
    expect(consumer.committed([tp0])[0]!.offset).toBe(null);
    consumer.commitSync();
    expect(consumer.committed([tp0])[0]!.offset).toBe(6); // the next offset to read
    expect(consumer.poll().map((r) => r.offset)).toEqual([6]);
    expect(consumer.poll()).toEqual([]);
  });

  it("auto-commit commits at a later poll what earlier polls returned, so a crash after processing redelivers", async () => {
    const { sim, cluster } = await withRecords(10);
    const first = await joined({ sim, cluster }, { maxPollRecords: 5, autoCommitIntervalMs: 1000 });
    const processed: number[] = [];
    for (const r of first.poll()) processed.push(r.offset); // 0..4
    await sim.runFor(1000);
    for (const r of first.poll()) processed.push(r.offset); // commits 5 (poll 1's records), returns 5..9
    await sim.runFor(10);
    expect(cluster.groupOffsets("g")).toEqual([{ topic: "t", partition: 0, offset: 5, metadata: "" }]);
    first.crash(); // processed 5..9, never committed them
    const second = await joined({ sim, cluster }, { maxPollRecords: 5 });
    await sim.runFor(FAST.sessionTimeoutMs);
    const redelivered: number[] = [];
    for (let i = 0; i < 3; i++) for (const r of second.poll()) redelivered.push(r.offset);
    expect(processed).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(redelivered).toEqual([5, 6, 7, 8, 9]); // at-least-once: duplicates, nothing lost
  });

  it("committing before processing loses the records a crash interrupts", async () => {
    const { sim, cluster } = await withRecords(6);
    const first = await joined({ sim, cluster }, { maxPollRecords: 3, enableAutoCommit: false });
    const batch = first.poll();
    first.commitSync(); // commit first …
    first.crash(); // … then crash before processing
    expect(batch.map((r) => r.offset)).toEqual([0, 1, 2]);
    const second = await joined({ sim, cluster }, { enableAutoCommit: false });
    await sim.runFor(FAST.sessionTimeoutMs);
    const seen: number[] = [];
    for (let i = 0; i < 3; i++) for (const r of second.poll()) seen.push(r.offset);
    expect(seen).toEqual([3, 4, 5]); // 0..2 were never processed: at-most-once
  });

  it("commits on close (with auto-commit) so the next member starts where it stopped", async () => {
    const { sim, cluster } = await withRecords(4);
    const first = await joined({ sim, cluster });
    expect(first.poll()).toHaveLength(4);
    first.close();
    expect(cluster.groupOffsets("g")[0]!.offset).toBe(4);
  });

  it("commitAsync reports through its promise and callback", async () => {
    const { sim, cluster } = await withRecords(3);
    const consumer = cluster.consumer({ groupId: "g", autoOffsetReset: "earliest", enableAutoCommit: false });
    consumer.assign([tp0]);
    consumer.poll();
    let called: unknown = "not yet";
    const done = consumer.commitAsync(undefined, (error) => (called = error));
    await sim.run();
    await done;
    expect(called).toBe(null);
    expect(cluster.groupOffsets("g")[0]!.offset).toBe(3);
  });

  it("a lost commit response: commitSync throws REQUEST_TIMED_OUT but the commit happened", async () => {
    const { cluster } = await withRecords(3);
    cluster.network.setFaultHook((r) => (r.kind === "commit" ? "drop-response" : undefined));
    const consumer = cluster.consumer({ groupId: "g", autoOffsetReset: "earliest", enableAutoCommit: false });
    consumer.assign([tp0]);
    consumer.poll();
    expect(() => consumer.commitSync()).toThrow(expect.objectContaining({ code: "REQUEST_TIMED_OUT" }));
    expect(cluster.groupOffsets("g")[0]!.offset).toBe(3);
  });
});

describe("consumer: seek, pause, reset", () => {
  it("seek, seekToBeginning and seekToEnd move the position", async () => {
    const { cluster } = await withRecords(5);
    const consumer = cluster.consumer({ autoOffsetReset: "latest" });
    consumer.assign([tp0]);
    expect(consumer.poll()).toEqual([]); // latest: starts at the end
    consumer.seek(tp0, 3);
    expect(consumer.poll().map((r) => r.offset)).toEqual([3, 4]);
    consumer.seekToBeginning();
    expect(consumer.position(tp0)).toBe(0);
    consumer.seekToEnd([tp0]);
    expect(consumer.poll()).toEqual([]);
    expect(() => consumer.seek({ topic: "t", partition: 9 }, 0)).toThrow(
      expect.objectContaining({ code: "ILLEGAL_STATE" }),
    );
  });

  it("paused partitions return nothing but stay assigned", async () => {
    const { cluster } = await withRecords(3);
    const consumer = cluster.consumer({ autoOffsetReset: "earliest" });
    consumer.assign([tp0]);
    consumer.pause([tp0]);
    expect(consumer.poll()).toEqual([]);
    expect(consumer.paused()).toEqual([tp0]);
    expect(consumer.assignment()).toEqual([tp0]);
    consumer.resume([tp0]);
    expect(consumer.poll()).toHaveLength(3);
  });

  it("resets an offset that retention deleted by auto.offset.reset", async () => {
    const { cluster } = await withRecords(6);
    const consumer = cluster.consumer({ autoOffsetReset: "earliest" });
    consumer.assign([tp0]);
    consumer.seek(tp0, 1);
    cluster.deleteRecords("t", 0, 4);
    expect(consumer.poll().map((r) => r.offset)).toEqual([4, 5]);

    const strict = cluster.consumer({ autoOffsetReset: "none" });
    strict.assign([tp0]);
    expect(() => strict.poll()).toThrow(expect.objectContaining({ code: "NO_OFFSET_FOR_PARTITION" }));
    strict.seek(tp0, 1);
    expect(() => strict.poll()).toThrow(expect.objectContaining({ code: "OFFSET_OUT_OF_RANGE" }));

    const latest = cluster.consumer({ autoOffsetReset: "latest" });
    latest.assign([tp0]);
    latest.seek(tp0, 100);
    expect(latest.poll()).toEqual([]);
    expect(latest.position(tp0)).toBe(6);
  });

  it("honours max.partition.fetch.bytes (at least one record per partition)", async () => {
    const { sim, cluster } = setup();
    cluster.createTopic("t");
    await produceAll(sim, cluster, "t", ["aaaa", "bbbb", "cccc"]);
    const consumer = cluster.consumer({ autoOffsetReset: "earliest", maxPartitionFetchBytes: 8 });
    consumer.assign([tp0]);
    expect(consumer.poll()).toHaveLength(2);
    expect(consumer.poll()).toHaveLength(1);
  });
});

describe("consumer: subscriptions", () => {
  it("a pattern subscription picks up topics created later", async () => {
    const { sim, cluster } = setup();
    cluster.createTopic("orders.eu");
    cluster.createTopic("payments");
    const consumer = cluster.consumer({
      groupId: "g",
      autoOffsetReset: "earliest",
      metadataMaxAgeMs: 1000,
      ...FAST,
    });
    consumer.subscribe(/^orders\./);
    consumer.poll();
    await sim.runFor(10);
    consumer.poll();
    expect(consumer.assignment()).toEqual([{ topic: "orders.eu", partition: 0 }]);
    cluster.createTopic("orders.us", { partitions: 2 });
    await sim.runFor(1000);
    consumer.poll(); // metadata refresh notices the new topic: rejoin
    await sim.runFor(10);
    consumer.poll();
    expect(consumer.assignment()).toEqual([
      { topic: "orders.eu", partition: 0 },
      { topic: "orders.us", partition: 0 },
      { topic: "orders.us", partition: 1 },
    ]);
    expect(consumer.subscription()).toEqual(["orders.eu", "orders.us"]);
  });

  it("pollAsync waits in virtual time for records", async () => {
    const { sim, cluster } = setup();
    cluster.createTopic("t");
    const consumer = cluster.consumer({ autoOffsetReset: "earliest" });
    consumer.assign([tp0]);
    const producer = cluster.producer();
    sim.after(250, () => void producer.send({ topic: "t", value: "late" }));
    let got: ConsumerRecord[] = [];
    let at = -1;
    sim.after(0, async () => {
      got = await consumer.pollAsync(5000);
      at = sim.now;
    });
    await sim.run();
    expect(got.map((r) => r.value)).toEqual(["late"]);
    expect(at).toBe(250);
  });

  it("fetching a deleted topic's partition fails with UNKNOWN_TOPIC_OR_PARTITION", async () => {
    const { cluster } = await withRecords(1);
    const consumer = cluster.consumer({ autoOffsetReset: "earliest" });
    consumer.assign([tp0]);
    cluster.deleteTopic("t");
    expect(() => consumer.poll()).toThrow(expect.objectContaining({ code: "UNKNOWN_TOPIC_OR_PARTITION" }));
    expect(() => cluster.fetch("t", 0, 0)).toThrow(
      expect.objectContaining({ code: "UNKNOWN_TOPIC_OR_PARTITION" }),
    );
  });
});
