import { describe, expect, it } from "vitest";
import type { Delivery } from "../../src/queue/delivery.js";
import { drain, drainDeliveries, recordEvents, setup } from "./amqp-helpers.js";

const label = (d: Delivery) => `${String(d.content)}${d.redelivered ? "*" : ""}`;

describe("dispatch: round-robin, prefetch, priorities", () => {
  it("prefetch 1 with two consumers: deliveries alternate as each acks (RabbitMQ's blocking order)", async () => {
    const { sim, broker, connection } = setup();
    broker.queue("q");
    const chA = connection.channel({ prefetch: 1 });
    const chB = connection.channel({ prefetch: 1 });
    const log: string[] = [];
    const latest: Record<string, Delivery> = {};
    chA.consume("q", (d) => {
      log.push(`A:${String(d.content)}`);
      latest.A = d;
    });
    chB.consume("q", (d) => {
      log.push(`B:${String(d.content)}`);
      latest.B = d;
    });
    for (let i = 1; i <= 6; i++) broker.publish("", "q", `p${i}`);
    await sim.run();
    expect(log).toEqual(["A:p1", "B:p2"]);
    const expected = [
      ["A", "A:p3"],
      ["B", "B:p4"],
      ["A", "A:p5"],
      ["A", "A:p6"],
      ["B", null],
      ["A", null],
    ] as const;
    for (const [who, next] of expected) {
      latest[who]!.ack();
      await sim.run();
      if (next === null) expect(log.length).toBe(6);
      else expect(log.at(-1)).toBe(next);
      broker.checkInvariants();
    }
    expect(broker.getQueue("q")!.ready).toBe(0);
  });

  it("a global prefetch is shared by the channel's consumers; get is not limited", async () => {
    const { sim, broker, connection } = setup();
    broker.queue("shared");
    const ch = connection.channel();
    ch.prefetch(2, true);
    const log: string[] = [];
    const got: Record<string, Delivery> = {};
    ch.consume("shared", (d) => {
      log.push(`C:${String(d.content)}`);
      got.C ??= d;
    });
    ch.consume("shared", (d) => {
      log.push(`D:${String(d.content)}`);
    });
    for (let i = 1; i <= 6; i++) broker.publish("", "shared", `g${i}`);
    await sim.run();
    expect(log).toEqual(["C:g1", "D:g2"]);
    const fetched = ch.get("shared")!;
    expect(fetched.content).toBe("g3");
    expect(fetched.messageCount).toBe(3);
    fetched.ack();
    await sim.run();
    expect(log).toEqual(["C:g1", "D:g2"]);
    got.C!.ack();
    await sim.run();
    expect(log).toEqual(["C:g1", "D:g2", "C:g4"]);
    broker.checkInvariants();
  });

  it("per-consumer and global prefetch both apply", async () => {
    const { sim, broker, channel } = setup();
    broker.queue("q");
    channel.prefetch(3, true);
    const counts = { x: 0, y: 0 };
    channel.consume("q", () => counts.x++, { prefetch: 1 });
    channel.consume("q", () => counts.y++, { prefetch: 5 });
    for (let i = 0; i < 10; i++) broker.publish("", "q", i);
    await sim.run();
    expect(counts).toEqual({ x: 1, y: 2 });
    expect(channel.unackedCount).toBe(3);
    broker.checkInvariants();
  });

  it("prefetch(n) applies only to consumers started afterwards; raising the global limit resumes", async () => {
    const { sim, broker, channel } = setup();
    broker.queue("q");
    let first = 0;
    channel.consume("q", () => first++);
    channel.prefetch(1);
    for (let i = 0; i < 4; i++) broker.publish("", "q", i);
    await sim.run();
    expect(first).toBe(4);
    const other = broker.connect().channel({ globalPrefetch: 1 });
    broker.queue("r");
    let second = 0;
    other.consume("r", () => second++);
    for (let i = 0; i < 4; i++) broker.publish("", "r", i);
    await sim.run();
    expect(second).toBe(1);
    other.prefetch(3, true);
    await sim.run();
    expect(second).toBe(3);
    broker.checkInvariants();
  });

  it("higher x-priority consumers are served first while they have capacity", async () => {
    const { sim, broker, channel } = setup();
    broker.queue("q");
    const log: string[] = [];
    channel.consume("q", (d) => log.push(`low:${String(d.content)}`), { prefetch: 10 });
    channel.consume("q", (d) => log.push(`high:${String(d.content)}`), { prefetch: 2, priority: 5 });
    for (let i = 1; i <= 4; i++) broker.publish("", "q", i);
    await sim.run();
    expect(log).toEqual(["high:1", "high:2", "low:3", "low:4"]);
  });

  it("single active consumer: one consumer gets everything until it goes", async () => {
    const { sim, broker, connection } = setup();
    broker.queue("q", { singleActiveConsumer: true });
    const first = connection.channel();
    const second = connection.channel();
    const log: string[] = [];
    const c1 = first.consume("q", (d) => {
      log.push(`1:${String(d.content)}`);
      d.ack();
    });
    second.consume("q", (d) => {
      log.push(`2:${String(d.content)}`);
      d.ack();
    });
    broker.publish("", "q", "a");
    broker.publish("", "q", "b");
    await sim.run();
    c1.cancel();
    broker.publish("", "q", "c");
    await sim.run();
    expect(log).toEqual(["1:a", "1:b", "2:c"]);
  });

  it("single active consumer: when the active consumer's channel closes, the next one takes over", async () => {
    const { sim, broker, connection } = setup();
    broker.queue("q", { singleActiveConsumer: true });
    const first = connection.channel({ prefetch: 1 });
    const second = connection.channel();
    const log: string[] = [];
    first.consume("q", (d) => log.push(`1:${String(d.content)}${d.redelivered ? "*" : ""}`));
    second.consume("q", (d) => {
      log.push(`2:${String(d.content)}${d.redelivered ? "*" : ""}`);
      d.ack();
    });
    for (const body of ["a", "b", "c"]) broker.publish("", "q", body);
    await sim.run();
    expect(log).toEqual(["1:a"]);
    first.close();
    await sim.run();
    expect(log).toEqual(["1:a", "2:a*", "2:b", "2:c"]);
    broker.checkInvariants();
  });

  it("ackAll, nackAll and recover settle everything on the channel", () => {
    const { broker, channel } = setup();
    broker.exchange("dlx", "fanout");
    broker.queue("dead");
    broker.bind("dead", "dlx");
    broker.queue("q", { deadLetterExchange: "dlx" });
    for (let i = 0; i < 6; i++) broker.publish("", "q", i);
    for (let i = 0; i < 2; i++) channel.get("q");
    channel.ackAll();
    for (let i = 0; i < 2; i++) channel.get("q");
    channel.recover();
    expect(
      broker
        .getQueue("q")!
        .messages()
        .map((m) => [m.content, m.redelivered]),
    ).toEqual([
      [2, true],
      [3, true],
      [4, false],
      [5, false],
    ]);
    for (let i = 0; i < 4; i++) channel.get("q");
    channel.nackAll(false);
    expect(broker.getQueue("dead")!.ready).toBe(4);
    expect(broker.stats()).toMatchObject({ acked: 2, nacked: 6, requeued: 2, deadLettered: 4 });
    broker.checkInvariants();
  });

  it("no-ack consumers are not limited by prefetch and leave nothing unacked", async () => {
    const { sim, broker, channel } = setup();
    broker.queue("q");
    channel.prefetch(1);
    const seen: unknown[] = [];
    channel.consume("q", (d) => seen.push(d.content), { noAck: true });
    for (let i = 0; i < 5; i++) broker.publish("", "q", i);
    await sim.run();
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    expect(channel.unackedCount).toBe(0);
    expect(() => channel.ack(1)).toThrow(expect.objectContaining({ code: "PRECONDITION_FAILED" }));
  });

  it("delivery tags count from 1 per channel, consumer deliveries and gets alike", async () => {
    const { sim, broker, connection } = setup();
    broker.queue("q");
    const a = connection.channel();
    const b = connection.channel();
    for (let i = 0; i < 4; i++) broker.publish("", "q", i);
    expect([a.get("q")!.deliveryTag, b.get("q")!.deliveryTag, a.get("q")!.deliveryTag]).toEqual([1, 1, 2]);
    const tags: number[] = [];
    a.consume("q", (d) => tags.push(d.deliveryTag));
    await sim.run();
    expect(tags).toEqual([3]);
  });

  it("handlers run as simulation events in delivery order; async handlers interleave on virtual time", async () => {
    const { sim, broker, channel } = setup();
    broker.queue("q");
    const log: string[] = [];
    channel.consume("q", async (d) => {
      log.push(`start ${String(d.content)} @${sim.now}`);
      await sim.sleep(10);
      log.push(`end ${String(d.content)} @${sim.now}`);
      d.ack();
    });
    broker.publish("", "q", "a");
    broker.publish("", "q", "b");
    expect(log).toEqual([]); // nothing runs inside publish
    await sim.run();
    expect(log).toEqual(["start a @0", "start b @0", "end a @10", "end b @10"]);
    expect(broker.stats()).toMatchObject({ acked: 2, unacked: 0 });
  });
});

describe("acknowledgements", () => {
  it("ack multiple settles every tag up to the given one; tag 0 with multiple settles all", () => {
    const { broker, channel } = setup();
    broker.queue("q");
    for (let i = 0; i < 5; i++) broker.publish("", "q", i);
    const ds = drainDeliveries(channel, "q", true);
    channel.ack(ds[2]!, true);
    expect(channel.unackedDeliveries().map((d) => d.deliveryTag)).toEqual([4, 5]);
    channel.ack(0, true);
    expect(channel.unackedCount).toBe(0);
    expect(broker.stats().acked).toBe(5);
    broker.checkInvariants();
  });

  it("requeue restores the original position, redelivered, ahead of later messages", () => {
    const { broker, channel } = setup();
    broker.queue("requeue");
    for (let i = 1; i <= 6; i++) broker.publish("", "requeue", `m${i}`);
    const taken = [1, 2, 3, 4].map(() => channel.get("requeue")!);
    expect(taken.map((d) => d.messageCount)).toEqual([5, 4, 3, 2]);
    channel.reject(taken[2]!, true);
    channel.nack(taken[0]!, false, true);
    const kept = drainDeliveries(channel, "requeue", true);
    expect(kept.map(label)).toEqual(["m1*", "m3*", "m5", "m6"]);
    expect(kept.map((d) => d.deliveryTag)).toEqual([5, 6, 7, 8]);
    channel.nack(kept.at(-1)!, true, true); // every unacked one: m2, m4 and these four
    expect(drain(channel, "requeue")).toEqual(["m1", "m2", "m3", "m4", "m5", "m6"]);
    broker.checkInvariants();
  });

  it("a cancelled consumer's deliveries stay settleable; requeueing them restores publication order", async () => {
    const { sim, broker, connection } = setup();
    broker.queue("q");
    for (let i = 7; i <= 10; i++) broker.publish("", "q", `m${i}`);
    const ch = connection.channel({ prefetch: 3 });
    const consumed: Delivery[] = [];
    const consumer = ch.consume("q", (d) => consumed.push(d));
    await sim.run();
    expect(consumed.map(label)).toEqual(["m7", "m8", "m9"]);
    consumer.cancel();
    expect(broker.getQueue("q")!.unacked).toBe(3);
    ch.reject(consumed[2]!, true);
    ch.reject(consumed[1]!, true);
    ch.reject(consumed[0]!, true);
    await sim.run();
    expect(consumed.length).toBe(3); // nothing new after the cancel
    expect(drainDeliveries(ch, "q").map(label)).toEqual(["m7*", "m8*", "m9*", "m10"]);
    broker.checkInvariants();
  });

  it("closing a channel requeues its unacked messages; acked ones stay gone", async () => {
    const { sim, broker, connection } = setup();
    broker.queue("close");
    for (let i = 1; i <= 5; i++) broker.publish("", "close", `c${i}`);
    const ch = connection.channel({ prefetch: 3 });
    const consumed: Delivery[] = [];
    ch.consume("close", (d) => consumed.push(d));
    await sim.run();
    ch.ack(consumed[1]!);
    await sim.run();
    expect(consumed.map(label)).toEqual(["c1", "c2", "c3", "c4"]);
    const events = recordEvents(sim, ["amqp.channel-close"]);
    ch.close();
    expect(events[0]!.payload).toMatchObject({ requeued: 3, replyCode: null });
    const admin = connection.channel();
    expect(drainDeliveries(admin, "close").map(label)).toEqual(["c1*", "c3*", "c4*", "c5"]);
    expect(() => ch.get("close")).toThrow(expect.objectContaining({ code: "CHANNEL_CLOSED" }));
    broker.checkInvariants();
  });

  it("closing a connection requeues the unacked messages of all its channels", () => {
    const { broker, channel } = setup();
    broker.queue("q");
    for (let i = 6; i <= 8; i++) broker.publish("", "q", `c${i}`);
    const other = broker.connect();
    const ch = other.channel();
    expect([ch.get("q")!.content, ch.get("q")!.content]).toEqual(["c6", "c7"]);
    other.close();
    expect(ch.closed).toBe(true);
    expect(drainDeliveries(channel, "q").map(label)).toEqual(["c6*", "c7*", "c8"]);
    broker.checkInvariants();
  });

  it("a crashing consumer (onError: close-channel) requeues everything unacked on its channel", async () => {
    const { sim, broker, connection } = setup();
    broker.queue("q");
    for (let i = 1; i <= 3; i++) broker.publish("", "q", i);
    const ch = connection.channel();
    const errors: unknown[] = [];
    ch.on("error", (e) => errors.push(e));
    ch.consume(
      "q",
      (d) => {
        if (d.content === 2) throw new Error("boom");
      },
      { onError: "close-channel" },
    );
    await sim.run();
    expect(ch.closed).toBe(true);
    expect((errors[0] as Error).message).toBe("boom");
    expect(broker.getQueue("q")!.ready).toBe(3);
    expect(
      broker
        .getQueue("q")!
        .messages()
        .map((m) => m.redelivered),
    ).toEqual([true, true, true]);
    broker.checkInvariants();
  });

  it("by default a throwing handler's error propagates out of the run", async () => {
    const { sim, broker, channel } = setup();
    broker.queue("q");
    channel.consume("q", () => {
      throw new Error("bug in handler");
    });
    broker.publish("", "q", 1);
    await expect(sim.run()).rejects.toThrow("bug in handler");
  });

  it("deliveries scheduled before a channel closes are not handed to the handler", async () => {
    const { sim, broker, channel } = setup();
    broker.queue("q");
    const seen: unknown[] = [];
    channel.consume("q", (d) => seen.push(d.content));
    broker.publish("", "q", 1);
    channel.close();
    await sim.run();
    expect(seen).toEqual([]);
    expect(broker.getQueue("q")!.ready).toBe(1);
  });
});

describe("queues: get, purge, delete, exclusive, auto-delete", () => {
  it("get returns null on an empty queue and the remaining count otherwise; noAck gets need no ack", () => {
    const { broker, channel } = setup();
    broker.queue("q");
    expect(channel.get("q")).toBeNull();
    broker.publish("", "q", "x");
    const d = channel.get("q", { noAck: true })!;
    expect([d.content, d.messageCount, d.consumerTag, channel.unackedCount]).toEqual(["x", 0, null, 0]);
  });

  it("purge removes ready messages only and never dead-letters", () => {
    const { broker, channel } = setup();
    broker.exchange("dlx", "fanout");
    broker.queue("dead");
    broker.bind("dead", "dlx");
    broker.queue("q", { deadLetterExchange: "dlx" });
    for (let i = 0; i < 3; i++) broker.publish("", "q", i);
    const held = channel.get("q")!;
    expect(channel.purge("q")).toBe(2);
    expect(broker.getQueue("q")!.unacked).toBe(1);
    held.ack();
    expect(broker.getQueue("dead")!.ready).toBe(0);
    broker.checkInvariants();
  });

  it("deleteQueue cancels consumers (notifying them), refuses when ifUnused/ifEmpty are unmet", async () => {
    const { sim, broker, connection } = setup();
    broker.queue("q");
    broker.publish("", "q", 1);
    const ch = connection.channel();
    const notices: unknown[] = [];
    ch.on("cancel", (n) => notices.push(["channel", n.consumerTag]));
    const consumer = ch.consume("q", () => undefined, {
      consumerTag: "c1",
      onCancel: (n) => notices.push(n),
    });
    const admin = connection.channel();
    expect(() => admin.deleteQueue("q", { ifUnused: true })).toThrow(
      expect.objectContaining({ code: "PRECONDITION_FAILED" }),
    );
    expect(admin.closed).toBe(true);
    broker.publish("", "q", 2); // ready (consumer has it unacked already? no: unlimited prefetch → delivered)
    const admin2 = connection.channel();
    ch.recover(); // both back to ready... and redelivered to the consumer at once
    expect(admin2.deleteQueue("q")).toBe(0);
    await sim.run();
    expect(consumer.cancelled).toBe(true);
    expect(notices).toEqual([["channel", "c1"], { consumerTag: "c1", queue: "q", reason: "queue-deleted" }]);
    expect(ch.unackedCount).toBe(2); // tags stay; settling them is harmless
    ch.ack(0, true);
    expect(broker.getQueue("q")).toBeUndefined();
    broker.checkInvariants();
  });

  it("ifEmpty refuses a queue with ready messages", () => {
    const { broker, channel } = setup();
    broker.queue("q");
    broker.publish("", "q", 1);
    expect(() => channel.deleteQueue("q", { ifEmpty: true })).toThrow(
      expect.objectContaining({ code: "PRECONDITION_FAILED" }),
    );
    expect(broker.getQueue("q")!.ready).toBe(1);
    expect(broker.deleteQueue("missing")).toBe(0);
  });

  it("exclusive queues: other connections get 405; the queue dies with its connection", () => {
    const { broker, connection } = setup();
    const owner = connection.channel();
    const q = owner.queue("private", { exclusive: true, durable: true });
    expect(q.durable).toBe(false);
    expect(q.exclusive).toBe(true);
    const other = broker.connect();
    for (const attempt of [
      (ch: ReturnType<typeof other.channel>) => ch.queue("private", { exclusive: true }),
      (ch: ReturnType<typeof other.channel>) => ch.consume("private", () => undefined),
      (ch: ReturnType<typeof other.channel>) => ch.get("private"),
      (ch: ReturnType<typeof other.channel>) => ch.checkQueue("private"),
      (ch: ReturnType<typeof other.channel>) => ch.purge("private"),
    ]) {
      const ch = other.channel();
      expect(() => attempt(ch)).toThrow(
        expect.objectContaining({
          code: "RESOURCE_LOCKED",
          details: expect.objectContaining({ replyCode: 405 }),
        }),
      );
      expect(ch.closed).toBe(true);
    }
    expect(() => broker.queue("private")).toThrow(expect.objectContaining({ code: "RESOURCE_LOCKED" }));
    owner.sendToQueue("private", "mine");
    connection.close();
    expect(broker.getQueue("private")).toBeUndefined();
    broker.checkInvariants();
  });

  it("auto-delete queues die with their last consumer, never before one came", () => {
    const { broker, channel } = setup();
    broker.queue("auto", { autoDelete: true });
    broker.publish("", "auto", 1);
    expect(broker.getQueue("auto")).toBeDefined();
    const c1 = channel.consume("auto", () => undefined);
    const c2 = channel.consume("auto", () => undefined);
    c1.cancel();
    expect(broker.getQueue("auto")).toBeDefined();
    c2.cancel();
    expect(broker.getQueue("auto")).toBeUndefined();
    broker.checkInvariants();
  });

  it("an exclusive consumer refuses rivals with 403", () => {
    const { broker, connection } = setup();
    broker.queue("q");
    const a = connection.channel();
    a.consume("q", () => undefined, { exclusive: true });
    const b = connection.channel();
    expect(() => b.consume("q", () => undefined)).toThrow(
      expect.objectContaining({ code: "ACCESS_REFUSED" }),
    );
    broker.queue("r");
    const c = connection.channel();
    c.consume("r", () => undefined);
    expect(() => c.consume("r", () => undefined, { exclusive: true })).toThrow(
      expect.objectContaining({ code: "ACCESS_REFUSED" }),
    );
  });

  it("reusing a consumer tag is a 530 connection error", () => {
    const { broker, connection, channel } = setup();
    broker.queue("q");
    const other = connection.channel();
    channel.consume("q", () => undefined, { consumerTag: "t" });
    expect(() => channel.consume("q", () => undefined, { consumerTag: "t" })).toThrow(
      expect.objectContaining({ code: "NOT_ALLOWED", details: expect.objectContaining({ replyCode: 530 }) }),
    );
    expect(connection.closed).toBe(true);
    expect(other.closed).toBe(true);
    broker.checkInvariants();
  });

  it("server-generated consumer tags and queue names are deterministic per seed", () => {
    const names = (seed: number) => {
      const { channel } = setup(undefined, seed);
      const q = channel.queue("");
      return [q.name, channel.consume(q.name, () => undefined).tag];
    };
    const first = names(3);
    expect(first[0]).toMatch(/^amq\.gen-[A-Za-z0-9_-]{22}$/);
    expect(first[1]).toMatch(/^amq\.ctag-[A-Za-z0-9_-]{22}$/);
    expect(names(3)).toEqual(first);
    expect(names(4)).not.toEqual(first);
  });
});

describe("consumer timeout (opt-in)", () => {
  it("closes the channel with 406 when the oldest delivery is not acked in time, requeueing it", async () => {
    const { sim, broker, channel } = setup({ consumerTimeoutMs: 1000 });
    broker.queue("q");
    const closes: unknown[] = [];
    channel.on("close", (e) => closes.push(e));
    channel.consume("q", () => undefined);
    broker.publish("", "q", 1);
    await sim.run();
    expect(sim.now).toBe(1000);
    expect(channel.closed).toBe(true);
    expect(closes[0]).toMatchObject({ code: "PRECONDITION_FAILED", details: { reason: "consumer-timeout" } });
    expect(broker.getQueue("q")!.ready).toBe(1);
  });

  it("acked in time: no close, and no timer left to move the clock", async () => {
    const { sim, broker, channel } = setup({ consumerTimeoutMs: 1000 });
    broker.queue("q");
    channel.consume("q", (d) => d.ack());
    broker.publish("", "q", 1);
    await sim.run();
    expect(sim.now).toBe(0);
    expect(channel.closed).toBe(false);
  });
});
