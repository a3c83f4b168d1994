import type { LogCluster } from "../../log/cluster.js";
import { neverSettles } from "../../scheduler/process.js";
import type { Simulation } from "../../scheduler/simulation.js";
import { CONSUMER_EVENTS, type InstrumentationEmitter } from "./events.js";
import type { GroupMembershipClient } from "./membership.js";
import type { Offsets, TopicOffsets } from "./types.js";

/**
 * kafkajs' `OffsetManager` (`src/consumer/offsetManager`) for one generation of a consumer: what
 * each assigned partition has *committed* (as this member knows it) and what the application has
 * *resolved* (processed: last offset + 1). The next fetch starts at the resolved offset, else the
 * committed one; a partition without a committed offset starts at the earliest or latest offset by
 * its topic's `fromBeginning`, and that starting point also counts as "committed" locally (so
 * nothing is committed for a partition the member read nothing from — kafkajs' behaviour).
 * A rebalance creates a new manager: positions not committed by then are lost and the next owner
 * starts from the committed offsets, which is where redelivery comes from.
 */

/** Commit settings (`consumer.run` options). */
export interface CommitSettings {
  autoCommit: boolean;
  autoCommitInterval: number | null;
  autoCommitThreshold: number | null;
}

/**
 * Offsets of one consumer's current assignment.
 *
 * @example
 * ```ts
 * manager.resolveOffset({ topic: "t", partition: 0, offset: "41" });
 * manager.uncommittedOffsets(); // { topics: [{ topic: "t", partitions: [{ partition: 0, offset: "42" }] }] }
 * ```
 */
export class OffsetManager {
  /** topic → partitions assigned in this generation. */
  readonly memberAssignment: ReadonlyMap<string, readonly number[]>;
  private readonly committed = new Map<string, Map<number, number>>();
  private readonly resolved = new Map<string, Map<number, number>>();
  private lastCommit: number;

  constructor(
    private readonly sim: Simulation,
    private readonly cluster: LogCluster,
    private readonly membership: GroupMembershipClient,
    private readonly emitter: InstrumentationEmitter,
    memberAssignment: ReadonlyMap<string, readonly number[]>,
    private readonly topicConfigurations: ReadonlyMap<string, { fromBeginning: boolean }>,
    private readonly settings: CommitSettings,
    private readonly readCommitted: boolean,
  ) {
    this.memberAssignment = memberAssignment;
    for (const topic of memberAssignment.keys()) {
      this.committed.set(topic, new Map());
      this.resolved.set(topic, new Map());
    }
    this.lastCommit = sim.now;
  }

  /** The offset the next fetch of a partition starts at (kafkajs: an invalid offset reads as 0). */
  nextOffset(topic: string, partition: number): number {
    const resolved = this.resolvedOf(topic);
    let offset = resolved.get(partition);
    if (offset === undefined) {
      offset = this.committedOf(topic).get(partition);
      if (offset !== undefined) resolved.set(partition, offset);
    }
    return offset === undefined || offset < 0 ? 0 : offset;
  }

  /** The committed offset as this member knows it (undefined when unknown). */
  committedOffset(topic: string, partition: number): number | undefined {
    return this.committed.get(topic)?.get(partition);
  }

  /** Forgets the resolved position: the next fetch starts at the committed offset again. */
  resetOffset(topic: string, partition: number): void {
    const committed = this.committedOf(topic).get(partition);
    if (committed === undefined) this.resolvedOf(topic).delete(partition);
    else this.resolvedOf(topic).set(partition, committed);
  }

  /** Marks `offset` as processed: the next offset to read (and commit) is `offset + 1`. */
  resolveOffset(topic: string, partition: number, offset: number): void {
    this.resolvedOf(topic).set(partition, offset + 1);
  }

  /** Sum over partitions of resolved − committed (what `autoCommitThreshold` counts). */
  countResolvedOffsets(): number {
    let n = 0;
    for (const [topic, resolved] of this.resolved) {
      const committed = this.committedOf(topic);
      for (const [partition, offset] of resolved) {
        const c = committed.get(partition);
        n += c === undefined || c < 0 ? offset : offset - c;
      }
    }
    return n;
  }

  /** Resolved offsets that differ from the committed ones, as kafkajs reports them. */
  uncommittedOffsets(): Offsets {
    const topics: TopicOffsets[] = [];
    for (const topic of this.memberAssignment.keys()) {
      const committed = this.committedOf(topic);
      const partitions: { partition: number; offset: string }[] = [];
      for (const [partition, offset] of this.resolvedOf(topic)) {
        if (offset !== committed.get(partition) && offset >= 0)
          partitions.push({ partition, offset: String(offset) });
      }
      if (partitions.length > 0) topics.push({ topic, partitions });
    }
    return { topics };
  }

  /** Commits if `autoCommitInterval` has passed since the last commit or `autoCommitThreshold` offsets are pending. */
  async commitOffsetsIfNecessary(): Promise<void> {
    const { autoCommitInterval, autoCommitThreshold } = this.settings;
    const timeoutReached =
      autoCommitInterval !== null && this.sim.now >= this.lastCommit + autoCommitInterval;
    const thresholdReached =
      autoCommitThreshold !== null && this.countResolvedOffsets() >= autoCommitThreshold;
    if (timeoutReached || thresholdReached) await this.commitOffsets();
  }

  /**
   * Commits the given offsets, or every uncommitted resolved offset, with this member's identity;
   * emits COMMIT_OFFSETS and updates the local committed view. Coordinator refusals reject with
   * kafkajs' protocol errors (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, REBALANCE_IN_PROGRESS).
   */
  async commitOffsets(offsets: Partial<Offsets> = {}): Promise<void> {
    const topics = offsets.topics ?? this.uncommittedOffsets().topics;
    if (topics.length === 0) {
      this.lastCommit = this.sim.now;
      return;
    }
    // The model's crash points (CRASH_POINTS): the fault layer may kill the process before the
    // commit reaches the coordinator, or right after it did; a dead process's code goes no further.
    const details = { groupId: this.membership.groupId, offsets: topics };
    if (this.sim.crashPoint("before-commit", details)) return neverSettles();
    await this.emitter.request("OffsetCommit", () => this.membership.commit(topics));
    if (this.sim.crashPoint("after-commit", details)) return neverSettles();
    if (this.emitter.wants(CONSUMER_EVENTS.COMMIT_OFFSETS)) {
      this.emitter.emit(CONSUMER_EVENTS.COMMIT_OFFSETS, {
        groupId: this.membership.groupId,
        memberId: this.membership.memberId,
        groupGenerationId: this.membership.generationId,
        topics,
      });
    }
    for (const { topic, partitions } of topics) {
      const committed = this.committedOf(topic);
      for (const { partition, offset } of partitions) committed.set(partition, Number(offset));
    }
    this.lastCommit = this.sim.now;
  }

  /**
   * kafkajs' seek: ignored for partitions not assigned to this member; with autoCommit the offset
   * is committed (and read back before the next fetch), otherwise it becomes the resolved position.
   */
  async seek(topic: string, partition: number, offset: number): Promise<void> {
    if (!(this.memberAssignment.get(topic) ?? []).includes(partition)) return;
    if (!this.settings.autoCommit) {
      this.resolveOffset(topic, partition, offset - 1);
      return;
    }
    await this.emitter.request("OffsetCommit", () =>
      this.membership.commit([{ topic, partitions: [{ partition, offset: String(offset) }] }]),
    );
    this.clearOffsets(topic, partition);
  }

  /**
   * After OFFSET_OUT_OF_RANGE: kafkajs commits its "default offset" (-2/-1, which reads back as no
   * valid offset) and starts over from the topic's `fromBeginning` policy.
   */
  async setDefaultOffset(topic: string, partition: number): Promise<void> {
    const special = this.topicConfigurations.get(topic)?.fromBeginning ? "-2" : "-1";
    await this.membership.commit([{ topic, partitions: [{ partition, offset: special }] }]);
    this.clearOffsets(topic, partition);
  }

  /**
   * Fills in the committed offset of every assigned partition that has none: from the group's
   * committed offsets (OffsetFetch), else the earliest or latest offset by `fromBeginning`
   * (ListOffsets; latest is the last stable offset for read_committed consumers).
   */
  async resolveOffsets(): Promise<void> {
    const groupId = this.membership.groupId;
    for (const [topic, partitions] of this.memberAssignment) {
      const committed = this.committedOf(topic);
      for (const partition of partitions) {
        const known = committed.get(partition);
        if (known !== undefined && known >= 0) continue;
        const stored = this.cluster.coordinator.committed(groupId, topic, partition)?.offset;
        if (stored !== undefined && stored >= 0) {
          committed.set(partition, stored);
          continue;
        }
        if (!this.cluster.hasTopic(topic)) continue;
        const log = this.cluster.partition(topic, partition);
        const fromBeginning = this.topicConfigurations.get(topic)?.fromBeginning ?? false;
        committed.set(
          partition,
          fromBeginning ? log.logStartOffset : this.readCommitted ? log.lastStableOffset : log.highWatermark,
        );
      }
    }
  }

  /** Forgets both offsets of a partition (they are read back from the coordinator). */
  clearOffsets(topic: string, partition: number): void {
    this.committed.get(topic)?.delete(partition);
    this.resolved.get(topic)?.delete(partition);
  }

  private committedOf(topic: string): Map<number, number> {
    let m = this.committed.get(topic);
    if (m === undefined) {
      m = new Map();
      this.committed.set(topic, m);
    }
    return m;
  }

  private resolvedOf(topic: string): Map<number, number> {
    let m = this.resolved.get(topic);
    if (m === undefined) {
      m = new Map();
      this.resolved.set(topic, m);
    }
    return m;
  }
}
