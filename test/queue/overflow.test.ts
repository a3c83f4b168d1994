import { describe, expect, it } from "vitest";
import type { OverflowMode } from "../../src/exchange/arguments.js";
import { deaths, drain, drainDeliveries, recordEvents, setup } from "../exchange/amqp-helpers.js";

async function overflowRun(mode: OverflowMode) {
  const { sim, broker, connection, channel } = setup();
  broker.exchange("dlx", "direct");
  broker.queue("dlq");
  broker.bind("dlq", "dlx", mode);
  broker.queue("q", { maxLength: 2, overflow: mode, deadLetterExchange: "dlx", deadLetterRoutingKey: mode });
  const pub = connection.channel({ confirm: true });
  const confirms: string[] = [];
  pub.on("ack", () => confirms.push("ack"));
  pub.on("nack", () => confirms.push("nack"));
  for (let i = 1; i <= 5; i++) pub.sendToQueue("q", `${mode}-${i}`);
  await sim.run();
  broker.checkInvariants();
  return { broker, confirms, kept: drain(channel, "q"), dead: drainDeliveries(channel, "dlq") };
}

describe("length limits and overflow", () => {
  it("drop-head keeps the newcomer, acks it, and dead-letters the oldest with reason maxlen", async () => {
    const { confirms, kept, dead } = await overflowRun("drop-head");
    expect(confirms).toEqual(["ack", "ack", "ack", "ack", "ack"]);
    expect(kept).toEqual(["drop-head-4", "drop-head-5"]);
    expect(dead.map((d) => d.content)).toEqual(["drop-head-1", "drop-head-2", "drop-head-3"]);
    expect(deaths(dead[0]!)).toEqual([
      { count: 1, exchange: "", queue: "q", reason: "maxlen", "routing-keys": ["q"] },
    ]);
  });

  it("reject-publish nacks the newcomer and does not dead-letter it", async () => {
    const { confirms, kept, dead, broker } = await overflowRun("reject-publish");
    expect(confirms).toEqual(["ack", "ack", "nack", "nack", "nack"]);
    expect(kept).toEqual(["reject-publish-1", "reject-publish-2"]);
    expect(dead).toEqual([]);
    expect(broker.stats()).toMatchObject({ refused: 3, confirmsNacked: 3 });
  });

  it("reject-publish-dlx nacks and dead-letters the newcomer with reason maxlen", async () => {
    const { confirms, kept, dead } = await overflowRun("reject-publish-dlx");
    expect(confirms).toEqual(["ack", "ack", "nack", "nack", "nack"]);
    expect(kept).toEqual(["reject-publish-dlx-1", "reject-publish-dlx-2"]);
    expect(dead.map((d) => d.content)).toEqual([
      "reject-publish-dlx-3",
      "reject-publish-dlx-4",
      "reject-publish-dlx-5",
    ]);
    expect(deaths(dead[0]!)[0]).toMatchObject({ reason: "maxlen", queue: "q" });
  });

  it("x-max-length-bytes counts body bytes of ready messages (drop-head)", () => {
    const { broker, channel } = setup();
    broker.queue("bytes", { maxLengthBytes: 10 });
    for (const body of ["b001", "b002", "b003", "b004"]) broker.publish("", "bytes", body);
    expect(broker.getQueue("bytes")!.bytes).toBe(8);
    expect(drain(channel, "bytes")).toEqual(["b003", "b004"]);
  });

  it("the pluggable sizer measures bodies; the default sizes bytes, strings and JSON", () => {
    const { broker, channel } = setup({ sizer: (content) => (content as { weight: number }).weight });
    broker.queue("heavy", { maxLengthBytes: 10 });
    broker.publish("", "heavy", { weight: 6 });
    broker.publish("", "heavy", { weight: 6 });
    expect(drain(channel, "heavy")).toEqual([{ weight: 6 }]);
    const plain = setup();
    plain.broker.queue("q");
    plain.broker.publish("", "q", new Uint8Array(3));
    plain.broker.publish("", "q", "é");
    plain.broker.publish("", "q", { a: 1 });
    expect(plain.broker.getQueue("q")!.bytes).toBe(3 + 2 + 7);
  });

  it("only ready messages count: unacked ones do not", () => {
    const { broker, channel } = setup();
    broker.queue("q", { maxLength: 1, overflow: "reject-publish" });
    expect(broker.publish("", "q", 1).queues).toEqual(["q"]);
    channel.get("q");
    expect(broker.publish("", "q", 2).queues).toEqual(["q"]);
    expect(broker.publish("", "q", 3).refused).toEqual(["q"]);
    expect(broker.getQueue("q")!.unacked).toBe(1);
  });

  it("a consumer that takes a message at once keeps a drop-head queue empty", async () => {
    const { sim, broker, channel } = setup();
    broker.queue("q", { maxLength: 0 });
    const seen: unknown[] = [];
    channel.consume("q", (d) => {
      seen.push(d.content);
      d.ack();
    });
    broker.publish("", "q", 1);
    await sim.run();
    expect(seen).toEqual([1]);
    expect(broker.stats().dropped).toBe(0);
  });

  it("requeueing into a full drop-head queue drops from the head", () => {
    const { broker, channel } = setup();
    broker.queue("q", { maxLength: 2 });
    broker.publish("", "q", "m1");
    broker.publish("", "q", "m2");
    const taken = channel.get("q")!;
    broker.publish("", "q", "m3");
    const events = recordEvents(channel.broker.sim, ["amqp.drop"]);
    taken.nack();
    expect(events.map((e) => e.payload.reason)).toEqual(["maxlen"]);
    expect(drain(channel, "q")).toEqual(["m2", "m3"]);
    broker.checkInvariants();
  });
});
