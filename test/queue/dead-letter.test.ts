import { describe, expect, it } from "vitest";
import { deadLetterHeaders, isDeadLetterCycle } from "../../src/queue/dead-letter.js";
import type { Delivery } from "../../src/queue/delivery.js";
import { deaths, drainDeliveries, recordEvents, setup } from "../exchange/amqp-helpers.js";

describe("x-death headers (pure)", () => {
  const info = {
    queue: "work",
    reason: "rejected" as const,
    now: 5_999,
    exchange: "jobs",
    routingKey: "k",
    expiration: undefined,
  };

  it("first death: one entry, x-first-death-*, time in whole seconds; input untouched", () => {
    const input = { custom: "kept", CC: ["c1"] };
    const out = deadLetterHeaders(input, info, false);
    expect(out).toEqual({
      custom: "kept",
      CC: ["c1"],
      "x-death": [
        {
          count: 1,
          exchange: "jobs",
          queue: "work",
          reason: "rejected",
          "routing-keys": ["k", "c1"],
          time: 5,
        },
      ],
      "x-first-death-exchange": "jobs",
      "x-first-death-queue": "work",
      "x-first-death-reason": "rejected",
    });
    expect(input).toEqual({ custom: "kept", CC: ["c1"] });
  });

  it("a dead-letter routing key drops CC after the keys were recorded", () => {
    const out = deadLetterHeaders({ CC: ["c1"] }, info, true);
    expect(out.CC).toBeUndefined();
    expect((out["x-death"] as Array<Record<string, unknown>>)[0]!["routing-keys"]).toEqual(["k", "c1"]);
  });

  it("a repeat (same queue and reason) increments and moves to the front, keeping its first fields", () => {
    const first = deadLetterHeaders(undefined, info, false);
    const second = deadLetterHeaders(
      first,
      { ...info, queue: "retry", reason: "expired", exchange: "retry-x" },
      false,
    );
    const third = deadLetterHeaders(
      second,
      { ...info, now: 99_000, exchange: "other", routingKey: "z" },
      false,
    );
    expect(third["x-death"]).toEqual([
      { count: 2, exchange: "jobs", queue: "work", reason: "rejected", "routing-keys": ["k"], time: 5 },
      { count: 1, exchange: "retry-x", queue: "retry", reason: "expired", "routing-keys": ["k"], time: 5 },
    ]);
    expect(third["x-first-death-queue"]).toBe("work");
  });

  it("records original-expiration; a malformed x-death is replaced without first-death headers", () => {
    const out = deadLetterHeaders({ "x-death": "junk" }, { ...info, expiration: "500" }, false);
    expect(out["x-death"]).toEqual([expect.objectContaining({ "original-expiration": "500", count: 1 })]);
    expect(out["x-first-death-queue"]).toBeUndefined();
  });

  it("cycle detection: never for rejected; otherwise a target already in x-death without a rejection since", () => {
    expect(isDeadLetterCycle("q", [{ queue: "q", reason: "rejected" }], "rejected")).toBe(false);
    expect(isDeadLetterCycle("q", [{ queue: "q", reason: "expired" }], "expired")).toBe(true);
    expect(
      isDeadLetterCycle(
        "a",
        [
          { queue: "b", reason: "expired" },
          { queue: "a", reason: "expired" },
        ],
        "expired",
      ),
    ).toBe(true);
    expect(
      isDeadLetterCycle(
        "a",
        [
          { queue: "b", reason: "expired" },
          { queue: "a", reason: "rejected" },
        ],
        "expired",
      ),
    ).toBe(false);
    expect(isDeadLetterCycle("a", [{ queue: "b", reason: "maxlen" }], "maxlen")).toBe(false);
    expect(isDeadLetterCycle("a", ["client junk", { queue: "a", reason: "expired" }], "expired")).toBe(false);
  });
});

/** The conformance scenario's topology: a direct DLX with three dead-letter queues. */
function dlBroker() {
  const env = setup();
  const { broker } = env;
  broker.exchange("dl.second", "fanout");
  broker.exchange("dl.dlx", "direct");
  broker.exchange("dl.work", "direct");
  broker.queue("dl.q.final");
  broker.bind("dl.q.final", "dl.second");
  broker.queue("dl.q.original-key", { deadLetterExchange: "dl.second" });
  broker.queue("dl.q.dead-letter-key");
  broker.queue("dl.q.cc-key");
  broker.bind("dl.q.original-key", "dl.dlx", "work.k");
  broker.bind("dl.q.dead-letter-key", "dl.dlx", "dlk");
  broker.bind("dl.q.cc-key", "dl.dlx", "work.cc");
  broker.queue("w1", { deadLetterExchange: "dl.dlx" });
  broker.queue("w2", { deadLetterExchange: "dl.dlx", deadLetterRoutingKey: "dlk" });
  broker.queue("w3", { deadLetterExchange: "dl.none" });
  broker.queue("w4");
  for (const [q, key] of [
    ["w1", "work.k"],
    ["w1", "work.cc"],
    ["w2", "w2"],
    ["w2", "w2.cc"],
    ["w3", "w3"],
    ["w4", "w4"],
  ] as const) {
    broker.bind(q, "dl.work", key);
  }
  return env;
}

const summary = (d: Delivery) => ({
  content: d.content,
  exchange: d.exchange,
  routingKey: d.routingKey,
  deaths: deaths(d),
  cc: d.headers?.CC,
});

describe("dead-lettering through the broker", () => {
  it("reject and nack (single and multiple) to a DLX with the original keys, CC and BCC included", () => {
    const { broker, channel } = dlBroker();
    broker.publish("dl.work", "work.k", "r1-reject");
    broker.publish("dl.work", "work.k", "r2-nack", { headers: { custom: "kept" } });
    broker.publish("dl.work", "work.k", "r3-nack-expiration", { expiration: "60000" });
    broker.publish("dl.work", "work.k", "r4-cc", { CC: ["work.cc"] });
    broker.publish("dl.work", "work.k", "r5-bcc", { BCC: ["work.cc"] });
    const [r1, r2, r3, , r5] = [1, 2, 3, 4, 5].map(() => channel.get("w1")!);
    expect(r3!.properties.expiration).toBe("60000");
    r1!.reject(false);
    r2!.nack(false, false);
    r3!.nack(false, false);
    r5!.nack(true, false); // multiple: r4 and r5
    const original = drainDeliveries(channel, "dl.q.original-key", true);
    expect(original.map(summary)).toEqual([
      {
        content: "r1-reject",
        exchange: "dl.dlx",
        routingKey: "work.k",
        deaths: [
          { count: 1, exchange: "dl.work", queue: "w1", reason: "rejected", "routing-keys": ["work.k"] },
        ],
        cc: undefined,
      },
      expect.objectContaining({ content: "r2-nack" }),
      {
        content: "r3-nack-expiration",
        exchange: "dl.dlx",
        routingKey: "work.k",
        deaths: [
          {
            count: 1,
            exchange: "dl.work",
            "original-expiration": "60000",
            queue: "w1",
            reason: "rejected",
            "routing-keys": ["work.k"],
          },
        ],
        cc: undefined,
      },
      {
        content: "r4-cc",
        exchange: "dl.dlx",
        routingKey: "work.k",
        deaths: [
          {
            count: 1,
            exchange: "dl.work",
            queue: "w1",
            reason: "rejected",
            "routing-keys": ["work.k", "work.cc"],
          },
        ],
        cc: ["work.cc"],
      },
      expect.objectContaining({ content: "r5-bcc", cc: undefined }),
    ]);
    expect(original[1]!.headers?.custom).toBe("kept");
    expect(original[2]!.properties.expiration).toBeUndefined();
    // BCC keys take part in dead-letter routing (RabbitMQ keeps them in the message's keys).
    expect(drainDeliveries(channel, "dl.q.cc-key").map((d) => d.content)).toEqual(["r4-cc", "r5-bcc"]);
    // A second death: rejected from the original-key DLQ into dl.second.
    original[0]!.reject(false);
    channel.ack(0, true);
    const [final] = drainDeliveries(channel, "dl.q.final");
    expect(summary(final!)).toEqual({
      content: "r1-reject",
      exchange: "dl.second",
      routingKey: "work.k",
      deaths: [
        {
          count: 1,
          exchange: "dl.dlx",
          queue: "dl.q.original-key",
          reason: "rejected",
          "routing-keys": ["work.k"],
        },
        { count: 1, exchange: "dl.work", queue: "w1", reason: "rejected", "routing-keys": ["work.k"] },
      ],
      cc: undefined,
    });
    expect(final!.headers?.["x-first-death-queue"]).toBe("w1");
    broker.checkInvariants();
  });

  it("a dead-letter routing key replaces the keys and drops CC", () => {
    const { broker, channel } = dlBroker();
    broker.publish("dl.work", "w2", "s1-reject");
    broker.publish("dl.work", "w2", "s2-cc", { CC: ["w2.cc"] });
    for (const d of drainDeliveries(channel, "w2", true)) d.reject(false);
    const dead = drainDeliveries(channel, "dl.q.dead-letter-key");
    expect(dead.map(summary)).toEqual([
      {
        content: "s1-reject",
        exchange: "dl.dlx",
        routingKey: "dlk",
        deaths: [{ count: 1, exchange: "dl.work", queue: "w2", reason: "rejected", "routing-keys": ["w2"] }],
        cc: undefined,
      },
      {
        content: "s2-cc",
        exchange: "dl.dlx",
        routingKey: "dlk",
        deaths: [
          { count: 1, exchange: "dl.work", queue: "w2", reason: "rejected", "routing-keys": ["w2", "w2.cc"] },
        ],
        cc: undefined,
      },
    ]);
  });

  it("a missing DLX drops silently; no DLX discards", () => {
    const { sim, broker, channel } = dlBroker();
    broker.publish("dl.work", "w3", "t1");
    broker.publish("dl.work", "w4", "u1");
    const events = recordEvents(sim, ["amqp.drop"]);
    channel.get("w3")!.reject(false);
    channel.get("w4")!.reject(false);
    expect(events.map((e) => e.payload.reason)).toEqual(["dead-letter-exchange-missing", "rejected"]);
    expect(broker.stats()).toMatchObject({ ready: 0, unacked: 0 });
  });

  it("the TTL retry loop: reject → DLX → TTL queue → back to work, x-death counts grow", async () => {
    const { sim, broker, channel } = setup();
    broker.exchange("retry.work", "direct");
    broker.exchange("retry.retry", "fanout");
    broker.queue("work", { deadLetterExchange: "retry.retry" });
    broker.queue("wait", { messageTtl: 30, deadLetterExchange: "retry.work" });
    broker.bind("work", "retry.work", "task");
    broker.bind("wait", "retry.retry");
    const deliveries: Delivery[] = [];
    channel.consume("work", (d) => {
      deliveries.push(d);
      if (deliveries.length <= 3) d.reject(false);
      else d.ack();
    });
    broker.publish("retry.work", "task", "job-1", { headers: { attempt: "original" } });
    await sim.run();
    expect(sim.now).toBe(90);
    expect(deliveries.map((d) => deaths(d))).toEqual([
      [],
      [
        { count: 1, exchange: "retry.retry", queue: "wait", reason: "expired", "routing-keys": ["task"] },
        { count: 1, exchange: "retry.work", queue: "work", reason: "rejected", "routing-keys": ["task"] },
      ],
      [
        { count: 2, exchange: "retry.retry", queue: "wait", reason: "expired", "routing-keys": ["task"] },
        { count: 2, exchange: "retry.work", queue: "work", reason: "rejected", "routing-keys": ["task"] },
      ],
      [
        { count: 3, exchange: "retry.retry", queue: "wait", reason: "expired", "routing-keys": ["task"] },
        { count: 3, exchange: "retry.work", queue: "work", reason: "rejected", "routing-keys": ["task"] },
      ],
    ]);
    expect(deliveries.every((d) => d.exchange === "retry.work" && d.routingKey === "task")).toBe(true);
    expect(deliveries[3]!.headers).toMatchObject({ attempt: "original", "x-first-death-reason": "rejected" });
    expect(broker.stats()).toMatchObject({ ready: 0, unacked: 0 });
  });

  it("drops fully automatic cycles: a TTL queue dead-lettering into itself, or two TTL queues into each other", async () => {
    const { sim, broker } = setup();
    broker.queue("self", { messageTtl: 10, deadLetterExchange: "", deadLetterRoutingKey: "self" });
    broker.exchange("to-b", "fanout");
    broker.exchange("to-a", "fanout");
    broker.queue("a", { messageTtl: 10, deadLetterExchange: "to-b" });
    broker.queue("b", { messageTtl: 10, deadLetterExchange: "to-a" });
    broker.bind("b", "to-b");
    broker.bind("a", "to-a");
    const events = recordEvents(sim, ["amqp.drop", "amqp.dead-letter"]);
    broker.publish("", "self", "s");
    broker.publish("", "a", "x");
    await sim.run();
    expect(
      events.filter((e) => e.type === "amqp.drop").map((e) => [e.payload.queue, e.payload.reason]),
    ).toEqual([
      ["self", "dead-letter-cycle"],
      ["a", "dead-letter-cycle"],
    ]);
    expect(broker.stats()).toMatchObject({ ready: 0, deadLettered: 3 });
  });

  it("never drops a cycle that involves a rejection", () => {
    const { broker, channel } = setup();
    broker.queue("loop", { deadLetterExchange: "", deadLetterRoutingKey: "loop" });
    broker.publish("", "loop", "poison");
    for (let round = 1; round <= 3; round++) {
      const d = channel.get("loop")!;
      expect(deaths(d)[0] ?? null).toEqual(
        round === 1
          ? null
          : { count: round - 1, exchange: "", queue: "loop", reason: "rejected", "routing-keys": ["loop"] },
      );
      d.reject(false);
    }
    expect(broker.getQueue("loop")!.ready).toBe(1);
  });

  it("reports dead-letters as events linking the old and new message", () => {
    const { sim, broker, channel } = setup();
    broker.exchange("dlx", "fanout");
    broker.queue("dlq");
    broker.bind("dlq", "dlx");
    broker.queue("q", { deadLetterExchange: "dlx" });
    broker.publish("", "q", 1);
    const events = recordEvents(sim, ["amqp.dead-letter", "amqp.route", "amqp.enqueue"]);
    channel.get("q")!.reject(false);
    expect(events.map((e) => e.type)).toEqual(["amqp.dead-letter", "amqp.route", "amqp.enqueue"]);
    expect(events[0]!.payload).toEqual({
      queue: "q",
      messageId: 1,
      reason: "rejected",
      exchange: "dlx",
      routingKeys: ["q"],
      deadLetterId: 2,
    });
    expect(events[1]!.payload).toMatchObject({ messageId: 2, deadLetter: true, queues: ["dlq"] });
  });
});
