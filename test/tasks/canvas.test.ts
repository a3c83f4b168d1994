import { describe, expect, it } from "vitest";
import { chain, chord, group } from "../../src/tasks/canvas.js";
import { ChordError } from "../../src/tasks/errors.js";
import { world } from "./helpers.js";

function setup() {
  const { sim, app } = world();
  const add = app.task("add", (_ctx, a: number, b: number) => a + b);
  // Finishes after `ms`, so completion order can differ from call order.
  const after = app.task("after", async (ctx, ms: number, value: unknown) => {
    await ctx.sleep(ms);
    return value;
  });
  const boom = app.task("boom", async (ctx, ms: number) => {
    await ctx.sleep(ms);
    throw new Error(`boom after ${ms}`);
  });
  const collect = app.task("collect", (_ctx, results: unknown[], label = "all") => ({ label, results }));
  return { sim, app, add, after, boom, collect };
}

describe("canvas", () => {
  it("chain passes each result on as the first argument; si ignores it", async () => {
    const { app, add } = setup();
    app.worker();
    expect(await chain(add.s(2, 2), add.s(4), add.s(8)).delay().get()).toBe(16);
    expect(await chain(add.s(2, 2), add.si(1, 1)).delay().get()).toBe(2);
    expect(await add.s(10).delay(5)).toBeDefined();
  });

  it("a failed step skips the rest; the chain's get rejects with that error and linkError fires", async () => {
    const { app, add, boom, collect } = setup();
    const errors: unknown[] = [];
    const errback = app.task("errback", (_ctx, request: { id: string }, error: string) => {
      errors.push([request.id, error]);
    });
    app.worker();
    const failing = boom.si(5).linkError(errback.s());
    const result = chain(add.s(1, 1), failing, collect.s()).delay();
    await expect(result.get()).rejects.toThrow("boom after 5");
    expect(result.state).toBe("PENDING");
    await app.sim.run();
    expect(errors).toHaveLength(1);
    expect((errors[0] as unknown[])[1]).toBe("Error('boom after 5')");
  });

  it("group results come in call order whatever the finish order", async () => {
    const { app, after } = setup();
    app.worker({ concurrency: 3 });
    const r = group(after.s(30, "a"), after.s(10, "b"), after.s(20, "c")).delay();
    expect(await r.get()).toEqual(["a", "b", "c"]);
    expect(r.completedCount()).toBe(3);
  });

  it("the chord body gets the header results in header order", async () => {
    const { app, after, collect } = setup();
    app.worker({ concurrency: 10 });
    const header = [50, 10, 40, 20, 30].map((ms) => after.s(ms, ms));
    const out = await chord(header, collect.s("sum")).delay().get();
    expect(out).toEqual({ label: "sum", results: [50, 10, 40, 20, 30] });
  });

  it("a failed header task fails the body with a ChordError naming the first failure; the others still run", async () => {
    const { sim, app, after, boom, collect } = setup();
    const finished: string[] = [];
    sim.bus.on("task.succeeded", (p) => finished.push(p.name));
    let bodyRuns = 0;
    sim.bus.on("task.started", (p) => {
      if (p.name === "collect") bodyRuns++;
    });
    app.worker({ concurrency: 10 });
    const first = boom.s(20).set({ taskId: "first-failure" });
    const header = [after.s(50, 1), first, after.s(5, 2), boom.s(40).set({ taskId: "second-failure" })];
    const result = chord(header, collect.s()).delay();
    const error = await result.get().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChordError);
    expect((error as ChordError).message).toBe("Dependency first-failure raised Error('boom after 20')");
    await sim.run();
    expect(finished).toEqual(["after", "after"]);
    expect(bodyRuns).toBe(0);
  });

  it("link applies a callback with the result", async () => {
    const { app, add, collect } = setup();
    app.worker();
    const seen: unknown[] = [];
    const record = app.task("record", (_ctx, value: unknown) => seen.push(value));
    add.applyAsync([20, 22], { link: record.s() });
    await app.sim.run();
    expect(seen).toEqual([42]);
    expect(collect).toBeDefined();
  });
});
