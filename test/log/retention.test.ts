import { describe, expect, it } from "vitest";
import { applyRetention } from "../../src/log/retention.js";
import { setup } from "./helpers.js";

describe("retention (delete policy)", () => {
  it("deletes whole segments older than retention.ms and moves the log start offset", async () => {
    const { sim, cluster } = setup({ retentionCheckIntervalMs: 1000 });
    cluster.createTopic("t", { config: { retentionMs: 10_000, segmentMs: 2000 } });
    const log = cluster.partition("t", 0);
    for (let i = 0; i < 10; i++) {
      log.append(null, i);
      await sim.runFor(1000);
    }
    // Segments roll every 2 s: [0,1] [2,3] [4,5] [6,7] [8,9]
    expect(log.segmentBaseOffsets).toEqual([0, 2, 4, 6, 8]);
    await sim.runFor(3000); // now 13000: segment [0,1] newest at 1000 → 12 s old
    expect(log.logStartOffset).toBe(2);
    expect(log.read(2)[0]!.value).toBe(2);
    await sim.runFor(20_000); // everything expired: an empty active segment is rolled first
    expect(log.logStartOffset).toBe(10);
    expect(log.logEndOffset).toBe(10);
    expect(log.size).toBe(0);
    log.checkInvariants();
  });

  it("deletes oldest segments while the rest still holds retention.bytes", () => {
    const { cluster } = setup();
    cluster.createTopic("t", { config: { retentionBytes: 20, segmentBytes: 10 } });
    const log = cluster.partition("t", 0);
    for (let i = 0; i < 10; i++) log.append(null, "12345"); // 5 bytes each, 2 per segment
    expect(log.segmentCount).toBe(5);
    const result = applyRetention(log, 0);
    // 50 bytes: deleting 3 segments leaves 20 ≥ 20; a fourth would leave 10.
    expect(result).toEqual({ segments: 3, records: 6 });
    expect(log.logStartOffset).toBe(6);
    expect(log.bytes).toBe(20);
  });

  it("stops at the first segment that is not old enough", () => {
    const { sim, cluster } = setup();
    cluster.createTopic("t", { config: { retentionMs: 100, segmentBytes: 1 } });
    const log = cluster.partition("t", 0);
    log.append(null, "a", null, 1000); // future timestamp keeps the first segment
    log.append(null, "b", null, 0);
    log.append(null, "c", null, 0);
    applyRetention(log, sim.now + 500);
    expect(log.logStartOffset).toBe(0);
  });

  it("leaves compacted topics alone", () => {
    const { cluster } = setup();
    cluster.createTopic("t", { config: { cleanupPolicy: "compact", retentionMs: 0, segmentBytes: 1 } });
    const log = cluster.partition("t", 0);
    log.append("k", "a");
    log.append("k", "b");
    expect(applyRetention(log, 1e9).segments).toBe(0);
  });
});
