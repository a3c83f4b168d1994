/**
 * Kernel benchmark: events (or messages) per second of the virtual-clock scheduler, each workload
 * set against a reference measured in the same run. Each row is the median of several runs with
 * the spread (min–max); reference and brokerlab runs are interleaved round by round (every
 * workload once per round), so a noisy neighbour on the shared machine hits every row alike.
 * Every run is timed whole (a fresh simulation and its setup included), after a GC when run with
 * `--expose-gc` (as `npm run bench` does).
 *
 *   node --expose-gc --import tsx bench/kernel.ts [--json] [--runs=7] [--only=sync|key,key…]
 *
 * Keys (for `--only`; `sync` = the first three):
 * - `hold-1k`, `hold-100k`: random delays, 1k and 100k pending ("hold" model: every event
 *   schedules one more at a pseudo-random delay) vs a tuned binary heap over typed arrays doing
 *   the same pops and pushes;
 * - `zero-delay`: each event defers the next (the common case inside broker models) vs a bare
 *   ring-buffer FIFO of callbacks;
 * - `async-chain`: 100 async handlers each looping `await sim.sleep(…)` vs the same heap resolving
 *   promises;
 * - `async-1`, `async-100`, `async-10k`: async handlers that each await one `sim.sleep` and, when
 *   it wakes, schedule a fresh handler at a random delay, with 1, 100 or 10 000 such chains alive
 *   at once. Both the handler's start and its wake-up are events, and both involve a promise, so
 *   every event pays the kernel's exact settling (a macrotask boundary). Async events/s counts
 *   both. The reference is a bare promise loop: the same typed-array heap, real promises and async
 *   functions, and after each wake-up a single `await null` — exact for it only because it knows
 *   its continuations are one microtask deep; the kernel cannot know that. The ratio is the price
 *   of exact settling plus the kernel's bookkeeping;
 * - `ping-pong`: 1 000 `sim.spawn` processes in 500 pairs, each with its own connection and
 *   channel on the native RabbitMQ model, bouncing a message through two classic queues:
 *   consume (with manual ack) → the handler settles a `sim.deferred` the process awaits → ack →
 *   `sendToQueue` the peer's queue. Messages/s counts acked messages. The reference is the same
 *   exchange on bare promises: a FIFO of in-flight deliveries (what the broker's dispatch events
 *   are), per player an unacked `Map` and a plain promise it awaits, no routing, no simulation;
 * - `mm1`: the M/M/1 demo of `npm start` (`runKernelDemo`, 20 000 customers, async handlers
 *   awaiting `sim.sleep`, trace on), events/s = its kernel event count per wall second. The
 *   reference runs the same queueing model (same seeded random streams, same waits and
 *   latencies) as a bare promise loop over the typed-array heap.
 */
import { runKernelDemo } from "../src/cli/demo-kernel.js";
import { AmqpBroker } from "../src/exchange/broker.js";
import type { Delivery } from "../src/queue/delivery.js";
import { RandomSource } from "../src/scheduler/random.js";
import { Simulation } from "../src/scheduler/simulation.js";
import {
  formatRate,
  formatSpread,
  interleaved,
  option,
  type Spread,
  spread,
  table,
  wantsJson,
} from "./harness.js";

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

/**
 * Bare promise loop for the async-sleep rows: chains of async functions awaiting a promise the
 * loop resolves from the heap. Payload ≥ 0 starts a handler of chain `p`; payload < 0 (`~chain`)
 * wakes chain's sleep. Returns the number of events (starts + wake-ups).
 */
async function referenceAsyncSleep(pending: number, cycles: number): Promise<number> {
  const heap = new TypedHeap(2 * pending + 1);
  const resolvers: (() => void)[] = new Array(pending);
  let seq = 0;
  let cursor = 0;
  let now = 0;
  let started = 0;
  let events = 0;
  const sleep = (chain: number) =>
    new Promise<void>((resolve) => {
      resolvers[chain] = resolve;
      heap.push(now + DELAYS[cursor++ & MASK]!, ++seq, ~chain);
    });
  const handler = async (chain: number) => {
    await sleep(chain);
    if (started < cycles) {
      started++;
      heap.push(now + DELAYS[cursor++ & MASK]!, ++seq, chain);
    }
  };
  for (let i = 0; i < pending; i++) {
    started++;
    heap.push(DELAYS[cursor++ & MASK]!, ++seq, i);
  }
  while (heap.size > 0) {
    heap.pop();
    now = heap.poppedTime;
    events++;
    const payload = heap.poppedPayload;
    if (payload >= 0) void handler(payload);
    else {
      resolvers[~payload]!();
      await null; // the continuation is one microtask deep: one turn runs it
    }
  }
  if (events !== 2 * cycles) throw new Error(`reference: ${events} events, expected ${2 * cycles}`);
  return events;
}

interface RefMessage {
  tag: number;
  body: Uint8Array;
}

class RefPlayer {
  waiting: ((message: RefMessage) => void) | null = null;
  readonly mailbox: RefMessage[] = [];
  readonly unacked = new Map<number, RefMessage>();
}

/** Bare promise ping-pong: see the `ping-pong` key above. Returns acked messages. */
async function referencePingPong(pairs: number, rounds: number): Promise<number> {
  const capacity = 1 << 12; // ≥ 2 × pairs in flight
  const ringTo: (RefPlayer | undefined)[] = new Array(capacity);
  const ringMessage: (RefMessage | undefined)[] = new Array(capacity);
  let head = 0;
  let size = 0;
  let tag = 0;
  let acked = 0;
  let running = 0;
  const send = (to: RefPlayer) => {
    const at = (head + size) & (capacity - 1);
    ringTo[at] = to;
    ringMessage[at] = { tag: ++tag, body: BODY };
    size++;
  };
  const next = (self: RefPlayer): Promise<RefMessage> => {
    const ready = self.mailbox.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise<RefMessage>((resolve) => {
      self.waiting = resolve;
    });
  };
  const play = async (self: RefPlayer, peer: RefPlayer, serves: boolean) => {
    running++;
    if (serves) send(peer);
    for (let i = 0; i < rounds; i++) {
      const message = await next(self);
      if (self.unacked.delete(message.tag)) acked++;
      if (!serves || i < rounds - 1) send(peer);
    }
    running--;
  };
  for (let p = 0; p < pairs; p++) {
    const ping = new RefPlayer();
    const pong = new RefPlayer();
    void play(ping, pong, true);
    void play(pong, ping, false);
  }
  while (running > 0) {
    if (size === 0) throw new Error("reference ping-pong stalled");
    while (size > 0) {
      const to = ringTo[head]!;
      const message = ringMessage[head]!;
      ringTo[head] = undefined;
      ringMessage[head] = undefined;
      head = (head + 1) & (capacity - 1);
      size--;
      to.unacked.set(message.tag, message);
      const waiting = to.waiting;
      if (waiting !== null) {
        to.waiting = null;
        waiting(message);
      } else to.mailbox.push(message);
    }
    await null; // every resumed player runs (one microtask deep) and sends before this resumes
  }
  if (acked !== 2 * pairs * rounds) throw new Error(`reference ping-pong acked ${acked}`);
  return acked;
}

/** The M/M/1 model of `runKernelDemo` as a bare promise loop over the typed-array heap. */
async function referenceMM1(seed: number, customers: number): Promise<number> {
  const random = new RandomSource(seed);
  const arrivals = random.fork("arrivals");
  const service = random.fork("service");
  const heap = new TypedHeap(2 * customers + 1);
  const resolvers: (() => void)[] = new Array(customers);
  let seq = 0;
  let now = 0;
  let serverFreeAt = 0;
  let busyMs = 0;
  let events = 0;
  const waits: number[] = [];
  const latencies: number[] = [];
  const customer = async (i: number) => {
    const arrivedAt = now;
    const startAt = Math.max(arrivedAt, serverFreeAt);
    const serviceMs = service.exponential(8);
    serverFreeAt = startAt + serviceMs;
    busyMs += serviceMs;
    await new Promise<void>((resolve) => {
      resolvers[i] = resolve;
      heap.push(serverFreeAt, ++seq, ~i);
    });
    waits.push(startAt - arrivedAt);
    latencies.push(now - arrivedAt);
  };
  let t = 0;
  for (let i = 0; i < customers; i++) {
    t += arrivals.exponential(10);
    heap.push(t, ++seq, i);
  }
  while (heap.size > 0) {
    heap.pop();
    now = heap.poppedTime;
    events++;
    const payload = heap.poppedPayload;
    if (payload >= 0) void customer(payload);
    else {
      resolvers[~payload]!();
      await null;
    }
  }
  latencies.sort((a, b) => a - b);
  if (latencies.length !== customers || busyMs <= 0) throw new Error("reference M/M/1 lost customers");
  return events;
}

// ------------------------------------------------------------------ brokerlab

async function simHold(pending: number, events: number): Promise<number> {
  const sim = new Simulation({ start: 0, maxEventsPerRun: events * 2 });
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
  const sim = new Simulation({ start: 0, maxEventsPerRun: events * 2 });
  let count = 0;
  const handler = (x: number) => {
    if (++count < events) sim.defer(handler, x + 1);
  };
  sim.defer(handler, 0);
  await sim.run();
  return count;
}

async function simAsync(threads: number, events: number): Promise<number> {
  const sim = new Simulation({ start: 0, maxEventsPerRun: events * 4 });
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

/** `pending` chains of async handlers, each awaiting one `sim.sleep`; returns kernel events. */
async function simAsyncSleep(pending: number, cycles: number): Promise<number> {
  const sim = new Simulation({ start: 0, maxEventsPerRun: cycles * 4 });
  let cursor = 0;
  let started = 0;
  const handler = async (chain: number) => {
    await sim.sleep(DELAYS[cursor++ & MASK]!);
    if (started < cycles) {
      started++;
      sim.schedule(sim.now + DELAYS[cursor++ & MASK]!, handler, chain);
    }
  };
  for (let i = 0; i < pending; i++) {
    started++;
    sim.schedule(DELAYS[cursor++ & MASK]!, handler, i);
  }
  await sim.run();
  if (sim.eventCount !== 2 * cycles)
    throw new Error(`bench: ${sim.eventCount} events, expected ${2 * cycles}`);
  return sim.eventCount;
}

const BODY = new Uint8Array(16);

/** 2 × `pairs` processes playing ping-pong through AMQP queues; returns acked messages. */
async function simPingPong(pairs: number, rounds: number): Promise<number> {
  const sim = new Simulation({ start: 0, seed: 1 });
  const broker = new AmqpBroker(sim);
  let acked = 0;
  const player = (inbox: string, outbox: string, serves: boolean) => async () => {
    const channel = broker.connect().channel();
    const mailbox: Delivery[] = [];
    let waiting: ((delivery: Delivery) => void) | null = null;
    channel.consume(inbox, (delivery: Delivery) => {
      const resolve = waiting;
      if (resolve !== null) {
        waiting = null;
        resolve(delivery);
      } else mailbox.push(delivery);
    });
    const next = (): Promise<Delivery> => {
      const ready = mailbox.shift();
      if (ready !== undefined) return Promise.resolve(ready);
      const deferred = sim.deferred<Delivery>();
      waiting = deferred.resolve;
      return deferred.promise;
    };
    if (serves) channel.sendToQueue(outbox, BODY);
    for (let i = 0; i < rounds; i++) {
      const delivery = await next();
      channel.ack(delivery);
      acked++;
      if (!serves || i < rounds - 1) channel.sendToQueue(outbox, BODY);
    }
  };
  for (let p = 0; p < pairs; p++) {
    broker.queue(`ping-${p}`);
    broker.queue(`pong-${p}`);
    sim.spawn(`ping-${p}`, player(`ping-${p}`, `pong-${p}`, true));
    sim.spawn(`pong-${p}`, player(`pong-${p}`, `ping-${p}`, false));
  }
  await sim.run();
  if (acked !== 2 * pairs * rounds)
    throw new Error(`bench: ping-pong acked ${acked} of ${2 * pairs * rounds}`);
  broker.checkInvariants();
  return acked;
}

// ------------------------------------------------------------------ run

interface Workload {
  key: string;
  name: string;
  reference: string;
  runReference: () => number | Promise<number>;
  runOurs: () => Promise<number>;
  goal?: { text: string; met: (ours: number, reference: number) => boolean };
}

const MM1_CUSTOMERS = 20_000;

const WORKLOADS: Workload[] = [
  ...[1_000, 100_000].map(
    (pending): Workload => ({
      key: `hold-${pending / 1000}k`,
      name: `random delays, ${pending / 1000}k pending`,
      reference: "typed-array binary heap",
      runReference: () => referenceHold(pending, 2_000_000),
      runOurs: () => simHold(pending, 2_000_000),
      goal: { text: "≥ 0.8 × reference", met: (ours, reference) => ours >= 0.8 * reference },
    }),
  ),
  {
    key: "zero-delay",
    name: "zero-delay events",
    reference: "bare ring-buffer FIFO",
    runReference: () => referenceFifo(5_000_000),
    runOurs: () => simZeroDelay(5_000_000),
    goal: { text: "≥ 0.2 × reference", met: (ours, reference) => ours >= 0.2 * reference },
  },
  {
    key: "async-chain",
    name: "async handlers chaining sleep (100 handlers)",
    reference: "typed-array heap resolving promises",
    runReference: () => referenceAsync(100, 500_000),
    runOurs: () => simAsync(100, 500_000),
    goal: { text: "≥ 500 k/s", met: (ours) => ours >= 500_000 },
  },
  ...[
    [1, 50_000],
    [100, 100_000],
    [10_000, 100_000],
  ].map(
    ([pending, cycles]): Workload => ({
      key: `async-${pending! >= 1000 ? `${pending! / 1000}k` : pending}`,
      name: `async events, handlers awaiting one sleep, ${pending!.toLocaleString("en")} pending`,
      reference: "bare promise loop (typed-array heap)",
      runReference: () => referenceAsyncSleep(pending!, cycles!),
      runOurs: () => simAsyncSleep(pending!, cycles!),
      goal: pending === 100 ? { text: "≥ 1 M/s", met: (ours) => ours >= 1_000_000 } : undefined,
    }),
  ),
  {
    key: "ping-pong",
    name: "AMQP ping-pong, 1 000 processes (msgs/s)",
    reference: "bare promise loop (FIFO + Map)",
    runReference: () => referencePingPong(500, 100),
    runOurs: () => simPingPong(500, 100),
  },
  {
    key: "mm1",
    name: `M/M/1 demo (npm start), ${MM1_CUSTOMERS / 1000}k customers`,
    reference: "bare promise loop (typed-array heap)",
    runReference: () => referenceMM1(7, MM1_CUSTOMERS),
    runOurs: async () => (await runKernelDemo(7, MM1_CUSTOMERS)).events,
  },
];

async function main(): Promise<void> {
  const runs = Number(option("runs") ?? 7);
  const only = option("only");
  const keys =
    only === undefined
      ? null
      : new Set(only === "sync" ? ["hold-1k", "hold-100k", "zero-delay"] : only.split(","));
  const workloads = WORKLOADS.filter((w) => keys === null || keys.has(w.key));
  if (workloads.length === 0) throw new Error(`bench: no workload matches --only=${only}`);
  const samples = await interleaved(
    runs,
    workloads.flatMap((w) => [w.runReference, w.runOurs]),
  );
  const rows = workloads.map((w, i) => {
    const reference: Spread = spread(samples[2 * i]!);
    const ours: Spread = spread(samples[2 * i + 1]!);
    return {
      key: w.key,
      workload: w.name,
      brokerlab: ours,
      reference: w.reference,
      referenceRate: reference,
      ratio: ours.median / reference.median,
      goal: w.goal?.text ?? null,
      met: w.goal === undefined ? null : w.goal.met(ours.median, reference.median),
    };
  });
  if (wantsJson) {
    console.log(JSON.stringify({ benchmark: "kernel", node: process.version, runs, rows }, null, 2));
    return;
  }
  console.log(`kernel events/s (node ${process.version}, median and spread of ${runs} interleaved runs)\n`);
  console.log(
    table(
      [
        "workload",
        "brokerlab",
        "spread",
        "reference",
        "reference rate",
        "ref spread",
        "ratio",
        "goal",
        "met",
      ],
      rows.map((row) => [
        row.workload,
        formatRate(row.brokerlab.median),
        formatSpread(row.brokerlab),
        row.reference,
        formatRate(row.referenceRate.median),
        formatSpread(row.referenceRate),
        `${row.ratio.toFixed(2)}×`,
        row.goal ?? "",
        row.met === null ? "" : row.met ? "yes" : "NO",
      ]),
    ),
  );
}

await main();
