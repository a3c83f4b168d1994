import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AmqpMessage, NO_PROPERTIES } from "../../src/exchange/message.js";
import { QueueEntry } from "../../src/queue/entry.js";
import { ReadyList } from "../../src/queue/ready-list.js";
import { Ring } from "../../src/queue/ring.js";

const entry = (seq: number) =>
  new QueueEntry(new AmqpMessage(seq, "", "q", null, seq, NO_PROPERTIES, 0, -1), seq, Infinity);

describe("Ring", () => {
  it("is a FIFO deque that grows", () => {
    const ring = new Ring<number>(2);
    for (let i = 0; i < 100; i++) ring.push(i);
    ring.unshift(-1);
    expect(ring.size).toBe(101);
    expect(ring.shift()).toBe(-1);
    expect(ring.peek()).toBe(0);
    expect(ring.at(99)).toBe(99);
    expect(ring.remove(50)).toBe(true);
    expect(ring.remove(50)).toBe(false);
    expect(ring.toArray().length).toBe(99);
    ring.clear();
    expect([ring.size, ring.shift(), ring.peek()]).toEqual([0, undefined, undefined]);
  });

  it("matches an array model under random operations", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer(), fc.constant("shift" as const), fc.constant("unshift" as const))),
        (ops) => {
          const ring = new Ring<number>(1);
          const model: number[] = [];
          ops.forEach((op, i) => {
            if (op === "shift") expect(ring.shift()).toBe(model.shift());
            else if (op === "unshift") {
              ring.unshift(i);
              model.unshift(i);
            } else {
              ring.push(op);
              model.push(op);
            }
            expect(ring.toArray()).toEqual(model);
          });
        },
      ),
    );
  });
});

describe("ReadyList", () => {
  it("classic requeue: any set of taken entries comes back in original order, ahead of newer ones", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.array(fc.nat(), { maxLength: 40 }), (count, picks) => {
        const ready = new ReadyList();
        for (let i = 0; i < count; i++) ready.push(entry(i));
        const taken: QueueEntry[] = [];
        for (const pick of picks) {
          if (pick % 3 === 0 && taken.length > 0) {
            const [back] = taken.splice(pick % taken.length, 1);
            ready.requeue(back!);
          } else {
            const next = ready.shift();
            if (next !== undefined) taken.push(next);
          }
          const seqs = ready.toArray().map((e) => e.seq);
          expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
        }
        for (const back of taken) ready.requeue(back);
        expect(ready.drain().map((e) => e.seq)).toEqual(Array.from({ length: count }, (_, i) => i));
        expect(ready.size).toBe(0);
      }),
    );
  });

  it("quorum returns are served first, in the order they came back", () => {
    const ready = new ReadyList();
    for (let i = 0; i < 4; i++) ready.push(entry(i));
    const [a, b] = [ready.shift()!, ready.shift()!];
    ready.pushReturn(b);
    ready.pushReturn(a);
    expect(ready.toArray().map((e) => e.seq)).toEqual([1, 0, 2, 3]);
    expect([ready.shift()!.seq, ready.peek()!.seq, ready.size]).toEqual([1, 0, 3]);
  });
});
