import {
  type ExactlyOnceReport,
  PIPELINE_VARIANTS,
  type PipelineRun,
  type PlannedCrash,
  type VariantVerdict,
} from "./demo-exactly-once.js";
import { paragraph } from "./text.js";

// The exactly-once report's text and markdown (src/cli/demo-exactly-once.ts runs the pipeline).

/** At most `max` items, then how many more. */
function capped(items: readonly string[], max: number): string {
  return items.length <= max
    ? items.join(", ")
    : `${items.slice(0, max).join(", ")} +${items.length - max} more`;
}

function evidence(run: PipelineRun): string {
  const parts: string[] = [];
  if (run.duplicates.length > 0)
    parts.push(
      `dup ${capped(
        run.duplicates.map((d) => `${d.orderId}×${d.count} at ${d.at.join(" ")}`),
        3,
      )}`,
    );
  if (run.lost.length > 0) parts.push(`lost ${capped(run.lost, 5)}`);
  if (run.hiddenAborted > 0) parts.push(`${run.hiddenAborted} aborted record(s) hidden by read_committed`);
  return parts.join("; ") || "-";
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [line(header), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...rows.map(line)].join("\n");
}

/**
 * The crash plan of a run as a label, each planned crash the run never reached marked so: a row
 * that names three crash points but counts two crashes says which one did not happen.
 *
 * @example
 * ```ts
 * planLabel(run); // "generated #2: after-commit#1, after-produce#4 (never reached)"
 * ```
 */
export function planLabel(run: PipelineRun): string {
  if (run.plan.length === 0) return run.crashPoint;
  const missed = (c: PlannedCrash) =>
    run.unreached.some((u) => u.step === c.step && u.occurrence === c.occurrence) ? " (never reached)" : "";
  if (!run.crashPoint.startsWith("generated")) return `${run.crashPoint}${missed(run.plan[0]!)}`;
  const prefix = run.crashPoint.slice(0, run.crashPoint.indexOf(":"));
  return `${prefix}: ${run.plan.map((c) => `${c.step}#${c.occurrence}${missed(c)}`).join(", ")}`;
}

/** "2", or "2 of 3" when part of the plan was never reached. */
function crashCount(run: PipelineRun): string {
  return run.unreached.length === 0 ? String(run.crashes) : `${run.crashes} of ${run.plan.length}`;
}

function verdictLine(verdict: VariantVerdict): string {
  // Only the guarantee that held gets a tick: "broken as predicted" is a success of the
  // prediction, not of the pipeline.
  const mark = !verdict.asExpected ? "✗ " : verdict.guarantee === "exactly-once" ? "✓ " : "";
  return `=> ${mark}${verdict.summary}`;
}

/**
 * Renders the report. Markdown (the default, as the example prints it): one pipe table per
 * variant (variant, crash point, crashes, inputs, outputs seen, duplicates, lost, verdict, records
 * involved), then its verdict. Text: the same runs in a table that fits 100 columns, the records
 * involved listed under it by run number.
 *
 * @example
 * ```ts
 * console.log(formatExactlyOnceReport(await runExactlyOncePipelineReport(42), "text"));
 * ```
 */
export function formatExactlyOnceReport(
  report: ExactlyOnceReport,
  format: "text" | "markdown" = "markdown",
): string {
  const out: string[] =
    format === "markdown"
      ? [
          `Exactly-once pipeline — seed ${report.seed}: consume \`orders\` (${report.inputs} orders, 3 partitions), total each order, produce \`order-totals\`;`,
          "crash and restart at every step boundary in turn and under generated crash schedules; a read_committed reader counts each order.",
          "(`step#n`: crash the n-th time the pipeline reaches that step; `p@o`: partition p, offset o of order-totals.)",
          "",
        ]
      : [
          `Seed ${report.seed}. The pipeline consumes \`orders\` (${report.inputs} orders, 3 partitions), totals each order and`,
          "produces the total to `order-totals`. It is crashed and restarted at every step boundary in turn",
          "(at the step's 2nd occurrence) and under generated crash schedules; then a read_committed reader",
          "counts each order. `step#n`: crash the n-th time the pipeline reaches that step. seen: records",
          "the reader saw; dup: extra copies; lost: orders never seen; `p@o`: partition p, offset o.",
          "",
        ];
  for (const variant of PIPELINE_VARIANTS) {
    const runs = report.runs.filter((r) => r.variant === variant.name);
    const verdict = report.verdicts.find((v) => v.variant === variant.name)!;
    if (format === "markdown") {
      // Blank lines around the table: a line touching a pipe table would join it as a row.
      out.push(`### ${variant.label} — expected: ${variant.guarantee}`, "");
      out.push(
        table(
          [
            "variant",
            "crash point",
            "crashes",
            "inputs",
            "outputs seen",
            "duplicates",
            "lost",
            "verdict",
            "records involved",
          ],
          runs.map((r) => [
            variant.name,
            planLabel(r),
            crashCount(r),
            String(r.inputs),
            String(r.outputsSeen),
            String(r.duplicates.reduce((n, d) => n + d.count - 1, 0)),
            String(r.lost.length),
            r.verdict,
            evidence(r),
          ]),
        ),
        "",
      );
    } else {
      out.push(`${variant.label} — expected: ${variant.guarantee}`);
      out.push(
        textTable(
          ["run", "crash plan", "crashes", "seen", "dup", "lost", "verdict"],
          runs.map((r, i) => [
            String(i + 1),
            planLabel(r),
            crashCount(r),
            String(r.outputsSeen),
            String(r.duplicates.reduce((n, d) => n + d.count - 1, 0)),
            String(r.lost.length),
            r.verdict,
          ]),
        ),
      );
      const involved = runs.map((r, i) => [i + 1, evidence(r)] as const).filter(([, e]) => e !== "-");
      if (involved.length > 0) {
        out.push("records involved:");
        for (const [n, e] of involved) out.push(`  run ${n}: ${e}`);
      }
    }
    out.push(verdictLine(verdict), "");
  }
  const result = report.ok
    ? "Result: exactly-once holds with transactions; both non-transactional variants are broken as their guarantees predict."
    : "Result: UNEXPECTED — see the verdicts above.";
  out.push(format === "text" ? paragraph(result) : result);
  return out.join("\n");
}

/** A plain table for 100 columns: the crash-plan column (the second) wraps at ", ". */
function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const PLAN_WIDTH = 46;
  const wrapPlan = (plan: string): string[] => {
    const lines: string[] = [];
    let current = "";
    for (const part of plan.split(", ")) {
      const next = current === "" ? part : `${current}, ${part}`;
      if (next.length + 1 <= PLAN_WIDTH || current === "") current = next;
      else {
        lines.push(`${current},`);
        current = `  ${part}`;
      }
    }
    lines.push(current);
    return lines;
  };
  const cells = rows.map((row) => row.map((cell, i) => (i === 1 ? wrapPlan(cell) : [cell])));
  const widths = header.map((h, i) =>
    Math.max(h.length, ...cells.map((row) => Math.max(...(row[i] ?? [""]).map((l) => l.length)))),
  );
  const numeric = new Set([0, 2, 3, 4, 5]);
  const line = (parts: readonly string[]) =>
    `  ${parts.map((p, i) => (numeric.has(i) ? p.padStart(widths[i] ?? 0) : p.padEnd(widths[i] ?? 0))).join("  ")}`.trimEnd();
  const lines = [line(header), `  ${widths.map((w) => "-".repeat(w)).join("  ")}`];
  for (const row of cells) {
    const height = Math.max(...row.map((c) => c.length));
    for (let l = 0; l < height; l++) lines.push(line(row.map((c) => c[l] ?? "")));
  }
  return lines.join("\n");
}
