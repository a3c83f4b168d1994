import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { OverflowMode } from "../../src/exchange/arguments.js";
import { AmqpBroker } from "../../src/exchange/broker.js";
import type { AmqpChannel } from "../../src/exchange/channel.js";
import type { AmqpConnection } from "../../src/exchange/connection.js";
import { topicMatchesReference } from "../../src/exchange/topic-reference.js";
import type { Delivery } from "../../src/queue/delivery.js";
import { Simulation } from "../../src/scheduler/simulation.js";

const word = fc.constantFrom("a", "b", "", "*", "#", "ab", "a#b");
const bindingKey = fc.array(word, { maxLength: 5 }).map((words) => words.join("."));
const routingWord = fc.constantFrom("a", "b", "", "ab", "*", "#", "x");
const routingKey = fc.array(routingWord, { maxLength: 5 }).map((words) => words.join("."));

describe("property: topic routing in the broker agrees with the reference matcher", () => {
  it("every queue gets a message exactly when one of its binding keys matches", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(bindingKey, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 12 }),
        fc.array(routingKey, { minLength: 1, maxLength: 12 }),
        (queuesKeys, routingKeys) => {
          const sim = new Simulation({ start: 0, seed: 1 });
          const broker = new AmqpBroker(sim);
          broker.exchange("t", "topic");
          queuesKeys = queuesKeys.map((keys) => [...new Set(keys)]);
          queuesKeys.forEach((keys, i) => {
            broker.queue(`q${i}`);
            for (const key of keys) broker.bind(`q${i}`, "t", key);
          });
          for (const key of routingKeys) {
            const expected = queuesKeys
              .map((keys, i) => (keys.some((b) => topicMatchesReference(b, key)) ? `q${i}` : null))
              .filter((q): q is string => q !== null);
            expect(broker.publish("t", key, key).queues.sort()).toEqual(expected.sort());
          }
          // Unbinding half the keys keeps agreement.
          queuesKeys.forEach((keys, i) => {
            for (const key of keys.slice(0, 1)) broker.unbind(`q${i}`, "t", key);
          });
          for (const key of routingKeys) {
            const expected = queuesKeys
              .map((keys, i) => (keys.slice(1).some((b) => topicMatchesReference(b, key)) ? `q${i}` : null))
              .filter((q): q is string => q !== null);
            expect(broker.publish("t", key, key).queues.sort()).toEqual(expected.sort());
          }
          broker.checkInvariants();
        },
      ),
      { numRuns: 300 },
    );
  });
});

// ---------------------------------------------------------------------------------------- conservation

type Behaviour = "ack" | "requeue-once" | "reject" | "hold";
type Settle = "ack" | "nack-requeue" | "nack-drop" | "reject-requeue" | "reject-drop";

type Op =
  | { op: "publish"; key: number; expiration: number | null; mandatory: boolean; channel: number }
  | { op: "get"; channel: number; queue: number; noAck: boolean }
  | { op: "settle"; channel: number; pick: "first" | "last"; kind: Settle; multiple: boolean }
  | { op: "consume"; channel: number; queue: number; prefetch: number; noAck: boolean; behaviour: Behaviour }
  | { op: "cancel"; channel: number }
  | { op: "close-channel"; channel: number }
  | { op: "close-connection"; connection: number }
  | { op: "advance"; ms: number }
  | { op: "recover"; channel: number };

const QUEUES = ["plain", "ttl", "bounded", "quorum", "dlq"] as const;
const KEYS = ["a.b", "a.c", "x.b", "a.b.c", "z", "a.x.c"] as const;

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({
      op: fc.constant("publish" as const),
      key: fc.nat(KEYS.length - 1),
      expiration: fc.option(fc.integer({ min: 0, max: 80 }), { nil: null }),
      mandatory: fc.boolean(),
      channel: fc.nat(3),
    }),
    weight: 6,
  },
  {
    arbitrary: fc.record({
      op: fc.constant("get" as const),
      channel: fc.nat(3),
      queue: fc.nat(4),
      noAck: fc.boolean(),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      op: fc.constant("settle" as const),
      channel: fc.nat(3),
      pick: fc.constantFrom("first" as const, "last" as const),
      kind: fc.constantFrom<Settle>("ack", "nack-requeue", "nack-drop", "reject-requeue", "reject-drop"),
      multiple: fc.boolean(),
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      op: fc.constant("consume" as const),
      channel: fc.nat(3),
      queue: fc.nat(4),
      prefetch: fc.nat(3),
      noAck: fc.boolean(),
      behaviour: fc.constantFrom<Behaviour>("ack", "requeue-once", "reject", "hold"),
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ op: fc.constant("cancel" as const), channel: fc.nat(3) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant("close-channel" as const), channel: fc.nat(3) }), weight: 1 },
  {
    arbitrary: fc.record({ op: fc.constant("close-connection" as const), connection: fc.nat(1) }),
    weight: 1,
  },
  {
    arbitrary: fc.record({ op: fc.constant("advance" as const), ms: fc.integer({ min: 0, max: 60 }) }),
    weight: 3,
  },
  { arbitrary: fc.record({ op: fc.constant("recover" as const), channel: fc.nat(3) }), weight: 1 },
);

interface Copy {
  enqueued: boolean;
  terminal: string[];
  deliveries: Array<{ redelivered: boolean; noAck: boolean }>;
  outstanding: number;
}

/** Runs one generated scenario and checks conservation; returns a description of the first problem. */
async function runScenario(ops: Op[], overflow: OverflowMode, seed: number): Promise<void> {
  const sim = new Simulation({ start: 0, seed });
  const broker = new AmqpBroker(sim);
  broker.exchange("work", "topic");
  broker.exchange("dlx", "fanout");
  broker.queue("plain");
  broker.queue("ttl", { messageTtl: 50, deadLetterExchange: "dlx" });
  broker.queue("bounded", { maxLength: 3, overflow, deadLetterExchange: "dlx" });
  broker.queue("quorum", { durable: true, type: "quorum", deliveryLimit: 2, deadLetterExchange: "dlx" });
  broker.queue("dlq", { maxLength: 6 });
  broker.bind("plain", "work", "a.*");
  broker.bind("ttl", "work", "*.b");
  broker.bind("bounded", "work", "a.#");
  broker.bind("quorum", "work", "#.c");
  broker.bind("dlq", "dlx");

  // Accounting from events only.
  const copies = new Map<string, Copy>();
  const copy = (id: number, queue: string): Copy => {
    const key = `${id}@${queue}`;
    let found = copies.get(key);
    if (found === undefined) {
      found = { enqueued: false, terminal: [], deliveries: [], outstanding: 0 };
      copies.set(key, found);
    }
    return found;
  };
  const routedTo = new Map<number, string[]>();
  const refusals = new Map<string, string>();
  const cycleDrops = new Set<string>();
  const published = new Set<number>();
  sim.bus.on("amqp.publish", (e) => published.add(e.messageId));
  sim.bus.on("amqp.route", (e) => routedTo.set(e.messageId, e.queues));
  sim.bus.on("amqp.enqueue", (e) => {
    const c = copy(e.messageId, e.queue);
    expect(c.enqueued).toBe(false);
    c.enqueued = true;
  });
  sim.bus.on("amqp.deliver", (e) => {
    const c = copy(e.messageId, e.queue);
    expect(c.enqueued).toBe(true);
    expect(c.terminal).toEqual([]);
    // Never two deliveries of one copy outstanding; a later delivery is always flagged.
    expect(c.outstanding).toBe(0);
    if (c.deliveries.length > 0) expect(e.redelivered).toBe(true);
    c.deliveries.push({ redelivered: e.redelivered, noAck: e.noAck });
    if (e.noAck) c.terminal.push("deliver-no-ack");
    else c.outstanding = 1;
  });
  sim.bus.on("amqp.requeue", (e) => {
    const c = copy(e.messageId, e.queue);
    expect(c.outstanding).toBe(1);
    c.outstanding = 0;
  });
  sim.bus.on("amqp.ack", (e) => {
    const c = copy(e.messageId, e.queue);
    expect(c.outstanding).toBe(1);
    c.outstanding = 0;
    c.terminal.push("ack");
  });
  sim.bus.on("amqp.nack", (e) => {
    if (e.requeue) return;
    const c = copy(e.messageId, e.queue);
    expect(c.outstanding).toBe(1);
    c.outstanding = 0;
  });
  sim.bus.on("amqp.dead-letter", (e) => {
    const c = copy(e.messageId, e.queue);
    if (c.enqueued) {
      c.outstanding = 0;
      c.terminal.push(`dead-letter:${e.reason}`);
    } else {
      refusals.set(`${e.messageId}@${e.queue}`, `dead-letter:${e.reason}`);
    }
  });
  sim.bus.on("amqp.drop", (e) => {
    if (e.queue === null) return;
    const key = `${e.messageId}@${e.queue}`;
    if (e.reason === "dead-letter-cycle") {
      cycleDrops.add(key);
      return;
    }
    const c = copy(e.messageId, e.queue);
    if (c.enqueued) {
      c.outstanding = 0;
      c.terminal.push(`drop:${e.reason}`);
    } else {
      refusals.set(key, `drop:${e.reason}`);
    }
  });

  const connections: AmqpConnection[] = [broker.connect(), broker.connect()];
  const channels: AmqpChannel[] = [0, 1, 2, 3].map((i) => connections[i % 2]!.channel());
  const held = new Map<AmqpChannel, Delivery[]>();
  const channelAt = (i: number): AmqpChannel => {
    let channel = channels[i]!;
    if (channel.closed) {
      let connection = connections[i % 2]!;
      if (connection.closed) connection = connections[i % 2] = broker.connect();
      channel = channels[i] = connection.channel();
    }
    return channel;
  };
  const remember = (channel: AmqpChannel, d: Delivery) => {
    const list = held.get(channel) ?? [];
    list.push(d);
    held.set(channel, list);
  };

  for (const step of ops) {
    switch (step.op) {
      case "publish": {
        const channel = channelAt(step.channel);
        channel.publish("work", KEYS[step.key]!, `m`, {
          mandatory: step.mandatory,
          ...(step.expiration === null ? {} : { expiration: step.expiration }),
        });
        break;
      }
      case "get": {
        const channel = channelAt(step.channel);
        const d = channel.get(QUEUES[step.queue]!, { noAck: step.noAck });
        if (d !== null && !step.noAck) remember(channel, d);
        break;
      }
      case "settle": {
        const channel = channelAt(step.channel);
        const open = channel.unackedDeliveries();
        if (open.length === 0) break;
        const target = step.pick === "first" ? open[0]! : open[open.length - 1]!;
        const multiple = step.multiple && !step.kind.startsWith("reject");
        if (step.kind === "ack") channel.ack(target, multiple);
        else if (step.kind === "nack-requeue") channel.nack(target, multiple, true);
        else if (step.kind === "nack-drop") channel.nack(target, multiple, false);
        else if (step.kind === "reject-requeue") channel.reject(target, true);
        else channel.reject(target, false);
        break;
      }
      case "consume": {
        const channel = channelAt(step.channel);
        const queue = QUEUES[step.queue]!;
        // A quorum queue refuses consumers on a channel with a global prefetch; none here.
        channel.consume(
          queue,
          (d) => {
            // The generated settle steps may have settled it before the handler's turn.
            if (step.noAck || d.settled) return;
            if (step.behaviour === "ack") d.ack();
            else if (step.behaviour === "reject") d.reject(false);
            else if (step.behaviour === "requeue-once") {
              if (d.redelivered) d.ack();
              else d.nack(false, true);
            }
          },
          { prefetch: step.prefetch, noAck: step.noAck },
        );
        break;
      }
      case "cancel": {
        const channel = channelAt(step.channel);
        const [first] = channel.consumers.keys();
        if (first !== undefined) channel.cancel(first);
        break;
      }
      case "close-channel":
        channelAt(step.channel).close();
        break;
      case "close-connection":
        connections[step.connection]!.close();
        break;
      case "advance":
        await sim.runFor(step.ms);
        break;
      case "recover":
        channelAt(step.channel).recover();
        break;
    }
    broker.checkInvariants();
  }
  await sim.run();
  broker.checkInvariants();

  // Every published message was routed; every route target got exactly one fate.
  for (const id of published) expect(routedTo.has(id)).toBe(true);
  for (const [id, queues] of routedTo) {
    for (const queue of queues) {
      const key = `${id}@${queue}`;
      const c = copies.get(key);
      const fates = [
        c?.enqueued ? "enqueued" : null,
        refusals.get(key) ?? null,
        cycleDrops.has(key) ? "cycle" : null,
      ].filter((fate) => fate !== null);
      expect(fates.length, key).toBe(1);
    }
  }
  // Every stay ended at most once; the ones not ended are exactly what the broker still holds.
  const present = new Set<string>();
  for (const name of QUEUES) {
    for (const m of broker.getQueue(name)!.messages()) present.add(`${m.id}@${name}`);
  }
  for (const connection of broker.connections) {
    for (const channel of connection.channels) {
      for (const d of channel.unackedDeliveries()) present.add(`${d.id}@${d.queue}`);
    }
  }
  for (const [key, c] of copies) {
    if (!c.enqueued) continue;
    expect(c.terminal.length, `${key}: ${c.terminal.join(", ")}`).toBeLessThanOrEqual(1);
    expect(present.has(key), `${key} held=${present.has(key)} ended=${c.terminal.join(",")}`).toBe(
      c.terminal.length === 0,
    );
  }
  const stats = broker.stats();
  expect(stats.ready + stats.unacked).toBe(present.size);
}

describe("property: conservation", () => {
  it("every message is acked, dead-lettered, expired/dropped, or still held — never lost, never silently duplicated", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(opArb, { minLength: 5, maxLength: 120, size: "large" }),
        fc.constantFrom<OverflowMode>("drop-head", "reject-publish", "reject-publish-dlx"),
        fc.integer({ min: 1, max: 1000 }),
        async (ops, overflow, seed) => {
          await runScenario(ops, overflow, seed);
        },
      ),
      { numRuns: 250 },
    );
  });
});
