import { byPartition, committedOffsets, type Scenario, startConsumer } from "../context.js";

/**
 * `commitOffsets` with autoCommit off: the committed offset is the next offset to read, reads
 * back through `admin.fetchOffsets`, survives the consumer leaving, and is where the group's next
 * member starts; partitions without a commit fall back to fromBeginning (earliest).
 */
export const commitOffsets: Scenario = {
  name: "commit-offsets",
  description: "manual commitOffsets, read back with fetchOffsets, restart resumes there",
  async run(ctx) {
    const topic = ctx.name("commits");
    const groupId = ctx.name("group-commits");
    const kafka = ctx.kafka();
    const admin = kafka.admin();
    const producer = kafka.producer();
    await admin.connect();
    await producer.connect();

    // Three messages in each of the four partitions, offsets 0..2.
    await producer.send({
      topic,
      messages: [0, 1, 2, 3].flatMap((partition) =>
        [0, 1, 2].map((i) => ({ partition, key: `k${partition}`, value: `p${partition}-m${i}` })),
      ),
    });
    const committedBeforeAnyCommit = await committedOffsets(admin, groupId, topic);

    const first = await startConsumer(ctx, kafka, { groupId, topic, fromBeginning: true, autoCommit: false });
    await first.ready();
    const firstMessages = await first.receive(12);
    const committedAfterConsumingWithoutCommit = await committedOffsets(admin, groupId, topic);
    await first.consumer.commitOffsets([
      { topic, partition: 0, offset: "1" },
      { topic, partition: 1, offset: "2" },
      { topic, partition: 2, offset: "3" },
    ]);
    const committedAfterCommit = await committedOffsets(admin, groupId, topic);
    await first.stop();
    const committedAfterLeave = await committedOffsets(admin, groupId, topic);

    const second = await startConsumer(ctx, kafka, {
      groupId,
      topic,
      fromBeginning: true,
      autoCommit: false,
    });
    await second.ready();
    // p0 from 1 (2 messages), p1 from 2 (1), p2 from 3 (none), p3 uncommitted: earliest (3).
    const secondMessages = await second.receive(6);
    await second.stop();
    const committedAtEnd = await committedOffsets(admin, groupId, topic);

    await producer.disconnect();
    await admin.disconnect();
    return {
      committedBeforeAnyCommit,
      firstCount: firstMessages.length,
      committedAfterConsumingWithoutCommit,
      committedAfterCommit,
      committedAfterLeave,
      secondCount: secondMessages.length,
      secondMessages: byPartition(secondMessages),
      committedAtEnd,
    };
  },
};
