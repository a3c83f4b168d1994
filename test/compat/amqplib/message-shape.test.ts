/**
 * Message shapes: what the facade hands to application code must be what amqplib hands to it
 * for the same publish after a trip through RabbitMQ. The reference is amqplib's own code
 * (api_args.js, defs.js, codec.js from node_modules), run on the same options.
 */
import { describe, expect, it } from "vitest";
import type { ConsumeMessage, Options, ReturnMessage } from "../../../src/compat/amqplib/index.js";
import { connect } from "../../../src/compat/amqplib/index.js";
import { Simulation } from "../../../src/scheduler/simulation.js";
import { Args, deliveredProperties, roundTripTable } from "./amqplib-reference.js";

/** The message `get` resolved to; fails the test on `false` (an empty queue). */
function got<T>(msg: T | false): T {
  if (msg === false) throw new Error("expected a message, the queue was empty");
  return msg;
}

async function open() {
  const simulation = new Simulation({ start: 0, seed: 3 });
  const connection = await connect("amqp://localhost", { simulation });
  const channel = await connection.createChannel();
  return { simulation, connection, channel };
}

const PUBLISH_CASES: Array<[string, Options.Publish | undefined]> = [
  ["no options", undefined],
  ["empty options", {}],
  [
    "every property",
    {
      contentType: "application/json",
      contentEncoding: "gzip",
      deliveryMode: 2,
      priority: 7,
      correlationId: "c-1",
      replyTo: "replies",
      expiration: "60000",
      messageId: "m-1",
      timestamp: 1_700_000_000,
      type: "order.created",
      userId: "guest",
      appId: "shop",
    },
  ],
  ["persistent wins over deliveryMode", { persistent: false, deliveryMode: 2 }],
  ["truthy deliveryMode", { deliveryMode: true }],
  ["numeric expiration", { expiration: 1500 }],
  ["CC and BCC", { CC: "audit", BCC: ["hidden", "other"], headers: { tenant: "eu" } }],
  ["CC option over a CC header", { CC: ["from-option"], headers: { CC: ["from-header"], keep: 1 } }],
  [
    "typed and nested header values",
    {
      headers: {
        int: 1,
        big: 2 ** 40,
        negative: -70_000,
        double: 1.5,
        float: { "!": "float", value: 0.1 },
        long: { "!": "long", value: 7 },
        unsigned: { "!": "unsignedbyte", value: 200 },
        ts: { "!": "timestamp", value: 1_700_000_000 },
        decimal: { "!": "decimal", value: { places: 2, digits: 1234 } },
        text: "é ü",
        yes: true,
        nothing: null,
        skipped: undefined,
        bytes: Buffer.from([0, 1, 2, 255]),
        list: [1, "two", null, [false], { deep: { "!": "double", value: 3 } }],
        table: { a: 1, b: { c: "d" } },
      },
    },
  ],
];

describe("properties and headers match amqplib's encode → decode", () => {
  for (const [label, options] of PUBLISH_CASES) {
    it(label, async () => {
      const { channel } = await open();
      await channel.assertQueue("q");
      channel.sendToQueue("q", Buffer.from("body"), options);
      const msg = await channel.get("q");
      if (msg === false) throw new Error("no message");
      const expected = deliveredProperties(options);
      expect(msg.properties).toStrictEqual(expected);
      // Same key order too (amqplib decodes properties and tables in wire order).
      expect(Object.keys(msg.properties)).toEqual(Object.keys(expected));
      expect(Object.keys(msg.properties.headers ?? {})).toEqual(
        Object.keys((expected.headers as object | undefined) ?? {}),
      );
    });
  }

  it("binding arguments and consume arguments are encoded like amqplib encodes tables", async () => {
    const { channel } = await open();
    const args = { "x-match": "any", n: 1, f: { "!": "float", value: 0.1 }, list: [Buffer.from("x"), null] };
    await channel.assertExchange("h", "headers", { durable: false });
    await channel.assertQueue("q", { durable: false });
    await channel.bindQueue("q", "h", "", args);
    const [binding] = channel.native.broker.getExchange("h")!.bindings();
    // The native model stores the wire form; decoding it gives what amqplib's codec gives.
    expect(binding!.args).toStrictEqual({
      "x-match": "any",
      n: 1,
      f: { "!": "float", value: 0.1 },
      list: [new Uint8Array(Buffer.from("x")), null],
    });
    expect(roundTripTable(args)).toStrictEqual({
      "x-match": "any",
      n: 1,
      f: Math.fround(0.1),
      list: [Buffer.from("x"), null],
    });
  });
});

describe("fields", () => {
  it("get: { deliveryTag, redelivered, exchange, routingKey, messageCount } in amqplib's order", async () => {
    const { channel } = await open();
    await channel.assertExchange("ex", "direct", { durable: false });
    await channel.assertQueue("q", { durable: false });
    await channel.bindQueue("q", "ex", "k");
    channel.publish("ex", "k", Buffer.from("a"));
    channel.publish("ex", "k", Buffer.from("b"));
    const first = await channel.get("q");
    if (first === false) throw new Error("no message");
    expect(first.fields).toStrictEqual({
      deliveryTag: 1,
      redelivered: false,
      exchange: "ex",
      routingKey: "k",
      messageCount: 1,
    });
    expect(Object.keys(first.fields)).toEqual([
      "deliveryTag",
      "redelivered",
      "exchange",
      "routingKey",
      "messageCount",
    ]);
    expect(Object.keys(first)).toEqual(["fields", "properties", "content"]);
    expect(Buffer.isBuffer(first.content)).toBe(true);
    expect(first.content.toString()).toBe("a");
    channel.reject(first, true);
    const again = await channel.get("q");
    expect(got(again).fields).toMatchObject({ deliveryTag: 2, redelivered: true, messageCount: 1 });
    expect(await channel.get("nonexistent-is-404").catch(() => "rejected")).toBe("rejected");
  });

  it("consume: { consumerTag, deliveryTag, redelivered, exchange, routingKey }", async () => {
    const { simulation, channel } = await open();
    await channel.assertQueue("q", { durable: false });
    const seen: ConsumeMessage[] = [];
    const { consumerTag } = await channel.consume("q", (msg) => {
      if (msg) seen.push(msg);
    });
    expect(consumerTag).toMatch(/^amq\.ctag-[A-Za-z0-9_-]{22}$/);
    channel.sendToQueue("q", Buffer.from("hello"), { headers: { n: 1 } });
    await simulation.run();
    expect(seen).toHaveLength(1);
    expect(seen[0]!.fields).toStrictEqual({
      consumerTag,
      deliveryTag: 1,
      redelivered: false,
      exchange: "",
      routingKey: "q",
    });
    expect(Object.keys(seen[0]!.fields)).toEqual([
      "consumerTag",
      "deliveryTag",
      "redelivered",
      "exchange",
      "routingKey",
    ]);
    expect(seen[0]!.properties).toStrictEqual(deliveredProperties({ headers: { n: 1 } }));
  });

  it("return: { replyCode: 312, replyText: NO_ROUTE, exchange, routingKey }, BCC stripped", async () => {
    const { simulation, channel } = await open();
    await channel.assertExchange("ex", "direct", { durable: false });
    const returned: ReturnMessage[] = [];
    channel.on("return", (msg: ReturnMessage) => returned.push(msg));
    const options = { mandatory: true, BCC: "b", CC: "c", contentType: "text/plain" };
    expect(channel.publish("ex", "nowhere", Buffer.from("lost"), options)).toBe(true);
    await simulation.run();
    expect(returned).toHaveLength(1);
    expect(returned[0]!.fields).toStrictEqual({
      replyCode: 312,
      replyText: "NO_ROUTE",
      exchange: "ex",
      routingKey: "nowhere",
    });
    expect(returned[0]!.properties).toStrictEqual(deliveredProperties(options));
    expect(returned[0]!.content.toString()).toBe("lost");
  });
});

describe("dead-letter and quorum headers decode like RabbitMQ's", () => {
  it("x-death: time is an AMQP timestamp in seconds; counts, keys and first-death headers", async () => {
    const simulation = new Simulation({ seed: 1, start: 1_700_000_000_500 });
    const connection = await connect(undefined, { simulation });
    const channel = await connection.createChannel();
    await channel.assertExchange("dlx", "fanout", { durable: false });
    await channel.assertQueue("dead", { durable: false });
    await channel.bindQueue("dead", "dlx", "");
    await channel.assertQueue("work", { durable: false, deadLetterExchange: "dlx" });
    channel.sendToQueue("work", Buffer.from("x"), { expiration: "1000", CC: ["cc-key"] });
    const msg = await channel.get("work");
    if (msg === false) throw new Error("no message");
    channel.reject(msg, false);
    const dead = await channel.get("dead");
    if (dead === false) throw new Error("not dead-lettered");
    expect(dead.properties.headers).toStrictEqual({
      CC: ["cc-key"],
      "x-death": [
        {
          count: 1,
          exchange: "",
          "original-expiration": "1000",
          queue: "work",
          reason: "rejected",
          "routing-keys": ["work", "cc-key"],
          time: { "!": "timestamp", value: 1_700_000_000 },
        },
      ],
      "x-first-death-exchange": "",
      "x-first-death-queue": "work",
      "x-first-death-reason": "rejected",
    });
    expect(dead.properties.expiration).toBeUndefined();
  });

  it("quorum deliveries carry x-delivery-count as a number", async () => {
    const { channel } = await open();
    await channel.assertQueue("qq", { arguments: { "x-queue-type": "quorum" } });
    channel.sendToQueue("qq", Buffer.from("x"));
    const first = await channel.get("qq");
    if (first === false) throw new Error("no message");
    expect(first.properties.headers).toStrictEqual({ "x-delivery-count": 0 });
    channel.nack(first);
    const second = await channel.get("qq");
    expect(got(second).properties.headers).toStrictEqual({ "x-delivery-count": 1 });
    expect(got(second).fields.redelivered).toBe(true);
  });

  it("a message published through the native API without properties has properties {}", async () => {
    const { channel } = await open();
    await channel.assertQueue("q", { durable: false });
    channel.native.broker.publish("", "q", "native text");
    const msg = await channel.get("q");
    if (msg === false) throw new Error("no message");
    expect(msg.properties).toStrictEqual({});
    expect(msg.content.toString()).toBe("native text");
  });

  it("content is a copy: changing the published buffer or a delivered one changes nothing else", async () => {
    const { channel } = await open();
    await channel.assertQueue("q", { durable: false });
    const body = Buffer.from("abc");
    channel.sendToQueue("q", body);
    body[0] = 0x7a;
    const first = await channel.get("q");
    if (first === false) throw new Error("no message");
    expect(first.content.toString()).toBe("abc");
    first.content[0] = 0x79;
    channel.nack(first);
    const again = await channel.get("q");
    expect(got(again).content.toString()).toBe("abc");
  });
});

describe("runtimes without Buffer", () => {
  it("content and byte-array headers are plain Uint8Arrays when globalThis.Buffer is absent", async () => {
    const { channel } = await open();
    await channel.assertQueue("q", { durable: false });
    const saved = globalThis.Buffer;
    let content: unknown;
    let header: unknown;
    try {
      (globalThis as { Buffer?: unknown }).Buffer = undefined;
      channel.sendToQueue("q", new TextEncoder().encode("hi"), { headers: { raw: new Uint8Array([1, 2]) } });
      const msg = await channel.get("q");
      if (msg === false) throw new Error("no message");
      content = msg.content;
      header = msg.properties.headers?.raw;
    } finally {
      globalThis.Buffer = saved;
    }
    expect(content).toBeInstanceOf(Uint8Array);
    expect(Buffer.isBuffer(content)).toBe(false);
    expect(new TextDecoder().decode(content as Uint8Array)).toBe("hi");
    expect(header).toStrictEqual(new Uint8Array([1, 2]));
  });
});

describe("api_args parity", () => {
  const queueOptions = [
    {},
    { durable: false, exclusive: 1, autoDelete: "yes" },
    { messageTtl: 5, expires: 1000, deadLetterExchange: "d", deadLetterRoutingKey: "k", maxLength: 3 },
    {
      overflow: "reject-publish",
      queueMode: "lazy",
      arguments: { "x-message-ttl": 1, other: "o" },
      messageTtl: 9,
    },
    { messageTtl: undefined, arguments: { "x-single-active-consumer": true } },
    // `messageTtl: null` is sent as void since amqplib 1.0, and refused: amqplib2.test.ts.
  ];
  it.each(queueOptions)("assertQueue(%j) sends what amqplib sends", async (options) => {
    const { channel } = await open();
    const reference = Args.assertQueue!("q", options);
    const { queue } = await channel.assertQueue("q", options as Options.AssertQueue);
    const declared = channel.native.broker.getQueue(queue)!;
    expect(declared.durable).toBe(!reference.exclusive && Boolean(reference.durable));
    expect(declared.exclusive).toBe(reference.exclusive);
    expect(declared.autoDelete).toBe(reference.autoDelete);
    expect(declared.arguments).toStrictEqual(roundTripTable(reference.arguments));
  });

  it("assertExchange defaults and alternateExchange", async () => {
    const { channel } = await open();
    const reference = Args.assertExchange!("x", "topic", { alternateExchange: "ae", internal: 1 });
    expect(await channel.assertExchange("x", "topic", { alternateExchange: "ae", internal: true })).toEqual({
      exchange: "x",
    });
    const exchange = channel.native.broker.getExchange("x")!;
    expect([exchange.durable, exchange.internal, exchange.autoDelete]).toEqual([
      reference.durable,
      Boolean(reference.internal),
      reference.autoDelete,
    ]);
    expect(exchange.alternateExchange).toBe("ae");
    await channel.assertExchange("d");
    expect(channel.native.broker.getExchange("d")!.type).toBe("direct");
  });

  it("replies: assertQueue, checkQueue, deleteQueue, purgeQueue, bind, prefetch, recover, cancel", async () => {
    const { channel } = await open();
    expect(await channel.assertQueue("q", { durable: false })).toStrictEqual({
      queue: "q",
      messageCount: 0,
      consumerCount: 0,
    });
    channel.sendToQueue("q", Buffer.from("1"));
    channel.sendToQueue("q", Buffer.from("2"));
    const { consumerTag } = await channel.consume("q", () => undefined, { noAck: true, consumerTag: "mine" });
    expect(consumerTag).toBe("mine");
    // The consumer took both at once (no-ack, no prefetch limit).
    expect(await channel.checkQueue("q")).toStrictEqual({ queue: "q", messageCount: 0, consumerCount: 1 });
    expect(await channel.cancel("mine")).toStrictEqual({ consumerTag: "mine" }); // amqplib ≥ 2.2.1
    channel.sendToQueue("q", Buffer.from("3"));
    expect(await channel.purgeQueue("q")).toStrictEqual({ messageCount: 1 });
    expect(await channel.prefetch(10)).toStrictEqual({});
    expect(await channel.recover()).toStrictEqual({});
    await channel.assertExchange("ex", "fanout", { durable: false });
    expect(await channel.bindQueue("q", "ex", "")).toStrictEqual({});
    expect(await channel.unbindQueue("q", "ex", "")).toStrictEqual({});
    expect(await channel.bindExchange("ex", "amq.fanout", "")).toStrictEqual({});
    expect(await channel.unbindExchange("ex", "amq.fanout", "")).toStrictEqual({});
    expect(await channel.checkExchange("ex")).toStrictEqual({});
    channel.sendToQueue("q", Buffer.from("4"));
    expect(await channel.deleteQueue("q")).toStrictEqual({ messageCount: 1 });
    expect(await channel.deleteExchange("ex")).toStrictEqual({});
  });

  it("an empty queue name means the channel's most recently declared queue", async () => {
    const { channel } = await open();
    const { queue } = await channel.assertQueue("", { exclusive: true });
    expect(queue).toMatch(/^amq\.gen-[A-Za-z0-9_-]{22}$/);
    await channel.bindQueue("", "amq.direct", "");
    channel.publish("amq.direct", queue, Buffer.from("via shortcut"));
    const msg = await channel.get("");
    expect(got(msg).content.toString()).toBe("via shortcut");
    expect(got(msg).fields.routingKey).toBe(queue);
  });
});
