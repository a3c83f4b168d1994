/**
 * Exploration benchmark: how fast brokerlab explores fault plans and checks histories, each
 * against a reference measured in the same run.
 *
 *   node --expose-gc --import tsx bench/explore.ts [--json] [--rounds=N]
 *
 * Each workload and its reference run interleaved, round after round (after one warm-up each, and
 * a GC before every timed run when started with --expose-gc), so a noisy neighbour on a shared
 * machine hits both alike; the table shows the median of the rounds and their min–max spread.
 *
 * - explored runs/s: a 100-message at-least-once scenario through the kafkajs facade (2
 *   partitions, one consumer process, auto-commit), with plans drawn from a fault space of crashes
 *   at points and times, dropped and delayed produce/commit/heartbeat requests and partitions;
 *   reference: the same scenario run bare (no history recorded, no faults), seed by seed;
 * - recording overhead: the same runs without faults, recording versus bare;
 * - history operations checked/s: `check` (at-least-once, per-key order) over a 1M-operation
 *   history of sends, receives and effects; reference: a plain loop over the same operations.
 */
import { KAFKAJS_CLUSTER_DEFAULTS, Kafka, logLevel } from "../src/compat/kafkajs/index.js";
import { LogCluster } from "../src/log/cluster.js";
import { check } from "../src/semantics/check.js";
import { explore, runScenario, type ScenarioContext } from "../src/semantics/explore.js";
import type { FaultSpace } from "../src/semantics/fault-space.js";
import { History } from "../src/semantics/history.js";
import { formatRate, formatSpread, interleaved, option, spread, table, wantsJson } from "./harness.js";

async function scenario(ctx: ScenarioContext): Promise<void> {
  const cluster = new LogCluster(ctx.sim, {
    ...KAFKAJS_CLUSTER_DEFAULTS,
    defaultPartitions: 2,
    groupInitialRebalanceDelayMs: 0,
    groupMinSessionTimeoutMs: 1000,
  });
  cluster.createTopic("events");
  ctx.faults.attachLog(cluster);
  const kafka = (clientId: string) =>
    new Kafka({
      clientId,
      brokers: ["b:9092"],
      simulation: ctx.sim,
      cluster,
      logLevel: logLevel.NOTHING,
      requestTimeout: 1000,
    });
  const app = kafka("worker");
  ctx.faults.spawn("worker", async (p) => {
    const consumer = p.own(
      app.consumer({ groupId: "g", sessionTimeout: 3000, heartbeatInterval: 500, maxWaitTimeInMs: 500 }),
    );
    await consumer.subscribe({ topic: "events", fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        await p.point("before-process");
        ctx.history.effect("worker", "process", String(message.headers.id));
      },
    });
  });
  const producer = kafka("producer").producer();
  await producer.connect();
  for (let i = 0; i < 10; i++) {
    const messages = Array.from({ length: 10 }, (_, j) => ({
      key: `k${j}`,
      value: "v",
      headers: { id: `m${i * 10 + j}` },
    }));
    await producer.send({ topic: "events", messages }).catch(() => undefined);
  }
  await ctx.sim.sleep(30_000);
}

const SPACE: FaultSpace = {
  processes: { worker: ["before-process"] },
  requests: ["produce", "commit", "heartbeat"],
  clients: ["worker"],
  horizonMs: 5000,
};

async function bareRuns(count: number, record: boolean): Promise<number> {
  for (let seed = 0; seed < count; seed++) await runScenario(scenario, seed, [], { record });
  return count;
}

function bigHistory(messages: number): History {
  const ops: unknown[] = [];
  let t = 0;
  const add = (process: string, type: string, f: string, value: object) =>
    ops.push({ index: ops.length, time: t++, process, type, f, value });
  for (let i = 0; i < messages; i++) {
    const value = { id: `m${i}`, topic: "t", partition: i % 4, key: `k${i % 100}` };
    add("producer", "invoke", "send", value);
    add("producer", "ok", "send", { ...value, offset: i >> 2 });
    const seen = { ...value, offset: i >> 2 };
    add(`c${i % 4}`, "invoke", "receive", seen);
    add(`c${i % 4}`, "ok", "receive", seen);
    add(`c${i % 4}`, "invoke", "effect", { id: `m${i}`, name: "process" });
    add(`c${i % 4}`, "ok", "effect", { id: `m${i}`, name: "process" });
  }
  return History.fromJSON(ops);
}

async function main(): Promise<void> {
  const rounds = Number(option("rounds") ?? 5);
  const runs = 200;
  const rows: { workload: string; brokerlab: string; reference: string; ratio: string }[] = [];
  const cell = (rates: number[], unit: string) => {
    const s = spread(rates);
    return `${formatRate(s.median)} ${unit} (${formatSpread(s)})`;
  };
  const median = (rates: number[]) => spread(rates).median;

  let explored = 0;
  const [exploreRates, bareRates, recordedRates] = await interleaved(rounds, [
    async () => {
      const result = await explore(scenario, { runs, seed: 1, faults: SPACE, expect: "at-least-once" });
      explored = result.runs;
      if (!result.ok && process.argv.includes("--why")) console.log(result.failure.report);
      return result.runs;
    },
    () => bareRuns(runs, false),
    () => bareRuns(runs, true),
  ]);
  rows.push({
    workload: `explore: 100-message at-least-once kafkajs scenario, fault plans drawn from the space (${explored} runs)`,
    brokerlab: cell(exploreRates!, "runs"),
    reference: `bare run, no recording, no faults: ${cell(bareRates!, "runs")}`,
    ratio: `${(median(exploreRates!) / median(bareRates!)).toFixed(2)}×`,
  });
  const overhead = (median(bareRates!) / median(recordedRates!) - 1) * 100;
  rows.push({
    workload: "recording overhead: the same runs without faults, history recorded",
    brokerlab: cell(recordedRates!, "runs"),
    reference: `bare: ${cell(bareRates!, "runs")}`,
    ratio: `${(median(recordedRates!) / median(bareRates!)).toFixed(2)}× (overhead ${overhead.toFixed(0)} %)`,
  });

  const history = bigHistory(1_000_000 / 6);
  const n = history.operations.length;
  const [checkRates, loopRates] = await interleaved(rounds, [
    () => {
      const result = check(history, { guarantee: "at-least-once", ordering: "per-key" });
      if (!result.valid) throw new Error("the benchmark history should be valid");
      return n;
    },
    () => {
      let oks = 0;
      for (const op of history.operations) if (op.type === "ok" && op.value.id !== undefined) oks++;
      if (oks === 0) throw new Error("empty");
      return n;
    },
  ]);
  rows.push({
    workload: `check: at-least-once + per-key order over ${n} operations`,
    brokerlab: cell(checkRates!, "ops"),
    reference: `plain loop over the operations: ${cell(loopRates!, "ops")}`,
    ratio: `${(median(checkRates!) / median(loopRates!)).toFixed(2)}×`,
  });

  if (wantsJson) {
    console.log(JSON.stringify({ benchmark: "explore", node: process.version, rounds, rows }, null, 2));
    return;
  }
  console.log(`explore (node ${process.version}, median and min–max of ${rounds} interleaved rounds)\n`);
  console.log(
    table(
      ["workload", "brokerlab", "reference", "ratio"],
      rows.map((r) => [r.workload, r.brokerlab, r.reference, r.ratio]),
    ),
  );
}

await main();
