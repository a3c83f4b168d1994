import { describe, expect, it, vi } from "vitest";
import { setup } from "./amqp-helpers.js";

async function scenario(seed: number) {
  const { sim, broker, connection } = setup(undefined, seed);
  const trace = sim.trace();
  broker.exchange("orders", "topic");
  broker.exchange("dlx", "fanout");
  broker.queue("dead");
  broker.bind("dead", "dlx");
  broker.queue("work", { deadLetterExchange: "dlx", messageTtl: 100 });
  broker.bind("work", "orders", "#");
  const pub = connection.channel({ confirm: true });
  const worker = connection.channel({ prefetch: 2 });
  let n = 0;
  worker.consume("work", async (d) => {
    await sim.sleep(10);
    if (n++ % 3 === 0) d.reject(false);
    else d.ack();
  });
  for (let i = 0; i < 10; i++) pub.publish("orders", `k.${i}`, i, { mandatory: true });
  pub.publish("orders", "", "x", { expiration: "5" });
  channelGet(connection);
  await sim.run();
  broker.checkInvariants();
  return trace;
}

function channelGet(connection: ReturnType<typeof setup>["connection"]) {
  connection.channel().get("work");
}

describe("events", () => {
  it("an unobserved broker builds no event payloads", async () => {
    const { sim, broker, channel } = setup();
    const emit = vi.spyOn(sim.bus, "emit");
    broker.queue("q", { messageTtl: 5 });
    channel.consume("q", (d) => d.reject(!d.redelivered));
    for (let i = 0; i < 5; i++) channel.sendToQueue("q", i);
    await sim.run();
    expect(emit).not.toHaveBeenCalled();
  });

  it("traces are identical for the same seed", async () => {
    const first = await scenario(7);
    const second = await scenario(7);
    expect(first.length).toBeGreaterThan(50);
    expect(second.serialize()).toBe(first.serialize());
    expect(second.hash()).toBe(first.hash());
  });

  it("reports the life of a message in order", async () => {
    const { sim, broker, channel } = setup();
    broker.queue("q");
    const types: string[] = [];
    sim.bus.tap((type) => types.push(type));
    channel.consume("q", (d) => (d.redelivered ? d.ack() : d.nack()));
    channel.sendToQueue("q", "hello");
    await sim.run();
    expect(types).toEqual([
      "amqp.consume",
      "amqp.publish",
      "amqp.route",
      "amqp.enqueue",
      "amqp.deliver",
      "amqp.nack",
      "amqp.requeue",
      "amqp.deliver",
      "amqp.ack",
    ]);
  });
});
