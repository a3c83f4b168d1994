import type { ConsumeMessage } from "amqplib";
import { type MessageObservation, observeMessage, type Scenario, waitFor, withSession } from "../harness.js";

/** Rejections before the consumer finally acks. */
const FAILURES = 3;

/**
 * Delayed retry through a TTL queue: the work queue's consumer rejects (requeue=false) → DLX →
 * retry queue with `x-message-ttl` → dead-letters back to the work exchange → work queue. Each
 * round adds to the `x-death` counts; the fourth delivery is acked.
 */
export const retryLoop: Scenario = {
  name: "ttl-retry-loop",
  description: "work queue rejects → retry exchange → TTL queue → back to work; x-death counts grow",
  run: (ctx) =>
    withSession(ctx, async (s) => {
      const work = await s.exchange("retry.work", "direct", { durable: false });
      const retry = await s.exchange("retry.retry", "fanout", { durable: false });
      const workQueue = await s.queue("retry.q.work", { durable: false, deadLetterExchange: retry });
      const retryQueue = await s.queue("retry.q.wait", {
        durable: false,
        messageTtl: 30,
        deadLetterExchange: work,
      });
      await s.bindQueue(workQueue, work, "task");
      await s.bindQueue(retryQueue, retry, "");

      const consumerCh = await s.channel();
      const deliveries: MessageObservation[] = [];
      await consumerCh.raw.consume(workQueue, (msg: ConsumeMessage | null) => {
        if (!msg) return;
        deliveries.push(observeMessage(msg, workQueue));
        if (deliveries.length <= FAILURES) consumerCh.raw.reject(msg, false);
        else consumerCh.raw.ack(msg);
      });
      const pub = await s.confirmChannel();
      pub.publish(work, "task", "job-1", { headers: { attempt: "original" } });
      await pub.settled();
      await waitFor(ctx, () => deliveries.length > FAILURES);
      // Nothing else may arrive: the acked message is gone and the retry queue is empty.
      await ctx.sleep(100);
      return {
        deliveries,
        retryQueueLeft: await s.readyCount(retryQueue),
        workQueueLeft: await s.readyCount(workQueue),
        confirms: pub.confirms,
      };
    }),
};
