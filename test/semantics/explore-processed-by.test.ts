import { describe, expect, it } from "vitest";
import { explore, replay, type ScenarioContext } from "../../src/semantics/explore.js";

/**
 * One exploration judges every run alike: once a run recorded an effect, "processed" means an
 * effect in every later run (the shrinking and the final minimal run included), even a run that
 * crashed before its first effect and so holds receives only.
 */
describe("explore: processedBy is chosen once per exploration", () => {
  it("a later run without effects is still judged by effects", async () => {
    let runs = 0;
    // The first run charges m1 only (m2 lost); every later run crashes before charging anything.
    const scenario = ({ history }: ScenarioContext) => {
      const first = runs++ === 0;
      for (const id of ["m1", "m2"]) {
        history.add("producer", "invoke", "send", { id });
        history.add("producer", "ok", "send", { id });
        history.add("worker", "invoke", "receive", { id });
        history.add("worker", "ok", "receive", { id });
      }
      if (first) history.effect("worker", "charge", "m1");
    };
    const result = await explore(scenario, { runs: 5, seed: 1, expect: "at-least-once" });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    // The minimal run (no effects at all) is judged by effects too: both messages are lost.
    expect(runs).toBeGreaterThan(1);
    expect(result.failure.check.processedBy).toBe("effect");
    expect(result.failure.check.anomalies.filter((a) => a.kind === "lost").map((a) => a.ids[0])).toEqual([
      "m1",
      "m2",
    ]);
    // A replay judges it as the exploration did.
    const again = await replay(scenario, result.failure, { expect: "at-least-once" });
    expect(again.check.processedBy).toBe("effect");
    expect(again.check.valid).toBe(false);
  });

  it("an explicit processedBy is kept as given", async () => {
    const scenario = ({ history }: ScenarioContext) => {
      history.add("producer", "invoke", "send", { id: "m1" });
      history.add("producer", "ok", "send", { id: "m1" });
      history.add("worker", "invoke", "receive", { id: "m1" });
      history.add("worker", "ok", "receive", { id: "m1" });
      history.effect("worker", "audit", "other");
    };
    const result = await explore(scenario, {
      runs: 3,
      seed: 1,
      expect: { guarantee: "at-least-once", processedBy: "receive" },
    });
    expect(result.ok).toBe(true);
  });
});
