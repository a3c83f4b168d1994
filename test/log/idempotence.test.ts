import { describe, expect, it } from "vitest";
import { lastSequenceOf, ProducerStateTable, RETAINED_BATCHES } from "../../src/log/idempotence.js";
import { topicConfigFromEntries } from "../../src/log/topic-config.js";
import { setup } from "./helpers.js";

describe("broker-side producer state", () => {
  it("answers exact duplicates within the last five batches, refuses gaps and old epochs", () => {
    const table = new ProducerStateTable();
    expect(table.check(7, 0, 3, 1)).toMatchObject({
      kind: "error",
      code: "OUT_OF_ORDER_SEQUENCE_NUMBER",
      expected: 0,
    });
    for (let b = 0; b < 7; b++) {
      expect(table.check(7, 0, b * 2, 2)).toEqual({ kind: "append" });
      table.record(7, 0, b * 2, 2, 100 + b * 2, 0);
    }
    expect(table.batchesOf(7)).toHaveLength(RETAINED_BATCHES);
    expect(table.check(7, 0, 12, 2)).toMatchObject({ kind: "duplicate", batch: { baseOffset: 112 } });
    expect(table.check(7, 0, 2, 2)).toMatchObject({ kind: "error", code: "OUT_OF_ORDER_SEQUENCE_NUMBER" }); // older than the window
    expect(table.check(7, 0, 12, 1)).toMatchObject({
      kind: "error",
      code: "OUT_OF_ORDER_SEQUENCE_NUMBER",
      expected: 14,
    }); // not an exact match
    expect(table.check(7, 1, 5, 1)).toMatchObject({
      kind: "error",
      code: "OUT_OF_ORDER_SEQUENCE_NUMBER",
      expected: 0,
    }); // new epoch starts at 0
    expect(table.check(7, 1, 0, 1)).toEqual({ kind: "append" });
    table.record(7, 1, 0, 1, 200, 0);
    expect(table.check(7, 0, 14, 1)).toMatchObject({ kind: "error", code: "INVALID_PRODUCER_EPOCH" });
    expect(lastSequenceOf(0x7fffffff, 3)).toBe(1);
  });
});

describe("topic configuration", () => {
  it("reads Kafka's dotted config entries", () => {
    expect(
      topicConfigFromEntries([
        { name: "cleanup.policy", value: "delete,compact" },
        { name: "retention.ms", value: "1000" },
        { name: "message.timestamp.type", value: "LogAppendTime" },
      ]),
    ).toEqual({ cleanupPolicy: "compact,delete", retentionMs: 1000, messageTimestampType: "LogAppendTime" });
    expect(() => topicConfigFromEntries([{ name: "unclean.leader.election.enable", value: "true" }])).toThrow(
      expect.objectContaining({ code: "INVALID_CONFIG" }),
    );
  });

  it("alterTopicConfig applies to existing partitions at once", () => {
    const { cluster } = setup();
    cluster.createTopic("t", { partitions: 2 });
    cluster.alterTopicConfig("t", { retentionMs: 5, segmentBytes: 1 });
    expect(cluster.partition("t", 1).config.retentionMs).toBe(5);
    expect(cluster.describeTopic("t").config.segmentBytes).toBe(1);
    expect(() => cluster.alterTopicConfig("t", { segmentBytes: 0 })).toThrow(
      expect.objectContaining({ code: "INVALID_CONFIG" }),
    );
    expect(cluster.describeTopic("t").config.segmentBytes).toBe(1);
  });
});
