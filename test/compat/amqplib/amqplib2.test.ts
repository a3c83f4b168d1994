/**
 * amqplib 2.x behaviour of the promise facade (CHANGELOG 1.0.6 … 2.3.1): `get` rejects with a
 * coded Error, `'update-secret-ok'`, `'handler-error'`, `cancel` resolves to `{ consumerTag }`,
 * `heartbeat: 0`, and connection recovery (`connect(url, { recovery })`) in virtual time.
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeTable } from "../../../src/compat/amqplib/args.js";
import {
  type Channel as CallbackChannel,
  type Connection as CallbackConnection,
  connect as callbackConnect,
} from "../../../src/compat/amqplib/callback_api.js";
import {
  type ChannelModel,
  connect,
  type RecoveringChannelModel,
  type RecoveryOptions,
  recoveryDelay,
  type ServerCloseError,
} from "../../../src/compat/amqplib/index.js";
import { tableBytes } from "../../../src/compat/amqplib/table-size.js";
import { AmqpBroker } from "../../../src/exchange/broker.js";
import { Simulation } from "../../../src/scheduler/simulation.js";
import { Faults } from "../../../src/semantics/faults.js";
import { Args } from "./amqplib-reference.js";

async function auto(): Promise<{ sim: Simulation; connection: ChannelModel }> {
  const sim = new Simulation({ seed: 1, drive: "auto" });
  return { sim, connection: await connect("amqp://localhost", { simulation: sim }) };
}

describe("RPC failures reject with Errors (1.0.6)", () => {
  it("get of a missing queue: Error with code, classId, methodId; 'error' and 'close' come first", async () => {
    const { sim, connection } = await auto();
    const channel = await connection.createChannel();
    const log: string[] = [];
    channel.on("error", () => log.push("error"));
    channel.on("close", () => log.push("close"));
    const error = (await channel.get("missing").catch((e: unknown) => e)) as ServerCloseError;
    log.push("rejected");
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toBe(
      `Operation failed: BasicGet; 404 (NOT-FOUND) with message "NOT_FOUND - no queue 'missing' in vhost '/'"`,
    );
    expect([error.code, error.classId, error.methodId]).toEqual([404, 60, 70]);
    expect(log).toEqual(["error", "close", "rejected"]);
    sim.close();
  });

  it("a get waiting when another call's failure closes the channel gets that close as an Error", async () => {
    const sim = new Simulation({ seed: 1 });
    const connection = await connect("amqp://localhost", { simulation: sim });
    const channel = await connection.createChannel();
    channel.on("error", () => undefined);
    channel.publish("missing", "k", Buffer.from("x")); // closes the channel (404 on basic.publish)
    const error = (await channel.get("q").catch((e: unknown) => e)) as ServerCloseError;
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toMatch(/^Channel closed by server: 404 \(NOT-FOUND\)/);
    expect([error.code, error.classId, error.methodId]).toEqual([404, 60, 40]);
    await sim.run();
    sim.close();
  });
});

describe("cancel resolves to the server's reply (2.2.1)", () => {
  it("{ consumerTag }, for server-named and given tags", async () => {
    const { sim, connection } = await auto();
    const channel = await connection.createChannel();
    await channel.assertQueue("q", { durable: false });
    const { consumerTag } = await channel.consume("q", () => undefined);
    expect(await channel.cancel(consumerTag)).toStrictEqual({ consumerTag });
    await channel.consume("q", () => undefined, { consumerTag: "mine" });
    expect(await channel.cancel("mine")).toStrictEqual({ consumerTag: "mine" });
    await connection.close();
    sim.close();
  });
});

describe("'update-secret-ok' (1.0.7)", () => {
  it("auto mode: the event, then the promise resolves", async () => {
    const { sim, connection } = await auto();
    const log: string[] = [];
    connection.on("update-secret-ok", () => log.push("event"));
    await connection.updateSecret(Buffer.from("new-token"), "token refresh");
    log.push("resolved");
    expect(log).toEqual(["event", "resolved"]);
    await connection.close();
    sim.close();
  });

  it("manual mode: resolves at once, the event comes when the simulation runs", async () => {
    const sim = new Simulation({ seed: 1 });
    const connection = await connect("amqp://localhost", { simulation: sim });
    const log: string[] = [];
    connection.on("update-secret-ok", () => log.push("event"));
    await connection.updateSecret(Buffer.from("t"), "r");
    expect(log).toEqual([]);
    await sim.run();
    expect(log).toEqual(["event"]);
    sim.close();
  });

  it("refuses what amqplib's encoder refuses, and a closed connection", async () => {
    const { sim, connection } = await auto();
    await expect(connection.updateSecret("t" as never, "r")).rejects.toMatchObject({ code: "INVALID_FIELD" });
    await expect(connection.updateSecret(Buffer.from("t"), "x".repeat(256))).rejects.toMatchObject({
      code: "INVALID_FIELD",
    });
    await expect(connection.updateSecret(undefined as never, "r")).rejects.toMatchObject({
      code: "MISSING_FIELD",
    });
    await connection.close();
    await expect(connection.updateSecret(Buffer.from("t"), "r")).rejects.toThrow(
      "Connection closed (by client)",
    );
    sim.close();
  });
});

describe("'handler-error' (1.0.7)", () => {
  it("a throwing connection 'close' listener is reported with the event's name", async () => {
    const { sim, connection } = await auto();
    const seen: Array<[string, string]> = [];
    connection.on("handler-error", (err: Error, event: string) => seen.push([event, err.message]));
    connection.on("close", () => {
      throw new Error("close listener bug");
    });
    await connection.close();
    await sim.sleep(1);
    expect(seen).toEqual([["close", "close listener bug"]]);
    sim.close();
  });

  it("a throwing channel 'error' listener is reported; the channel still closes", async () => {
    const { sim, connection } = await auto();
    const channel = await connection.createChannel();
    const seen: string[] = [];
    channel.on("handler-error", (_err: Error, event: string) => seen.push(event));
    channel.on("error", () => {
      throw new Error("bug");
    });
    await channel.checkQueue("missing").catch(() => undefined);
    await sim.sleep(1);
    expect(seen).toEqual(["error"]);
    expect(channel.closed).toBe(true);
    expect(connection.closed).toBe(false);
    await connection.close();
    sim.close();
  });

  it("a throwing consumer: reported as 'delivery' with a listener, else the channel closes with 541", async () => {
    const { sim, connection } = await auto();
    const heard = await connection.createChannel();
    const events: string[] = [];
    heard.on("handler-error", (err: Error, event: string) => events.push(`${event}: ${err.message}`));
    await heard.assertQueue("a", { durable: false });
    await heard.consume("a", () => {
      throw new Error("boom");
    });
    heard.sendToQueue("a", Buffer.from("1"));
    await sim.sleep(1);
    expect(events).toEqual(["delivery: boom"]);
    expect(heard.closed).toBe(false);
    expect(heard.native.unackedCount).toBe(1); // amqplib leaves it unacked, channel open

    const unheard = await connection.createChannel();
    const errors: number[] = [];
    unheard.on("error", (err: Error & { code: number }) => errors.push(err.code));
    await unheard.assertQueue("b", { durable: false });
    await unheard.consume("b", () => {
      throw new Error("boom");
    });
    unheard.sendToQueue("b", Buffer.from("1"));
    await sim.sleep(1);
    expect(errors).toEqual([541]);
    expect(unheard.closed).toBe(true);
    await connection.close();
    sim.close();
  });

  it("without a 'handler-error' listener, a throwing listener propagates as before", async () => {
    const sim = new Simulation({ seed: 1 });
    const connection = await connect("amqp://localhost", { simulation: sim });
    const channel = await connection.createChannel();
    channel.on("return", () => {
      throw new Error("unheard bug");
    });
    channel.publish("", "nowhere", Buffer.from("x"), { mandatory: true });
    await expect(sim.run()).rejects.toThrow("unheard bug");
  });
});

describe("null named options are sent (1.0.0's strict setIfDefined)", () => {
  it("messageTtl: null is a void x-message-ttl, which the broker refuses with 406, as RabbitMQ does", async () => {
    expect(Args.assertQueue!("q", { messageTtl: null }).arguments).toMatchObject({ "x-message-ttl": null });
    const { sim, connection } = await auto();
    const channel = await connection.createChannel();
    channel.on("error", () => undefined);
    const error = (await channel
      .assertQueue("q", { messageTtl: null } as never)
      .catch((e) => e)) as ServerCloseError;
    expect(error.code).toBe(406);
    expect(error.message).toMatch(
      /^Operation failed: QueueDeclare; 406 \(PRECONDITION-FAILED\) .*invalid arg 'x-message-ttl'/,
    );
    expect(connection.broker.getQueue("q")).toBeUndefined();
    await connection.close();
    sim.close();
  });
});

describe("a headers or arguments table past amqplib's 64 KiB buffer (2.3.1)", () => {
  const require = createRequire(import.meta.url);
  const codec = require(join(dirname(require.resolve("amqplib")), "lib", "codec.js")) as {
    encodeTable(buffer: Buffer, value: unknown, offset: number): number;
  };

  it("tableBytes is exactly what amqplib's encodeTable writes, for any table", () => {
    const leaf = fc.oneof(
      fc.string(),
      fc.boolean(),
      fc.constant(null),
      fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
      fc.double({ min: -1e15, max: 1e15, noNaN: true }),
      fc.uint8Array({ maxLength: 8 }).map((bytes) => Buffer.from(bytes)),
      fc.record({
        "!": fc.constantFrom("int32", "timestamp", "float", "uint16"),
        value: fc.integer({ min: 0, max: 1000 }),
      }),
    );
    const value = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: "small" }, leaf, fc.array(tie("value"), { maxLength: 3 }), tie("table")),
      table: fc.dictionary(
        fc.string({ maxLength: 6 }).filter((k) => k !== "!" && k !== "__proto__"),
        tie("value"),
        { maxKeys: 4 },
      ),
    }));
    fc.assert(
      fc.property(value.table, (table) => {
        const encoded = encodeTable(table as object, "headers");
        expect(tableBytes(encoded)).toBe(codec.encodeTable(Buffer.alloc(1 << 20), table, 0));
      }),
    );
  });

  it("publish and assertQueue throw amqplib's RangeError before anything is sent; the channel stays open", async () => {
    const { sim, connection } = await auto();
    const channel = await connection.createChannel();
    await channel.assertQueue("q", { durable: false });
    const huge = { blob: "x".repeat(65_536) };
    expect(() => channel.sendToQueue("q", Buffer.from("m"), { headers: huge })).toThrow(
      expect.objectContaining({
        name: "RangeError",
        message: "Encoded field table (headers or arguments) exceeds the 65536 byte encoding buffer",
        code: "TABLE_TOO_LARGE",
      }),
    );
    await expect(channel.assertQueue("big", { arguments: huge })).rejects.toBeInstanceOf(RangeError);
    await expect(channel.bindQueue("q", "amq.direct", "k", huge)).rejects.toMatchObject({
      code: "TABLE_TOO_LARGE",
    });
    // Just under the limit is fine: 4 + (1 + 4) + (1 + 4 + n) ≤ 65536.
    expect(channel.sendToQueue("q", Buffer.from("m"), { headers: { blob: "x".repeat(65_536 - 14) } })).toBe(
      true,
    );
    expect((await channel.checkQueue("q")).messageCount).toBe(1);
    expect(connection.broker.getQueue("big")).toBeUndefined();
    expect(channel.closed).toBe(false);
    await connection.close();
    sim.close();
  });
});

describe("connect options of 2.x", () => {
  it("heartbeat: 0 (disabled, 2.0.0) and maxFrameSize are accepted, in the URL and as options", async () => {
    const sim = new Simulation({ seed: 1, drive: "auto" });
    const a = await connect("amqp://localhost?heartbeat=0&maxFrameSize=0", { simulation: sim });
    const b = await connect({ hostname: "localhost", heartbeat: 0 } as never, { simulation: sim });
    for (const c of [a, b]) await c.close();
    sim.close();
  });
});

// ------------------------------------------------------------------------------- recovery

describe("recoveryDelay (2.2.0)", () => {
  it("never exceeds maxDelay and stays within the jitter band of the capped base", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.double({ min: 1, max: 4, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 1, max: 40 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (initialDelay, extra, factor, jitter, attempt, draw) => {
          const o = { initialDelay, maxDelay: initialDelay + extra, factor, jitter };
          const delay = recoveryDelay(o, attempt, () => draw);
          const base = Math.min(o.maxDelay / (1 + jitter), initialDelay * factor ** (attempt - 1));
          expect(delay).toBeLessThanOrEqual(o.maxDelay);
          expect(delay).toBeGreaterThanOrEqual(Math.floor(base * (1 - jitter)));
          expect(delay).toBeLessThanOrEqual(Math.ceil(base * (1 + jitter)));
        },
      ),
    );
  });

  it("without jitter: initialDelay · factor^(attempt−1), capped", () => {
    const o = { initialDelay: 100, maxDelay: 1_000, factor: 2, jitter: 0 };
    expect([1, 2, 3, 4, 5, 6].map((n) => recoveryDelay(o, n, () => 0.5))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
  });
});

describe("connect(url, { recovery }) (1.1.0 … 2.2.0)", () => {
  async function recovering(
    sim: Simulation,
    recovery: RecoveryOptions,
  ): Promise<{ connection: RecoveringChannelModel; log: string[] }> {
    const log: string[] = [];
    const setup = recovery.setup;
    const connection = await connect("amqp://localhost", {
      simulation: sim,
      recovery: {
        ...recovery,
        setup: async (model) => {
          log.push(`setup @${sim.now - sim.start}`);
          if (setup) await (setup as (m: ChannelModel) => Promise<void>)(model);
        },
      },
    });
    for (const event of [
      "connect",
      "disconnect",
      "connect-failed",
      "reconnect-scheduled",
      "reconnect-failed",
    ]) {
      connection.on(event, (arg: { attempt?: number; delay?: number; message?: string }) =>
        log.push(
          event === "reconnect-scheduled"
            ? `${event} #${arg.attempt} in ${arg.delay} @${sim.now - sim.start}`
            : `${event} @${sim.now - sim.start}`,
        ),
      );
    }
    return { connection, log };
  }

  it("a broker restart: 'disconnect', backoff in virtual time while it is down, reconnect, setup again", async () => {
    const sim = new Simulation({ seed: 1, start: 0 });
    const run = sim.until(
      recovering(sim, {
        initialDelay: 100,
        jitter: 0,
        setup: async (model: ChannelModel) => {
          const channel = await model.createChannel();
          await channel.assertQueue("jobs", { durable: true });
        },
      }),
    );
    const { connection, log } = await run;
    expect(log).toEqual(["setup @0"]);
    const broker = (await sim.until(connection.createChannel())).native.broker;
    broker.restart({ downMs: 250 });
    await sim.runFor(1_000);
    expect(log).toEqual([
      "setup @0",
      "disconnect @0",
      "reconnect-scheduled #1 in 100 @0",
      "connect-failed @100",
      "reconnect-scheduled #2 in 200 @100",
      "setup @300",
      "connect @300",
    ]);
    const channel = await sim.until(connection.createChannel());
    expect(await sim.until(channel.checkQueue("jobs"))).toMatchObject({ queue: "jobs" });
    await sim.until(connection.close());
    await sim.run();
    sim.close();
  });

  it("a fault plan: a partition past the heartbeat timeout drops the connection; recovery reconnects after it", async () => {
    const sim = new Simulation({ seed: 2, start: 0 });
    const broker = new AmqpBroker(sim, { heartbeatTimeoutMs: 1_000 });
    const faults = new Faults(sim, [
      { kind: "partition", client: "worker", fromMs: 100, durationMs: 3_000 },
      { kind: "restart-broker", atMs: 10_000, downMs: 500 },
    ]);
    faults.attachAmqp(broker);
    const log: string[] = [];
    const connection = await sim.until(
      connect(undefined, {
        simulation: sim,
        broker,
        clientProperties: { connection_name: "worker" },
        recovery: {
          initialDelay: 200,
          jitter: 0,
          maxDelay: 1_000,
          setup: () => log.push(`setup @${sim.now}`),
        },
      }),
    );
    connection.on("error", () => undefined); // a missed-heartbeats close is an 'error' in amqplib
    connection.on("disconnect", (err: Error) =>
      log.push(`disconnect @${sim.now}: ${err.message.slice(0, 40)}`),
    );
    connection.on("connect-failed", (err: Error & { code?: string }) =>
      log.push(`connect-failed @${sim.now}: ${err.code}`),
    );
    await sim.runFor(12_000);
    const reconnects = log.filter((line) => line.startsWith("setup"));
    expect(reconnects[0]).toBe("setup @0");
    expect(reconnects).toHaveLength(3); // the start, after the partition, after the restart
    const afterPartition = Number(reconnects[1]!.slice("setup @".length));
    expect(afterPartition).toBeGreaterThanOrEqual(3_100); // not before the partition ends
    expect(log.some((line) => line.includes("CONNECTION_REFUSED"))).toBe(true);
    const afterRestart = Number(reconnects[2]!.slice("setup @".length));
    expect(afterRestart).toBeGreaterThanOrEqual(10_500);
    expect(log.some((line) => line.includes("BROKER_DOWN"))).toBe(true);
    await sim.until(connection.close());
    sim.close();
  });

  it("gives up after maxRetries: 'reconnect-failed'; later channel calls reject with the failure", async () => {
    const sim = new Simulation({ seed: 1, start: 0 });
    const { connection, log } = await sim.until(
      recovering(sim, { initialDelay: 10, jitter: 0, maxRetries: 2 }),
    );
    const broker = (await sim.until(connection.createChannel())).native.broker;
    broker.restart({ downMs: 10_000 });
    await sim.runFor(1_000);
    expect(log.slice(1)).toEqual([
      "disconnect @0",
      "reconnect-scheduled #1 in 10 @0",
      "connect-failed @10",
      "reconnect-scheduled #2 in 20 @10",
      "connect-failed @30",
      "reconnect-failed @30",
    ]);
    await expect(connection.createChannel()).rejects.toMatchObject({ code: "BROKER_DOWN" });
    sim.close();
  });

  it("initialMaxRetries bounds startup; waitForConnect: false returns at once; calculateDelay", async () => {
    const sim = new Simulation({ seed: 1, start: 0 });
    const broker = (await sim.until(connect("amqp://localhost", { simulation: sim }))).broker;
    broker.restart({ downMs: 10_000 });
    const delays: number[] = [];
    const connection = await connect("amqp://localhost", {
      simulation: sim,
      recovery: {
        waitForConnect: false,
        initialMaxRetries: 3,
        maxRetries: 100,
        calculateDelay: (n) => n * 7,
      },
    });
    connection.on("reconnect-scheduled", ({ delay }: { delay: number }) => delays.push(delay));
    const failed = connection.waitForConnect().catch((e: Error & { code?: string }) => e.code);
    await sim.runFor(1_000);
    expect(await failed).toBe("BROKER_DOWN");
    expect(delays).toEqual([7, 14, 21]);
    sim.close();
  });

  it("a calculateDelay returning garbage gives up at once", async () => {
    const sim = new Simulation({ seed: 1, start: 0 });
    const broker = (await sim.until(connect("amqp://localhost", { simulation: sim }))).broker;
    broker.restart({ downMs: 10_000 });
    const connection = await connect("amqp://localhost", {
      simulation: sim,
      recovery: { waitForConnect: false, calculateDelay: () => Number.NaN },
    });
    const failed = connection.waitForConnect().catch((e: Error) => e.message);
    await sim.runFor(100);
    expect(await failed).toMatch(/^calculateDelay must return a finite, non-negative number/);
    sim.close();
  });

  it("close() stops recovering; a client close is not a loss", async () => {
    const sim = new Simulation({ seed: 1, start: 0 });
    const { connection, log } = await sim.until(recovering(sim, {}));
    await sim.until(connection.close());
    await sim.runFor(60_000);
    expect(log).toEqual(["setup @0"]);
    await expect(connection.createChannel()).rejects.toThrow("Connection closed");
    sim.close();
  });

  it("the jittered delays come from the simulation's seed: same seed, same schedule", async () => {
    async function schedule(seed: number): Promise<number[]> {
      const sim = new Simulation({ seed, start: 0 });
      const broker = (await sim.until(connect("amqp://localhost", { simulation: sim }))).broker;
      broker.restart({ downMs: 100_000 });
      const connection = await connect("amqp://localhost", {
        simulation: sim,
        recovery: { waitForConnect: false, maxRetries: 6 },
      });
      const delays: number[] = [];
      connection.on("reconnect-scheduled", ({ delay }: { delay: number }) => delays.push(delay));
      connection.waitForConnect().catch(() => undefined);
      await sim.runFor(100_000);
      sim.close();
      return delays;
    }
    const a = await schedule(3);
    expect(a).toHaveLength(6);
    expect(await schedule(3)).toEqual(a);
    a.forEach((delay, i) => {
      const base = 100 * 2 ** i;
      expect(delay).toBeGreaterThanOrEqual(Math.floor(base * 0.8));
      expect(delay).toBeLessThanOrEqual(Math.ceil(base * 1.2));
    });
  });

  it("the callback API: connect(url, { recovery }, cb), setup(model, done), createChannel(cb)", async () => {
    const sim = new Simulation({ seed: 1, start: 0 });
    const setups: number[] = [];
    const connection = await sim.until(
      new Promise<CallbackConnection>((resolve, reject) => {
        callbackConnect(
          "amqp://localhost",
          {
            simulation: sim,
            recovery: {
              jitter: 0,
              setup: (model: CallbackConnection, done: (err?: Error) => void) => {
                setups.push(sim.now);
                model.createChannel((err: Error | null, channel?: CallbackChannel) => {
                  if (err) return done(err);
                  channel?.assertQueue("cb-jobs", { durable: true }, (e: Error | null) =>
                    done(e ?? undefined),
                  );
                });
              },
            },
          },
          (err, c) => (err ? reject(err) : resolve(c as never)),
        );
      }),
    );
    expect(setups).toEqual([0]);
    const recovering = connection as unknown as {
      createChannel(cb: (err: Error | null, ch?: unknown) => void): unknown;
    };
    const channel = await sim.until(
      new Promise<{ native: { broker: { restart(o: object): void } } }>((resolve, reject) =>
        recovering.createChannel((err, ch) => (err ? reject(err) : resolve(ch as never))),
      ),
    );
    channel.native.broker.restart({ downMs: 0 });
    await sim.runFor(1_000);
    expect(setups).toEqual([0, 100]);
    sim.close();
  });
});
