import type { Message } from "amqplib";
import { type MessageObservation, observeMessage, type Scenario, withSession } from "../harness.js";

const QUORUM = { durable: true, arguments: { "x-queue-type": "quorum" } } as const;

/**
 * Quorum queues: `x-delivery-limit` 2 with requeueing rejects (deliveries carry `x-delivery-count`;
 * after the limit the message is dead-lettered with reason `delivery_limit`), where a requeued
 * message goes with and without a delivery limit, and what `x-overflow: reject-publish-dlx` does
 * on a quorum queue (3.10 accepts the declaration and behaves as drop-head).
 */
export const quorumDeliveryLimit: Scenario = {
  name: "quorum-delivery-limit",
  description:
    "quorum queue x-delivery-limit, x-delivery-count, delivery_limit dead-lettering, requeue position",
  run: (ctx) =>
    withSession(ctx, async (s) => {
      const dlx = await s.exchange("quorum.dlx", "fanout", { durable: false });
      const dlq = await s.queue("quorum.dlq", { durable: false });
      await s.bindQueue(dlq, dlx, "");
      const limited = await s.queue("quorum.q.limited", {
        ...QUORUM,
        arguments: { ...QUORUM.arguments, "x-delivery-limit": 2 },
        deadLetterExchange: dlx,
      });
      const pub = await s.confirmChannel();
      pub.sendToQueue(limited, "poison");
      pub.sendToQueue(limited, "healthy");
      await pub.settled();

      // Keep taking the head message and rejecting it with requeue until "healthy" comes first.
      const ch = await s.channel();
      const deliveries: MessageObservation[] = [];
      for (let attempt = 0; attempt < 8; attempt++) {
        const msg = await ch.raw.get(limited);
        if (!msg) break;
        deliveries.push(observeMessage(msg, limited));
        if (msg.content.toString() === "healthy") {
          ch.raw.ack(msg);
          break;
        }
        ch.raw.reject(msg, true);
      }
      await s.waitForReady(dlq, 1);
      const deadLettered = await s.drain(dlq);

      // Requeue position, with nack this time: no delivery limit vs a (large) delivery limit.
      const position: Record<string, MessageObservation[]> = {};
      for (const [label, extra] of [
        ["no-limit", {}],
        ["with-limit", { "x-delivery-limit": 10 }],
      ] as const) {
        const queue = await s.queue(`quorum.q.requeue.${label}`, {
          ...QUORUM,
          arguments: { ...QUORUM.arguments, ...extra },
        });
        for (const body of ["q1", "q2", "q3"]) pub.sendToQueue(queue, `${label}-${body}`);
        await pub.settled();
        const first = (await ch.raw.get(queue)) as Message | false;
        if (first) ch.raw.nack(first, false, true);
        position[label] = await s.drain(queue, { channel: ch });
      }
      // reject-publish-dlx is a classic-queue mode; see what a quorum queue does with it.
      const overflowDlq = await s.queue("quorum.overflow.dlq", { durable: false });
      const overflowing = await s.queue("quorum.q.reject-publish-dlx", {
        ...QUORUM,
        arguments: { ...QUORUM.arguments, "x-overflow": "reject-publish-dlx", "x-max-length": 1 },
        deadLetterExchange: "",
        deadLetterRoutingKey: overflowDlq,
      });
      const overflowPub = await s.confirmChannel();
      for (const body of ["o1", "o2", "o3"]) overflowPub.sendToQueue(overflowing, body);
      await overflowPub.settled();
      const rejectPublishDlx = {
        confirms: overflowPub.confirms,
        kept: await s.drain(overflowing, { channel: ch }),
      };
      return {
        deliveries,
        deadLettered,
        leftInLimited: await s.readyCount(limited),
        position,
        confirms: pub.confirms,
        rejectPublishDlx,
      };
    }),
};
