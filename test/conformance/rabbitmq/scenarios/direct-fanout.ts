import { type Scenario, withSession } from "../harness.js";

/**
 * Direct exchange: exact, case-sensitive keys shared by several queues; a queue bound with two keys;
 * the empty key; an unbound key (mandatory, so returned); a `CC` header adding a second key.
 */
export const directExchange: Scenario = {
  name: "direct-exchange",
  description: "direct exchange with shared keys, empty key, case sensitivity, CC and an unroutable key",
  run: (ctx) =>
    withSession(ctx, async (s) => {
      const exchange = await s.exchange("direct", "direct", { durable: false });
      const bindings: Record<string, string[]> = {
        qa: ["k1"],
        qb: ["k1", "k2"],
        qc: ["k2", ""],
        qd: ["K1"],
        qe: ["k1.x"],
      };
      const queues: Record<string, string> = {};
      for (const [base, keys] of Object.entries(bindings)) {
        queues[base] = await s.queue(`direct.${base}`, { durable: false });
        for (const key of keys) await s.bindQueue(queues[base]!, exchange, key);
      }
      const pub = await s.confirmChannel();
      const publishes: Array<[string, string, { CC?: string[] }?]> = [
        ["k1", "to-k1"],
        ["k2", "to-k2"],
        ["", "to-empty"],
        ["K1", "to-K1"],
        ["k1.x", "to-k1.x"],
        ["k3", "to-k3"],
        ["k1", "to-k1-cc-k2", { CC: ["k2"] }],
        ["k3", "to-k3-cc-K1", { CC: ["K1"] }],
      ];
      for (const [key, content, extra] of publishes)
        pub.publish(exchange, key, content, { mandatory: true, ...extra });
      await pub.settled();
      const received: Record<string, string[]> = {};
      for (const [base, queue] of Object.entries(queues)) {
        received[base] = (await s.drain(queue)).map((m) => `${m.content}@${m.routingKey}`);
      }
      return { bindings, received, returns: pub.returns, confirms: pub.confirms };
    }),
};

/**
 * Fanout exchange: every bound queue gets one copy whatever the key, even a queue bound twice;
 * a fanout with no bindings returns mandatory messages.
 */
export const fanoutExchange: Scenario = {
  name: "fanout-exchange",
  description: "fanout ignores keys, one copy per queue even with two bindings; empty fanout returns",
  run: (ctx) =>
    withSession(ctx, async (s) => {
      const fanout = await s.exchange("fanout", "fanout", { durable: false });
      const empty = await s.exchange("fanout.empty", "fanout", { durable: false });
      const q1 = await s.queue("fanout.q1", { durable: false });
      const q2 = await s.queue("fanout.q2", { durable: false });
      const q3 = await s.queue("fanout.q3", { durable: false });
      await s.bindQueue(q1, fanout, "");
      await s.bindQueue(q2, fanout, "ignored");
      await s.bindQueue(q3, fanout, "one");
      await s.bindQueue(q3, fanout, "two");
      const pub = await s.confirmChannel();
      pub.publish(fanout, "", "f1", { mandatory: true });
      pub.publish(fanout, "anything.at.all", "f2", { mandatory: true });
      pub.publish(fanout, "one", "f3", { mandatory: true });
      pub.publish(empty, "k", "f4", { mandatory: true });
      await pub.settled();
      return {
        q1: await s.drain(q1),
        q2: await s.drain(q2),
        q3: await s.drain(q3),
        returns: pub.returns,
        confirms: pub.confirms,
      };
    }),
};
