/**
 * Task-layer benchmark: tasks per second of wall time through delay → queue → worker → result
 * backend → ack, set against a bare kernel loop (one deferred event per task) measured in the
 * same run. Each row is the median of several runs, with the spread (min–max).
 *
 *   node --expose-gc --import tsx bench/tasks.ts [--json]
 *
 * A run builds a fresh simulation, task app (amqp transport, result backend on) and one worker
 * (concurrency 8, Celery's prefetch multiplier 4), calls `delay` N times and runs the simulation
 * until every task has succeeded; the whole of it is timed, so publishing counts. Rows:
 * synchronous tasks without retries; the same with a 10 % retry rate (every tenth task raises
 * `ctx.retry({ countdown: 1 })` on its first execution, so it is published, received and run twice
 * and the run does 1.1 N executions for N tasks); async tasks that each sleep 1 ms of virtual
 * time. Rates count tasks that reached SUCCESS, not executions. The workloads are interleaved run
 * by run so a noisy neighbour on the shared machine hits every row alike.
 */
import { Simulation } from "../src/scheduler/simulation.js";
import { tasks } from "../src/tasks/index.js";
import { formatRate, table, wantsJson } from "./harness.js";

const N = 50_000;
const RUNS = 7;
const RETRY_EVERY = 10;
const GOAL = 500_000;

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function timed(fn: () => Promise<number>): Promise<number> {
  gc();
  const start = performance.now();
  const ops = await fn();
  return ops / ((performance.now() - start) / 1000);
}

/** The floor: one deferred kernel event per task and a synchronous handler, nothing else. */
async function bareKernel(): Promise<number> {
  const sim = new Simulation({ seed: 1, start: 0 });
  let done = 0;
  const work = (i: number) => {
    done += i === -1 ? 0 : 1;
  };
  for (let i = 0; i < N; i++) sim.defer(work, i);
  await sim.run();
  if (done !== N) throw new Error(`bench: the kernel ran ${done} of ${N} events`);
  return N;
}

async function taskRun(retryEvery: number, asyncTask: boolean): Promise<number> {
  const sim = new Simulation({ seed: 1, start: 0 });
  const app = tasks(sim);
  let completed = 0;
  let executions = 0;
  const t = asyncTask
    ? app.task("t", async (ctx, i: number) => {
        executions++;
        await ctx.sleep(1);
        completed++;
        return i;
      })
    : app.task("t", (ctx, i: number) => {
        executions++;
        if (retryEvery > 0 && ctx.retries === 0 && i % retryEvery === 0) throw ctx.retry({ countdown: 1 });
        completed++;
        return i;
      });
  app.worker({ concurrency: 8 });
  const results = [];
  for (let i = 0; i < N; i++) results.push(t.delay(i));
  await sim.run();
  const expectedExecutions = retryEvery > 0 ? N + Math.ceil(N / retryEvery) : N;
  if (completed !== N || executions !== expectedExecutions)
    throw new Error(`bench: ${completed} of ${N} tasks completed in ${executions} executions`);
  // Spot-check the result backend: the last task's result is its argument.
  if (results[N - 1]!.state !== "SUCCESS" || results[N - 1]!.result !== N - 1)
    throw new Error(`bench: the last task ended ${results[N - 1]!.state}`);
  return N;
}

function stats(rates: number[]): { median: number; min: number; max: number } {
  const sorted = [...rates].sort((a, b) => a - b);
  return { median: sorted[sorted.length >> 1]!, min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

const workloads: Array<{ name: string; run: () => Promise<number>; goal?: number }> = [
  { name: "bare kernel loop (1 deferred event per task)", run: bareKernel },
  { name: "tasks, no retries", run: () => taskRun(0, false), goal: GOAL },
  { name: "tasks, 10 % retry rate (retried once)", run: () => taskRun(RETRY_EVERY, false) },
  { name: "async tasks (await ctx.sleep(1))", run: () => taskRun(0, true) },
];

const samples = workloads.map(() => [] as number[]);
for (const workload of workloads) await workload.run(); // warm-up
for (let run = 0; run < RUNS; run++) {
  for (const [i, workload] of workloads.entries()) samples[i]!.push(await timed(workload.run));
}
const bare = stats(samples[0]!).median;
const rows = workloads.map((workload, i) => {
  const s = stats(samples[i]!);
  return {
    workload: workload.name,
    ...s,
    vsBareKernel: s.median / bare,
    goal: workload.goal ?? null,
    met: workload.goal === undefined ? null : s.median >= workload.goal,
  };
});

if (wantsJson) {
  console.log(JSON.stringify({ benchmark: "tasks", n: N, runs: RUNS, node: process.version, rows }, null, 2));
} else {
  console.log(
    `delay → worker → result → ack, tasks/s, ${N} tasks per run, median of ${RUNS} runs (node ${process.version})\n`,
  );
  console.log(
    table(
      ["workload", "median", "spread (min–max)", "vs bare kernel", "goal", "met"],
      rows.map((r) => [
        r.workload,
        formatRate(r.median),
        `${formatRate(r.min)} – ${formatRate(r.max)}`,
        `${r.vsBareKernel.toFixed(3)}×`,
        r.goal === null ? "" : `≥ ${formatRate(r.goal)}`,
        r.met === null ? "" : r.met ? "yes" : "NO",
      ]),
    ),
  );
}
