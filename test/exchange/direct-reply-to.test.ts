import { describe, expect, it } from "vitest";
import type { AmqpError } from "../../src/exchange/amqp-error.js";
import { DIRECT_REPLY_TO } from "../../src/exchange/direct-reply-to.js";
import type { Delivery } from "../../src/queue/delivery.js";
import { setup } from "./amqp-helpers.js";

/** Catches what `fn` throws (it must throw). */
function thrown(fn: () => unknown): AmqpError {
  try {
    fn();
  } catch (error) {
    return error as AmqpError;
  }
  throw new Error("expected a throw");
}

/** An RPC server on queue "rpc" that answers each request on the default exchange. */
function rpcServer(ctx: ReturnType<typeof setup>, answer = (d: Delivery) => `pong:${String(d.content)}`) {
  const server = ctx.connection.channel({ confirm: true });
  server.queue("rpc");
  const seen: string[] = [];
  server.consume(
    "rpc",
    (d) => {
      const replyTo = d.properties.replyTo!;
      seen.push(replyTo);
      server.sendToQueue(replyTo, answer(d), {
        correlationId: d.properties.correlationId,
        headers: { a: 1 },
      });
    },
    { noAck: true },
  );
  return { server, seen };
}

describe("Direct Reply-to (amq.rabbitmq.reply-to), as RabbitMQ 3.10", () => {
  it("a request's replyTo is rewritten to an opaque per-channel name; the reply reaches the requester's consumer", async () => {
    const ctx = setup();
    const { sim, connection } = ctx;
    const { seen } = rpcServer(ctx);
    const client = connection.channel();
    const replies: Delivery[] = [];
    const consumer = client.consume(DIRECT_REPLY_TO, (d) => replies.push(d), { noAck: true });
    client.sendToQueue("rpc", "ping", { replyTo: DIRECT_REPLY_TO, correlationId: "c1" });
    client.sendToQueue("rpc", "ping2", { replyTo: DIRECT_REPLY_TO });
    await sim.run();
    expect(seen).toHaveLength(2);
    expect(seen[0]).toMatch(/^amq\.rabbitmq\.reply-to\.g1h2[A-Za-z0-9+/]+={0,2}\.[A-Za-z0-9+/]{22}==$/);
    expect(seen[0]).toHaveLength(91); // RabbitMQ 3.10's names are 91 characters
    expect(seen[1]).toBe(seen[0]);
    expect(replies.map((d) => d.content)).toEqual(["pong:ping", "pong:ping2"]);
    const first = replies[0]!;
    expect(first.exchange).toBe("");
    expect(first.routingKey).toBe(seen[0]);
    expect(first.redelivered).toBe(false);
    expect(first.consumerTag).toBe(consumer.tag);
    expect(first.properties).toMatchObject({ correlationId: "c1", headers: { a: 1 } });
    // RabbitMQ sends the channel's next delivery tag without using it up.
    expect(replies.map((d) => d.deliveryTag)).toEqual([1, 1]);
    expect(ctx.broker.queues.has(seen[0]!)).toBe(false);
    ctx.broker.checkInvariants();
  });

  it("reply deliveries carry the channel's next tag, which later deliveries still use", async () => {
    const { sim, broker, connection } = setup();
    broker.queue("other");
    broker.publish("", "other", "x");
    const client = connection.channel();
    const tags: number[] = [];
    client.consume(DIRECT_REPLY_TO, (d) => tags.push(d.deliveryTag), { noAck: true });
    expect(client.get("other")!.deliveryTag).toBe(1);
    client.sendToQueue("other", "req", { replyTo: DIRECT_REPLY_TO });
    const name = client.get("other")!.properties.replyTo!; // tag 2
    broker.publish("", name, "r1");
    broker.publish("", name, "r2");
    await sim.run();
    expect(tags).toEqual([3, 3]);
    broker.publish("", "other", "y");
    expect(client.get("other")!.deliveryTag).toBe(3);
  });

  it("consuming needs noAck and happens once per channel (406 with RabbitMQ's texts)", () => {
    const { connection } = setup();
    const a = connection.channel();
    const error = thrown(() => a.consume(DIRECT_REPLY_TO, () => undefined));
    expect(error.replyText).toBe("PRECONDITION_FAILED - reply consumer cannot acknowledge");
    expect(a.closed).toBe(true);
    const b = connection.channel();
    b.consume(DIRECT_REPLY_TO, () => undefined, { noAck: true });
    expect(thrown(() => b.consume(DIRECT_REPLY_TO, () => undefined, { noAck: true })).replyText).toBe(
      "PRECONDITION_FAILED - reply consumer already set",
    );
    const c = connection.channel();
    c.consume(DIRECT_REPLY_TO, () => undefined, { noAck: true });
    expect(thrown(() => c.consume(DIRECT_REPLY_TO, () => undefined)).replyText).toBe(
      "PRECONDITION_FAILED - reply consumer cannot acknowledge",
    );
  });

  it("publishing with replyTo before consuming is 406 'fast reply consumer does not exist' and enqueues nothing", () => {
    const { broker, connection } = setup();
    broker.queue("rpc");
    const channel = connection.channel();
    const error = thrown(() => channel.sendToQueue("rpc", "x", { replyTo: DIRECT_REPLY_TO }));
    expect(error.replyCode).toBe(406);
    expect(error.replyText).toBe("PRECONDITION_FAILED - fast reply consumer does not exist");
    expect(channel.closed).toBe(true);
    expect(broker.getQueue("rpc")!.ready).toBe(0);
    // The broker's own publish has no channel, hence no reply consumer.
    expect(() => broker.publish("", "rpc", "x", { replyTo: DIRECT_REPLY_TO })).toThrow(/fast reply consumer/);
  });

  it("the check order is RabbitMQ's: 404 exchange before 406 reply-to, reply-to before userId and expiration", () => {
    const { connection } = setup();
    const order = (options: Record<string, unknown>, exchange = "") =>
      thrown(() => connection.channel().publish(exchange, "k", "x", options)).replyText;
    expect(order({ replyTo: DIRECT_REPLY_TO }, "missing")).toMatch(/^NOT_FOUND/);
    expect(order({ replyTo: DIRECT_REPLY_TO, userId: "mallory", expiration: "soon" })).toMatch(/fast reply/);
    expect(order({ userId: "mallory", expiration: "soon" })).toMatch(/user_id property/);
  });

  it("a mandatory reply is delivered and also returned (the name is no queue), and confirmed", async () => {
    const ctx = setup();
    const { sim, connection } = ctx;
    const server = connection.channel({ confirm: true });
    const events: string[] = [];
    server.on("return", (r) => events.push(`return:${String(r.content)}:${r.replyCode}`));
    server.on("ack", (seq) => events.push(`ack:${seq}`));
    const client = connection.channel();
    client.consume(DIRECT_REPLY_TO, (d) => events.push(`reply:${String(d.content)}`), { noAck: true });
    client.queue("rpc");
    client.sendToQueue("rpc", "req", { replyTo: DIRECT_REPLY_TO });
    const name = client.get("rpc", { noAck: true })!.properties.replyTo!;
    server.sendToQueue(name, "r", { mandatory: true });
    await sim.run();
    expect(events.sort()).toEqual(["ack:1", "reply:r", "return:r:312"]);
  });

  it("replies to a cancelled consumer, a closed channel, an old key or a made-up name are dropped", async () => {
    const { sim, broker, connection } = setup();
    broker.queue("rpc");
    const client = connection.channel();
    const got: unknown[] = [];
    const first = client.consume(DIRECT_REPLY_TO, (d) => got.push(d.content), { noAck: true });
    client.sendToQueue("rpc", "q1", { replyTo: DIRECT_REPLY_TO });
    const oldName = client.get("rpc", { noAck: true })!.properties.replyTo!;
    client.cancel(first.tag);
    expect(broker.publish("", oldName, "after-cancel", { mandatory: true }).returned).toBe(true);
    client.consume(DIRECT_REPLY_TO, (d) => got.push(d.content), { noAck: true });
    client.sendToQueue("rpc", "q2", { replyTo: DIRECT_REPLY_TO });
    const newName = client.get("rpc", { noAck: true })!.properties.replyTo!;
    expect(newName).not.toBe(oldName);
    expect(newName.split(".").slice(0, 4)).toEqual(oldName.split(".").slice(0, 4)); // same channel part
    broker.publish("", oldName, "old-key");
    broker.publish("", `${DIRECT_REPLY_TO}.garbage`, "garbage");
    broker.publish("", newName, "live");
    await sim.run();
    client.close();
    expect(broker.publish("", newName, "after-close", { mandatory: true }).returned).toBe(true);
    await sim.run();
    expect(got).toEqual(["live"]);
    broker.checkInvariants();
  });

  it("declares: the pseudo-queue answers 0 messages and 1 consumer; a live name too; others 404; get 404", () => {
    const { connection } = setup();
    const channel = connection.channel();
    const bare = channel.queue(DIRECT_REPLY_TO, { durable: true });
    expect([bare.name, bare.ready, bare.consumerCount]).toEqual([DIRECT_REPLY_TO, 0, 1]);
    expect(channel.checkQueue(DIRECT_REPLY_TO).consumerCount).toBe(1);
    channel.consume(DIRECT_REPLY_TO, () => undefined, { noAck: true });
    channel.queue("rpc");
    channel.sendToQueue("rpc", "x", { replyTo: DIRECT_REPLY_TO });
    const name = channel.get("rpc", { noAck: true })!.properties.replyTo!;
    const other = connection.channel();
    const live = other.checkQueue(name);
    expect([live.name, live.ready, live.consumerCount]).toEqual([name, 0, 1]);
    for (const missing of [`${DIRECT_REPLY_TO}.bogus`, `${DIRECT_REPLY_TO}x`, `${DIRECT_REPLY_TO}.`]) {
      expect(thrown(() => connection.channel().queue(missing)).replyText).toBe(
        `NOT_FOUND - no queue '${missing}' in vhost '/'`,
      );
    }
    expect(thrown(() => connection.channel().get(DIRECT_REPLY_TO)).code).toBe("NOT_FOUND");
    expect(thrown(() => connection.channel().bind(name, "amq.direct", "k")).code).toBe("NOT_FOUND");
  });

  it("names are deterministic per seed and differ between seeds", async () => {
    const nameWith = (seed: number) => {
      const { connection } = setup(undefined, seed);
      const channel = connection.channel();
      channel.consume(DIRECT_REPLY_TO, () => undefined, { noAck: true });
      channel.queue("rpc");
      channel.sendToQueue("rpc", "x", { replyTo: DIRECT_REPLY_TO });
      return channel.get("rpc", { noAck: true })!.properties.replyTo!;
    };
    expect(nameWith(3)).toBe(nameWith(3));
    expect(nameWith(3)).not.toBe(nameWith(4));
  });
});
