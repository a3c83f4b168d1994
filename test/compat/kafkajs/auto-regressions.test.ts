import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Kafka } from "../../../src/compat/kafkajs/index.js";
import { quietKafka } from "./helpers.js";

/**
 * Auto-mode regressions of the kafkajs facade (issue 8): application code as written for kafkajs,
 * on `new Kafka(...)`'s auto-driven simulation, with the program's own real timers. Virtual time
 * must advance for work (sends, deliveries, user timers), not for an idle consumer's fetch
 * long-polls and heartbeats; while the program waits on a real timer, virtual time follows the
 * wall clock.
 */

const root = join(import.meta.dirname, "..", "..", "..");

function runScript(source: string, timeoutMs = 20_000) {
  return spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", source], {
    cwd: root,
    timeout: timeoutMs,
    encoding: "utf8",
  });
}

const wall = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function idleConsumer(kafka: Kafka, topic: string, onMessage: (value: string) => void) {
  const consumer = kafka.consumer({ groupId: `${topic}-group` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      onMessage(message.value?.toString() ?? "");
    },
  });
  return consumer;
}

describe("kafkajs in auto mode never races", () => {
  it("an idle consumer's clock advances by at most autoIdleMs per wall second", async () => {
    // Before: its fetch round trips and heartbeats were foreground work, and the clock raced
    // ahead by about a virtual day per wall second.
    const kafka = quietKafka();
    const sim = kafka.simulation;
    const consumer = await idleConsumer(kafka, "idle", () => {});
    const before = sim.now;
    await wall(1000);
    expect(sim.now - before).toBeLessThanOrEqual(sim.autoIdleMs + 10_000);
    const started = performance.now();
    await consumer.disconnect();
    // A stopping consumer does not wait out its fetch's maxWaitTimeInMs.
    expect(performance.now() - started).toBeLessThan(1000);
    sim.close();
  });

  it("kafkajs' producer example: a send every 300 ms of wall time reaches a from-beginning consumer, nothing lost to retention", async () => {
    const kafka = quietKafka({ clientId: "example-producer" });
    const sim = kafka.simulation;
    const producer = kafka.producer();
    await producer.connect();
    let received = 0;
    const consumer = await idleConsumer(kafka, "topic-test", () => received++);
    const startedVirtual = sim.now;
    const startedWall = performance.now();
    let sent = 0;
    let requests = 0;
    const sends: Promise<unknown>[] = [];
    const createMessage = (num: number) => ({ key: `key-${num}`, value: `value-${num}-${requests}` });
    await new Promise<void>((resolve) => {
      const intervalId = setInterval(() => {
        const messages = Array.from({ length: 20 + requests }, (_, i) => createMessage(i));
        sent += messages.length;
        sends.push(producer.send({ topic: "topic-test", messages }));
        if (++requests === 5) {
          clearInterval(intervalId);
          resolve();
        }
      }, 300);
    });
    await Promise.all(sends);
    await wall(200);
    const wallMs = performance.now() - startedWall;
    expect(received).toBe(sent);
    expect(kafka.cluster.offsets("topic-test")[0]!.logStartOffset).toBe(0);
    // Virtual time followed the wall clock between sends instead of leaping days ahead.
    expect(sim.now - startedVirtual).toBeLessThanOrEqual(wallMs + 1000);
    await consumer.disconnect();
    await producer.disconnect();
    sim.close();
  });

  it("three sends 300 ms of wall time apart reach a from-beginning consumer as 3 messages", async () => {
    for (const consumerFirst of [true, false]) {
      const kafka = quietKafka();
      const sim = kafka.simulation;
      const producer = kafka.producer();
      await producer.connect();
      const got: string[] = [];
      const consumer = consumerFirst ? await idleConsumer(kafka, "three", (v) => got.push(v)) : null;
      const startedVirtual = sim.now;
      const startedWall = performance.now();
      for (let i = 0; i < 3; i++) {
        if (i > 0) await wall(300);
        await producer.send({ topic: "three", messages: [{ value: `m${i}` }] });
      }
      const late = consumer ?? (await idleConsumer(kafka, "three", (v) => got.push(v)));
      while (got.length < 3 && performance.now() - startedWall < 5000) await wall(20);
      expect(got).toEqual(["m0", "m1", "m2"]);
      // The from-beginning consumer joining last waits for its group's 3 s initial rebalance delay.
      expect(sim.now - startedVirtual).toBeLessThanOrEqual(performance.now() - startedWall + 10_000);
      await late.disconnect();
      await producer.disconnect();
      sim.close();
    }
  });
});

describe("kafkajs in auto mode: the program's own timers", () => {
  it("the documented throttle pattern (pause, setTimeout(resume, 50), throw) delivers every job without a clock leap", async () => {
    // Before: the clock ran to day 69 and parked; resume() scheduled nothing, so the throttled
    // message was never fetched again.
    const kafka = quietKafka({ clientId: "throttle" });
    const sim = kafka.simulation;
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: "jobs", messages: [1, 2, 3, 4].map((i) => ({ value: `job-${i}` })) });
    const consumer = kafka.consumer({ groupId: "workers" });
    await consumer.connect();
    await consumer.subscribe({ topic: "jobs", fromBeginning: true });
    const attempts: string[] = [];
    const done: string[] = [];
    let throttled = false;
    const startedVirtual = sim.now;
    const startedWall = performance.now();
    const all = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ topic, message }) => {
          const job = message.value!.toString();
          attempts.push(job);
          if (job === "job-2" && !throttled) {
            throttled = true;
            consumer.pause([{ topic }]);
            setTimeout(() => consumer.resume([{ topic }]), 50);
            throw new Error("throttled");
          }
          done.push(job);
          if (done.length === 4) resolve();
        },
      });
    });
    // The guard timer is unref'd: a pending timer of the test's own would (rightly) make virtual
    // time follow the wall clock through the paused consumer's 5 s fetch wait.
    const guard = new Promise<string>((resolve) => {
      (setTimeout(() => resolve("timeout"), 15_000) as unknown as { unref(): void }).unref();
    });
    const outcome = await Promise.race([all.then(() => "done"), guard]);
    expect(outcome).toBe("done");
    expect(done).toEqual(["job-1", "job-2", "job-3", "job-4"]);
    expect(attempts).toEqual(["job-1", "job-2", "job-2", "job-3", "job-4"]);
    // No leap: the retry back-off and one fetch wait (maxWaitTimeInMs) at most, plus wall time.
    expect(sim.now - startedVirtual).toBeLessThanOrEqual(performance.now() - startedWall + 60_000);
    await consumer.disconnect();
    await producer.disconnect();
    sim.close();
  });

  it("in a plain Node process the throttled job comes back right after the resume timer fires", () => {
    // Only the program's own timer is pending here: once it has fired, the runner jumps again.
    const result = runScript(
      'import { Kafka, logLevel } from "./src/compat/kafkajs/index.ts"; ' +
        'const kafka = new Kafka({ clientId: "t", brokers: ["k:9092"], logLevel: logLevel.NOTHING }); const sim = kafka.simulation; ' +
        "const producer = kafka.producer(); await producer.connect(); " +
        'await producer.send({ topic: "jobs", messages: [1, 2, 3, 4].map((i) => ({ value: "job-" + i })) }); ' +
        'const consumer = kafka.consumer({ groupId: "g" }); await consumer.connect(); await consumer.subscribe({ topic: "jobs", fromBeginning: true }); ' +
        "const done = []; let throttled = false; const v0 = sim.now; const w0 = performance.now(); " +
        "await new Promise((resolve) => { consumer.run({ eachMessage: async ({ topic, message }) => { const v = message.value.toString(); " +
        "if (v === 'job-2' && !throttled) { throttled = true; consumer.pause([{ topic }]); setTimeout(() => consumer.resume([{ topic }]), 50); throw new Error('throttled'); } " +
        "done.push(v); if (done.length === 4) resolve(); } }); }); " +
        "console.log(JSON.stringify({ done, virtualMs: sim.now - v0, wallMs: performance.now() - w0 })); " +
        "await consumer.disconnect(); await producer.disconnect();",
    );
    expect(result.error).toBeUndefined();
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout.trim().split("\n").pop()!) as {
      done: string[];
      virtualMs: number;
      wallMs: number;
    };
    expect(report.done).toEqual(["job-1", "job-2", "job-3", "job-4"]);
    expect(report.virtualMs).toBeLessThan(60_000);
    expect(report.wallMs).toBeLessThan(2000);
  });
});

describe("kafkajs in auto mode parks and lets go (fresh processes)", () => {
  it("a connected idle consumer parks: no CPU, no clock movement, and after disconnect the script exits", () => {
    // A MessagePort keeps the host alive without a timer of the program's; an unref'd timer
    // measures. Over a wall second the parked simulation must use under 5 % of a core.
    const result = runScript(
      'import { Kafka, logLevel } from "./src/compat/kafkajs/index.ts"; ' +
        'const kafka = new Kafka({ clientId: "idle", brokers: ["k:9092"], logLevel: logLevel.NOTHING }); const sim = kafka.simulation; ' +
        'const consumer = kafka.consumer({ groupId: "g" }); await consumer.connect(); ' +
        'await consumer.subscribe({ topic: "t", fromBeginning: true }); await consumer.run({ eachMessage: async () => {} }); ' +
        "const t0 = sim.now; const { port1 } = new MessageChannel(); port1.on('message', () => {}); " +
        "const wait = (ms) => new Promise((r) => setTimeout(r, ms).unref()); await wait(150); " +
        "const v0 = sim.now; const c0 = process.cpuUsage(); const w0 = performance.now(); await wait(1000); " +
        "const cpu = process.cpuUsage(c0); const wallMs = performance.now() - w0; " +
        "console.log(JSON.stringify({ beforePark: v0 - t0, parked: sim.now - v0, cpuPct: ((cpu.user + cpu.system) / 1000 / wallMs) * 100, idleMs: sim.autoIdleMs })); " +
        "port1.close(); await consumer.disconnect();",
    );
    expect(result.error).toBeUndefined();
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout.trim().split("\n").pop()!) as {
      beforePark: number;
      parked: number;
      cpuPct: number;
      idleMs: number;
    };
    expect(report.beforePark).toBeLessThanOrEqual(report.idleMs + 10_000);
    expect(report.parked).toBe(0);
    expect(report.cpuPct).toBeLessThan(5);
  });

  it("after every client disconnects, a kafkajs script exits by itself", () => {
    const result = runScript(
      'import { Kafka, logLevel } from "./src/compat/kafkajs/index.ts"; ' +
        'const kafka = new Kafka({ clientId: "app", brokers: ["k:9092"], logLevel: logLevel.NOTHING }); ' +
        "const producer = kafka.producer(); const admin = kafka.admin(); await admin.connect(); await producer.connect(); " +
        'await producer.send({ topic: "orders", messages: [{ value: "1" }] }); ' +
        'const consumer = kafka.consumer({ groupId: "billing" }); await consumer.connect(); ' +
        'await consumer.subscribe({ topic: "orders", fromBeginning: true }); ' +
        "await new Promise((resolve) => consumer.run({ eachMessage: async () => resolve() })); " +
        "await consumer.disconnect(); await producer.disconnect(); await admin.disconnect(); console.log('all disconnected');",
    );
    expect(result.error).toBeUndefined();
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("all disconnected");
  });
});
