import { describe, expect, it } from "vitest";
import { LogCluster } from "../../src/log/cluster.js";
import { validateTopicName } from "../../src/log/topic-config.js";
import { Simulation } from "../../src/scheduler/simulation.js";
import { produceAll, setup } from "./helpers.js";

const code = (c: string) => expect.objectContaining({ code: c });

describe("bad input: clear errors, nothing changed", () => {
  it.each([
    ["", "empty"],
    [".", "dot"],
    ["..", "dot-dot"],
    ["a".repeat(250), "too long"],
    ["has space", "space"],
    ["a/b", "slash"],
    ["é", "non-ASCII"],
    ["a:b", "colon"],
  ])("refuses topic name %j (%s) with INVALID_TOPIC_NAME", (name) => {
    const { cluster } = setup();
    expect(() => cluster.createTopic(name)).toThrow(code("INVALID_TOPIC_NAME"));
    expect(cluster.listTopics()).toEqual([]);
  });

  it("accepts Kafka's legal names and names Kafka's error in details", () => {
    for (const name of ["a", "a.b_c-d", "A9", "x".repeat(249), "..."])
      expect(() => validateTopicName(name)).not.toThrow();
    try {
      validateTopicName("bad name");
    } catch (e) {
      expect(e).toMatchObject({
        code: "INVALID_TOPIC_NAME",
        kafkaName: "INVALID_TOPIC_EXCEPTION",
        details: { kafkaName: "INVALID_TOPIC_EXCEPTION", topic: "bad name" },
      });
    }
  });

  it.each([0, -1, 1.5, Number.NaN, "3"])("refuses %j partitions with INVALID_PARTITIONS", (partitions) => {
    const { cluster } = setup();
    expect(() => cluster.createTopic("t", { partitions: partitions as number })).toThrow(
      code("INVALID_PARTITIONS"),
    );
    expect(cluster.hasTopic("t")).toBe(false);
  });

  it("refuses duplicate topics, shrinking partitions and bad configs", () => {
    const { cluster } = setup();
    cluster.createTopic("t", { partitions: 2 });
    expect(() => cluster.createTopic("t")).toThrow(code("TOPIC_ALREADY_EXISTS"));
    expect(() => cluster.addPartitions("t", 2)).toThrow(code("INVALID_PARTITIONS"));
    expect(() => cluster.addPartitions("t", 0)).toThrow(code("INVALID_PARTITIONS"));
    expect(() => cluster.createTopic("u", { config: { retentionMs: -5 } })).toThrow(code("INVALID_CONFIG"));
    expect(() => cluster.createTopic("u", { config: { cleanupPolicy: "nope" as "delete" } })).toThrow(
      code("INVALID_CONFIG"),
    );
    expect(() => cluster.createTopic("u", { config: { retention: 1 } as object })).toThrow(
      code("UNKNOWN_OPTION"),
    );
    expect(cluster.describeTopic("t").partitions).toBe(2);
    expect(cluster.listTopics()).toEqual(["t"]);
  });

  it("refuses to commit an offset beyond the log end, leaving committed offsets as they were", async () => {
    const { sim, cluster } = setup();
    cluster.createTopic("t");
    await produceAll(sim, cluster, "t", [1, 2]);
    const consumer = cluster.consumer({ groupId: "g", enableAutoCommit: false });
    consumer.assign([{ topic: "t", partition: 0 }]);
    consumer.commitSync([{ topic: "t", partition: 0, offset: 2 }]);
    expect(() => consumer.commitSync([{ topic: "t", partition: 0, offset: 3 }])).toThrow(
      code("OFFSET_OUT_OF_RANGE"),
    );
    expect(cluster.groupOffsets("g")[0]!.offset).toBe(2);
    expect(() => consumer.commitSync([{ topic: "t", partition: 0, offset: -1 }])).toThrow(
      code("INVALID_ARGUMENT"),
    );
    expect(() => consumer.commitSync([{ topic: "nope", partition: 0, offset: 0 }])).toThrow(
      code("UNKNOWN_TOPIC_OR_PARTITION"),
    );
    expect(cluster.groupOffsets("g")[0]!.offset).toBe(2);
  });

  it("an unknown group is GROUP_ID_NOT_FOUND for offsets, lag and deletion, and Dead when described", () => {
    const { cluster } = setup();
    expect(() => cluster.groupOffsets("ghost")).toThrow(code("GROUP_ID_NOT_FOUND"));
    expect(() => cluster.lag("ghost")).toThrow(code("GROUP_ID_NOT_FOUND"));
    expect(() => cluster.deleteGroup("ghost")).toThrow(code("GROUP_ID_NOT_FOUND"));
    expect(cluster.describeGroup("ghost")).toMatchObject({ state: "Dead", members: [] });
    expect(cluster.listGroups()).toEqual([]);
  });

  it("refuses to delete a group with members (NON_EMPTY_GROUP) and admin commits into it", async () => {
    const { sim, cluster } = setup();
    cluster.createTopic("t");
    const consumer = cluster.consumer({ groupId: "g", sessionTimeoutMs: 3000, heartbeatIntervalMs: 500 });
    consumer.subscribe(["t"]);
    consumer.poll();
    await sim.runFor(10);
    expect(() => cluster.deleteGroup("g")).toThrow(code("NON_EMPTY_GROUP"));
    expect(() => cluster.setGroupOffsets("g", [{ topic: "t", partition: 0, offset: 0 }])).toThrow(
      code("UNKNOWN_MEMBER_ID"),
    );
    consumer.close();
    await sim.runFor(10);
    cluster.deleteGroup("g");
    expect(cluster.listGroups()).toEqual([]);
  });

  it("fetching from a deleted (or unknown) topic is UNKNOWN_TOPIC_OR_PARTITION", async () => {
    const { sim, cluster } = setup();
    cluster.createTopic("t");
    await produceAll(sim, cluster, "t", [1]);
    const log = cluster.partition("t", 0);
    cluster.deleteTopic("t");
    expect(() => cluster.fetch("t", 0, 0)).toThrow(code("UNKNOWN_TOPIC_OR_PARTITION"));
    expect(() => log.read(0)).toThrow(code("UNKNOWN_TOPIC_OR_PARTITION"));
    expect(() => cluster.deleteTopic("t")).toThrow(code("UNKNOWN_TOPIC_OR_PARTITION"));
    expect(() => cluster.fetch("t", 5, 0)).toThrow(code("UNKNOWN_TOPIC_OR_PARTITION"));
  });

  it("validates producer and consumer options and arguments", () => {
    const { cluster } = setup();
    cluster.createTopic("t");
    expect(() => cluster.producer({ linger: 5 } as object)).toThrow(code("UNKNOWN_OPTION"));
    expect(() => cluster.producer({ acks: 2 as 1 })).toThrow(code("INVALID_ARGUMENT"));
    expect(() => cluster.producer({ acks: 1, enableIdempotence: true })).toThrow(code("INVALID_CONFIG"));
    expect(() => cluster.producer({ deliveryTimeoutMs: 1000 })).toThrow(code("INVALID_CONFIG"));
    // Transactions need idempotence (the transactional suites cover the rest).
    expect(() => cluster.producer({ transactionalId: "tx", enableIdempotence: false })).toThrow(
      code("INVALID_CONFIG"),
    );
    expect(cluster.producer({ acks: 1 }).idempotent).toBe(false); // Java 3.x: silently off when incompatible
    const producer = cluster.producer();
    expect(() => producer.send({ topic: "nope", value: 1 })).toThrow(code("UNKNOWN_TOPIC_OR_PARTITION"));
    expect(() => producer.send({ topic: "t", value: undefined })).toThrow(code("INVALID_ARGUMENT"));
    expect(() => producer.send({ topic: "t", value: 1, key: 5 as unknown as string })).toThrow(
      code("INVALID_ARGUMENT"),
    );
    expect(() => producer.send({ topic: "t", value: 1, partition: 3 })).toThrow(code("INVALID_PARTITION"));
    expect(() => producer.send({ topic: "t", value: 1, extra: 1 } as never)).toThrow(code("UNKNOWN_OPTION"));
    expect(() => cluster.consumer({ heartbeatIntervalMs: 50_000 })).toThrow(code("INVALID_CONFIG"));
    expect(() => cluster.consumer({ enableAutoCommit: true })).toThrow(code("INVALID_CONFIG"));
    expect(() => cluster.consumer({ partitionAssignmentStrategy: ["magic" as "range"] })).toThrow(
      code("INVALID_ARGUMENT"),
    );
    const noGroup = cluster.consumer();
    expect(() => noGroup.subscribe(["t"])).toThrow(code("INVALID_GROUP_ID"));
    expect(() => noGroup.poll()).toThrow(code("ILLEGAL_STATE"));
    expect(() => noGroup.assign([{ topic: "t", partition: 7 }])).toThrow(code("UNKNOWN_TOPIC_OR_PARTITION"));
    noGroup.assign([{ topic: "t", partition: 0 }]);
    expect(() => noGroup.commitSync()).toThrow(code("INVALID_GROUP_ID"));
    const grouped = cluster.consumer({ groupId: "g" });
    grouped.subscribe(["t"]);
    expect(() => grouped.assign([{ topic: "t", partition: 0 }])).toThrow(code("ILLEGAL_STATE"));
    expect(() => grouped.subscribe([])).toThrow(code("INVALID_ARGUMENT"));
    expect(() => grouped.subscribe(["bad name"])).toThrow(code("INVALID_TOPIC_NAME"));
    grouped.close();
    expect(() => grouped.poll()).toThrow(code("CONSUMER_CLOSED"));
  });

  it("validates cluster options", () => {
    const sim = new Simulation({ start: 0 });
    expect(() => new LogCluster(sim, { latency: 1 } as object)).toThrow(code("UNKNOWN_OPTION"));
    expect(() => new LogCluster(sim, { requestLatencyMs: -1 })).toThrow(code("INVALID_ARGUMENT"));
    expect(() => new LogCluster({} as Simulation)).toThrow(code("INVALID_ARGUMENT"));
  });
});
