import { describe, expect, it } from "vitest";
import { ackBeforeProcessing } from "../../examples/zoo/ack-before-processing.js";
import { poisonRequeue } from "../../examples/zoo/poison-requeue.js";
import { explore } from "../../src/semantics/explore.js";

for (const e of [ackBeforeProcessing, poisonRequeue]) {
  describe(e.name, () => {
    it("buggy caught", async () => {
      const t0 = performance.now();
      const r = await explore(e.buggy, { runs: 200, seed: 1, faults: e.faults, expect: e.expect });
      console.log(
        e.name,
        "buggy",
        Math.round(performance.now() - t0),
        "ms",
        r.ok ? "NOT FOUND" : r.failure.report.split("\n").slice(0, 14).join("\n"),
      );
      expect(r.ok).toBe(false);
    });
    it("fixed passes", async () => {
      const t0 = performance.now();
      const r = await explore(e.fixed, { runs: 200, seed: 1, faults: e.faults, expect: e.expect });
      console.log(e.name, "fixed", Math.round(performance.now() - t0), "ms", r.ok ? "ok" : r.failure.report);
      expect(r.ok).toBe(true);
    });
  });
}
