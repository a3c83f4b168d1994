import { describe, expect, it } from "vitest";
import {
  KafkaJSError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  Partitioners,
} from "../../../src/compat/kafkajs/index.js";
import { quietKafka } from "./helpers.js";

describe("kafkajs producer", () => {
  it("a lost produce response duplicates a plain producer's send, not an idempotent one's", async () => {
    for (const idempotent of [false, true]) {
      const kafka = quietKafka({ requestTimeout: 1000 });
      const sim = kafka.simulation;
      let produceRequests = 0;
      kafka.cluster.network.setFaultHook((r) =>
        r.kind === "produce" && produceRequests++ === 0 ? "drop-response" : undefined,
      );
      const producer = kafka.producer({ idempotent });
      await producer.connect();
      const started = sim.now;
      const [meta] = await producer.send({ topic: "pay", messages: [{ key: "order-1", value: "charge" }] });
      expect(sim.now - started).toBeGreaterThanOrEqual(1000); // waited out the request timeout
      const offsets = await kafka.admin().fetchTopicOffsets("pay");
      expect(offsets[0]!.high).toBe(idempotent ? "1" : "2");
      expect(meta!.baseOffset).toBe(idempotent ? "0" : "1");
      sim.close();
    }
  });

  it("acks 0 resolves to no metadata; acks 1 and -1 to one entry per partition, partitions ascending", async () => {
    const kafka = quietKafka({ cluster: { defaultPartitions: 3 } });
    const producer = kafka.producer();
    await producer.connect();
    expect(await producer.send({ topic: "t", acks: 0, messages: [{ value: "x" }] })).toEqual([]);
    const metas = await producer.send({
      topic: "t",
      acks: 1,
      messages: [
        { partition: 2, value: "a" },
        { partition: 0, value: "b" },
        { partition: 2, value: "c" },
      ],
    });
    expect(metas.map((m) => [m.partition, m.baseOffset])).toEqual([
      [0, expect.any(String)],
      [2, expect.any(String)],
    ]);
    kafka.simulation.close();
  });

  it("a missing topic without auto-creation is retried, then fails with kafkajs' error and brokerlab's code", async () => {
    const kafka = quietKafka({ retry: { retries: 2, initialRetryTime: 100 } });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const error = await producer.send({ topic: "nope", messages: [{ value: "x" }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KafkaJSNumberOfRetriesExceeded);
    const e = error as KafkaJSNumberOfRetriesExceeded;
    expect(e.retryCount).toBe(2);
    expect(e.cause).toBeInstanceOf(KafkaJSProtocolError);
    expect((e.cause as KafkaJSProtocolError).type).toBe("UNKNOWN_TOPIC_OR_PARTITION");
    expect((e.cause as KafkaJSProtocolError).code).toBe(3);
    expect(e.brokerlabCode).toBe("UNKNOWN_TOPIC_OR_PARTITION");
    expect(kafka.cluster.hasTopic("nope")).toBe(false);
    kafka.simulation.close();
  });

  it("a topic created while the send retries is written to", async () => {
    const kafka = quietKafka({ retry: { retries: 5, initialRetryTime: 100 } });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    kafka.simulation.after(150, () => kafka.cluster.createTopic("late"));
    const [meta] = await producer.send({ topic: "late", messages: [{ value: "x" }] });
    expect(meta!.baseOffset).toBe("0");
    kafka.simulation.close();
  });

  it("refuses sends before connect and after disconnect, as kafkajs does", async () => {
    const kafka = quietKafka();
    const producer = kafka.producer();
    await expect(producer.send({ topic: "t", messages: [{ value: "x" }] })).rejects.toThrow(
      "The producer is disconnected",
    );
    await producer.connect();
    await producer.disconnect();
    const e = await producer.send({ topic: "t", messages: [{ value: "x" }] }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(KafkaJSError);
    expect((e as KafkaJSError).retriable).toBe(true);
    kafka.simulation.close();
  });

  it("transactions go through the native transaction API (more in transactions.test.ts)", async () => {
    const kafka = quietKafka();
    await expect(kafka.producer().transaction()).rejects.toThrow("Must provide transactional id");
    const producer = kafka.producer({ transactionalId: "tx-1", idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const tx = await producer.transaction();
    const [meta] = await tx.send({ topic: "t", messages: [{ value: "x" }] });
    expect(meta).toMatchObject({ topicName: "t", partition: 0, baseOffset: "0", errorCode: 0 });
    await tx.commit();
    expect(tx.isActive()).toBe(false);
    const offsets = await kafka.admin().fetchTopicOffsets("t");
    expect(offsets[0]!.high).toBe("2"); // the record and its commit marker
    kafka.simulation.close();
  });

  it("custom partitioners get kafkajs' arguments; LegacyPartitioner hashes differently from the default", async () => {
    const kafka = quietKafka({ cluster: { defaultPartitions: 10 } });
    const calls: unknown[] = [];
    const producer = kafka.producer({
      createPartitioner: () => (args) => {
        calls.push({ topic: args.topic, partitions: args.partitionMetadata.length, key: args.message.key });
        return 7;
      },
    });
    await producer.connect();
    const [meta] = await producer.send({ topic: "p", messages: [{ key: "k", value: "v" }] });
    expect(meta!.partition).toBe(7);
    expect(calls).toEqual([{ topic: "p", partitions: 10, key: "k" }]);
    const metadata = (await kafka.admin().fetchTopicMetadata({ topics: ["p"] })).topics[0]!.partitions;
    const message = { key: "foobar", value: "x" };
    const java = Partitioners.DefaultPartitioner()({ topic: "p", partitionMetadata: metadata, message });
    const legacy = Partitioners.LegacyPartitioner()({ topic: "p", partitionMetadata: metadata, message });
    expect(java).toBe(6); // (murmur2("foobar") & 0x7fffffff) % 10, from Kafka's vector -790332482
    expect(legacy).not.toBe(java);
    kafka.simulation.close();
  });

  it("keys move to added partitions only after the producer's metadata is refreshed (metadataMaxAge)", async () => {
    const kafka = quietKafka({ cluster: { defaultPartitions: 1 } });
    const sim = kafka.simulation;
    const producer = kafka.producer({ metadataMaxAge: 10_000 });
    await producer.connect();
    const keys = Array.from({ length: 20 }, (_, i) => `k${i}`);
    const partitionsOf = async () =>
      new Set(
        (await producer.send({ topic: "m", messages: keys.map((key) => ({ key, value: "v" })) })).map(
          (r) => r.partition,
        ),
      );
    expect(await partitionsOf()).toEqual(new Set([0]));
    await kafka.admin().createPartitions({ topicPartitions: [{ topic: "m", count: 4 }] });
    expect(await partitionsOf()).toEqual(new Set([0])); // stale metadata: still one partition
    await sim.sleep(10_000);
    expect(await partitionsOf()).toEqual(new Set([0, 1, 2, 3]));
    sim.close();
  });
});
