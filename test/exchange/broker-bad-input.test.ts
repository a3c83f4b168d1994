import { describe, expect, it } from "vitest";
import { AmqpError } from "../../src/exchange/amqp-error.js";
import { AmqpBroker, type AmqpStats } from "../../src/exchange/broker.js";
import { BrokerlabError } from "../../src/scheduler/errors.js";
import { setup } from "./amqp-helpers.js";

/** A broker with some state: a topic exchange, two queues, ready and unacked messages, a consumer. */
function populated() {
  const env = setup();
  const { broker, connection } = env;
  broker.exchange("orders", "topic");
  broker.queue("eu", { messageTtl: 60_000 });
  broker.queue("all");
  broker.bind("eu", "orders", "eu.#");
  broker.bind("all", "orders", "#");
  for (let i = 0; i < 4; i++) broker.publish("orders", "eu.created", i);
  const holder = connection.channel();
  const held = holder.get("eu")!;
  const worker = connection.channel({ prefetch: 1 });
  worker.consume("all", () => undefined);
  return { ...env, holder, held, worker };
}

/** Everything but the channel and connection gauges (a channel error closes its channel by design). */
function modelState(stats: AmqpStats) {
  const { channels: _channels, connections: _connections, ...rest } = stats;
  return rest;
}

function snapshot(env: ReturnType<typeof populated>) {
  const { broker } = env;
  return {
    stats: modelState(broker.stats()),
    eu: broker.getQueue("eu")!.messages(),
    all: broker.getQueue("all")!.messages(),
    bindings: broker
      .getExchange("orders")!
      .bindings()
      .map((b) => [b.destination.name, b.key]),
    args: broker.getQueue("eu")!.arguments,
  };
}

/** Runs `fn` on a fresh channel; asserts it throws `code` and that the model state is unchanged. */
function refusedOnFreshChannel(
  env: ReturnType<typeof populated>,
  code: string,
  fn: (ch: ReturnType<typeof env.connection.channel>) => unknown,
) {
  const before = snapshot(env);
  const ch = env.connection.channel();
  let caught: unknown;
  try {
    fn(ch);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(BrokerlabError);
  expect((caught as BrokerlabError).code).toBe(code);
  expect((caught as BrokerlabError).message.length).toBeGreaterThan(20);
  expect(snapshot(env)).toEqual(before);
  env.broker.checkInvariants();
  return { error: caught as BrokerlabError, channel: ch };
}

describe("bad input: clear errors with stable codes, nothing changed", () => {
  it("unknown exchange or queue: 404 and the channel closes", () => {
    const env = populated();
    const cases: Array<(ch: ReturnType<typeof env.connection.channel>) => unknown> = [
      (ch) => ch.publish("missing", "k", 1),
      (ch) => ch.get("missing"),
      (ch) => ch.consume("missing", () => undefined),
      (ch) => ch.bind("eu", "missing", "k"),
      (ch) => ch.bind("missing", "orders", "k"),
      (ch) => ch.bindExchange("orders", "missing"),
      (ch) => ch.purge("missing"),
      (ch) => ch.checkQueue("missing"),
      (ch) => ch.unbind("eu", "missing", "k"),
    ];
    for (const fn of cases) {
      const { error, channel } = refusedOnFreshChannel(env, "NOT_FOUND", fn);
      expect(error).toBeInstanceOf(AmqpError);
      expect((error as AmqpError).replyCode).toBe(404);
      expect(channel.closed).toBe(true);
      expect(() => channel.get("eu")).toThrow(expect.objectContaining({ code: "CHANNEL_CLOSED" }));
    }
  });

  it("redeclaring with different arguments: 406, the queue keeps its arguments", () => {
    const env = populated();
    refusedOnFreshChannel(env, "PRECONDITION_FAILED", (ch) => ch.queue("eu", { messageTtl: 1 }));
    refusedOnFreshChannel(env, "PRECONDITION_FAILED", (ch) => ch.exchange("orders", "direct"));
  });

  it("an invalid exchange type: 503, nothing declared", () => {
    const env = populated();
    const before = env.broker.stats().exchanges;
    expect(() => env.broker.exchange("weird", "bogus" as "direct")).toThrow(
      expect.objectContaining({ code: "COMMAND_INVALID" }),
    );
    expect(env.broker.stats().exchanges).toBe(before);
  });

  it("an unknown exchange type is worded as RabbitMQ 3.10.8 words it, and closes the connection", () => {
    const env = populated();
    const channel = env.connection.channel();
    let caught: unknown;
    try {
      channel.exchange("delayed", "x-delayed-message" as "direct");
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AmqpError);
    // Recorded from RabbitMQ 3.10.8 (test/compat/amqplib's error parity check against the broker).
    expect((caught as AmqpError).replyText).toBe(
      "COMMAND_INVALID - unknown exchange type 'x-delayed-message'",
    );
    expect((caught as AmqpError).replyCode).toBe(503);
    expect(env.connection.closed).toBe(true);
  });

  it("routing keys over 255 bytes are refused before anything happens, and the channel stays open", () => {
    const env = populated();
    const long = "é".repeat(128); // 256 bytes
    const { channel } = refusedOnFreshChannel(env, "INVALID_ROUTING_KEY", (ch) =>
      ch.publish("orders", long, 1),
    );
    expect(channel.closed).toBe(false);
    refusedOnFreshChannel(env, "INVALID_ROUTING_KEY", (ch) => ch.bind("eu", "orders", "x".repeat(256)));
    expect(() => env.broker.publish("orders", long, 1)).toThrow(
      expect.objectContaining({ code: "INVALID_ROUTING_KEY" }),
    );
    expect(env.broker.publish("orders", "é".repeat(127), 1).queues).toEqual(["all"]);
  });

  it("acking an unknown, already acked or foreign tag: 406, the channel closes and requeues its own unacked", () => {
    const env = populated();
    const { broker, holder, held } = env;
    refusedOnFreshChannel(env, "PRECONDITION_FAILED", (ch) => ch.ack(99));
    refusedOnFreshChannel(env, "PRECONDITION_FAILED", (ch) => ch.nack(99, true, true));
    refusedOnFreshChannel(env, "PRECONDITION_FAILED", (ch) => ch.reject(1));
    refusedOnFreshChannel(env, "PRECONDITION_FAILED", (ch) => ch.ack(held)); // foreign delivery
    expect(holder.closed).toBe(false);

    const ch = env.connection.channel();
    const mine = ch.get("eu")!;
    ch.ack(mine);
    const before = broker.getQueue("eu")!.ready;
    const second = ch.get("eu")!;
    expect(() => ch.ack(mine)).toThrow(
      expect.objectContaining({
        code: "PRECONDITION_FAILED",
        message: `PRECONDITION_FAILED - unknown delivery tag ${mine.deliveryTag}`,
      }),
    );
    expect(ch.closed).toBe(true);
    expect(broker.getQueue("eu")!.ready).toBe(before); // `second` went back
    expect(broker.getQueue("eu")!.messages()[0]).toMatchObject({ id: second.id, redelivered: true });
    expect(() => ch.ack(second)).toThrow(expect.objectContaining({ code: "CHANNEL_CLOSED" }));
    broker.checkInvariants();
  });

  it("argument-shape mistakes: INVALID_ARGUMENT / UNKNOWN_OPTION / INVALID_NAME, the channel stays open", () => {
    const env = populated();
    const cases: Array<[string, (ch: ReturnType<typeof env.connection.channel>) => unknown]> = [
      ["UNKNOWN_OPTION", (ch) => ch.publish("orders", "eu.x", 1, { mandatroy: true } as never)],
      ["INVALID_ARGUMENT", (ch) => ch.publish("orders", "eu.x", 1, { priority: 300 })],
      ["INVALID_ARGUMENT", (ch) => ch.publish("orders", "eu.x", 1, { headers: [] as never })],
      ["INVALID_ARGUMENT", (ch) => ch.publish("orders", "eu.x", 1, { CC: [1] as never })],
      ["INVALID_NAME", (ch) => ch.publish(42 as never, "k", 1)],
      ["UNKNOWN_OPTION", (ch) => ch.consume("eu", () => undefined, { prefetchCount: 1 } as never)],
      ["INVALID_ARGUMENT", (ch) => ch.consume("eu", "not a function" as never)],
      ["INVALID_ARGUMENT", (ch) => ch.prefetch(-1)],
      ["INVALID_ARGUMENT", (ch) => ch.ack(1.5)],
      ["INVALID_ARGUMENT", (ch) => ch.nack(1, "yes" as never)],
      ["INVALID_ARGUMENT", (ch) => ch.ack(1, 1 as never)],
      ["UNKNOWN_OPTION", (ch) => ch.queue("eu", { ttl: 5 } as never)],
      ["INVALID_ARGUMENT", (ch) => ch.queue("eu", { durable: "yes" } as never)],
      ["EXCLUSIVE_NEEDS_CONNECTION", () => env.broker.queue("x", { exclusive: true })],
    ];
    for (const [code, fn] of cases) {
      const { channel } = refusedOnFreshChannel(env, code, fn);
      expect(channel.closed).toBe(false);
    }
  });

  it("invalid expiration and user id: 406 after the exchange checks (404 wins)", () => {
    const env = populated();
    refusedOnFreshChannel(env, "PRECONDITION_FAILED", (ch) =>
      ch.publish("orders", "eu.x", 1, { expiration: "soon" }),
    );
    refusedOnFreshChannel(env, "PRECONDITION_FAILED", (ch) =>
      ch.publish("orders", "eu.x", 1, { expiration: -5 }),
    );
    refusedOnFreshChannel(env, "PRECONDITION_FAILED", (ch) =>
      ch.publish("orders", "eu.x", 1, { userId: "mallory" }),
    );
    refusedOnFreshChannel(env, "NOT_FOUND", (ch) => ch.publish("missing", "k", 1, { expiration: "soon" }));
    const { error } = refusedOnFreshChannel(env, "PRECONDITION_FAILED", (ch) =>
      ch.publish("orders", "eu.x", 1, { expiration: "12ab" }),
    );
    expect(error.message).toBe("PRECONDITION_FAILED - invalid expiration '12ab': {leftover_string,\"ab\"}");
  });

  it("a sizer that returns nonsense is refused before the publish changes anything", () => {
    const { broker } = setup({ sizer: () => Number.NaN });
    broker.queue("q", { maxLengthBytes: 10 });
    const before = broker.stats();
    expect(() => broker.publish("", "q", 1)).toThrow(expect.objectContaining({ code: "INVALID_SIZE" }));
    expect(broker.stats()).toEqual(before);
  });

  it("constructor options are validated", () => {
    const { sim } = setup();
    expect(() => new AmqpBroker(sim, { nope: 1 } as never)).toThrow(
      expect.objectContaining({ code: "UNKNOWN_OPTION" }),
    );
    expect(() => new AmqpBroker(sim, { headersNumericEquality: "loose" as never })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
  });
});
