import { readFile } from "node:fs/promises";
import { fc, test as fcTest } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { BrokerlabError } from "../../src/scheduler/errors.js";
import { Simulation } from "../../src/scheduler/simulation.js";

async function hops(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await null;
}

function immediate(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe("exact settling: time moves only when nothing can run at this instant", () => {
  it("a continuation 200 microtask hops deep still belongs to its event", async () => {
    const sim = new Simulation({ start: 0 });
    const seen: [string, number][] = [];
    sim.after(10, async () => {
      await hops(200);
      seen.push(["deep", sim.now]);
      sim.after(0, () => seen.push(["follow-up", sim.now]));
    });
    sim.after(11, () => seen.push(["next", sim.now]));
    await sim.run();
    expect(seen).toEqual([
      ["deep", 10],
      ["follow-up", 10],
      ["next", 11],
    ]);
  });

  it("a promise chain top-level code started before run() finishes before the first event", async () => {
    const sim = new Simulation({ start: 0 });
    const seen: string[] = [];
    void hops(50).then(() => sim.after(0, () => seen.push(`chain ${sim.now}`)));
    sim.after(1, () => seen.push(`timer ${sim.now}`));
    await sim.run();
    expect(seen).toEqual(["chain 0", "timer 1"]);
  });

  it("run() does not return while a loop of awaits over 20 000 items still runs", async () => {
    const sim = new Simulation({ start: 0 });
    let processed = 0;
    sim.after(0, async () => {
      for (let i = 0; i < 20_000; i++) {
        await hops(3);
        processed++;
      }
    });
    await sim.run();
    expect(processed).toBe(20_000);
  });

  it("a send() called just before runFor has happened when runFor returns", async () => {
    const sim = new Simulation({ start: 0 });
    const log: number[] = [];
    const send = async () => {
      await hops(40);
      sim.after(1, () => log.push(sim.now));
    };
    void send();
    await sim.runFor(10_000);
    expect(log).toEqual([1]);
  });

  it("real setImmediate hops inside a handler complete before time moves", async () => {
    const sim = new Simulation({ start: 0 });
    const seen: [string, number][] = [];
    sim.after(100, async () => {
      await sim.sleep(1000);
    });
    sim.after(10, async () => {
      await immediate();
      await immediate();
      await immediate();
      seen.push(["after hops", sim.now]);
    });
    await sim.run();
    expect(seen).toEqual([["after hops", 10]]);
  });

  it("run() waits in wall time for real I/O a handler awaits, then goes on", async () => {
    const sim = new Simulation({ start: 0 });
    let bytes = -1;
    sim.after(10, async () => {
      const text = await readFile(new URL(import.meta.url), "utf8");
      bytes = text.length;
      sim.after(5, () => {});
    });
    await sim.run();
    expect(bytes).toBeGreaterThan(100);
    expect(sim.now).toBe(15);
  });

  it("a handler awaiting a plain promise nobody resolves does not stop run() from returning", async () => {
    const sim = new Simulation({ start: 0 });
    sim.after(1, async () => {
      await new Promise(() => {});
    });
    await sim.run();
    expect(sim.asyncHandlersRunning).toBe(1);
  });

  fcTest.prop(
    [
      fc.array(
        fc.record({
          at: fc.integer({ min: 0, max: 50 }),
          hops: fc.integer({ min: 1, max: 200 }),
          sleepMs: fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined }),
          immediates: fc.integer({ min: 0, max: 2 }),
        }),
        { minLength: 1, maxLength: 12 },
      ),
    ],
    { numRuns: 40 },
  )(
    "generated async programs: same trace twice, as the reference interpreter says, time never decreases",
    async (program) => {
      const run = async () => {
        const sim = new Simulation({ start: 0 });
        const trace: string[] = [];
        let last = 0;
        const note = (what: string) => {
          expect(sim.now).toBeGreaterThanOrEqual(last);
          last = sim.now;
          trace.push(`${sim.now}:${what}`);
        };
        program.forEach((step, index) => {
          sim.after(step.at, async () => {
            note(`start ${index}`);
            await hops(step.hops);
            for (let i = 0; i < step.immediates; i++) await immediate();
            note(`hopped ${index}`);
            if (step.sleepMs !== undefined) {
              await sim.sleep(step.sleepMs);
              note(`slept ${index}`);
            }
          });
        });
        await sim.run();
        expect(sim.asyncHandlersRunning).toBe(0);
        return trace;
      };
      const first = await run();
      expect(await run()).toEqual(first);
      // Reference interpreter: exact settling makes each handler's segment up to its first sleep
      // atomic within its event, so starts and hops come in (time, scheduling order), each hop right
      // after its start; each wake-up comes at start + sleepMs.
      const order = program
        .map((step, index) => ({ step, index }))
        .sort((x, y) => x.step.at - y.step.at || x.index - y.index);
      const expected = order.flatMap(({ step, index }) => [
        `${step.at}:start ${index}`,
        `${step.at}:hopped ${index}`,
      ]);
      expect(first.filter((line) => !line.includes("slept"))).toEqual(expected);
      const wakes = order
        .filter(({ step }) => step.sleepMs !== undefined)
        .map(({ step, index }) => `${step.at + step.sleepMs!}:slept ${index}`);
      expect([...first.filter((line) => line.includes("slept"))].sort()).toEqual([...wakes].sort());
    },
  );
});

describe("sim.until: manual mode that cannot hang silently", () => {
  it("drives until the promise settles and returns its value", async () => {
    const sim = new Simulation({ start: 0 });
    const answer = sim.sleep(250).then(() => 42);
    expect(await sim.until(answer)).toBe(42);
    expect(sim.now).toBe(250);
  });

  it("rethrows the promise's rejection", async () => {
    const sim = new Simulation({ start: 0 });
    const failing = sim.sleep(5).then(() => {
      throw new Error("boom");
    });
    await expect(sim.until(failing)).rejects.toThrow("boom");
  });

  it("rejects with DEADLOCK, listing what is pending, when work runs out first", async () => {
    const sim = new Simulation({ start: 0, autoIdleMs: 10_000 });
    sim.every(1000, () => {}, { label: "heartbeat" });
    const never = sim.deferred<number>();
    const error = await sim.until(never.promise).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BrokerlabError);
    expect((error as BrokerlabError).code).toBe("DEADLOCK");
    expect((error as BrokerlabError).message).toContain("heartbeat");
    expect(sim.now).toBe(10_000);
  });

  it("rejects with UNTIL_TIMEOUT past timeoutMs of virtual time", async () => {
    const sim = new Simulation({ start: 0 });
    const late = sim.sleep(60_000);
    const error = await sim.until(late, { timeoutMs: 1000 }).catch((e: unknown) => e);
    expect((error as BrokerlabError).code).toBe("UNTIL_TIMEOUT");
    expect(sim.now).toBe(1000);
  });

  it("concurrent until() calls ride along on the one that drives", async () => {
    const sim = new Simulation({ start: 0 });
    const a = sim.sleep(10).then(() => "a");
    const b = sim.sleep(20).then(() => "b");
    expect(await Promise.all([sim.until(a), sim.until(b)])).toEqual(["a", "b"]);
    expect(sim.now).toBe(20);
  });

  it("in auto mode it just waits", async () => {
    const sim = new Simulation({ start: 0, drive: "auto" });
    expect(await sim.until(sim.sleep(5000).then(() => sim.now))).toBe(5000);
    sim.close();
  });

  it("refuses what is not a promise", async () => {
    const sim = new Simulation({ start: 0 });
    await expect(sim.until(42 as unknown as Promise<number>)).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
  });
});

describe("start time", () => {
  it("starts at 2025-01-01T00:00:00Z by default", () => {
    expect(new Date(new Simulation().now).toISOString()).toBe("2025-01-01T00:00:00.000Z");
  });

  it('start: "wall" starts at the wall clock', () => {
    const before = Date.now();
    const sim = new Simulation({ start: "wall" });
    expect(sim.now).toBeGreaterThanOrEqual(before);
    expect(sim.now).toBeLessThanOrEqual(Date.now());
  });
});
