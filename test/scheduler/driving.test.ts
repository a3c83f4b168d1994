import { describe, expect, it } from "vitest";
import { BrokerlabError } from "../../src/scheduler/errors.js";
import { Simulation } from "../../src/scheduler/simulation.js";

describe("run()", () => {
  it("stops when only repeating timers are left, which stay armed", async () => {
    const sim = new Simulation({ start: 0 });
    const beats: number[] = [];
    const heartbeat = sim.every(300, () => beats.push(sim.now));
    sim.after(1000, () => {});
    await sim.run();
    expect(sim.now).toBe(1000);
    expect(beats).toEqual([300, 600, 900]);
    expect(heartbeat.active).toBe(true);
    expect(heartbeat.nextRunAt).toBe(1200);
  });

  it("waits for async handlers suspended in sleep", async () => {
    const sim = new Simulation({ start: 0 });
    const log: string[] = [];
    sim.after(1, async () => {
      for (let i = 0; i < 3; i++) {
        await sim.sleep(10);
        log.push(`tick ${sim.now}`);
      }
    });
    await sim.run();
    expect(log).toEqual(["tick 11", "tick 21", "tick 31"]);
    expect(sim.asyncHandlersRunning).toBe(0);
  });

  it("lets continuations run through nested awaits before the next event", async () => {
    const sim = new Simulation({ start: 0 });
    const log: string[] = [];
    const deep = async (depth: number): Promise<void> => {
      if (depth === 0) return sim.sleep(5);
      await deep(depth - 1);
      await Promise.resolve();
    };
    sim.after(0, async () => {
      await deep(4);
      log.push(`async ${sim.now}`);
    });
    sim.at(5, () => log.push(`sync ${sim.now}`));
    await sim.run();
    // The sleep was scheduled after the sync timer (seq order), so its continuation runs second,
    // but it runs fully before time moves on.
    expect(log).toEqual(["sync 5", "async 5"]);
  });

  it("rethrows an error from an async handler", async () => {
    const sim = new Simulation({ start: 0 });
    sim.after(1, async () => {
      await sim.sleep(1);
      throw new Error("handler failed");
    });
    await expect(sim.run()).rejects.toThrow("handler failed");
  });

  it("names what kept firing when the runaway guard trips", async () => {
    const sim = new Simulation({ start: 0, maxEventsPerRun: 10_000 });
    sim.every(1000, () => {}, { label: "heartbeat" });
    const retry = () => {
      sim.after(1, retry);
    };
    sim.after(0, retry);
    try {
      await sim.run();
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(BrokerlabError);
      expect((error as BrokerlabError).code).toBe("RUNAWAY_SCHEDULE");
      expect((error as Error).message).toMatch(/retry ×\d+/);
      expect((error as Error).message).toMatch(/heartbeat \(every 1000 ms\)/);
    }
  });

  it("refuses to be driven from inside a handler", async () => {
    const sim = new Simulation({ start: 0 });
    let caught: unknown;
    sim.after(1, () => {
      try {
        sim.step();
      } catch (error) {
        caught = error;
      }
    });
    await sim.run();
    expect((caught as BrokerlabError).code).toBe("REENTRANT_RUN");
  });

  it("steps one event at a time", () => {
    const sim = new Simulation({ start: 0 });
    const log: number[] = [];
    sim.after(2, () => log.push(2));
    sim.after(1, () => log.push(1));
    expect(sim.step()).toBe(true);
    expect(log).toEqual([1]);
    expect(sim.now).toBe(1);
    expect(sim.step()).toBe(true);
    expect(sim.step()).toBe(false);
    expect(log).toEqual([1, 2]);
  });

  it("cancels through handles and ids", async () => {
    const sim = new Simulation({ start: 0 });
    const log: string[] = [];
    const a = sim.after(5, () => log.push("a"));
    const id = sim.schedule(6, (x: string) => log.push(x), "b");
    expect(a.pending).toBe(true);
    expect(a.cancel()).toBe(true);
    expect(a.cancel()).toBe(false);
    expect(sim.cancel(id)).toBe(true);
    sim.after(7, () => log.push("c"));
    await sim.run();
    expect(log).toEqual(["c"]);
    expect(sim.cancel(id)).toBe(false); // stale id: the slot may be reused, the id is not
  });
});

describe("drive modes", () => {
  it("auto mode advances by itself while the program awaits", async () => {
    const sim = new Simulation({ start: 0, drive: "auto" });
    const log: number[] = [];
    sim.after(5000, () => log.push(sim.now));
    await sim.sleep(10_000);
    expect(log).toEqual([5000]);
    expect(sim.now).toBe(10_000);
    await expect(sim.runFor(1)).rejects.toMatchObject({ code: "DRIVE_MODE" });
    sim.close();
  });

  it("auto mode serves the program's own awaits before moving time", async () => {
    const sim = new Simulation({ start: 0, drive: "auto" });
    const seen: number[] = [];
    const consumer = async () => {
      for (let i = 0; i < 3; i++) {
        await sim.sleep(100);
        await Promise.resolve(); // application code between simulation calls
        seen.push(sim.now);
      }
    };
    await consumer();
    expect(seen).toEqual([100, 200, 300]);
    sim.close();
  });

  it("auto mode keeps firing heartbeats the program waits on, then parks", async () => {
    const sim = new Simulation({ start: 0, drive: "auto", autoIdleMs: 60_000 });
    let beats = 0;
    sim.every(3000, () => beats++);
    const sessionExpired = sim.deferred<number>();
    sim.every(10_000, () => {
      if (beats >= 5) sessionExpired.resolve(sim.now);
    });
    expect(await sessionExpired.promise).toBe(20_000);
    // With nothing but repeating timers, the runner parks within autoIdleMs of virtual time.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const parkedAt = sim.now;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sim.now).toBe(parkedAt);
    expect(parkedAt).toBeLessThanOrEqual(20_000 + 60_000 + 10_000);
    sim.close();
  });

  it("realtime mode follows the wall clock at the chosen speed", async () => {
    const sim = new Simulation({ start: 0, drive: "realtime", speed: 1000 });
    const fired = sim.deferred<number>();
    sim.after(50_000, () => fired.resolve(sim.now)); // 50 s virtual ≈ 50 ms wall
    const wallStart = performance.now();
    expect(await fired.promise).toBe(50_000);
    const wallMs = performance.now() - wallStart;
    expect(wallMs).toBeGreaterThanOrEqual(40);
    sim.close();
  });
});
