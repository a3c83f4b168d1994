/**
 * Shared helpers for the benchmark scripts: wall-clock measurement (bench/ is outside src/, so it
 * may read the clock), best-of-N timing, and a plain-text table.
 */

/** Runs `fn` (which reports how many operations it did) `repeats` times; returns the best rate in ops/s. */
export async function bestRate(repeats: number, fn: () => number | Promise<number>): Promise<number> {
  let best = 0;
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    const ops = await fn();
    const elapsedMs = performance.now() - start;
    best = Math.max(best, ops / (elapsedMs / 1000));
  }
  return best;
}

/** Formats a rate like `12.3 M/s`. */
export function formatRate(opsPerSecond: number): string {
  if (opsPerSecond >= 1e6) return `${(opsPerSecond / 1e6).toFixed(1)} M/s`;
  if (opsPerSecond >= 1e3) return `${(opsPerSecond / 1e3).toFixed(0)} k/s`;
  return `${opsPerSecond.toFixed(0)} /s`;
}

/** Renders rows as a Markdown table (readable in a terminal and pasteable into the README). */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [line(header), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...rows.map(line)].join("\n");
}

/** True when the script was asked for JSON output. */
export const wantsJson = process.argv.includes("--json");
