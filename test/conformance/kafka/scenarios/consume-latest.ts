import { byPartition, committedOffsets, keyedMessages, type Scenario, startConsumer } from "../context.js";

/**
 * A new group with `fromBeginning: false` starts at the end of the log (auto.offset.reset
 * latest): messages produced before it joined (and resolved its positions) are never seen,
 * messages produced afterwards all are.
 */
export const consumeLatest: Scenario = {
  name: "consume-latest",
  description: "new group, fromBeginning false: skips earlier messages, reads later ones",
  async run(ctx) {
    const topic = ctx.name("latest");
    const groupId = ctx.name("group-latest");
    const kafka = ctx.kafka();
    const admin = kafka.admin();
    const producer = kafka.producer();
    await admin.connect();
    await producer.connect();

    await producer.send({ topic, messages: keyedMessages("before", 8) });
    const consumer = await startConsumer(ctx, kafka, {
      groupId,
      topic,
      fromBeginning: false,
      autoCommit: true,
    });
    await consumer.ready();
    await producer.send({ topic, messages: keyedMessages("after", 8) });
    const messages = await consumer.receive(8);
    await consumer.stop();

    const committedAfterLeave = await committedOffsets(admin, groupId, topic);
    await producer.disconnect();
    await admin.disconnect();
    return {
      count: messages.length,
      sawMessagesFromBeforeJoin: messages.some((m) => m.value?.startsWith("before") ?? false),
      messages: byPartition(messages),
      committedAfterLeave,
    };
  },
};
