import { describe, expect, it } from "vitest";
import { deaths, drain, drainDeliveries, recordEvents, setup } from "../exchange/amqp-helpers.js";

/** A direct DLX with one dead-letter queue per part, as in the conformance scenario. */
function ttlBroker() {
  const env = setup();
  env.broker.exchange("ttl.dlx", "direct");
  for (const part of ["queue-ttl", "per-message", "zero", "requeue"]) {
    env.broker.queue(`dlq.${part}`);
    env.broker.bind(`dlq.${part}`, "ttl.dlx", part);
  }
  const withDlx = (part: string) => ({ deadLetterExchange: "ttl.dlx", deadLetterRoutingKey: part });
  return { ...env, withDlx };
}

describe("message TTL", () => {
  it("queue TTL and per-message expiration: the smaller applies; expiry keeps queue order", async () => {
    const { sim, broker, channel, withDlx } = ttlBroker();
    broker.queue("q", { messageTtl: 100, ...withDlx("queue-ttl") });
    broker.publish("", "q", "a1");
    broker.publish("", "q", "a2-longer", { expiration: "60000" });
    broker.publish("", "q", "a3-shorter", { expiration: "10" });
    await sim.runFor(99);
    expect(broker.getQueue("q")!.ready).toBe(3);
    await sim.runFor(1);
    expect(broker.getQueue("q")!.ready).toBe(0);
    const dead = drainDeliveries(channel, "dlq.queue-ttl");
    expect(dead.map((d) => d.content)).toEqual(["a1", "a2-longer", "a3-shorter"]);
    expect(deaths(dead[0]!)).toEqual([
      { count: 1, exchange: "", queue: "q", reason: "expired", "routing-keys": ["q"] },
    ]);
    expect(deaths(dead[1]!)[0]).toMatchObject({ "original-expiration": "60000" });
    expect(dead[2]!.properties.expiration).toBeUndefined();
    expect(dead[0]!.headers).toMatchObject({
      "x-first-death-exchange": "",
      "x-first-death-queue": "q",
      "x-first-death-reason": "expired",
    });
    expect([dead[0]!.exchange, dead[0]!.routingKey]).toEqual(["ttl.dlx", "queue-ttl"]);
    broker.checkInvariants();
  });

  it("an expired message stuck behind a live one stays counted, is never delivered, and goes once at the head", async () => {
    const { sim, broker, channel, withDlx } = ttlBroker();
    broker.queue("q", withDlx("per-message"));
    broker.publish("", "q", "b1-live");
    broker.publish("", "q", "b2", { expiration: "50" });
    broker.publish("", "q", "b3", { expiration: 50 });
    broker.publish("", "q", "b4-live");
    await sim.runFor(400);
    expect(broker.getQueue("q")!.ready).toBe(4);
    expect(broker.getQueue("dlq.per-message")!.ready).toBe(0);
    const got = drainDeliveries(channel, "q");
    expect(got.map((d) => [d.content, d.messageCount])).toEqual([
      ["b1-live", 1],
      ["b4-live", 0],
    ]);
    const dead = drainDeliveries(channel, "dlq.per-message");
    expect(dead.map((d) => d.content)).toEqual(["b2", "b3"]);
    expect(deaths(dead[1]!)[0]).toMatchObject({ "original-expiration": "50", reason: "expired" });
    broker.checkInvariants();
  });

  it("TTL 0 expires at once unless a consumer takes the message at once", async () => {
    const { sim, broker, channel, withDlx } = ttlBroker();
    broker.queue("zero", { messageTtl: 0, ...withDlx("zero") });
    broker.publish("", "zero", "c1");
    expect(broker.getQueue("zero")!.ready).toBe(0);
    expect(drain(channel, "dlq.zero")).toEqual(["c1"]);
    const seen: unknown[] = [];
    channel.consume(
      "zero",
      (d) => {
        seen.push(d.content);
        d.ack();
      },
      { prefetch: 1 },
    );
    broker.publish("", "zero", "c2");
    broker.publish("", "zero", "c3"); // the consumer is busy with c2: c3 expires
    await sim.run();
    expect(seen).toEqual(["c2"]);
    expect(drain(channel, "dlq.zero")).toEqual(["c3"]);
  });

  it("expiry counts from enqueue and survives a requeue", async () => {
    const { sim, broker, channel, withDlx } = ttlBroker();
    broker.queue("rq", { messageTtl: 200, ...withDlx("requeue") });
    broker.publish("", "rq", "d1");
    const held = channel.get("rq")!;
    await sim.runFor(400);
    held.nack(false, true);
    expect(broker.getQueue("rq")!.ready).toBe(0);
    const [dead] = drainDeliveries(channel, "dlq.requeue");
    expect(dead!.content).toBe("d1");
    expect(deaths(dead!)[0]).toMatchObject({ reason: "expired", queue: "rq" });
  });

  it("arms one timer per queue for its head, not one per message", async () => {
    const { sim, broker } = setup();
    broker.queue("q", { messageTtl: 1000 });
    for (let i = 0; i < 100; i++) broker.publish("", "q", i);
    expect(sim.pendingCount).toBe(1);
    await sim.runFor(999);
    expect(broker.getQueue("q")!.ready).toBe(100);
    await sim.runFor(1);
    expect(broker.getQueue("q")!.ready).toBe(0);
    expect(broker.stats()).toMatchObject({ expired: 100, dropped: 100 });
    expect(sim.pendingCount).toBe(0);
  });

  it("without a DLX expired messages are dropped (amqp.expire then amqp.drop)", async () => {
    const { sim, broker } = setup();
    broker.queue("q", { messageTtl: 5 });
    const events = recordEvents(sim, ["amqp.expire", "amqp.drop"]);
    broker.publish("", "q", 1);
    await sim.run();
    expect(events.map((e) => [e.type, e.payload])).toEqual([
      ["amqp.expire", { queue: "q", messageId: 1 }],
      ["amqp.drop", { queue: "q", messageId: 1, reason: "expired" }],
    ]);
  });

  it("an expired message is never delivered to a consumer that frees up after its expiry", async () => {
    const { sim, broker, channel } = setup();
    broker.queue("q");
    const seen: unknown[] = [];
    let first: { ack(): void } | undefined;
    channel.consume(
      "q",
      (d) => {
        seen.push(d.content);
        first ??= d;
      },
      { prefetch: 1 },
    );
    broker.publish("", "q", "live");
    broker.publish("", "q", "short", { expiration: "10" });
    broker.publish("", "q", "later");
    await sim.runFor(50);
    first!.ack();
    await sim.run();
    expect(seen).toEqual(["live", "later"]);
  });
});

describe("queue expiry (x-expires)", () => {
  it("deletes an unused queue; its messages are not dead-lettered", async () => {
    const { sim, broker } = setup();
    broker.exchange("dlx", "fanout");
    broker.queue("dead");
    broker.bind("dead", "dlx");
    broker.queue("temp", { expires: 1000, deadLetterExchange: "dlx" });
    broker.publish("", "temp", 1); // publishing is not use
    const events = recordEvents(sim, ["amqp.queue-delete"]);
    await sim.runFor(999);
    expect(broker.getQueue("temp")).toBeDefined();
    await sim.runFor(1);
    expect(broker.getQueue("temp")).toBeUndefined();
    expect(events[0]!.payload).toEqual({ queue: "temp", reason: "expired", messages: 1 });
    expect(broker.getQueue("dead")!.ready).toBe(0);
  });

  it("a redeclare or a get restarts the clock; consumers keep it alive", async () => {
    const { sim, broker, channel } = setup();
    broker.queue("temp", { expires: 1000 });
    await sim.runFor(800);
    broker.queue("temp", { expires: 1000 });
    await sim.runFor(800);
    channel.get("temp");
    await sim.runFor(800);
    expect(broker.getQueue("temp")).toBeDefined();
    const consumer = channel.consume("temp", () => undefined);
    await sim.runFor(5000);
    expect(broker.getQueue("temp")).toBeDefined();
    consumer.cancel();
    await sim.runFor(999);
    expect(broker.getQueue("temp")).toBeDefined();
    await sim.runFor(1);
    expect(broker.getQueue("temp")).toBeUndefined();
  });
});
