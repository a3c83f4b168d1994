import type { ConsumeMessage } from "amqplib";
import {
  type JsonObject,
  type ObservedChannel,
  type Scenario,
  type Session,
  waitFor,
  withSession,
} from "../harness.js";

const PSEUDO = "amq.rabbitmq.reply-to";

/** Runs `action` on a fresh channel the server should close; reports the close text or "ok". */
async function closeText(
  s: Session,
  action: (ch: ObservedChannel) => Promise<unknown> | unknown,
): Promise<string> {
  const ch = await s.channel();
  let emitted: string | null = null;
  ch.raw.on("error", (error: Error) => {
    emitted ??= error.message;
  });
  let rejected: string | null = null;
  let value: unknown;
  try {
    value = await action(ch);
  } catch (error) {
    rejected = (error as Error).message;
  }
  const closed = await ch.waitClosed(s.ctx, 2_000);
  if (!closed) {
    await ch.close();
    return `ok ${JSON.stringify(value ?? null)}`;
  }
  return emitted ?? rejected ?? "closed";
}

/** What a reply looks like to its requester, with the generated names replaced by roles. */
function observeReply(msg: ConsumeMessage, name: string, consumerTag: string): JsonObject {
  const { fields, properties } = msg;
  return {
    content: msg.content.toString(),
    deliveryTag: fields.deliveryTag,
    redelivered: fields.redelivered,
    exchange: fields.exchange,
    routingKeyIsReplyName: fields.routingKey === name,
    consumerTagMatches: fields.consumerTag === consumerTag,
    correlationId: properties.correlationId ?? null,
    contentType: properties.contentType ?? null,
    headers: (properties.headers as JsonObject | undefined) ?? null,
  };
}

/**
 * Direct Reply-to (`amq.rabbitmq.reply-to`): the consume and publish preconditions (406 texts),
 * the rewritten reply-to name, replies delivered with the channel's next delivery tag, mandatory
 * replies returned as unroutable yet delivered, declares of the pseudo-queue and of a live name,
 * and replies that go nowhere (cancelled consumer, old key, closed channel, made-up name).
 */
export const directReplyTo: Scenario = {
  name: "direct-reply-to",
  description: "amq.rabbitmq.reply-to: preconditions, name rewriting, reply delivery, returns, declares",
  run: (ctx) =>
    withSession(ctx, async (s) => {
      const errors: JsonObject = {
        "consume without noAck": await closeText(s, (ch) => ch.raw.consume(PSEUDO, () => undefined)),
        "consume twice": await closeText(s, async (ch) => {
          await ch.raw.consume(PSEUDO, () => undefined, { noAck: true });
          return ch.raw.consume(PSEUDO, () => undefined, { noAck: true });
        }),
        "publish replyTo without a reply consumer": await closeText(s, async (ch) => {
          ch.raw.sendToQueue(s.name("drt.none"), Buffer.from("x"), { replyTo: PSEUDO });
          await ch.waitClosed(s.ctx, 1_000);
        }),
        "get from the pseudo-queue": await closeText(s, (ch) => ch.raw.get(PSEUDO)),
        "checkQueue of the pseudo-queue": await closeText(s, (ch) => ch.raw.checkQueue(PSEUDO)),
        "assertQueue of the pseudo-queue": await closeText(s, (ch) => ch.raw.assertQueue(PSEUDO)),
        "checkQueue of a made-up reply name": await closeText(s, (ch) =>
          ch.raw.checkQueue(`${PSEUDO}.bogus`),
        ),
        "assertQueue amq.rabbitmq.reply-tox": await closeText(s, (ch) => ch.raw.assertQueue(`${PSEUDO}x`)),
      };

      const rpc = await s.queue("drt.rpc", { durable: false });
      const other = await s.queue("drt.other", { durable: false });
      const server = await s.confirmChannel();
      const requests: string[] = [];
      await server.raw.consume(
        rpc,
        (msg) => {
          if (msg === null) return;
          const replyTo = String(msg.properties.replyTo);
          requests.push(replyTo);
          const body = msg.content.toString();
          server.sendToQueue(replyTo, `pong:${body}`, {
            correlationId: msg.properties.correlationId,
            contentType: "text/plain",
            headers: { a: 1 },
            mandatory: body === "mandatory",
          });
        },
        { noAck: true },
      );
      const client = await s.channel();
      const replies: ConsumeMessage[] = [];
      const { consumerTag } = await client.raw.consume(PSEUDO, (msg) => msg && replies.push(msg), {
        noAck: true,
      });
      // A get first, so the channel's next delivery tag is 2.
      const seed = await s.confirmChannel();
      seed.sendToQueue(other, "bump");
      await seed.settled();
      const bumped = await client.raw.get(other);
      if (bumped) client.raw.ack(bumped);

      client.sendToQueue(rpc, "ping", { replyTo: PSEUDO, correlationId: "c-1" });
      await waitFor(ctx, () => replies.length >= 1);
      client.sendToQueue(rpc, "mandatory", { replyTo: PSEUDO });
      await waitFor(ctx, () => replies.length >= 2);
      await server.settled();
      const name = requests[0] ?? "";
      const firstReplies = replies.map((msg) => observeReply(msg, name, consumerTag));

      const lookup = await s.channel();
      const passive = await lookup.raw.checkQueue(name);
      await lookup.close();
      const bindToName = await closeText(s, (ch) => ch.raw.bindQueue(name, "amq.direct", "k"));

      // After a cancel the old name routes nowhere; a new consume gets a new key.
      await client.raw.cancel(consumerTag);
      server.sendToQueue(name, "after-cancel", { mandatory: true });
      await server.settled();
      const again = await client.raw.consume(PSEUDO, (msg) => msg && replies.push(msg), { noAck: true });
      client.sendToQueue(rpc, "again", { replyTo: PSEUDO });
      await waitFor(ctx, () => requests.length >= 3 && replies.length >= 3);
      const newName = requests[2] ?? "";
      server.sendToQueue(name, "old-key", { mandatory: true });
      await server.settled();
      const afterReconsume = replies.slice(2).map((msg) => observeReply(msg, newName, again.consumerTag));
      await client.close();
      server.sendToQueue(newName, "after-close", { mandatory: true });
      server.sendToQueue(`${PSEUDO}.garbage`, "garbage", { mandatory: true });
      server.sendToQueue(PSEUDO, "bare", { mandatory: true });
      await server.settled();
      await waitFor(ctx, () => server.returns.length >= 6);

      const shape = /^amq\.rabbitmq\.reply-to\.[A-Za-z0-9+/]+={0,2}\.[A-Za-z0-9+/]{22}==$/;
      return {
        errors,
        name: {
          shape: shape.test(name),
          length: name.length,
          sameForBothRequests: requests[1] === name,
          newKeyAfterReconsume: newName !== name,
          sameChannelPart: newName.split(".").slice(0, 4).join(".") === name.split(".").slice(0, 4).join("."),
        },
        replies: firstReplies,
        passiveDeclareOfLiveName: {
          queueIsName: passive.queue === name,
          messageCount: passive.messageCount,
          consumerCount: passive.consumerCount,
        },
        bindToName: bindToName.replace(name, "<reply-name>"),
        afterReconsume,
        serverReturns: server.returns.map((r) => ({
          replyCode: r.replyCode,
          replyText: r.replyText,
          content: r.content,
          exchange: r.exchange,
          routingKey:
            r.routingKey === name ? "<old-name>" : r.routingKey === newName ? "<new-name>" : r.routingKey,
        })),
        serverConfirms: server.confirms,
      };
    }),
};
