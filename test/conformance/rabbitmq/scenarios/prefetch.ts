import type { ConsumeMessage } from "amqplib";
import { type JsonObject, type Scenario, type ScenarioContext, waitFor, withSession } from "../harness.js";

/** How long to watch for deliveries that must not happen. */
const QUIET_MS = 100;

interface Delivery {
  consumer: string;
  message: ConsumeMessage;
}

/** Records deliveries of several consumers in one arrival log. */
class DeliveryLog {
  readonly entries: Delivery[] = [];

  handler(consumer: string): (msg: ConsumeMessage | null) => void {
    return (msg) => {
      if (msg) this.entries.push({ consumer, message: msg });
    };
  }

  /** Waits until `count` deliveries in total have arrived, then a quiet period for surplus ones. */
  async settle(ctx: ScenarioContext, count: number): Promise<void> {
    await waitFor(ctx, () => this.entries.length >= count);
    await ctx.sleep(QUIET_MS);
  }

  /** The newest delivery of `consumer`. */
  latest(consumer: string): ConsumeMessage {
    const found = this.entries.filter((entry) => entry.consumer === consumer).at(-1);
    if (!found) throw new Error(`no delivery for consumer ${consumer}`);
    return found.message;
  }

  /**
   * Deliveries per consumer (`content`, plus ` (redelivered)` where set), consumers sorted by name.
   * Deliveries to different channels may arrive in either order, so only per-consumer order is kept.
   */
  byConsumer(): JsonObject {
    const out: Record<string, string[]> = {};
    for (const { consumer, message } of [...this.entries].sort((x, y) =>
      x.consumer.localeCompare(y.consumer),
    )) {
      const label = `${message.content.toString()}${message.fields.redelivered ? " (redelivered)" : ""}`;
      (out[consumer] ??= []).push(label);
    }
    return out;
  }

  /** `consumer:content` of the deliveries after the first `from`, sorted. */
  since(from: number): string[] {
    return this.entries
      .slice(from)
      .map(({ consumer, message }) => `${consumer}:${message.content.toString()}`)
      .sort();
  }
}

/**
 * Prefetch and round-robin: two consumers with prefetch 1 on separate channels get messages in
 * turn only as they ack, in a controlled order; a channel-wide (global) prefetch shared by two
 * consumers; `basic.get` is not limited by prefetch.
 */
export const prefetchConsumers: Scenario = {
  name: "prefetch-consumers",
  description: "prefetch 1 with two consumers acking in a controlled order; global prefetch; get unlimited",
  run: (ctx) =>
    withSession(ctx, async (s) => {
      const queue = await s.queue("prefetch.q", { durable: false });
      const chA = await s.channel();
      const chB = await s.channel();
      await chA.raw.prefetch(1);
      await chB.raw.prefetch(1);
      const log = new DeliveryLog();
      await chA.raw.consume(queue, log.handler("A"));
      await chB.raw.consume(queue, log.handler("B"));
      const pub = await s.confirmChannel();
      for (let i = 1; i <= 6; i++) pub.sendToQueue(queue, `p${i}`);
      await pub.settled();
      await log.settle(ctx, 2);
      const afterPublish = log.byConsumer();
      const steps: Array<[string, typeof chA, number]> = [
        ["A", chA, 3],
        ["B", chB, 4],
        ["A", chA, 5],
        ["A", chA, 6],
        ["B", chB, 6],
        ["A", chA, 6],
      ];
      const afterEachAck: JsonObject[] = [];
      for (const [consumer, channel, expectedTotal] of steps) {
        const acked = log.latest(consumer);
        const before = log.entries.length;
        channel.raw.ack(acked);
        await log.settle(ctx, expectedTotal);
        afterEachAck.push({ acked: `${consumer}:${acked.content.toString()}`, delivered: log.since(before) });
      }

      // Global prefetch 2 on one channel shared by consumers C and D.
      const shared = await s.queue("prefetch.q.global", { durable: false });
      const chG = await s.channel();
      await chG.raw.prefetch(2, true);
      const globalLog = new DeliveryLog();
      await chG.raw.consume(shared, globalLog.handler("C"));
      await chG.raw.consume(shared, globalLog.handler("D"));
      for (let i = 1; i <= 6; i++) pub.sendToQueue(shared, `g${i}`);
      await pub.settled();
      await globalLog.settle(ctx, 2);
      const globalAfterPublish = globalLog.byConsumer();
      const got = await chG.raw.get(shared);
      const getDespitePrefetch = got ? got.content.toString() : null;
      if (got) chG.raw.ack(got);
      await globalLog.settle(ctx, 2);
      const globalAfterAckingGet = globalLog.since(2);
      chG.raw.ack(globalLog.latest("C"));
      await globalLog.settle(ctx, 3);
      const globalAfterAckingC = globalLog.since(2);
      return {
        perConsumerPrefetch1: { afterPublish, afterEachAck, readyLeft: await s.readyCount(queue) },
        globalPrefetch2: {
          afterPublish: globalAfterPublish,
          getDespitePrefetch,
          deliveredAfterAckingGet: globalAfterAckingGet,
          deliveredAfterAckingC: globalAfterAckingC,
        },
        confirms: pub.confirms,
      };
    }),
};
