import { byPartition, committedOffsets, type Scenario, startConsumer } from "../context.js";

/**
 * `seek` on a running consumer: the next fetch of that partition starts at the sought offset, so
 * already-consumed messages are delivered again in order; other partitions are unaffected. With
 * autoCommit off, seeking commits nothing.
 */
export const seek: Scenario = {
  name: "seek",
  description: "seek to an earlier offset replays from there",
  async run(ctx) {
    const topic = ctx.name("seek");
    const groupId = ctx.name("group-seek");
    const kafka = ctx.kafka();
    const admin = kafka.admin();
    const producer = kafka.producer();
    await admin.connect();
    await producer.connect();

    await producer.send({
      topic,
      messages: [
        ...Array.from({ length: 10 }, (_, i) => ({ partition: 0, value: `p0-m${i}` })),
        ...Array.from({ length: 3 }, (_, i) => ({ partition: 1, value: `p1-m${i}` })),
      ],
    });

    const consumer = await startConsumer(ctx, kafka, {
      groupId,
      topic,
      fromBeginning: true,
      autoCommit: false,
    });
    await consumer.ready();
    const initial = await consumer.receive(13);

    consumer.consumer.seek({ topic, partition: 0, offset: "6" });
    const afterFirstSeek = (await consumer.receive(13 + 4)).slice(13);

    consumer.consumer.seek({ topic, partition: 0, offset: "2" });
    consumer.consumer.seek({ topic, partition: 1, offset: "1" });
    const afterSecondSeek = (await consumer.receive(17 + 8 + 2)).slice(17);

    // Seeking to the end of the log (the high watermark) delivers nothing more.
    consumer.consumer.seek({ topic, partition: 1, offset: "3" });
    const afterSeekToEnd = (await consumer.receive(27)).slice(27);

    await consumer.stop();
    const committedAtEnd = await committedOffsets(admin, groupId, topic);
    await producer.disconnect();
    await admin.disconnect();
    return {
      initialCount: initial.length,
      afterFirstSeek: byPartition(afterFirstSeek),
      afterSecondSeek: byPartition(afterSecondSeek),
      afterSeekToEnd: byPartition(afterSeekToEnd),
      committedAtEnd,
    };
  },
};
