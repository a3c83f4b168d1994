import { type Scenario, waitFor, withSession } from "../harness.js";

/**
 * Default exchange and mandatory publishing: the implicit binding by queue name, unroutable
 * messages returned (312 NO_ROUTE) before their confirm, non-mandatory ones dropped silently,
 * returns on a plain channel, and binding to the default exchange refused (403).
 */
export const defaultExchangeMandatory: Scenario = {
  name: "default-exchange-mandatory",
  description: "default exchange routing by queue name, mandatory returns, confirm order, 403 on binding",
  run: (ctx) =>
    withSession(ctx, async (s) => {
      const queue = await s.queue("default.q", { durable: false });
      const missing = s.name("default.missing");
      const direct = await s.exchange("default.direct", "direct", { durable: false });
      const topic = await s.exchange("default.topic", "topic", { durable: false });
      await s.bindQueue(queue, topic, "only.this");

      const pub = await s.confirmChannel();
      const steps: Array<() => void> = [
        () => pub.sendToQueue(queue, "d1"),
        () => pub.publish("", missing, "d2", { mandatory: true }),
        () => pub.publish("", missing, "d3"),
        () => pub.publish("", queue, "d4", { mandatory: true }),
        () => pub.publish(direct, "nobody", "d5", { mandatory: true }),
        () => pub.publish(topic, "only.that", "d6", { mandatory: true }),
        () => pub.publish(topic, "only.this", "d7", { mandatory: true }),
        () => pub.sendToQueue(queue, "d8", { mandatory: true, headers: { h: "kept" } }),
      ];
      for (const step of steps) {
        step();
        await pub.settled();
      }

      const plain = await s.channel();
      plain.publish("", missing, "p1", { mandatory: true });
      plain.publish(direct, "nobody", "p2", { mandatory: true });
      await waitFor(ctx, () => plain.returns.length >= 2);

      const bindToDefault = await s.expectChannelError((ch) => ch.raw.bindQueue(queue, "", "anything"));
      return {
        delivered: await s.drain(queue),
        confirmChannel: { confirms: pub.confirms, returns: pub.returns, eventOrder: pub.events },
        plainChannel: { returns: plain.returns },
        bindToDefault,
      };
    }),
};
