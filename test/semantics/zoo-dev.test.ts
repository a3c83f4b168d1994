import { describe, expect, it } from "vitest";
import { autoCommitDuplicates } from "../../examples/zoo/auto-commit-duplicates.js";
import { parallelPerKey } from "../../examples/zoo/parallel-per-key.js";
import { paymentSetex } from "../../examples/zoo/payment-setex.js";
import { retriesWithoutBackoff } from "../../examples/zoo/retries-without-backoff.js";
import { explore } from "../../src/semantics/explore.js";

for (const e of [autoCommitDuplicates, paymentSetex, retriesWithoutBackoff, parallelPerKey]) {
  describe(e.name, () => {
    it("buggy caught", async () => {
      const t0 = performance.now();
      const r = await explore(e.buggy, { runs: 200, seed: 1, faults: e.faults, expect: e.expect });
      console.log(
        e.name,
        "buggy",
        Math.round(performance.now() - t0),
        "ms",
        r.ok ? "NOT FOUND" : r.failure.report.split("\n").slice(0, 12).join("\n"),
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
