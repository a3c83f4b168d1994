/**
 * AMQP follow-ups of the fault layer, through the amqplib facade as an application sees them:
 * `channel.get` goes through the native `getAsync` and inherits basic.get faults; a partitioned
 * client's deliveries are held until the window ends (or lost with its connection at the heartbeat
 * timeout, requeued and redelivered to someone else); its connects are refused during the window.
 */
import { describe, expect, it } from "vitest";
import { type ConsumeMessage, connect } from "../../src/compat/amqplib/index.js";
import { AmqpBroker } from "../../src/exchange/broker.js";
import { Simulation } from "../../src/scheduler/simulation.js";
import { runScenario, type ScenarioContext } from "../../src/semantics/explore.js";
import type { FaultPlan } from "../../src/semantics/fault-plan.js";
import { Faults } from "../../src/semantics/faults.js";

function world(plan: FaultPlan, options: { heartbeatTimeoutMs?: number } = {}) {
  const sim = new Simulation({ seed: 5, start: 0 });
  const broker = new AmqpBroker(sim, options);
  const faults = new Faults(sim, plan);
  faults.attachAmqp(broker);
  const open = async (name: string) => {
    const connection = await connect(undefined, {
      simulation: sim,
      broker,
      clientProperties: { connection_name: name },
    });
    connection.on("error", () => {}); // a forced close is an 'error' in amqplib
    return connection;
  };
  return { sim, broker, faults, open };
}

/** A consumer on `queue` that records what it gets (body, redelivered, time), acking each. */
async function consumer(open: (name: string) => ReturnType<typeof connect>, sim: Simulation, name: string) {
  const connection = await open(name);
  const channel = await connection.createChannel();
  const got: { body: string; redelivered: boolean; at: number }[] = [];
  await channel.consume("jobs", (msg: ConsumeMessage | null) => {
    if (msg === null) return;
    got.push({ body: msg.content.toString(), redelivered: msg.fields.redelivered, at: sim.now });
    channel.ack(msg);
  });
  return { connection, channel, got };
}

/** The outcome of a promise, observable without awaiting it. */
function watch<T>(promise: Promise<T>) {
  const state: { status: "pending" | "resolved" | "rejected"; value?: T; error?: unknown } = {
    status: "pending",
  };
  promise.then(
    (value) => Object.assign(state, { status: "resolved", value }),
    (error: unknown) => Object.assign(state, { status: "rejected", error }),
  );
  return state;
}

describe("amqplib channel.get through the native getAsync", () => {
  it("delay basic.get: the reply comes later, in amqplib's shape; an empty queue still answers false", async () => {
    const { sim, open } = world([{ kind: "delay", request: "basic.get", nth: 1, count: 2, delayMs: 50 }]);
    const channel = await (await open("getter")).createChannel();
    await channel.assertQueue("jobs", { durable: false });
    channel.sendToQueue("jobs", Buffer.from("a"), { messageId: "m1" });
    const first = watch(channel.get("jobs"));
    await sim.runFor(49);
    expect(first.status).toBe("pending");
    await sim.runFor(1);
    expect(first.status).toBe("resolved");
    const msg = first.value;
    expect(msg !== false && msg !== undefined && [msg.content.toString(), msg.fields.messageCount]).toEqual([
      "a",
      0,
    ]);
    expect(msg !== false && msg?.properties.messageId).toBe("m1");
    const empty = watch(channel.get("jobs"));
    await sim.runFor(50);
    expect(empty).toMatchObject({ status: "resolved", value: false });
    // Past the faulted requests, gets answer at once again.
    expect(await channel.get("jobs")).toBe(false);
  });

  it("drop-request basic.get: nothing is taken; the get waits until the channel ends", async () => {
    const { sim, broker, open } = world([{ kind: "drop-request", request: "basic.get", nth: 1 }]);
    const channel = await (await open("getter")).createChannel();
    await channel.assertQueue("jobs", { durable: false });
    channel.sendToQueue("jobs", Buffer.from("a"));
    const lost = watch(channel.get("jobs"));
    await sim.runFor(5000);
    expect(lost.status).toBe("pending");
    expect(broker.stats()).toMatchObject({ ready: 1, unacked: 0 });
    // The next get is answered (requests on one channel are not held behind a lost one).
    const next = await channel.get("jobs");
    expect(next !== false && [next.content.toString(), next.fields.redelivered]).toEqual(["a", false]);
    await channel.close();
    await sim.runFor(1);
    expect(lost.status).toBe("rejected");
    expect((lost.error as Error).message).toBe("Channel ended, no reply will be forthcoming");
  });

  it("drop-response basic.get with noAck: the message is taken and gone; the client never hears", async () => {
    const { sim, broker, open } = world([{ kind: "drop-response", request: "basic.get", nth: 1 }]);
    const channel = await (await open("getter")).createChannel();
    await channel.assertQueue("jobs", { durable: false });
    channel.sendToQueue("jobs", Buffer.from("a"));
    const lost = watch(channel.get("jobs", { noAck: true }));
    await sim.runFor(1000);
    expect(lost.status).toBe("pending");
    expect(broker.stats()).toMatchObject({ ready: 0, unacked: 0 });
    await channel.close();
    await sim.runFor(1);
    expect(lost.status).toBe("rejected");
    expect(broker.stats().ready).toBe(0);
  });

  it("a delayed get of a missing queue: the broker's 404 closes the channel then, and answers the get", async () => {
    const { sim, open } = world([{ kind: "delay", request: "basic.get", nth: 1, delayMs: 20 }]);
    const channel = await (await open("getter")).createChannel();
    const errors: Error[] = [];
    channel.on("error", (e: Error) => errors.push(e));
    const refused = watch(channel.get("nowhere"));
    await sim.runFor(19);
    expect(refused.status).toBe("pending");
    await sim.runFor(5);
    expect(refused.status).toBe("rejected");
    // amqplib ≥ 1.0.6 rejects a get with an Error carrying the close's code.
    expect(refused.error).toMatchObject({ code: 404, classId: 60, methodId: 70 });
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/404/);
  });
});

describe("AMQP partition: deliveries and connects", () => {
  it("deliveries to a client partitioned for less than the heartbeat timeout are held until the window ends, in order", async () => {
    const { sim, broker, faults, open } = world([
      { kind: "partition", client: "worker", fromMs: 100, durationMs: 5000 },
    ]);
    const setup = await (await open("setup")).createChannel();
    await setup.assertQueue("jobs", { durable: false });
    const w = await consumer(open, sim, "worker");
    await sim.runFor(200);
    for (const body of ["a", "b", "c"]) setup.sendToQueue("jobs", Buffer.from(body));
    await sim.runFor(1000);
    // Sent by the broker (unacked on the worker's channel), not yet seen by the worker.
    expect(w.got).toEqual([]);
    expect(broker.stats()).toMatchObject({ ready: 0, unacked: 3 });
    await sim.runUntil(5100);
    expect(w.got.map((g) => [g.body, g.at, g.redelivered])).toEqual([
      ["a", 5100, false],
      ["b", 5100, false],
      ["c", 5100, false],
    ]);
    await sim.runFor(10);
    expect(broker.stats()).toMatchObject({ ready: 0, unacked: 0, acked: 3 });
    expect(faults.fired.map((f) => [f.time, f.fault])).toEqual([
      [200, "partition worker from 100ms for 5000ms"],
    ]);
  });

  it("a window past the heartbeat timeout: the held delivery is lost with the connection, requeued, redelivered to another consumer", async () => {
    const { sim, broker, open } = world(
      [{ kind: "partition", client: "worker", fromMs: 100, durationMs: 20_000 }],
      { heartbeatTimeoutMs: 10_000 },
    );
    const setup = await (await open("setup")).createChannel();
    await setup.assertQueue("jobs", { durable: false });
    const w = await consumer(open, sim, "worker");
    const closedAt: number[] = [];
    w.connection.on("close", () => closedAt.push(sim.now));
    await sim.runFor(200);
    setup.sendToQueue("jobs", Buffer.from("a")); // dispatched to the only consumer: the worker
    await sim.runFor(100);
    expect(broker.stats()).toMatchObject({ ready: 0, unacked: 1 });
    const other = await consumer(open, sim, "standby");
    await sim.runUntil(10_100);
    expect(closedAt).toEqual([10_100]);
    expect(w.got).toEqual([]); // the partitioned worker never saw it
    await sim.runFor(10);
    expect(other.got.map((g) => [g.body, g.redelivered])).toEqual([["a", true]]);
    await sim.runUntil(25_000);
    expect(w.got).toEqual([]); // nothing of the dead connection comes back when the window ends
    expect(broker.stats()).toMatchObject({ ready: 0, unacked: 0, acked: 1 });
  });

  it("connect under a partitioned client's name is refused during the window (CONNECTION_REFUSED), accepted after it", async () => {
    const { sim, broker, open } = world([
      { kind: "partition", client: "worker", fromMs: 100, durationMs: 1000 },
    ]);
    await sim.runFor(100);
    await expect(open("worker")).rejects.toMatchObject({ code: "CONNECTION_REFUSED" });
    expect(() => broker.connect({ name: "worker" })).toThrow(
      expect.objectContaining({ code: "CONNECTION_REFUSED", details: { client: "worker" } }),
    );
    const bystander = await open("bystander"); // other clients are not cut off
    expect(bystander).toBeDefined();
    expect(broker.stats().connections).toBe(1);
    await sim.runUntil(1100);
    const again = await (await open("worker")).createChannel();
    await again.assertQueue("jobs");
    expect(broker.stats().connections).toBe(2);
  });

  it("the partition holds a get's request until the window ends", async () => {
    const { sim, open } = world([{ kind: "partition", client: "getter", fromMs: 50, durationMs: 500 }]);
    const channel = await (await open("getter")).createChannel();
    await channel.assertQueue("jobs", { durable: false });
    channel.sendToQueue("jobs", Buffer.from("a"));
    await sim.runFor(100);
    const held = watch(channel.get("jobs"));
    await sim.runFor(400);
    expect(held.status).toBe("pending");
    await sim.runUntil(550);
    expect(held.status).toBe("resolved");
    expect(held.value !== false && held.value?.content.toString()).toBe("a");
  });
});

describe("the deliver frame through the seam (a hook on broker.network)", () => {
  it("a lost delivery never reaches the handler; it stays unacked until the channel goes, then is redelivered", async () => {
    const sim = new Simulation({ seed: 1, start: 0 });
    const broker = new AmqpBroker(sim);
    let n = 0;
    broker.network.setFaultHook((r) => (r.kind === "deliver" && n++ === 0 ? "drop-request" : undefined));
    broker.queue("jobs");
    const channel = broker.connect({ name: "w" }).channel();
    const got: string[] = [];
    channel.consume("jobs", (d) => {
      got.push(`${String(d.content)}${d.redelivered ? "*" : ""}`);
      d.ack();
    });
    broker.publish("", "jobs", "a");
    broker.publish("", "jobs", "b");
    await sim.runFor(10);
    expect(got).toEqual(["b"]);
    expect(broker.stats()).toMatchObject({ unacked: 1 });
    channel.close();
    const second = broker.connect({ name: "w2" }).channel();
    second.consume("jobs", (d) => {
      got.push(`${String(d.content)}${d.redelivered ? "*" : ""}`);
      d.ack();
    });
    await sim.runFor(10);
    expect(got).toEqual(["b", "a*"]);
  });

  it("a delayed delivery holds the channel's later ones behind it (order kept); the hook sees queue, tag, consumer", async () => {
    const sim = new Simulation({ seed: 1, start: 0 });
    const broker = new AmqpBroker(sim);
    const seen: unknown[] = [];
    broker.network.setFaultHook((r) => {
      if (r.kind !== "deliver") return undefined;
      seen.push({ queue: r.queue, tag: r.deliveryTag, consumer: r.consumerTag, client: r.clientId });
      return r.deliveryTag === 1 ? { delayRequestMs: 30 } : undefined;
    });
    broker.queue("jobs");
    const channel = broker.connect({ name: "w" }).channel();
    const got: [string, number][] = [];
    channel.consume(
      "jobs",
      (d) => {
        got.push([String(d.content), sim.now]);
        d.ack();
      },
      { consumerTag: "c1" },
    );
    broker.publish("", "jobs", "a");
    broker.publish("", "jobs", "b");
    await sim.runFor(100);
    expect(got).toEqual([
      ["a", 30],
      ["b", 30],
    ]);
    expect(seen).toEqual([
      { queue: "jobs", tag: 1, consumer: "c1", client: "w" },
      { queue: "jobs", tag: 2, consumer: "c1", client: "w" },
    ]);
  });

  it("a hook that ignores deliveries changes nothing", async () => {
    const sim = new Simulation({ seed: 1, start: 0 });
    const broker = new AmqpBroker(sim);
    broker.network.setFaultHook(() => undefined);
    broker.queue("jobs");
    const channel = broker.connect().channel();
    const at: number[] = [];
    channel.consume("jobs", (d) => {
      at.push(sim.now);
      d.ack();
    });
    broker.publish("", "jobs", "a");
    await sim.runFor(1);
    expect(at).toEqual([0]);
  });
});

describe("at-least-once across a partition, checked", () => {
  it("a worker partitioned past the heartbeat timeout loses nothing: its held deliveries go to the standby", async () => {
    const scenario = async (ctx: ScenarioContext) => {
      const broker = new AmqpBroker(ctx.sim, { heartbeatTimeoutMs: 5000 });
      ctx.faults.attachAmqp(broker);
      const open = (name: string) =>
        connect(undefined, { simulation: ctx.sim, broker, clientProperties: { connection_name: name } });
      const setup = await (await open("setup")).createChannel();
      await setup.assertQueue("jobs", { durable: true });
      for (const name of ["worker", "standby"]) {
        ctx.faults.spawn(name, async () => {
          const connection = await open(name);
          connection.on("error", () => {});
          const channel = await connection.createChannel();
          await channel.prefetch(2);
          await channel.consume("jobs", (msg) => {
            if (msg === null) return;
            ctx.history.effect(name, "process", String(msg.properties.messageId));
            channel.ack(msg);
          });
        });
      }
      await ctx.sim.sleep(50);
      const publisher = await (await open("publisher")).createConfirmChannel();
      for (let i = 0; i < 8; i++) {
        publisher.sendToQueue("jobs", Buffer.from(`j${i}`), { messageId: `m${i}`, persistent: true });
        await ctx.sim.sleep(200);
      }
      await ctx.sim.sleep(30_000);
    };
    const plan: FaultPlan = [{ kind: "partition", client: "worker", fromMs: 100, durationMs: 10_000 }];
    const out = await runScenario(scenario, 2, plan, { expect: "at-least-once" });
    expect(out.error).toBeNull();
    expect(out.check.valid).toBe(true);
    expect(out.check.counts.processed.never).toBe(0);
    // The worker processed only what reached it before the window; the two deliveries held for it
    // (prefetch 2) came back to the standby at the heartbeat timeout (100 + 5000 ms).
    const effects = out.history.operations
      .filter((o) => o.f === "effect" && o.type === "ok")
      .map((o) => [o.process, o.value.id, o.time]);
    expect(effects.filter((e) => e[0] === "worker")).toEqual([["worker", "m0", 50]]);
    expect(effects.filter((e) => e[2] === 5100)).toEqual([
      ["standby", "m2", 5100],
      ["standby", "m4", 5100],
    ]);
    const a = await runScenario(scenario, 2, plan, { trace: true });
    const b = await runScenario(scenario, 2, plan, { trace: true });
    expect(a.traceHash).toBe(b.traceHash);
  });
});
