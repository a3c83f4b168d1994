import { type Json, type Scenario, sendResults, watermarks } from "../context.js";

/**
 * Offsets reported by `send`: one RecordMetadata per partition written, with the base offset of
 * that partition's batch as a decimal string; acks 1 and acks -1 alike, nothing for acks 0.
 * Also how null-key messages spread (kafkajs: round-robin from a random start, so only the counts
 * per partition are deterministic).
 */
export const sendOffsets: Scenario = {
  name: "send-offsets",
  description: "baseOffset per partition returned by send, acks 0/1/-1, null-key spread",
  async run(ctx) {
    const topic = ctx.name("offsets");
    const roundRobinTopic = ctx.name("round-robin");
    const kafka = ctx.kafka();
    const admin = kafka.admin();
    const producer = kafka.producer();
    await admin.connect();
    await producer.connect();

    const sends: Record<string, Json> = {};
    sends.first = sendResults(
      await producer.send({
        topic,
        messages: [
          { partition: 0, value: "p0-a" },
          { partition: 0, value: "p0-b" },
          { partition: 0, value: "p0-c" },
          { partition: 1, value: "p1-a" },
          { partition: 1, value: "p1-b" },
        ],
      }),
    );
    sends.second = sendResults(
      await producer.send({
        topic,
        messages: [
          { partition: 3, value: "p3-a" },
          { partition: 0, value: "p0-d" },
          { partition: 0, value: "p0-e" },
        ],
      }),
    );
    sends.acksOne = sendResults(
      await producer.send({ topic, acks: 1, messages: [{ partition: 1, value: "p1-c" }] }),
    );
    sends.acksZero = sendResults(
      await producer.send({ topic, acks: 0, messages: [{ partition: 2, value: "p2-a" }] }),
    );
    sends.sendBatch = sendResults(
      await producer.sendBatch({
        topicMessages: [
          { topic, messages: [{ partition: 2, value: "p2-b" }] },
          { topic: roundRobinTopic, messages: [{ partition: 1, value: "rr-explicit" }] },
        ],
      }),
    );

    // acks 0 is fire-and-forget; give the broker a moment before reading watermarks.
    await ctx.sleep(200);
    const offsetsWatermarks = await watermarks(admin, topic);

    const nullKeyResults = await producer.send({
      topic: roundRobinTopic,
      messages: Array.from({ length: 8 }, (_, i) => ({ value: `null-key-${i}` })),
    });
    const rrWatermarks = await watermarks(admin, roundRobinTopic);
    const nullKeyCounts = Object.values(rrWatermarks)
      .map((w) => Number((w as { high: string }).high))
      .sort((a, b) => a - b);

    await producer.disconnect();
    await admin.disconnect();
    return {
      sends,
      watermarks: offsetsWatermarks,
      nullKey: {
        partitionsWritten: nullKeyResults.length,
        // Messages per partition after 1 explicit + 8 null-key messages, sorted ascending.
        sortedHighWatermarks: nullKeyCounts,
      },
    };
  },
};
