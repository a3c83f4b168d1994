import type { Message } from "amqplib";
import { type JsonObject, type Scenario, withSession } from "../harness.js";

/** A message object naming a delivery tag the channel never issued. */
const fakeDelivery = (deliveryTag: number) => ({ fields: { deliveryTag } }) as Message;

/**
 * Bad input that makes the server close the channel: each case runs on a fresh channel and
 * records whether the channel closed and the reply code (404, 403, 405, 406). Also: a closed
 * channel refuses later calls, and its unacked messages are requeued with `redelivered=true`.
 */
export const channelErrors: Scenario = {
  name: "channel-errors",
  description: "404/403/405/406 channel closes: missing names, inequivalent redeclare, bad delivery tags",
  run: (ctx) =>
    withSession(ctx, async (s) => {
      const missing = s.name("errors.missing");
      const queue = await s.queue("errors.q", { durable: false, maxLength: 1000 });
      const exchange = await s.exchange("errors.direct", "direct", { durable: false });
      const internal = await s.exchange("errors.internal", "fanout", { durable: false, internal: true });
      await s.bindQueue(queue, exchange, "k");
      const seed = await s.confirmChannel();
      seed.sendToQueue(queue, "e1");
      seed.sendToQueue(queue, "e2");
      await seed.settled();

      const cases: JsonObject = {};
      const check = async (label: string, action: Parameters<typeof s.expectChannelError>[0]) => {
        cases[label] = await s.expectChannelError(action, undefined, 2_000);
      };

      await check("bindQueue to missing exchange", (ch) => ch.raw.bindQueue(queue, missing, "k"));
      await check("bindQueue missing queue", (ch) => ch.raw.bindQueue(missing, exchange, "k"));
      await check("bindExchange from missing exchange", (ch) => ch.raw.bindExchange(exchange, missing, "k"));
      await check("checkQueue missing", (ch) => ch.raw.checkQueue(missing));
      await check("checkExchange missing", (ch) => ch.raw.checkExchange(missing));
      await check("consume missing queue", (ch) => ch.raw.consume(missing, () => undefined));
      await check("get missing queue", (ch) => ch.raw.get(missing));
      await check("publish to missing exchange", (ch) => ch.publish(missing, "k", "lost"));
      await check("publish to internal exchange", (ch) => ch.publish(internal, "k", "refused"));
      await check("redeclare queue with other x-max-length", (ch) =>
        ch.raw.assertQueue(queue, { durable: false, maxLength: 999 }),
      );
      await check("redeclare queue without its arguments", (ch) =>
        ch.raw.assertQueue(queue, { durable: false }),
      );
      await check("redeclare queue as durable", (ch) =>
        ch.raw.assertQueue(queue, { durable: true, maxLength: 1000 }),
      );
      await check("redeclare exchange with other type", (ch) =>
        ch.raw.assertExchange(exchange, "fanout", { durable: false }),
      );
      await check("declare exchange named amq.*", (ch) =>
        ch.raw.assertExchange("amq.brokerlab-conformance", "direct", { durable: false }),
      );
      await check("declare queue named amq.*", (ch) =>
        ch.raw.assertQueue("amq.brokerlab-conformance", { durable: false }),
      );
      s.track("queue", s.name("errors.bad-ttl"));
      await check("invalid x-message-ttl", (ch) =>
        ch.raw.assertQueue(s.name("errors.bad-ttl"), { durable: false, messageTtl: -1 }),
      );
      s.track("queue", s.name("errors.bad-overflow"));
      await check("invalid x-overflow", (ch) =>
        ch.raw.assertQueue(s.name("errors.bad-overflow"), {
          durable: false,
          arguments: { "x-overflow": "bogus" },
        }),
      );
      await check("invalid expiration on publish", (ch) =>
        ch.publish(exchange, "k", "bad", { expiration: "soon" }),
      );
      await check("deleteQueue ifEmpty on a non-empty queue", (ch) =>
        ch.raw.deleteQueue(queue, { ifEmpty: true }),
      );
      await check("deleteExchange ifUnused on a bound exchange", (ch) =>
        ch.raw.deleteExchange(exchange, { ifUnused: true }),
      );
      await check("ack unknown delivery tag", (ch) => ch.raw.ack(fakeDelivery(99)));
      await check("nack unknown delivery tag with allUpTo", (ch) =>
        ch.raw.nack(fakeDelivery(99), true, true),
      );
      await check("reject on a channel with no deliveries", (ch) => ch.raw.reject(fakeDelivery(1), true));

      // Double ack: the second ack of the same delivery is an unknown tag. The channel holds `e1`
      // (acked) and `e2` (unacked): after the close, `e2` is back in the queue, redelivered.
      const doubleAckCh = await s.channel();
      const afterDoubleAck = await s.expectChannelError(async (ch) => {
        const first = await ch.raw.get(queue);
        const secondMsg = await ch.raw.get(queue);
        if (!first || !secondMsg) throw new Error("seed messages missing");
        ch.raw.ack(first);
        ch.raw.ack(first);
      }, doubleAckCh);
      let laterCall: JsonObject;
      try {
        await doubleAckCh.raw.checkQueue(queue);
        laterCall = { rejected: false };
      } catch (error) {
        laterCall = { rejected: true, message: String((error as Error).message).split("\n")[0] ?? "" };
      }
      cases["ack the same delivery twice"] = afterDoubleAck;
      await s.waitForReady(queue, 1);
      const requeuedByClose = await s.drain(queue);

      // 405: another connection's exclusive queue.
      const exclusive = s.name("errors.exclusive");
      s.track("queue", exclusive);
      const owner = await s.connect();
      const ownerCh = await s.channel(owner);
      await ownerCh.raw.assertQueue(exclusive, { exclusive: true, durable: false });
      await check("declare another connection's exclusive queue", (ch) =>
        ch.raw.assertQueue(exclusive, { exclusive: true, durable: false }),
      );
      await check("consume another connection's exclusive queue", (ch) =>
        ch.raw.consume(exclusive, () => undefined),
      );
      await owner.close();

      return { cases, laterCallOnClosedChannel: laterCall, requeuedByClose };
    }),
};
