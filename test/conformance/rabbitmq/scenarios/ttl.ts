import { observeMessage, type Scenario, withSession } from "../harness.js";

/** Well beyond every TTL used below, so expiry has certainly happened when we look. */
const PAST_TTL_MS = 400;

/**
 * Message TTL: queue-level `x-message-ttl` (the smaller of queue and message TTL applies), a
 * per-message `expiration` stuck behind a live message (counted, never delivered, dead-lettered
 * once it reaches the head), TTL 0 without consumers, and expiry measured from enqueue across a requeue.
 */
export const messageTtl: Scenario = {
  name: "message-ttl",
  description: "queue TTL, per-message TTL stuck behind a live message, TTL 0, expiry across requeue",
  run: (ctx) =>
    withSession(ctx, async (s) => {
      const dlx = await s.exchange("ttl.dlx", "direct", { durable: false });
      const dlq: Record<string, string> = {};
      for (const part of ["queue-ttl", "per-message", "zero", "requeue"]) {
        dlq[part] = await s.queue(`ttl.dlq.${part}`, { durable: false });
        await s.bindQueue(dlq[part]!, dlx, part);
      }
      const withDlx = (part: string) => ({ deadLetterExchange: dlx, deadLetterRoutingKey: part });
      const queueTtl = await s.queue("ttl.q.queue-ttl", {
        durable: false,
        messageTtl: 100,
        ...withDlx("queue-ttl"),
      });
      const perMessage = await s.queue("ttl.q.per-message", { durable: false, ...withDlx("per-message") });
      const zero = await s.queue("ttl.q.zero", { durable: false, messageTtl: 0, ...withDlx("zero") });
      const requeue = await s.queue("ttl.q.requeue", {
        durable: false,
        messageTtl: 200,
        ...withDlx("requeue"),
      });

      const pub = await s.confirmChannel();
      pub.sendToQueue(queueTtl, "a1");
      pub.sendToQueue(queueTtl, "a2-longer-expiration", { expiration: "60000" });
      pub.sendToQueue(queueTtl, "a3-shorter-expiration", { expiration: "10" });
      pub.sendToQueue(perMessage, "b1-no-expiration");
      pub.sendToQueue(perMessage, "b2-expires", { expiration: "50" });
      pub.sendToQueue(perMessage, "b3-expires", { expiration: 50 });
      pub.sendToQueue(perMessage, "b4-no-expiration");
      pub.sendToQueue(zero, "c1-ttl-zero");
      pub.sendToQueue(requeue, "d1-requeued-after-ttl");
      await pub.settled();

      const ch = await s.channel();
      const held = await ch.raw.get(requeue);
      const requeueFirstDelivery = held ? observeMessage(held, requeue) : null;
      await ctx.sleep(PAST_TTL_MS);

      const stuck = {
        readyWhileStuck: await s.readyCount(perMessage),
        deadLetteredWhileStuck: await s.readyCount(dlq["per-message"]!),
      };
      if (held) ch.raw.nack(held, false, true);
      const perMessageGets = await s.drain(perMessage, { channel: ch });

      await s.waitForReady(dlq["queue-ttl"]!, 3);
      await s.waitForReady(dlq["per-message"]!, 2);
      await s.waitForReady(dlq.zero!, 1);
      await s.waitForReady(dlq.requeue!, 1);
      return {
        queueTtl: { left: await s.readyCount(queueTtl), deadLettered: await s.drain(dlq["queue-ttl"]!) },
        perMessage: {
          ...stuck,
          gets: perMessageGets,
          readyAfterHeadMoved: await s.readyCount(perMessage),
          deadLettered: await s.drain(dlq["per-message"]!),
        },
        ttlZero: { left: await s.readyCount(zero), deadLettered: await s.drain(dlq.zero!) },
        requeueAfterTtl: {
          firstDelivery: requeueFirstDelivery,
          left: await s.readyCount(requeue),
          deadLettered: await s.drain(dlq.requeue!),
        },
        confirms: pub.confirms,
      };
    }),
};
