import { describe, expect, it } from "vitest";
import { compactLog } from "../../src/log/compaction.js";
import { applyRetention } from "../../src/log/retention.js";
import { setup } from "./helpers.js";

function compacted(
  options: { deleteRetentionMs?: number; cleanupPolicy?: "compact" | "compact,delete" } = {},
) {
  const { sim, cluster } = setup({ cleanerBackoffMs: 1000 });
  cluster.createTopic("users", {
    config: {
      cleanupPolicy: options.cleanupPolicy ?? "compact",
      segmentBytes: 6,
      deleteRetentionMs: options.deleteRetentionMs ?? 60_000,
    },
  });
  return { sim, cluster, log: cluster.partition("users", 0) };
}

describe("compaction", () => {
  it("keeps the newest record per key outside the active segment, offsets unchanged", () => {
    const { sim, log } = compacted();
    for (const [k, v] of [
      ["a", "1"],
      ["b", "1"],
      ["a", "2"],
      ["c", "1"],
      ["a", "3"],
      ["b", "2"],
      ["d", "1"],
    ] as const)
      log.append(k, v);
    // 2 bytes per record, 6 bytes per segment: [0..2] [3..5] [6] (active)
    expect(log.segmentBaseOffsets).toEqual([0, 3, 6]);
    compactLog(log, sim.now, true);
    expect(log.all().map((r) => `${r.offset}:${String(r.key)}=${String(r.value)}`)).toEqual([
      "3:c=1",
      "4:a=3",
      "5:b=2",
      "6:d=1",
    ]);
    log.checkInvariants();
  });

  it("reads at a compacted-away offset continue at the next survivor", () => {
    const { sim, cluster, log } = compacted();
    for (const k of ["a", "a", "a", "b", "b", "c", "z"]) log.append(k, "x");
    compactLog(log, sim.now, true);
    expect(cluster.fetch("users", 0, 0, { maxRecords: 1 })[0]!.offset).toBe(2);
    expect(cluster.fetch("users", 0, 3, { maxRecords: 1 })[0]!.offset).toBe(4);
  });

  it("never compacts the active segment", () => {
    const { sim, log } = compacted();
    log.append("a", "1");
    log.append("a", "2");
    compactLog(log, sim.now, true);
    expect(log.size).toBe(2);
  });

  it("removes tombstones only delete.retention.ms after the cleaning that first saw them", async () => {
    const { sim, log } = compacted({ deleteRetentionMs: 10_000 });
    log.append("a", "1");
    log.append("a", null); // tombstone
    log.append("b", "1");
    log.append("z", "1"); // rolls: [0..2] [3]
    compactLog(log, sim.now, true);
    expect(log.all().map((r) => [r.offset, r.value])).toEqual([
      [1, null],
      [2, "1"],
      [3, "1"],
    ]);
    await sim.runFor(9_000);
    compactLog(log, sim.now, true);
    expect(log.all().some((r) => r.offset === 1)).toBe(true); // a slow consumer still sees the delete
    await sim.runFor(1_000);
    compactLog(log, sim.now, true);
    expect(log.all().map((r) => r.offset)).toEqual([2, 3]);
  });

  it("the periodic cleaner compacts once the dirty ratio is reached", async () => {
    const { sim, log } = compacted();
    for (let i = 0; i < 9; i++) log.append("k", `${i}`);
    await sim.runFor(1000);
    expect(log.size).toBe(4); // [0..2] [3..5] compacted to one record; active [6..8]
    expect(log.all().map((r) => r.offset)).toEqual([5, 6, 7, 8]);
  });

  it("skips a log whose dirty ratio is below min.cleanable.dirty.ratio unless forced", () => {
    const { sim, log } = compacted();
    for (let i = 0; i < 6; i++) log.append(`k${i}`, "x");
    log.append("z", "x");
    expect(compactLog(log, sim.now, false)).not.toBe(null); // first cleaning: all dirty
    log.append("z", "y");
    expect(compactLog(log, sim.now, false)).toBe(null); // nothing new below the active segment
  });

  it("refuses keyless records on compacted topics with INVALID_RECORD", async () => {
    const { sim, cluster } = compacted();
    const producer = cluster.producer();
    const sent = producer.send({ topic: "users", value: "no key" });
    await sim.run();
    await expect(sent).rejects.toMatchObject({ code: "INVALID_RECORD" });
    expect(cluster.partition("users", 0).logEndOffset).toBe(0);
  });

  it("compact,delete also applies time retention", () => {
    const { log } = compacted({ cleanupPolicy: "compact,delete" });
    log.config = { ...log.config, retentionMs: 10 };
    for (let i = 0; i < 7; i++) log.append(`k${i}`, "x", null, 0); // distinct keys: compaction keeps all
    expect(log.segmentCount).toBe(4);
    expect(applyRetention(log, 1000).records).toBe(7);
    expect(log.logStartOffset).toBe(7);
  });
});
