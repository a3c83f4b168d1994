import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  KAFKAJS_CLUSTER_DEFAULTS,
  Kafka,
  type LogEntry,
  logLevel,
} from "../../../src/compat/kafkajs/index.js";
import { LogCluster } from "../../../src/log/cluster.js";
import type { ConsumerRecord } from "../../../src/log/record.js";
import { BrokerlabError } from "../../../src/scheduler/errors.js";
import { Simulation } from "../../../src/scheduler/simulation.js";
import { manualWorld } from "./helpers.js";

/**
 * Kernel regressions (issue 8) seen through the kafkajs facade: settling at macrotask boundaries,
 * a clock that never goes backwards, `sim.until` instead of silent hangs, a realistic default
 * start, and kafkajs' own quick-start running unchanged in a fresh Node process.
 */

const root = join(import.meta.dirname, "..", "..", "..");
const YEAR_2025 = Date.UTC(2025, 0, 1);
const YEAR_2026 = Date.UTC(2026, 0, 1);

async function hops(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.resolve();
}

async function highWatermark(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  return offsets.reduce((sum, p) => sum + Number(p.high), 0);
}

describe("kafkajs: drives settle async work before time moves", () => {
  it("a producer.send() called, not awaited, just before runFor has been appended when runFor returns", async () => {
    // Before: the send's chain of awaits (connect check, metadata, partitioner) was still in the
    // microtask queue when the drive looked at the timer queue, so runFor(10000) returned with
    // nothing appended.
    const { sim, kafka } = manualWorld(1);
    const producer = kafka.producer();
    await sim.until(producer.connect());
    const sent = producer.send({ topic: "unawaited", messages: [{ value: "a" }, { value: "b" }] });
    let settled = false;
    void sent.then(() => {
      settled = true;
    });
    await sim.runFor(10_000);
    expect(settled).toBe(true);
    expect(await highWatermark(kafka, "unawaited")).toBe(2);
    expect((await sent).map((m) => m.baseOffset)).toEqual(["0"]);
  });

  it("a native consumer's pollAsync loop over many stored records finishes before run() returns", async () => {
    // Before: run() returned while the handler was still between two awaited polls.
    const sim = new Simulation({ start: 0 });
    const cluster = new LogCluster(sim, { ...KAFKAJS_CLUSTER_DEFAULTS, groupInitialRebalanceDelayMs: 0 });
    cluster.createTopic("stored", { partitions: 1 });
    const producer = cluster.producer();
    const total = 2000;
    const acks = Array.from({ length: total }, (_, i) => producer.send({ topic: "stored", value: `r${i}` }));
    await sim.run();
    await Promise.all(acks);
    const consumer = cluster.consumer({ autoOffsetReset: "earliest", maxPollRecords: 7 });
    consumer.assign([{ topic: "stored", partition: 0 }]);
    const seen: ConsumerRecord[] = [];
    let finished = false;
    let finishedAt = -1;
    // A later event: it must not run while the loop, which never waits in virtual time, is busy.
    let seenByLaterEvent = -1;
    sim.after(10, () => {
      seenByLaterEvent = seen.length;
    });
    sim.after(0, async () => {
      while (seen.length < total) {
        const records = await consumer.pollAsync(1000);
        for (const record of records) {
          await hops(3); // per-record async work (a validator, an ORM call)
          seen.push(record);
        }
      }
      finished = true;
      finishedAt = sim.now;
    });
    await sim.run();
    expect(finished).toBe(true);
    expect(finishedAt).toBe(0);
    expect(seenByLaterEvent).toBe(total);
    expect(seen.length).toBe(total);
    expect(seen.at(-1)!.value).toBe(`r${total - 1}`);
  });
});

describe("kafkajs: time never goes backwards", () => {
  it("an eachMessage that throws once is retried with backoff inside one runFor, on a monotonic clock", async () => {
    // Before: the retry's back-off was parked (at 33 000) and ran after runFor(60000) returned,
    // from a clock already at 60 000 — handlers and bus events saw time go backwards.
    const sim = new Simulation({ start: 0 });
    const cluster = new LogCluster(sim, { ...KAFKAJS_CLUSTER_DEFAULTS });
    const kafka = new Kafka({
      clientId: "retry",
      brokers: ["localhost:9092"],
      simulation: sim,
      cluster,
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer();
    await sim.until(producer.connect());
    await sim.until(producer.send({ topic: "jobs", messages: [{ value: "a" }, { value: "b" }] }));
    const consumer = kafka.consumer({ groupId: "workers" });
    await sim.until(consumer.connect());
    await sim.until(consumer.subscribe({ topic: "jobs", fromBeginning: true }));

    const busTimes: number[] = [];
    const untap = sim.bus.tap((_type, time) => busTimes.push(time));
    const calls: { value: string; at: number }[] = [];
    let thrown = false;
    const startedAt = sim.now;
    void consumer.run({
      eachMessage: async ({ message }) => {
        calls.push({ value: message.value!.toString(), at: sim.now });
        await hops(5);
        if (!thrown && message.value!.toString() === "b") {
          thrown = true;
          throw new Error("transient");
        }
      },
    });
    await sim.runFor(60_000);
    untap();
    expect(sim.now).toBe(startedAt + 60_000);

    expect(calls.map((c) => c.value)).toEqual(["a", "b", "b"]);
    const times = calls.map((c) => c.at);
    for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThanOrEqual(times[i - 1]!);
    // The retry waited kafkajs' back-off (initialRetryTime 300 ± 20 % jitter) in virtual time…
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(240);
    expect(times[2]! - times[1]!).toBeLessThanOrEqual(360);
    // …and happened inside this runFor, not after it.
    expect(times[2]!).toBeLessThanOrEqual(startedAt + 60_000);
    expect(busTimes.length).toBeGreaterThan(0);
    for (let i = 1; i < busTimes.length; i++) expect(busTimes[i]!).toBeGreaterThanOrEqual(busTimes[i - 1]!);
    for (const t of busTimes) expect(t).toBeLessThanOrEqual(startedAt + 60_000);

    // Nothing left over that would run later at an earlier virtual time.
    const late: number[] = [];
    const untapLate = sim.bus.tap((_type, time) => late.push(time));
    await sim.runFor(1);
    untapLate();
    expect(calls.length).toBe(3);
    for (const t of late) expect(t).toBeGreaterThanOrEqual(startedAt + 60_000);
    await sim.until(consumer.disconnect());
    await sim.until(producer.disconnect());
  });

  it("a consumer that crashes (retries exhausted) restarts on its restart timer inside the same runFor", async () => {
    // The restart timer's callback starts the consumer again (async); its continuations must run
    // at the timer's instant, not after the drive has moved the clock to its limit.
    const { sim, kafka } = manualWorld(1);
    const producer = kafka.producer();
    await sim.until(producer.connect());
    await sim.until(producer.send({ topic: "crashy", messages: [{ value: "x" }] }));
    const consumer = kafka.consumer({ groupId: "crashy", retry: { retries: 0, initialRetryTime: 100 } });
    await sim.until(consumer.connect());
    await sim.until(consumer.subscribe({ topic: "crashy", fromBeginning: true }));
    const crashes: number[] = [];
    consumer.on(consumer.events.CRASH, (e: { timestamp: number }) => crashes.push(e.timestamp));
    const calls: number[] = [];
    void consumer.run({
      eachMessage: async () => {
        calls.push(sim.now);
        if (calls.length === 1) throw new Error("first attempt fails");
      },
    });
    const startedAt = sim.now;
    await sim.runFor(60_000);
    expect(crashes.length).toBe(1);
    expect(calls.length).toBe(2);
    for (let i = 1; i < calls.length; i++) expect(calls[i]!).toBeGreaterThanOrEqual(calls[i - 1]!);
    // Restarted 100 ms after the crash, then rejoined (the 3 s initial rebalance delay): well
    // inside the run, not at its end.
    expect(calls[1]! - crashes[0]!).toBeLessThanOrEqual(100 + 3000 + 100);
    expect(calls[1]!).toBeLessThan(startedAt + 60_000);
    await sim.until(consumer.disconnect());
    await sim.until(producer.disconnect());
  });
});

describe("kafkajs in manual mode cannot hang silently: sim.until", () => {
  it("p = producer.send(...); await sim.runFor(10); await sim.until(p) resolves with the record metadata", async () => {
    const { sim, kafka } = manualWorld(1);
    const producer = kafka.producer();
    await sim.until(producer.connect());
    const p = producer.send({ topic: "orders", messages: [{ key: "k", value: "v" }] });
    await sim.runFor(10);
    const metadata = await sim.until(p);
    expect(metadata).toEqual([
      expect.objectContaining({ topicName: "orders", partition: 0, baseOffset: "0" }),
    ]);
    await sim.until(producer.disconnect());
  });

  it("a consumer waiting for a message nobody publishes: until() rejects with DEADLOCK listing what is pending", async () => {
    const { sim, kafka } = manualWorld(1);
    const consumer = kafka.consumer({ groupId: "lonely" });
    await sim.until(consumer.connect());
    await sim.until(consumer.subscribe({ topic: "silence", fromBeginning: true }));
    const firstMessage = new Promise<string>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => resolve(message.value!.toString()),
      });
    });
    const started = performance.now();
    const error = await sim.until(firstMessage).catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(error).toBeInstanceOf(BrokerlabError);
    expect((error as BrokerlabError).code).toBe("DEADLOCK");
    expect((error as BrokerlabError).message).toMatch(/Pending: .+/);
    expect((error as BrokerlabError).message).not.toMatch(/Pending: (nothing|none)\b/i);
    await sim.until(consumer.disconnect());
  });

  it("a running consumer with nothing to consume: until(never, { timeoutMs: 5000 }) rejects UNTIL_TIMEOUT at +5000", async () => {
    const { sim, kafka } = manualWorld(1);
    const consumer = kafka.consumer({ groupId: "idle" });
    await sim.until(consumer.connect());
    await sim.until(consumer.subscribe({ topic: "empty", fromBeginning: true }));
    await sim.until(consumer.run({ eachMessage: async () => {} }));
    const before = sim.now;
    const error = await sim.until(new Promise(() => {}), { timeoutMs: 5000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BrokerlabError);
    expect((error as BrokerlabError).code).toBe("UNTIL_TIMEOUT");
    expect(sim.now).toBe(before + 5000);
    await sim.until(consumer.disconnect());
  });
});

describe("kafkajs: time that looks real", () => {
  it("with the default start, sim.now, message.timestamp and log timestamps all lie in 2025", async () => {
    const sim = new Simulation();
    const logs: LogEntry[] = [];
    const kafka = new Kafka({
      clientId: "clock",
      brokers: ["localhost:9092"],
      simulation: sim,
      logLevel: logLevel.INFO,
      logCreator: () => (entry) => logs.push(entry),
    });
    expect(sim.now).toBe(1_735_689_600_000);
    const producer = kafka.producer();
    await sim.until(producer.connect());
    await sim.until(producer.send({ topic: "clock", messages: [{ value: "tick" }] }));
    const consumer = kafka.consumer({ groupId: "clock" });
    await sim.until(consumer.connect());
    await sim.until(consumer.subscribe({ topic: "clock", fromBeginning: true }));
    const message = new Promise<{ timestamp: string; at: number }>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => resolve({ timestamp: message.timestamp, at: sim.now }),
      });
    });
    const got = await sim.until(message, { timeoutMs: 30_000 });
    kafka.logger().info("checkpoint");
    await sim.until(consumer.disconnect());
    await sim.until(producer.disconnect());

    expect(typeof got.timestamp).toBe("string");
    const ts = Number(got.timestamp);
    expect(ts).toBeGreaterThanOrEqual(YEAR_2025);
    expect(ts).toBeLessThan(YEAR_2026);
    expect(got.at).toBeGreaterThanOrEqual(YEAR_2025);
    expect(got.at).toBeLessThan(YEAR_2026);
    expect(sim.now).toBeLessThan(YEAR_2026);
    expect(logs.length).toBeGreaterThan(1);
    for (const entry of logs) {
      expect(entry.log.timestamp).toMatch(/^2025-01-01T/);
      expect(Date.parse(entry.log.timestamp)).toBeGreaterThanOrEqual(YEAR_2025);
    }
  });

  it("new Kafka({ clientId, brokers }) without a simulation is auto-driven and starts in 2025", async () => {
    const kafka = new Kafka({ clientId: "my-app", brokers: ["kafka1:9092"], logLevel: logLevel.NOTHING });
    const sim = kafka.simulation;
    expect(sim.drive).toBe("auto");
    expect(sim.now).toBeGreaterThanOrEqual(YEAR_2025);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: "auto", messages: [{ value: "x" }] });
    expect(await highWatermark(kafka, "auto")).toBe(1);
    await producer.disconnect();
    expect(sim.now).toBeLessThan(YEAR_2026);
    sim.close();
  });
});

describe("kafkajs' getting-started example, unchanged but for the import (fresh process)", () => {
  it("prints the message and exits by itself within a few seconds", () => {
    // https://kafka.js.org/docs/getting-started, verbatim apart from the import and the final
    // disconnect timer.
    const source = `
import { Kafka } from "./src/compat/kafkajs/index.ts"

const kafka = new Kafka({
  clientId: 'my-app',
  brokers: ['kafka1:9092', 'kafka2:9092'],
})

const producer = kafka.producer()

await producer.connect()
await producer.send({
  topic: 'test-topic',
  messages: [
    { value: 'Hello KafkaJS user!' },
  ],
})

await producer.disconnect()

const consumer = kafka.consumer({ groupId: 'test-group' })

await consumer.connect()
await consumer.subscribe({ topic: 'test-topic', fromBeginning: true })

await consumer.run({
  eachMessage: async ({ topic, partition, message }) => {
    console.log({
      value: message.value.toString(),
    })
  },
})

setTimeout(() => consumer.disconnect(), 500)
`;
    const started = performance.now();
    const result = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", source], {
      cwd: root,
      timeout: 15_000,
      encoding: "utf8",
    });
    const wallMs = performance.now() - started;
    expect(result.error).toBeUndefined();
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("Hello KafkaJS user!");
    expect(wallMs).toBeLessThan(8000);
  });
});
