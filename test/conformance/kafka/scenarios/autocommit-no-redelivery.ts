import { byPartition, committedOffsets, keyedMessages, type Scenario, startConsumer } from "../context.js";

/**
 * With autoCommit on, processed offsets are committed and a clean disconnect loses nothing: the
 * next member of the group continues after them and sees only newer messages.
 */
export const autocommitNoRedelivery: Scenario = {
  name: "autocommit-no-redelivery",
  description: "autoCommit true, clean disconnect: a restarted member sees only new messages",
  async run(ctx) {
    const topic = ctx.name("autocommit");
    const groupId = ctx.name("group-autocommit");
    const kafka = ctx.kafka();
    const admin = kafka.admin();
    const producer = kafka.producer();
    await admin.connect();
    await producer.connect();

    await producer.send({ topic, messages: keyedMessages("old", 10) });

    const first = await startConsumer(ctx, kafka, { groupId, topic, fromBeginning: true, autoCommit: true });
    await first.ready();
    const firstMessages = await first.receive(10);
    await first.stop();
    const committedAfterFirst = await committedOffsets(admin, groupId, topic);

    await producer.send({ topic, messages: keyedMessages("new", 4, 10) });

    const second = await startConsumer(ctx, kafka, { groupId, topic, fromBeginning: true, autoCommit: true });
    await second.ready();
    const secondMessages = await second.receive(4);
    await second.stop();
    const committedAfterSecond = await committedOffsets(admin, groupId, topic);

    await producer.disconnect();
    await admin.disconnect();
    return {
      first: byPartition(firstMessages),
      committedAfterFirst,
      second: byPartition(secondMessages),
      secondSawOldMessages: secondMessages.some((m) => m.value?.startsWith("old") ?? false),
      committedAfterSecond,
    };
  },
};
