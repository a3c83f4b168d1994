import { Simulation } from "../index.js";

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

/** Renders the demo report as text. */
export function formatKernelDemo(report: KernelDemoReport, again: KernelDemoReport): string {
  const rho = 8 / 10;
  const theoryWaitMs = rho / (1 / 8 - 1 / 10); // ρ / (μ − λ), with rates per ms
  const rows: [string, string][] = [
    ["customers served", String(report.customers)],
    ["virtual time", `${(report.virtualDurationMs / 1000).toFixed(1)} s`],
    ["throughput", `${report.throughputPerSecond.toFixed(1)} /s (offered 100.0 /s)`],
    ["server utilization", `${(report.utilization * 100).toFixed(1)} % (theory ${(rho * 100).toFixed(1)} %)`],
    ["mean wait in queue", `${report.meanWaitMs.toFixed(1)} ms (M/M/1 theory ${theoryWaitMs.toFixed(1)} ms)`],
    ["latency p50 / p99", `${report.p50LatencyMs.toFixed(1)} ms / ${report.p99LatencyMs.toFixed(1)} ms`],
    ["kernel events", String(report.events)],
    ["trace hash", report.traceHash],
    [
      "same seed, second run",
      again.traceHash === report.traceHash ? "identical trace ✓" : `DIFFERENT: ${again.traceHash}`,
    ],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join("\n");
}
