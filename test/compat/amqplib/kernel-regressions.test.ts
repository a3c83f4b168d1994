import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  type ConsumeMessage,
  connect,
  defaultSimulation,
  resetDefaultSimulation,
} from "../../../src/compat/amqplib/index.js";
import { BrokerlabError } from "../../../src/scheduler/errors.js";
import { Simulation } from "../../../src/scheduler/simulation.js";

/**
 * Kernel regressions (issue 8) seen through the amqplib facade: consumer continuations settle
 * before time moves (so short TTLs do not expire work in progress), `sim.until` resolves confirms
 * and refuses to hang, the default start is 2025, and RabbitMQ's hello-world tutorial runs in a
 * fresh Node process and exits by itself.
 */

const root = join(import.meta.dirname, "..", "..", "..");
const YEAR_2025 = Date.UTC(2025, 0, 1);
const YEAR_2026 = Date.UTC(2026, 0, 1);

async function hops(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.resolve();
}

/** A validator as apps write them: nested async functions, a few awaits each. */
async function validate(body: string): Promise<boolean> {
  const check = async (rule: (s: string) => boolean) => {
    await Promise.resolve();
    return rule(body);
  };
  const results = await Promise.all([check((s) => s.length > 0), check((s) => s.startsWith("job"))]);
  await hops(3);
  return results.every(Boolean);
}

/** An "ORM call": awaits on a fake repository that resolves through a few promise layers. */
async function save(store: string[], body: string): Promise<void> {
  const connection = await Promise.resolve({ insert: async (row: string) => store.push(row) });
  await hops(4);
  await connection.insert(body);
}

describe("amqplib: consumer continuations settle before virtual time moves", () => {
  const bodies = ["job-1", "job-2", "job-3", "job-4", "job-5"];

  it("20 awaits before ack on a 5 ms TTL queue with prefetch 1: all 5 processed, none expire", async () => {
    // Before: the drive moved time while a consumer was between awaits, so every message waiting
    // behind the unacked one (prefetch 1) outlived x-message-ttl and was dropped.
    const sim = new Simulation({ start: 0 });
    const connection = await connect(undefined, { simulation: sim });
    const channel = await connection.createChannel();
    await channel.assertQueue("short-lived", { durable: false, messageTtl: 5 });
    await channel.prefetch(1);
    const processed: string[] = [];
    const at: number[] = [];
    await channel.consume("short-lived", async (msg: ConsumeMessage | null) => {
      if (!msg) return;
      for (let i = 0; i < 20; i++) await Promise.resolve();
      processed.push(msg.content.toString());
      at.push(sim.now);
      channel.ack(msg);
    });
    for (const body of bodies) channel.sendToQueue("short-lived", Buffer.from(body));
    await sim.run();
    expect(processed).toEqual(bodies);
    expect(new Set(at)).toEqual(new Set([0]));
    expect(connection.broker.stats()).toMatchObject({ acked: 5, ready: 0, unacked: 0 });
    expect(connection.broker.getQueue("short-lived")!.ready).toBe(0);
  });

  it("a fire-and-forget handler (sync callback, validator + ORM call, then ack) loses nothing to a 5 ms TTL", async () => {
    // The callback returns nothing: amqplib apps often start the work and return. Its
    // continuations still belong to the delivery's instant.
    const sim = new Simulation({ start: 0 });
    const connection = await connect(undefined, { simulation: sim });
    const channel = await connection.createChannel();
    await channel.assertQueue("orm", { durable: false, arguments: { "x-message-ttl": 5 } });
    await channel.prefetch(1);
    const stored: string[] = [];
    await channel.consume("orm", (msg) => {
      if (!msg) return;
      void (async () => {
        const body = msg.content.toString();
        if (!(await validate(body))) throw new Error(`invalid ${body}`);
        await save(stored, body);
        channel.ack(msg);
      })();
    });
    for (const body of bodies) channel.sendToQueue("orm", Buffer.from(body));
    await sim.run();
    expect(stored).toEqual(bodies);
    expect(connection.broker.stats()).toMatchObject({ acked: 5, ready: 0, unacked: 0 });
  });
});

describe("amqplib in manual mode cannot hang silently: sim.until", () => {
  it("publisher confirms: publish(..., cb) and waitForConfirms() resolve through sim.until", async () => {
    const sim = new Simulation({ start: 0 });
    const connection = await connect(undefined, { simulation: sim });
    const channel = await connection.createConfirmChannel();
    await channel.assertQueue("confirmed", { durable: false });
    const confirmedOne = new Promise<unknown>((resolve) => {
      channel.publish("", "confirmed", Buffer.from("one"), {}, (err) => resolve(err));
    });
    channel.sendToQueue("confirmed", Buffer.from("two"));
    expect(await sim.until(confirmedOne)).toBeNull();
    await sim.until(channel.waitForConfirms());
    expect((await channel.checkQueue("confirmed")).messageCount).toBe(2);
  });

  it("a consumer waiting for a message nobody publishes: until() rejects with DEADLOCK naming what is pending", async () => {
    const sim = new Simulation({ start: 0 });
    const connection = await connect(undefined, { simulation: sim });
    const channel = await connection.createChannel();
    await channel.assertQueue("nobody-publishes", { durable: false });
    // Something else is scheduled, so "what is pending" has something to name.
    sim.every(1000, () => {}, { label: "metrics flush" });
    const firstMessage = new Promise<ConsumeMessage>((resolve) => {
      void channel.consume("nobody-publishes", (msg) => {
        if (msg) resolve(msg);
      });
    });
    const started = performance.now();
    const error = await sim.until(firstMessage).catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(error).toBeInstanceOf(BrokerlabError);
    expect((error as BrokerlabError).code).toBe("DEADLOCK");
    expect((error as BrokerlabError).message).toContain("Pending:");
    expect((error as BrokerlabError).message).toContain("metrics flush");
  });

  it("a channel.get polling loop on an empty queue: until(…, { timeoutMs }) rejects UNTIL_TIMEOUT", async () => {
    const sim = new Simulation({ start: 0 });
    const connection = await connect(undefined, { simulation: sim });
    const channel = await connection.createChannel();
    await channel.assertQueue("empty", { durable: false });
    let polls = 0;
    const poll = async () => {
      for (;;) {
        polls++;
        const msg = await channel.get("empty");
        if (msg) return msg;
        await sim.sleep(100);
      }
    };
    const error = await sim.until(poll(), { timeoutMs: 5000 }).catch((e: unknown) => e);
    expect((error as BrokerlabError).code).toBe("UNTIL_TIMEOUT");
    expect(sim.now).toBe(5000);
    expect(polls).toBeGreaterThanOrEqual(50);
  });
});

describe("amqplib: time that looks real", () => {
  it("with the default start, sim.now and the broker's x-death time lie in 2025; no 1970 timestamp is invented", async () => {
    const sim = new Simulation();
    expect(sim.now).toBe(1_735_689_600_000);
    const connection = await connect(undefined, { simulation: sim });
    const channel = await connection.createChannel();
    await channel.assertQueue("dead", { durable: false });
    await channel.assertQueue("expiring", {
      durable: false,
      messageTtl: 1000,
      deadLetterExchange: "",
      deadLetterRoutingKey: "dead",
    });
    channel.sendToQueue("expiring", Buffer.from("late"));
    const deadLettered = new Promise<ConsumeMessage>((resolve) => {
      void channel.consume("dead", (msg) => {
        if (msg) resolve(msg);
      });
    });
    const msg = await sim.until(deadLettered, { timeoutMs: 10_000 });
    expect(sim.now).toBeGreaterThanOrEqual(YEAR_2025);
    expect(sim.now).toBeLessThan(YEAR_2026);
    // The facade sets no properties.timestamp of its own (RabbitMQ does not either)…
    expect(msg.properties.timestamp).toBeUndefined();
    // …but the broker stamps x-death with the time of death, in whole seconds.
    const deaths = msg.properties.headers?.["x-death"] as { time: { value: number } }[] | undefined;
    expect(deaths).toHaveLength(1);
    const death = deaths![0]!;
    expect(death.time.value * 1000).toBeGreaterThanOrEqual(YEAR_2025);
    expect(death.time.value * 1000).toBeLessThan(YEAR_2026);
  });

  it("connect() without a simulation uses the auto-driven default simulation, starting in 2025", async () => {
    resetDefaultSimulation();
    const connection = await connect("amqp://localhost");
    const sim = defaultSimulation();
    expect(connection.simulation).toBe(sim);
    expect(sim.drive).toBe("auto");
    expect(sim.now).toBeGreaterThanOrEqual(YEAR_2025);
    expect(sim.now).toBeLessThan(YEAR_2026);
    await connection.close();
    resetDefaultSimulation();
  });
});

describe("RabbitMQ tutorial one (hello world), unchanged but for the import (fresh process)", () => {
  it("send + receive with the promise API prints the message, closes the connection and exits by itself", () => {
    // https://www.rabbitmq.com/tutorials/tutorial-one-javascript uses amqplib/callback_api, which the
    // facade does not offer; this is amqplib's promise-API version of it (examples/tutorials/send.js
    // and receive.js), the receiver closing its connection after the first message.
    const source = `
import amqp from "./src/compat/amqplib/index.ts";

// send.js
{
  const queue = 'hello';
  const text = 'Hello World!';
  let connection;
  try {
    connection = await amqp.connect('amqp://localhost');
    const channel = await connection.createChannel();

    await channel.assertQueue(queue, { durable: false });

    channel.sendToQueue(queue, Buffer.from(text));
    console.log(" [x] Sent '%s'", text);
    await channel.close();
  } catch (err) {
    console.warn(err);
  } finally {
    if (connection) await connection.close();
  }
}

// receive.js
{
  const queue = 'hello';
  const connection = await amqp.connect('amqp://localhost');
  const channel = await connection.createChannel();

  await channel.assertQueue(queue, { durable: false });
  await channel.consume(queue, (message) => {
    console.log(" [x] Received '%s'", message.content.toString());
    connection.close();
  }, { noAck: true });

  console.log(' [*] Waiting for messages. To exit press CTRL+C');
}
`;
    const started = performance.now();
    const result = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", source], {
      cwd: root,
      timeout: 15_000,
      encoding: "utf8",
    });
    const wallMs = performance.now() - started;
    expect(result.error).toBeUndefined();
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(" [x] Sent 'Hello World!'");
    expect(result.stdout).toContain(" [x] Received 'Hello World!'");
    expect(wallMs).toBeLessThan(8000);
  });
});
