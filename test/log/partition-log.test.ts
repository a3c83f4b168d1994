import { describe, expect, it } from "vitest";
import { FetchBuffer, PartitionLog } from "../../src/log/partition-log.js";
import { TOPIC_DEFAULTS } from "../../src/log/topic-config.js";
import { setup } from "./helpers.js";

function makeLog(config = {}) {
  let now = 0;
  const log = new PartitionLog("t", 0, { ...TOPIC_DEFAULTS, ...config }, { clock: () => now });
  return { log, advance: (ms: number) => (now += ms), now: () => now };
}

describe("PartitionLog", () => {
  it("gives consecutive offsets and reads them back in order", () => {
    const { log } = makeLog();
    expect(log.append("a", 1)).toBe(0);
    expect(log.append(null, 2, { h: "x" })).toBe(1);
    expect(log.appendBatch(null, [3, 4, 5])).toBe(2);
    expect(log.logEndOffset).toBe(5);
    expect(log.read(0).map((r) => [r.offset, r.value])).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
      [3, 4],
      [4, 5],
    ]);
    expect(log.read(1, 1)[0]).toMatchObject({ key: null, headers: { h: "x" }, timestampType: "CreateTime" });
    expect(log.read(5)).toEqual([]);
    log.checkInvariants();
  });

  it("rolls segments on segment.bytes and segment.ms", () => {
    const { log, advance } = makeLog({ segmentBytes: 10, segmentMs: 1000 });
    log.append(null, "12345"); // 5 bytes
    log.append(null, "12345"); // 10: fits exactly
    log.append(null, "1"); // would exceed: roll
    expect(log.segmentBaseOffsets).toEqual([0, 2]);
    advance(1000);
    log.append(null, "x"); // segment.ms elapsed since first append of segment 2
    expect(log.segmentBaseOffsets).toEqual([0, 2, 3]);
    log.checkInvariants();
  });

  it("respects maxRecords and maxBytes but always returns one record", () => {
    const { log } = makeLog();
    log.appendBatch(null, ["aaaa", "bbbb", "cccc"]);
    const out = new FetchBuffer();
    expect(log.readInto(0, 10, 5, out)).toBe(1);
    expect(out.nextOffset).toBe(1);
    expect(log.readInto(0, 10, 1, out)).toBe(1);
    expect(log.readInto(1, 1, 100, out)).toBe(1);
    expect(log.readInto(0, 10, 8, out)).toBe(2);
  });

  it("refuses reads outside [log start, log end] with OFFSET_OUT_OF_RANGE", () => {
    const { log } = makeLog();
    log.append(null, 1);
    expect(() => log.read(2)).toThrow(expect.objectContaining({ code: "OFFSET_OUT_OF_RANGE" }));
    log.deleteRecordsBefore(1);
    expect(() => log.read(0)).toThrow(expect.objectContaining({ code: "OFFSET_OUT_OF_RANGE" }));
    expect(log.logStartOffset).toBe(1);
  });

  it("uses the broker's time on LogAppendTime topics", () => {
    const { log, advance } = makeLog({ messageTimestampType: "LogAppendTime" });
    advance(50);
    log.append(null, 1, null, 7);
    expect(log.read(0)[0]).toMatchObject({ timestamp: 50, timestampType: "LogAppendTime" });
  });

  it("finds offsets by timestamp", () => {
    const { log } = makeLog();
    log.append(null, "a", null, 10);
    log.append(null, "b", null, 30);
    log.append(null, "c", null, 20);
    expect(log.offsetForTimestamp(15)).toBe(1);
    expect(log.offsetForTimestamp(31)).toBe(null);
  });

  it("stores keyless, header-less records without key or header columns", () => {
    const { log } = makeLog();
    log.appendBatch(null, [1, 2, 3]);
    expect(log.segments[0]!.keys).toBe(null);
    expect(log.segments[0]!.headers).toBe(null);
    log.append("k", 4);
    expect(log.segments[0]!.keys).toEqual([null, null, null, "k"]);
  });
});

describe("LogCluster topics", () => {
  it("creates, describes, lists, extends and deletes topics", () => {
    const { cluster } = setup();
    cluster.createTopic("b", { partitions: 2 });
    cluster.createTopic("a");
    expect(cluster.listTopics()).toEqual(["a", "b"]);
    expect(cluster.describeTopic("b")).toMatchObject({
      name: "b",
      partitions: 2,
      config: { cleanupPolicy: "delete" },
    });
    cluster.addPartitions("b", 4);
    expect(cluster.offsets("b").map((o) => o.partition)).toEqual([0, 1, 2, 3]);
    cluster.deleteTopic("a");
    expect(cluster.hasTopic("a")).toBe(false);
  });

  it("moves keys when partitions are added, as Kafka does", async () => {
    const { sim, cluster } = setup();
    cluster.createTopic("t", { partitions: 2 });
    const producer = cluster.producer();
    const before = await Promise.all([producer.send({ topic: "t", key: "foobar", value: 1 }), sim.run()]);
    cluster.addPartitions("t", 10);
    const after = await Promise.all([producer.send({ topic: "t", key: "foobar", value: 2 }), sim.run()]);
    expect(before[0].partition).toBe(0); // murmur2("foobar") → 6 of 10, 0 of 2
    expect(after[0].partition).toBe(6);
  });
});
