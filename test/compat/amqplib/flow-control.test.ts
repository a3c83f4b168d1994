/**
 * Flow control through the amqplib facade: `publish` returns false when the channel's write buffer
 * is full, as amqplib's `PassThrough` (object mode, highWaterMark 1024) answers — the 2047th
 * publish of a synchronous loop, measured on amqplib 2.3.1 against RabbitMQ 3.10.8 — and 'drain'
 * follows when the simulated network has carried it; resource alarms block publishing
 * connections (`connection.blocked`), hold their publishes, and release them on
 * `connection.unblocked`.
 */
import { describe, expect, it } from "vitest";
import { type Channel, type ConsumeMessage, connect } from "../../../src/compat/amqplib/index.js";
import { Simulation } from "../../../src/scheduler/simulation.js";

async function setup(seed = 5) {
  const sim = new Simulation({ start: 0, seed });
  const connection = await connect("amqp://localhost", { simulation: sim });
  return { sim, connection };
}

function firstFalse(channel: Channel, count: number, body: Buffer): number {
  let first = -1;
  for (let i = 1; i <= count; i++) {
    if (!channel.sendToQueue("q", body) && first < 0) first = i;
  }
  return first;
}

describe("publish returns false at amqplib's high-water mark; 'drain' follows", () => {
  it("a synchronous loop: the 2047th publish returns false, one 'drain' after the muxer's turn", async () => {
    const { sim, connection } = await setup();
    const channel = await connection.createChannel();
    await channel.assertQueue("q", { durable: false });
    let drains = 0;
    channel.on("drain", () => drains++);
    expect(firstFalse(channel, 3000, Buffer.from("x"))).toBe(2047);
    expect(channel.outbound).toMatchObject({ chunks: 3000, highWaterMark: 1024 });
    expect(drains).toBe(0);
    await sim.run();
    expect(drains).toBe(1);
    expect(channel.outbound.chunks).toBe(0);
    // The broker routed every publish at the call: the buffer models the signal only.
    expect((await channel.checkQueue("q")).messageCount).toBe(3000);
  });

  it("createChannel({ highWaterMark }) and big messages count chunks as amqplib does", async () => {
    const { connection } = await setup();
    const small = await connection.createChannel({ highWaterMark: 4 });
    await small.assertQueue("q", { durable: false });
    expect(firstFalse(small, 20, Buffer.from("x"))).toBe(7); // 2·4 − 1
    // 5000-byte bodies pass amqplib's 2048-byte single-chunk threshold: two chunks each.
    const big = await connection.createChannel({ highWaterMark: 4 });
    expect(firstFalse(big, 20, Buffer.alloc(5000))).toBe(4);
  });

  it("a slow link delays 'drain' in virtual time; a publisher awaiting it keeps the buffer bounded", async () => {
    const { sim, connection } = await setup();
    connection.native.clientBytesPerMs = 100; // 100 kB/s
    const channel = await connection.createChannel();
    await channel.assertQueue("q", { durable: false });
    const drainsAt: number[] = [];
    channel.on("drain", () => drainsAt.push(sim.now));
    const body = Buffer.alloc(100);
    const publishAll = async (count: number) => {
      for (let i = 0; i < count; i++) {
        if (!channel.sendToQueue("q", body)) await new Promise((resolve) => channel.once("drain", resolve));
      }
    };
    const done = publishAll(20_000);
    await sim.run();
    await done;
    expect(channel.outbound.peakChunks).toBe(2047);
    expect(drainsAt.length).toBeGreaterThan(5);
    expect(drainsAt[0]).toBeGreaterThan(0);
    // Every drain comes later than the one before: the link carries ~16 KiB per 164 virtual ms.
    for (let i = 1; i < drainsAt.length; i++) expect(drainsAt[i]).toBeGreaterThan(drainsAt[i - 1]!);
    expect((await channel.checkQueue("q")).messageCount).toBe(20_000);
  });

  it("the issue's lesson: a loop that ignores false queues everything before the first delivery; one that awaits 'drain' does not", async () => {
    const run = async (respectDrain: boolean) => {
      const { sim, connection } = await setup();
      const pub = await connection.createChannel();
      const sub = await connection.createChannel();
      await pub.assertQueue("q", { durable: false });
      let published = 0;
      let publishedAtFirstDelivery = -1;
      await sub.consume(
        "q",
        (msg: ConsumeMessage | null) => {
          if (msg && publishedAtFirstDelivery < 0) publishedAtFirstDelivery = published;
        },
        { noAck: true },
      );
      const body = Buffer.alloc(64);
      const done = (async () => {
        for (let i = 0; i < 50_000; i++) {
          published++;
          if (!pub.sendToQueue("q", body) && respectDrain) {
            await new Promise((resolve) => pub.once("drain", resolve));
          }
        }
      })();
      await sim.run();
      await done;
      return { publishedAtFirstDelivery, peak: pub.outbound.peakChunks };
    };
    const naive = await run(false);
    expect(naive).toEqual({ publishedAtFirstDelivery: 50_000, peak: 50_000 });
    const polite = await run(true);
    expect(polite.publishedAtFirstDelivery).toBeLessThanOrEqual(2047);
    expect(polite.peak).toBe(2047);
  });

  it("a closed channel's buffer is released; a publish on it throws as amqplib's does", async () => {
    const { sim, connection } = await setup();
    const channel = await connection.createChannel();
    await channel.assertQueue("q", { durable: false });
    firstFalse(channel, 10, Buffer.from("x"));
    await channel.close();
    await sim.run();
    expect(channel.outbound.chunks).toBe(0);
    expect(() => channel.sendToQueue("q", Buffer.from("x"))).toThrow("Channel closed");
  });

  it("refuses a non-positive link speed with a coded error and keeps the old one", async () => {
    const { connection } = await setup();
    expect(() => {
      connection.native.clientBytesPerMs = 0;
    }).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    expect(connection.native.clientBytesPerMs).toBe(Number.POSITIVE_INFINITY);
  });
});

describe("resource alarms: connection.blocked / connection.unblocked", () => {
  it("a memory alarm blocks the publishing connection at its first publish; publishes are held, then flow in order", async () => {
    const { sim, connection } = await setup();
    const consumerConnection = await connect("amqp://localhost", { simulation: sim });
    const events: string[] = [];
    connection.on("blocked", (reason: string) => events.push(`pub blocked:${reason}`));
    connection.on("unblocked", () => events.push("pub unblocked"));
    consumerConnection.on("blocked", () => events.push("sub blocked"));
    const pub = await connection.createConfirmChannel();
    const sub = await consumerConnection.createChannel();
    await sub.assertQueue("q", { durable: false });
    await sub.consume("q", (msg) => {
      if (msg) {
        events.push(`deliver:${msg.content.toString()}`);
        sub.ack(msg);
      }
    });
    connection.broker.raiseAlarm("memory");
    for (const body of ["1", "2", "3"])
      pub.sendToQueue("q", Buffer.from(body), {}, (err) =>
        events.push(`confirm:${body}:${err ? "nack" : "ack"}`),
      );
    await sim.run();
    expect(events).toEqual(["pub blocked:low on memory"]);
    expect(connection.native.blocked).toBe(true);
    expect((await sub.checkQueue("q")).messageCount).toBe(0);
    // A second alarm while blocked sends nothing new.
    connection.broker.raiseAlarm("disk");
    connection.broker.clearAlarm("memory");
    await sim.run();
    expect(events).toEqual(["pub blocked:low on memory"]);
    connection.broker.clearAlarm("disk");
    await sim.run();
    // Unblocked first; then the held publishes are confirmed and delivered in publish order (how
    // confirms and deliveries on two connections interleave is not reported).
    expect(events.slice(0, 2)).toEqual(["pub blocked:low on memory", "pub unblocked"]);
    expect(events.filter((e) => e.startsWith("confirm"))).toEqual([
      "confirm:1:ack",
      "confirm:2:ack",
      "confirm:3:ack",
    ]);
    expect(events.filter((e) => e.startsWith("deliver"))).toEqual(["deliver:1", "deliver:2", "deliver:3"]);
    expect(events).toHaveLength(8);
  });

  it("held publishes of a channel closed before the alarm clears are never routed; their confirms fail", async () => {
    const { sim, connection } = await setup();
    const channel = await connection.createConfirmChannel();
    await channel.assertQueue("q", { durable: false });
    connection.broker.raiseAlarm("memory");
    const outcomes: string[] = [];
    for (const body of ["a", "b"])
      channel.sendToQueue("q", Buffer.from(body), {}, (err) => outcomes.push(err ? err.message : "ok"));
    await channel.close();
    await sim.run();
    connection.broker.clearAlarm("memory");
    await sim.run();
    expect(outcomes).toEqual(["channel closed", "channel closed"]);
    const admin = await connection.createChannel();
    expect((await admin.checkQueue("q")).messageCount).toBe(0);
  });

  it("a disk alarm says 'low on disk'; while blocked the write buffer does not drain", async () => {
    const { sim, connection } = await setup();
    const channel = await connection.createChannel();
    await channel.assertQueue("q", { durable: false });
    const reasons: string[] = [];
    let drains = 0;
    connection.on("blocked", (reason: string) => reasons.push(reason));
    channel.on("drain", () => drains++);
    connection.broker.raiseAlarm("disk");
    expect(firstFalse(channel, 2100, Buffer.from("x"))).toBe(2047);
    await sim.runFor(60_000);
    expect(reasons).toEqual(["low on disk"]);
    expect(drains).toBe(0);
    expect(channel.outbound.chunks).toBe(2100);
    connection.broker.clearAlarm("disk");
    await sim.run();
    expect(drains).toBe(1);
    expect((await channel.checkQueue("q")).messageCount).toBe(2100);
  });

  it("the automatic memory alarm: queued bytes above the watermark block publishers at the monitor's next look", async () => {
    const { sim, connection } = await setup();
    const broker = connection.broker;
    broker.setMemoryHighWatermark(1000);
    const channel = await connection.createChannel();
    await channel.assertQueue("q", { durable: false });
    const events: string[] = [];
    connection.on("blocked", (reason: string) => events.push(`blocked:${reason}@${sim.now}`));
    connection.on("unblocked", () => events.push(`unblocked@${sim.now}`));
    for (let i = 0; i < 20; i++) channel.sendToQueue("q", Buffer.alloc(100));
    await sim.runFor(2500);
    expect(broker.alarms.resources).toEqual(["memory"]);
    channel.sendToQueue("q", Buffer.alloc(100)); // held
    await sim.runFor(1);
    expect(events).toEqual(["blocked:low on memory@2500"]);
    expect((await channel.checkQueue("q")).messageCount).toBe(20);
    await channel.purgeQueue("q");
    await sim.runFor(2500);
    expect(events).toEqual(["blocked:low on memory@2500", "unblocked@5000"]);
    expect((await channel.checkQueue("q")).messageCount).toBe(1);
    broker.setMemoryHighWatermark(null);
    await sim.run(); // nothing keeps running once it is off
  });

  it("refuses an unknown resource and a bad watermark, changing nothing", async () => {
    const { connection } = await setup();
    const broker = connection.broker;
    expect(() => broker.raiseAlarm("cpu" as never)).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
    expect(() => broker.setMemoryHighWatermark(-1)).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
    expect(() => broker.setMemoryHighWatermark("1" as never)).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
    expect(broker.alarms.resources).toEqual([]);
    expect(broker.alarms.memoryHighWatermarkBytes).toBe(null);
  });
});
