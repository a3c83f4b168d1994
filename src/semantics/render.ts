import type { Anomaly, CheckResult } from "./check.js";
import type { Operation } from "./operation.js";

/**
 * Text and Markdown renderings of operations and checker verdicts: what a failing test prints.
 */

/**
 * One operation on one line: index, time, process, type, f, and the value's coordinates.
 *
 * @example
 * ```ts
 * formatOperation(op); // "#12  t=105ms  consumer-1  ok receive m3 orders/0@4 redelivered"
 * ```
 */
export function formatOperation(op: Operation): string {
  return `#${op.index}  t=${formatMs(op.time)}  ${op.process}  ${op.type} ${op.f} ${describeValue(op)}`.trimEnd();
}

/** The value's coordinates in a compact form. */
export function describeValue(op: Operation): string {
  const v = op.value;
  const parts: string[] = [];
  if (op.f === "effect" && typeof v.name === "string") parts.push(v.name);
  if (op.f === "txn" && typeof v.action === "string") parts.push(v.action);
  if (v.id !== undefined) parts.push(v.id);
  if (v.topic !== undefined) {
    let where = v.topic;
    if (typeof v.partition === "number") where += `/${v.partition}`;
    if (typeof v.offset === "number") where += `@${v.offset}`;
    parts.push(where);
  }
  if (v.queue !== undefined) parts.push(`queue=${v.queue}`);
  if (v.queues !== undefined) parts.push(`queues=[${v.queues.join(",")}]`);
  if (v.key !== undefined && v.key !== null) parts.push(`key=${v.key}`);
  if (v.txn !== undefined && op.f !== "txn") parts.push(`txn=${v.txn}`);
  else if (op.f === "txn" && v.txn !== undefined) parts.push(v.txn);
  if (v.redelivered === true) parts.push("redelivered");
  if (typeof v.offsets === "string") parts.push(v.offsets);
  if (typeof v.error === "string") parts.push(`(${v.error})`);
  return parts.join(" ");
}

function formatMs(ms: number): string {
  return Number.isInteger(ms) ? `${ms}ms` : `${ms.toFixed(3)}ms`;
}

function heading(result: CheckResult): string {
  const order = result.ordering === "none" ? "" : `, ${result.ordering} order`;
  const violations = result.anomalies.filter((a) => a.violation).length;
  const verdict = result.valid
    ? "holds"
    : `VIOLATED (${violations} ${violations === 1 ? "anomaly" : "anomalies"})`;
  return `${result.guarantee}${order} (processed = ${result.processedBy}): ${verdict}`;
}

function countsLine(result: CheckResult): string {
  const c = result.counts;
  return `sent ok ${c.sent.ok}, fail ${c.sent.fail}, info ${c.sent.info}; processed once ${c.processed.once}, more than once ${c.processed.moreThanOnce}, never ${c.processed.never}; unexpected ${c.unexpected}; ${c.operations} operations`;
}

/**
 * A verdict as plain text: heading, counts, then each anomaly with its evidence.
 *
 * @example
 * ```ts
 * console.log(renderText(check(history, { guarantee: "exactly-once" })));
 * ```
 */
export function renderText(result: CheckResult, maxAnomalies = 20): string {
  const lines = [heading(result), `  ${countsLine(result)}`];
  const shown = result.anomalies.slice(0, maxAnomalies);
  for (const a of shown) {
    lines.push(`  ${a.violation ? "✗" : "·"} ${a.kind}: ${a.message}`);
    for (const op of a.evidence) lines.push(`      ${formatOperation(op)}`);
  }
  if (result.anomalies.length > shown.length)
    lines.push(`  … and ${result.anomalies.length - shown.length} more anomalies`);
  return lines.join("\n");
}

/**
 * A verdict as Markdown: a heading line, counts, and a table of anomalies with evidence lists.
 *
 * @example
 * ```ts
 * fs.writeFileSync("report.md", renderMarkdown(result));
 * ```
 */
export function renderMarkdown(result: CheckResult, maxAnomalies = 50): string {
  const lines = [`**${heading(result)}**`, "", countsLine(result), ""];
  if (result.anomalies.length === 0) return lines.join("\n").trimEnd();
  lines.push("| kind | violation | ids | what happened | evidence |", "|---|---|---|---|---|");
  for (const a of result.anomalies.slice(0, maxAnomalies)) lines.push(anomalyRow(a));
  if (result.anomalies.length > maxAnomalies)
    lines.push("", `… and ${result.anomalies.length - maxAnomalies} more anomalies`);
  return lines.join("\n");
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|");
}

function anomalyRow(a: Anomaly): string {
  const evidence = a.evidence.map((op) => `\`${cell(formatOperation(op))}\``).join("<br>");
  return `| ${a.kind} | ${a.violation ? "yes" : "no"} | ${cell(a.ids.join(", "))} | ${cell(a.message)} | ${evidence} |`;
}

/**
 * A text timeline of operations (for a counterexample), one per line.
 *
 * @example
 * ```ts
 * console.log(renderTimeline(history.operations.slice(0, 20)));
 * ```
 */
export function renderTimeline(ops: readonly Operation[], maxLines = 60): string {
  const lines = ops.slice(0, maxLines).map(formatOperation);
  if (ops.length > maxLines) lines.push(`… ${ops.length - maxLines} more operations`);
  return lines.join("\n");
}
