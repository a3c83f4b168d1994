/**
 * Publisher confirms through the amqplib facade as RabbitMQ 3.10 puts them on the wire: confirms
 * recorded together are coalesced into one `multiple` basic.ack (`rabbit_channel:coalesce_and_send`),
 * every publish's callback runs exactly once, and after `close()` the client ignores everything but
 * the close-ok (amqplib's `toClosing`): callbacks fail with "channel closed".
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type ConfirmChannel, connect } from "../../../src/compat/amqplib/index.js";
import { confirmFrames } from "../../../src/exchange/confirms.js";
import { Simulation } from "../../../src/scheduler/simulation.js";

interface Frame {
  kind: "ack" | "nack";
  deliveryTag: number;
  multiple: boolean;
}

async function setup() {
  const sim = new Simulation({ start: 0, seed: 3 });
  const connection = await connect("amqp://localhost", { simulation: sim });
  const channel = await connection.createConfirmChannel();
  const frames: Frame[] = [];
  channel.on("ack", (f: { deliveryTag: number; multiple: boolean }) => frames.push({ kind: "ack", ...f }));
  channel.on("nack", (f: { deliveryTag: number; multiple: boolean }) =>
    frames.push({ kind: "nack", deliveryTag: f.deliveryTag, multiple: f.multiple }),
  );
  return { sim, connection, channel, frames };
}

/** Publishes with a callback that records each outcome; returns the outcome list (by seq − 1). */
function publisher(channel: ConfirmChannel) {
  const outcomes: string[][] = [];
  return {
    outcomes,
    publish(queue: string, body: string, options?: { mandatory?: boolean }) {
      const slot: string[] = [];
      outcomes.push(slot);
      channel.publish("", queue, Buffer.from(body), options ?? {}, (err) =>
        slot.push(err ? err.message : "ok"),
      );
    },
  };
}

describe("coalesced confirms (RabbitMQ's multiple basic.ack)", () => {
  it("a synchronous burst of 640 publishes is confirmed by one multiple ack; every callback runs once", async () => {
    const { sim, channel, frames } = await setup();
    await channel.assertQueue("q", { durable: false });
    const pub = publisher(channel);
    for (let i = 0; i < 640; i++) pub.publish("q", `m${i}`);
    await sim.run();
    expect(frames).toEqual([{ kind: "ack", deliveryTag: 640, multiple: true }]);
    expect(pub.outcomes.every((o) => o.length === 1 && o[0] === "ok")).toBe(true);
    await expect(channel.waitForConfirms()).resolves.toEqual([]);
  });

  it("a lone publish gets a plain ack; publishes in separate turns get one frame per turn", async () => {
    const { sim, channel, frames } = await setup();
    await channel.assertQueue("q", { durable: false });
    const pub = publisher(channel);
    pub.publish("q", "a");
    await sim.run();
    pub.publish("q", "b");
    pub.publish("q", "c");
    await sim.run();
    expect(frames).toEqual([
      { kind: "ack", deliveryTag: 1, multiple: false },
      { kind: "ack", deliveryTag: 3, multiple: true },
    ]);
    expect(pub.outcomes).toEqual([["ok"], ["ok"], ["ok"]]);
  });

  it("a return comes before its publish's confirm: it splits the burst", async () => {
    const { sim, channel, frames } = await setup();
    await channel.assertQueue("q", { durable: false });
    const order: string[] = [];
    channel.on("return", (m: { content: Buffer }) => order.push(`return:${m.content.toString()}`));
    channel.on("ack", (f: { deliveryTag: number; multiple: boolean }) =>
      order.push(`ack:${f.deliveryTag}${f.multiple ? "+" : ""}`),
    );
    const pub = publisher(channel);
    pub.publish("q", "1");
    pub.publish("q", "2");
    pub.publish("nowhere", "3", { mandatory: true });
    pub.publish("q", "4");
    await sim.run();
    expect(order).toEqual(["ack:2+", "return:3", "ack:4+"]);
    expect(frames.map((f) => f.deliveryTag)).toEqual([2, 4]);
    expect(pub.outcomes).toEqual([["ok"], ["ok"], ["ok"], ["ok"]]);
  });

  it("nacks are coalesced against the acks: a multiple frame never covers the other outcome", async () => {
    const { sim, channel, frames } = await setup();
    await channel.assertQueue("full", { durable: false, maxLength: 2, overflow: "reject-publish" } as never);
    const pub = publisher(channel);
    for (let i = 1; i <= 5; i++) pub.publish("full", String(i));
    const waited = channel.waitForConfirms().then(
      () => "resolved",
      (e: Error) => e.message,
    );
    await sim.run();
    // coalesce_and_send cuts at the lowest opposite outcome in the batch: acks 1-2 coalesce below
    // nack 3; the nacks, cut at ack 1, go one by one.
    expect(frames).toEqual([
      { kind: "ack", deliveryTag: 2, multiple: true },
      { kind: "nack", deliveryTag: 3, multiple: false },
      { kind: "nack", deliveryTag: 4, multiple: false },
      { kind: "nack", deliveryTag: 5, multiple: false },
    ]);
    expect(pub.outcomes).toEqual([
      ["ok"],
      ["ok"],
      ["message nacked"],
      ["message nacked"],
      ["message nacked"],
    ]);
    expect(await waited).toBe("message nacked");
  });

  it("the native channel still emits one ack or nack per publish, after the coalesced frame", async () => {
    const { sim, channel } = await setup();
    await channel.assertQueue("q", { durable: false });
    const native: string[] = [];
    channel.native.on("confirm", (f) => native.push(`frame:${f.seq}${f.multiple ? "+" : ""}`));
    channel.native.on("ack", (seq) => native.push(`ack:${seq}`));
    for (let i = 0; i < 3; i++) channel.sendToQueue("q", Buffer.from("x"));
    await sim.run();
    expect(native).toEqual(["frame:3+", "ack:1", "ack:2", "ack:3"]);
  });

  it("law: for any batch, the frames cover every confirmed sequence number exactly once, with its outcome", () => {
    // A batch is what RabbitMQ's channel sends at once: each seq acked or nacked, ascending.
    const batch = fc
      .array(fc.boolean(), { minLength: 1, maxLength: 40 })
      .chain((outcomes) => fc.tuple(fc.constant(outcomes), fc.integer({ min: 1, max: 50 })));
    fc.assert(
      fc.property(batch, ([outcomes, first]) => {
        const acks: number[] = [];
        const nacks: number[] = [];
        for (const [i, ack] of outcomes.entries()) (ack ? acks : nacks).push(first + i);
        const frames = confirmFrames({ acks, nacks }, Number.POSITIVE_INFINITY);
        // Replay the frames as amqplib's handleConfirm does, on a window starting at `first`.
        const settled = new Map<number, boolean>();
        let lwm = first;
        const pending = new Set(outcomes.map((_, i) => first + i));
        for (const frame of frames) {
          const covered = frame.multiple
            ? [...pending].filter((seq) => seq >= lwm && seq <= frame.seq)
            : [frame.seq];
          for (const seq of covered) {
            expect(settled.has(seq)).toBe(false);
            settled.set(seq, frame.ack);
            pending.delete(seq);
          }
          if (frame.multiple) lwm = frame.seq + 1;
        }
        expect(pending.size).toBe(0);
        for (const [i, ack] of outcomes.entries()) expect(settled.get(first + i)).toBe(ack);
      }),
      { numRuns: 300 },
    );
  });
});

describe("close semantics (amqplib 2.3: the closing client ignores all but close-ok)", () => {
  it("publishes then close(): every pending callback fails with 'channel closed'; no ack arrives", async () => {
    const { sim, channel, frames } = await setup();
    await channel.assertQueue("q", { durable: false });
    const pub = publisher(channel);
    for (let i = 0; i < 5; i++) pub.publish("q", String(i));
    const waited = channel.waitForConfirms().then(
      () => "resolved",
      (e: Error) => e.message,
    );
    const closed = channel.close();
    await sim.run();
    await closed;
    expect(frames).toEqual([]);
    expect(pub.outcomes).toEqual(Array.from({ length: 5 }, () => ["channel closed"]));
    expect(await waited).toBe("channel closed");
    // amqplib 2.3 remembers that confirms were lost: later waits reject at once.
    await expect(channel.waitForConfirms()).rejects.toThrow("channel closed");
  });

  it("a channel closed with everything confirmed lets a later waitForConfirms resolve", async () => {
    const { sim, channel } = await setup();
    await channel.assertQueue("q", { durable: false });
    channel.sendToQueue("q", Buffer.from("x"));
    await sim.run();
    await channel.close();
    await sim.run();
    await expect(channel.waitForConfirms()).resolves.toEqual([]);
  });

  it("no 'return' and no delivery reaches the client after close() was called", async () => {
    const { sim, connection, channel } = await setup();
    await channel.assertQueue("q", { durable: false });
    const returns: string[] = [];
    channel.on("return", () => returns.push("return"));
    channel.publish("", "nowhere", Buffer.from("r"), { mandatory: true });
    void channel.close();
    const consumerChannel = await connection.createChannel();
    const delivered: string[] = [];
    await consumerChannel.consume("q", (m) => {
      if (m) delivered.push(m.content.toString());
    });
    consumerChannel.sendToQueue("q", Buffer.from("d"));
    void consumerChannel.close();
    await sim.run();
    expect(returns).toEqual([]);
    expect(delivered).toEqual([]);
    // The broker requeued the delivery the closing client never saw.
    expect((await (await connection.createChannel()).checkQueue("q")).messageCount).toBe(1);
  });
});
