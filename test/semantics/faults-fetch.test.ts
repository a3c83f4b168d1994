/**
 * Kafka fetch faults through the log's request seam (`cluster.network`, `kind: "fetch"`), as a
 * client sees them: a lost fetch (request or response) times out after the client's request
 * timeout and is sent again from the same offsets — nothing consumed meanwhile, nothing lost or
 * skipped; a delayed fetch answers later; a partition of the consumer stops its fetches. Through
 * the kafkajs facade (its `requestTimeout`) and the native consumer (its `requestTimeoutMs`).
 */
import { describe, expect, it } from "vitest";
import { idOf, produceInput } from "../../examples/zoo/harness.js";
import { KAFKAJS_CLUSTER_DEFAULTS, Kafka, logLevel } from "../../src/compat/kafkajs/index.js";
import { LogCluster } from "../../src/log/cluster.js";
import type { RequestInfo } from "../../src/log/network.js";
import { check } from "../../src/semantics/check.js";
import { runScenario, type ScenarioContext } from "../../src/semantics/explore.js";
import type { FaultPlan } from "../../src/semantics/fault-plan.js";
import { Faults } from "../../src/semantics/faults.js";
import { produceAll, setup } from "../log/helpers.js";

const tp0 = { topic: "t", partition: 0 };

/**
 * A kafkajs reader of topic `t` (two partitions) that records what it processes, with the
 * simulation time of each message; the input is written before the reader starts, so its first
 * fetch has data. Fetch requests are counted by the hook's view (a wrapper around the plan's).
 */
function readerScenario(
  options: { requestTimeout?: number; sessionTimeout?: number; messages?: number; produceAfterMs?: number },
  seen: { id: string; at: number; partition: number; offset: string }[],
  fetches: { at: number; kind: string }[],
) {
  return async (ctx: ScenarioContext) => {
    const cluster = new LogCluster(ctx.sim, {
      ...KAFKAJS_CLUSTER_DEFAULTS,
      defaultPartitions: 2,
      groupInitialRebalanceDelayMs: 0,
      groupMinSessionTimeoutMs: 1000,
    });
    cluster.createTopic("t");
    ctx.faults.attachLog(cluster);
    const network = cluster.network;
    const kafka = (clientId: string) =>
      new Kafka({
        clientId,
        brokers: ["broker:9092"],
        simulation: ctx.sim,
        cluster,
        logLevel: logLevel.NOTHING,
        ...(options.requestTimeout === undefined ? {} : { requestTimeout: options.requestTimeout }),
      });
    // Watch fetch requests without changing the plan's decisions.
    const planHook = network.faultHook;
    network.setFaultHook((r: RequestInfo) => {
      if (r.kind === "fetch") fetches.push({ at: ctx.sim.now, kind: r.kind });
      return planHook?.(r);
    });
    const count = options.messages ?? 6;
    if (options.produceAfterMs === undefined) await produceInput(kafka, "t", count);
    const reader = kafka("reader").consumer({
      groupId: "g",
      sessionTimeout: options.sessionTimeout ?? 60_000,
      heartbeatInterval: 500,
      rebalanceTimeout: 60_000,
      maxWaitTimeInMs: 500,
    });
    await reader.subscribe({ topic: "t", fromBeginning: true });
    await reader.run({
      eachMessage: async ({ message, partition }) => {
        seen.push({ id: idOf(message), at: ctx.sim.now, partition, offset: message.offset });
        ctx.history.effect("reader", "process", idOf(message));
      },
    });
    if (options.produceAfterMs !== undefined) {
      await ctx.sim.sleep(options.produceAfterMs);
      await produceInput(kafka, "t", count);
    }
    await ctx.sim.sleep(120_000);
    await reader.disconnect();
  };
}

/** Every id m0…m(n-1) exactly once, and each partition's offsets in increasing order. */
function expectEachOnceInOrder(
  seen: readonly { id: string; partition: number; offset: string }[],
  n: number,
) {
  expect(seen.map((s) => s.id).sort()).toEqual(Array.from({ length: n }, (_, i) => `m${i}`).sort());
  for (const p of [0, 1]) {
    const offsets = seen.filter((s) => s.partition === p).map((s) => Number(s.offset));
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    expect(offsets).toEqual(offsets.map((_, i) => i)); // from 0, no gap
  }
}

/** The checker's view: no anomaly at all, in particular no poll-skip or nonmonotonic-poll. */
function expectNoAnomalies(history: Parameters<typeof check>[0]) {
  const result = check(history, {
    guarantee: "exactly-once",
    ordering: "per-partition",
    processedBy: "receive",
  });
  expect(result.anomalies).toEqual([]);
  expect(result.valid).toBe(true);
  const perPartition = check(history, { guarantee: "at-least-once", ordering: "per-partition" });
  expect(
    perPartition.anomalies.filter((a) => a.kind === "poll-skip" || a.kind === "nonmonotonic-poll"),
  ).toEqual([]);
  return result;
}

describe("kafkajs: fetch faults", () => {
  it("drop-request fetch: the fetch times out after requestTimeout (30 000 ms by default), is retried, and nothing is consumed meanwhile", async () => {
    const seen: { id: string; at: number; partition: number; offset: string }[] = [];
    const fetches: { at: number; kind: string }[] = [];
    const plan: FaultPlan = [{ kind: "drop-request", request: "fetch", client: "reader", nth: 1 }];
    const out = await runScenario(readerScenario({}, seen, fetches), 1, plan);
    expect(out.error).toBeNull();
    expect(out.fired.map((f) => f.fault)).toEqual(["drop-request fetch #1 of reader"]);
    const lostAt = fetches[0]!.at;
    // The second fetch goes out after the timeout plus kafkajs' retry backoff (300 ms ± 20 %).
    expect(fetches[1]!.at - lostAt).toBeGreaterThanOrEqual(30_000);
    expect(fetches[1]!.at - lostAt).toBeLessThan(30_000 + 400);
    // Nothing was processed before the retry; then everything, once, in order.
    expect(Math.min(...seen.map((s) => s.at))).toBeGreaterThanOrEqual(fetches[1]!.at);
    expectEachOnceInOrder(seen, 6);
    expectNoAnomalies(out.history);
  });

  it("drop-response fetch, three times in a row: each times out after the configured requestTimeout; no loss, no skip", async () => {
    const seen: { id: string; at: number; partition: number; offset: string }[] = [];
    const fetches: { at: number; kind: string }[] = [];
    const plan: FaultPlan = [{ kind: "drop-response", request: "fetch", nth: 1, count: 3 }];
    const out = await runScenario(readerScenario({ requestTimeout: 2000 }, seen, fetches), 2, plan);
    expect(out.error).toBeNull();
    expect(out.fired).toHaveLength(3);
    for (let i = 1; i <= 3; i++) expect(fetches[i]!.at - fetches[i - 1]!.at).toBeGreaterThanOrEqual(2000);
    expect(Math.min(...seen.map((s) => s.at))).toBeGreaterThanOrEqual(fetches[3]!.at);
    expectEachOnceInOrder(seen, 6);
    expectNoAnomalies(out.history);
  });

  it("delay fetch: the records arrive later, without a timeout", async () => {
    const seen: { id: string; at: number; partition: number; offset: string }[] = [];
    const fetches: { at: number; kind: string }[] = [];
    const plan: FaultPlan = [{ kind: "delay", request: "fetch", nth: 1, delayMs: 5000 }];
    const out = await runScenario(readerScenario({}, seen, fetches), 3, plan);
    expect(out.error).toBeNull();
    const first = Math.min(...seen.map((s) => s.at));
    expect(first - fetches[0]!.at).toBeGreaterThanOrEqual(5000);
    expect(first - fetches[0]!.at).toBeLessThan(6000); // not the 30 s of a timeout
    expectEachOnceInOrder(seen, 6);
    expectNoAnomalies(out.history);
  });

  it("a delay of at least requestTimeout is a timeout: the fetch is retried", async () => {
    const seen: { id: string; at: number; partition: number; offset: string }[] = [];
    const fetches: { at: number; kind: string }[] = [];
    const plan: FaultPlan = [{ kind: "delay", request: "fetch", nth: 1, delayMs: 10_000 }];
    const out = await runScenario(readerScenario({ requestTimeout: 3000 }, seen, fetches), 4, plan);
    expect(out.error).toBeNull();
    expect(fetches[1]!.at - fetches[0]!.at).toBeGreaterThanOrEqual(3000);
    expect(fetches[1]!.at - fetches[0]!.at).toBeLessThan(10_000);
    expectEachOnceInOrder(seen, 6);
    expectNoAnomalies(out.history);
  });

  it("partition of the consumer: no fetch gets through during the window; what was produced meanwhile is consumed after it", async () => {
    const seen: { id: string; at: number; partition: number; offset: string }[] = [];
    const fetches: { at: number; kind: string }[] = [];
    // The reader is cut off from 1 s to 21 s (its heartbeats too: the session of 60 s holds).
    const plan: FaultPlan = [{ kind: "partition", client: "reader", fromMs: 1000, durationMs: 20_000 }];
    const out = await runScenario(
      readerScenario({ requestTimeout: 4000, produceAfterMs: 2000 }, seen, fetches),
      5,
      plan,
    );
    expect(out.error).toBeNull();
    // Fetches were sent during the window (and lost: each times out, kafkajs retries with backoff).
    expect(fetches.filter((f) => f.at >= 1000 && f.at < 21_000).length).toBeGreaterThanOrEqual(2);
    expect(seen.length).toBe(6);
    expect(Math.min(...seen.map((s) => s.at))).toBeGreaterThanOrEqual(21_000);
    expectEachOnceInOrder(seen, 6);
    expectNoAnomalies(out.history);
  });

  it("under many fetch faults (seeded variety), the checker finds no poll-skip and no nonmonotonic-poll", async () => {
    for (let seed = 10; seed < 22; seed++) {
      const plan: FaultPlan = [
        { kind: "drop-request", request: "fetch", nth: 1 + (seed % 4), count: 1 + (seed % 3) },
        { kind: "drop-response", request: "fetch", nth: 6 + (seed % 5) },
        { kind: "delay", request: "fetch", nth: 9 + (seed % 3), delayMs: 200 * seed },
      ];
      const seen: { id: string; at: number; partition: number; offset: string }[] = [];
      const out = await runScenario(
        readerScenario({ requestTimeout: 1500, messages: 12, produceAfterMs: 100 * (seed % 5) }, seen, []),
        seed,
        plan,
      );
      expect(out.error).toBeNull();
      expectEachOnceInOrder(seen, 12);
      expectNoAnomalies(out.history);
    }
  });

  it("the same fetch-fault plan twice gives the same trace", async () => {
    const plan: FaultPlan = [
      { kind: "drop-response", request: "fetch", nth: 2 },
      { kind: "delay", request: "fetch", nth: 4, delayMs: 700 },
    ];
    const run = () => runScenario(readerScenario({ requestTimeout: 2000 }, [], []), 7, plan, { trace: true });
    const [a, b] = [await run(), await run()];
    expect(a.traceHash).toBe(b.traceHash);
    expect(a.history.toJSONLines()).toBe(b.history.toJSONLines());
  });
});

describe("native consumer: fetch faults", () => {
  it("a lost fetch: polls return nothing until requestTimeoutMs, then the records from the same position", async () => {
    const { sim, cluster } = setup();
    cluster.createTopic("t", { partitions: 1 });
    await produceAll(sim, cluster, "t", ["a", "b", "c"]);
    const kinds: string[] = [];
    let drop = true;
    cluster.network.setFaultHook((r) => {
      kinds.push(r.kind);
      if (r.kind === "fetch" && drop) {
        drop = false;
        return "drop-request";
      }
      return undefined;
    });
    const consumer = cluster.consumer({ autoOffsetReset: "earliest", requestTimeoutMs: 5000 });
    consumer.assign([tp0]);
    const start = sim.now;
    expect(consumer.poll()).toEqual([]); // the fetch is lost
    expect(kinds).toEqual(["fetch"]);
    await sim.runFor(4999);
    expect(consumer.poll()).toEqual([]); // still in flight: no new request
    expect(kinds).toEqual(["fetch"]);
    expect(consumer.position(tp0)).toBe(0);
    await sim.runUntil(start + 5000);
    expect(consumer.poll().map((r) => r.value)).toEqual(["a", "b", "c"]); // sent again, answered
    expect(kinds).toEqual(["fetch", "fetch"]);
    expect(consumer.position(tp0)).toBe(3);
  });

  it("a lost response is the same to the consumer; the default request timeout is 30 000 ms", async () => {
    const { sim, cluster } = setup();
    cluster.createTopic("t", { partitions: 1 });
    await produceAll(sim, cluster, "t", ["a", "b"]);
    let n = 0;
    cluster.network.setFaultHook((r) => (r.kind === "fetch" && n++ === 0 ? "drop-response" : undefined));
    const consumer = cluster.consumer({ autoOffsetReset: "earliest" });
    consumer.assign([tp0]);
    const start = sim.now;
    expect(consumer.poll()).toEqual([]);
    await sim.runFor(29_999);
    expect(consumer.poll()).toEqual([]);
    await sim.runUntil(start + 30_000);
    expect(consumer.poll().map((r) => r.offset)).toEqual([0, 1]);
  });

  it("a delayed fetch answers when its delay has passed; pollAsync waits for it", async () => {
    const { sim, cluster } = setup();
    cluster.createTopic("t", { partitions: 1 });
    await produceAll(sim, cluster, "t", ["a", "b"]);
    let n = 0;
    cluster.network.setFaultHook((r) =>
      r.kind === "fetch" && n++ === 0 ? { delayRequestMs: 300, delayResponseMs: 200 } : undefined,
    );
    const consumer = cluster.consumer({ autoOffsetReset: "earliest" });
    consumer.assign([tp0]);
    const start = sim.now;
    let got: { at: number; values: unknown[] } | null = null;
    sim.after(0, async () => {
      const records = await consumer.pollAsync(10_000);
      got = { at: sim.now - start, values: records.map((r) => r.value) };
    });
    await sim.run();
    expect(got).toEqual({ at: 500, values: ["a", "b"] });
  });

  it("a partition of the consumer's client id: its fetches are lost during the window (via Faults)", async () => {
    const { sim, cluster } = setup();
    cluster.createTopic("t", { partitions: 1 });
    const faults = new Faults(sim, [
      { kind: "partition", client: "native-reader", fromMs: 0, durationMs: 8000 },
    ]);
    faults.attachLog(cluster);
    const consumer = cluster.consumer({
      clientId: "native-reader",
      autoOffsetReset: "earliest",
      requestTimeoutMs: 3000,
    });
    consumer.assign([tp0]);
    await produceAll(sim, cluster, "t", ["a", "b", "c"]);
    const polled: { at: number; offsets: number[] }[] = [];
    sim.after(0, async () => {
      while (polled.reduce((n, p) => n + p.offsets.length, 0) < 3) {
        const records = await consumer.pollAsync(1000);
        if (records.length > 0) polled.push({ at: sim.now, offsets: records.map((r) => r.offset) });
      }
    });
    await sim.runFor(20_000);
    // Fetches at 0, 3000 and 6000 are lost; the one at 9000 (after the window) answers.
    expect(polled).toEqual([{ at: 9000, offsets: [0, 1, 2] }]);
    expect(faults.fired.map((f) => f.fault)).toEqual(["partition native-reader from 0ms for 8000ms"]);
  });

  it("no hook: polls fetch at once (no request bookkeeping)", async () => {
    const { sim, cluster } = setup();
    cluster.createTopic("t", { partitions: 1 });
    await produceAll(sim, cluster, "t", ["a"]);
    const consumer = cluster.consumer({ autoOffsetReset: "earliest" });
    consumer.assign([tp0]);
    expect(cluster.network.hasFaultHook).toBe(false);
    expect(consumer.poll().map((r) => r.value)).toEqual(["a"]);
  });
});
