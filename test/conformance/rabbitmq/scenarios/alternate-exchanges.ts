import { type Scenario, withSession } from "../harness.js";

/**
 * Alternate exchanges: a chain main → middle → last, a dangling AE (unroutable, returned), an AE
 * cycle, and an exchange whose only match is an exchange binding leading nowhere (its own AE unused).
 */
export const alternateExchanges: Scenario = {
  name: "alternate-exchanges",
  description: "chained alternate exchanges, missing AE, AE cycle, exchange-only match skips the AE",
  run: (ctx) =>
    withSession(ctx, async (s) => {
      const last = await s.exchange("ae.last", "fanout", { durable: false });
      const middle = await s.exchange("ae.middle", "direct", { durable: false, alternateExchange: last });
      const main = await s.exchange("ae.main", "direct", { durable: false, alternateExchange: middle });
      const qMain = await s.queue("ae.q.main", { durable: false });
      const qMiddle = await s.queue("ae.q.middle", { durable: false });
      const qLast = await s.queue("ae.q.last", { durable: false });
      await s.bindQueue(qMain, main, "k1");
      await s.bindQueue(qMiddle, middle, "k2");
      await s.bindQueue(qLast, last, "");

      const dangling = await s.exchange("ae.dangling", "direct", {
        durable: false,
        alternateExchange: s.name("ae.nonexistent"),
      });
      const cycleA = await s.exchange("ae.cycle.a", "direct", {
        durable: false,
        alternateExchange: s.name("ae.cycle.b"),
      });
      await s.exchange("ae.cycle.b", "direct", { durable: false, alternateExchange: cycleA });

      const viaAlt = await s.exchange("ae.via.alt", "fanout", { durable: false });
      const viaDest = await s.exchange("ae.via.dest", "fanout", { durable: false });
      const via = await s.exchange("ae.via", "direct", { durable: false, alternateExchange: viaAlt });
      const qViaAlt = await s.queue("ae.q.via.alt", { durable: false });
      await s.bindQueue(qViaAlt, viaAlt, "");
      await s.bindExchange(viaDest, via, "z");

      const pub = await s.confirmChannel();
      const publishes: Array<[string, string, string]> = [
        [main, "k1", "a1"],
        [main, "k2", "a2"],
        [main, "k3", "a3"],
        [dangling, "k", "a4"],
        [cycleA, "k", "a5"],
        [via, "z", "a6"],
        [via, "y", "a7"],
      ];
      for (const [exchange, key, content] of publishes)
        pub.publish(exchange, key, content, { mandatory: true });
      await pub.settled();
      return {
        main: await s.drain(qMain),
        middle: await s.drain(qMiddle),
        last: await s.drain(qLast),
        viaAlt: await s.drain(qViaAlt),
        returns: pub.returns,
        confirms: pub.confirms,
      };
    }),
};

/**
 * Exchange-to-exchange bindings: a message reaching one queue along three paths is delivered once,
 * `fields.exchange` stays the publisher's exchange, and a binding cycle is harmless.
 */
export const exchangeToExchange: Scenario = {
  name: "exchange-to-exchange",
  description: "e2e bindings, one copy per queue over several paths, cycles, publisher's exchange kept",
  run: (ctx) =>
    withSession(ctx, async (s) => {
      const source = await s.exchange("e2e.source", "topic", { durable: false });
      const fan = await s.exchange("e2e.fan", "fanout", { durable: false });
      const direct = await s.exchange("e2e.direct", "direct", { durable: false });
      const loop = await s.exchange("e2e.loop", "fanout", { durable: false });
      await s.bindExchange(fan, source, "a.#");
      await s.bindExchange(direct, source, "#");
      await s.bindExchange(loop, source, "a.b");
      await s.bindExchange(source, loop, "");
      const shared = await s.queue("e2e.q.shared", { durable: false });
      const fanOnly = await s.queue("e2e.q.fan", { durable: false });
      const directOnly = await s.queue("e2e.q.direct", { durable: false });
      await s.bindQueue(shared, source, "a.b");
      await s.bindQueue(shared, fan, "");
      await s.bindQueue(shared, direct, "a.b");
      await s.bindQueue(fanOnly, fan, "");
      await s.bindQueue(directOnly, direct, "c");

      const pub = await s.confirmChannel();
      pub.publish(source, "a.b", "e1", { mandatory: true });
      pub.publish(source, "a.c", "e2", { mandatory: true });
      pub.publish(source, "c", "e3", { mandatory: true });
      pub.publish(source, "d", "e4", { mandatory: true });
      pub.publish(fan, "whatever", "e5", { mandatory: true });
      pub.publish(loop, "zzz", "e6", { mandatory: true });
      await pub.settled();

      return {
        shared: await s.drain(shared),
        fanOnly: await s.drain(fanOnly),
        directOnly: await s.drain(directOnly),
        returns: pub.returns,
        confirms: pub.confirms,
      };
    }),
};
