/**
 * The facade on a manually driven simulation: operations that await a reply resolve at once;
 * deliveries, returns, confirms and closes wait until the test drives virtual time.
 */
import { describe, expect, it } from "vitest";
import {
  accessControlFor,
  brokerFor,
  type ConsumeMessage,
  connect,
} from "../../../src/compat/amqplib/index.js";
import { AmqpBroker } from "../../../src/exchange/broker.js";
import { Simulation } from "../../../src/scheduler/simulation.js";

describe("manual drive mode", () => {
  it("nothing is delivered until the test drives the simulation", async () => {
    const sim = new Simulation({ start: 0, seed: 9 });
    const connection = await connect("amqp://localhost", { simulation: sim });
    expect(connection.simulation).toBe(sim);
    expect(connection.broker).toBe(brokerFor(sim));
    expect(connection.setMaxListeners(0).getMaxListeners()).toBe(0); // Node EventEmitter methods apps call
    const channel = await connection.createChannel();
    await channel.assertQueue("jobs", { durable: false });
    const seen: string[] = [];
    await channel.consume("jobs", (msg) => {
      if (!msg) return;
      seen.push(`${msg.content.toString()}@${sim.now}`);
      channel.ack(msg);
    });
    channel.sendToQueue("jobs", Buffer.from("a"));
    channel.sendToQueue("jobs", Buffer.from("b"));
    expect(seen).toEqual([]);
    await sim.run();
    expect(seen).toEqual(["a@0", "b@0"]);
    expect(connection.broker.stats()).toMatchObject({ acked: 2, ready: 0, unacked: 0 });
  });

  it("async consumers take virtual time; prefetch 1 serialises them", async () => {
    const sim = new Simulation({ start: 0, seed: 9 });
    const connection = await connect(undefined, { simulation: sim });
    const channel = await connection.createChannel();
    await channel.assertQueue("slow", { durable: false });
    await channel.prefetch(1);
    const finished: string[] = [];
    await channel.consume("slow", async (msg: ConsumeMessage | null) => {
      if (!msg) return;
      await sim.sleep(250); // 250 ms of virtual work
      finished.push(`${msg.content.toString()}@${sim.now}`);
      channel.ack(msg);
    });
    for (const body of ["1", "2", "3"]) channel.sendToQueue("slow", Buffer.from(body));
    await sim.run();
    expect(finished).toEqual(["1@250", "2@500", "3@750"]);
  });

  it("TTLs expire in virtual time; confirms arrive when driven", async () => {
    const sim = new Simulation({ start: 0, seed: 9 });
    const connection = await connect(undefined, { simulation: sim });
    const channel = await connection.createConfirmChannel();
    await channel.assertQueue("ttl", { durable: false, messageTtl: 1000 });
    const acks: number[] = [];
    channel.on("ack", ({ deliveryTag }: { deliveryTag: number }) => acks.push(deliveryTag));
    channel.sendToQueue("ttl", Buffer.from("x"));
    const confirmed = channel.waitForConfirms();
    expect(acks).toEqual([]);
    await sim.runFor(999);
    expect(acks).toEqual([1]);
    await confirmed;
    expect((await channel.checkQueue("ttl")).messageCount).toBe(1);
    await sim.runFor(1);
    expect((await channel.checkQueue("ttl")).messageCount).toBe(0);
  });

  it("deleting a queue cancels its consumers: the callback gets null, then 'cancel' is emitted", async () => {
    const sim = new Simulation({ start: 0, seed: 9 });
    const connection = await connect(undefined, { simulation: sim });
    const consumerChannel = await connection.createChannel();
    const admin = await connection.createChannel();
    await admin.assertQueue("doomed", { durable: false });
    const events: string[] = [];
    const { consumerTag } = await consumerChannel.consume("doomed", (msg) => {
      events.push(msg === null ? "callback(null)" : `callback(${msg.content.toString()})`);
    });
    consumerChannel.on("cancel", (fields: { consumerTag: string }) =>
      events.push(`cancel ${fields.consumerTag === consumerTag}`),
    );
    admin.sendToQueue("doomed", Buffer.from("last"));
    expect(await admin.deleteQueue("doomed")).toEqual({ messageCount: 0 });
    await sim.run();
    expect(events).toEqual(["callback(last)", "callback(null)", "cancel true"]);
    expect(consumerChannel.closed).toBe(false);
  });

  it("native API and facade share one broker", async () => {
    const sim = new Simulation({ start: 0, seed: 9 });
    const broker = new AmqpBroker(sim);
    broker.exchange("orders", "topic");
    broker.queue("eu");
    broker.bind("eu", "orders", "eu.#");
    const connection = await connect("amqp://localhost", { broker });
    expect(connection.simulation).toBe(sim);
    // Later connections to the same simulation find the broker given first.
    const other = await connect("amqp://localhost", { simulation: sim });
    expect(other.broker).toBe(broker);
    const channel = await connection.createChannel();
    channel.publish("orders", "eu.created", Buffer.from(JSON.stringify({ id: 1 })), {
      contentType: "application/json",
    });
    const delivery = broker.connect().channel().get("eu");
    expect(new TextDecoder().decode(delivery!.content as Uint8Array)).toBe('{"id":1}');
    expect(delivery!.properties.contentType).toBe("application/json");
  });

  it("each virtual host is its own broker; the URL's user is the connection's user", async () => {
    const sim = new Simulation({ start: 0, seed: 9 });
    const access = accessControlFor(sim);
    for (const vhost of ["team-a", "team-b"]) access.addVhost(vhost);
    access.addUser("alice", "pw");
    access.setPermissions("alice", "team-a", { configure: ".*", write: ".*", read: ".*" });
    access.setPermissions("guest", "team-b", { configure: ".*", write: ".*", read: ".*" });
    const a = await connect("amqp://alice:pw@localhost/team-a", { simulation: sim });
    const b = await connect({ hostname: "localhost", vhost: "team-b" }, { simulation: sim });
    const root = await connect("amqp://localhost/%2f", { simulation: sim });
    expect(a.broker).not.toBe(b.broker);
    expect(root.broker).toBe(brokerFor(sim, "/"));
    expect(a.native.user).toBe("alice");
    expect(b.native.user).toBe("guest");
    const channel = await a.createChannel();
    await channel.assertQueue("q", { durable: false });
    channel.sendToQueue("q", Buffer.from("x"), { userId: "alice" });
    channel.on("error", () => undefined);
    channel.sendToQueue("q", Buffer.from("x"), { userId: "mallory" }); // 406 on RabbitMQ too
    await sim.run();
    expect(channel.closed).toBe(true);
    expect(a.broker.getQueue("q")!.ready).toBe(1);
  });
});
