import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  defaultSimulation as amqplibDefault,
  resetDefaultSimulation as amqplibReset,
  connect,
} from "../../../src/compat/amqplib/index.js";
import {
  defaultSimulation,
  Kafka,
  logLevel,
  resetDefaultSimulation,
} from "../../../src/compat/kafkajs/index.js";
import { Simulation } from "../../../src/scheduler/simulation.js";
import { collectOrders } from "./fixtures/order-consumer.js";
import { publishOrders } from "./fixtures/order-producer.js";

/**
 * One default simulation per process: every `new Kafka()` without `simulation` — in whichever
 * module — meets the same cluster, as kafkajs clients meet the same brokers; amqplib's `connect()`
 * lives on the same simulation. This file uses the setup recipe of docs/kafkajs.md.
 */

const quiet = (clientId: string) =>
  new Kafka({ clientId, brokers: ["kafka:9092"], logLevel: logLevel.NOTHING });

beforeEach(() => {
  resetDefaultSimulation();
});
afterEach(() => {
  resetDefaultSimulation()?.close();
});

describe("the default simulation of brokerlab/kafkajs", () => {
  it("a producer module and a consumer module, each with its own new Kafka(), exchange all 2050 messages", async () => {
    const received = collectOrders("orders", 2050);
    await publishOrders("orders", 2050);
    const values = await received;
    expect(values).toHaveLength(2050);
    // One partition (num.partitions 1): kafkajs delivers them in the order they were sent.
    expect(values).toEqual(Array.from({ length: 2050 }, (_, i) => `order-${i}`));
    const sim = defaultSimulation();
    expect(sim.drive).toBe("auto");
    // The cluster the modules met holds exactly what the producer module sent.
    const check = quiet("check").admin();
    await check.connect();
    const [offsets] = await check.fetchTopicOffsets("orders");
    expect(offsets?.high).toBe("2050");
    await check.disconnect();
  });

  it("every Kafka without simulation or cluster shares one simulation and one cluster", () => {
    const a = quiet("a");
    const b = quiet("b");
    expect(a.simulation).toBe(defaultSimulation());
    expect(b.simulation).toBe(a.simulation);
    expect(b.cluster).toBe(a.cluster);
  });

  it("is the same simulation amqplib's connect() uses: one clock for both facades", async () => {
    expect(amqplibDefault).not.toBe(defaultSimulation); // two entry points …
    const kafka = quiet("both");
    const connection = await connect("amqp://localhost");
    expect(connection.simulation).toBe(kafka.simulation); // … one simulation
    expect(amqplibDefault()).toBe(defaultSimulation());
    await connection.close();
    // Either facade's reset starts a fresh default for both.
    const old = amqplibReset();
    expect(old).toBe(kafka.simulation);
    expect(quiet("after").simulation).not.toBe(old);
    old?.close();
  });

  it("resetDefaultSimulation: new clients start on an empty cluster, open clients keep working on the old one", async () => {
    const before = quiet("before");
    const producer = before.producer();
    await producer.connect();
    await producer.send({ topic: "old-topic", messages: [{ value: "1" }] });

    const old = resetDefaultSimulation();
    expect(old).toBe(before.simulation);
    expect(old?.isClosed).toBe(false);

    const after = quiet("after");
    expect(after.simulation).not.toBe(old);
    expect(after.cluster.hasTopic("old-topic")).toBe(false);
    expect(after.simulation.now).toBeLessThanOrEqual(old!.now); // a fresh clock

    // The producer opened before the reset still reaches its (old) cluster.
    await producer.send({ topic: "old-topic", messages: [{ value: "2" }] });
    expect(before.cluster.partition("old-topic", 0).highWatermark).toBe(2);
    expect(after.cluster.hasTopic("old-topic")).toBe(false);
    await producer.disconnect();
    old?.close();
  });

  it("returns null when no default was created, and replaces a closed default", () => {
    expect(resetDefaultSimulation()).toBeNull();
    const first = defaultSimulation();
    expect(defaultSimulation()).toBe(first);
    first.close();
    const second = defaultSimulation();
    expect(second).not.toBe(first);
    expect(second.isClosed).toBe(false);
  });

  it("leaves explicit simulations and explicit cluster options alone", () => {
    const sim = new Simulation({ start: 0 });
    const own = new Kafka({ brokers: ["k:9092"], simulation: sim, logLevel: logLevel.NOTHING });
    expect(own.simulation).toBe(sim);
    expect(own.cluster).not.toBe(quiet("default").cluster);
    // Cluster options ask for a cluster of one's own, on the default simulation.
    const custom = new Kafka({
      brokers: ["k:9092"],
      cluster: { defaultPartitions: 4 },
      logLevel: logLevel.NOTHING,
    });
    expect(custom.simulation).toBe(defaultSimulation());
    expect(custom.cluster).not.toBe(quiet("default").cluster);
  });
});
