import { describe, expect, it } from "vitest";
import { commitBeforeProcessing } from "../../examples/zoo/commit-before-processing.js";
import { explore, replay, runScenario } from "../../src/semantics/explore.js";

describe("explore", () => {
  it("finds, shrinks and replays the commit-before-processing loss", async () => {
    const e = commitBeforeProcessing;
    const t0 = performance.now();
    const result = await explore(e.buggy, { runs: 100, seed: 1, faults: e.faults, expect: e.expect });
    console.log(`${performance.now() - t0} ms`, result.runs);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    console.log(result.failure.report);
    expect(result.failure.plan.length).toBeLessThanOrEqual(3);
    const again = await replay(e.buggy, result.failure, { expect: e.expect });
    expect(again.traceHash).toBe(result.failure.traceHash);
  });

  it("fixed version passes", async () => {
    const e = commitBeforeProcessing;
    const t0 = performance.now();
    const result = await explore(e.fixed, { runs: 100, seed: 1, faults: e.faults, expect: e.expect });
    console.log(`${performance.now() - t0} ms`);
    if (!result.ok) console.log(result.failure.report);
    expect(result.ok).toBe(true);
  });

  it("a run without faults", async () => {
    const out = await runScenario(commitBeforeProcessing.buggy, 1, []);
    console.log(out.check.toText(), out.virtualMs, out.history.length);
  });
});
