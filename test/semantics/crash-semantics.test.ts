/**
 * What a crashed process leaves behind, as the real brokers handle it (issue 8). Clients are
 * created inside `sim.spawn` with the facades exactly as application code creates them — nobody
 * registers anything — and `proc.crash()` (or a crash hook at a model's crash point) kills the
 * process: its clients drop without goodbye and the broker side reacts.
 */
import { describe, expect, it } from "vitest";
import { type ConsumeMessage, connect } from "../../src/compat/amqplib/index.js";
import { KAFKAJS_CLUSTER_DEFAULTS, Kafka, logLevel } from "../../src/compat/kafkajs/index.js";
import { LogCluster } from "../../src/log/cluster.js";
import { CRASH_POINTS } from "../../src/scheduler/process.js";
import { Simulation } from "../../src/scheduler/simulation.js";

/** Drives a manual simulation in small steps until `done()` holds (or `limitMs` of virtual time passed). */
async function runUntilTrue(sim: Simulation, done: () => boolean, limitMs = 120_000, stepMs = 10) {
  const until = sim.now + limitMs;
  while (!done()) {
    if (sim.now >= until) throw new Error(`condition not reached within ${limitMs} virtual ms`);
    await sim.runFor(stepMs);
  }
}

function kafkaWorld(partitions: number) {
  const sim = new Simulation({ start: 0, seed: 5 });
  const cluster = new LogCluster(sim, { ...KAFKAJS_CLUSTER_DEFAULTS, defaultPartitions: partitions });
  const kafka = (clientId: string) =>
    new Kafka({
      clientId,
      brokers: ["localhost:9092"],
      logLevel: logLevel.NOTHING,
      simulation: sim,
      cluster,
    });
  return { sim, cluster, kafka };
}

describe("crash semantics", () => {
  it("(a) a crashed amqplib consumer's unacked messages go to the other consumer, redelivered", async () => {
    const sim = new Simulation({ start: 0, seed: 1 });
    const setup = await connect(undefined, { simulation: sim });
    const publisher = await setup.createChannel();
    await publisher.assertQueue("jobs", { durable: false });
    let finishedByA = 0;
    const gotByA: string[] = [];
    const gotByB: { body: string; redelivered: boolean; at: number }[] = [];
    const a = sim.spawn("a", async () => {
      const connection = await connect(undefined, { simulation: sim });
      const channel = await connection.createChannel();
      await channel.consume("jobs", async (msg: ConsumeMessage | null) => {
        if (!msg) return;
        gotByA.push(msg.content.toString());
        await sim.sleep(1000); // slow work: the crash comes first
        finishedByA++;
        channel.ack(msg);
      });
    });
    await sim.runFor(1);
    for (const body of ["m1", "m2", "m3"]) publisher.sendToQueue("jobs", Buffer.from(body));
    await sim.runFor(10);
    expect(gotByA).toEqual(["m1", "m2", "m3"]);
    // B starts while A holds everything: it gets nothing until A dies.
    sim.spawn("b", async () => {
      const connection = await connect(undefined, { simulation: sim });
      const channel = await connection.createChannel();
      await channel.consume("jobs", (msg: ConsumeMessage | null) => {
        if (!msg) return;
        gotByB.push({ body: msg.content.toString(), redelivered: msg.fields.redelivered, at: sim.now });
        channel.ack(msg);
      });
    });
    await sim.runFor(100);
    expect(gotByB).toEqual([]);
    expect(setup.broker.stats()).toMatchObject({ ready: 0, unacked: 3, acked: 0 });
    const crashedAt = sim.now;
    a.crash();
    await sim.runFor(5000);
    expect(a.state).toBe("crashed");
    // The connection loss requeued A's unacked messages at once, in their original order.
    expect(gotByB).toEqual(["m1", "m2", "m3"].map((body) => ({ body, redelivered: true, at: crashedAt })));
    // A's handlers died with it: their sleeps never woke, so they neither finished nor acked.
    expect(finishedByA).toBe(0);
    expect(setup.broker.stats()).toMatchObject({ ready: 0, unacked: 0, acked: 3 });
  });

  it("(b) a crashed kafkajs consumer's partitions move after the session timeout, not before, and its uncommitted records are redelivered", async () => {
    const { sim, kafka } = kafkaWorld(2);
    const sessionTimeout = 10_000;
    const heartbeatInterval = 1000;
    const seed = kafka("seeder").producer();
    await seed.connect();
    const seeding = seed.send({
      topic: "orders",
      messages: [0, 1].flatMap((p) => [0, 1, 2].map((i) => ({ partition: p, value: `p${p}-${i}` }))),
    });
    await runUntilTrue(sim, () => sim.now >= 10);
    await seeding;
    const seen: { process: string; partition: number; offset: string; at: number; runsAs?: string }[] = [];
    const finished: string[] = [];
    const removed: { memberId: string; reason: string; at: number }[] = [];
    sim.bus.on("group.member-removed", ({ memberId, reason }) =>
      removed.push({ memberId, reason, at: sim.now }),
    );
    const workers = ["c1", "c2"].map((name) =>
      sim.spawn(name, async () => {
        const consumer = kafka(name).consumer({ groupId: "billing", sessionTimeout, heartbeatInterval });
        await consumer.connect();
        await consumer.subscribe({ topic: "orders", fromBeginning: true });
        await consumer.run({
          eachMessage: async ({ partition, message }) => {
            seen.push({
              process: name,
              partition,
              offset: message.offset,
              at: sim.now,
              runsAs: sim.currentProcess?.name,
            });
            await sim.sleep(500); // processing; the batch is committed when all of it is done
            finished.push(`${name}:${partition}:${message.offset}`);
          },
        });
      }),
    );
    // Both join the first generation; crash whichever first reaches the second record of its partition.
    await runUntilTrue(
      sim,
      () => seen.length > 0 && seen.filter((s) => s.process === seen[0]!.process).length === 2,
    );
    const victimName = seen[0]!.process;
    const victim = workers.find((w) => w.name === victimName)!;
    const survivor = victimName === "c1" ? "c2" : "c1";
    const lostPartition = seen[0]!.partition;
    expect(seen.filter((s) => s.process === victimName).map((s) => s.offset)).toEqual(["0", "1"]);
    const crashedAt = sim.now;
    victim.crash();
    const takenOver = () => seen.filter((s) => s.process === survivor && s.partition === lostPartition);
    // No LeaveGroup was sent: for most of the session timeout the partition stays with the dead member.
    await sim.runFor(sessionTimeout - 2 * heartbeatInterval);
    expect(takenOver()).toEqual([]);
    expect(removed).toEqual([]);
    await runUntilTrue(sim, () => takenOver().length === 3, 60_000);
    expect(removed).toHaveLength(1);
    expect(removed[0]!.reason).toBe("session-timeout");
    // Its last heartbeat was at most one interval plus one record's processing before the crash.
    expect(removed[0]!.at - crashedAt).toBeGreaterThanOrEqual(sessionTimeout - heartbeatInterval - 500);
    expect(removed[0]!.at - crashedAt).toBeLessThanOrEqual(sessionTimeout);
    // Nothing of the victim's partition was committed: the survivor reads it all again.
    expect(takenOver().map((s) => s.offset)).toEqual(["0", "1", "2"]);
    expect(takenOver()[0]!.at).toBeGreaterThanOrEqual(removed[0]!.at);
    // The victim's handler in flight never finished; the survivor finished its own partition too.
    expect(finished.filter((f) => f.startsWith(victimName))).toEqual([`${victimName}:${lostPartition}:0`]);
    await runUntilTrue(sim, () => finished.filter((f) => f.startsWith(survivor)).length === 6, 60_000);
    expect(victim.state).toBe("crashed");
    // The run loops and their handlers ran as the processes that created the consumers.
    expect(seen.every((s) => s.runsAs === s.process)).toBe(true);
  });

  it("(c) a crashed transactional producer's open transaction is aborted by its restart's initTransactions", async () => {
    const { sim, cluster, kafka } = kafkaWorld(1);
    const transactionTimeout = 60_000;
    const markers: { result: string; at: number }[] = [];
    sim.bus.on("txn.marker", ({ result }) => markers.push({ result, at: sim.now }));
    const committed: number[] = [];
    let sentBy1 = false;
    let firstProducer: { send(record: unknown): Promise<unknown> } | null = null;
    const relay = sim.spawn("relay", async (ctx) => {
      const producer = kafka("relay").producer({
        transactionalId: "relay",
        idempotent: true,
        maxInFlightRequests: 1,
        transactionTimeout,
      });
      await producer.connect();
      firstProducer ??= producer as never;
      const tx = await producer.transaction(); // the first one of an incarnation runs initTransactions
      await tx.send({
        topic: "out",
        messages: [{ value: `inc${ctx.incarnation}-a` }, { value: `inc${ctx.incarnation}-b` }],
      });
      if (ctx.incarnation === 1) {
        sentBy1 = true;
        await ctx.sleep(1_000_000); // the crash comes before the commit
      }
      await tx.commit();
      committed.push(ctx.incarnation);
    });
    // A read_committed reader, as a kafkajs user writes one (outside the crashing process).
    const reader = kafka("reader").consumer({ groupId: "readers" });
    const read: string[] = [];
    await reader.subscribe({ topic: "out", fromBeginning: true });
    void reader.run({ eachMessage: async ({ message }) => void read.push(message.value!.toString()) });
    await runUntilTrue(sim, () => sentBy1);
    await sim.runFor(100);
    const log = cluster.partition("out", 0);
    expect(log.highWatermark).toBe(2); // appended, uncommitted
    expect(log.lastStableOffset).toBe(0); // the open transaction holds read_committed readers back
    const crashedAt = sim.now;
    relay.crash();
    await sim.runFor(5000);
    // Dropped without an EndTxn: the transaction is still open at the coordinator.
    expect(markers).toEqual([]);
    // The facade producer went with its process (nobody registered it).
    await expect(firstProducer!.send({ topic: "out", messages: [{ value: "zombie" }] })).rejects.toThrow(
      /disconnected/,
    );
    expect(log.lastStableOffset).toBe(0);
    const restartAt = sim.now;
    relay.restart();
    await runUntilTrue(sim, () => committed.length === 1);
    expect(committed).toEqual([2]);
    // The new incarnation's InitProducerId aborted the old transaction — long before its timeout.
    expect(markers.map((m) => m.result)).toEqual(["abort", "commit"]);
    expect(markers[0]!.at).toBeGreaterThanOrEqual(restartAt);
    expect(markers[0]!.at).toBeLessThan(crashedAt + transactionTimeout);
    await runUntilTrue(sim, () => read.length === 2, 30_000);
    await sim.runFor(1000);
    expect(read).toEqual(["inc2-a", "inc2-b"]);
    // The aborted records are in the log; only read_uncommitted readers could see them.
    expect(log.highWatermark).toBe(6); // 2 aborted + abort marker + 2 committed + commit marker
  });

  it("(d) a model crash point kills the process there: at before-ack the ack never happens, at after-ack it did", async () => {
    for (const point of [CRASH_POINTS.beforeAck, CRASH_POINTS.afterAck]) {
      const sim = new Simulation({ start: 0, seed: 2 });
      const setup = await connect(undefined, { simulation: sim });
      const admin = await setup.createChannel();
      await admin.assertQueue("jobs", { durable: false });
      const reached: { point: string; details: unknown }[] = [];
      sim.setCrashHook((info) => {
        reached.push({ point: info.point, details: info.details });
        return info.process.name === "worker" && info.point === point;
      });
      let handled = 0;
      let afterAck = 0;
      const worker = sim.spawn("worker", async (ctx) => {
        const connection = await connect(undefined, { simulation: sim });
        const channel = await connection.createChannel();
        await channel.consume("jobs", async (msg: ConsumeMessage | null) => {
          if (!msg) return;
          handled++;
          channel.ack(msg);
          await ctx.sleep(1);
          afterAck++;
        });
      });
      await sim.runFor(1);
      admin.sendToQueue("jobs", Buffer.from("job-1"));
      await sim.runFor(100);
      expect(worker.state).toBe("crashed");
      expect(handled).toBe(1);
      expect(afterAck).toBe(0);
      expect(reached.map((r) => r.point)).toEqual(
        point === CRASH_POINTS.beforeAck ? ["before-ack"] : ["before-ack", "after-ack"],
      );
      expect(reached[0]!.details).toMatchObject({ method: "ack", deliveryTag: 1, multiple: false });
      if (point === CRASH_POINTS.beforeAck) {
        // Never acked: the connection loss put it back, redelivered.
        expect(setup.broker.stats()).toMatchObject({ acked: 0, ready: 1, unacked: 0 });
        const again = await admin.get("jobs");
        expect(again !== false && again.fields.redelivered).toBe(true);
      } else {
        expect(setup.broker.stats()).toMatchObject({ acked: 1, ready: 0, unacked: 0 });
      }
    }
  });

  it("(e) a kafkajs consumer killed at before-commit commits nothing, at after-commit its offsets stand", async () => {
    for (const point of [CRASH_POINTS.beforeCommit, CRASH_POINTS.afterCommit]) {
      const { sim, cluster, kafka } = kafkaWorld(1);
      const seed = kafka("seeder").producer();
      await seed.connect();
      await sim.until(seed.send({ topic: "orders", messages: [{ value: "o-1" }, { value: "o-2" }] }));
      const reached: string[] = [];
      sim.setCrashHook((info) => {
        reached.push(info.point);
        return info.point === point;
      });
      let handled = 0;
      const worker = sim.spawn("billing", async () => {
        const consumer = kafka("billing").consumer({ groupId: "billing" });
        await consumer.connect();
        await consumer.subscribe({ topic: "orders", fromBeginning: true });
        await consumer.run({
          eachMessage: async () => {
            handled++;
          },
        });
      });
      // run() resolves once the consumer runs (main exits); its loop lives on as the process.
      await runUntilTrue(sim, () => worker.state === "crashed", 60_000);
      expect(handled).toBe(2);
      expect(reached.filter((r) => r === "before-commit" || r === "after-commit")).toEqual(
        point === CRASH_POINTS.beforeCommit ? ["before-commit"] : ["before-commit", "after-commit"],
      );
      const committed = cluster.groupOffsets("billing", "orders").map((c) => c.offset);
      expect(committed).toEqual(point === CRASH_POINTS.beforeCommit ? [] : [2]);
    }
  });
});
