import { describe, expect, it } from "vitest";
import { world } from "./helpers.js";

function starts(app: ReturnType<typeof world>["app"]) {
  const out: Array<[string, number]> = [];
  app.sim.bus.on("task.started", (p) => out.push([p.worker, app.sim.now]));
  return out;
}

describe("rate limits", () => {
  it('"100/m" spaces starts on one worker at least 600 ms apart (a token bucket of capacity 1)', async () => {
    const { sim, app } = world();
    const t = app.task("t", () => "ok", { rateLimit: "100/m" });
    const seen = starts(app);
    app.worker({ concurrency: 4 });
    for (let i = 0; i < 10; i++) t.delay();
    await sim.run();
    const times = seen.map(([, at]) => at);
    expect(times).toHaveLength(10);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(600);
    expect(times.at(-1)).toBe(5_400);
  });

  it("two workers get twice the rate (one bucket per worker), unlike BullMQ's global limiter", async () => {
    const celery = world();
    const t = celery.app.task("t", () => "ok", { rateLimit: "60/m" });
    const seen = starts(celery.app);
    celery.app.worker({ prefetchMultiplier: 8 });
    celery.app.worker({ prefetchMultiplier: 8 });
    // Workers are processes that boot in an event: let both subscribe before the burst, or the
    // first to boot prefetches all eight, as a Celery worker started after a burst does.
    await celery.sim.runFor(0);
    for (let i = 0; i < 8; i++) t.delay();
    await celery.sim.run();
    expect(Math.max(...seen.map(([, at]) => at))).toBe(3_000);

    const bull = world({ limiter: { max: 1, durationMs: 1000 } });
    const u = bull.app.task("u", () => "ok");
    const seenBull = starts(bull.app);
    bull.app.worker({ prefetchMultiplier: 8 });
    bull.app.worker({ prefetchMultiplier: 8 });
    await bull.sim.runFor(0);
    for (let i = 0; i < 8; i++) u.delay();
    await bull.sim.run();
    expect(seenBull.map(([, at]) => at)).toEqual([0, 1000, 2000, 3000, 4000, 5000, 6000, 7000]);
  });

  it("the fixed window lets a burst of max start at once at the top of each window", async () => {
    const { sim, app } = world({ limiter: { max: 3, durationMs: 1000 } });
    const u = app.task("u", () => "ok");
    const seen = starts(app);
    app.worker({ concurrency: 10 });
    for (let i = 0; i < 7; i++) u.delay();
    await sim.run();
    expect(seen.map(([, at]) => at)).toEqual([0, 0, 0, 1000, 1000, 1000, 2000]);
  });
});
