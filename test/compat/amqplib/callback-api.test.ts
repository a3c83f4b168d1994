/**
 * `brokerlab/amqplib/callback_api`: amqplib's callback API over the promise facade. Every
 * callback-style method, the argument shapes amqplib accepts, errors as amqplib's callback API
 * reports them (thrown at the call, or passed to the callback, plus the channel's events), both
 * drive modes, and amqplib's own callback tutorials run unchanged in a child process.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import callbackApi, {
  type Channel,
  type ConfirmChannel,
  type Connection,
  connect,
  credentials,
  IllegalOperationError,
} from "../../../src/compat/amqplib/callback_api.js";
import { Simulation } from "../../../src/scheduler/simulation.js";

type Cb<T> = (err: Error | null, ok?: T) => void;

/** Runs a callback-style call and resolves with what the callback got. */
function cb<T>(run: (callback: Cb<T>) => unknown): Promise<T> {
  return new Promise<T>((resolvePromise, reject) => {
    run((err, ok) => (err ? reject(err) : resolvePromise(ok as T)));
  });
}

/** What a callback got, error or value, without throwing. */
function outcome<T>(run: (callback: Cb<T>) => unknown): Promise<{ err: Error | null; ok?: T; args: number }> {
  return new Promise((resolvePromise) => {
    run((...args: unknown[]) =>
      resolvePromise({ err: (args[0] as Error | null) ?? null, ok: args[1] as T, args: args.length }),
    );
  });
}

async function autoWorld(): Promise<{ sim: Simulation; connection: Connection; channel: Channel }> {
  const sim = new Simulation({ seed: 1, drive: "auto" });
  const connection = await cb<Connection>((k) => connect("amqp://localhost", { simulation: sim }, k));
  const channel = await cb<Channel>((k) => connection.createChannel(k));
  return { sim, connection, channel };
}

describe("connect", () => {
  it("takes amqplib's three shapes and exports what callback_api.js exports", async () => {
    expect(Object.keys(callbackApi).sort()).toEqual(["IllegalOperationError", "connect", "credentials"]);
    expect(callbackApi.connect).toBe(connect);
    expect(callbackApi.credentials).toBe(credentials);
    expect(new IllegalOperationError("Channel closed").name).toBe("IllegalOperationError");
    const sim = new Simulation({ seed: 1, drive: "auto" });
    const a = await cb<Connection>((k) => connect("amqp://localhost", { simulation: sim }, k));
    expect(a.simulation).toBe(sim);
    expect(a.connection.serverProperties.version).toBe("3.10.8");
    const b = await cb<Connection>((k) => connect(k));
    const c = await cb<Connection>((k) => connect("amqp://localhost", k));
    expect(b.simulation).toBe(c.simulation); // the shared default simulation
    expect(b.broker).toBe(c.broker);
    for (const conn of [a, b, c]) await cb((k) => conn.close(k));
    sim.close();
  });

  it("calls back with the error for a refused URL; refuses a missing callback", async () => {
    const { err } = await outcome((k) => connect("http://localhost", k));
    expect(err).toMatchObject({ code: "INVALID_URL" });
    expect(() => (connect as unknown as (url: string) => void)("amqp://localhost")).toThrow(
      expect.objectContaining({ code: "MISSING_CALLBACK" }),
    );
    expect(() => connect("amqp://localhost", {}, 42 as never)).toThrow(
      expect.objectContaining({ code: "INVALID_CALLBACK" }),
    );
  });
});

describe("connection", () => {
  it("createChannel returns the channel at once and calls back with it, in every shape", async () => {
    const { sim, connection } = await autoWorld();
    let given: Channel | undefined;
    const returned = connection.createChannel((err: Error | null, ch?: Channel) => {
      expect(err).toBeNull();
      given = ch;
    });
    expect(given).toBeUndefined(); // the callback comes once the channel is open
    await sim.sleep(0);
    expect(given).toBe(returned);
    const withOptions = await cb<Channel>((k) => connection.createChannel({ highWaterMark: 4 }, k));
    const bare = connection.createChannel(); // no callback: fine, as in amqplib
    expect(new Set([returned.ch, withOptions.ch, bare.ch]).size).toBe(3);
    const confirm = await cb<ConfirmChannel>((k) => connection.createConfirmChannel(k));
    expect(typeof confirm.waitForConfirms).toBe("function");
    connection.close();
    await sim.sleep(10);
    sim.close();
  });

  it("close(cb) calls back with null after 'close'; a second close throws; createChannel then throws", async () => {
    const { sim, connection } = await autoWorld();
    const log: string[] = [];
    connection.on("close", function (this: unknown) {
      log.push(this === connection ? "close (this = connection)" : "close");
    });
    const done = await outcome((k) => connection.close(k));
    expect(done).toEqual({ err: null, ok: undefined, args: 1 });
    expect(log).toEqual(["close (this = connection)"]);
    expect(() => connection.close()).toThrow(IllegalOperationError);
    expect(() => connection.createChannel(() => undefined)).toThrow(IllegalOperationError);
    sim.close();
  });

  it("updateSecret emits 'update-secret-ok', then calls back; bad arguments throw, coded", async () => {
    const { sim, connection } = await autoWorld();
    const log: string[] = [];
    connection.on("update-secret-ok", () => log.push("event"));
    await new Promise<void>((k) => connection.updateSecret(Buffer.from("token"), "refresh", () => k()));
    log.push("callback");
    expect(log).toEqual(["event", "callback"]);
    expect(() => connection.updateSecret("token" as never, "x", () => undefined)).toThrow(
      expect.objectContaining({ code: "INVALID_FIELD" }),
    );
    expect(() => connection.updateSecret(Buffer.from("t"), "x", undefined as never)).toThrow(
      expect.objectContaining({ code: "MISSING_CALLBACK" }),
    );
    connection.close();
    await sim.sleep(10);
    sim.close();
  });

  it("a channel error with no 'error' listener takes the connection down, as in amqplib", async () => {
    const { sim, connection, channel } = await autoWorld();
    const log: string[] = [];
    connection.on("error", (err: Error) => log.push(`connection error: ${err.message.slice(0, 29)}`));
    connection.on("close", () => log.push("connection close"));
    channel.on("close", () => log.push("channel close"));
    const { err } = await outcome((k) => channel.checkQueue("missing", k));
    expect(err?.message).toMatch(/^Channel ended|Operation failed/);
    await sim.sleep(10);
    expect(log).toEqual([
      "connection error: Channel closed by server: 404",
      "channel close",
      "connection close",
    ]);
    sim.close();
  });
});

describe("channel operations (auto mode)", () => {
  it("every declaration, binding and deletion calls back with amqplib's reply and returns the channel", async () => {
    const { sim, connection, channel } = await autoWorld();
    const q = await cb<{ queue: string }>((k) =>
      expect(channel.assertQueue("jobs", { durable: false }, k)).toBe(channel),
    );
    expect(q).toEqual({ queue: "jobs", messageCount: 0, consumerCount: 0 });
    const anon = await cb<{ queue: string }>((k) => channel.assertQueue("", { exclusive: true }, k));
    expect(anon.queue).toMatch(/^amq\.gen-/);
    expect(await cb((k) => channel.assertExchange("logs", "topic", { durable: false }, k))).toEqual({
      exchange: "logs",
    });
    expect(await cb((k) => channel.assertExchange("audit", "fanout", { durable: false }, k))).toEqual({
      exchange: "audit",
    });
    expect(await cb((k) => channel.checkExchange("logs", k))).toEqual({});
    expect(await cb((k) => channel.bindQueue("jobs", "logs", "eu.#", {}, k))).toEqual({});
    expect(await cb((k) => channel.bindExchange("audit", "logs", "#", {}, k))).toEqual({});
    expect(await cb((k) => channel.bindQueue(anon.queue, "audit", "", undefined, k))).toEqual({});
    expect(channel.publish("logs", "eu.created", Buffer.from("a"))).toBe(true);
    expect(channel.sendToQueue("jobs", Buffer.from("b"))).toBe(true);
    expect(await cb((k) => channel.checkQueue("jobs", k))).toEqual({
      queue: "jobs",
      messageCount: 2,
      consumerCount: 0,
    });
    expect(await cb((k) => channel.checkQueue(anon.queue, k))).toMatchObject({ messageCount: 1 });
    expect(await cb((k) => channel.unbindExchange("audit", "logs", "#", {}, k))).toEqual({});
    expect(await cb((k) => channel.unbindQueue("jobs", "logs", "eu.#", {}, k))).toEqual({});
    channel.publish("logs", "eu.created", Buffer.from("unrouted"));
    expect(await cb((k) => channel.purgeQueue("jobs", k))).toEqual({ messageCount: 2 });
    expect(await cb((k) => channel.deleteQueue(anon.queue, {}, k))).toEqual({ messageCount: 1 });
    expect(await cb((k) => channel.deleteExchange("audit", {}, k))).toEqual({});
    expect(await cb((k) => channel.prefetch(5, false, k))).toEqual({});
    expect(await cb((k) => channel.qos(5, false, k))).toEqual({});
    expect(await cb((k) => channel.recover(k))).toEqual({});
    // Optional callbacks: omitted, as amqplib allows.
    channel.assertQueue("no-callback");
    channel.prefetch(1);
    expect(await cb((k) => channel.checkQueue("no-callback", k))).toMatchObject({ queue: "no-callback" });
    const closed = await outcome((k) => channel.close(k));
    expect(closed).toEqual({ err: null, ok: undefined, args: 1 });
    connection.close();
    await sim.sleep(10);
    sim.close();
  });

  it("consume, get, ack/nack/reject/ackAll/nackAll and cancel ({ consumerTag }, amqplib ≥ 2.2.1)", async () => {
    const { sim, connection, channel } = await autoWorld();
    channel.assertQueue("work", { durable: false });
    for (const n of [1, 2, 3, 4, 5, 6]) channel.sendToQueue("work", Buffer.from(String(n)));
    const got = await cb<{ content: Buffer; fields: { messageCount: number } }>((k) =>
      channel.get("work", { noAck: false }, k as never),
    );
    expect(got.content.toString()).toBe("1");
    expect(got.fields.messageCount).toBe(5);
    expect(channel.ack(got as never)).toBe(channel);
    const two = await cb<never>((k) => channel.get("work", {}, k as never));
    channel.nack(two, false, false); // dropped
    const three = await cb<never>((k) => channel.get("work", {}, k as never));
    channel.reject(three, true); // back at the head, redelivered
    const again = await cb<{ fields: { redelivered: boolean }; content: Buffer }>((k) =>
      channel.get("work", {}, k as never),
    );
    expect([again.content.toString(), again.fields.redelivered]).toEqual(["3", true]);
    channel.ackAll();
    await cb<never>((k) => channel.get("work", {}, k as never));
    channel.nackAll(false);
    const seen: string[] = [];
    const ok = await cb<{ consumerTag: string }>((k) =>
      channel.consume(
        "work",
        (msg) => msg && seen.push(msg.content.toString()),
        { noAck: true, consumerTag: "c1" },
        k,
      ),
    );
    expect(ok).toEqual({ consumerTag: "c1" });
    await sim.sleep(10);
    expect(seen).toEqual(["5", "6"]);
    expect(await cb((k) => channel.cancel("c1", k))).toEqual({ consumerTag: "c1" });
    expect(await cb((k) => channel.get("work", { noAck: true }, k))).toBe(false);
    connection.close();
    await sim.sleep(10);
    sim.close();
  });

  it("confirm channels: publish callbacks, waitForConfirms(cb), nacks", async () => {
    const { sim, connection } = await autoWorld();
    const channel = await cb<ConfirmChannel>((k) => connection.createConfirmChannel(k));
    channel.assertQueue("bounded", { durable: false, maxLength: 1, overflow: "reject-publish" });
    const results: string[] = [];
    channel.sendToQueue("bounded", Buffer.from("1"), {}, (err) => results.push(err ? err.message : "acked"));
    channel.publish("", "bounded", Buffer.from("2"), {}, (err) => results.push(err ? err.message : "acked"));
    const waited = await outcome((k) => channel.waitForConfirms(k as never));
    expect(results).toEqual(["acked", "message nacked"]);
    expect(waited.err?.message).toBe("message nacked");
    channel.purgeQueue("bounded");
    channel.sendToQueue("bounded", Buffer.from("3"));
    const fine = await outcome((k) => channel.waitForConfirms(k as never));
    expect(fine).toEqual({ err: null, ok: undefined, args: 0 }); // amqplib calls k() with no arguments
    expect(() => channel.waitForConfirms(undefined as never)).toThrow(
      expect.objectContaining({ code: "MISSING_CALLBACK" }),
    );
    connection.close();
    await sim.sleep(10);
    sim.close();
  });
});

describe("errors as amqplib's callback API reports them", () => {
  it("checkQueue of a missing queue: 'error', 'close', the callback gets Operation failed … 404", async () => {
    const { sim, channel } = await autoWorld();
    const log: string[] = [];
    channel.on("error", (err: Error & { code: number }) => log.push(`error ${err.code}: ${err.message}`));
    channel.on("close", () => log.push("close"));
    const { err } = await outcome((k) => channel.checkQueue("missing", k));
    expect(err?.message).toBe(
      `Operation failed: QueueDeclare; 404 (NOT-FOUND) with message "NOT_FOUND - no queue 'missing' in vhost '/'"`,
    );
    expect(err).toMatchObject({ code: 404, classId: 50, methodId: 10 });
    expect(log).toEqual([
      `error 404: Channel closed by server: 404 (NOT-FOUND) with message "NOT_FOUND - no queue 'missing' in vhost '/'"`,
      "close",
    ]);
    // Now closed: calls throw at once, as amqplib's invalidated send does.
    expect(() => channel.assertQueue("q", {}, () => undefined)).toThrow(
      new IllegalOperationError("Channel closed"),
    );
    expect(() => channel.publish("", "q", Buffer.from("x"))).toThrow(IllegalOperationError);
    expect(() => channel.ack({ fields: { deliveryTag: 1 } } as never)).toThrow(IllegalOperationError);
    expect(() => channel.close()).toThrow(IllegalOperationError);
    sim.close();
  });

  it("get of a missing queue calls back with an Error carrying code, classId, methodId (amqplib ≥ 1.0.6)", async () => {
    const { sim, channel } = await autoWorld();
    channel.on("error", () => undefined);
    const { err } = await outcome((k) => channel.get("missing", {}, k));
    expect(err).toBeInstanceOf(Error);
    expect(err?.message).toBe(
      `Operation failed: BasicGet; 404 (NOT-FOUND) with message "NOT_FOUND - no queue 'missing' in vhost '/'"`,
    );
    expect(err).toMatchObject({ code: 404, classId: 60, methodId: 70 });
    sim.close();
  });

  it("calls already made when the channel closes get 'Channel ended, no reply will be forthcoming'", async () => {
    const { sim, channel } = await autoWorld();
    channel.on("error", () => undefined);
    channel.publish("missing-exchange", "k", Buffer.from("x")); // the broker closes the channel
    const after = await outcome((k) => channel.assertQueue("q", {}, k));
    expect(after.err?.message).toMatch(/404 \(NOT-FOUND\)/);
    sim.close();
  });

  it("malformed arguments throw at the call, coded, and change nothing", async () => {
    const { sim, connection, channel } = await autoWorld();
    expect(() => channel.assertQueue("q", (() => undefined) as never)).toThrow(
      expect.objectContaining({ code: "MISPLACED_CALLBACK" }),
    );
    expect(() => channel.assertQueue(42 as never, {}, () => undefined)).toThrow(
      expect.objectContaining({ code: "INVALID_FIELD" }),
    );
    expect(() => channel.consume("q", "not a function" as never, {}, () => undefined)).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
    expect(() => channel.prefetch(1, (() => undefined) as never)).toThrow(
      expect.objectContaining({ code: "MISPLACED_CALLBACK" }),
    );
    expect(() => channel.checkQueue("q", "callback" as never)).toThrow(
      expect.objectContaining({ code: "INVALID_CALLBACK" }),
    );
    expect(() => channel.sendToQueue("q", "text" as never)).toThrow(
      expect.objectContaining({ code: "INVALID_CONTENT" }),
    );
    expect(connection.broker.getQueue("q")).toBeUndefined();
    expect(channel.closed).toBe(false);
    expect(await cb((k) => channel.assertQueue("q", {}, k))).toMatchObject({ queue: "q" });
    connection.close();
    await sim.sleep(10);
    sim.close();
  });

  it("a throwing listener becomes 'handler-error' when someone listens for it (amqplib ≥ 1.0.7)", async () => {
    const { sim, connection, channel } = await autoWorld();
    const seen: string[] = [];
    channel.on("handler-error", (err: Error, event: string) => seen.push(`${event}: ${err.message}`));
    channel.on("return", () => {
      throw new Error("listener bug");
    });
    channel.assertQueue("q", { durable: false });
    channel.consume(
      "q",
      () => {
        throw new Error("consumer bug");
      },
      { noAck: true },
    );
    channel.publish("", "nowhere", Buffer.from("x"), { mandatory: true });
    channel.sendToQueue("q", Buffer.from("y"));
    await sim.sleep(10);
    expect(seen.sort()).toEqual(["delivery: consumer bug", "return: listener bug"]);
    expect(channel.closed).toBe(false); // without a 'handler-error' listener, 541 would close it
    connection.close();
    await sim.sleep(10);
    sim.close();
  });
});

describe("manual mode", () => {
  it("callbacks come once the test drives the simulation; server-sent events when it runs", async () => {
    const sim = new Simulation({ seed: 1 });
    const connection = await cb<Connection>((k) => connect("amqp://localhost", { simulation: sim }, k));
    const channel = await cb<Channel>((k) => connection.createChannel(k));
    const log: string[] = [];
    channel.assertQueue("m", { durable: false }, (_err, ok) => log.push(`declared ${ok?.queue}`));
    channel.consume(
      "m",
      (msg) => msg && log.push(`got ${msg.content}`),
      { noAck: true },
      () => log.push("consuming"),
    );
    channel.sendToQueue("m", Buffer.from("hi"));
    await Promise.resolve();
    expect(log).toEqual(["declared m", "consuming"]);
    await sim.run();
    expect(log).toEqual(["declared m", "consuming", "got hi"]);
    const failed = await outcome((k) => channel.checkQueue("gone", k));
    expect(failed.err).toMatchObject({ code: 404 });
    channel.on("error", () => log.push("error event"));
    await sim.run();
    expect(log.at(-1)).toBe("error event");
    connection.close();
    await sim.run();
    sim.close();
  });
});

// ------------------------------------------------------------------------------- tutorials

const ROOT = resolve(__dirname, "../../..");
const TUTORIALS = join(ROOT, "node_modules/amqplib/examples/tutorials/callback_api");
const FACADE = join(ROOT, "src/compat/amqplib/callback_api.ts");
const work = mkdtempSync(join(tmpdir(), "brokerlab-callback-tutorials-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A tutorial's source with its `require('amqplib/callback_api')` pointed at the facade. */
function swapped(name: string, argv: string[] = []): string {
  const source = readFileSync(join(TUTORIALS, name), "utf8").replace(/^#!.*\n/, "");
  expect(source).toContain("require('amqplib/callback_api')");
  let body = source.replace("require('amqplib/callback_api')", `require(${JSON.stringify(FACADE)})`);
  // rpc_client.js needs the uuid package, which brokerlab does not depend on: Node's own v4.
  body = body.replace("require('uuid')", "{ v4: () => require('node:crypto').randomUUID() }");
  // Each tutorial reads process.argv as it starts; give it its own (one function scope per file).
  const argvOf = JSON.stringify(["node", name, ...argv]);
  return `process.argv = ${argvOf};\n(function () {\n${body}\n})();\n`;
}

/** Runs tutorials in one fresh Node process (one simulated broker) and returns its stdout. */
function runTutorials(parts: Array<[string, string[]]>, exitAfterMs: number): Promise<string> {
  const file = join(work, `${parts.map(([n]) => n.replace(".js", "")).join("+")}.cjs`);
  // As a user starts the consumer first and the publisher once it waits: 300 ms apart.
  const program = [
    ...parts.map(([name, argv], i) => `setTimeout(() => {\n${swapped(name, argv)}}, ${i * 300});`),
    `setTimeout(() => globalThis.process.exit(0), ${exitAfterMs});`,
  ].join("\n");
  writeFileSync(file, program);
  return new Promise((resolvePromise, reject) => {
    execFile(
      process.execPath,
      ["--import", "tsx", file],
      { cwd: ROOT, timeout: 20_000 },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolvePromise(stdout),
    );
  });
}

describe("amqplib's callback tutorials, unchanged but for the require", () => {
  it("hello world: send.js and receive.js", async () => {
    const out = await runTutorials(
      [
        ["receive.js", []],
        ["send.js", []],
      ],
      2_000,
    );
    expect(out).toContain(" [*] Waiting for logs. To exit press CTRL+C.");
    expect(out).toContain(" [x] Sent 'Hello World!'");
    expect(out).toContain(" [x] Received 'Hello World!'");
  }, 30_000);

  it("work queues: new_task.js and worker.js", async () => {
    const out = await runTutorials(
      [
        ["worker.js", []],
        ["new_task.js", ["First", "message."]],
      ],
      3_000,
    );
    expect(out).toContain(" [x] Sent 'First message.'");
    expect(out).toContain(" [x] Received 'First message.'");
    expect(out).toContain(" [x] Done");
  }, 30_000);

  it("publish/subscribe, routing and topics", async () => {
    const fanout = await runTutorials(
      [
        ["receive_logs.js", []],
        ["emit_log.js", ["fanout", "news"]],
      ],
      2_000,
    );
    expect(fanout).toContain(" [x] Sent 'fanout news'");
    expect(fanout).toContain(" [x] 'fanout news'");
    const direct = await runTutorials(
      [
        ["receive_logs_direct.js", ["error"]],
        ["emit_log_direct.js", ["error", "disk full"]],
      ],
      2_000,
    );
    expect(direct).toContain(" [x] Sent 'disk full'");
    expect(direct).toContain(" [x] error:'disk full'");
    const topic = await runTutorials(
      [
        ["receive_logs_topic.js", ["kern.*"]],
        ["emit_log_topic.js", ["kern.critical", "A critical kernel error"]],
      ],
      2_000,
    );
    expect(topic).toContain(" [x] Sent 'A critical kernel error'");
    expect(topic).toContain(" [x] kern.critical:'A critical kernel error'");
  }, 30_000);

  it("rpc: rpc_server.js and rpc_client.js", async () => {
    const out = await runTutorials(
      [
        ["rpc_server.js", []],
        ["rpc_client.js", ["30"]],
      ],
      3_000,
    );
    expect(out).toContain(" [x] Awaiting RPC requests");
    expect(out).toContain(" [.] fib(30)");
    expect(out).toContain(" [x] Requesting fib(30)");
    expect(out).toContain(" [.] Got 832040");
  }, 30_000);
});
