import { byPartition, committedOffsets, keyedMessages, type Scenario, startConsumer } from "../context.js";

/**
 * With autoCommit off and no commitOffsets, a consumer that leaves and a new member of the same
 * group that joins later get the same messages again (at-least-once redelivery).
 */
export const redeliveryWithoutCommit: Scenario = {
  name: "redelivery-without-commit",
  description: "autoCommit false, no commit: a restarted member gets the same messages",
  async run(ctx) {
    const topic = ctx.name("redelivery");
    const groupId = ctx.name("group-redelivery");
    const kafka = ctx.kafka();
    const admin = kafka.admin();
    const producer = kafka.producer();
    await admin.connect();
    await producer.connect();

    await producer.send({ topic, messages: keyedMessages("m", 10) });

    const first = await startConsumer(ctx, kafka, { groupId, topic, fromBeginning: true, autoCommit: false });
    await first.ready();
    const firstMessages = await first.receive(10);
    await first.stop();
    const committedAfterFirst = await committedOffsets(admin, groupId, topic);

    const second = await startConsumer(ctx, kafka, {
      groupId,
      topic,
      fromBeginning: true,
      autoCommit: false,
    });
    await second.ready();
    const secondMessages = await second.receive(10);
    await second.stop();

    await producer.disconnect();
    await admin.disconnect();
    const first_ = byPartition(firstMessages);
    const second_ = byPartition(secondMessages);
    return {
      committedAfterFirst,
      first: first_,
      second: second_,
      sameMessagesAgain: JSON.stringify(first_) === JSON.stringify(second_),
    };
  },
};
