import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  formatExactlyOnceReport,
  PIPELINE_VARIANTS,
  type PlannedCrash,
  runExactlyOncePipelineReport,
  runPipeline,
} from "../../src/cli/demo-exactly-once.js";

describe("the exactly-once pipeline report", () => {
  it("transactional holds; commit-after-produce duplicates; commit-before-produce loses; the same seed gives the same report", async () => {
    const report = await runExactlyOncePipelineReport(42, { generated: 4 });
    const again = await runExactlyOncePipelineReport(42, { generated: 4 });
    expect(JSON.stringify(again)).toBe(JSON.stringify(report));
    expect(formatExactlyOnceReport(again)).toBe(formatExactlyOnceReport(report));
    expect(report.ok).toBe(true);
    expect(report.verdicts.map((v) => [v.variant, v.asExpected])).toEqual([
      ["transactional", true],
      ["commit-after-produce", true],
      ["commit-before-produce", true],
    ]);
    const runs = (variant: string) => report.runs.filter((r) => r.variant === variant);
    expect(
      runs("transactional").every((r) => r.verdict === "exactly once" && r.outputsSeen === r.inputs),
    ).toBe(true);
    // Every step boundary was crashed at least once.
    for (const variant of PIPELINE_VARIANTS)
      for (const step of variant.steps)
        expect(
          runs(variant.name).find((r) => r.crashPoint === step)?.crashes,
          `${variant.name} ${step}`,
        ).toBe(1);
    const duplicated = runs("commit-after-produce").filter((r) => r.duplicates.length > 0);
    expect(duplicated.length).toBeGreaterThanOrEqual(1);
    expect(duplicated[0]!.duplicates[0]).toMatchObject({ count: 2 });
    expect(duplicated[0]!.duplicates[0]!.at).toHaveLength(2); // with the records involved
    expect(runs("commit-after-produce").every((r) => r.lost.length === 0)).toBe(true);
    const lossy = runs("commit-before-produce").filter((r) => r.lost.length > 0);
    expect(lossy.length).toBeGreaterThanOrEqual(1);
    expect(lossy[0]!.lost[0]).toMatch(/^order-\d+$/);
    expect(runs("commit-before-produce").every((r) => r.duplicates.length === 0)).toBe(true);
    const text = formatExactlyOnceReport(report);
    expect(text).toContain("| variant");
    expect(text).toContain("outputs seen");
    expect(text).toMatch(/✓ holds/);
  });

  it("a different seed gives a different (but still valid) report", async () => {
    const a = await runExactlyOncePipelineReport(1, { generated: 2 });
    const b = await runExactlyOncePipelineReport(2, { generated: 2 });
    expect(a.ok && b.ok).toBe(true);
    expect(JSON.stringify(a.runs)).not.toBe(JSON.stringify(b.runs));
  });

  it("under any generated crash schedule, the transactional pipeline delivers every input exactly once", async () => {
    const steps = PIPELINE_VARIANTS[0]!.steps;
    const crash: fc.Arbitrary<PlannedCrash> = fc.record({
      step: fc.constantFrom(...steps),
      occurrence: fc.integer({ min: 1, max: 5 }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(crash, { maxLength: 5 }),
        fc.integer({ min: 1, max: 1000 }),
        async (plan, seed) => {
          const run = await runPipeline("transactional", plan, seed);
          expect(run.verdict, JSON.stringify(run)).toBe("exactly once");
        },
      ),
      { numRuns: 25 },
    );
  });
});
