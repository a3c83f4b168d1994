import { AssignerProtocol, type PartitionAssigner } from "kafkajs";
import { CONSUMER_TIMINGS, JOIN_TIMEOUT_MS, type Json, type Scenario, waitUntil } from "../context.js";

/**
 * A custom kafkajs assigner run by the group leader: every member advertises its client id in
 * `userData`; the leader gives all partitions to the member with the smallest member id and an
 * empty assignment to the other. Observes what the leader saw (protocol metadata of every member), the
 * shares (sorted, member ids being broker-generated) and who consumed what. A member sharing no
 * protocol with the group is not part of it: librdkafka's mock closes that member's connection
 * where Kafka answers INCONSISTENT_GROUP_PROTOCOL (test/compat/kafkajs/custom-assigner.test.ts
 * covers Kafka's answer).
 */
export const customAssigner: Scenario = {
  name: "custom-assigner",
  description:
    "a leader-run custom assigner (userData, empty share); a member with another protocol is refused",
  async run(ctx) {
    const topic = ctx.name("assigned");
    const groupId = ctx.name("group-custom");
    const producer = ctx.kafka().producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ partition: 0, value: "warm-up" }] });

    const leaderSaw: Json[] = [];
    const allToOne =
      (clientId: string): PartitionAssigner =>
      ({ cluster }) => ({
        name: "AllToOne",
        version: 1,
        protocol: ({ topics }) => ({
          name: "AllToOne",
          metadata: AssignerProtocol.MemberMetadata.encode({
            version: 1,
            topics,
            userData: Buffer.from(clientId),
          }),
        }),
        async assign({ members, topics }) {
          const decoded = members.map((m) => AssignerProtocol.MemberMetadata.decode(m.memberMetadata)!);
          leaderSaw.push(
            decoded
              .map((d) => ({ version: d.version, topics: d.topics, userData: d.userData.toString() }))
              .sort((a, b) => a.userData.localeCompare(b.userData)),
          );
          const chosen = members.map((m) => m.memberId).sort()[0]!;
          const assignment: Record<string, number[]> = {};
          for (const t of topics)
            assignment[t] = cluster
              .findTopicPartitionMetadata(t)
              .map((p) => p.partitionId)
              .sort();
          // Every member gets an entry (librdkafka's mock refuses a SyncGroup that leaves one out;
          // Kafka would give it empty bytes): the others get an empty assignment.
          return members.map(({ memberId }) => ({
            memberId,
            memberAssignment: AssignerProtocol.MemberAssignment.encode({
              version: 1,
              assignment: memberId === chosen ? assignment : {},
              userData: Buffer.alloc(0),
            }),
          }));
        },
      });

    const members = await Promise.all(
      ["member-a", "member-b"].map(async (clientId) => {
        const consumer = ctx
          .kafka(clientId)
          .consumer({ groupId, ...CONSUMER_TIMINGS, partitionAssigners: [allToOne(clientId)] });
        const state = {
          consumer,
          joins: 0,
          share: [] as number[],
          isLeader: false,
          protocol: "",
          values: [] as string[],
        };
        consumer.on(consumer.events.GROUP_JOIN, (e) => {
          state.joins++;
          state.share = [...(e.payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b);
          state.isLeader = e.payload.isLeader;
          state.protocol = e.payload.groupProtocol;
        });
        await consumer.connect();
        await consumer.subscribe({ topics: [topic], fromBeginning: false });
        const running = consumer.run({
          eachMessage: async ({ message }) => void state.values.push(String(message.value)),
        });
        return { state, running };
      }),
    );
    const settled = () =>
      members.every((m) => m.state.joins > 0) &&
      members.flatMap((m) => m.state.share).length === 4 &&
      members.some((m) => m.state.share.length === 0);
    await waitUntil(ctx, settled, "the members to join with all partitions on one", JOIN_TIMEOUT_MS * 2);
    await Promise.all(members.map((m) => m.running));
    await ctx.sleep(1000);
    await producer.send({
      topic,
      messages: [0, 1, 2, 3].map((partition) => ({ partition, value: `p${partition}` })),
    });
    await waitUntil(
      ctx,
      () => members.reduce((n, m) => n + m.state.values.length, 0) >= 4,
      "4 messages on the one member",
      15_000,
    );
    await ctx.sleep(600);

    for (const m of members) await m.state.consumer.disconnect();
    await producer.disconnect();

    const shares = members
      .map((m) => ({ share: m.state.share, consumed: [...m.state.values].sort() }))
      .sort((a, b) => b.share.length - a.share.length);
    return {
      protocols: members.map((m) => m.state.protocol),
      leaders: members.filter((m) => m.state.isLeader).length,
      leaderSaw: leaderSaw.at(-1) ?? null,
      shares,
    };
  },
};
