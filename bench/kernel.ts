/**
 * Kernel benchmark: events per second of the virtual-clock scheduler, each workload set against a
 * reference measured in the same run.
 *
 *   npx tsx bench/kernel.ts [--json]
 *
 * - random delays, 1k and 100k pending ("hold" model: every event schedules one more at a
 *   pseudo-random delay) vs a tuned binary heap over typed arrays doing the same pops and pushes;
 * - zero-delay events (each event defers the next; the common case inside broker models) vs a
 *   bare ring-buffer FIFO of callbacks;
 * - async handlers chaining `await sim.sleep(…)` vs the same heap resolving promises.
 */
import { RandomSource } from "../src/scheduler/random.js";
import { Simulation } from "../src/scheduler/simulation.js";
import { bestRate, formatRate, table, wantsJson } from "./harness.js";

const DELAYS = (() => {
  const random = new RandomSource("bench-delays");
  return Float64Array.from({ length: 1 << 16 }, () => random.float() * 1000);
})();
const MASK = DELAYS.length - 1;

// ------------------------------------------------------------------ references

/** The reference heap: (time, seq, payload) in three typed arrays, sift-up/down by hand. */
class TypedHeap {
  time: Float64Array;
  seq: Float64Array;
  payload: Int32Array;
  size = 0;
  constructor(capacity: number) {
    this.time = new Float64Array(capacity);
    this.seq = new Float64Array(capacity);
    this.payload = new Int32Array(capacity);
  }
  push(t: number, s: number, p: number): void {
    const { time, seq, payload } = this;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = time[parent]!;
      if (pt < t || (pt === t && seq[parent]! < s)) break;
      time[i] = pt;
      seq[i] = seq[parent]!;
      payload[i] = payload[parent]!;
      i = parent;
    }
    time[i] = t;
    seq[i] = s;
    payload[i] = p;
  }
  /** Pops the minimum into `popped*`. */
  poppedTime = 0;
  poppedPayload = 0;
  pop(): void {
    const { time, seq, payload } = this;
    this.poppedTime = time[0]!;
    this.poppedPayload = payload[0]!;
    const size = --this.size;
    if (size === 0) return;
    const t = time[size]!;
    const s = seq[size]!;
    const p = payload[size]!;
    let i = 0;
    const half = size >> 1;
    while (i < half) {
      let child = 2 * i + 1;
      let ct = time[child]!;
      let cs = seq[child]!;
      const right = child + 1;
      if (right < size) {
        const rt = time[right]!;
        if (rt < ct || (rt === ct && seq[right]! < cs)) {
          child = right;
          ct = rt;
          cs = seq[right]!;
        }
      }
      if (t < ct || (t === ct && s < cs)) break;
      time[i] = ct;
      seq[i] = cs;
      payload[i] = payload[child]!;
      i = child;
    }
    time[i] = t;
    seq[i] = s;
    payload[i] = p;
  }
}

function referenceHold(pending: number, events: number): number {
  const heap = new TypedHeap(pending + 1);
  const handlers: ((x: number) => void)[] = [];
  let seq = 0;
  let cursor = 0;
  let now = 0;
  const handler = (payload: number) => {
    heap.push(now + DELAYS[cursor++ & MASK]!, ++seq, payload);
  };
  for (let i = 0; i < pending; i++) {
    handlers.push(handler);
    heap.push(DELAYS[cursor++ & MASK]!, ++seq, i);
  }
  for (let i = 0; i < events; i++) {
    heap.pop();
    now = heap.poppedTime;
    handlers[heap.poppedPayload]!(heap.poppedPayload);
  }
  return events;
}

function referenceFifo(events: number): number {
  const capacity = 1024;
  const fns: ((x: number) => void)[] = new Array(capacity);
  const args = new Float64Array(capacity);
  let head = 0;
  let size = 0;
  let count = 0;
  const push = (fn: (x: number) => void, arg: number) => {
    const at = (head + size) & (capacity - 1);
    fns[at] = fn;
    args[at] = arg;
    size++;
  };
  const handler = (x: number) => {
    if (++count < events) push(handler, x + 1);
  };
  push(handler, 0);
  while (size > 0) {
    const fn = fns[head]!;
    const arg = args[head]!;
    head = (head + 1) & (capacity - 1);
    size--;
    fn(arg);
  }
  return count;
}

async function referenceAsync(threads: number, events: number): Promise<number> {
  const heap = new TypedHeap(threads + 1);
  const resolvers: (() => void)[] = new Array(threads);
  let seq = 0;
  let cursor = 0;
  let now = 0;
  const sleep = (thread: number) =>
    new Promise<void>((resolve) => {
      resolvers[thread] = resolve;
      heap.push(now + DELAYS[cursor++ & MASK]!, ++seq, thread);
    });
  let done = 0;
  const loop = async (thread: number) => {
    while (done < events) {
      await sleep(thread);
      done++;
    }
  };
  for (let i = 0; i < threads; i++) void loop(i);
  while (done < events && heap.size > 0) {
    heap.pop();
    now = heap.poppedTime;
    resolvers[heap.poppedPayload]!();
    await null; // one microtask turn lets the continuation run
    await null;
  }
  return done;
}

// ------------------------------------------------------------------ brokerlab

async function simHold(pending: number, events: number): Promise<number> {
  const sim = new Simulation({ maxEventsPerRun: events * 2 });
  let cursor = 0;
  let count = 0;
  const handler = (payload: number) => {
    if (++count <= events) sim.schedule(sim.now + DELAYS[cursor++ & MASK]!, handler, payload);
  };
  for (let i = 0; i < pending; i++) sim.schedule(DELAYS[cursor++ & MASK]!, handler, i);
  await sim.run();
  return count;
}

async function simZeroDelay(events: number): Promise<number> {
  const sim = new Simulation({ maxEventsPerRun: events * 2 });
  let count = 0;
  const handler = (x: number) => {
    if (++count < events) sim.defer(handler, x + 1);
  };
  sim.defer(handler, 0);
  await sim.run();
  return count;
}

async function simAsync(threads: number, events: number): Promise<number> {
  const sim = new Simulation({ maxEventsPerRun: events * 4 });
  let cursor = 0;
  let done = 0;
  for (let i = 0; i < threads; i++) {
    sim.defer(async () => {
      while (done < events) {
        await sim.sleep(DELAYS[cursor++ & MASK]!);
        done++;
      }
    });
  }
  await sim.run();
  return done;
}

// ------------------------------------------------------------------ run

interface Row {
  workload: string;
  brokerlab: number;
  reference: string;
  referenceRate: number;
  goal: string;
  met: boolean;
}

async function main(): Promise<void> {
  const repeats = 5;
  const rows: Row[] = [];
  for (const pending of [1_000, 100_000]) {
    const events = 2_000_000;
    const reference = await bestRate(repeats, () => referenceHold(pending, events));
    const ours = await bestRate(repeats, () => simHold(pending, events));
    rows.push({
      workload: `random delays, ${pending / 1000}k pending`,
      brokerlab: ours,
      reference: "typed-array binary heap",
      referenceRate: reference,
      goal: "≥ 0.8 × reference",
      met: ours >= 0.8 * reference,
    });
  }
  {
    const events = 5_000_000;
    const reference = await bestRate(repeats, () => referenceFifo(events));
    const ours = await bestRate(repeats, () => simZeroDelay(events));
    rows.push({
      workload: "zero-delay events",
      brokerlab: ours,
      reference: "bare ring-buffer FIFO",
      referenceRate: reference,
      goal: "≥ 0.2 × reference",
      met: ours >= 0.2 * reference,
    });
  }
  {
    const events = 500_000;
    const reference = await bestRate(repeats, () => referenceAsync(100, events));
    const ours = await bestRate(repeats, () => simAsync(100, events));
    rows.push({
      workload: "async handlers chaining sleep (100 handlers)",
      brokerlab: ours,
      reference: "typed-array heap resolving promises",
      referenceRate: reference,
      goal: "≥ 500 k/s",
      met: ours >= 500_000,
    });
  }
  if (wantsJson) {
    console.log(JSON.stringify({ benchmark: "kernel", node: process.version, rows }, null, 2));
    return;
  }
  console.log(`kernel events/s (node ${process.version}, best of ${repeats})\n`);
  console.log(
    table(
      ["workload", "brokerlab", "reference", "reference rate", "ratio", "goal", "met"],
      rows.map((row) => [
        row.workload,
        formatRate(row.brokerlab),
        row.reference,
        formatRate(row.referenceRate),
        `${(row.brokerlab / row.referenceRate).toFixed(2)}×`,
        row.goal,
        row.met ? "yes" : "NO",
      ]),
    ),
  );
}

await main();
