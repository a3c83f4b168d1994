import { describe, expect, it } from "vitest";
import type { Delivery } from "../../src/queue/delivery.js";
import { deaths, drainDeliveries, setup } from "../exchange/amqp-helpers.js";

const QUORUM = { durable: true, type: "quorum" } as const;
const view = (d: Delivery) => [d.content, d.headers?.["x-delivery-count"], d.redelivered, d.messageCount];

describe("quorum queues", () => {
  it("x-delivery-limit: counts from 0, dead-letters delivery_limit above the limit (at most N+1 deliveries)", () => {
    const { broker, channel } = setup();
    broker.exchange("dlx", "fanout");
    broker.queue("dlq");
    broker.bind("dlq", "dlx");
    broker.queue("limited", { ...QUORUM, deliveryLimit: 2, deadLetterExchange: "dlx" });
    broker.publish("", "limited", "poison");
    broker.publish("", "limited", "healthy");
    const seen: unknown[][] = [];
    for (let attempt = 0; attempt < 8; attempt++) {
      const d = channel.get("limited");
      if (d === null) break;
      seen.push(view(d));
      if (d.content === "healthy") {
        d.ack();
        break;
      }
      d.reject(true);
    }
    expect(seen).toEqual([
      ["poison", 0, false, 1],
      ["poison", 1, true, 1],
      ["poison", 2, true, 1],
      ["healthy", 0, false, 0],
    ]);
    const [dead] = drainDeliveries(channel, "dlq");
    expect(dead!.content).toBe("poison");
    expect(dead!.redelivered).toBe(false);
    expect(dead!.headers?.["x-delivery-count"]).toBeUndefined();
    expect(deaths(dead!)).toEqual([
      { count: 1, exchange: "", queue: "limited", reason: "delivery_limit", "routing-keys": ["limited"] },
    ]);
    broker.checkInvariants();
  });

  it("3.10 requeue position: the tail without a delivery limit, the head with one", () => {
    const order = (extra: { deliveryLimit?: number }) => {
      const { broker, channel } = setup();
      broker.queue("q", { ...QUORUM, ...extra });
      for (const body of ["q1", "q2", "q3"]) broker.publish("", "q", body);
      channel.get("q")!.nack(false, true);
      return drainDeliveries(channel, "q").map(view);
    };
    expect(order({})).toEqual([
      ["q2", 0, false, 2],
      ["q3", 0, false, 1],
      ["q1", 1, true, 0],
    ]);
    expect(order({ deliveryLimit: 10 })).toEqual([
      ["q1", 1, true, 2],
      ["q2", 0, false, 1],
      ["q3", 0, false, 0],
    ]);
  });

  it("with a limit, returned messages are served in the order they came back", () => {
    const { broker, channel } = setup();
    broker.queue("q", { ...QUORUM, deliveryLimit: 5 });
    for (const body of ["a", "b", "c", "d"]) broker.publish("", "q", body);
    const [a, b] = [channel.get("q")!, channel.get("q")!];
    b.reject(true);
    a.reject(true);
    expect(drainDeliveries(channel, "q").map((d) => d.content)).toEqual(["b", "a", "c", "d"]);
  });

  it("a channel close counts as a delivery (and can dead-letter)", () => {
    const { broker, connection, channel } = setup();
    broker.queue("q", { ...QUORUM, deliveryLimit: 0 });
    broker.publish("", "q", "once");
    const worker = connection.channel();
    worker.get("q");
    worker.close();
    expect(broker.getQueue("q")!.ready).toBe(0);
    expect(broker.stats().dropped).toBe(1);
    expect(channel.get("q")).toBeNull();
  });

  it("declaration rules: durable, not exclusive, not auto-delete; no global QoS for consumers", () => {
    const { broker, connection } = setup();
    const refuse = (options: object) =>
      expect(() => connection.channel().queue("qq", { type: "quorum", ...options })).toThrow(
        expect.objectContaining({ code: "PRECONDITION_FAILED" }),
      );
    refuse({ durable: false });
    refuse({ durable: true, autoDelete: true });
    refuse({ durable: true, exclusive: true });
    broker.queue("qq", QUORUM);
    const ch = connection.channel({ globalPrefetch: 5 });
    expect(() => ch.consume("qq", () => undefined)).toThrow(
      expect.objectContaining({
        code: "NOT_IMPLEMENTED",
        details: expect.objectContaining({ replyCode: 540 }),
      }),
    );
    expect(connection.closed).toBe(true);
  });

  it("redeclaring without x-queue-type is inequivalent (3.10)", () => {
    const { broker } = setup();
    broker.queue("qq", QUORUM);
    expect(() => broker.queue("qq", { durable: true })).toThrow(
      expect.objectContaining({
        code: "PRECONDITION_FAILED",
        details: expect.objectContaining({ argument: "x-queue-type" }),
      }),
    );
  });

  it("x-delivery-limit is ignored on classic queues", () => {
    const { broker, channel } = setup();
    broker.queue("classic", { arguments: { "x-delivery-limit": 0 } });
    broker.publish("", "classic", 1);
    channel.get("classic")!.reject(true);
    channel.get("classic")!.reject(true);
    const d = channel.get("classic")!;
    expect([d.redelivered, d.headers]).toEqual([true, undefined]);
  });
});
