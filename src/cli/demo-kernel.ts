import { Simulation } from "../index.js";
import { paragraph } from "./text.js";

/** What the kernel demo measured. */
export interface KernelDemoReport {
  seed: number;
  customers: number;
  virtualDurationMs: number;
  throughputPerSecond: number;
  meanWaitMs: number;
  p50LatencyMs: number;
  p99LatencyMs: number;
  utilization: number;
  events: number;
  traceHash: string;
}

/**
 * A single-server queue (M/M/1: Poisson arrivals, exponential service) built directly on the
 * kernel, with async handlers: each customer waits for the server, is served for a random time,
 * and leaves. Queueing theory says the mean wait is ρ/(μ−λ); the report shows both.
 */
export async function runKernelDemo(seed: number, customers = 20_000): Promise<KernelDemoReport> {
  const sim = new Simulation({ seed });
  const trace = sim.trace({ keepEntries: false });
  const arrivals = sim.random.fork("arrivals");
  const service = sim.random.fork("service");
  const meanArrivalMs = 10;
  const meanServiceMs = 8;

  let serverFreeAt = 0;
  let busyMs = 0;
  const waits: number[] = [];
  const latencies: number[] = [];
  let t = sim.start;
  for (let i = 0; i < customers; i++) {
    t += arrivals.exponential(meanArrivalMs);
    sim.at(t, async () => {
      const arrivedAt = sim.now;
      const startAt = Math.max(arrivedAt, serverFreeAt);
      const serviceMs = service.exponential(meanServiceMs);
      serverFreeAt = startAt + serviceMs;
      busyMs += serviceMs;
      await sim.sleep(serverFreeAt - arrivedAt);
      waits.push(startAt - arrivedAt);
      latencies.push(sim.now - arrivedAt);
      if (i % 1000 === 0) sim.record("served", { customer: i, latencyMs: Math.round(sim.now - arrivedAt) });
    });
  }
  await sim.run();
  latencies.sort((a, b) => a - b);
  const quantile = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    seed,
    customers,
    virtualDurationMs: sim.now - sim.start,
    throughputPerSecond: (customers / (sim.now - sim.start)) * 1000,
    meanWaitMs: waits.reduce((a, b) => a + b, 0) / waits.length,
    p50LatencyMs: quantile(0.5),
    p99LatencyMs: quantile(0.99),
    utilization: busyMs / (sim.now - sim.start),
    events: sim.eventCount,
    traceHash: trace.hash(),
  };
}

/** Mean wait of one seed, for the confidence interval. */
export interface SeedWait {
  readonly seed: number;
  readonly meanWaitMs: number;
}

/** The kernel demo: one run in detail, its replay, and the mean wait over several seeds. */
export interface KernelStudy {
  readonly report: KernelDemoReport;
  /** The same seed run again (its trace hash must be the same). */
  readonly again: KernelDemoReport;
  readonly seeds: readonly SeedWait[];
  /** Mean of the seeds' mean waits and its 95 % confidence interval (Student's t). */
  readonly meanWaitMs: { readonly mean: number; readonly low: number; readonly high: number };
  /** ρ/(μ−λ) for arrivals every 10 ms and service 8 ms on average. */
  readonly theoryWaitMs: number;
  readonly theoryInside: boolean;
}

const RHO = 8 / 10;
/** ρ / (μ − λ), with rates per ms. */
const THEORY_WAIT_MS = RHO / (1 / 8 - 1 / 10);
/** Two-sided 95 % quantiles of Student's t for 1..30 degrees of freedom. */
const T95 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131,
  2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/**
 * Runs the kernel demo: `seed` in detail and twice (same trace), then `seeds` seeds in all
 * (`seed`, `seed + 1`, …) for a 95 % confidence interval of the mean wait, which M/M/1 theory
 * should fall inside. One run's mean wait is a poor estimate at 80 % load: waits of neighbours are
 * strongly correlated, so one run holds far fewer independent samples than customers.
 *
 * @example
 * ```ts
 * const study = await runKernelStudy(42, 2000);
 * study.theoryInside; // usually true (a 95 % interval misses one time in twenty)
 * ```
 */
export async function runKernelStudy(
  seed: number,
  customers = 20_000,
  seeds = 10,
  onProgress: (done: number, total: number) => void = () => {},
): Promise<KernelStudy> {
  if (!Number.isInteger(seeds) || seeds < 2)
    throw new TypeError(`runKernelStudy: seeds must be an integer ≥ 2, got ${seeds}.`);
  const total = seeds + 1;
  const report = await runKernelDemo(seed, customers);
  onProgress(1, total);
  const again = await runKernelDemo(seed, customers);
  onProgress(2, total);
  const waits: SeedWait[] = [{ seed, meanWaitMs: report.meanWaitMs }];
  for (let s = 1; s < seeds; s++) {
    const r = await runKernelDemo(seed + s, customers);
    waits.push({ seed: seed + s, meanWaitMs: r.meanWaitMs });
    onProgress(2 + s, total);
  }
  const n = waits.length;
  const mean = waits.reduce((a, w) => a + w.meanWaitMs, 0) / n;
  const sd = Math.sqrt(waits.reduce((a, w) => a + (w.meanWaitMs - mean) ** 2, 0) / (n - 1));
  const half = (T95[n - 2] ?? 1.96) * (sd / Math.sqrt(n));
  const low = mean - half;
  const high = mean + half;
  return {
    report,
    again,
    seeds: waits,
    meanWaitMs: { mean, low, high },
    theoryWaitMs: THEORY_WAIT_MS,
    theoryInside: low <= THEORY_WAIT_MS && THEORY_WAIT_MS <= high,
  };
}

/**
 * The demo's rows (label, value): the run, whose latency it is, the interval and the theory.
 *
 * @example
 * ```ts
 * kernelRows(await runKernelStudy(42, 2000)).map(([label]) => label);
 * ```
 */
export function kernelRows(study: KernelStudy): [string, string][] {
  const { report, again, meanWaitMs: ci, seeds } = study;
  const offBy = ((report.meanWaitMs - study.theoryWaitMs) / study.theoryWaitMs) * 100;
  const last = seeds[seeds.length - 1]?.seed ?? report.seed;
  return [
    ["customers served", `${report.customers} (seed ${report.seed})`],
    ["virtual time", `${(report.virtualDurationMs / 1000).toFixed(1)} s`],
    ["throughput", `${report.throughputPerSecond.toFixed(1)} customers/s (offered 100.0 /s)`],
    ["server utilization", `${(report.utilization * 100).toFixed(1)} % (theory ${(RHO * 100).toFixed(1)} %)`],
    [
      "mean wait in queue",
      `${report.meanWaitMs.toFixed(1)} ms this run (${offBy >= 0 ? "+" : ""}${offBy.toFixed(1)} % vs theory)`,
    ],
    [
      `over ${seeds.length} seeds (${report.seed}–${last})`,
      `${ci.mean.toFixed(1)} ms, 95 % confidence interval ${ci.low.toFixed(1)}–${ci.high.toFixed(1)} ms`,
    ],
    [
      "M/M/1 theory ρ/(μ−λ)",
      `${study.theoryWaitMs.toFixed(1)} ms: ${study.theoryInside ? "inside the interval" : "OUTSIDE the interval"}`,
    ],
    [
      "customer latency p50 / p99",
      `${report.p50LatencyMs.toFixed(1)} ms / ${report.p99LatencyMs.toFixed(1)} ms (arrival to departure)`,
    ],
    ["kernel events", String(report.events)],
    ["trace hash", report.traceHash],
    [
      "same seed, second run",
      again.traceHash === report.traceHash ? "identical trace" : `DIFFERENT: ${again.traceHash}`,
    ],
  ];
}

/**
 * Renders the kernel demo as text (aligned rows, then the interval in words) or markdown.
 *
 * @example
 * ```ts
 * console.log(formatKernelDemo(await runKernelStudy(42, 2000)));
 * ```
 */
export function formatKernelDemo(study: KernelStudy, format: "text" | "markdown" = "text"): string {
  const rows = kernelRows(study);
  const ci = study.meanWaitMs;
  const off = ((study.report.meanWaitMs - study.theoryWaitMs) / study.theoryWaitMs) * 100;
  const words = study.theoryInside
    ? `This run's mean wait is ${Math.abs(off).toFixed(1)} % ${off >= 0 ? "above" : "below"} theory. ` +
      "That is noise, not a bug: at 80 % load neighbouring customers' waits are strongly correlated, " +
      `so one run holds few independent samples. Over ${study.seeds.length} seeds the 95 % confidence ` +
      `interval (${ci.low.toFixed(1)}–${ci.high.toFixed(1)} ms) contains the theory's ` +
      `${study.theoryWaitMs.toFixed(1)} ms.`
    : `Over ${study.seeds.length} seeds the 95 % confidence interval (${ci.low.toFixed(1)}–` +
      `${ci.high.toFixed(1)} ms) misses the theory's ${study.theoryWaitMs.toFixed(1)} ms; a 95 % ` +
      `interval misses one time in twenty, and short runs start empty (waits below theory): try ` +
      `more --customers or another --seed.`;
  const latency =
    "Latency is a customer's: from arrival to departure, waiting plus being served (virtual ms).";
  if (format === "markdown")
    return [
      "| measure | value |",
      "| --- | --- |",
      ...rows.map(([k, v]) => `| ${k} | ${v} |`),
      "",
      words,
      "",
      latency,
    ].join("\n");
  const width = Math.max(...rows.map(([k]) => k.length));
  return [
    ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`),
    "",
    paragraph(words),
    paragraph(latency),
  ].join("\n");
}
