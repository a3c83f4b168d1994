import { byPartition, committedOffsets, type Scenario, startConsumer } from "../context.js";

const BASE_TIMESTAMP = 1_700_000_000_000;

/**
 * A new group with `fromBeginning: true` reads everything already in the log: keys, values, null
 * values, headers (including a repeated header) and producer-set timestamps round-trip; order is
 * kept within each partition. With autoCommit on, leaving commits the next offset to read.
 */
export const consumeFromBeginning: Scenario = {
  name: "consume-from-beginning",
  description: "new group, fromBeginning true: reads the existing log, per-partition order",
  async run(ctx) {
    const topic = ctx.name("from-beginning");
    const groupId = ctx.name("group-from-beginning");
    const kafka = ctx.kafka();
    const admin = kafka.admin();
    const producer = kafka.producer();
    await admin.connect();
    await producer.connect();

    const timestamp = (i: number) => String(BASE_TIMESTAMP + i * 1000);
    await producer.send({
      topic,
      messages: [
        { partition: 0, key: "a", value: "a-1", timestamp: timestamp(0) },
        { partition: 1, key: "b", value: "b-1", timestamp: timestamp(1) },
        { partition: 0, key: "a", value: "a-2", timestamp: timestamp(2) },
        { partition: 2, key: "c", value: "c-1", timestamp: timestamp(3), headers: { trace: "t-1" } },
        { partition: 0, key: "a", value: null, timestamp: timestamp(4) },
        { partition: 3, key: null, value: "no-key", timestamp: timestamp(5) },
      ],
    });
    await producer.send({
      topic,
      messages: [
        {
          partition: 1,
          key: "b",
          value: "b-2",
          timestamp: timestamp(6),
          headers: { trace: "t-2", kind: "x" },
        },
        { partition: 2, key: "c", value: "c-2", timestamp: timestamp(7), headers: { tag: ["one", "two"] } },
        { partition: 0, key: "a", value: "a-3", timestamp: timestamp(8) },
      ],
    });

    const consumer = await startConsumer(ctx, kafka, {
      groupId,
      topic,
      fromBeginning: true,
      autoCommit: true,
    });
    await consumer.ready();
    const assignment = consumer.assignment();
    const messages = await consumer.receive(9);
    await consumer.stop();
    const committedAfterLeave = await committedOffsets(admin, groupId, topic);

    await producer.disconnect();
    await admin.disconnect();
    return {
      assignment,
      count: messages.length,
      messages: byPartition(messages, { timestamps: true }),
      committedAfterLeave,
    };
  },
};
