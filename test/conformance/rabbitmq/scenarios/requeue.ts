import type { ConsumeMessage, Message } from "amqplib";
import { type MessageObservation, observeMessage, type Scenario, waitFor, withSession } from "../harness.js";

/**
 * Requeue order on a classic queue: `reject`/`nack` with requeue put messages back in their
 * original position (ahead of later ones) with `redelivered=true`; `nack` with `allUpTo` requeues
 * a range; a consumer's requeued messages come back in publication order.
 */
export const requeueOrder: Scenario = {
  name: "requeue-order",
  description: "classic queue: reject/nack requeue restore original order, redelivered=true",
  run: (ctx) =>
    withSession(ctx, async (s) => {
      const queue = await s.queue("requeue.q", { durable: false });
      const pub = await s.confirmChannel();
      for (let i = 1; i <= 6; i++) pub.sendToQueue(queue, `m${i}`);
      await pub.settled();

      // basic.get m1..m4 unacked, then give back m3 (reject) and m1 (nack), in that order.
      const ch = await s.channel();
      const taken: Message[] = [];
      for (let i = 0; i < 4; i++) {
        const msg = await ch.raw.get(queue);
        if (msg) taken.push(msg);
      }
      const firstGets = taken.map((m) => observeMessage(m, queue));
      ch.raw.reject(taken[2]!, true);
      ch.raw.nack(taken[0]!, false, true);
      const kept: Message[] = [];
      const afterSingleRequeues = await s.drain(queue, { channel: ch, settle: "keep", collect: kept });
      // Now all six are unacked on `ch`; nack with allUpTo from the newest tag requeues every one.
      ch.raw.nack(kept.at(-1)!, true, true);
      const afterNackAllUpTo = await s.drain(queue, { channel: ch, settle: "ack" });

      // A consumer with prefetch 3 cancels, then rejects (requeue) its three deliveries newest first.
      for (let i = 7; i <= 10; i++) pub.sendToQueue(queue, `m${i}`);
      await pub.settled();
      const consumerCh = await s.channel();
      await consumerCh.raw.prefetch(3);
      const consumed: ConsumeMessage[] = [];
      const { consumerTag } = await consumerCh.raw.consume(queue, (msg) => {
        if (msg) consumed.push(msg);
      });
      await waitFor(ctx, () => consumed.length >= 3);
      const firstDeliveries: MessageObservation[] = consumed.map((m) => observeMessage(m, queue));
      await consumerCh.raw.cancel(consumerTag);
      consumerCh.raw.reject(consumed[2]!, true);
      consumerCh.raw.reject(consumed[1]!, true);
      consumerCh.raw.reject(consumed[0]!, true);
      const afterConsumerRequeue = await s.drain(queue, { channel: consumerCh });
      return {
        firstGets,
        afterSingleRequeues,
        afterNackAllUpTo,
        consumer: { firstDeliveries, afterConsumerRequeue },
        confirms: pub.confirms,
      };
    }),
};

/**
 * Closing a channel or a connection with unacked messages requeues them in their original
 * positions, `redelivered=true`; acked ones stay gone.
 */
export const channelCloseRequeue: Scenario = {
  name: "channel-close-requeue",
  description: "closing a channel / connection requeues its unacked deliveries, redelivered=true",
  run: (ctx) =>
    withSession(ctx, async (s) => {
      const queue = await s.queue("close.q", { durable: false });
      const pub = await s.confirmChannel();
      for (let i = 1; i <= 5; i++) pub.sendToQueue(queue, `c${i}`);
      await pub.settled();

      const consumerCh = await s.channel();
      await consumerCh.raw.prefetch(3);
      const consumed: ConsumeMessage[] = [];
      await consumerCh.raw.consume(queue, (msg) => {
        if (msg) consumed.push(msg);
      });
      await waitFor(ctx, () => consumed.length >= 3);
      const delivered = consumed.map((m) => observeMessage(m, queue));
      consumerCh.raw.ack(consumed[1]!);
      await consumerCh.close();
      await s.waitForReady(queue, 4);
      const afterChannelClose = await s.drain(queue);

      for (let i = 6; i <= 8; i++) pub.sendToQueue(queue, `c${i}`);
      await pub.settled();
      const other = await s.connect();
      const otherCh = await s.channel(other);
      const gotOnOtherConnection = await s.drain(queue, { channel: otherCh, settle: "keep", limit: 2 });
      await other.close();
      await s.waitForReady(queue, 3);
      const afterConnectionClose = await s.drain(queue);
      return {
        delivered,
        afterChannelClose,
        gotOnOtherConnection,
        afterConnectionClose,
        confirms: pub.confirms,
      };
    }),
};
