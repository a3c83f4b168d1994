import timersModule from "node:timers";
import timersPromises from "node:timers/promises";
import { promisify } from "node:util";
import { fc, test as fcTest } from "@fast-check/vitest";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Simulation as SimulationFromIndex } from "../../src/index.js";
import { BrokerlabError } from "../../src/scheduler/errors.js";
import { type InstalledTimers, installTimers } from "../../src/scheduler/install-timers.js";
import { Simulation } from "../../src/scheduler/simulation.js";
import { installTimers as installFromEntry } from "../../src/timers.js";

// The real functions, captured before any test installs fakes.
const real = {
  setTimeout: globalThis.setTimeout,
  clearTimeout: globalThis.clearTimeout,
  setInterval: globalThis.setInterval,
  clearInterval: globalThis.clearInterval,
  setImmediate: globalThis.setImmediate,
  Date: globalThis.Date,
  performanceNow: performance.now.bind(performance),
};

let installed: InstalledTimers | null = null;

/** Installs for one test; afterEach uninstalls even when the test fails. */
function install(sim: Simulation, options?: Parameters<typeof installTimers>[1]): InstalledTimers {
  installed = installTimers(sim, options);
  return installed;
}

afterEach(() => {
  installed?.uninstall();
  installed = null;
  vi.useRealTimers();
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof BrokerlabError ? error.code : `not a BrokerlabError: ${String(error)}`;
  }
  return undefined;
}

describe("installTimers: the program's own timers on the virtual clock", () => {
  it("setTimeout, setInterval and clearTimeout in user code fire at virtual times", async () => {
    const sim = new Simulation({ start: 0 });
    install(sim);
    const log: string[] = [];
    setTimeout(() => log.push(`a@${sim.now}/${Date.now()}`), 100);
    setTimeout(() => log.push(`b@${sim.now}/${Date.now()}`), 50);
    const cancelled = setTimeout(() => log.push("never"), 70);
    clearTimeout(cancelled);
    const poll = setInterval(() => log.push(`poll@${sim.now}`), 30);
    setTimeout(
      (x: string, y: number) => {
        log.push(`args ${x} ${y}@${sim.now}`);
        clearInterval(poll);
      },
      95,
      "x",
      7,
    );
    await sim.run();
    expect(log).toEqual(["poll@30", "b@50/50", "poll@60", "poll@90", "args x 7@95", "a@100/100"]);
    expect(sim.now).toBe(100);
    expect(installed?.pendingTimers).toBe(0);
  });

  it("fake timers and simulation events at one instant run in the order they were armed", async () => {
    const sim = new Simulation({ start: 0 });
    install(sim);
    const log: string[] = [];
    setTimeout(() => log.push("timeout 1"), 10);
    sim.after(10, () => log.push("sim.after"));
    setTimeout(() => log.push("timeout 2"), 10);
    sim.after(5, () => {
      setTimeout(() => log.push("timeout 0 ms"), 0);
      sim.after(0, () => log.push("after 0 ms"));
    });
    await sim.run();
    expect(log).toEqual(["timeout 0 ms", "after 0 ms", "timeout 1", "sim.after", "timeout 2"]);
  });

  it("the continuations a timer callback resolves run before the next timer fires (as on a real event loop)", async () => {
    const sim = new Simulation({ start: 0 });
    install(sim);
    const log: string[] = [];
    const waiter = async (name: string) => {
      await sleep(10);
      for (let i = 0; i < 50; i++) await null;
      log.push(`${name} resumed@${sim.now}`);
    };
    sim.after(0, () => {
      void waiter("first");
      void waiter("second");
      sim.after(10, () => log.push(`sim event@${sim.now}`));
      sim.after(11, () => log.push(`later@${sim.now}`));
    });
    await sim.run();
    expect(log).toEqual(["first resumed@10", "second resumed@10", "sim event@10", "later@11"]);
  });

  it("Date.now() and new Date() equal sim.now at every moment, fractions included", async () => {
    const sim = new Simulation({ start: 1_000 });
    install(sim);
    const seen: [number, number, number][] = [];
    // biome-ignore lint/complexity/useDateNow: new Date() is what is tested here
    const look = () => seen.push([sim.now, Date.now(), new Date().getTime()]);
    expect(Date.now()).toBe(1_000);
    sim.after(250, look);
    sim.after(0.5, look);
    sim.after(300, async () => {
      await sim.sleep(20);
      look();
    });
    await sim.run();
    expect(seen).toEqual([
      [1000.5, 1000.5, 1000],
      [1250, 1250, 1250],
      [1320, 1320, 1320],
    ]);
    await sim.runFor(1_234);
    expect(Date.now()).toBe(2_554);
    expect(new Date().toISOString()).toBe(new real.Date(2_554).toISOString());
    expect(new Date(5).getTime()).toBe(5);
    expect(new real.Date() instanceof Date).toBe(true);
  });

  it("await new Promise(r => setTimeout(r, 60_000)) in a handler completes in virtual time, at once in wall time", async () => {
    const sim = new Simulation({ start: 0 });
    install(sim);
    let resumedAt = -1;
    sim.after(1_000, async () => {
      await new Promise((resolve) => setTimeout(resolve, 60_000));
      resumedAt = sim.now;
    });
    const wallStart = real.performanceNow();
    await sim.run();
    const wallMs = real.performanceNow() - wallStart;
    expect(resumedAt).toBe(61_000);
    expect(Date.now()).toBe(61_000);
    expect(wallMs).toBeLessThan(500);
  });

  it("uninstall restores the real timers and Date, discards pending fake timers, and is idempotent", async () => {
    const sim = new Simulation({ start: 0 });
    const handle = install(sim);
    expect(globalThis.setTimeout).not.toBe(real.setTimeout);
    expect(globalThis.Date).not.toBe(real.Date);
    let fired = false;
    setTimeout(() => {
      fired = true;
    }, 500);
    setInterval(() => {}, 100);
    expect(handle.pendingTimers).toBe(2);
    expect(sim.pendingCount).toBe(2);
    handle.uninstall();
    handle.uninstall();
    expect(handle.installed).toBe(false);
    expect(handle.pendingTimers).toBe(0);
    expect(sim.pendingCount).toBe(0);
    expect(globalThis.setTimeout).toBe(real.setTimeout);
    expect(globalThis.clearTimeout).toBe(real.clearTimeout);
    expect(globalThis.setInterval).toBe(real.setInterval);
    expect(globalThis.clearInterval).toBe(real.clearInterval);
    expect(globalThis.setImmediate).toBe(real.setImmediate);
    expect(globalThis.Date).toBe(real.Date);
    expect(timersModule.setTimeout).toBe(real.setTimeout);
    expect(Date.now()).toBeGreaterThan(1_600_000_000_000);
    await sim.run();
    expect(fired).toBe(false);
    // A real timer fires in wall time again.
    const wallStart = real.performanceNow();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(real.performanceNow() - wallStart).toBeGreaterThanOrEqual(4);
    // And a new installation works.
    const again = install(sim);
    expect(again.installed).toBe(true);
  });

  it("the kernel keeps working while installed: async handlers, sleeps, until(), setImmediate", async () => {
    const sim = new Simulation({ start: 0 });
    install(sim);
    const log: string[] = [];
    sim.after(10, async () => {
      for (let i = 0; i < 100; i++) await null;
      await sim.sleep(5);
      await new Promise((resolve) => setImmediate(resolve));
      log.push(`handler@${sim.now}`);
      await sleep(5);
      log.push(`after setTimeout@${sim.now}`);
    });
    sim.after(12, () => log.push(`sync@${sim.now}`));
    await sim.run();
    expect(log).toEqual(["sync@12", "handler@15", "after setTimeout@20"]);
    const answer = sim.sleep(100).then(() => sleep(50).then(() => 42));
    expect(await sim.until(answer)).toBe(42);
    expect(sim.now).toBe(170);
    const viaTimer = new Promise<string>((resolve) => setTimeout(() => resolve("timer"), 30));
    expect(await sim.until(viaTimer)).toBe("timer");
    expect(sim.now).toBe(200);
  });

  it("refuses a second installation with a code, and accepts one after uninstall", () => {
    const sim = new Simulation({ start: 0 });
    const first = install(sim);
    expect(codeOf(() => installTimers(sim))).toBe("TIMERS_ALREADY_INSTALLED");
    expect(codeOf(() => installTimers(new Simulation({ start: 0 })))).toBe("TIMERS_ALREADY_INSTALLED");
    expect(first.installed).toBe(true);
    first.uninstall();
    const second = install(sim);
    expect(second.installed).toBe(true);
  });

  it("refuses bad input with codes", () => {
    expect(codeOf(() => installTimers(null as unknown as Simulation))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => installTimers({} as Simulation))).toBe("INVALID_ARGUMENT");
    const sim = new Simulation({ start: 0 });
    expect(codeOf(() => installTimers(sim, { dates: true } as never))).toBe("UNKNOWN_OPTION");
    expect(codeOf(() => installTimers(sim, { date: "yes" } as never))).toBe("INVALID_ARGUMENT");
    expect(globalThis.setTimeout).toBe(real.setTimeout);
  });

  it("refuses to install over vitest's fake timers, and vitest refuses to install over these", () => {
    const sim = new Simulation({ start: 0 });
    vi.useFakeTimers();
    expect(codeOf(() => installTimers(sim))).toBe("FOREIGN_FAKE_TIMERS");
    vi.useRealTimers();
    expect(globalThis.setTimeout).toBe(real.setTimeout);
    install(sim);
    expect(() => vi.useFakeTimers()).toThrow(/twice/);
    // Ours are still in place and working.
    expect(Date.now()).toBe(0);
  });

  it("the fake clock cannot be driven behind the simulation's back", () => {
    const sim = new Simulation({ start: 0 });
    install(sim);
    const clock = (Date as unknown as { clock: { tick(ms: number): void; setSystemTime(t: number): void } })
      .clock;
    expect(codeOf(() => clock.tick(10))).toBe("SIMULATION_CLOCK");
    expect(codeOf(() => clock.setSystemTime(10))).toBe("SIMULATION_CLOCK");
    expect(Date.now()).toBe(0);
  });

  it("an auto-mode simulation serves `await setTimeout-promise` at virtual +10 s in well under a wall second", async () => {
    const sim = new Simulation({ drive: "auto", start: 0 });
    install(sim);
    try {
      const wallStart = real.performanceNow();
      await new Promise((resolve) => setTimeout(resolve, 10_000));
      const wallMs = real.performanceNow() - wallStart;
      expect(sim.now).toBe(10_000);
      expect(Date.now()).toBe(10_000);
      expect(wallMs).toBeLessThan(1_000);
      // A loop of sleeps and a poller, as application code writes them.
      let polls = 0;
      const poller = setInterval(() => polls++, 1_000);
      for (let i = 0; i < 5; i++) await sleep(2_000);
      clearInterval(poller);
      expect(sim.now).toBe(20_000);
      // 11 000 … 19 000: the run due at 20 000 was armed (at 19 000) after the last sleep (at 18 000),
      // so that sleep's continuation clears the interval first.
      expect(polls).toBe(9);
    } finally {
      sim.close();
    }
  });

  it("a timer armed by a process belongs to it: it runs as the process and never fires after a crash", async () => {
    const sim = new Simulation({ start: 0 });
    install(sim);
    const log: string[] = [];
    const worker = sim.spawn("worker", () => {
      setTimeout(() => log.push(`timeout as ${sim.currentProcess?.name}@${sim.now}`), 10);
      setTimeout(() => log.push("never: crashed before"), 100);
      setInterval(() => log.push(`tick@${sim.now}`), 20);
    });
    sim.after(50, () => worker.crash());
    sim.after(200, () => log.push(`end@${sim.now}`));
    await sim.run();
    expect(log).toEqual(["timeout as worker@10", "tick@20", "tick@40", "end@200"]);
    expect(worker.state).toBe("crashed");
  });

  it("setInterval and an unref'd setTimeout are background work; ref() makes a timeout work again", async () => {
    const sim = new Simulation({ start: 0 });
    const handle = install(sim);
    const log: string[] = [];
    setInterval(() => log.push(`interval@${sim.now}`), 40);
    const lazy = setTimeout(() => log.push(`unref'd@${sim.now}`), 50).unref();
    setTimeout(() => log.push(`work@${sim.now}`), 100);
    await sim.run();
    expect(log).toEqual(["interval@40", "unref'd@50", "interval@80", "work@100"]);
    expect(handle.pendingTimers).toBe(1); // the interval stays armed, like sim.every
    const late = setTimeout(() => log.push(`late@${sim.now}`), 500).unref();
    await sim.run();
    expect(sim.now).toBe(100);
    late.ref();
    expect(lazy.hasRef()).toBe(false);
    await sim.run();
    expect(log.slice(-1)).toEqual(["late@600"]);
  });

  it("refresh() moves a timeout to now + its delay", async () => {
    const sim = new Simulation({ start: 0 });
    install(sim);
    const log: number[] = [];
    const t = setTimeout(() => log.push(sim.now), 100);
    sim.after(60, () => t.refresh());
    await sim.run();
    expect(log).toEqual([160]);
  });

  it("an interval below 1 ms runs every 1 ms, as in Node", async () => {
    const sim = new Simulation({ start: 0 });
    install(sim);
    const log: number[] = [];
    const id = setInterval(() => {
      log.push(sim.now);
      if (log.length === 3) clearInterval(id);
    }, 0);
    setTimeout(() => {}, 10);
    await sim.run();
    expect(log).toEqual([1, 2, 3]);
  });

  it("an error thrown by a timer callback, or an async one's rejection, fails the drive", async () => {
    const sim = new Simulation({ start: 0 });
    install(sim);
    setTimeout(() => {
      throw new Error("sync boom");
    }, 10);
    await expect(sim.run()).rejects.toThrow("sync boom");
    setTimeout(async () => {
      await sim.sleep(1);
      throw new Error("async boom");
    }, 10);
    await expect(sim.run()).rejects.toThrow("async boom");
  });

  it("timers/promises, the node:timers module and util.promisify(setTimeout) are faked too", async () => {
    const sim = new Simulation({ start: 0 });
    install(sim);
    const log: string[] = [];
    sim.after(0, async () => {
      const value = await timersPromises.setTimeout(100, "v");
      log.push(`timers/promises ${value}@${sim.now}`);
      await promisify(setTimeout)(50);
      log.push(`promisify@${sim.now}`);
      await new Promise((resolve) => timersModule.setTimeout(resolve, 25));
      log.push(`node:timers@${sim.now}`);
    });
    await sim.run();
    expect(log).toEqual(["timers/promises v@100", "promisify@150", "node:timers@175"]);
  });

  it("date: false fakes the timers only; performance.now() stays real either way", async () => {
    const sim = new Simulation({ start: 0 });
    install(sim, { date: false });
    expect(globalThis.Date).toBe(real.Date);
    expect(Date.now()).toBeGreaterThan(1_600_000_000_000);
    let at = -1;
    setTimeout(() => {
      at = sim.now;
    }, 1_000);
    const before = performance.now();
    await sim.run();
    expect(at).toBe(1_000);
    expect(performance.now() - before).toBeLessThan(1_000);
  });

  it("is exported from the brokerlab/timers entry point", async () => {
    const sim = new SimulationFromIndex({ start: 0 });
    installed = installFromEntry(sim);
    let at = -1;
    setTimeout(() => {
      at = Date.now();
    }, 42);
    await sim.run();
    expect(at).toBe(42);
  });

  fcTest.prop(
    [
      fc.array(
        fc.record({
          via: fc.constantFrom("setTimeout" as const, "sim.after" as const, "setTimeout cleared" as const),
          delay: fc.integer({ min: 0, max: 20 }),
          nested: fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }),
        }),
        { minLength: 1, maxLength: 25 },
      ),
      fc.constantFrom(0, 0.25),
    ],
    { numRuns: 60 },
  )(
    "fake timers, sim.after and nested timers fire in (time, arming order), as a reference list says",
    async (plan, start) => {
      const sim = new Simulation({ start });
      install(sim);
      const log: string[] = [];
      // Reference: every arming appends (time, order) to a list; fired in sorted order.
      const expected: { time: number; order: number; name: string }[] = [];
      let order = 0;
      const arm = (via: "setTimeout" | "sim.after", delay: number, name: string, then?: () => void) => {
        expected.push({ time: sim.now + delay, order: order++, name });
        const fn = () => {
          log.push(`${name}@${sim.now}/${Date.now()}`);
          then?.();
        };
        if (via === "setTimeout") setTimeout(fn, delay);
        else sim.after(delay, fn);
      };
      plan.forEach((step, index) => {
        if (step.via === "setTimeout cleared") {
          clearTimeout(setTimeout(() => log.push(`cleared ${index} fired`), step.delay));
          return;
        }
        const nested = step.nested;
        arm(
          step.via,
          step.delay,
          `t${index}`,
          nested === undefined ? undefined : () => arm("setTimeout", nested, `n${index}`),
        );
      });
      await sim.run();
      // Nested armings happen while the run goes, at their parent's time; sorting by (time, order)
      // is the reference as long as order is the arming order, which it is by construction.
      const reference = [...expected]
        .sort((a, b) => a.time - b.time || a.order - b.order)
        .map(({ time, name }) => `${name}@${time}/${time}`);
      expect(log).toEqual(reference);
    },
  );

  it("a loop of 2 000 setTimeout awaits inside a handler stays fast", async () => {
    const sim = new Simulation({ start: 0 });
    install(sim);
    let done = 0;
    sim.after(0, async () => {
      for (let i = 0; i < 2_000; i++) {
        await sleep(10);
        done++;
      }
    });
    const wallStart = real.performanceNow();
    await sim.run();
    expect(done).toBe(2_000);
    expect(sim.now).toBe(20_000);
    expect(real.performanceNow() - wallStart).toBeLessThan(3_000);
  });
});
