import { describe, expect, it } from "vitest";
import { BasicChannel } from "../../src/queue/basic-channel.js";
import type { Delivery } from "../../src/queue/delivery.js";
import { basicQueueHost, queueSettings } from "../../src/queue/host.js";
import type { QueueMessage } from "../../src/queue/message.js";
import { ConsumableQueue } from "../../src/queue/queue.js";
import { BrokerlabError } from "../../src/scheduler/errors.js";
import { Simulation } from "../../src/scheduler/simulation.js";

let nextId = 0;
function message(content: unknown, ttl = -1): QueueMessage {
  return {
    id: ++nextId,
    content,
    size: 1,
    ttl,
    publishedAt: 0,
    exchange: "",
    routingKey: "q",
    properties: {},
  };
}

function world(settings = {}, options = {}) {
  const sim = new Simulation({ seed: 1, start: 0 });
  const dead: Array<[unknown, string]> = [];
  const host = basicQueueHost(sim, { onDeadLetter: (_q, m, reason) => dead.push([m.content, reason]) });
  const queue = new ConsumableQueue<QueueMessage, BasicChannel>(host, "q", queueSettings(settings), options);
  return { sim, host, queue, dead };
}

describe("ConsumableQueue without any broker", () => {
  it("dispatches round-robin bounded by prefetch, and a dropped channel requeues to the original position", async () => {
    const { sim, queue } = world();
    const a = new BasicChannel(sim, "a");
    const b = new BasicChannel(sim, "b");
    const seenA: string[] = [];
    const seenB: string[] = [];
    a.consume(queue, (d) => void seenA.push(String(d.content)), { prefetch: 1 });
    b.consume(queue, (d) => {
      seenB.push(`${String(d.content)}${d.redelivered ? "*" : ""}`);
      d.ack();
    });
    for (const c of ["m1", "m2", "m3", "m4"]) queue.enqueue(message(c));
    await sim.run();
    expect(seenA).toEqual(["m1"]);
    expect(seenB).toEqual(["m2", "m3", "m4"]);
    expect(queue.unacked).toBe(1);
    a.drop();
    await sim.run();
    expect(seenB).toEqual(["m2", "m3", "m4", "m1*"]);
    expect(queue.unacked).toBe(0);
    expect(() => a.ack(1)).toThrow(BrokerlabError);
  });

  it("a visibility timeout returns unacked work while its first consumer still holds it; the late ack changes nothing", async () => {
    const { sim, host, queue } = world({}, { visibilityTimeoutMs: 1000 });
    const slow = new BasicChannel(sim, "slow");
    const held: Delivery<QueueMessage, BasicChannel>[] = [];
    slow.consume(queue, (d) => void held.push(d), { prefetch: 1 });
    queue.enqueue(message("job"));
    await sim.runUntil(999);
    expect(queue.unacked).toBe(1);
    await sim.runUntil(1000);
    expect(host.counters.requeued).toBe(1);
    // The same consumer has credit again and gets it a second time, redelivered.
    expect(held.map((d) => [d.content, d.redelivered, d.deliveredAt])).toEqual([
      ["job", false, 0],
      ["job", true, 1000],
    ]);
    expect(held[0]!.lapsed).toBe(true);
    expect(slow.ack(held[0]!)).toBe(false);
    expect(queue.unacked).toBe(1);
    expect(slow.ack(held[1]!)).toBe(true);
    expect(queue.unacked).toBe(0);
    await sim.run();
    expect(held.length).toBe(2);
  });

  it("acked work never lapses, and the watch list does not grow with settled deliveries", async () => {
    const { sim, queue } = world({}, { visibilityTimeoutMs: 50 });
    const ch = new BasicChannel(sim, "w");
    let n = 0;
    ch.consume(queue, (d) => {
      n++;
      d.ack();
    });
    for (let i = 0; i < 1000; i++) sim.at(i, () => queue.enqueue(message(i)));
    await sim.run();
    expect(n).toBe(1000);
    expect(queue.unacked).toBe(0);
  });

  it("TTL expires at the head and dead-letters through the host's hook", async () => {
    const { sim, queue, dead } = world({ messageTtlMs: 10 });
    queue.enqueue(message("old"));
    sim.at(5, () => queue.enqueue(message("young")));
    await sim.runUntil(12);
    expect(queue.ready).toBe(1);
    await sim.run();
    expect(dead).toEqual([
      ["old", "expired"],
      ["young", "expired"],
    ]);
  });

  it("the three overflow modes", async () => {
    for (const overflow of ["drop-head", "reject-publish", "reject-publish-dlx"] as const) {
      const { sim, queue, dead } = world({ maxLength: 2, overflow });
      const accepted = ["a", "b", "c"].map((c) => queue.enqueue(message(c)));
      await sim.run();
      const left = queue.entries().map((e) => e.message.content);
      if (overflow === "drop-head") {
        expect([accepted, left, dead]).toEqual([[true, true, true], ["b", "c"], [["a", "maxlen"]]]);
      } else {
        expect([accepted, left]).toEqual([
          [true, true, false],
          ["a", "b"],
        ]);
        expect(dead).toEqual(overflow === "reject-publish" ? [] : [["c", "maxlen"]]);
      }
    }
  });

  it("quorum discipline counts deliveries and dead-letters past the limit", async () => {
    const { sim, queue, dead } = world({ type: "quorum", deliveryLimit: 2 });
    const ch = new BasicChannel(sim, "w");
    const counts: number[] = [];
    ch.consume(queue, (d) => {
      counts.push(d.entry.deliveryCount);
      d.nack(false, true);
    });
    queue.enqueue(message("poison"));
    await sim.run();
    expect(counts).toEqual([0, 1, 2]);
    expect(dead).toEqual([["poison", "delivery_limit"]]);
  });

  it("refuses bad settings before creating anything", () => {
    expect(() => queueSettings({ maxLength: -1 })).toThrow(/maxLength/);
    expect(() => queueSettings({ overflow: "spill" as never })).toThrow(BrokerlabError);
    expect(() => queueSettings({ colour: 1 } as never)).toThrow(BrokerlabError);
  });
});
