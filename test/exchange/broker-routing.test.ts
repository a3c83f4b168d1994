import { describe, expect, it } from "vitest";
import { AmqpError } from "../../src/exchange/amqp-error.js";
import type { ReturnedMessage } from "../../src/exchange/channel.js";
import { drain, recordEvents, setup } from "./amqp-helpers.js";

describe("exchanges: direct, fanout, topic, headers", () => {
  it("direct routes by exact key to every queue bound with it", () => {
    const { broker, channel } = setup();
    broker.exchange("d", "direct");
    for (const q of ["q1", "q2", "q3"]) broker.queue(q);
    broker.bind("q1", "d", "k");
    broker.bind("q2", "d", "k");
    broker.bind("q3", "d", "other");
    expect(broker.publish("d", "k", "m").queues).toEqual(["q1", "q2"]);
    expect(broker.publish("d", "other", "n").queues).toEqual(["q3"]);
    expect(broker.publish("d", "none", "x").queues).toEqual([]);
    expect(drain(channel, "q1")).toEqual(["m"]);
    expect(drain(channel, "q3")).toEqual(["n"]);
    broker.checkInvariants();
  });

  it("fanout ignores the key", () => {
    const { broker } = setup();
    broker.exchange("f", "fanout");
    broker.queue("a");
    broker.queue("b");
    broker.bind("a", "f", "x");
    broker.bind("b", "f", "");
    expect(broker.publish("f", "anything", 1).queues.sort()).toEqual(["a", "b"]);
  });

  it("topic follows RabbitMQ's word rules (illustrations from the reference)", () => {
    const { broker } = setup();
    broker.exchange("t", "topic");
    const bindings = ["stock.*.nyse", "log.#", "*.x", "#", "*"];
    bindings.forEach((key, i) => {
      broker.queue(`t${i}`);
      broker.bind(`t${i}`, "t", key);
    });
    const routed = (key: string) =>
      broker
        .publish("t", key, key)
        .queues.map((q) => bindings[Number(q.slice(1))])
        .sort();
    expect(routed("stock.ibm.nyse")).toEqual(["#", "stock.*.nyse"].sort());
    expect(routed("stock.nyse")).toEqual(["#"]);
    expect(routed("log")).toEqual(["#", "*", "log.#"].sort());
    expect(routed(".x")).toEqual(["#", "*.x"].sort());
    expect(routed("")).toEqual(["#"]);
  });

  it("a queue bound by several matching keys gets one copy", () => {
    const { broker, channel } = setup();
    broker.exchange("t", "topic");
    broker.queue("overlap");
    for (const key of ["a.*", "*.b", "a.#", "#", "a.b"]) broker.bind("overlap", "t", key);
    broker.publish("t", "a.b", "once");
    expect(drain(channel, "overlap")).toEqual(["once"]);
  });

  it("bindings differing only in arguments are distinct; unbinding one keeps the other", () => {
    const { broker } = setup();
    broker.exchange("t", "topic");
    broker.queue("q");
    broker.bind("q", "t", "a.*", { v: 1 });
    broker.bind("q", "t", "a.*", { v: 2 });
    broker.bind("q", "t", "a.*", { v: 2 }); // idempotent
    expect(broker.getExchange("t")!.bindingCount).toBe(2);
    broker.unbind("q", "t", "a.*", { v: 1 });
    expect(broker.publish("t", "a.b", 1).queues).toEqual(["q"]);
    broker.unbind("q", "t", "a.*", { v: 2 });
    expect(broker.publish("t", "a.b", 1).queues).toEqual([]);
    broker.unbind("q", "t", "a.*", { v: 2 }); // absent: no error
    broker.checkInvariants();
  });

  it("headers: x-match modes, void arguments, string vs number, 3.10 numeric equality", () => {
    const { broker } = setup();
    broker.exchange("h", "headers");
    const bind = (q: string, args: Record<string, unknown>) => {
      broker.queue(q);
      broker.bind(q, "h", "ignored", args);
    };
    bind("all", { "x-match": "all", a: 1, b: "x" });
    bind("any", { "x-match": "any", a: 1, b: "x" });
    bind("void", { p: null });
    bind("num", { n: 1 });
    bind("withx", { "x-match": "all-with-x", "x-k": "v" });
    const to = (headers: Record<string, unknown> | undefined) =>
      broker.publish("h", "k", 0, headers === undefined ? undefined : { headers }).queues.sort();
    expect(to({ a: 1, b: "x" })).toEqual(["all", "any"]);
    expect(to({ a: 1 })).toEqual(["any"]);
    expect(to({ p: "anything" })).toEqual(["void"]);
    expect(to({ n: "1" })).toEqual([]);
    expect(to({ n: { "!": "double", value: 1 } })).toEqual(["num"]);
    expect(to({ "x-k": "v" })).toEqual(["withx"]);
    expect(to(undefined)).toEqual([]);
  });

  it("headers: the exact-equality option follows later releases (1 ≠ 1.0)", () => {
    const { broker } = setup({ headersNumericEquality: "exact" });
    broker.exchange("h", "headers");
    broker.queue("num");
    broker.bind("num", "h", "", { n: 1 });
    expect(broker.publish("h", "", 0, { headers: { n: { "!": "double", value: 1 } } }).queues).toEqual([]);
    expect(broker.publish("h", "", 0, { headers: { n: 1 } }).queues).toEqual(["num"]);
  });

  it("headers: an invalid x-match is a 406 at bind time", () => {
    const { broker, channel } = setup();
    broker.exchange("h", "headers");
    broker.queue("q");
    expect(() => channel.bind("q", "h", "", { "x-match": "bogus" })).toThrow(
      expect.objectContaining({ code: "PRECONDITION_FAILED" }),
    );
    expect(channel.closed).toBe(true);
    expect(broker.getExchange("h")!.bindingCount).toBe(0);
  });
});

describe("the default exchange and amq.* exchanges", () => {
  it("routes by queue name; a missing name is unroutable", () => {
    const { broker, channel } = setup();
    broker.queue("jobs");
    channel.sendToQueue("jobs", "a");
    channel.publish("", "missing", "b");
    expect(drain(channel, "jobs")).toEqual(["a"]);
    expect(broker.stats().unroutable).toBe(1);
  });

  it("binding to or from it is 403, and so are declaring or deleting it", () => {
    const { broker } = setup();
    broker.queue("q");
    broker.exchange("x", "direct");
    const expect403 = (fn: () => unknown) =>
      expect(fn).toThrow(
        expect.objectContaining({
          code: "ACCESS_REFUSED",
          details: expect.objectContaining({ replyCode: 403 }),
        }),
      );
    expect403(() => broker.bind("q", "", "q"));
    expect403(() => broker.bindExchange("x", "", "k"));
    expect403(() => broker.bindExchange("", "x", "k"));
    expect403(() => broker.exchange("", "direct"));
    expect403(() => broker.deleteExchange(""));
  });

  it("amq.* exchanges exist; equivalent redeclaration works; new amq.* names and deletion are 403", () => {
    const { broker } = setup();
    for (const [name, type] of [
      ["amq.direct", "direct"],
      ["amq.fanout", "fanout"],
      ["amq.topic", "topic"],
      ["amq.headers", "headers"],
      ["amq.match", "headers"],
    ] as const) {
      expect(broker.getExchange(name)?.type).toBe(type);
      expect(broker.exchange(name, type, { durable: true }).name).toBe(name);
    }
    expect(() => broker.exchange("amq.custom", "direct")).toThrow(
      expect.objectContaining({ code: "ACCESS_REFUSED" }),
    );
    expect(() => broker.queue("amq.custom")).toThrow(expect.objectContaining({ code: "ACCESS_REFUSED" }));
    expect(() => broker.deleteExchange("amq.direct")).toThrow(
      expect.objectContaining({ code: "ACCESS_REFUSED" }),
    );
    broker.queue("q");
    broker.bind("q", "amq.topic", "a.#");
    expect(broker.publish("amq.topic", "a.b", 1).queues).toEqual(["q"]);
  });

  it("publishing to an internal exchange is 403; it still routes what reaches it by binding", () => {
    const { broker, channel } = setup();
    broker.exchange("inner", "fanout", { internal: true });
    broker.exchange("outer", "fanout");
    broker.bindExchange("inner", "outer");
    broker.queue("q");
    broker.bind("q", "inner");
    expect(broker.publish("outer", "", "via-binding").queues).toEqual(["q"]);
    expect(() => channel.publish("inner", "", "direct")).toThrow(AmqpError);
    expect(channel.closed).toBe(true);
  });
});

describe("alternate exchanges and exchange-to-exchange bindings", () => {
  it("chains alternate exchanges, each tried once; a dangling AE or an AE cycle is unroutable", async () => {
    const { sim, broker, connection } = setup();
    broker.exchange("last", "fanout");
    broker.exchange("middle", "direct", { alternateExchange: "last" });
    broker.exchange("main", "direct", { alternateExchange: "middle" });
    broker.queue("q-main");
    broker.queue("q-middle");
    broker.queue("q-last");
    broker.bind("q-main", "main", "k1");
    broker.bind("q-middle", "middle", "k2");
    broker.bind("q-last", "last");
    broker.exchange("dangling", "direct", { alternateExchange: "nonexistent" });
    broker.exchange("cycle-a", "direct", { alternateExchange: "cycle-b" });
    broker.exchange("cycle-b", "direct", { alternateExchange: "cycle-a" });

    const pub = connection.channel({ confirm: true });
    const events: string[] = [];
    pub.on("return", (r: ReturnedMessage) => events.push(`return:${String(r.content)}@${r.exchange}`));
    pub.on("ack", (seq) => events.push(`ack:${seq}`));
    pub.publish("main", "k1", "a1", { mandatory: true });
    pub.publish("main", "k2", "a2", { mandatory: true });
    pub.publish("main", "k3", "a3", { mandatory: true });
    pub.publish("dangling", "k", "a4", { mandatory: true });
    pub.publish("cycle-a", "k", "a5", { mandatory: true });
    await sim.run();
    const ch = connection.channel();
    expect(drain(ch, "q-main")).toEqual(["a1"]);
    expect(drain(ch, "q-middle")).toEqual(["a2"]);
    expect(drain(ch, "q-last")).toEqual(["a3"]);
    expect(events).toEqual([
      "ack:1",
      "ack:2",
      "ack:3",
      "return:a4@dangling",
      "ack:4",
      "return:a5@cycle-a",
      "ack:5",
    ]);
  });

  it("keeps the original exchange and key on messages routed through an AE", () => {
    const { broker, channel } = setup();
    broker.exchange("alt", "fanout");
    broker.exchange("main", "direct", { alternateExchange: "alt" });
    broker.queue("q");
    broker.bind("q", "alt");
    broker.publish("main", "k3", "a3");
    const d = channel.get("q")!;
    expect([d.exchange, d.routingKey]).toEqual(["main", "k3"]);
  });

  it("an exchange whose only match is an exchange binding does not use its own AE", () => {
    const { broker } = setup();
    broker.exchange("via-alt", "fanout");
    broker.exchange("via-dest", "fanout");
    broker.exchange("via", "direct", { alternateExchange: "via-alt" });
    broker.queue("q-alt");
    broker.bind("q-alt", "via-alt");
    broker.bindExchange("via-dest", "via", "z");
    const z = broker.publish("via", "z", "a6", { mandatory: true });
    expect(z).toMatchObject({ queues: [], returned: true });
    expect(broker.publish("via", "y", "a7", { mandatory: true }).queues).toEqual(["q-alt"]);
  });

  it("e2e: one copy per queue over several paths, publisher's exchange kept, cycles harmless", () => {
    const { broker, channel } = setup();
    broker.exchange("source", "topic");
    broker.exchange("fan", "fanout");
    broker.exchange("direct", "direct");
    broker.exchange("loop", "fanout");
    broker.bindExchange("fan", "source", "a.#");
    broker.bindExchange("direct", "source", "#");
    broker.bindExchange("loop", "source", "a.b");
    broker.bindExchange("source", "loop", "");
    for (const q of ["shared", "fan-only", "direct-only"]) broker.queue(q);
    broker.bind("shared", "source", "a.b");
    broker.bind("shared", "fan");
    broker.bind("shared", "direct", "a.b");
    broker.bind("fan-only", "fan");
    broker.bind("direct-only", "direct", "c");
    broker.publish("source", "a.b", "e1");
    broker.publish("source", "a.c", "e2");
    broker.publish("source", "c", "e3");
    expect(broker.publish("source", "d", "e4", { mandatory: true }).returned).toBe(true);
    broker.publish("fan", "whatever", "e5");
    expect(broker.publish("loop", "zzz", "e6", { mandatory: true }).returned).toBe(true);
    const shared = channel.get("shared")!;
    expect(shared.exchange).toBe("source");
    shared.ack();
    expect(drain(channel, "shared")).toEqual(["e2", "e5"]);
    expect(drain(channel, "fan-only")).toEqual(["e1", "e2", "e5"]);
    expect(drain(channel, "direct-only")).toEqual(["e3"]);
    broker.checkInvariants();
  });

  it("deleting an exchange removes its bindings both ways; auto-delete exchanges go with their last binding", () => {
    const { broker } = setup();
    broker.exchange("src", "fanout");
    broker.exchange("auto", "fanout", { autoDelete: true });
    broker.queue("q");
    broker.bindExchange("auto", "src");
    broker.bind("q", "auto");
    expect(broker.publish("src", "", 1).queues).toEqual(["q"]);
    broker.deleteQueue("q");
    expect(broker.getExchange("auto")).toBeUndefined();
    expect(broker.getExchange("src")!.bindingCount).toBe(0);
    broker.checkInvariants();
  });
});

describe("CC and BCC", () => {
  it("CC and BCC add routing keys; BCC is stripped, CC kept", () => {
    const { broker, channel } = setup();
    broker.exchange("d", "direct");
    for (const q of ["main", "cc", "bcc"]) {
      broker.queue(q);
      broker.bind(q, "d", q);
    }
    expect(broker.publish("d", "main", "m", { CC: ["cc"], BCC: "bcc" }).queues).toEqual([
      "main",
      "cc",
      "bcc",
    ]);
    const viaBcc = channel.get("bcc")!;
    expect(viaBcc.headers).toEqual({ CC: ["cc"] });
    expect(viaBcc.routingKey).toBe("main");
    expect(
      broker.publish("d", "main", "n", { headers: { CC: ["cc"], BCC: ["bcc"], h: 1 } }).queues.length,
    ).toBe(3);
  });

  it("CC works with the default exchange", () => {
    const { broker } = setup();
    broker.queue("a");
    broker.queue("b");
    expect(broker.publish("", "a", 1, { CC: ["b"] }).queues).toEqual(["a", "b"]);
  });

  it("a CC header that is not an array is a 406", () => {
    const { broker, channel } = setup();
    broker.queue("a");
    expect(() => channel.publish("", "a", 1, { headers: { CC: "b" } })).toThrow(
      expect.objectContaining({ code: "PRECONDITION_FAILED" }),
    );
    expect(broker.getQueue("a")!.ready).toBe(0);
  });
});

describe("mandatory returns and publisher confirms", () => {
  it("returns precede acks; non-mandatory unroutable messages are acked silently", async () => {
    const { sim, broker, connection } = setup();
    broker.queue("q");
    const pub = connection.channel({ confirm: true });
    const order: string[] = [];
    pub.on("return", (r) => order.push(`return:${String(r.content)}:${r.replyCode}:${r.replyText}`));
    pub.on("ack", (seq) => order.push(`ack:${seq}`));
    pub.on("nack", (seq) => order.push(`nack:${seq}`));
    expect(pub.sendToQueue("q", "d1")).toBe(1);
    expect(pub.publish("", "missing", "d2", { mandatory: true })).toBe(2);
    pub.publish("", "missing", "d3");
    await sim.run();
    expect(order).toEqual(["ack:1", "return:d2:312:NO_ROUTE", "ack:2", "ack:3"]);
  });

  it("returns also reach plain channels; publish returns 0 outside confirm mode", async () => {
    const { sim, channel } = setup();
    const returns: string[] = [];
    channel.on("return", (r) => returns.push(r.routingKey));
    expect(channel.publish("", "nobody", 1, { mandatory: true })).toBe(0);
    await sim.run();
    expect(returns).toEqual(["nobody"]);
  });

  it("a publish one target refuses is nacked while the other keeps its copy", async () => {
    const { sim, broker, connection } = setup();
    broker.exchange("fan", "fanout");
    broker.queue("full", { maxLength: 1, overflow: "reject-publish" });
    broker.queue("roomy");
    broker.bind("full", "fan");
    broker.bind("roomy", "fan");
    const pub = connection.channel({ confirm: true });
    const outcomes: string[] = [];
    pub.on("ack", (seq) => outcomes.push(`ack:${seq}`));
    pub.on("nack", (seq) => outcomes.push(`nack:${seq}`));
    pub.publish("fan", "", "fan-1");
    pub.publish("fan", "", "fan-2");
    // As with a real broker, a promise that will reject needs its handler before the clock moves:
    // the drive crosses macrotask boundaries, where Node reports rejections nobody handled yet.
    const waiting = expect(pub.waitForConfirms()).rejects.toMatchObject({ code: "PUBLISH_NACKED" });
    await sim.run();
    await waiting;
    expect(outcomes).toEqual(["ack:1", "nack:2"]);
    const ch = connection.channel();
    expect(drain(ch, "full")).toEqual(["fan-1"]);
    expect(drain(ch, "roomy")).toEqual(["fan-1", "fan-2"]);
    expect(broker.stats()).toMatchObject({ confirmsAcked: 1, confirmsNacked: 1, refused: 1 });
  });

  it("waitForConfirms resolves when all were acked, and needs confirm mode", async () => {
    const { sim, broker, connection, channel } = setup();
    broker.queue("q");
    const pub = connection.channel();
    expect(() => pub.waitForConfirms()).toThrow(expect.objectContaining({ code: "NOT_CONFIRM_MODE" }));
    pub.confirm();
    pub.sendToQueue("q", 1);
    const waiting = pub.waitForConfirms();
    await sim.run();
    await expect(waiting).resolves.toBeUndefined();
    expect(channel.confirmMode).toBe(false);
  });

  it("emits route, publish, return and confirm events", async () => {
    const { sim, broker, connection } = setup();
    broker.queue("q");
    const events = recordEvents(sim, ["amqp.publish", "amqp.route", "amqp.return", "amqp.confirm"]);
    const pub = connection.channel({ confirm: true });
    pub.sendToQueue("q", 1);
    pub.publish("", "zz", 2, { mandatory: true });
    await sim.run();
    expect(events.map((e) => e.type)).toEqual([
      "amqp.publish",
      "amqp.route",
      "amqp.confirm",
      "amqp.publish",
      "amqp.route",
      "amqp.return",
      "amqp.confirm",
    ]);
    expect(events[1]!.payload).toMatchObject({ queues: ["q"], deadLetter: false });
  });
});
