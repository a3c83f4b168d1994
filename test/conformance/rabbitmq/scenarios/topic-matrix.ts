import { type Scenario, withSession } from "../harness.js";

/** Binding keys, each bound to its own queue; edge cases of topic matching included. */
export const TOPIC_BINDING_KEYS: readonly string[] = [
  "",
  "#",
  "*",
  "#.#",
  "*.*",
  "*.#",
  "#.*",
  "a",
  "a.b",
  "a.*",
  "*.b",
  "a.#",
  "#.b",
  "a.#.b",
  "a.*.b",
  "a.#.#.b",
  "#.a.#",
  "a..b",
  ".",
  "..",
  ".x",
  "x.",
  "*.x",
  "x.*",
  ".*",
  "*.",
  "a#b",
  "a*b",
  "*#",
  "log.#",
  "log.*",
  "stock.*.nyse",
  "stock.#",
  "#.nyse",
  "*.*.*",
  "#.#.#",
];

/** Routing keys, each published once to the topic exchange; `*` and `#` here are literal text. */
export const TOPIC_ROUTING_KEYS: readonly string[] = [
  "",
  ".",
  "..",
  "a",
  "b",
  "x",
  "a.b",
  "a.b.c",
  "a.x.b",
  "a.x.y.b",
  "a.a.b",
  "a..b",
  "a.b.",
  ".x",
  "x.",
  "x.x",
  "a#b",
  "a*b",
  "*",
  "#",
  "a.*",
  "a.#",
  "*.x",
  "log",
  "log.info",
  "log.info.disk",
  "stock.ibm.nyse",
  "stock.nyse",
  "stock.ibm.x.nyse",
];

/**
 * Topic matching matrix: which binding keys match which routing keys; plus one queue bound with
 * several overlapping keys, which must get a single copy of each message.
 */
export const topicMatrix: Scenario = {
  name: "topic-matrix",
  description: `${TOPIC_BINDING_KEYS.length} binding keys x ${TOPIC_ROUTING_KEYS.length} routing keys on a topic exchange`,
  run: (ctx) =>
    withSession(ctx, async (s) => {
      const exchange = await s.exchange("topic", "topic", { durable: false });
      const queueOf = new Map<string, string>();
      for (const [index, key] of TOPIC_BINDING_KEYS.entries()) {
        const queue = await s.queue(`topic.q${String(index).padStart(2, "0")}`, { durable: false });
        await s.bindQueue(queue, exchange, key);
        queueOf.set(queue, key);
      }
      const overlapKeys = ["a.*", "*.b", "a.#", "#", "a.b"];
      const overlap = await s.queue("topic.overlap", { durable: false });
      for (const key of overlapKeys) await s.bindQueue(overlap, exchange, key);

      const pub = await s.confirmChannel();
      TOPIC_ROUTING_KEYS.forEach((key, index) => {
        pub.publish(exchange, key, `m${index}`, { mandatory: true });
      });
      await pub.settled();

      const receivedBy = new Map<string, string[]>(TOPIC_ROUTING_KEYS.map((key) => [key, []]));
      const routingKeyMismatches: string[] = [];
      for (const [queue, bindingKey] of queueOf) {
        for (const msg of await s.drain(queue)) {
          const routingKey = TOPIC_ROUTING_KEYS[Number(msg.content.slice(1))]!;
          if (msg.routingKey !== routingKey) routingKeyMismatches.push(`${msg.content}:${msg.routingKey}`);
          receivedBy.get(routingKey)!.push(bindingKey);
        }
      }
      const overlapCopies = (await s.drain(overlap)).map(
        (msg) => TOPIC_ROUTING_KEYS[Number(msg.content.slice(1))]!,
      );

      return {
        bindingKeys: [...TOPIC_BINDING_KEYS],
        routingKeys: [...TOPIC_ROUTING_KEYS],
        matrix: TOPIC_ROUTING_KEYS.map((routingKey) => ({
          routingKey,
          matchedBindingKeys: receivedBy.get(routingKey)!,
        })),
        overlap: { bindingKeys: overlapKeys, receivedRoutingKeys: overlapCopies },
        returned: pub.returns.map((r) => ({ routingKey: r.routingKey, replyCode: r.replyCode })),
        confirms: pub.confirms,
        routingKeyMismatches,
      };
    }),
};
