/**
 * Bad input: malformed arguments are refused with a clear error before anything reaches the
 * broker (nothing changes, the channel stays open); options the simulator cannot honour are
 * refused rather than ignored.
 */
import { describe, expect, it } from "vitest";
import { accessControlFor, type Channel, connect } from "../../../src/compat/amqplib/index.js";
import { AmqpBroker } from "../../../src/exchange/broker.js";
import { BrokerlabError } from "../../../src/scheduler/errors.js";
import { Simulation } from "../../../src/scheduler/simulation.js";

async function channelOnQueue(): Promise<{ channel: Channel; sim: Simulation }> {
  const sim = new Simulation({ start: 0, seed: 2 });
  const connection = await connect(undefined, { simulation: sim });
  const channel = await connection.createChannel();
  await channel.assertQueue("q", { durable: false });
  return { channel, sim };
}

function refusal(fn: () => unknown): BrokerlabError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(BrokerlabError);
    return error as BrokerlabError;
  }
  throw new Error("expected a refusal");
}

describe("publish refuses malformed input synchronously and changes nothing", () => {
  const cases: Array<[string, (ch: Channel) => unknown, string, RegExp]> = [
    ["a string body", (ch) => ch.sendToQueue("q", "text" as never), "INVALID_CONTENT", /must be a Buffer/],
    [
      "a non-string exchange",
      (ch) => ch.publish(42 as never, "k", Buffer.from("x")),
      "INVALID_FIELD",
      /Field 'exchange'/,
    ],
    [
      "a routing key over 255 bytes",
      (ch) => ch.publish("", "k".repeat(256), Buffer.from("x")),
      "INVALID_FIELD",
      /routingKey/,
    ],
    [
      "a function header",
      (ch) => ch.sendToQueue("q", Buffer.from("x"), { headers: { f: () => 1 } }),
      "UNENCODABLE_VALUE",
      /Unknown type to encode: function \(at headers\.f\)/,
    ],
    [
      "a bigint header",
      (ch) => ch.sendToQueue("q", Buffer.from("x"), { headers: { n: 1n } }),
      "UNENCODABLE_VALUE",
      /bigint/,
    ],
    [
      "undefined in a header array",
      (ch) => ch.sendToQueue("q", Buffer.from("x"), { headers: { a: [1, undefined] } }),
      "UNENCODABLE_VALUE",
      /headers\.a\[1\]/,
    ],
    [
      "an out-of-range typed value",
      (ch) => ch.sendToQueue("q", Buffer.from("x"), { headers: { b: { "!": "byte", value: 300 } } }),
      "UNENCODABLE_VALUE",
      /out of range for byte/,
    ],
    [
      "an unknown forced type",
      (ch) => ch.sendToQueue("q", Buffer.from("x"), { headers: { b: { "!": "uuid", value: "x" } } }),
      "UNENCODABLE_VALUE",
      /Unknown type to encode: uuid/,
    ],
    [
      "a bad decimal",
      (ch) =>
        ch.sendToQueue("q", Buffer.from("x"), {
          headers: { d: { "!": "decimal", value: { places: 300, digits: 1 } } },
        }),
      "UNENCODABLE_VALUE",
      /Decimal value/,
    ],
    [
      "a numeric contentType",
      (ch) => ch.sendToQueue("q", Buffer.from("x"), { contentType: 5 as never }),
      "INVALID_FIELD",
      /Field 'contentType'/,
    ],
    [
      "a NaN priority",
      (ch) => ch.sendToQueue("q", Buffer.from("x"), { priority: Number.NaN }),
      "INVALID_FIELD",
      /Field 'priority'/,
    ],
    [
      "options that are not an object",
      (ch) => ch.sendToQueue("q", Buffer.from("x"), 7 as never),
      "INVALID_ARGUMENT",
      /options must be an object/,
    ],
    ["a message without fields to ack", (ch) => ch.ack({} as never), "INVALID_MESSAGE", /expected a message/],
    [
      "a non-numeric delivery tag",
      (ch) => ch.ack({ fields: { deliveryTag: "1" } } as never),
      "INVALID_FIELD",
      /deliveryTag/,
    ],
    [
      "reject without a delivery tag",
      (ch) => ch.reject({ fields: {} } as never),
      "MISSING_FIELD",
      /Missing value for mandatory field 'deliveryTag'/,
    ],
  ];
  for (const [label, call, code, message] of cases) {
    it(label, async () => {
      const { channel, sim } = await channelOnQueue();
      const error = refusal(() => call(channel));
      expect(error.code).toBe(code);
      expect(error.message).toMatch(message);
      await sim.run();
      expect(channel.closed).toBe(false);
      expect(channel.native.broker.stats()).toMatchObject({ published: 0, ready: 0 });
    });
  }
});

describe("operations that await a reply reject malformed input and keep the channel open", () => {
  const cases: Array<[string, (ch: Channel) => Promise<unknown>, string]> = [
    [
      "priority queues (maxPriority)",
      (ch) => ch.assertQueue("p", { maxPriority: 10 }),
      "UNSUPPORTED_ARGUMENT",
    ],
    [
      "priority queues (x-max-priority)",
      (ch) => ch.assertQueue("p", { arguments: { "x-max-priority": 5 } }),
      "UNSUPPORTED_ARGUMENT",
    ],
    [
      "stream queues",
      (ch) => ch.assertQueue("s", { arguments: { "x-queue-type": "stream" } }),
      "UNSUPPORTED_ARGUMENT",
    ],
    ["a queue name that is not a string", (ch) => ch.assertQueue(5 as never), "INVALID_FIELD"],
    ["an exchange without a name", (ch) => ch.assertExchange(undefined as never, "direct"), "MISSING_FIELD"],
    [
      "binding arguments that are not a table",
      (ch) => ch.bindQueue("q", "amq.direct", "k", 5),
      "INVALID_FIELD",
    ],
    [
      "a consumer callback that is not a function",
      (ch) => ch.consume("q", "nope" as never),
      "INVALID_ARGUMENT",
    ],
    ["a prefetch over 65535", (ch) => ch.prefetch(70_000), "INVALID_ARGUMENT"],
    ["cancel without a tag", (ch) => ch.cancel(undefined as never), "MISSING_FIELD"],
  ];
  for (const [label, call, code] of cases) {
    it(label, async () => {
      const { channel, sim } = await channelOnQueue();
      const before = channel.native.broker.stats();
      await expect(call(channel)).rejects.toMatchObject({ code });
      await sim.run();
      expect(channel.closed).toBe(false);
      expect(channel.native.broker.stats()).toEqual(before);
      expect(await channel.checkQueue("q")).toMatchObject({ queue: "q" });
    });
  }
});

describe("connect refuses what it cannot use", () => {
  it("a URL that is not amqp:", async () => {
    await expect(connect("http://localhost", { simulation: new Simulation({ start: 0 }) })).rejects.toThrow(
      "Expected amqp: or amqps: as the protocol; got http:",
    );
    await expect(connect("not a url", { simulation: new Simulation({ start: 0 }) })).rejects.toMatchObject({
      code: "INVALID_URL",
    });
    await expect(connect(42 as never, { simulation: new Simulation({ start: 0 }) })).rejects.toMatchObject({
      code: "INVALID_URL",
    });
  });

  it("a simulation or broker of the wrong kind, or from different simulations", async () => {
    await expect(connect(undefined, { simulation: {} as never })).rejects.toThrow(
      /must be a brokerlab Simulation/,
    );
    await expect(connect(undefined, { broker: {} as never })).rejects.toThrow(
      /must be a brokerlab AmqpBroker/,
    );
    const broker = new AmqpBroker(new Simulation({ start: 0 }));
    await expect(connect(undefined, { simulation: new Simulation({ start: 0 }), broker })).rejects.toThrow(
      /another simulation/,
    );
  });

  it("accepts amqplib's socket options (a simulation has no socket)", async () => {
    const sim = new Simulation({ start: 0 });
    accessControlFor(sim).addUser("user", "pw");
    accessControlFor(sim).setPermissions("user", "/", { configure: ".*", write: ".*", read: ".*" });
    const connection = await connect("amqps://user:pw@host:5671/?heartbeat=10&frameMax=8192", {
      simulation: sim,
      noDelay: true,
      timeout: 1000,
      keepAlive: true,
      clientProperties: { connection_name: "billing" },
    });
    expect(connection.native.name).toBe("billing");
    expect(connection.native.user).toBe("user");
  });
});
