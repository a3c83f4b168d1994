/**
 * Issue 12 defect 6: snapshots of a deep queue must not spread a huge array into a call (that
 * overflowed the stack at 125 000 ready messages).
 */
import { describe, expect, it } from "vitest";
import { setup } from "./amqp-helpers.js";

const COUNT = 200_000;

describe("issue 12 defect 6: messages() and entries() at 200 000 ready messages", () => {
  it("returns every ready message in order, with requeued ones first", () => {
    const { broker, channel } = setup();
    const queue = broker.queue("deep");
    for (let i = 0; i < COUNT; i++) broker.publish("", "deep", i);
    // Two requeued messages sit in front of the never-delivered ones.
    const a = channel.get("deep")!;
    const b = channel.get("deep")!;
    a.nack(false, true);
    b.nack(false, true);
    expect(queue.ready).toBe(COUNT);
    const messages = queue.messages();
    expect(messages).toHaveLength(COUNT);
    expect(messages[0]!.content).toBe(0);
    expect(messages[1]!.content).toBe(1);
    expect(messages[2]!.content).toBe(2);
    expect(messages[COUNT - 1]!.content).toBe(COUNT - 1);
    const entries = queue.entries();
    expect(entries).toHaveLength(COUNT);
    expect(entries[COUNT - 1]!.message.content).toBe(COUNT - 1);
  });
});
