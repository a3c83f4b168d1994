/**
 * AMQP faults through the request seam (`broker.network`), seen through the amqplib facade as an
 * application sees them: lost and delayed publishes, lost confirms, lost acks, lost basic.get
 * replies, partitions that outlast the heartbeat timeout, broker restarts.
 */
import { describe, expect, it } from "vitest";
import { type ConsumeMessage, connect } from "../../src/compat/amqplib/index.js";
import { AmqpBroker } from "../../src/exchange/broker.js";
import { Simulation } from "../../src/scheduler/simulation.js";
import { runScenario, type ScenarioContext } from "../../src/semantics/explore.js";
import type { FaultPlan } from "../../src/semantics/fault-plan.js";
import { Faults } from "../../src/semantics/faults.js";

function world(plan: FaultPlan, options: { heartbeatTimeoutMs?: number } = {}) {
  const sim = new Simulation({ seed: 3, start: 0 });
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

/** A consumer on `queue` that records bodies (and redelivered flags), acking unless told not to. */
async function consumer(
  open: (name: string) => ReturnType<typeof connect>,
  name: string,
  queue: string,
  options: { ack?: boolean } = {},
) {
  const connection = await open(name);
  const channel = await connection.createChannel();
  const got: { body: string; redelivered: boolean; at: number }[] = [];
  let sim: Simulation | null = null;
  await channel.consume(queue, (msg: ConsumeMessage | null) => {
    if (msg === null) return;
    got.push({ body: msg.content.toString(), redelivered: msg.fields.redelivered, at: sim?.now ?? -1 });
    if (options.ack !== false) channel.ack(msg);
  });
  return { connection, channel, got, setSim: (s: Simulation) => (sim = s) };
}

describe("AMQP faults through the amqplib facade", () => {
  it("drop-request publish: the message is lost, the others arrive", async () => {
    const { sim, broker, faults, open } = world([{ kind: "drop-request", request: "publish", nth: 2 }]);
    const setup = await (await open("setup")).createChannel();
    await setup.assertQueue("jobs", { durable: false });
    const w = await consumer(open, "worker", "jobs");
    const publisher = await (await open("publisher")).createChannel();
    for (const body of ["a", "b", "c"]) publisher.sendToQueue("jobs", Buffer.from(body));
    await sim.runFor(10);
    expect(w.got.map((g) => g.body)).toEqual(["a", "c"]);
    expect(broker.stats().published).toBe(2);
    expect(faults.fired.map((f) => f.fault)).toEqual(["drop-request publish #2"]);
  });

  it("drop-response publish on a confirm channel: routed, but the confirm never comes until the connection goes", async () => {
    const { sim, broker, open } = world([{ kind: "drop-response", request: "publish", nth: 1 }]);
    const setup = await (await open("setup")).createChannel();
    await setup.assertQueue("jobs", { durable: false });
    const connection = await open("publisher");
    const channel = await connection.createConfirmChannel();
    const confirms: (string | null)[] = [];
    channel.sendToQueue("jobs", Buffer.from("a"), {}, (err) =>
      confirms.push(err === null ? null : err.message),
    );
    channel.sendToQueue("jobs", Buffer.from("b"), {}, (err) =>
      confirms.push(err === null ? null : err.message),
    );
    let waited = false;
    void channel.waitForConfirms().then(
      () => (waited = true),
      () => (waited = true),
    );
    await sim.runFor(1000);
    expect(broker.getQueue("jobs")!.ready).toBe(2); // both routed
    expect(confirms).toEqual([null]); // only b's confirm arrived
    expect(waited).toBe(false);
    await connection.close();
    await sim.runFor(10);
    expect(confirms).toHaveLength(2);
    expect(confirms[1]).toMatch(/closed/i);
    expect(waited).toBe(true);
  });

  it("drop-request confirm is the same as a lost confirm; drop-request publish in confirm mode never confirms", async () => {
    const { sim, broker, open } = world([
      { kind: "drop-request", request: "publish", nth: 1 },
      { kind: "drop-request", request: "confirm", nth: 1 },
    ]);
    const setup = await (await open("setup")).createChannel();
    await setup.assertQueue("jobs", { durable: false });
    const channel = await (await open("publisher")).createConfirmChannel();
    const confirmed: string[] = [];
    for (const body of ["a", "b", "c"])
      channel.sendToQueue("jobs", Buffer.from(body), {}, (err) => err === null && confirmed.push(body));
    await sim.runFor(100);
    // a never reached the broker; b's confirm (the first one sent) was lost; c confirmed.
    expect(
      broker
        .getQueue("jobs")!
        .messages()
        .map((m) => Buffer.from(m.content as Uint8Array).toString()),
    ).toEqual(["b", "c"]);
    expect(confirmed).toEqual(["c"]);
  });

  it("delay publish: the message arrives later and the channel's later publishes wait behind it", async () => {
    const { sim, open } = world([{ kind: "delay", request: "publish", nth: 1, delayMs: 100 }]);
    const setup = await (await open("setup")).createChannel();
    await setup.assertQueue("jobs", { durable: false });
    const w = await consumer(open, "worker", "jobs");
    w.setSim(sim);
    const publisher = await (await open("publisher")).createChannel();
    publisher.sendToQueue("jobs", Buffer.from("a"));
    publisher.sendToQueue("jobs", Buffer.from("b"));
    await sim.runFor(50);
    expect(w.got).toEqual([]);
    await sim.runFor(100);
    expect(w.got.map((g) => [g.body, g.at])).toEqual([
      ["a", 100],
      ["b", 100],
    ]);
  });

  it("a delayed publish to a missing exchange closes the channel when it arrives (404)", async () => {
    const { sim, open } = world([{ kind: "delay", request: "publish", nth: 1, delayMs: 10 }]);
    const channel = await (await open("publisher")).createChannel();
    const errors: string[] = [];
    channel.on("error", (e: Error) => errors.push(e.message));
    expect(channel.publish("nowhere", "k", Buffer.from("a"))).toBe(true);
    await sim.runFor(5);
    expect(errors).toEqual([]);
    await sim.runFor(10);
    expect(errors[0]).toMatch(/404/);
  });

  it("drop-request ack: the message stays unacked and is redelivered when the connection goes", async () => {
    const { sim, broker, open } = world([{ kind: "drop-request", request: "ack", nth: 1 }]);
    const setup = await (await open("setup")).createChannel();
    await setup.assertQueue("jobs", { durable: false });
    const first = await consumer(open, "first", "jobs");
    await setup.sendToQueue("jobs", Buffer.from("a"));
    await sim.runFor(10);
    expect(first.got.map((g) => g.body)).toEqual(["a"]);
    expect(broker.stats()).toMatchObject({ acked: 0, unacked: 1 });
    await first.connection.close();
    const second = await consumer(open, "second", "jobs");
    await sim.runFor(10);
    expect(second.got.map((g) => [g.body, g.redelivered])).toEqual([["a", true]]);
    expect(broker.stats()).toMatchObject({ acked: 1, unacked: 0, ready: 0 });
  });

  it("delay ack: settled later (prefetch 1 holds the next delivery until then)", async () => {
    const { sim, open } = world([{ kind: "delay", request: "ack", nth: 1, delayMs: 200 }]);
    const setup = await (await open("setup")).createChannel();
    await setup.assertQueue("jobs", { durable: false });
    const connection = await open("worker");
    const channel = await connection.createChannel();
    await channel.prefetch(1);
    const at: number[] = [];
    await channel.consume("jobs", (msg) => {
      if (msg === null) return;
      at.push(sim.now);
      channel.ack(msg);
    });
    setup.sendToQueue("jobs", Buffer.from("a"));
    setup.sendToQueue("jobs", Buffer.from("b"));
    await sim.runFor(500);
    expect(at).toEqual([0, 200]);
  });

  it("drop-response basic.get: the client gets nothing, the message is held unacked until the channel closes", async () => {
    const { sim, broker, open } = world([{ kind: "drop-response", request: "basic.get", nth: 1 }]);
    const setup = await (await open("setup")).createChannel();
    await setup.assertQueue("jobs", { durable: false });
    setup.sendToQueue("jobs", Buffer.from("a"));
    const channel = await (await open("getter")).createChannel();
    // amqplib's get waits for a reply that never comes…
    let outcome = "pending";
    channel.get("jobs").then(
      () => (outcome = "resolved"),
      (e: Error) => (outcome = e.message),
    );
    await sim.runFor(1000);
    expect(outcome).toBe("pending");
    expect(broker.stats()).toMatchObject({ ready: 0, unacked: 1 });
    // …until the channel ends.
    await channel.close();
    await sim.runFor(1);
    expect(outcome).toBe("Channel ended, no reply will be forthcoming");
    const again = await setup.get("jobs");
    expect(again !== false && [again.content.toString(), again.fields.redelivered]).toEqual(["a", true]);
  });

  it("drop-request basic.get takes nothing; the native getAsync never answers a lost reply until the channel closes", async () => {
    const { sim, broker } = world([
      { kind: "drop-request", request: "basic.get", nth: 1 },
      { kind: "delay", request: "basic.get", nth: 2, delayMs: 30 },
      { kind: "drop-response", request: "basic.get", nth: 3 },
    ]);
    broker.queue("jobs");
    broker.publish("", "jobs", "a");
    const channel = broker.connect({ name: "getter" }).channel();
    expect(channel.get("jobs")).toBeNull();
    expect(broker.getQueue("jobs")!.ready).toBe(1);
    const delayed = channel.getAsync("jobs");
    let got: unknown = "pending";
    void delayed.then((d) => (got = d?.content));
    await sim.runFor(20);
    expect(got).toBe("pending");
    await sim.runFor(20);
    expect(got).toBe("a");
    broker.publish("", "jobs", "b");
    let lost: unknown = "pending";
    channel.getAsync("jobs").then(
      () => (lost = "resolved"),
      (e: { code: string }) => (lost = e.code),
    );
    await sim.runFor(1000);
    expect(lost).toBe("pending");
    channel.close();
    await sim.runFor(1);
    expect(lost).toBe("CHANNEL_CLOSED");
  });

  it("partition: a client cut off for the heartbeat timeout loses its connections then; shorter ones only wait", async () => {
    const { sim, broker, faults, open } = world(
      [
        { kind: "partition", client: "worker", fromMs: 100, durationMs: 70_000 },
        { kind: "partition", client: "publisher", fromMs: 100, durationMs: 500 },
      ],
      { heartbeatTimeoutMs: 60_000 },
    );
    const setup = await (await open("setup")).createChannel();
    await setup.assertQueue("jobs", { durable: false });
    const w = await consumer(open, "worker", "jobs");
    w.setSim(sim);
    const closed: number[] = [];
    w.connection.on("close", () => closed.push(sim.now));
    const publisher = await (await open("publisher")).createChannel();
    await sim.runFor(200); // both partitioned now
    publisher.sendToQueue("jobs", Buffer.from("a")); // held until t=600
    await sim.runFor(1000);
    // Delivered to the partitioned worker broker-side (unacked), but the delivery is held on its
    // way to the client…
    expect(w.got).toEqual([]);
    expect(broker.stats()).toMatchObject({ acked: 0, unacked: 1 });
    await sim.runUntil(60_100);
    // …and lost with its connection at the heartbeat timeout: the message is ready again.
    expect(closed).toEqual([60_100]);
    expect(broker.stats()).toMatchObject({ acked: 0, unacked: 0, ready: 1, connections: 2 });
    expect(faults.fired.map((f) => [f.time, f.fault])).toEqual([
      [200, "partition publisher from 100ms for 500ms"],
      [600, "partition worker from 100ms for 70000ms"],
    ]);
  });

  it("restart-broker: every connection drops; non-durable queues, exchanges and transient messages are gone", async () => {
    const { sim, broker, open } = world([{ kind: "restart-broker", atMs: 1000, downMs: 500 }]);
    const connection = await open("setup");
    const closes: string[] = [];
    connection.on("close", (e?: Error) => closes.push(String(e?.message)));
    const setup = await connection.createChannel();
    await setup.assertQueue("durable-q", { durable: true });
    await setup.assertQueue("quorum-q", { durable: true, arguments: { "x-queue-type": "quorum" } });
    await setup.assertQueue("temp-q", { durable: false });
    await setup.assertExchange("durable-x", "fanout", { durable: true });
    await setup.assertExchange("temp-x", "fanout", { durable: false });
    await setup.bindQueue("durable-q", "durable-x", "");
    await setup.bindQueue("durable-q", "temp-x", "");
    setup.sendToQueue("durable-q", Buffer.from("kept"), { persistent: true });
    setup.sendToQueue("durable-q", Buffer.from("lost"));
    setup.sendToQueue("quorum-q", Buffer.from("kept-too"));
    setup.sendToQueue("temp-q", Buffer.from("gone"), { persistent: true });
    // An unacked persistent message survives too: requeued before the restart.
    const worker = await (await open("worker")).createChannel();
    let held: ConsumeMessage | null = null;
    await worker.consume("durable-q", (msg) => {
      if (msg !== null && held === null) held = msg;
    });
    await sim.runFor(10);
    expect(held).not.toBeNull();
    await sim.runUntil(1001);
    expect(closes).toHaveLength(1);
    expect(closes[0]).toMatch(/320/);
    expect(broker.stats().connections).toBe(0);
    expect([...broker.queues.keys()].sort()).toEqual(["durable-q", "quorum-q"]);
    expect(broker.getExchange("temp-x")).toBeUndefined();
    expect(broker.getExchange("durable-x")!.outbound.size).toBe(1);
    expect(
      broker
        .getQueue("durable-q")!
        .messages()
        .map((m) => Buffer.from(m.content as Uint8Array).toString()),
    ).toEqual(["kept"]);
    expect(broker.getQueue("quorum-q")!.ready).toBe(1);
    // Down for 500 ms: connects are refused, then accepted.
    await expect(open("late")).rejects.toMatchObject({ code: "BROKER_DOWN" });
    await sim.runUntil(1500);
    const again = await (await open("late")).createChannel();
    const kept = await again.get("durable-q");
    expect(kept !== false && kept.content.toString()).toBe("kept");
  });

  it("no fault plan: the seam is not installed", () => {
    const sim = new Simulation({ seed: 1, start: 0 });
    const broker = new AmqpBroker(sim);
    new Faults(sim, [{ kind: "crash", process: "w", atMs: 5 }]).attachAmqp(broker);
    expect(broker.network.hasFaultHook).toBe(false);
  });

  it("the same plan twice gives the same trace hash; another plan another", async () => {
    const scenario = async (ctx: ScenarioContext) => {
      const broker = new AmqpBroker(ctx.sim);
      ctx.faults.attachAmqp(broker);
      const open = (name: string) =>
        connect(undefined, { simulation: ctx.sim, broker, clientProperties: { connection_name: name } });
      const setup = await (await open("setup")).createChannel();
      await setup.assertQueue("jobs", { durable: true });
      ctx.faults.spawn("worker", async () => {
        const channel = await (await open("worker")).createChannel();
        await channel.prefetch(1);
        await channel.consume("jobs", (msg) => {
          if (msg === null) return;
          ctx.history.effect("worker", "process", String(msg.properties.messageId));
          channel.ack(msg);
        });
      });
      const publisher = await (await open("publisher")).createConfirmChannel();
      for (let i = 0; i < 5; i++)
        publisher.sendToQueue("jobs", Buffer.from(`j${i}`), { messageId: `m${i}`, persistent: true });
      await ctx.sim.sleep(70_000);
    };
    const plan: FaultPlan = [
      { kind: "delay", request: "publish", nth: 2, delayMs: 40 },
      { kind: "drop-request", request: "ack", nth: 1 },
      { kind: "crash", process: "worker", atMs: 500, restartAfterMs: 100 },
    ];
    const a = await runScenario(scenario, 4, plan, { trace: true });
    const b = await runScenario(scenario, 4, plan, { trace: true });
    const c = await runScenario(scenario, 4, [], { trace: true });
    expect(a.error).toBeNull();
    expect(a.traceHash).toBe(b.traceHash);
    expect(a.history.toJSONLines()).toBe(b.history.toJSONLines());
    expect(c.traceHash).not.toBe(a.traceHash);
    expect(a.fired.map((f) => f.fault)).toEqual([
      "delay publish #2 by 40ms",
      "drop-request ack #1",
      "crash worker at 500ms, restart after 100ms",
    ]);
    // The lost ack's message came back to the restarted worker: processed twice, none lost.
    expect(a.check.counts.processed).toEqual({ once: 4, moreThanOnce: 1, never: 0 });
  });

  it("bad input gets coded errors and changes nothing", () => {
    const sim = new Simulation({ seed: 1, start: 0 });
    const broker = new AmqpBroker(sim);
    expect(() => new Faults(sim, [{ kind: "explode" } as never])).toThrow(
      expect.objectContaining({ code: "UNKNOWN_FAULT_KIND" }),
    );
    expect(() => new Faults(sim, [{ kind: "drop-request", request: "basic.consume" } as never])).toThrow(
      expect.objectContaining({ code: "INVALID_FAULT_PLAN" }),
    );
    expect(broker.network.hasFaultHook).toBe(false);
    const faults = new Faults(sim, [{ kind: "drop-request", request: "publish" }]);
    expect(() => faults.attachAmqp({} as never)).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
    expect(() => broker.restart({ downMs: -1 })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
    expect(() => broker.restart({ later: true } as never)).toThrow(
      expect.objectContaining({ code: "UNKNOWN_OPTION" }),
    );
    expect(() => new AmqpBroker(sim, { heartbeatTimeoutMs: 0 })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
    const channel = broker.connect().channel();
    faults.attachAmqp(broker);
    // Argument mistakes are refused before the seam, as on the fast path.
    expect(() => channel.publish("", "q", "x", { priority: "high" } as never)).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
    expect(() => channel.ack(-1)).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    expect(broker.stats().published).toBe(0);
    expect(channel.closed).toBe(false);
  });
});
