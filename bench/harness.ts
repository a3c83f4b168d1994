/**
 * Shared helpers for the benchmark scripts: wall-clock measurement (bench/ is outside src/, so it
 * may read the clock), interleaved runs summarised as median and spread, and a plain-text table.
 */

/** Formats a rate like `12.3 M/s`. */
export function formatRate(opsPerSecond: number): string {
  // Thresholds where the rounded figure would reach the next unit ("1000 k/s" reads as 1.0 M/s).
  if (opsPerSecond >= 999_500) return `${(opsPerSecond / 1e6).toFixed(1)} M/s`;
  if (opsPerSecond >= 9_995) return `${(opsPerSecond / 1e3).toFixed(0)} k/s`;
  if (opsPerSecond >= 1e3) return `${(opsPerSecond / 1e3).toFixed(1)} k/s`;
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

/** Runs a full garbage collection when the script was started with `--expose-gc` (run-all does). */
export function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** Times one run of `fn` (which reports how many operations it did), after a GC; returns ops/s. */
export async function timedRate(fn: () => number | Promise<number>): Promise<number> {
  gc();
  const start = performance.now();
  const ops = await fn();
  return ops / ((performance.now() - start) / 1000);
}

/** Median and spread (min–max) of a set of rates. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

/** The median and the min–max spread of `rates`. */
export function spread(rates: readonly number[]): Spread {
  const sorted = [...rates].sort((a, b) => a - b);
  return { median: sorted[sorted.length >> 1]!, min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

/** Formats a spread like `1.2 M/s – 1.4 M/s`. */
export function formatSpread(s: Spread): string {
  return `${formatRate(s.min)} – ${formatRate(s.max)}`;
}

/**
 * Runs every function once as a warm-up, then `runs` rounds in which each runs once, in order, so
 * a noisy neighbour on a shared machine hits every workload alike. Returns the rates (ops/s) of
 * each function, one per round, in the order given.
 */
export async function interleaved(
  runs: number,
  fns: ReadonlyArray<() => number | Promise<number>>,
): Promise<number[][]> {
  for (const fn of fns) await fn();
  const samples = fns.map(() => [] as number[]);
  for (let run = 0; run < runs; run++) {
    for (const [i, fn] of fns.entries()) samples[i]!.push(await timedRate(fn));
  }
  return samples;
}

/** The value of a `--name=value` command-line option, or undefined. */
export function option(name: string): string | undefined {
  const prefix = `--${name}=`;
  return process.argv.find((arg) => arg.startsWith(prefix))?.slice(prefix.length);
}

/** Formats a rate and its spread like `12.3 M/s (11.9 M/s – 12.8 M/s)`. */
export function formatRateSpread(rates: readonly number[]): string {
  const s = spread(rates);
  return `${formatRate(s.median)} (${formatSpread(s)})`;
}

/**
 * Times `fn` `runs` times (after one warm-up, a GC before each) and returns the durations in ms,
 * for workloads measured as a duration rather than a rate.
 */
export async function durationsMs(runs: number, fn: () => unknown | Promise<unknown>): Promise<number[]> {
  await fn();
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    gc();
    const start = performance.now();
    await fn();
    out.push(performance.now() - start);
  }
  return out;
}

/** Formats durations like `8.7 ms (8.1 – 9.9 ms)`: the median and the min–max spread. */
export function formatMsSpread(durations: readonly number[], digits = 1): string {
  const s = spread(durations);
  return `${s.median.toFixed(digits)} ms (${s.min.toFixed(digits)} – ${s.max.toFixed(digits)} ms)`;
}
