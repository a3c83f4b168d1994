/**
 * Issue 12, defect 7: an async consumer callback whose promise rejects. It is handled as a
 * synchronous throw (the native `onError: "close-channel"` policy; nothing is lost) and never
 * fails the simulation: with a `'handler-error'` listener it is reported there and the channel
 * stays open; otherwise the channel closes with 541, its unacked messages are requeued, and the
 * error is emitted as `'error'` (or, heard by nobody, carried by the connection's `'close'`).
 */
import { describe, expect, it } from "vitest";
import { type ChannelModel, type ConsumeMessage, connect } from "../../../src/compat/amqplib/index.js";
import { Simulation } from "../../../src/scheduler/simulation.js";

async function open(drive: "auto" | "manual"): Promise<{ sim: Simulation; connection: ChannelModel }> {
  const sim = new Simulation({ seed: 1, drive });
  return { sim, connection: await connect("amqp://localhost", { simulation: sim }) };
}

/** Drives the simulation a little in either mode. */
async function settle(sim: Simulation, drive: "auto" | "manual"): Promise<void> {
  if (drive === "auto") await sim.sleep(10);
  else await sim.runFor(10);
}

describe.each(["auto", "manual"] as const)("a rejecting async consumer (%s mode)", (drive) => {
  it("without 'handler-error': the channel closes with 541, the message is requeued and redelivered", async () => {
    const { sim, connection } = await open(drive);
    const channel = await connection.createChannel();
    const errors: Array<[number, string]> = [];
    channel.on("error", (err: Error & { code: number }) => errors.push([err.code, err.message]));
    await channel.assertQueue("jobs", { durable: false });
    await channel.consume("jobs", async () => {
      await sim.sleep(1);
      throw new Error("handler failed");
    });
    channel.sendToQueue("jobs", Buffer.from("1"));
    await settle(sim, drive);
    expect(errors).toEqual([[541, "handler failed"]]);
    expect(channel.closed).toBe(true);
    expect(connection.closed).toBe(false);
    expect(connection.broker.getQueue("jobs")?.ready).toBe(1);

    // The simulation keeps running: a new consumer gets the requeued message, then the next one.
    const again = await connection.createChannel();
    const got: Array<[string, boolean]> = [];
    await again.consume("jobs", (msg: ConsumeMessage | null) => {
      if (msg === null) return;
      got.push([msg.content.toString(), msg.fields.redelivered]);
      again.ack(msg);
    });
    again.sendToQueue("jobs", Buffer.from("2"));
    await settle(sim, drive);
    expect(got).toEqual([
      ["1", true],
      ["2", false],
    ]);
    expect(sim.now).toBeGreaterThan(sim.start);
    await connection.close();
    sim.close();
  });

  it("with 'handler-error': reported as 'delivery', the channel stays open, later messages arrive", async () => {
    const { sim, connection } = await open(drive);
    const channel = await connection.createChannel();
    const reported: string[] = [];
    channel.on("handler-error", (err: Error, event: string) => reported.push(`${event}: ${err.message}`));
    await channel.assertQueue("jobs", { durable: false });
    const seen: string[] = [];
    await channel.consume("jobs", async (msg) => {
      if (msg === null) return;
      seen.push(msg.content.toString());
      await sim.sleep(1);
      if (msg.content.toString() === "poison") throw new Error("cannot parse");
      channel.ack(msg);
    });
    channel.sendToQueue("jobs", Buffer.from("poison"));
    channel.sendToQueue("jobs", Buffer.from("ok-1"));
    await settle(sim, drive);
    channel.sendToQueue("jobs", Buffer.from("ok-2"));
    await settle(sim, drive);
    expect(reported).toEqual(["delivery: cannot parse"]);
    expect(seen).toEqual(["poison", "ok-1", "ok-2"]);
    expect(channel.closed).toBe(false);
    // Accounted for: unacked on the channel, requeued when the channel closes.
    expect(channel.native.unackedCount).toBe(1);
    await channel.close();
    await settle(sim, drive);
    expect(connection.broker.getQueue("jobs")?.ready).toBe(1);
    await connection.close();
    sim.close();
  });

  it("with no listener anywhere: nothing throws, the connection's 'close' carries the error", async () => {
    const { sim, connection } = await open(drive);
    const closes: unknown[] = [];
    connection.on("close", (err: unknown) => closes.push(err));
    const channel = await connection.createChannel();
    await channel.assertQueue("jobs", { durable: false });
    await channel.consume("jobs", () => Promise.reject(new Error("nobody hears")));
    channel.sendToQueue("jobs", Buffer.from("1"));
    await settle(sim, drive);
    if (drive === "manual") await sim.run();
    expect(channel.closed).toBe(true);
    expect(closes).toHaveLength(1);
    expect(String(closes[0])).toContain("nobody hears");
    // The message is back in its queue, and the simulation still runs.
    expect(connection.broker.getQueue("jobs")?.ready).toBe(1);
    const before = sim.now;
    await settle(sim, drive);
    expect(sim.now).toBeGreaterThan(before);
    sim.close();
  });
});

describe("a synchronous throw is unchanged", () => {
  it("with no listener anywhere it still fails the run, as amqplib's unheard 'error' does", async () => {
    const { sim, connection } = await open("manual");
    const channel = await connection.createChannel();
    await channel.assertQueue("jobs", { durable: false });
    await channel.consume("jobs", () => {
      throw new Error("sync bug");
    });
    channel.sendToQueue("jobs", Buffer.from("1"));
    await expect(sim.run()).rejects.toThrow("sync bug");
  });
});
