import { describe, expect, it } from "vitest";
import { BrokerlabError } from "../../src/scheduler/errors.js";
import { Simulation } from "../../src/scheduler/simulation.js";
import { tasks } from "../../src/tasks/app.js";
import { chain, chord } from "../../src/tasks/canvas.js";
import { crontab, every } from "../../src/tasks/schedules.js";
import { world } from "./helpers.js";

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(BrokerlabError);
    return (error as BrokerlabError).code;
  }
  throw new Error("expected a throw");
}

describe("bad input: coded errors, nothing lost", () => {
  it("unknown task names", () => {
    const { app } = world();
    app.task("known", () => 1);
    expect(code(() => app.sendTask("nope"))).toBe("UNKNOWN_TASK");
    expect(app.queue("celery").ready).toBe(0);
    app.sendTask("known", [1]);
    expect(app.queue("celery").ready).toBe(1);
  });

  it("duplicate and malformed task definitions", () => {
    const { app } = world();
    app.task("t", () => 1);
    expect(code(() => app.task("t", () => 2))).toBe("DUPLICATE_TASK");
    expect(code(() => app.task("", () => 2))).toBe("INVALID_ARGUMENT");
    expect(code(() => app.task("u", "not a function" as never))).toBe("INVALID_ARGUMENT");
    expect(code(() => app.task("u", () => 1, { maxRetries: -1 }))).toBe("INVALID_ARGUMENT");
    expect(code(() => app.task("u", () => 1, { retrys: 3 } as never))).toBe("UNKNOWN_OPTION");
    expect(code(() => app.task("u", () => 1, { timeLimit: 0 }))).toBe("INVALID_ARGUMENT");
    // None of the refused definitions registered anything.
    expect(code(() => app.sendTask("u"))).toBe("UNKNOWN_TASK");
  });

  it("malformed rate strings", () => {
    const { app } = world();
    for (const rate of ["100/x", "fast", "-5/s", "0/m", ""]) {
      expect(code(() => app.task(`r${rate}`, () => 1, { rateLimit: rate }))).toBe("INVALID_RATE");
    }
    expect(code(() => tasks(new Simulation({ start: 0 }), { limiter: { max: 0, durationMs: 1000 } }))).toBe(
      "INVALID_ARGUMENT",
    );
  });

  it("negative countdowns and bad etas are refused before anything is sent; an eta in the past runs now", async () => {
    const { sim, app } = world();
    const t = app.task("t", () => sim.now);
    expect(code(() => t.applyAsync([], { countdown: -1 }))).toBe("INVALID_COUNTDOWN");
    expect(code(() => t.applyAsync([], { countdown: Number.NaN }))).toBe("INVALID_COUNTDOWN");
    expect(code(() => t.applyAsync([], { eta: "tomorrow" as never }))).toBe("INVALID_ETA");
    expect(code(() => t.applyAsync([], { countdown: 1, eta: 5 }))).toBe("INVALID_ETA");
    expect(code(() => t.applyAsync([], { expires: -3 }))).toBe("INVALID_EXPIRES");
    expect(code(() => t.applyAsync([], { priority: 1 } as never))).toBe("UNKNOWN_OPTION");
    expect(app.queue("celery").ready).toBe(0);
    await sim.runUntil(5_000);
    app.worker();
    expect(await t.applyAsync([], { eta: new Date(1_000) }).get()).toBe(5_000);
  });

  it("invalid crontab fields", () => {
    const bad = [
      { minute: 60 },
      { hour: 24 },
      { dayOfWeek: 8 },
      { dayOfWeek: "funday" },
      { dayOfMonth: 0 },
      { monthOfYear: 13 },
      { minute: "*/0" },
      { minute: "5-1" },
      { minute: "1,,2" },
      { minute: [] },
      { minute: 1.5 },
    ];
    for (const fields of bad) expect(code(() => crontab(fields as never))).toBe("INVALID_CRONTAB");
    expect(code(() => crontab({ second: 1 } as never))).toBe("UNKNOWN_OPTION");
    expect(code(() => every(0))).toBe("INVALID_ARGUMENT");
    expect(crontab({ dayOfWeek: "mon-fri", minute: "*/15" }).expression).toBe("0,15,30,45 * * * 1,2,3,4,5");
    expect(crontab({ dayOfWeek: 7 }).expression).toBe("* * * * 0");
  });

  it("bad worker, app and canvas options", () => {
    const sim = new Simulation({ start: 0 });
    expect(code(() => tasks(sim, { transport: "sqs" as never }))).toBe("INVALID_ARGUMENT");
    expect(code(() => tasks(sim, { visibilityTimeoutMs: 1000 }))).toBe("INVALID_ARGUMENT");
    const app = tasks(sim);
    const t = app.task("t", () => 1);
    expect(code(() => app.worker({ concurrency: 0 }))).toBe("INVALID_ARGUMENT");
    expect(code(() => app.worker({ queues: [] }))).toBe("INVALID_ARGUMENT");
    expect(code(() => chain())).toBe("EMPTY_CANVAS");
    expect(code(() => chord([t as never], t.s()))).toBe("NOT_A_SIGNATURE");
    expect(code(() => app.beat().add("x", t, { kind: "sometimes" } as never))).toBe("INVALID_SCHEDULE");
    const noBackend = tasks(new Simulation({ start: 0 }), { resultBackend: false });
    const u = noBackend.task("u", () => 1);
    expect(code(() => u.delay().get())).toBe("NO_RESULT_BACKEND");
  });

  it("a get() that can never resolve rejects with DEADLOCK (no worker for the queue)", async () => {
    const { app } = world();
    const t = app.task("t", () => 1, { queue: "nobody-listens" });
    app.worker({ queues: ["celery"] });
    await expect(t.delay().get()).rejects.toMatchObject({ code: "DEADLOCK" });
  });
});
