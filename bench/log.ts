/**
 * Log benchmark: the partitioned log's data plane and the group coordinator, each workload set
 * against a plain-array reference measured in the same run.
 *
 *   npx tsx bench/log.ts [--json] [--runs=N]
 *   node --expose-gc --import tsx bench/log.ts [--json] [--runs=N]   # adds the memory rows
 *
 * Every row is the median and the min–max spread of N runs (default 7; the coordinator rebalance
 * at most 5, each cold), a workload interleaved with its reference run by run so a noisy
 * neighbour on the shared machine hits both alike.
 *
 * - append to one partition: one record per call, and batches of 1000 (what a producer batch is);
 *   reference: pushing into parallel plain arrays;
 * - fetch: `readInto` 500 records at a time into a reused buffer (columnar, no object per record),
 *   and consumer `poll()` building one record object each; references copy from a plain array;
 * - memory: heap growth per stored record for 1M records with 100-byte values created beforehand
 *   (so the values themselves are not counted: what remains is the log's overhead); reference: a
 *   plain array of the same values;
 * - rebalance at 10k partitions × 1k members: the assignors alone (range, roundrobin,
 *   cooperative-sticky with previous ownership), and a whole rebalance through the coordinator in
 *   virtual time (a member leaves, 999 rejoin, the assignment is delivered); reference: dealing
 *   10k partitions round-robin over an Int32Array.
 */
import { cooperativeStickyAssign } from "../src/log/assignors/cooperative-sticky.js";
import { rangeAssign } from "../src/log/assignors/range.js";
import { roundRobinAssign } from "../src/log/assignors/roundrobin.js";
import type { AssignorMember } from "../src/log/assignors/types.js";
import { LogCluster } from "../src/log/cluster.js";
import type { Consumer } from "../src/log/consumer.js";
import { FetchBuffer, PartitionLog } from "../src/log/partition-log.js";
import { TOPIC_DEFAULTS } from "../src/log/topic-config.js";
import { Simulation } from "../src/scheduler/simulation.js";
import {
  durationsMs,
  formatMsSpread,
  formatRate,
  formatRateSpread,
  interleaved,
  option,
  spread,
  table,
  wantsJson,
} from "./harness.js";

const RECORDS = 1_000_000;
const VALUE = new Uint8Array(100);

function newLog(): PartitionLog {
  return new PartitionLog("bench", 0, { ...TOPIC_DEFAULTS }, { clock: () => 0 });
}

// ------------------------------------------------------------------ append

function appendSingle(): number {
  const log = newLog();
  for (let i = 0; i < RECORDS; i++) log.append(null, VALUE);
  return RECORDS;
}

function referenceAppendSingle(): number {
  const keys: unknown[] = [];
  const values: unknown[] = [];
  const timestamps: number[] = [];
  for (let i = 0; i < RECORDS; i++) {
    keys.push(null);
    values.push(VALUE);
    timestamps.push(0);
  }
  return keys.length + values.length + timestamps.length > 0 ? RECORDS : 0;
}

const BATCH = Array.from({ length: 1000 }, () => VALUE);
const BATCH_TIMESTAMPS = new Array<number>(1000).fill(0);

function appendBatched(): number {
  const log = newLog();
  for (let i = 0; i < RECORDS; i += 1000) log.appendBatch(null, BATCH, null, BATCH_TIMESTAMPS);
  return RECORDS;
}

function referenceAppendBatched(): number {
  const values: unknown[] = [];
  const timestamps: number[] = [];
  for (let i = 0; i < RECORDS; i += 1000) {
    for (let j = 0; j < 1000; j++) {
      values.push(BATCH[j]);
      timestamps.push(BATCH_TIMESTAMPS[j]!);
    }
  }
  return values.length === timestamps.length ? RECORDS : 0;
}

// ------------------------------------------------------------------ fetch

const FILLED = (() => {
  const log = newLog();
  for (let i = 0; i < RECORDS; i += 1000) log.appendBatch(null, BATCH);
  return log;
})();
const PLAIN = Array.from({ length: RECORDS }, () => VALUE);

function fetchColumnar(): number {
  const out = new FetchBuffer();
  let offset = 0;
  let total = 0;
  while (offset < RECORDS) {
    total += FILLED.readInto(offset, 500, Number.POSITIVE_INFINITY, out);
    offset = out.nextOffset;
  }
  return total;
}

function referenceFetchColumnar(): number {
  const offsets: number[] = [];
  const values: unknown[] = [];
  let total = 0;
  for (let offset = 0; offset < RECORDS; offset += 500) {
    for (let i = 0; i < 500; i++) {
      offsets[i] = offset + i;
      values[i] = PLAIN[offset + i];
    }
    total += 500;
  }
  return total;
}

function pollObjects(): number {
  const sim = new Simulation();
  const cluster = new LogCluster(sim);
  cluster.createTopic("bench");
  const log = cluster.partition("bench", 0);
  for (let i = 0; i < RECORDS; i += 1000) log.appendBatch(null, BATCH);
  const consumer = cluster.consumer({ autoOffsetReset: "earliest" });
  consumer.assign([{ topic: "bench", partition: 0 }]);
  let total = 0;
  for (;;) {
    const n = consumer.poll().length;
    if (n === 0) break;
    total += n;
  }
  cluster.close();
  return total;
}

function referencePollObjects(): number {
  let total = 0;
  for (let offset = 0; offset < RECORDS; offset += 500) {
    const records = [];
    for (let i = 0; i < 500; i++) {
      records.push({
        topic: "bench",
        partition: 0,
        offset: offset + i,
        key: null,
        value: PLAIN[offset + i],
        headers: null,
        timestamp: 0,
        timestampType: "CreateTime",
      });
    }
    total += records.length;
  }
  return total;
}

// ------------------------------------------------------------------ memory

declare const gc: (() => void) | undefined;

function heapAfterGc(): number {
  if (typeof gc !== "function") return Number.NaN;
  gc();
  gc();
  // Typed arrays keep their contents outside the JS heap: count both.
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

function memoryPerRecord(store: (values: Uint8Array[]) => unknown): number {
  const values = Array.from({ length: RECORDS }, () => new Uint8Array(100));
  const before = heapAfterGc();
  const kept = store(values);
  const after = heapAfterGc();
  if (kept === null) throw new Error("unreachable");
  return (after - before) / RECORDS;
}

function storeInLog(values: Uint8Array[]): unknown {
  const log = newLog();
  for (let i = 0; i < values.length; i++) log.append(null, values[i]!);
  return log;
}

function storeInArray(values: Uint8Array[]): unknown {
  const array: Uint8Array[] = [];
  for (let i = 0; i < values.length; i++) array.push(values[i]!);
  return array;
}

function bytesPerValue(): number {
  const before = heapAfterGc();
  const values = Array.from({ length: 100_000 }, () => new Uint8Array(100));
  const after = heapAfterGc();
  return values.length > 0 ? (after - before) / 100_000 : 0;
}

// ------------------------------------------------------------------ rebalance

const PARTITIONS = 10_000;
const MEMBERS = 1_000;

function members(owned?: Map<string, { topic: string; partition: number }[]>): AssignorMember[] {
  return Array.from({ length: MEMBERS }, (_, i) => {
    const memberId = `member-${String(i).padStart(4, "0")}`;
    return owned === undefined
      ? { memberId, topics: ["t"] }
      : { memberId, topics: ["t"], ownedPartitions: owned.get(memberId) ?? [], generation: 1 };
  });
}

async function referenceRebalanceMs(runs: number): Promise<number[]> {
  return durationsMs(runs, () => {
    const owners = new Int32Array(PARTITIONS);
    for (let p = 0; p < PARTITIONS; p++) owners[p] = p % MEMBERS;
    const lists: number[][] = Array.from({ length: MEMBERS }, () => []);
    for (let p = 0; p < PARTITIONS; p++) lists[owners[p]!]!.push(p);
  });
}

async function coordinatorRebalanceMs(): Promise<{ wallMs: number; virtualMs: number }> {
  const sim = new Simulation();
  const cluster = new LogCluster(sim, { groupInitialRebalanceDelayMs: 0 });
  cluster.createTopic("t", { partitions: PARTITIONS });
  const options = {
    groupId: "g",
    sessionTimeoutMs: 10_000,
    heartbeatIntervalMs: 100,
    partitionAssignmentStrategy: ["range" as const],
  };
  const consumers: Consumer[] = Array.from({ length: MEMBERS }, () => cluster.consumer(options));
  for (const c of consumers) c.subscribe(["t"]);
  const settle = async (generation: number) => {
    for (let i = 0; i < 1000; i++) {
      for (const c of consumers) c.poll();
      if (consumers.every((c) => c.generation >= generation && c.assignment().length > 0)) return;
      await sim.runFor(50);
    }
    throw new Error("the group did not settle");
  };
  await settle(1);
  const leaving = consumers.pop()!;
  const start = performance.now();
  const virtualStart = sim.now;
  leaving.close();
  await settle(2);
  const wallMs = performance.now() - start;
  cluster.close();
  for (const c of consumers) c.close();
  return { wallMs, virtualMs: sim.now - virtualStart };
}

// ------------------------------------------------------------------ run

interface Row {
  workload: string;
  brokerlab: string;
  reference: string;
  ratio: string;
  goal: string;
  met: string;
}

async function main(): Promise<void> {
  const runs = Number(option("runs") ?? 7);
  const rows: Row[] = [];
  const rateRow = async (
    workload: string,
    ours: () => number,
    reference: () => number,
    referenceName: string,
    goal: number | null,
  ) => {
    const [rates, refs] = await interleaved(runs, [ours, reference]);
    const rate = spread(rates!).median;
    const ref = spread(refs!).median;
    rows.push({
      workload,
      brokerlab: formatRateSpread(rates!),
      reference: `${referenceName}: ${formatRate(ref)}`,
      ratio: `${(rate / ref).toFixed(2)}×`,
      goal: goal === null ? "—" : `≥ ${formatRate(goal)}`,
      met: goal === null ? "—" : rate >= goal ? "yes" : "NO",
    });
  };
  await rateRow("append, one record per call", appendSingle, referenceAppendSingle, "3 plain arrays", null);
  await rateRow(
    "append, batches of 1000",
    appendBatched,
    referenceAppendBatched,
    "2 plain arrays",
    10_000_000,
  );
  await rateRow(
    "fetch, readInto 500 at a time",
    fetchColumnar,
    referenceFetchColumnar,
    "copy from plain array",
    20_000_000,
  );
  await rateRow(
    "consumer poll (record objects)",
    pollObjects,
    referencePollObjects,
    "objects from plain array",
    null,
  );

  if (typeof gc === "function") {
    const value = bytesPerValue();
    const ours = memoryPerRecord(storeInLog);
    const reference = memoryPerRecord(storeInArray);
    rows.push({
      workload: `memory per stored record (1M × 100-byte values; a value itself is ${value.toFixed(0)} B)`,
      brokerlab: `${ours.toFixed(1)} B overhead`,
      reference: `plain array of refs: ${reference.toFixed(1)} B`,
      ratio: `${(ours / reference).toFixed(2)}×`,
      goal: "≤ 150 B",
      met: ours <= 150 ? "yes" : "NO",
    });
  } else {
    rows.push({
      workload: "memory per stored record",
      brokerlab: "skipped",
      reference: "run with node --expose-gc --import tsx bench/log.ts",
      ratio: "—",
      goal: "≤ 150 B",
      met: "—",
    });
  }

  const referenceMs = spread(await referenceRebalanceMs(runs)).median;
  const previous = rangeAssign({ members: members(), partitionCounts: { t: PARTITIONS } });
  for (const [name, fn] of [
    ["range", () => rangeAssign({ members: members(), partitionCounts: { t: PARTITIONS } })],
    ["roundrobin", () => roundRobinAssign({ members: members(), partitionCounts: { t: PARTITIONS } })],
    [
      "cooperative-sticky (with ownership)",
      () => cooperativeStickyAssign({ members: members(previous), partitionCounts: { t: PARTITIONS } }),
    ],
  ] as const) {
    const durations = await durationsMs(runs, fn);
    const ms = spread(durations).median;
    rows.push({
      workload: `assignor ${name}, 10k partitions × 1k members`,
      brokerlab: formatMsSpread(durations),
      reference: `Int32Array deal: ${referenceMs.toFixed(2)} ms`,
      ratio: `${(ms / referenceMs).toFixed(0)}× slower`,
      goal: "≤ 100 ms",
      met: ms <= 100 ? "yes" : "NO",
    });
  }
  // Each run builds a fresh 1 000-member group on a fresh simulation: the rebalance is cold every time.
  const rebalances: { wallMs: number; virtualMs: number }[] = [];
  for (let i = 0; i < Math.min(runs, 5); i++) rebalances.push(await coordinatorRebalanceMs());
  const wall = rebalances.map((r) => r.wallMs);
  const wallMedian = spread(wall).median;
  rows.push({
    workload: `coordinator rebalance, 10k × 1k (leave → 999 rejoin → assigned), wall time, ${rebalances.length} cold runs`,
    brokerlab: `${formatMsSpread(wall, 0)}, ${rebalances[0]!.virtualMs} virtual ms`,
    reference: `Int32Array deal: ${referenceMs.toFixed(2)} ms`,
    ratio: `${(wallMedian / referenceMs).toFixed(0)}× slower`,
    goal: "≤ 100 ms",
    met: wallMedian <= 100 ? "yes" : "NO",
  });

  if (wantsJson) {
    console.log(JSON.stringify({ benchmark: "log", node: process.version, rows }, null, 2));
    return;
  }
  console.log(
    `log data plane and groups (node ${process.version}, median and min–max of ${runs} interleaved runs)\n`,
  );
  console.log(
    table(
      ["workload", "brokerlab", "reference", "ratio", "goal", "met"],
      rows.map((r) => [r.workload, r.brokerlab, r.reference, r.ratio, r.goal, r.met]),
    ),
  );
}

await main();
