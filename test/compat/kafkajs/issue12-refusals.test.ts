/**
 * Issue 12, defect 3 (kafkajs facade part): calls whose bad input broke the facade itself with a
 * TypeError — `consumer.seek(undefined)`, `admin.setOffsets(undefined)`, and error messages that
 * printed a received value with `JSON.stringify` (a BigInt or circular value) — are refused as the
 * facade's other bad input is: a `KafkaJSNonRetriableError` with a `brokerlabCode`, nothing changed.
 */
import { describe, expect, it } from "vitest";
import { Kafka, KafkaJSError, KafkaJSNonRetriableError } from "../../../src/compat/kafkajs/index.js";
import { quietKafka, refusal } from "./helpers.js";

const circular: Record<string, unknown> = { name: 5 };
circular.self = circular;
const hostile: unknown[] = [undefined, null, 5, 5n, Symbol("s"), "t", Object.create(null)];

describe("kafkajs facade: issue 12 refusals", () => {
  it("consumer.seek of a non-object is a coded refusal, not a TypeError", async () => {
    const kafka = quietKafka();
    const consumer = kafka.consumer({ groupId: "g" });
    for (const value of hostile) {
      const error = await refusal(() => consumer.seek(value as never));
      expect(error.brokerlabCode).toBe("INVALID_ARGUMENT");
      if (value === undefined)
        expect(error.message).toBe(
          "consumer.seek: expected { topic, partition, offset }, received undefined",
        );
    }
    // Fields that cannot be printed with String() are described instead.
    await refusal(() => consumer.seek({ topic: "t", partition: Object.create(null), offset: "0" } as never));
    await refusal(() => consumer.seek({ topic: "t", partition: 0, offset: Object.create(null) } as never));
    kafka.simulation.close();
  });

  it("admin.setOffsets of a non-object is a coded refusal and changes nothing", async () => {
    const kafka = quietKafka();
    const admin = kafka.admin();
    await admin.createTopics({ topics: [{ topic: "t" }] });
    for (const value of hostile) {
      const error = await refusal(() => admin.setOffsets(value as never));
      // An object without fields is refused for its missing groupId.
      expect(error.brokerlabCode).toBe(
        typeof value === "object" && value !== null ? "INVALID_GROUP_ID" : "INVALID_ARGUMENT",
      );
    }
    expect((await refusal(() => admin.setOffsets(undefined as never))).message).toBe(
      "admin.setOffsets: expected { groupId, topic, partitions }, received undefined",
    );
    expect(
      (
        await refusal(() =>
          admin.setOffsets({ groupId: Object.create(null), topic: "t", partitions: [] } as never),
        )
      ).brokerlabCode,
    ).toBe("INVALID_GROUP_ID");
    await refusal(() =>
      admin.setOffsets({
        groupId: "g",
        topic: "t",
        partitions: [{ partition: Object.create(null), offset: "0" }],
      } as never),
    );
    expect(kafka.cluster.listGroups()).toEqual([]);
    kafka.simulation.close();
  });

  it("messages that printed a value with JSON.stringify survive BigInt and circular values", async () => {
    const kafka = quietKafka();
    const admin = kafka.admin();
    const groups = await refusal(() => admin.deleteGroups(["g", 5n] as never));
    expect(groups.message).toBe("Invalid groupId name: an array");
    expect((await refusal(() => admin.deleteGroups(["g", 5] as never))).message).toBe(
      'Invalid groupId name: ["g",5]',
    );
    await refusal(() => admin.describeConfigs({ resources: [{ type: 99, name: "t", n: 5n }] } as never));
    await refusal(() => admin.describeConfigs({ resources: [circular] } as never));
    const producer = kafka.producer();
    await producer.connect();
    const sent = await refusal(() => producer.send({ topic: "t", messages: [{ key: 5n } as never] }));
    expect(sent.message).toBe('Invalid message without value for topic "t": an object');
    await refusal(() => producer.send({ topic: "t", messages: [circular as never] }));
    // A topic that is not a string reaches the unknown-topic error without a TypeError.
    const missing = await admin.fetchTopicMetadata({ topics: [5n as never] }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(KafkaJSError);
    await producer.disconnect();
    kafka.simulation.close();
    expect(() => new Kafka({ brokers: ["b:x"] })).toThrow(KafkaJSNonRetriableError);
  });
});
