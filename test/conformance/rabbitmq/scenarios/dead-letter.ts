import type { Message } from "amqplib";
import { observeMessage, type Scenario, withSession } from "../harness.js";

/**
 * Dead-lettering by `reject` and `nack` (single and multiple, requeue=false): with and without
 * `x-dead-letter-routing-key`, with `CC`/`BCC` keys, a per-message `expiration` (recorded as
 * `original-expiration`), a missing DLX (dropped), no DLX (discarded), and a second death.
 */
export const deadLetterRejectNack: Scenario = {
  name: "dead-letter-reject-nack",
  description: "reject/nack to a DLX, with and without dead-letter routing key; x-death and x-first-death-*",
  run: (ctx) =>
    withSession(ctx, async (s) => {
      const second = await s.exchange("dl.second", "fanout", { durable: false });
      const dlx = await s.exchange("dl.dlx", "direct", { durable: false });
      const work = await s.exchange("dl.work", "direct", { durable: false });
      const final = await s.queue("dl.q.final", { durable: false });
      await s.bindQueue(final, second, "");
      const dlqOriginal = await s.queue("dl.q.original-key", { durable: false, deadLetterExchange: second });
      const dlqCustom = await s.queue("dl.q.dead-letter-key", { durable: false });
      const dlqCc = await s.queue("dl.q.cc-key", { durable: false });
      await s.bindQueue(dlqOriginal, dlx, "work.k");
      await s.bindQueue(dlqCustom, dlx, "dlk");
      await s.bindQueue(dlqCc, dlx, "work.cc");

      const w1 = await s.queue("dl.w1.original-keys", { durable: false, deadLetterExchange: dlx });
      const w2 = await s.queue("dl.w2.dead-letter-key", {
        durable: false,
        deadLetterExchange: dlx,
        deadLetterRoutingKey: "dlk",
      });
      const w3 = await s.queue("dl.w3.missing-dlx", {
        durable: false,
        deadLetterExchange: s.name("dl.none"),
      });
      const w4 = await s.queue("dl.w4.no-dlx", { durable: false });
      await s.bindQueue(w1, work, "work.k");
      await s.bindQueue(w1, work, "work.cc");
      await s.bindQueue(w2, work, "w2");
      await s.bindQueue(w2, work, "w2.cc");
      await s.bindQueue(w3, work, "w3");
      await s.bindQueue(w4, work, "w4");

      const pub = await s.confirmChannel();
      pub.publish(work, "work.k", "r1-reject");
      pub.publish(work, "work.k", "r2-nack", { headers: { custom: "kept" } });
      pub.publish(work, "work.k", "r3-nack-expiration", { expiration: "60000" });
      pub.publish(work, "work.k", "r4-cc", { CC: ["work.cc"] });
      pub.publish(work, "work.k", "r5-bcc", { BCC: ["work.cc"] });
      pub.publish(work, "w2", "s1-reject");
      pub.publish(work, "w2", "s2-cc", { CC: ["w2.cc"] });
      pub.publish(work, "w3", "t1-missing-dlx");
      pub.publish(work, "w4", "u1-no-dlx");
      await pub.settled();

      const ch = await s.channel();
      const take = async (queue: string, count: number): Promise<Message[]> => {
        const out: Message[] = [];
        for (let i = 0; i < count; i++) {
          const msg = await ch.raw.get(queue);
          if (msg) out.push(msg);
        }
        return out;
      };
      const [r1, r2, r3, r4, r5] = await take(w1, 5);
      const workDeliveries = [r1, r2, r3, r4, r5].map((m) => observeMessage(m!, w1));
      ch.raw.reject(r1!, false);
      ch.raw.nack(r2!, false, false);
      ch.raw.nack(r3!, false, false);
      ch.raw.nack(r5!, true, false); // allUpTo: dead-letters r4 and r5
      for (const msg of await take(w2, 2)) ch.raw.reject(msg, false);
      for (const msg of await take(w3, 1)) ch.raw.reject(msg, false);
      for (const msg of await take(w4, 1)) ch.raw.reject(msg, false);

      await s.waitForReady(dlqOriginal, 5);
      await s.waitForReady(dlqCustom, 2);
      await s.waitForReady(dlqCc, 2);
      // Second death: reject the first message of the original-key DLQ into `dl.second`.
      const first = await ch.raw.get(dlqOriginal);
      const secondDeathSource = first ? observeMessage(first, dlqOriginal) : null;
      if (first) ch.raw.reject(first, false);
      const deadLetteredOriginalKey = await s.drain(dlqOriginal);
      await s.waitForReady(final, 1);
      return {
        workDeliveries,
        deadLetteredOriginalKey: secondDeathSource ? [secondDeathSource, ...deadLetteredOriginalKey] : [],
        deadLetteredCustomKey: await s.drain(dlqCustom),
        deadLetteredCcKey: await s.drain(dlqCc),
        afterSecondDeath: await s.drain(final),
        leftInWorkQueues: {
          w1: await s.readyCount(w1),
          w2: await s.readyCount(w2),
          w3: await s.readyCount(w3),
          w4: await s.readyCount(w4),
        },
        confirms: pub.confirms,
      };
    }),
};
