import { describe, expect, it } from "vitest";
import { Kafka, logLevel } from "../../../src/compat/kafkajs/index.js";
import { quietKafka, refusal } from "./helpers.js";

describe("kafkajs facade: bad input gets kafkajs' error, brokerlab's code, and changes nothing", () => {
  it("Kafka config", async () => {
    expect((await refusal(() => new Kafka({ brokers: [] }))).message).toBe(
      "Failed to connect: expected brokers array and got nothing",
    );
    expect(
      (await refusal(() => new Kafka({ brokers: ["b:9092"], sessionTimeout: 1 } as never))).brokerlabCode,
    ).toBe("UNKNOWN_OPTION");
    await refusal(() => new Kafka({ brokers: ["b:9092"], logLevel: 3 as never }));
    await refusal(() => new Kafka({ brokers: ["b:9092"], sasl: { mechanism: "kerberos" } }));
    await refusal(() => new Kafka({ brokers: ["b:abc"] }));
    // Connection-only options are accepted (and have nothing to do in a simulation).
    const kafka = new Kafka({
      brokers: ["b:9092"],
      ssl: true,
      sasl: { mechanism: "plain", username: "u", password: "p" },
      connectionTimeout: 3000,
      logLevel: logLevel.NOTHING,
    });
    expect(kafka.cluster.options.autoCreateTopics).toBe(true);
    kafka.simulation.close();
  });

  it("producer and send", async () => {
    const kafka = quietKafka();
    await refusal(() => kafka.producer({ idempotent: true, retry: { retries: 0 } }));
    await refusal(() => kafka.producer({ transactionalId: "" }));
    expect((await refusal(() => kafka.producer({ lingerMs: 5 } as never))).brokerlabCode).toBe(
      "UNKNOWN_OPTION",
    );
    const producer = kafka.producer();
    await producer.connect();
    expect((await refusal(() => producer.send({ topic: "", messages: [] }))).message).toBe("Invalid topic");
    expect(
      (await refusal(() => producer.send({ topic: "t", messages: [{ key: "k" } as never] }))).message,
    ).toContain('Invalid message without value for topic "t"');
    await refusal(() => producer.send({ topic: "t", messages: null as never }));
    await refusal(() => producer.send({ topic: "t", compression: 9, messages: [{ value: "x" }] }));
    await refusal(() => producer.send({ topic: "t", messages: [{ value: "x", headers: { h: undefined } }] }));
    await refusal(() => producer.send({ topic: "t", messages: [{ value: "x", timestamp: "soon" }] }));
    const idem = kafka.producer({ idempotent: true });
    await idem.connect();
    await refusal(() => idem.send({ topic: "t", acks: 1, messages: [{ value: "x" }] }));
    await expect(producer.send({ topic: "bad/name", messages: [{ value: "x" }] })).rejects.toMatchObject({
      type: "INVALID_TOPIC_EXCEPTION",
      brokerlabCode: "INVALID_TOPIC_NAME",
    });
    expect(kafka.cluster.listTopics()).toEqual([]); // nothing was created or written
    kafka.simulation.close();
  });

  it("consumer, subscribe, run, seek, commitOffsets, pause", async () => {
    const kafka = quietKafka();
    await refusal(() => kafka.consumer({} as never));
    await refusal(() => kafka.consumer({ groupId: "g", heartbeatInterval: 5000, sessionTimeout: 5000 }));
    await refusal(() => kafka.consumer({ groupId: "g", maxWaitTimeInMs: -1 }));
    const custom = () => ({}) as never;
    // A factory that returns no assigner ({ name, version, protocol, assign }) is refused.
    expect(
      (await refusal(() => kafka.consumer({ groupId: "g", partitionAssigners: [custom] }))).brokerlabCode,
    ).toBe("INVALID_ARGUMENT");
    const consumer = kafka.consumer({ groupId: "g" });
    await refusal(() => consumer.subscribe({} as never));
    await refusal(() => consumer.subscribe({ topics: "t" as never }));
    await refusal(() => consumer.subscribe({ topics: [42 as never] }));
    await refusal(() => consumer.run({ eachMessage: async () => {} })); // nothing subscribed
    expect((await refusal(() => consumer.seek({ topic: "t", partition: 0, offset: "1" }))).message).toBe(
      "Consumer group was not initialized, consumer#run must be called first",
    );
    await refusal(() => consumer.commitOffsets([{ topic: "t", partition: 0, offset: "1" }]));
    await refusal(() => consumer.pause([{ topic: "t" }]));
    await consumer.subscribe({ topic: "t" });
    await refusal(() => consumer.run({} as never)); // no handler
    await refusal(() => consumer.run({ eachMessage: async () => {}, partitionsConsumedConcurrently: 0 }));
    const running = consumer.run({ eachMessage: async () => {} });
    await refusal(() => consumer.subscribe({ topic: "u" }));
    await refusal(() => consumer.seek({ topic: "t", partition: 0, offset: "-5" }));
    await refusal(() => consumer.seek({ topic: "t", partition: 0, offset: "ten" }));
    await refusal(() => consumer.commitOffsets([{ topic: "t", partition: 0, offset: "-1" }]));
    await refusal(() => consumer.pause([{ topic: "t", partitions: ["x" as never] }]));
    await refusal(() => consumer.on("consumer.nope" as never, () => {}));
    await running;
    await consumer.disconnect();
    kafka.simulation.close();
  });

  it("admin", async () => {
    const kafka = quietKafka();
    const admin = kafka.admin();
    await refusal(() => admin.createTopics({ topics: "t" as never }));
    await refusal(() => admin.createTopics({ topics: [{ topic: "a" }, { topic: "a" }] }));
    await refusal(() =>
      admin.createTopics({ topics: [{ topic: "a", configEntries: [{ name: "retention.ms" } as never] }] }),
    );
    await refusal(() => admin.deleteTopics({ topics: [1 as never] }));
    await refusal(() => admin.fetchTopicOffsets(""));
    await refusal(() => admin.fetchOffsets({ groupId: "" }));
    await refusal(() => admin.createPartitions({ topicPartitions: [] }));
    await refusal(() => admin.deleteGroups("g" as never));
    expect(kafka.cluster.listTopics()).toEqual([]);
    kafka.simulation.close();
  });
});
