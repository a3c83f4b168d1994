import type { PartitionLog } from "./partition-log.js";
import type { RecordKey } from "./record.js";

/**
 * Log compaction (Kafka's `LogCleaner`): in the cleanable part of the log (every segment before
 * the active one, and older than `min.compaction.lag.ms`) only the newest record per key
 * survives. Offsets never change, so readers see gaps and continue at the next survivor. A null
 * value is a tombstone: it survives the cleaning that first sees it and is removed by the first
 * cleaning at least `delete.retention.ms` later, so consumers that are behind can still see the
 * delete. The cleaner only works on a partition whose dirty ratio (bytes written since the last
 * cleaning / cleanable bytes) reaches `min.cleanable.dirty.ratio`, or that has an expired
 * tombstone, unless forced.
 */

/** What one cleaning did, or null when the partition was not cleanable. */
export interface CompactionResult {
  removed: number;
  tombstonesRemoved: number;
}

/**
 * The identity of a key for compaction: strings and bytes never collide.
 *
 * @example
 * ```ts
 * compactionKey("a") !== compactionKey(new Uint8Array([97])); // true
 * ```
 */
export function compactionKey(key: RecordKey): string | null {
  if (key === null) return null;
  if (typeof key === "string") return `s${key}`;
  let text = "b";
  for (let i = 0; i < key.length; i++) text += String.fromCharCode(key[i]!);
  return text;
}

/** Number of leading segments the cleaner may touch at `now`. */
function cleanableSegments(log: PartitionLog, now: number): number {
  const segments = log.segments;
  const lag = log.config.minCompactionLagMs;
  let n = 0;
  const stable = log.lastStableOffset;
  for (let i = 0; i < segments.length - 1; i++) {
    if (lag > 0 && segments[i]!.maxTimestamp > now - lag) break;
    if (segments[i]!.nextOffset > stable) break;
    n++;
  }
  return n;
}

/**
 * Compacts one partition at virtual time `now` if its policy includes "compact" and it is dirty
 * enough (or `force`). Emits `log.compaction`. Transactions: only segments wholly below the last
 * stable offset are cleanable (an open transaction's outcome is unknown), and records of aborted
 * transactions and markers are dropped rather than counted as a key's latest value (Kafka removes
 * aborted data when cleaning, so an aborted write never shadows a committed one).
 *
 * @example
 * ```ts
 * compactLog(cluster.partition("users", 0), sim.now, true); // { removed: 3, tombstonesRemoved: 0 }
 * ```
 */
export function compactLog(log: PartitionLog, now: number, force = false): CompactionResult | null {
  if (log.config.cleanupPolicy === "delete") return null;
  const count = cleanableSegments(log, now);
  if (count === 0) return null;
  const segments = log.segments.slice(0, count);
  const horizons = log.tombstoneHorizons;

  let total = 0;
  let dirty = 0;
  let expiredTombstone = false;
  for (const segment of segments) {
    total += segment.bytes;
    for (let i = 0; i < segment.count; i++) {
      if (segment.offsetAt(i) >= log.cleanerCheckpoint) dirty += segment.sizes[i]!;
    }
  }
  if (horizons !== null) for (const horizon of horizons.values()) if (horizon <= now) expiredTombstone = true;
  const ratio = total === 0 ? 0 : dirty / total;
  if (!force && !expiredTombstone && (dirty === 0 || ratio < log.config.minCleanableDirtyRatio)) return null;

  // Pass 1: newest offset of every key in the cleanable range (aborted records and markers aside).
  const discard = segments.map((segment) => log.transactions.discardable(segment));
  const latest = new Map<string, number>();
  for (let s = 0; s < segments.length; s++) {
    const segment = segments[s]!;
    const dropped = discard[s]!;
    for (let i = 0; i < segment.count; i++) {
      if (dropped !== null && dropped[i] === 1) continue;
      const id = compactionKey(segment.keyAt(i));
      if (id !== null) latest.set(id, segment.offsetAt(i));
    }
  }

  // Pass 2: keep newest-per-key; tombstones get a horizon on first sight and go after it.
  let removed = 0;
  let tombstonesRemoved = 0;
  const nextHorizons = new Map<number, number>();
  for (let s = 0; s < segments.length; s++) {
    const segment = segments[s]!;
    const dropped = discard[s]!;
    removed += segment.retain((i) => {
      if (dropped !== null && dropped[i] === 1) return false;
      const id = compactionKey(segment.keyAt(i));
      if (id === null) return false; // keyless records cannot live in a compacted log
      const offset = segment.offsetAt(i);
      if (latest.get(id) !== offset) return false;
      if (segment.values[i] === null) {
        const horizon = horizons?.get(offset) ?? now + log.config.deleteRetentionMs;
        if (horizons?.has(offset) && horizon <= now) {
          tombstonesRemoved++;
          return false;
        }
        nextHorizons.set(offset, horizon);
      }
      return true;
    });
  }
  log.tombstoneHorizons = nextHorizons.size > 0 ? nextHorizons : null;
  // Drop segments compaction emptied (never the active one); the log start offset stays.
  log.segments = log.segments.filter((segment, i) => segment.count > 0 || i === log.segments.length - 1);
  log.cleanerCheckpoint = segments[segments.length - 1]!.nextOffset;
  return { removed, tombstonesRemoved };
}
