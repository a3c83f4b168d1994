import { describe, expect, it } from "vitest";
import { backoffCountdownS } from "../../src/tasks/backoff.js";
import { MaxRetriesExceededError } from "../../src/tasks/errors.js";
import { world } from "./helpers.js";

class Flaky extends Error {}

/** Start times of every run of the task named `name`, in virtual seconds. */
function startsOf(
  app: { sim: { bus: { on: (t: "task.started", f: (p: { name: string }) => void) => void } } },
  sim: { now: number },
  name: string,
) {
  const out: number[] = [];
  app.sim.bus.on("task.started", (p) => {
    if (p.name === name) out.push(sim.now / 1000);
  });
  return out;
}

describe("Celery's retry numbers", () => {
  it("backoff without jitter waits 1, 2, 4, 8 … s, capped at 600", () => {
    const waits = Array.from({ length: 12 }, (_, r) => backoffCountdownS(1, r, 600, null));
    expect(waits).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 600, 600]);
    expect(backoffCountdownS(3, 2, 600, null)).toBe(12);
  });

  it("autoretry with retryBackoff and no jitter runs at 0, 1, 3, 7 s and maxRetries 3 means 4 executions", async () => {
    const { sim, app } = world();
    let runs = 0;
    const encode = app.task(
      "encode",
      () => {
        runs++;
        throw new Flaky("encoder crashed");
      },
      { autoretryFor: [Flaky], retryBackoff: true, retryJitter: false },
    );
    const starts = startsOf(app, sim, "encode");
    app.worker();
    const result = encode.delay("v.mp4");
    await expect(result.get()).rejects.toBeInstanceOf(Flaky);
    expect(runs).toBe(4);
    expect(starts).toEqual([0, 1, 3, 7]);
    expect(result.state).toBe("FAILURE");
    expect(app.backend.states(result.id)).toEqual([
      "STARTED",
      "RETRY",
      "STARTED",
      "RETRY",
      "STARTED",
      "RETRY",
      "STARTED",
      "FAILURE",
    ]);
  });

  it("full jitter keeps every wait a whole number in [0, cap] and repeats for the same seed", async () => {
    const run = async (seed: number) => {
      const { sim, app } = world({}, seed);
      const t = app.task(
        "t",
        () => {
          throw new Flaky("x");
        },
        { autoretryFor: [Flaky], retryBackoff: 2, maxRetries: 8, retryBackoffMax: 60 },
      );
      const starts = startsOf(app, sim, "t");
      app.worker();
      await t
        .delay()
        .get()
        .catch(() => {});
      return starts.slice(1).map((s, i) => s - starts[i]!);
    };
    const a = await run(7);
    const b = await run(7);
    const c = await run(8);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a.length).toBe(8);
    a.forEach((wait, retries) => {
      expect(Number.isInteger(wait)).toBe(true);
      expect(wait).toBeGreaterThanOrEqual(0);
      expect(wait).toBeLessThanOrEqual(Math.min(60, 2 * 2 ** retries));
    });
  });

  it("ctx.retry without exc past the limit raises MaxRetriesExceededError; a per-call maxRetries applies to that call", async () => {
    const { app } = world();
    let runs = 0;
    const t = app.task("t", (ctx) => {
      runs++;
      throw ctx.retry({ countdown: 1 });
    });
    app.worker();
    const error = await t
      .delay()
      .get()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MaxRetriesExceededError);
    expect(runs).toBe(4);

    let runs2 = 0;
    const u = app.task("u", (ctx) => {
      runs2++;
      throw ctx.retry({ countdown: 1, maxRetries: 1, exc: new Flaky("gave up") });
    });
    await expect(u.delay().get()).rejects.toThrow("gave up");
    expect(runs2).toBe(2);
  });

  it("without retryBackoff an autoretry waits defaultRetryDelay (180 s by default)", async () => {
    const { sim, app } = world();
    let runs = 0;
    const t = app.task(
      "t",
      () => {
        if (++runs === 1) throw new Flaky("once");
        return "ok";
      },
      { autoretryFor: [Flaky] },
    );
    const starts = startsOf(app, sim, "t");
    app.worker();
    expect(await t.delay().get()).toBe("ok");
    expect(starts).toEqual([0, 180]);
  });

  it("the dead-letter queue holds exactly the tasks that exhausted their retries", async () => {
    const { app } = world({ deadLetterQueue: "dlq" });
    const t = app.task(
      "transcode",
      (_ctx, name: string) => {
        if (name.startsWith("corrupt")) throw new Flaky(`${name} is corrupt`);
        if (name === "bad-args") throw new TypeError("not retried");
        return name;
      },
      { autoretryFor: [Flaky], retryBackoff: true, retryJitter: false, maxRetries: 2 },
    );
    app.worker({ concurrency: 2 });
    const names = ["a", "corrupt-1", "b", "bad-args", "corrupt-2"];
    const results = names.map((n) => t.delay(n));
    await Promise.allSettled(results.map((r) => r.get()));
    expect(results.map((r) => r.state)).toEqual(["SUCCESS", "FAILURE", "SUCCESS", "FAILURE", "FAILURE"]);
    expect(app.deadLetters().map((d) => [d.args[0], d.retries, d.error])).toEqual([
      ["corrupt-1", 2, "Error('corrupt-1 is corrupt')"],
      ["corrupt-2", 2, "Error('corrupt-2 is corrupt')"],
    ]);
  });
});
