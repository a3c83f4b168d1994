import { describe, expect, it } from "vitest";
import { ZOO } from "../../examples/zoo/index.js";
import { explore, replay } from "../../src/semantics/explore.js";

/**
 * The zoo's promise: exploration catches every buggy version with a shrunk plan of at most three
 * faults (and replays it byte for byte), and every fixed version passes 500 runs.
 */
const report: string[] = [];

describe("the zoo", () => {
  it("has at least ten entries with distinct names", () => {
    expect(ZOO.length).toBeGreaterThanOrEqual(10);
    expect(new Set(ZOO.map((e) => e.name)).size).toBe(ZOO.length);
  });

  for (const entry of ZOO) {
    describe(entry.name, () => {
      it("the buggy version is caught with at most three faults, and replays identically", async () => {
        const result = await explore(entry.buggy, {
          runs: entry.runs ?? 200,
          seed: 1,
          faults: entry.faults,
          expect: entry.expect,
        });
        expect(result.ok, `${entry.name}: the bug was not found`).toBe(false);
        if (result.ok) return;
        const { failure } = result;
        expect(failure.plan.length).toBeLessThanOrEqual(3);
        expect(failure.check.valid).toBe(false);
        const again = await replay(entry.buggy, failure, { expect: entry.expect });
        expect(again.traceHash).toBe(failure.traceHash);
        expect(again.check.valid).toBe(false);
        report.push(
          `${entry.name}: first failure after ${failure.runsUntilFailure} run(s), ${failure.shrinks} shrink step(s), ${failure.plan.length} fault(s) in the shrunk plan; ${failure.check.anomalies
            .filter((a) => a.violation)
            .map((a) => a.kind)
            .filter((k, i, all) => all.indexOf(k) === i)
            .join(", ")}`,
        );
      });

      it("the fixed version passes 500 runs", async () => {
        const result = await explore(entry.fixed, {
          runs: 500,
          seed: 1,
          faults: entry.faults,
          expect: entry.expect,
        });
        if (!result.ok) console.log(result.failure.report);
        expect(result.ok).toBe(true);
        expect(result.runs).toBe(500);
      });
    });
  }

  it("reports each entry (runs until first failure, shrink steps, faults)", () => {
    console.log(report.join("\n"));
    expect(report.length).toBe(ZOO.length);
  });
});
