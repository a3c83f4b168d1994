import { describe, expect, it } from "vitest";
import { TOPIC_CONFIG_NAMES } from "../../../src/compat/kafkajs/admin-configs.js";
import {
  ConfigResourceTypes,
  ConfigSource,
  type KafkaJSProtocolError,
} from "../../../src/compat/kafkajs/index.js";
import { LogCluster } from "../../../src/log/cluster.js";
import { Simulation } from "../../../src/scheduler/simulation.js";
import { drive, manualWorld, quietKafka } from "./helpers.js";

const topicResource = (name: string, configNames?: string[]) => ({
  type: ConfigResourceTypes.TOPIC,
  name,
  ...(configNames === undefined ? {} : { configNames }),
});

describe("kafkajs admin: describeConfigs lists every topic config a Kafka 3.x broker returns", () => {
  it("defaults: every config, Kafka's default values, DEFAULT_CONFIG, isDefault, not read-only or sensitive", async () => {
    const kafka = quietKafka();
    const admin = kafka.admin();
    await admin.createTopics({ topics: [{ topic: "plain" }] });
    const { resources } = await admin.describeConfigs({
      resources: [topicResource("plain")],
      includeSynonyms: false,
    });
    expect(resources).toHaveLength(1);
    const entries = resources[0]!.configEntries;
    expect(entries.map((e) => e.configName)).toEqual(TOPIC_CONFIG_NAMES);
    expect(entries.length).toBeGreaterThanOrEqual(26);
    const byName = new Map(entries.map((e) => [e.configName, e]));
    expect(byName.get("retention.ms")).toEqual({
      configName: "retention.ms",
      configValue: "604800000",
      isDefault: true,
      configSource: ConfigSource.DEFAULT_CONFIG,
      isSensitive: false,
      readOnly: false,
      configSynonyms: [],
    });
    expect(byName.get("max.message.bytes")?.configValue).toBe("1048588");
    expect(byName.get("min.insync.replicas")?.configValue).toBe("1");
    expect(byName.get("compression.type")?.configValue).toBe("producer");
    expect(byName.get("cleanup.policy")?.configValue).toBe("delete");
    expect(entries.every((e) => e.isDefault && e.configSource === 5 && !e.readOnly && !e.isSensitive)).toBe(
      true,
    );
    kafka.simulation.close();
  });

  it("the simulated topic's real values: overrides are TOPIC_CONFIG (even when equal to the default), alterConfigs replaces them", async () => {
    const kafka = quietKafka();
    const admin = kafka.admin();
    await admin.createTopics({
      topics: [
        {
          topic: "tuned",
          configEntries: [
            { name: "retention.ms", value: "1000" },
            { name: "cleanup.policy", value: "compact" },
            { name: "segment.bytes", value: "1073741824" }, // Kafka's default, set explicitly
          ],
        },
      ],
    });
    const describe = async (names?: string[]) =>
      (await admin.describeConfigs({ resources: [topicResource("tuned", names)], includeSynonyms: true }))
        .resources[0]!.configEntries;
    const entries = await describe([
      "retention.ms",
      "cleanup.policy",
      "segment.bytes",
      "segment.ms",
      "no.such.config",
    ]);
    expect(entries.map((e) => [e.configName, e.configValue, e.configSource, e.isDefault])).toEqual([
      ["cleanup.policy", "compact", ConfigSource.TOPIC_CONFIG, false],
      ["retention.ms", "1000", ConfigSource.TOPIC_CONFIG, false],
      ["segment.bytes", "1073741824", ConfigSource.TOPIC_CONFIG, false],
      ["segment.ms", "604800000", ConfigSource.DEFAULT_CONFIG, true],
    ]);
    // Synonyms: the override first, then the broker's configs it would fall back to.
    expect(entries[1]!.configSynonyms).toEqual([
      { configName: "retention.ms", configValue: "1000", configSource: ConfigSource.TOPIC_CONFIG },
      { configName: "log.retention.hours", configValue: "168", configSource: ConfigSource.DEFAULT_CONFIG },
    ]);
    expect(entries[3]!.configSynonyms).toEqual([
      { configName: "log.roll.hours", configValue: "168", configSource: ConfigSource.DEFAULT_CONFIG },
    ]);
    // The value is the log's: compaction really is on.
    expect(kafka.cluster.topic("tuned").config.cleanupPolicy).toBe("compact");
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: "tuned",
          configEntries: [{ name: "retention.ms", value: "5000" }],
        },
      ],
    });
    const after = await describe(["retention.ms", "cleanup.policy", "segment.bytes"]);
    expect(after.map((e) => [e.configName, e.configValue, e.configSource])).toEqual([
      ["cleanup.policy", "delete", ConfigSource.DEFAULT_CONFIG],
      ["retention.ms", "5000", ConfigSource.TOPIC_CONFIG],
      ["segment.bytes", "1073741824", ConfigSource.DEFAULT_CONFIG],
    ]);
    kafka.simulation.close();
  });

  it("cluster-wide topicDefaults read as STATIC_BROKER_CONFIG (a broker's server.properties)", async () => {
    const sim = new Simulation({ start: 0 });
    const cluster = new LogCluster(sim, { topicDefaults: { retentionMs: 3_600_000 } });
    const kafka = quietKafka({ simulation: sim, cluster });
    cluster.createTopic("t", { partitions: 1 });
    const admin = kafka.admin();
    const [entry] = (
      await admin.describeConfigs({
        resources: [topicResource("t", ["retention.ms"])],
        includeSynonyms: true,
      })
    ).resources[0]!.configEntries;
    expect(entry).toMatchObject({
      configValue: "3600000",
      configSource: ConfigSource.STATIC_BROKER_CONFIG,
      isDefault: false,
    });
    expect(entry!.configSynonyms).toEqual([
      {
        configName: "log.retention.ms",
        configValue: "3600000",
        configSource: ConfigSource.STATIC_BROKER_CONFIG,
      },
      { configName: "log.retention.hours", configValue: "168", configSource: ConfigSource.DEFAULT_CONFIG },
    ]);
    sim.close();
  });

  it("validates as kafkajs does; unknown topics are UNKNOWN_TOPIC_OR_PARTITION", async () => {
    const kafka = quietKafka();
    const admin = kafka.admin();
    await expect(admin.describeConfigs({ resources: [], includeSynonyms: false })).rejects.toThrow(
      "Resources array cannot be empty",
    );
    await expect(
      admin.describeConfigs({ resources: [{ type: 3, name: "t" }], includeSynonyms: false }),
    ).rejects.toThrow(/Invalid resource type 3/);
    await expect(
      admin.describeConfigs({
        resources: [{ type: 2, name: "t", configNames: "x" as never }],
        includeSynonyms: false,
      }),
    ).rejects.toThrow(/Invalid resource configNames/);
    const error = (await admin
      .describeConfigs({ resources: [topicResource("missing")], includeSynonyms: false })
      .catch((e: unknown) => e)) as KafkaJSProtocolError;
    expect(error.type).toBe("UNKNOWN_TOPIC_OR_PARTITION");
    // A config describeConfigs lists but the log does not model cannot be set (it would do nothing).
    await admin.createTopics({ topics: [{ topic: "t" }] });
    const refused = (await admin
      .alterConfigs({
        validateOnly: false,
        resources: [{ type: 2, name: "t", configEntries: [{ name: "max.message.bytes", value: "10" }] }],
      })
      .catch((e: unknown) => e)) as KafkaJSProtocolError;
    expect(refused.type).toBe("INVALID_CONFIG");
    expect(refused.message).toContain("max.message.bytes");
    kafka.simulation.close();
  });
});

describe("kafkajs admin: createPartitions honours assignments", () => {
  const threeBrokers = () => {
    const w = manualWorld(1);
    const kafka = quietKafka({
      simulation: w.sim,
      cluster: w.cluster,
      brokers: ["b0:9092", "b1:9092", "b2:9092"],
    });
    return { ...w, kafka };
  };

  it("new partitions get the given replica lists (the first replica leads); metadata shows them", async () => {
    const { sim, kafka } = threeBrokers();
    const admin = kafka.admin();
    await drive(
      sim,
      admin.createTopics({ topics: [{ topic: "t", numPartitions: 2, replicationFactor: 2 }] }),
    );
    await drive(
      sim,
      admin.createPartitions({
        topicPartitions: [
          {
            topic: "t",
            count: 4,
            assignments: [
              [2, 0],
              [1, 2],
            ],
          },
        ],
      }),
    );
    const { topics } = await drive(sim, admin.fetchTopicMetadata({ topics: ["t"] }));
    const partitions = topics[0]!.partitions;
    expect(partitions.map((p) => [p.partitionId, p.leader, p.replicas])).toEqual([
      [0, 0, [0, 1]],
      [1, 1, [1, 2]],
      [2, 2, [2, 0]],
      [3, 1, [1, 2]],
    ]);
    expect(kafka.cluster.topic("t").partitionCount).toBe(4);
  });

  it("refuses with INVALID_REPLICA_ASSIGNMENT and changes nothing: wrong count, empty, duplicates, unknown broker, wrong size", async () => {
    const { sim, kafka } = threeBrokers();
    const admin = kafka.admin();
    await drive(
      sim,
      admin.createTopics({ topics: [{ topic: "t", numPartitions: 1, replicationFactor: 2 }] }),
    );
    for (const [assignments, text] of [
      [[[0, 1]], /by 2 but 1 assignments/],
      [[[0, 1], []], /empty replica list/],
      [
        [
          [0, 0],
          [1, 2],
        ],
        /Duplicate brokers/,
      ],
      [
        [
          [0, 7],
          [1, 2],
        ],
        /Unknown broker\(s\) in replica assignment: 7/,
      ],
      [[[0], [1]], /1 replica\(s\).*2 replica\(s\)/],
    ] as [number[][], RegExp][]) {
      const error = (await drive(
        sim,
        admin
          .createPartitions({ topicPartitions: [{ topic: "t", count: 3, assignments }] })
          .catch((e: unknown) => e),
      )) as KafkaJSProtocolError;
      expect(error.type).toBe("INVALID_REPLICA_ASSIGNMENT");
      expect(error.code).toBe(39);
      expect(error.message).toMatch(text);
      expect(kafka.cluster.topic("t").partitionCount).toBe(1);
    }
  });
});
