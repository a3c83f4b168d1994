import {
  byPartition,
  JOIN_TIMEOUT_MS,
  type RunningConsumer,
  type Scenario,
  startConsumer,
  waitUntil,
} from "../context.js";

const PARTITIONS = [0, 1, 2, 3];

/**
 * Two members of one group split the four partitions (kafkajs' round-robin assigner: members
 * sorted by member id, partitions dealt in turn), and each message is consumed by exactly one of
 * them. Member ids are broker-generated, so which member gets which share is not deterministic;
 * the observation lists the shares sorted.
 */
export const groupSplit: Scenario = {
  name: "group-split",
  description: "two members split the partitions; every message consumed exactly once",
  async run(ctx) {
    const topic = ctx.name("split");
    const groupId = ctx.name("group-split");
    const admin = ctx.kafka().admin();
    const producer = ctx.kafka().producer();
    await admin.connect();
    await producer.connect();
    // Create the topic (4 partitions on the mock) before anyone subscribes.
    await producer.send({ topic, messages: [{ partition: 0, value: "warm-up" }] });

    // Started together, so that both join the group's first generation.
    const members: RunningConsumer[] = await Promise.all(
      ["member-a", "member-b"].map((clientId) =>
        startConsumer(ctx, ctx.kafka(clientId), { groupId, topic, fromBeginning: false, autoCommit: true }),
      ),
    );
    // Settled: both joined and their latest assignments partition the topic between them.
    const settled = () => {
      if (members.some((m) => m.joins() === 0)) return false;
      const all = members.flatMap((m) => m.assignment()).sort((a, b) => a - b);
      return JSON.stringify(all) === JSON.stringify(PARTITIONS);
    };
    await waitUntil(ctx, settled, "both members to share the partitions", JOIN_TIMEOUT_MS * 2);
    for (const member of members) await member.ready();

    await producer.send({
      topic,
      messages: PARTITIONS.flatMap((partition) =>
        [0, 1].map((i) => ({ partition, value: `p${partition}-m${i}` })),
      ),
    });
    await waitUntil(
      ctx,
      () => members.reduce((n, m) => n + m.messages.length, 0) >= 8,
      "8 messages across both members",
      15_000,
    );
    await ctx.sleep(600);

    const shares = members
      .map((m) => ({
        assignment: m.assignment(),
        consumedPartitions: [...new Set(m.messages.map((msg) => msg.partition))].sort((a, b) => a - b),
        messages: byPartition(m.messages),
      }))
      .sort((a, b) => JSON.stringify(a.assignment).localeCompare(JSON.stringify(b.assignment)));
    const consumedValues = members.flatMap((m) => m.messages.map((msg) => msg.value ?? "")).sort();

    for (const member of members) await member.stop();
    await producer.disconnect();
    await admin.disconnect();
    return {
      shares,
      totalConsumed: consumedValues.length,
      distinctConsumed: new Set(consumedValues).size,
    };
  },
};
