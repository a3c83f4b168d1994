import { describe, expect, it } from "vitest";
import {
  AssignerProtocol,
  ConfigResourceTypes,
  KafkaJSAggregateError,
  type KafkaJSCreateTopicError,
  KafkaJSDeleteGroupsError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
} from "../../../src/compat/kafkajs/index.js";
import { eventually, quietKafka } from "./helpers.js";

describe("kafkajs admin", () => {
  it("createTopics: true, then false when all exist, an aggregate error for real failures", async () => {
    const kafka = quietKafka({ brokers: ["b0:9092", "b1:9092", "b2:9092"] });
    const admin = kafka.admin();
    await admin.connect();
    expect(
      await admin.createTopics({ topics: [{ topic: "a", numPartitions: 2, replicationFactor: 3 }] }),
    ).toBe(true);
    expect(await admin.createTopics({ topics: [{ topic: "a" }] })).toBe(false);
    const e = await admin
      .createTopics({
        topics: [
          { topic: "a" },
          { topic: "bad name" },
          { topic: "c", replicationFactor: 4 },
          { topic: "d", configEntries: [{ name: "cleanup.policy", value: "compact" }] },
        ],
      })
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(KafkaJSAggregateError);
    const errors = (e as KafkaJSAggregateError).errors as KafkaJSCreateTopicError[];
    expect(errors.map((x) => [x.topic, x.type])).toEqual([
      ["a", "TOPIC_ALREADY_EXISTS"],
      ["bad name", "INVALID_TOPIC_EXCEPTION"],
      ["c", "INVALID_REPLICATION_FACTOR"],
    ]);
    expect(errors[1]!.brokerlabCode).toBe("INVALID_TOPIC_NAME");
    expect(await admin.listTopics()).toEqual(["a", "d"]); // valid topics of the request were created
    const meta = await admin.fetchTopicMetadata({ topics: ["a"] });
    expect(meta).toEqual({
      topics: [
        {
          name: "a",
          partitions: [
            {
              partitionErrorCode: 0,
              partitionId: 0,
              leader: 0,
              replicas: [0, 1, 2],
              isr: [0, 1, 2],
              offlineReplicas: [],
            },
            {
              partitionErrorCode: 0,
              partitionId: 1,
              leader: 1,
              replicas: [1, 2, 0],
              isr: [1, 2, 0],
              offlineReplicas: [],
            },
          ],
        },
      ],
    });
    expect(await admin.describeCluster()).toEqual({
      brokers: [
        { nodeId: 0, host: "b0", port: 9092 },
        { nodeId: 1, host: "b1", port: 9092 },
        { nodeId: 2, host: "b2", port: 9092 },
      ],
      controller: 0,
      clusterId: "brokerlab",
    });
    const configs = await admin.describeConfigs({
      resources: [{ type: ConfigResourceTypes.TOPIC, name: "d", configNames: ["cleanup.policy"] }],
      includeSynonyms: false,
    });
    expect(
      configs.resources[0]!.configEntries.map((c) => [c.configName, c.configValue, c.isDefault]),
    ).toEqual([["cleanup.policy", "compact", false]]);
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: "d",
          configEntries: [{ name: "retention.ms", value: "1000" }],
        },
      ],
    });
    expect(kafka.cluster.describeTopic("d").config).toMatchObject({
      retentionMs: 1000,
      cleanupPolicy: "delete",
    });
    await expect(admin.describeAcls({} as never)).rejects.toThrow("Invalid operation type undefined");
    kafka.simulation.close();
  });

  it("topic offsets, by timestamp, deleteTopicRecords, createPartitions and deleteTopics", async () => {
    const kafka = quietKafka({ retry: { retries: 1, initialRetryTime: 50 } });
    const sim = kafka.simulation;
    const admin = kafka.admin();
    const producer = kafka.producer();
    await producer.connect();
    await admin.createTopics({ topics: [{ topic: "o", numPartitions: 1 }] });
    for (let i = 0; i < 5; i++) {
      await producer.send({ topic: "o", messages: [{ value: `m${i}` }] });
      await sim.sleep(1000);
    }
    expect(await admin.fetchTopicOffsets("o")).toEqual([{ partition: 0, offset: "5", high: "5", low: "0" }]);
    const t2 = sim.now - 3500; // between the 2nd and 3rd message
    expect(await admin.fetchTopicOffsetsByTimestamp("o", t2)).toEqual([{ partition: 0, offset: "2" }]);
    expect(await admin.fetchTopicOffsetsByTimestamp("o", sim.now + 1)).toEqual([
      { partition: 0, offset: "5" },
    ]);
    await admin.deleteTopicRecords({ topic: "o", partitions: [{ partition: 0, offset: "3" }] });
    expect((await admin.fetchTopicOffsets("o"))[0]!.low).toBe("3");
    await expect(
      admin.createPartitions({ topicPartitions: [{ topic: "o", count: 1 }] }),
    ).rejects.toMatchObject({
      type: "INVALID_PARTITIONS",
    });
    expect(await admin.createPartitions({ topicPartitions: [{ topic: "o", count: 3 }] })).toBeUndefined(); // as kafkajs 2.2.4
    expect((await admin.fetchTopicOffsets("o")).length).toBe(3);
    const e = await admin.deleteTopics({ topics: ["o", "missing"] }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(KafkaJSNumberOfRetriesExceeded);
    expect(await admin.listTopics()).toEqual([]);
    await expect(admin.fetchTopicMetadata({ topics: ["o"] })).rejects.toBeInstanceOf(KafkaJSProtocolError);
    sim.close();
  });

  it("group administration: fetchOffsets, setOffsets (refused while members run), resetOffsets, describe, list, delete", async () => {
    const kafka = quietKafka();
    const sim = kafka.simulation;
    const admin = kafka.admin();
    const producer = kafka.producer();
    await producer.connect();
    await admin.createTopics({ topics: [{ topic: "g", numPartitions: 2 }] });
    await producer.send({
      topic: "g",
      messages: [0, 1, 2, 3].map((i) => ({ partition: i % 2, value: `v${i}` })),
    });
    expect(await admin.fetchOffsets({ groupId: "grp", topics: ["g"] })).toEqual([
      {
        topic: "g",
        partitions: [
          { partition: 0, offset: "-1", metadata: null },
          { partition: 1, offset: "-1", metadata: null },
        ],
      },
    ]);
    const consumer = kafka.consumer({ groupId: "grp" });
    await consumer.subscribe({ topic: "g", fromBeginning: true });
    const seen: string[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
    await eventually(sim, () => seen.length === 4, "4 messages");
    const described = await admin.describeGroups(["grp", "nobody"]);
    expect(
      described.groups.map((g) => [g.groupId, g.state, g.protocol, g.protocolType, g.members.length]),
    ).toEqual([
      ["grp", "Stable", "RoundRobinAssigner", "consumer", 1],
      ["nobody", "Dead", "", "", 0],
    ]);
    const member = described.groups[0]!.members[0]!;
    expect(member.clientId).toBe("test");
    expect(AssignerProtocol.MemberAssignment.decode(member.memberAssignment)?.assignment).toEqual({
      g: [0, 1],
    });
    expect(AssignerProtocol.MemberMetadata.decode(member.memberMetadata).topics).toEqual(["g"]);
    expect((await consumer.describeGroup()).state).toBe("Stable");
    expect(await admin.listGroups()).toEqual({ groups: [{ groupId: "grp", protocolType: "consumer" }] });
    await expect(
      admin.setOffsets({ groupId: "grp", topic: "g", partitions: [{ partition: 0, offset: "0" }] }),
    ).rejects.toThrow("The consumer group must have no running instances, current state: Stable");
    const del = await admin.deleteGroups(["grp"]).catch((x: unknown) => x);
    expect(del).toBeInstanceOf(KafkaJSDeleteGroupsError);
    expect((del as KafkaJSDeleteGroupsError).groups.map((g) => [g.groupId, g.errorCode])).toEqual([
      ["grp", 68],
    ]);
    await consumer.disconnect();
    expect(await admin.fetchOffsets({ groupId: "grp" })).toEqual([
      {
        topic: "g",
        partitions: [
          { partition: 0, offset: "2", metadata: null },
          { partition: 1, offset: "2", metadata: null },
        ],
      },
    ]);
    await admin.setOffsets({ groupId: "grp", topic: "g", partitions: [{ partition: 1, offset: "1" }] });
    await admin.resetOffsets({ groupId: "grp", topic: "g", earliest: true });
    // kafkajs commits its "earliest" marker; it reads back as no valid offset.
    expect(
      (await admin.fetchOffsets({ groupId: "grp", topics: ["g"] }))[0]!.partitions.map((p) => p.offset),
    ).toEqual(["-1", "-1"]);
    await admin.setOffsets({ groupId: "grp", topic: "g", partitions: [{ partition: 1, offset: "1" }] });
    const again = kafka.consumer({ groupId: "grp" });
    await again.subscribe({ topic: "g", fromBeginning: false });
    const seenAgain: string[] = [];
    await again.run({ eachMessage: async ({ message }) => void seenAgain.push(message.value!.toString()) });
    await eventually(sim, () => seenAgain.length === 1, "the message after the set offset");
    expect(seenAgain).toEqual(["v3"]); // p1 from 1; p0 has no offset and starts at the end
    await again.disconnect();
    expect(await admin.deleteGroups(["grp"])).toEqual([{ groupId: "grp", errorCode: 0 }]);
    await expect(admin.deleteGroups(["grp"])).rejects.toBeInstanceOf(KafkaJSDeleteGroupsError);
    await expect(admin.setOffsets({ groupId: "", topic: "g", partitions: [] })).rejects.toBeInstanceOf(
      KafkaJSNonRetriableError,
    );
    sim.close();
  });
});
