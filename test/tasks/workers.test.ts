import { describe, expect, it } from "vitest";
import {
  SoftTimeLimitExceededError,
  TimeLimitExceededError,
  WorkerLostError,
} from "../../src/tasks/errors.js";
import { world } from "./helpers.js";

/** A task that takes `ms` of virtual time and counts its runs. */
function slowTask(app: ReturnType<typeof world>["app"], name: string, ms: number, options = {}) {
  const runs: number[] = [];
  const task = app.task(
    name,
    async (ctx) => {
      runs.push(ctx.app.sim.now);
      await ctx.sleep(ms);
      return "done";
    },
    options,
  );
  return { task, runs };
}

describe("workers and acknowledgements", () => {
  it("a crash mid-task with acksLate + rejectOnWorkerLost runs it again on the restarted worker", async () => {
    const { sim, app } = world();
    const { task, runs } = slowTask(app, "encode", 10_000, { acksLate: true, rejectOnWorkerLost: true });
    const worker = app.worker();
    const r = task.delay();
    sim.at(4_000, () => worker.crash());
    sim.at(6_000, () => worker.restart());
    expect(await r.get()).toBe("done");
    expect(runs).toEqual([0, 6_000]);
    expect(sim.now).toBe(16_000);
  });

  it("a crash mid-task with early ack loses it: the result stays STARTED", async () => {
    const { sim, app } = world();
    const { task, runs } = slowTask(app, "encode", 10_000);
    const worker = app.worker();
    const r = task.delay();
    sim.at(4_000, () => worker.crash());
    sim.at(6_000, () => worker.restart());
    await sim.run();
    expect(runs).toEqual([0]);
    expect(r.state).toBe("STARTED");
    await expect(r.get()).rejects.toMatchObject({ code: "DEADLOCK" });
  });

  it("prefetched, not started messages come back on a crash even with early ack", async () => {
    const { sim, app } = world();
    const { task, runs } = slowTask(app, "encode", 10_000);
    const worker = app.worker({ concurrency: 1, prefetchMultiplier: 4 });
    task.delay();
    const second = task.delay();
    sim.at(4_000, () => worker.crash());
    sim.at(5_000, () => worker.restart());
    await second.get();
    expect(runs).toEqual([0, 5_000]);
  });

  it("Redis transport: work of a crashed worker comes back only after the visibility timeout", async () => {
    const { sim, app } = world({ transport: "redis", visibilityTimeoutMs: 60_000 });
    const { task, runs } = slowTask(app, "encode", 10_000, { acksLate: true });
    const crashing = app.worker({ name: "w1" });
    const r = task.delay();
    sim.at(1_000, () => {
      crashing.crash();
      app.worker({ name: "w2" });
    });
    expect(await r.get()).toBe("done");
    expect(runs).toEqual([0, 60_000]);
  });

  it("Redis transport: an ETA beyond the visibility timeout runs the task twice (the documented hazard)", async () => {
    const { sim, app } = world({ transport: "redis", visibilityTimeoutMs: 3_600_000 });
    const { task, runs } = slowTask(app, "report", 1_000);
    app.worker({ name: "w1" });
    app.worker({ name: "w2" });
    task.applyAsync([], { countdown: 2 * 3600 });
    await sim.run();
    // Both copies run when the ETA comes; the copy redelivered at 7 200 s lapses again and runs
    // a third time: Celery's "repeated redelivery".
    expect(runs.length).toBeGreaterThan(1);
    expect(runs.slice(0, 2)).toEqual([7_200_000, 7_200_000]);
    // With an ETA inside the timeout it runs once.
    const calm = world({ transport: "redis", visibilityTimeoutMs: 3_600_000 });
    const once = slowTask(calm.app, "report", 1_000);
    calm.app.worker();
    once.task.applyAsync([], { countdown: 1800 });
    await calm.sim.run();
    expect(once.runs).toEqual([1_800_000]);
  });

  it("a lost pool child fails the task with WorkerLostError, or requeues it with rejectOnWorkerLost", async () => {
    const { sim, app } = world();
    const plain = slowTask(app, "plain", 10_000, { acksLate: true });
    const guarded = slowTask(app, "guarded", 10_000, { acksLate: true, rejectOnWorkerLost: true });
    const worker = app.worker({ concurrency: 2 });
    const a = plain.task.delay();
    const b = guarded.task.delay();
    sim.at(2_000, () => worker.killChild());
    await expect(a.get()).rejects.toBeInstanceOf(WorkerLostError);
    expect(await b.get()).toBe("done");
    expect(plain.runs).toEqual([0]);
    expect(guarded.runs).toEqual([0, 2_000]);
  });

  it("hard time limits kill the task; soft ones raise inside it", async () => {
    const { app } = world();
    const hard = slowTask(app, "hard", 10_000, { timeLimit: 3 });
    let cleaned = false;
    const soft = app.task(
      "soft",
      async (ctx) => {
        try {
          await ctx.sleep(10_000);
        } catch (error) {
          cleaned = error instanceof SoftTimeLimitExceededError;
          throw error;
        }
      },
      { softTimeLimit: 2 },
    );
    app.worker({ concurrency: 2 });
    const h = hard.task.delay();
    const s = soft.delay();
    await expect(h.get()).rejects.toBeInstanceOf(TimeLimitExceededError);
    await expect(s.get()).rejects.toBeInstanceOf(SoftTimeLimitExceededError);
    expect(cleaned).toBe(true);
    expect(app.logLines.some((l) => l.includes("Hard time limit (3s) exceeded for hard["))).toBe(true);
  });

  it("concurrency bounds running tasks; prefetch bounds what one worker reserves", async () => {
    const { sim, app } = world();
    const { task, runs } = slowTask(app, "t", 1_000);
    const busy = app.worker({ name: "busy", concurrency: 2, prefetchMultiplier: 1 });
    for (let i = 0; i < 6; i++) task.delay();
    await sim.runUntil(0);
    expect(busy.active).toBe(2);
    // Early ack: the two running are acked; two more are reserved (prefetch 1 × 2), two wait.
    expect(app.queue("celery").unacked).toBe(2);
    expect(app.queue("celery").ready).toBe(2);
    await sim.run();
    expect(runs).toEqual([0, 0, 1_000, 1_000, 2_000, 2_000]);
  });

  it("expired tasks are REVOKED instead of running; an eta in the past runs now", async () => {
    const { sim, app } = world();
    const { task, runs } = slowTask(app, "t", 10);
    const late = task.applyAsync([], { countdown: 100, expires: 50 });
    await sim.runUntil(10_000);
    const past = task.applyAsync([], { eta: 0 });
    app.worker();
    await sim.run();
    expect(late.state).toBe("REVOKED");
    expect(past.state).toBe("SUCCESS");
    expect(runs).toEqual([10_000]);
  });
});
