/**
 * Channel and connection errors: amqplib's texts, numeric codes, class/method ids, event order
 * (`'error'` then `'close'` then the rejection) and what later calls get.
 */
import { describe, expect, it } from "vitest";
import {
  type Channel,
  type ChannelModel,
  connect,
  IllegalOperationError,
  type ServerCloseError,
} from "../../../src/compat/amqplib/index.js";
import { Simulation } from "../../../src/scheduler/simulation.js";
import { AmqplibIllegalOperationError } from "./amqplib-reference.js";

/** A connection on a fresh auto-driven simulation, closed by the returned `done()`. */
async function autoConnection(): Promise<{ connection: ChannelModel; simulation: Simulation }> {
  const simulation = new Simulation({ start: 0, seed: 1, drive: "auto" });
  const connection = await connect("amqp://localhost", { simulation });
  return { connection, simulation };
}

/** Records the events of a channel in order, as strings. */
function record(channel: Channel): string[] {
  const log: string[] = [];
  channel.on("error", (error: ServerCloseError) => log.push(`error ${error.code}: ${error.message}`));
  channel.on("close", () => log.push("close"));
  return log;
}

describe("server closes a channel (auto mode: amqplib's order)", () => {
  it("a refused RPC: 'error', then 'close', then the rejection 'Operation failed: …'", async () => {
    const { connection, simulation } = await autoConnection();
    const channel = await connection.createChannel();
    const log = record(channel);
    const outcome = await channel.checkQueue("missing").then(
      () => "resolved",
      (error: ServerCloseError) => {
        log.push("rejected");
        return error;
      },
    );
    expect(log).toEqual([
      `error 404: Channel closed by server: 404 (NOT-FOUND) with message "NOT_FOUND - no queue 'missing' in vhost '/'"`,
      "close",
      "rejected",
    ]);
    const error = outcome as ServerCloseError;
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toBe(
      `Operation failed: QueueDeclare; 404 (NOT-FOUND) with message "NOT_FOUND - no queue 'missing' in vhost '/'"`,
    );
    expect([error.code, error.classId, error.methodId]).toEqual([404, 50, 10]);
    simulation.close();
  });

  it("get on a missing queue rejects with an Error carrying the close's code and ids (amqplib ≥ 1.0.6)", async () => {
    const { connection, simulation } = await autoConnection();
    const channel = await connection.createChannel();
    channel.on("error", () => undefined);
    const error = (await channel.get("missing").catch((e: unknown) => e)) as ServerCloseError;
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toBe(
      `Operation failed: BasicGet; 404 (NOT-FOUND) with message "NOT_FOUND - no queue 'missing' in vhost '/'"`,
    );
    expect([error.code, error.classId, error.methodId]).toEqual([404, 60, 70]);
    simulation.close();
  });

  it("publish to a missing exchange returns true; the channel closes afterwards; later calls are refused", async () => {
    const { connection, simulation } = await autoConnection();
    const channel = await connection.createChannel();
    const log = record(channel);
    expect(channel.publish("missing", "k", Buffer.from("x"))).toBe(true);
    expect(log).toEqual([]);
    // Before the client learns of the close, sends are accepted (and ignored by the broker).
    expect(channel.publish("missing", "k", Buffer.from("y"))).toBe(true);
    // An RPC issued meanwhile is answered by the close: "Channel closed by server" (not its method).
    const pending = channel.assertQueue("q").catch((error: Error) => error.message);
    const second = channel.assertQueue("q2").catch((error: Error) => error.message);
    await simulation.sleep(1);
    expect(log).toEqual([
      `error 404: Channel closed by server: 404 (NOT-FOUND) with message "NOT_FOUND - no exchange 'missing' in vhost '/'"`,
      "close",
    ]);
    expect(await pending).toBe(
      `Channel closed by server: 404 (NOT-FOUND) with message "NOT_FOUND - no exchange 'missing' in vhost '/'"`,
    );
    expect(await second).toBe("Channel ended, no reply will be forthcoming");
    expect(() => channel.publish("x", "k", Buffer.from("z"))).toThrow(IllegalOperationError);
    expect(() => channel.ack({ fields: { deliveryTag: 1 } } as never)).toThrow("Channel closed");
    const later = await channel.checkQueue("q").catch((error: unknown) => error);
    expect(later).toBeInstanceOf(IllegalOperationError);
    expect((later as Error).message).toBe("Channel closed");
    expect((later as Error).name).toBe(new AmqplibIllegalOperationError("x").name);
    simulation.close();
  });

  it("an unknown delivery tag (406) closes the channel and requeues its other unacked messages", async () => {
    const { connection, simulation } = await autoConnection();
    const admin = await connection.createChannel();
    await admin.assertQueue("q", { durable: false });
    admin.sendToQueue("q", Buffer.from("a"));
    admin.sendToQueue("q", Buffer.from("b"));
    const channel = await connection.createChannel();
    const log = record(channel);
    const a = await channel.get("q");
    const b = await channel.get("q");
    if (!a || !b) throw new Error("messages missing");
    channel.ack(a);
    channel.ack(a);
    await simulation.sleep(1);
    expect(log).toEqual([
      `error 406: Channel closed by server: 406 (PRECONDITION-FAILED) with message "PRECONDITION_FAILED - unknown delivery tag 1"`,
      "close",
    ]);
    const again = await admin.get("q");
    expect(again && [again.content.toString(), again.fields.redelivered]).toEqual(["b", true]);
    simulation.close();
  });

  it("a channel without an 'error' listener takes its connection down, as amqplib does", async () => {
    const { connection, simulation } = await autoConnection();
    const events: string[] = [];
    connection.on("error", (error: Error) => events.push(`connection error: ${error.message}`));
    connection.on("close", (error?: Error) => events.push(`connection close: ${error?.message}`));
    const quiet = await connection.createChannel();
    const other = await connection.createChannel();
    other.on("close", () => events.push("other channel close"));
    quiet.on("close", () => events.push("quiet channel close"));
    await quiet.assertQueue("held", { durable: false });
    quiet.sendToQueue("held", Buffer.from("x"));
    await other.get("held");
    quiet.publish("missing", "k", Buffer.from("x"));
    await simulation.sleep(1);
    const text = `Channel closed by server: 404 (NOT-FOUND) with message "NOT_FOUND - no exchange 'missing' in vhost '/'"`;
    expect(events).toEqual([
      `connection error: ${text}`,
      "quiet channel close",
      "other channel close",
      `connection close: ${text}`,
    ]);
    expect(connection.native.closed).toBe(true);
    // The broker saw the client go: the message `other` held is ready again.
    expect(connection.broker.getQueue("held")!.ready).toBe(1);
    const refused = await connection.createChannel().catch((error: Error) => error.message);
    expect(refused).toBe(`Connection closed (Error: ${text})`);
    simulation.close();
  });

  it("a hard error (unknown exchange type, 503) closes the connection", async () => {
    const { connection, simulation } = await autoConnection();
    const events: string[] = [];
    connection.on("error", (error: Error & { code: number }) =>
      events.push(`error ${error.code}: ${error.message}`),
    );
    connection.on("close", () => events.push("connection close"));
    const channel = await connection.createChannel();
    channel.on("error", () => events.push("channel error (must not happen)"));
    channel.on("close", () => events.push("channel close"));
    const outcome = await channel
      .assertExchange("x", "x-delayed-message")
      .catch((error: Error) => error.message);
    expect(outcome).toBe("Channel ended, no reply will be forthcoming");
    expect(events).toEqual([
      `error 503: Connection closed: 503 (COMMAND-INVALID) with message "COMMAND_INVALID - unknown exchange type 'x-delayed-message'"`,
      "channel close",
      "connection close",
    ]);
    simulation.close();
  });

  it("a consumer callback that throws closes its channel with 541 and requeues", async () => {
    const { connection, simulation } = await autoConnection();
    const channel = await connection.createChannel();
    const log = record(channel);
    await channel.assertQueue("q", { durable: false });
    const boom = new Error("handler bug");
    await channel.consume("q", () => {
      throw boom;
    });
    channel.sendToQueue("q", Buffer.from("x"));
    await simulation.sleep(1);
    expect(log).toEqual(["error 541: handler bug", "close"]);
    expect((boom as Error & { code?: number }).code).toBe(541);
    const queue = connection.broker.getQueue("q")!;
    expect([queue.ready, queue.consumerCount]).toEqual([1, 0]);
    expect(queue.messages()[0]!.redelivered).toBe(true);
    simulation.close();
  });

  it("confirm channels: a nack calls back with 'message nacked' and fails waitForConfirms; close fails the rest", async () => {
    const { connection, simulation } = await autoConnection();
    const channel = await connection.createConfirmChannel();
    await channel.assertQueue("full", { durable: false, maxLength: 1, overflow: "reject-publish" });
    const outcomes: string[] = [];
    const note = (label: string) => (err: Error | null) =>
      outcomes.push(`${label}: ${err ? err.message : "ack"}`);
    channel.sendToQueue("full", Buffer.from("1"), {}, note("1"));
    channel.sendToQueue("full", Buffer.from("2"), {}, note("2"));
    const waited = await channel.waitForConfirms().catch((error: Error) => error.message);
    expect(outcomes).toEqual(["1: ack", "2: message nacked"]);
    expect(waited).toBe("message nacked");
    const acked = await channel.waitForConfirms();
    expect(acked).toEqual([]);
    channel.on("error", () => undefined);
    channel.publish("missing", "k", Buffer.from("3"), {}, note("3"));
    await simulation.sleep(1);
    expect(outcomes).toEqual(["1: ack", "2: message nacked", "3: channel closed"]);
    simulation.close();
  });

  it("client close: 'close' (no 'error') comes before close() resolves; a second close is refused", async () => {
    const { connection, simulation } = await autoConnection();
    const channel = await connection.createChannel();
    const log = record(channel);
    const events: string[] = [];
    connection.on("close", (error?: Error) => events.push(`connection close ${String(error)}`));
    await channel.close();
    expect(log).toEqual(["close"]);
    await expect(channel.close()).rejects.toThrow("Channel closed");
    const other = await connection.createChannel();
    other.on("close", () => events.push("other channel close"));
    const closing = connection.close();
    await expect(connection.close()).rejects.toThrow("Connection closing");
    await closing;
    expect(events).toEqual(["other channel close", "connection close undefined"]);
    await expect(connection.close()).rejects.toThrow("Connection closed (by client)");
    await expect(connection.createChannel()).rejects.toThrow(IllegalOperationError);
    simulation.close();
  });
});

describe("manual mode: a refused operation rejects at once; events follow when driven", () => {
  it("checkQueue on a missing queue", async () => {
    const simulation = new Simulation({ start: 0, seed: 1 });
    const connection = await connect(undefined, { simulation });
    const channel = await connection.createChannel();
    const log = record(channel);
    await expect(channel.checkQueue("missing")).rejects.toMatchObject({
      code: 404,
      message: `Operation failed: QueueDeclare; 404 (NOT-FOUND) with message "NOT_FOUND - no queue 'missing' in vhost '/'"`,
    });
    expect(log).toEqual([]);
    // Calls made before the client saw the close: refused at once too.
    await expect(channel.assertQueue("q")).rejects.toThrow("Channel ended, no reply will be forthcoming");
    await simulation.run();
    expect(log).toEqual([
      `error 404: Channel closed by server: 404 (NOT-FOUND) with message "NOT_FOUND - no queue 'missing' in vhost '/'"`,
      "close",
    ]);
  });

  it("after a refused publish, the first RPC gets the server's close, later ones 'Channel ended'", async () => {
    const simulation = new Simulation({ start: 0, seed: 1 });
    const connection = await connect(undefined, { simulation });
    const channel = await connection.createChannel();
    const log = record(channel);
    channel.publish("missing", "k", Buffer.from("x"));
    const text = `404 (NOT-FOUND) with message "NOT_FOUND - no exchange 'missing' in vhost '/'"`;
    await expect(channel.assertQueue("q")).rejects.toMatchObject({
      message: `Channel closed by server: ${text}`,
      code: 404,
      classId: 60,
      methodId: 40,
    });
    await expect(channel.get("q")).rejects.toThrow("Channel ended, no reply will be forthcoming");
    await simulation.run();
    expect(log).toEqual([`error 404: Channel closed by server: ${text}`, "close"]);
  });

  it("an error nobody listens to, on the channel or the connection, fails the simulation", async () => {
    const simulation = new Simulation({ start: 0, seed: 1 });
    const connection = await connect(undefined, { simulation });
    const channel = await connection.createChannel();
    channel.publish("missing", "k", Buffer.from("x"));
    await expect(simulation.run()).rejects.toThrow(
      `Channel closed by server: 404 (NOT-FOUND) with message "NOT_FOUND - no exchange 'missing' in vhost '/'"`,
    );
    // It still closed everything first, as amqplib closes the socket before the error escapes.
    expect([channel.closed, connection.closed, connection.native.closed]).toEqual([true, true, true]);
  });
});
