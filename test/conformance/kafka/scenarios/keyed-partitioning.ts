import type { Json, Scenario } from "../context.js";

/** Keys with known Java murmur2 hashes (Kafka's own test vectors). */
const KAFKA_VECTOR_KEYS = [
  "21",
  "foobar",
  "a-little-bit-long-string",
  "a-little-bit-longer-string",
  "lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8",
  "abc",
];
/** Edge cases: empty key, multi-byte UTF-8, lengths 1..5 for every tail length of murmur2. */
const EDGE_KEYS = ["", "a", "ab", "abcd", "abcde", "ключ", "键", "🙂", "key with spaces"];
const GENERATED_KEY_COUNT = 100;

/**
 * Which partition kafkajs' DefaultPartitioner (Java-compatible murmur2) picks for many keys on an
 * auto-created topic, seen through the partition each single-message send reports.
 */
export const keyedPartitioning: Scenario = {
  name: "keyed-partitioning",
  description: "partition chosen for keyed messages by the default partitioner",
  async run(ctx) {
    const topic = ctx.name("keyed");
    const kafka = ctx.kafka();
    const admin = kafka.admin();
    const producer = kafka.producer();
    await admin.connect();
    await producer.connect();

    const keys = [
      ...KAFKA_VECTOR_KEYS,
      ...EDGE_KEYS,
      ...Array.from({ length: GENERATED_KEY_COUNT }, (_, i) => `key-${i}`),
    ];
    const partitionOfKey: Record<string, Json> = {};
    const countByPartition: Record<string, number> = {};
    for (const key of keys) {
      const [result] = await producer.send({ topic, messages: [{ key, value: `value-of-${key}` }] });
      if (!result) throw new Error(`send for key ${JSON.stringify(key)} returned no metadata`);
      partitionOfKey[key] = result.partition;
      countByPartition[String(result.partition)] = (countByPartition[String(result.partition)] ?? 0) + 1;
    }
    // A binary key: kafkajs hashes the Buffer's bytes as they are.
    const [binary] = await producer.send({
      topic,
      messages: [{ key: Buffer.from([0xff, 0x00, 0x80, 0x7f, 0x01]), value: "binary" }],
    });

    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    const partitionCount = metadata.topics[0]?.partitions.length ?? 0;
    await producer.disconnect();
    await admin.disconnect();
    return {
      partitionCount,
      partitionOfKey,
      partitionOfBinaryKey: binary?.partition ?? null,
      countByPartition,
    };
  },
};
