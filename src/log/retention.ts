import type { PartitionLog } from "./partition-log.js";
import type { Segment } from "./segment.js";

/**
 * Delete-policy retention (Kafka's `UnifiedLog.deleteOldSegments`): whole segments go, oldest
 * first, stopping at the first one that does not qualify. Three rules, applied in Kafka's order:
 * time (`retention.ms`: the segment's newest record is older), size (`retention.bytes`: delete
 * while what remains still holds at least that much), and log start (segments wholly below a log
 * start offset moved by `deleteRecords`). When every segment qualifies, an empty active segment
 * is rolled first so the log keeps its end offset. The log start offset becomes the first
 * remaining segment's base.
 */

/** What one retention pass deleted. */
export interface RetentionResult {
  segments: number;
  records: number;
}

type Predicate = (segment: Segment, isLast: boolean) => boolean;

function deleteOldSegments(log: PartitionLog, predicate: Predicate): RetentionResult {
  const segments = log.segments;
  let deletable = 0;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const isLast = i === segments.length - 1;
    if (isLast && segment.count === 0) break; // never delete an empty active segment
    if (!predicate(segment, isLast)) break;
    deletable++;
  }
  if (deletable === 0) return { segments: 0, records: 0 };
  if (deletable === segments.length) log.roll();
  let records = 0;
  for (let i = 0; i < deletable; i++) records += segments[i]!.count;
  log.segments.splice(0, deletable);
  const first = log.segments[0]!.baseOffset;
  if (first > log.start) log.start = first;
  if (log.cleanerCheckpoint < log.start) log.cleanerCheckpoint = log.start;
  if (log.tombstoneHorizons !== null) {
    for (const offset of log.tombstoneHorizons.keys())
      if (offset < log.start) log.tombstoneHorizons.delete(offset);
  }
  return { segments: deletable, records };
}

/**
 * Applies `retention.ms`, `retention.bytes` and the log-start rule to one partition at virtual
 * time `now` (only for topics whose cleanup policy includes "delete"). Emits `log.retention`.
 *
 * @example
 * ```ts
 * applyRetention(cluster.partition("events", 0), sim.now); // { segments: 2, records: 1000 }
 * ```
 */
export function applyRetention(log: PartitionLog, now: number): RetentionResult {
  const config = log.config;
  if (config.cleanupPolicy === "compact") {
    return deleteOldSegments(log, (segment, isLast) => !isLast && segment.nextOffset <= log.start);
  }
  const total: RetentionResult = { segments: 0, records: 0 };
  const add = (r: RetentionResult) => {
    total.segments += r.segments;
    total.records += r.records;
  };
  if (config.retentionMs >= 0) {
    const limit = config.retentionMs;
    add(deleteOldSegments(log, (segment) => segment.count === 0 || now - segment.maxTimestamp > limit));
  }
  if (config.retentionBytes >= 0) {
    let diff = log.bytes - config.retentionBytes;
    add(
      deleteOldSegments(log, (segment) => {
        if (diff - segment.bytes < 0) return false;
        diff -= segment.bytes;
        return true;
      }),
    );
  }
  add(deleteOldSegments(log, (segment, isLast) => !isLast && segment.nextOffset <= log.start));
  return total;
}
