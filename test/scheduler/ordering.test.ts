import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Simulation } from "../../src/scheduler/simulation.js";
import { TimerQueue } from "../../src/scheduler/timer-queue.js";

/** One generated timer: when it fires it may schedule children, cancel a sibling, and sleep. */
interface TimerSpec {
  delayMs: number;
  children: TimerSpec[];
  cancel: number | null;
  sleepsMs: number[];
}

const timerSpec: fc.Memo<TimerSpec> = fc.memo((depth) =>
  fc.record({
    delayMs: fc.oneof(
      fc.constant(0),
      fc.integer({ min: 0, max: 20 }),
      fc.double({ min: 0, max: 20, noNaN: true }),
    ),
    children: depth > 1 ? fc.array(timerSpec(depth - 1), { maxLength: 3 }) : fc.constant([]),
    cancel: fc.option(fc.nat(40), { nil: null }),
    sleepsMs: fc.array(fc.integer({ min: 0, max: 10 }), { maxLength: 2 }),
  }),
);

/**
 * Runs a generated program and returns what ran, as (time, seq, id) with seq the order in which
 * the event was scheduled, plus which timers were cancelled before they ran.
 */
async function execute(specs: TimerSpec[], drive: (sim: Simulation) => Promise<void>) {
  const sim = new Simulation({ start: 0, seed: 1 });
  const ran: { time: number; seq: number; id: number }[] = [];
  const cancelled = new Set<number>();
  const handles: { id: number; cancel(): boolean }[] = [];
  let seq = 0;
  let nextId = 0;
  const arm = (spec: TimerSpec) => {
    const id = nextId++;
    const mySeq = seq++;
    const handle = sim.after(spec.delayMs, async () => {
      ran.push({ time: sim.now, seq: mySeq, id });
      for (const child of spec.children) arm(child);
      if (spec.cancel !== null && handles.length > 0) {
        const victim = handles[spec.cancel % handles.length]!;
        if (victim.cancel()) cancelled.add(victim.id);
      }
      for (const sleepMs of spec.sleepsMs) {
        const sleepSeq = seq++;
        await sim.sleep(sleepMs);
        ran.push({ time: sim.now, seq: sleepSeq, id: -1 });
      }
    });
    handles.push({ id, cancel: () => handle.cancel() });
  };
  for (const spec of specs) arm(spec);
  await drive(sim);
  return { ran, cancelled, scheduled: nextId, sim };
}

function lexicographic(a: { time: number; seq: number }, b: { time: number; seq: number }): number {
  return a.time - b.time || a.seq - b.seq;
}

describe("event ordering", () => {
  it("runs callbacks in (time, sequence) order for any schedule of timers, cancellations and sleeps", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(timerSpec(3), { maxLength: 12 }), async (specs) => {
        const { ran, cancelled, scheduled } = await execute(specs, (sim) => sim.run());
        const sorted = [...ran].sort(lexicographic);
        expect(ran).toEqual(sorted);
        const fired = ran.filter((entry) => entry.id >= 0).map((entry) => entry.id);
        expect(new Set(fired).size).toBe(fired.length); // each timer at most once
        for (const id of cancelled) expect(fired).not.toContain(id);
        expect(fired.length + cancelled.size).toBe(scheduled); // every timer fired or was cancelled
      }),
      { numRuns: 200 },
    );
  });

  it("gives the same order whether driven by run(), by many runFor() slices, or by step()", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(timerSpec(2), { maxLength: 10 }),
        fc.integer({ min: 1, max: 7 }),
        async (specs, sliceMs) => {
          const whole = await execute(specs, (sim) => sim.run());
          const sliced = await execute(specs, async (sim) => {
            while (sim.workCount > 0) await sim.runFor(sliceMs);
          });
          expect(sliced.ran).toEqual(whole.ran);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("runFor lands exactly on start + duration, whatever is scheduled", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.double({ min: 0, max: 100, noNaN: true }), { maxLength: 20 }),
        fc.double({ min: 0, max: 150, noNaN: true }),
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        async (delays, durationMs, start) => {
          const sim = new Simulation({ start });
          let lastSeen = start;
          for (const delay of delays) {
            sim.after(delay, () => {
              expect(sim.now).toBeGreaterThanOrEqual(lastSeen);
              lastSeen = sim.now;
            });
          }
          const before = sim.now;
          await sim.runFor(durationMs);
          expect(sim.now).toBe(before + durationMs);
          expect(sim.nextEventTime).toBeGreaterThan(sim.now);
        },
      ),
    );
  });

  it("runs zero-delay events after everything already due now, and before later times", async () => {
    const sim = new Simulation({ start: 0 });
    const log: string[] = [];
    sim.at(5, () => log.push("a@5"));
    sim.after(5, () => {
      log.push("b@5");
      sim.defer(() => log.push("deferred@5"));
      sim.after(0, () => log.push("zero@5"));
    });
    sim.at(5, () => log.push("c@5"));
    sim.at(6, () => log.push("d@6"));
    await sim.run();
    expect(log).toEqual(["a@5", "b@5", "c@5", "deferred@5", "zero@5", "d@6"]);
  });

  it("keeps the timer heap consistent under random pushes, pops and cancels", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ op: fc.constant("push" as const), at: fc.integer({ min: 0, max: 50 }) }),
            fc.record({ op: fc.constant("pop" as const) }),
            fc.record({ op: fc.constant("cancel" as const), which: fc.nat(100) }),
          ),
          { maxLength: 200 },
        ),
        (ops) => {
          const queue = new TimerQueue();
          const ids: number[] = [];
          let seq = 0;
          let now = 0;
          const popped: { time: number; seq: number }[] = [];
          const noop = () => {};
          for (const op of ops) {
            if (op.op === "push") ids.push(queue.push(now + op.at, ++seq, noop, undefined, 0, now));
            else if (op.op === "cancel" && ids.length > 0) queue.cancel(ids[op.which % ids.length]!);
            else if (op.op === "pop" && queue.popInto(Number.POSITIVE_INFINITY)) {
              now = queue.firedTime;
              popped.push({ time: queue.firedTime, seq: queue.firedSeq });
            }
            queue.checkInvariants();
          }
          expect(popped).toEqual([...popped].sort(lexicographic));
        },
      ),
    );
  });
});
