/**
 * Issue 12, RabbitMQ model: a refusal is coded and changes nothing (no id, no generated name used
 * up), a body the sizer cannot measure is refused at publish, coded errors survive hostile
 * values, exported helpers validate, and an empty consumer tag gets a generated one.
 */
import { describe, expect, it } from "vitest";
import { connect } from "../../src/compat/amqplib/index.js";
import { AmqpBroker } from "../../src/exchange/broker.js";
import { headersMatch } from "../../src/exchange/headers-match.js";
import { topicMatchesReference } from "../../src/exchange/topic-reference.js";
import { TopicTrie } from "../../src/exchange/topic-trie.js";
import { BrokerlabError } from "../../src/scheduler/errors.js";
import { Simulation } from "../../src/scheduler/simulation.js";
import { codeOf } from "../helpers/refusal.js";
import { recordEvents, setup } from "./amqp-helpers.js";

/** Runs `fn`, expecting a coded BrokerlabError; returns its code. */

/** Runs `fn`: it may succeed, but any refusal must be a coded BrokerlabError. */
function neverUncoded(fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(BrokerlabError);
  }
}

const circular: Record<string, unknown> = {};
circular.self = circular;
const HOSTILE: unknown[] = [5n, Symbol("s"), circular, { n: 5n }, null, [1n], () => 1];

describe("issue 12 defect 1: a refused call allocates nothing", () => {
  it("a refused connect leaves the next connection id as it was", () => {
    const plain = setup().broker;
    const refused = setup().broker;
    expect(codeOf(() => refused.connect({ name: 5 as unknown as string }))).toBe("INVALID_ARGUMENT");
    expect(refused.connect().id).toBe(plain.connect().id);
  });

  it("a refused channel leaves the next channel id as it was", () => {
    const plain = setup().connection;
    const refused = setup().connection;
    expect(codeOf(() => refused.channel({ prefetch: -1 }))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => refused.channel({ globalPrefetch: 70_000 }))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => refused.channel({ confirm: 5n as unknown as boolean }))).toBe("INVALID_ARGUMENT");
    const a = plain.channel();
    const b = refused.channel();
    expect(b.id).toBe(a.id);
    expect(b.number).toBe(a.number);
  });

  it("a refused server-named declare leaves the next amq.gen name as it was", () => {
    const plain = setup().broker;
    const refused = setup().broker;
    expect(codeOf(() => refused.queue("", { maxLength: -1 }))).toBe("PRECONDITION_FAILED");
    expect(codeOf(() => refused.queue("", { messageTtl: -5 }))).toBe("PRECONDITION_FAILED");
    const name = refused.queue("").name;
    expect(name).toMatch(/^amq\.gen-[A-Za-z0-9_-]{22}$/);
    expect(name).toBe(plain.queue("").name);
    // The names after it agree too: nothing was drawn twice.
    expect(refused.queue("").name).toBe(plain.queue("").name);
  });

  it("a refused consume leaves the next generated consumer tag as it was", () => {
    const plain = setup();
    const refused = setup();
    plain.broker.queue("jobs");
    refused.broker.queue("jobs");
    expect(codeOf(() => refused.connection.channel().consume("missing", () => undefined))).toBe("NOT_FOUND");
    const a = plain.channel.consume("jobs", () => undefined);
    const b = refused.channel.consume("jobs", () => undefined);
    expect(b.tag).toMatch(/^amq\.ctag-/);
    expect(b.tag).toBe(a.tag);
  });
});

describe("issue 12 defect 2: a body the sizer cannot measure is decided at publish", () => {
  it("publishing { n: 5n } to a byte-limited queue is refused with UNMEASURABLE_BODY, changing nothing", () => {
    const { broker, channel } = setup();
    broker.queue("limited", { maxLengthBytes: 1000 });
    const before = broker.stats();
    expect(codeOf(() => broker.publish("", "limited", { n: 5n }))).toBe("UNMEASURABLE_BODY");
    expect(codeOf(() => channel.publish("", "limited", { n: 5n }))).toBe("UNMEASURABLE_BODY");
    expect(codeOf(() => broker.publish("", "limited", circular))).toBe("UNMEASURABLE_BODY");
    expect(channel.closed).toBe(false);
    expect(broker.stats()).toEqual(before);
    // A measurable body still goes through, with the id the refused ones did not use.
    expect(broker.publish("", "limited", { n: 5 }).queues).toEqual(["limited"]);
    expect(broker.getQueue("limited")!.messages()[0]!.id).toBe(1);
  });

  it("a body that would be dead-lettered into a byte-limited queue is refused at publish, not lost later", async () => {
    const { sim, broker } = setup();
    broker.exchange("dlx", "fanout");
    broker.queue("limited", { maxLengthBytes: 1000 });
    broker.bind("limited", "dlx", "");
    broker.queue("work", { messageTtl: 10, deadLetterExchange: "dlx" });
    const before = broker.stats();
    expect(codeOf(() => broker.publish("", "work", { n: 5n }))).toBe("UNMEASURABLE_BODY");
    expect(broker.stats()).toEqual(before);
    broker.publish("", "work", { n: 5 });
    await sim.run();
    expect(broker.getQueue("limited")!.ready).toBe(1);
  });

  it("a message published before any byte-limited queue existed is dropped with an event, never a TypeError", async () => {
    const { sim, broker } = setup();
    broker.exchange("dlx", "fanout");
    broker.queue("work", { messageTtl: 10, deadLetterExchange: "dlx" });
    broker.publish("", "work", { n: 5n });
    broker.queue("limited", { maxLengthBytes: 1000 });
    broker.bind("limited", "dlx", "");
    const drops = recordEvents(sim, ["amqp.drop"]);
    await sim.run();
    expect(drops.map((d) => d.payload.reason)).toEqual(["dead-letter-unmeasurable"]);
    const stats = broker.stats();
    expect(stats.deadLettered).toBe(1);
    expect(stats.dropped).toBe(1);
    expect(stats.ready).toBe(0);
  });

  it("a sizer that throws is reported with UNMEASURABLE_BODY too", () => {
    const { broker } = setup({
      sizer: () => {
        throw new Error("no size for you");
      },
    });
    broker.queue("limited", { maxLengthBytes: 1000 });
    expect(codeOf(() => broker.publish("", "limited", "x"))).toBe("UNMEASURABLE_BODY");
  });
});

describe("issue 12 defect 3: coded errors survive hostile values", () => {
  it("queue, exchange, channel, consume and publish options with BigInt, Symbol or circular values", () => {
    const { broker, connection } = setup();
    broker.queue("q");
    for (const value of HOSTILE) {
      for (const key of ["durable", "exclusive", "autoDelete"]) {
        codeOf(() => broker.queue(`q-${key}`, { [key]: value }));
      }
      // An integer argument may be a bigint (amqplib encodes it as a long): accepted or coded.
      for (const key of ["messageTtl", "maxLength"]) {
        neverUncoded(() => broker.queue(`q-${key}`, { [key]: value }));
      }
      neverUncoded(() => broker.queue("q-arguments", { arguments: value as Record<string, unknown> }));
      neverUncoded(() =>
        broker.queue(`qa-${String(typeof value)}`, { arguments: { "x-max-length": value } }),
      );
      codeOf(() => broker.queue("qa", { arguments: { "x-message-ttl": { deep: value } } }));
      for (const key of ["durable", "autoDelete", "internal", "alternateExchange"]) {
        codeOf(() => broker.exchange(`e-${key}`, "direct", { [key]: value }));
      }
      codeOf(() => connection.channel({ confirm: value as boolean }));
      codeOf(() => connection.channel().consume("q", () => undefined, { noAck: value as boolean }));
      codeOf(() => connection.channel().publish("", "q", "x", { persistent: value as boolean }));
    }
  });

  it("broker.queue('q', { durable: 5n }) is refused with a message that names the value", () => {
    const { broker } = setup();
    expect(() => broker.queue("q", { durable: 5n as unknown as boolean })).toThrow(
      /durable must be a boolean, got 5n/,
    );
    expect(broker.getQueue("q")).toBeUndefined();
  });

  it("new AmqpBroker(null) is a coded error", () => {
    expect(codeOf(() => new AmqpBroker(null as unknown as Simulation))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => new AmqpBroker(5n as unknown as Simulation))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => new AmqpBroker({} as Simulation))).toBe("INVALID_ARGUMENT");
  });

  it("topicMatchesReference validates its keys", () => {
    for (const value of [0, ...HOSTILE, undefined]) {
      expect(codeOf(() => topicMatchesReference(value as string, "a"))).toBe("INVALID_ARGUMENT");
      expect(codeOf(() => topicMatchesReference("a", value as string))).toBe("INVALID_ARGUMENT");
    }
    expect(topicMatchesReference("a.*", "a.b")).toBe(true);
  });

  it("TopicTrie validates keys and leaves itself unchanged on a refusal", () => {
    const trie = new TopicTrie<string>();
    trie.add("a.#", "q1");
    for (const value of [0, ...HOSTILE, undefined]) {
      expect(codeOf(() => trie.add(value as string, "q2"))).toBe("INVALID_ARGUMENT");
      expect(codeOf(() => trie.remove(value as string, "q1"))).toBe("INVALID_ARGUMENT");
      expect(codeOf(() => trie.has(value as string, "q1"))).toBe("INVALID_ARGUMENT");
      expect(codeOf(() => trie.match(value as string, new Set()))).toBe("INVALID_ARGUMENT");
    }
    expect(codeOf(() => trie.match("a.b", [] as unknown as Set<string>))).toBe("INVALID_ARGUMENT");
    expect(trie.size).toBe(1);
    const out = new Set<string>();
    trie.match("a.b", out);
    expect([...out]).toEqual(["q1"]);
  });

  it("headersMatch validates its arguments", () => {
    for (const value of [0, "x", 5n, Symbol("s"), null, [1]]) {
      expect(codeOf(() => headersMatch(value as unknown as Record<string, unknown>, {}))).toBe(
        "INVALID_ARGUMENT",
      );
      expect(codeOf(() => headersMatch({}, value as unknown as Record<string, unknown>))).toBe(
        "INVALID_ARGUMENT",
      );
    }
    expect(codeOf(() => headersMatch({ "x-match": 5n }, {}))).toBe("PRECONDITION_FAILED");
    expect(headersMatch({ a: 1 }, { a: 1 })).toBe(true);
    expect(headersMatch({}, undefined)).toBe(true);
  });
});

describe("issue 12 defect 5b: an empty consumer tag gets a server-generated one", () => {
  it("native channel: consume({ consumerTag: '' }) gets amq.ctag-…", () => {
    const { broker, channel } = setup();
    broker.queue("jobs");
    const first = channel.consume("jobs", () => undefined, { consumerTag: "" });
    const second = channel.consume("jobs", () => undefined, { consumerTag: "" });
    expect(first.tag).toMatch(/^amq\.ctag-[A-Za-z0-9_-]{22}$/);
    expect(second.tag).toMatch(/^amq\.ctag-[A-Za-z0-9_-]{22}$/);
    expect(second.tag).not.toBe(first.tag);
  });

  it("amqplib facade: consume with consumerTag '' resolves to a generated tag", async () => {
    const simulation = new Simulation({ start: 0, seed: 3 });
    const connection = await connect("amqp://localhost", { simulation });
    const channel = await connection.createChannel();
    await channel.assertQueue("jobs");
    const { consumerTag } = await channel.consume("jobs", () => undefined, { consumerTag: "" });
    expect(consumerTag).toMatch(/^amq\.ctag-[A-Za-z0-9_-]{22}$/);
    await connection.close();
  });
});
