import { describe, expect, it } from "vitest";
import { KafkaJSProtocolError, toKafkaJSError } from "../../src/compat/kafkajs/errors.js";
import { LogError } from "../../src/log/errors.js";
import { topicConfigFromEntries } from "../../src/log/topic-config.js";
import { BrokerlabError } from "../../src/scheduler/errors.js";
import { setup } from "./helpers.js";

const code = (c: string) => expect.objectContaining({ code: c });

/** Runs `fn` and returns what it threw (fails when it does not throw). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

const circular: Record<string, unknown> = {};
circular.self = circular;
const HOSTILE: readonly unknown[] = [5n, Symbol("s"), circular];

describe("issue 12 (log): a refusal changes nothing", () => {
  it("pause and resume with one unassigned partition change no partition", () => {
    const { cluster } = setup();
    cluster.createTopic("t", { partitions: 2 });
    const consumer = cluster.consumer({ autoOffsetReset: "earliest" });
    consumer.assign([{ topic: "t", partition: 0 }]);
    const list = [
      { topic: "t", partition: 0 },
      { topic: "t", partition: 1 },
    ];
    expect(() => consumer.pause(list)).toThrow(code("ILLEGAL_STATE"));
    expect(consumer.paused()).toEqual([]);
    consumer.pause([{ topic: "t", partition: 0 }]);
    expect(() => consumer.resume(list)).toThrow(code("ILLEGAL_STATE"));
    expect(consumer.paused()).toEqual([{ topic: "t", partition: 0 }]);
  });

  it("a send refused for an out-of-range partition leaves no auto-created topic", () => {
    const { cluster } = setup({ autoCreateTopics: true, defaultPartitions: 1 });
    const producer = cluster.producer();
    expect(() => producer.send({ topic: "fresh", value: "x", partition: 7 })).toThrow(
      code("INVALID_PARTITION"),
    );
    expect(cluster.listTopics()).toEqual([]);
    // The partition that exists is still accepted, and creates the topic.
    void producer.send({ topic: "fresh", value: "x", partition: 0 });
    expect(cluster.listTopics()).toEqual(["fresh"]);
  });

  it("a send of a value the sizer cannot measure is refused with INVALID_SIZE, no topic created", () => {
    const { cluster } = setup({ autoCreateTopics: true });
    const producer = cluster.producer();
    const error = thrown(() => producer.send({ topic: "fresh", value: { n: 5n } }));
    expect(error).toBeInstanceOf(BrokerlabError);
    expect(error).toEqual(code("INVALID_SIZE"));
    expect(thrown(() => producer.send({ topic: "fresh", value: circular }))).toEqual(code("INVALID_SIZE"));
    expect(cluster.listTopics()).toEqual([]);
  });

  it("a sizer that returns a bad size is refused with INVALID_SIZE, no topic created", () => {
    const { cluster } = setup({ autoCreateTopics: true, sizer: () => Number.NaN });
    expect(() => cluster.producer().send({ topic: "fresh", value: "x" })).toThrow(code("INVALID_SIZE"));
    expect(cluster.listTopics()).toEqual([]);
  });
});

describe("issue 12 (log): coded errors never turn into TypeErrors", () => {
  it.each(HOSTILE.map((v) => [typeof v, v]))(
    "createTopic refuses a %s cleanupPolicy with INVALID_CONFIG",
    (_, bad) => {
      const { cluster } = setup();
      expect(() => cluster.createTopic("x", { config: { cleanupPolicy: bad as "delete" } })).toThrow(
        code("INVALID_CONFIG"),
      );
      expect(() =>
        cluster.createTopic("x", { config: { messageTimestampType: bad as "CreateTime" } }),
      ).toThrow(code("INVALID_CONFIG"));
      expect(cluster.listTopics()).toEqual([]);
    },
  );

  it.each(HOSTILE.map((v) => [typeof v, v]))("topicConfigFromEntries refuses a %s config name", (_, bad) => {
    expect(() => topicConfigFromEntries([{ name: bad as string, value: "1" }])).toThrow(
      code("INVALID_CONFIG"),
    );
  });

  it.each(HOSTILE.map((v) => [typeof v, v]))(
    "deleteRecords refuses a %s offset with a coded error",
    (_, bad) => {
      const { cluster } = setup();
      cluster.createTopic("t");
      const error = thrown(() => cluster.deleteRecords("t", 0, bad as number));
      expect(error).toBeInstanceOf(LogError);
      expect(error).toEqual(code("OFFSET_OUT_OF_RANGE"));
    },
  );

  it.each(HOSTILE.map((v) => [typeof v, v]))(
    "send refuses a %s partition with INVALID_PARTITION",
    (_, bad) => {
      const { cluster } = setup();
      cluster.createTopic("t");
      const error = thrown(() => cluster.producer().send({ topic: "t", value: 1, partition: bad as number }));
      expect(error).toEqual(code("INVALID_PARTITION"));
    },
  );

  it.each(HOSTILE.map((v) => [typeof v, v]))(
    "a custom partitioner returning a %s is refused with a code",
    (_, bad) => {
      const { cluster } = setup();
      cluster.createTopic("t");
      const producer = cluster.producer({ partitioner: () => bad as number });
      expect(() => producer.send({ topic: "t", value: 1 })).toThrow(code("INVALID_PARTITION"));
    },
  );

  it.each(HOSTILE.map((v) => [typeof v, v]))("an unknown %s assignor is refused with a code", (_, bad) => {
    const { cluster } = setup();
    const error = thrown(() =>
      cluster.consumer({ groupId: "g", partitionAssignmentStrategy: [bad as "range"] }),
    );
    expect(error).toBeInstanceOf(BrokerlabError);
  });
});

describe("issue 12 (log): a closed consumer refuses everything", () => {
  type Consumer = ReturnType<ReturnType<typeof setup>["cluster"]["consumer"]>;
  const CALLS: [string, (c: Consumer) => unknown][] = [
    ["pause", (c) => c.pause([{ topic: "t", partition: 0 }])],
    ["resume", (c) => c.resume([{ topic: "t", partition: 0 }])],
    ["committed", (c) => c.committed([{ topic: "t", partition: 0 }])],
    ["position", (c) => c.position({ topic: "t", partition: 0 })],
    ["endOffsets", (c) => c.endOffsets([{ topic: "t", partition: 0 }])],
    ["beginningOffsets", (c) => c.beginningOffsets([{ topic: "t", partition: 0 }])],
    ["currentLag", (c) => c.currentLag({ topic: "t", partition: 0 })],
  ];
  it.each(CALLS)("%s after close throws CONSUMER_CLOSED", async (_, call) => {
    const { sim, cluster } = setup();
    cluster.createTopic("t");
    const consumer = cluster.consumer({ groupId: "g", autoOffsetReset: "earliest" });
    consumer.assign([{ topic: "t", partition: 0 }]);
    const closing = consumer.close();
    await sim.run();
    await closing;
    expect(() => call(consumer)).toThrow(code("CONSUMER_CLOSED"));
  });
});

describe("issue 12 (log): maxRequestSize is enforced", () => {
  it("a 3 MB record is refused with MESSAGE_TOO_LARGE (Kafka code 10) and nothing is stored", async () => {
    const { sim, cluster } = setup({ autoCreateTopics: true });
    cluster.createTopic("t");
    const producer = cluster.producer();
    const error = thrown(() => producer.send({ topic: "t", value: new Uint8Array(3 * 1024 * 1024) }));
    expect(error).toBeInstanceOf(LogError);
    expect(error).toEqual(code("MESSAGE_TOO_LARGE"));
    expect((error as LogError).kafkaName).toBe("MESSAGE_TOO_LARGE");
    expect(() => producer.send({ topic: "fresh", value: "x".repeat(1_048_577) })).toThrow(
      code("MESSAGE_TOO_LARGE"),
    );
    expect(cluster.listTopics()).toEqual(["t"]);
    await sim.run();
    expect(cluster.partition("t", 0).logEndOffset).toBe(0);
  });

  it("a record of exactly maxRequestSize bytes is accepted; the limit follows the option", async () => {
    const { sim, cluster } = setup();
    cluster.createTopic("t");
    const producer = cluster.producer({ maxRequestSize: 100 });
    expect(() => producer.send({ topic: "t", value: new Uint8Array(101) })).toThrow(
      code("MESSAGE_TOO_LARGE"),
    );
    const ack = producer.send({ topic: "t", value: new Uint8Array(100) });
    await sim.run();
    expect((await ack).offset).toBe(0);
  });

  it("no batch grows beyond maxRequestSize even when batchSize is larger", async () => {
    const { sim, cluster } = setup();
    cluster.createTopic("t");
    const producer = cluster.producer({ maxRequestSize: 100, batchSize: 1000, lingerMs: 10 });
    const counts: number[] = [];
    sim.bus.on("producer.request", (e) => {
      for (const b of e.batches) counts.push(b.count);
    });
    const acks = Array.from({ length: 5 }, () => producer.send({ topic: "t", value: new Uint8Array(60) }));
    await sim.run();
    await Promise.all(acks);
    expect(cluster.partition("t", 0).logEndOffset).toBe(5);
    // 60-byte records: two would make a 120-byte batch, over the 100-byte request limit.
    expect(counts).toEqual([1, 1, 1, 1, 1]);
  });

  it("the kafkajs mapping turns the native MESSAGE_TOO_LARGE into KafkaJSProtocolError (code 10)", () => {
    const { cluster } = setup();
    cluster.createTopic("t");
    const native = thrown(() =>
      cluster.producer().send({ topic: "t", value: new Uint8Array(3 * 1024 * 1024) }),
    );
    const mapped = toKafkaJSError(native);
    expect(mapped).toBeInstanceOf(KafkaJSProtocolError);
    expect(mapped).toEqual(
      expect.objectContaining({ type: "MESSAGE_TOO_LARGE", code: 10, retriable: false }),
    );
  });
});
