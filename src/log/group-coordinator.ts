import { describeValue } from "../scheduler/describe-value.js";
import { invariant } from "../scheduler/errors.js";
import type { RepeatingHandle, Simulation } from "../scheduler/simulation.js";
import type { Assignor, AssignorMember, TopicPartition } from "./assignors/types.js";
import { CommitFailedError, LogError, type LogErrorCode } from "./errors.js";
import {
  allJoined,
  type CommittedOffset,
  committedOffset,
  committedOffsets,
  duplicateAssignments,
  emptyGroup,
  type GroupAction,
  type GroupPhase,
  type GroupState,
  hasPendingTxnOffset,
  type JoiningMember,
  type MemberIdentity,
  reduceGroup,
  selectProtocol,
  validateCommit,
  validateHeartbeat,
  validateSync,
  validateTxnOffsetCommit,
} from "./group-state.js";
import type { Network } from "./network.js";
import { sortPartitions, type TopicPartitionOffset, tpName } from "./record.js";
import { backgroundAt } from "./timers.js";
import "./events.js";

/**
 * The group coordinator (Kafka's classic `GroupCoordinator`) for every consumer group of a cluster.
 * Each group's control-plane state is an immutable {@link GroupState} advanced by the reducers of
 * `group-state.ts`; this class owns what reducers must not: timers (initial rebalance delay,
 * rebalance timeout, session expiry), links to member clients, and the assignors members brought.
 *
 * Protocol, as in Kafka: a JoinGroup moves the group to PreparingRebalance; members learn of it
 * from heartbeat responses and rejoin from their next poll; the join phase completes when every
 * member has rejoined (or the rebalance timeout drops the absent), the generation increments, the
 * leader's assignor computes the assignment (run here on the leader's behalf), the group waits for
 * SyncGroup (CompletingRebalance) and becomes Stable; members receive their assignment one
 * network latency later. A new group first waits `group.initial.rebalance.delay.ms`, extended by
 * each member joining meanwhile (up to the rebalance timeout).
 */

/** What a member sends to join. */
export interface JoinRequest {
  /** "" for a new member. */
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  /** Assignors in preference order; the group picks one all members support. */
  readonly assignors: readonly Assignor[];
  readonly topics: readonly string[];
  readonly ownedPartitions: readonly TopicPartition[];
  readonly ownedGeneration: number;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
}

/** JoinGroup response. */
export type JoinResponse =
  | {
      readonly error: null;
      readonly memberId: string;
      readonly generation: number;
      readonly protocol: string | null;
      readonly leaderId: string | null;
    }
  | { readonly error: LogErrorCode; readonly message: string };

/**
 * How the coordinator answers a member (the member client implements it). Every JoinGroup a
 * member is still waiting on, and every SyncGroup it sends after a successful join, is answered:
 * a member left waiting would neither heartbeat nor rejoin.
 */
export interface MemberLink {
  onJoinResponse(response: JoinResponse): void;
  onSyncResponse(generation: number, assignment: readonly TopicPartition[], protocol: string | null): void;
  /**
   * SyncGroup for `generation` refused (see `validateSync`): `REBALANCE_IN_PROGRESS` when the group
   * began another rebalance before the SyncGroup arrived, `ILLEGAL_GENERATION`,
   * `UNKNOWN_MEMBER_ID` or `FENCED_INSTANCE_ID`. The member must rejoin (or give up, when fenced).
   * Optional: a client that checks the group itself (the kafkajs facade) may leave it out.
   */
  onSyncError?(generation: number, error: LogErrorCode, message: string): void;
}

/** A member that received its JoinGroup response and sends SyncGroup for that generation. */
interface SyncWaiter {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly link: MemberLink;
}

/** What the coordinator needs from its cluster. */
export interface CoordinatorContext {
  readonly sim: Simulation;
  readonly network: Network;
  partitionCount(topic: string): number | null;
  highWatermark(topic: string, partition: number): number | null;
  readonly initialRebalanceDelayMs: number;
  readonly minSessionTimeoutMs: number;
  readonly maxSessionTimeoutMs: number;
  readonly validateCommitOffsets: boolean;
}

/**
 * A group as admin tools describe it (Kafka's DescribeGroups).
 *
 * @example
 * ```ts
 * cluster.describeGroup("g").members.map((m) => m.assignment);
 * ```
 */
export interface GroupDescription {
  groupId: string;
  state: GroupPhase;
  generation: number;
  protocol: string | null;
  leaderId: string | null;
  members: {
    memberId: string;
    clientId: string;
    groupInstanceId: string | null;
    topics: string[];
    assignment: TopicPartition[];
  }[];
}

interface GroupRuntime {
  readonly links: Map<string, MemberLink>;
  readonly deadlines: Map<string, number>;
  readonly sessionTimers: Map<string, RepeatingHandle>;
  readonly assignors: Map<string, Assignor>;
  readonly pendingJoins: { request: JoinRequest; link: MemberLink }[];
  initialDelayUntil: number;
  joinTimer: number;
  joinTimerAt: number;
}

/**
 * Coordinates every group of one cluster. Reached through {@link LogCluster}; member clients call
 * it through the network model.
 *
 * @example
 * ```ts
 * cluster.coordinator.state("g")?.phase; // "Stable"
 * ```
 */
export class GroupCoordinator {
  private readonly groups = new Map<string, GroupState>();
  private readonly runtimes = new Map<string, GroupRuntime>();
  private readonly context: CoordinatorContext;
  private nextMember = 1;

  constructor(context: CoordinatorContext) {
    this.context = context;
  }

  /** The current immutable state of a group, or undefined. */
  state(groupId: string): GroupState | undefined {
    return this.groups.get(groupId);
  }

  /** Ids of all known groups, sorted. */
  groupIds(): string[] {
    return [...this.groups.keys()].sort();
  }

  /** Describes a group; an unknown group reads as Dead with no members, as in Kafka. */
  describe(groupId: string): GroupDescription {
    const state = this.groups.get(groupId);
    if (state === undefined) {
      return { groupId, state: "Dead", generation: -1, protocol: null, leaderId: null, members: [] };
    }
    return {
      groupId,
      state: state.phase,
      generation: state.generation,
      protocol: state.protocol,
      leaderId: state.leaderId,
      members: state.joinOrder.map((id) => {
        const m = state.members.get(id)!;
        return {
          memberId: id,
          clientId: m.clientId,
          groupInstanceId: m.groupInstanceId,
          topics: [...m.topics],
          assignment: m.assignment.map((tp) => ({ topic: tp.topic, partition: tp.partition })),
        };
      }),
    };
  }

  // ---------------------------------------------------------------- membership

  /**
   * Handles a JoinGroup request that reached the coordinator. Requests arriving at the same virtual
   * instant are processed together (in arrival order) so a thousand members rejoining cost one
   * state transition, not a thousand copies of the member table.
   */
  join(groupId: string, request: JoinRequest, link: MemberLink): void {
    const runtime = this.runtime(groupId);
    runtime.pendingJoins.push({ request, link });
    if (runtime.pendingJoins.length === 1) this.context.sim.defer(this.flushJoins, groupId);
  }

  private readonly flushJoins = (groupId: string): void => {
    const { sim } = this.context;
    const now = sim.now;
    const runtime = this.runtime(groupId);
    const queue = runtime.pendingJoins.splice(0);
    let state = this.groups.get(groupId) ?? emptyGroup(groupId);
    if (!this.groups.has(groupId)) this.groups.set(groupId, state);
    const accepted: { member: JoiningMember; isNew: boolean }[] = [];
    const seen = new Set<string>();
    let common = [...state.commonProtocols];
    let size = state.members.size;
    for (const { request, link } of queue) {
      if (
        request.sessionTimeoutMs < this.context.minSessionTimeoutMs ||
        request.sessionTimeoutMs > this.context.maxSessionTimeoutMs
      ) {
        this.respondJoin(link, {
          error: "INVALID_SESSION_TIMEOUT",
          message: `session.timeout.ms ${request.sessionTimeoutMs} is outside the broker's [group.min.session.timeout.ms ${this.context.minSessionTimeoutMs}, group.max.session.timeout.ms ${this.context.maxSessionTimeoutMs}].`,
        });
        continue;
      }
      const names = request.assignors.map((a) => a.name);
      // The new member must share a protocol with everyone else (Kafka's INCONSISTENT_GROUP_PROTOCOL).
      const known =
        state.members.has(request.memberId) ||
        seen.has(request.memberId) ||
        (request.groupInstanceId !== null && state.staticMembers[request.groupInstanceId] !== undefined);
      const alone = size === 0 || (size === 1 && known);
      if (!alone && !names.some((n) => common.includes(n))) {
        this.respondJoin(link, {
          error: "INCONSISTENT_GROUP_PROTOCOL",
          message: `Group ${groupId}: assignors [${names.join(", ")}] share none with the current members' [${common.join(", ")}]. Configure a common partition assignment strategy.`,
        });
        continue;
      }
      if (
        request.memberId !== "" &&
        !state.members.has(request.memberId) &&
        !seen.has(request.memberId) &&
        request.groupInstanceId === null
      ) {
        this.respondJoin(link, {
          error: "UNKNOWN_MEMBER_ID",
          message: `Group ${groupId}: member ${request.memberId} is not known; rejoin as a new member.`,
        });
        continue;
      }
      for (const assignor of request.assignors)
        if (!runtime.assignors.has(assignor.name)) runtime.assignors.set(assignor.name, assignor);

      let memberId = request.memberId;
      // Static membership: a known instance id gets a fresh member id and fences the old one.
      if (request.groupInstanceId !== null && state.staticMembers[request.groupInstanceId] !== undefined) {
        const oldId = state.staticMembers[request.groupInstanceId]!;
        if (oldId !== request.memberId) {
          memberId = `${request.clientId}-${this.nextMember++}`;
          const old = state.members.get(oldId)!;
          this.apply(groupId, {
            type: "replace-static",
            groupInstanceId: request.groupInstanceId,
            newMemberId: memberId,
          });
          state = this.groups.get(groupId)!;
          const oldLink = runtime.links.get(oldId);
          runtime.links.delete(oldId);
          this.forgetSession(runtime, oldId);
          runtime.links.set(memberId, link);
          // Kafka fences the replaced instance's pending JoinGroup at once (its SyncGroup, if it is
          // waiting on one, gets FENCED_INSTANCE_ID from validateSync).
          if (
            oldLink !== undefined &&
            oldLink !== link &&
            old.joined &&
            state.phase === "PreparingRebalance"
          ) {
            this.respondJoin(oldLink, {
              error: "FENCED_INSTANCE_ID",
              message: `Group ${groupId}: another consumer joined with group.instance.id ${request.groupInstanceId}; this one is fenced.`,
            });
          }
          const unchanged =
            old.topics.length === request.topics.length &&
            old.topics.every((t, i) => t === request.topics[i]) &&
            old.protocols.join() === names.join();
          if (state.phase === "Stable" && unchanged) {
            // Kafka answers a returning static member with the current assignment, without a rebalance.
            this.touch(groupId, memberId, old.sessionTimeoutMs);
            const { generation, protocol } = state;
            this.respondJoin(link, { error: null, memberId, generation, protocol, leaderId: state.leaderId });
            const waiter = { memberId, groupInstanceId: request.groupInstanceId, link };
            this.later(1, () => this.syncArrived(groupId, generation, [waiter]));
            continue;
          }
        }
      }
      if (memberId === "") memberId = `${request.clientId}-${this.nextMember++}`;
      runtime.links.set(memberId, link);
      const isNew = !state.members.has(memberId) && !seen.has(memberId);
      seen.add(memberId);
      common = size === 0 ? [...names] : common.filter((n) => names.includes(n));
      if (isNew) size++;
      accepted.push({
        isNew,
        member: {
          memberId,
          groupInstanceId: request.groupInstanceId,
          clientId: request.clientId,
          protocols: names,
          topics: [...request.topics],
          ownedPartitions: request.ownedPartitions.map((tp) => ({
            topic: tp.topic,
            partition: tp.partition,
          })),
          ownedGeneration: request.ownedGeneration,
          sessionTimeoutMs: request.sessionTimeoutMs,
          rebalanceTimeoutMs: request.rebalanceTimeoutMs,
        },
      });
    }
    if (accepted.length === 0) return;

    const wasEmpty = state.phase === "Empty";
    const startsRebalance = state.phase !== "PreparingRebalance";
    const first = accepted[0]!;
    const reason = `member ${first.member.memberId} ${first.isNew ? "joined" : "rejoined"}${accepted.length > 1 ? ` (and ${accepted.length - 1} more)` : ""}`;
    this.apply(groupId, { type: "join", members: accepted.map((a) => a.member), now, reason });
    state = this.groups.get(groupId)!;
    for (const { member } of accepted) {
      this.forgetSession(runtime, member.memberId); // members awaiting a join response are not expired
      this.emit("group.join", () => ({
        groupId,
        memberId: member.memberId,
        groupInstanceId: member.groupInstanceId,
        topics: [...member.topics],
      }));
    }
    const generation = state.generation;
    if (startsRebalance) this.emit("group.rebalance", () => ({ groupId, generation, reason }));
    if (wasEmpty) {
      runtime.initialDelayUntil = now + this.context.initialRebalanceDelayMs;
    } else if (accepted.some((a) => a.isNew) && now < runtime.initialDelayUntil) {
      // InitialDelayedJoin: each new member extends the delay, bounded by the rebalance timeout.
      const limit = (state.rebalanceStartedAt ?? now) + this.maxRebalanceTimeout(state);
      runtime.initialDelayUntil = Math.min(now + this.context.initialRebalanceDelayMs, limit);
    }
    this.scheduleJoinCheck(groupId);
  };

  /** Handles a LeaveGroup (or a removal decided by the coordinator itself). */
  leave(
    groupId: string,
    memberId: string,
    reason: "leave" | "poll-timeout" | "session-timeout" | "rebalance-timeout" = "leave",
  ): void {
    const state = this.groups.get(groupId);
    if (state === undefined || !state.members.has(memberId)) return;
    const runtime = this.runtime(groupId);
    const before = state.phase;
    this.apply(groupId, {
      type: "remove",
      memberId,
      now: this.context.sim.now,
      reason: `member ${memberId} left (${reason})`,
    });
    runtime.links.delete(memberId);
    this.forgetSession(runtime, memberId);
    this.emit("group.member-removed", () => ({ groupId, memberId, reason }));
    const after = this.groups.get(groupId)!;
    if (before !== "PreparingRebalance" && after.phase === "PreparingRebalance") {
      this.emit("group.rebalance", () => ({
        groupId,
        generation: after.generation,
        reason: `member ${memberId} left (${reason})`,
      }));
    }
    if (after.phase === "Empty") {
      this.cancelJoinTimer(runtime);
      runtime.initialDelayUntil = Number.NEGATIVE_INFINITY;
    } else this.scheduleJoinCheck(groupId);
  }

  /** Handles a heartbeat; returns Kafka's error or null. Refreshes the member's session. */
  heartbeat(groupId: string, who: MemberIdentity): LogErrorCode | null {
    const state = this.groups.get(groupId);
    if (state === undefined) return "UNKNOWN_MEMBER_ID";
    const error = validateHeartbeat(state, who);
    const member = state.members.get(who.memberId);
    // A late heartbeat must not re-arm the session of a member awaiting its JoinGroup response:
    // such members are not expired (Kafka's `hasSatisfiedHeartbeat` while awaiting join).
    const awaitingJoin = state.phase === "PreparingRebalance" && member?.joined === true;
    if (
      error !== "UNKNOWN_MEMBER_ID" &&
      error !== "FENCED_INSTANCE_ID" &&
      member !== undefined &&
      !awaitingJoin
    ) {
      this.touch(groupId, who.memberId, member.sessionTimeoutMs);
    }
    return error;
  }

  /** Asks the group to rebalance (a member's enforceRebalance, or metadata changes seen by the leader). */
  requestRebalance(groupId: string, reason: string): void {
    const state = this.groups.get(groupId);
    if (state === undefined || (state.phase !== "Stable" && state.phase !== "CompletingRebalance")) return;
    this.apply(groupId, { type: "request-rebalance", now: this.context.sim.now, reason });
    this.emit("group.rebalance", () => ({ groupId, generation: state.generation, reason }));
    this.scheduleJoinCheck(groupId);
  }

  // ---------------------------------------------------------------- offsets

  /**
   * Commits offsets for a group after validating the member (Kafka's rules, see
   * {@link validateCommit}) and every offset; all or nothing. Creates the group if unknown, as
   * Kafka does for manual-assign commits. Throws {@link CommitFailedError} or {@link LogError}.
   */
  commit(groupId: string, who: MemberIdentity, offsets: readonly TopicPartitionOffset[], auto = false): void {
    const now = this.context.sim.now;
    const state = this.groups.get(groupId) ?? emptyGroup(groupId);
    const error = validateCommit(state, who);
    if (error !== null) {
      this.emit("log.commit-failed", () => ({
        groupId,
        memberId: who.memberId,
        generation: who.generation,
        code: error,
        auto,
      }));
      throw new CommitFailedError(error, commitFailureMessage(groupId, who, error, state), {
        groupId,
        memberId: who.memberId,
        generation: who.generation,
        groupGeneration: state.generation,
        phase: state.phase,
      });
    }
    const invalid = this.checkOffsets(groupId, offsets);
    if (invalid !== null) throw invalid;
    if (!this.groups.has(groupId)) {
      this.groups.set(groupId, state);
      this.runtime(groupId);
    }
    this.apply(groupId, { type: "commit", offsets, now });
    this.emit("log.commit", () => ({
      groupId,
      memberId: who.memberId,
      generation: who.generation,
      offsets: offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset })),
      auto,
    }));
  }

  /**
   * Refuses offsets of partitions that do not exist, and (with `validateCommitOffsets`) offsets
   * beyond the log end. Null when all are acceptable.
   */
  checkOffsets(groupId: string, offsets: readonly TopicPartitionOffset[]): LogError | null {
    for (const o of offsets) {
      const count = this.context.partitionCount(o.topic);
      if (count === null || o.partition >= count) {
        return new LogError(
          "UNKNOWN_TOPIC_OR_PARTITION",
          `Cannot commit ${tpName(o)} for group ${groupId}: the partition does not exist.`,
          { groupId, topic: o.topic, partition: o.partition },
        );
      }
      const end = this.context.highWatermark(o.topic, o.partition)!;
      if (this.context.validateCommitOffsets && o.offset > end) {
        return new LogError(
          "OFFSET_OUT_OF_RANGE",
          `Cannot commit offset ${o.offset} for ${tpName(o)} in group ${groupId}: the log ends at ${end}. ` +
            "The committed offset is the next offset to read (last processed + 1), so it can be at most the log end offset.",
          { groupId, topic: o.topic, partition: o.partition, offset: o.offset, logEndOffset: end },
        );
      }
    }
    return null;
  }

  /**
   * Validates a transactional offset commit (TxnOffsetCommit) without changing anything: the
   * member and generation (KIP-447, see `validateTxnOffsetCommit`) and the offsets. Returns the
   * error to answer with, or null.
   */
  checkTxnOffsetCommit(
    groupId: string,
    who: MemberIdentity,
    offsets: readonly TopicPartitionOffset[],
  ): LogError | null {
    const state = this.groups.get(groupId) ?? emptyGroup(groupId);
    const error = validateTxnOffsetCommit(state, who);
    if (error !== null) {
      return new CommitFailedError(error, commitFailureMessage(groupId, who, error, state), {
        groupId,
        memberId: who.memberId,
        generation: who.generation,
        groupGeneration: state.generation,
        phase: state.phase,
        transactional: true,
      });
    }
    return this.checkOffsets(groupId, offsets);
  }

  /**
   * Stores offsets of an open transaction (after {@link checkTxnOffsetCommit} accepted them); they
   * become committed when the transaction's commit marker reaches the group.
   */
  addTxnOffsets(groupId: string, producerId: number, offsets: readonly TopicPartitionOffset[]): void {
    if (!this.groups.has(groupId)) {
      this.groups.set(groupId, emptyGroup(groupId));
      this.runtime(groupId);
    }
    this.apply(groupId, { type: "txn-offsets", producerId, offsets });
  }

  /** A transaction marker reached the group: its pending offsets are committed or dropped. */
  completeTxn(groupId: string, producerId: number, commit: boolean): void {
    const state = this.groups.get(groupId);
    if (state === undefined || !state.pendingTxnOffsets.has(producerId)) return;
    const offsets = state.pendingTxnOffsets.get(producerId)!;
    this.apply(groupId, { type: "txn-complete", producerId, commit, now: this.context.sim.now });
    if (commit) {
      this.emit("log.commit", () => ({
        groupId,
        memberId: "",
        generation: -1,
        offsets: offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset })),
        auto: false,
      }));
    }
  }

  /** True when an incomplete transaction has offsets pending for this partition of the group. */
  hasPendingTxnOffset(groupId: string, topic: string, partition: number): boolean {
    const state = this.groups.get(groupId);
    return state !== undefined && hasPendingTxnOffset(state, topic, partition);
  }

  /** The committed offset of a partition for a group, or null. */
  committed(groupId: string, topic: string, partition: number): CommittedOffset | null {
    const state = this.groups.get(groupId);
    return state === undefined ? null : committedOffset(state, topic, partition);
  }

  /** Deletes committed offsets of some partitions (admin). */
  deleteOffsets(groupId: string, partitions: readonly TopicPartition[]): void {
    if (this.groups.has(groupId)) this.apply(groupId, { type: "delete-offsets", partitions });
  }

  /** Deletes an empty group. */
  deleteGroup(groupId: string): void {
    const state = this.groups.get(groupId);
    if (state === undefined) {
      throw new LogError(
        "GROUP_ID_NOT_FOUND",
        `deleteGroup: group ${describeValue(groupId)} does not exist.`,
        { groupId },
      );
    }
    if (state.phase !== "Empty") {
      throw new LogError(
        "NON_EMPTY_GROUP",
        `deleteGroup: group ${describeValue(groupId)} still has ${state.joinOrder.length} member(s); stop them first.`,
        {
          groupId,
        },
      );
    }
    this.apply(groupId, { type: "dead" });
    this.groups.delete(groupId);
    this.runtimes.delete(groupId);
  }

  /** @internal A topic was deleted: Kafka drops its committed offsets from every group. */
  topicDeleted(topic: string): void {
    for (const groupId of this.groups.keys()) this.apply(groupId, { type: "delete-topic", topic });
  }

  /** Asserts coordinator invariants: one owner per partition per generation; committed ≤ log end. */
  checkInvariants(): void {
    for (const [groupId, state] of this.groups) {
      const duplicates = duplicateAssignments(state);
      invariant(
        duplicates.length === 0,
        () =>
          `group ${groupId} generation ${state.generation}: ${duplicates.join(", ")} owned by two members`,
      );
      invariant(
        state.joinOrder.length === state.members.size,
        () => `group ${groupId}: join order and members disagree`,
      );
      invariant(
        (state.phase === "Empty") === (state.joinOrder.length === 0) || state.phase === "Dead",
        () => `group ${groupId}: phase ${state.phase} with ${state.joinOrder.length} members`,
      );
      if (!this.context.validateCommitOffsets) continue;
      for (const list of state.pendingTxnOffsets.values()) {
        for (const o of list) {
          const end = this.context.highWatermark(o.topic, o.partition);
          invariant(
            end === null || o.offset <= end,
            () =>
              `group ${groupId}: pending transactional offset ${o.offset} beyond log end ${end} of ${o.topic}-${o.partition}`,
          );
        }
      }
      for (const c of committedOffsets(state)) {
        const end = this.context.highWatermark(c.topic, c.partition);
        invariant(
          end === null || c.offset <= end,
          () => `group ${groupId}: committed ${c.offset} beyond log end ${end} of ${c.topic}-${c.partition}`,
        );
      }
    }
  }

  // ---------------------------------------------------------------- internals

  private runtime(groupId: string): GroupRuntime {
    let runtime = this.runtimes.get(groupId);
    if (runtime === undefined) {
      runtime = {
        links: new Map(),
        deadlines: new Map(),
        sessionTimers: new Map(),
        assignors: new Map(),
        pendingJoins: [],
        initialDelayUntil: Number.NEGATIVE_INFINITY,
        joinTimer: -1,
        joinTimerAt: Number.POSITIVE_INFINITY,
      };
      this.runtimes.set(groupId, runtime);
    }
    return runtime;
  }

  private apply(groupId: string, action: GroupAction): void {
    const state = this.groups.get(groupId) ?? emptyGroup(groupId);
    this.groups.set(groupId, reduceGroup(state, action));
  }

  private maxRebalanceTimeout(state: GroupState): number {
    let max = 0;
    for (const member of state.members.values()) max = Math.max(max, member.rebalanceTimeoutMs);
    return max;
  }

  /** Arms the one timer that re-examines a rebalance: at the initial delay's end or the rebalance deadline. */
  private scheduleJoinCheck(groupId: string): void {
    const state = this.groups.get(groupId);
    const runtime = this.runtime(groupId);
    if (state === undefined || state.phase !== "PreparingRebalance") return;
    const now = this.context.sim.now;
    let at: number;
    if (now < runtime.initialDelayUntil) at = runtime.initialDelayUntil;
    else if (allJoined(state)) at = now;
    else at = (state.rebalanceStartedAt ?? now) + this.maxRebalanceTimeout(state);
    if (runtime.joinTimer >= 0 && this.context.sim.isPending(runtime.joinTimer)) {
      if (runtime.joinTimerAt === at) return;
      this.context.sim.cancel(runtime.joinTimer);
    }
    runtime.joinTimerAt = at;
    runtime.joinTimer = this.context.sim.schedule(Math.max(at, now), this.joinCheck, groupId);
  }

  private cancelJoinTimer(runtime: GroupRuntime): void {
    if (runtime.joinTimer >= 0) this.context.sim.cancel(runtime.joinTimer);
    runtime.joinTimer = -1;
    runtime.joinTimerAt = Number.POSITIVE_INFINITY;
  }

  private readonly joinCheck = (groupId: string): void => {
    const runtime = this.runtimes.get(groupId);
    const state = this.groups.get(groupId);
    if (runtime === undefined || state === undefined) return;
    runtime.joinTimer = -1;
    runtime.joinTimerAt = Number.POSITIVE_INFINITY;
    if (state.phase !== "PreparingRebalance") return;
    const now = this.context.sim.now;
    if (now < runtime.initialDelayUntil) {
      this.scheduleJoinCheck(groupId);
      return;
    }
    if (!allJoined(state)) {
      const deadline = (state.rebalanceStartedAt ?? now) + this.maxRebalanceTimeout(state);
      if (now < deadline) {
        this.scheduleJoinCheck(groupId);
        return;
      }
      for (const id of [...state.joinOrder]) {
        if (!state.members.get(id)!.joined) this.leave(groupId, id, "rebalance-timeout");
      }
      const after = this.groups.get(groupId)!;
      if (after.phase !== "PreparingRebalance") return;
    }
    this.completeJoin(groupId);
  };

  private completeJoin(groupId: string): void {
    const state = this.groups.get(groupId)!;
    const runtime = this.runtime(groupId);
    const protocol = selectProtocol(state);
    const leaderId =
      state.leaderId !== null && state.members.has(state.leaderId)
        ? state.leaderId
        : (state.joinOrder[0] ?? null);
    const assignments: Record<string, TopicPartition[]> = {};
    if (protocol !== null && leaderId !== null) {
      const assignor = runtime.assignors.get(protocol)!;
      const partitionCounts = new Map<string, number>();
      // The leader first: kafkajs' assigner reads the leader's subscription from the first member.
      const ids = [leaderId, ...state.joinOrder.filter((id) => id !== leaderId)];
      const members: AssignorMember[] = ids.map((id) => {
        const m = state.members.get(id)!;
        for (const topic of m.topics) {
          const count = this.context.partitionCount(topic);
          if (count !== null) partitionCounts.set(topic, count);
        }
        return {
          memberId: id,
          topics: m.topics,
          groupInstanceId: m.groupInstanceId,
          ownedPartitions: m.ownedPartitions,
          generation: m.ownedGeneration,
        };
      });
      const result = assignor.assign({ members, partitionCounts });
      for (const id of ids) assignments[id] = sortPartitions(result.get(id) ?? []);
    }
    this.apply(groupId, { type: "complete-join", protocol, leaderId, assignments });
    const next = this.groups.get(groupId)!;
    const generation = next.generation;
    invariant(
      duplicateAssignments(next).length === 0,
      () => `group ${groupId}: assignor ${protocol} gave a partition to two members`,
    );
    this.emit("group.generation", () => ({
      groupId,
      generation,
      protocol,
      leaderId,
      members: [...next.joinOrder],
    }));
    const now = this.context.sim.now;
    const waiting: SyncWaiter[] = [];
    for (const id of next.joinOrder) {
      const member = next.members.get(id)!;
      this.touch(groupId, id, member.sessionTimeoutMs, now);
      this.emit("group.assign", () => ({
        groupId,
        generation,
        memberId: id,
        partitions: member.assignment.map((tp) => ({ ...tp })),
      }));
      const link = runtime.links.get(id);
      if (link !== undefined) {
        this.respondJoin(link, { error: null, memberId: id, generation, protocol, leaderId });
        waiting.push({ memberId: id, groupInstanceId: member.groupInstanceId, link });
      }
    }
    // SyncGroup: requests arrive one latency after the join responses.
    this.later(2, () => this.syncArrived(groupId, generation, waiting));
  }

  /**
   * The SyncGroup requests of `waiting` (members that received their JoinGroup response for
   * `generation`) reach the coordinator. In CompletingRebalance at that generation the group
   * becomes Stable; then each member gets its assignment one latency later. If the group moved on
   * meanwhile (a member joined or left, so it is PreparingRebalance again; or a member was removed
   * or fenced), each request is answered with Kafka's error (see `validateSync`) so the member
   * rejoins: left unanswered it would wait forever, never heartbeat, and be dropped by the session
   * timeout.
   */
  private syncArrived(groupId: string, generation: number, waiting: readonly SyncWaiter[]): void {
    let state = this.groups.get(groupId);
    if (state !== undefined && state.phase === "CompletingRebalance" && state.generation === generation) {
      this.apply(groupId, { type: "complete-sync", generation });
      this.emit("group.stable", () => ({ groupId, generation }));
      state = this.groups.get(groupId)!;
    }
    for (const waiter of waiting) {
      const who = { memberId: waiter.memberId, generation, groupInstanceId: waiter.groupInstanceId };
      const error = state === undefined ? "UNKNOWN_MEMBER_ID" : validateSync(state, who);
      const { link } = waiter;
      if (error === null) {
        const assignment = state!.members.get(waiter.memberId)!.assignment;
        const protocol = state!.protocol;
        this.later(1, () => link.onSyncResponse(generation, assignment, protocol));
      } else {
        const message = syncFailureMessage(groupId, waiter.memberId, generation, error, state);
        this.later(1, () => link.onSyncError?.(generation, error, message));
      }
    }
  }

  private respondJoin(link: MemberLink, response: JoinResponse): void {
    this.later(1, () => link.onJoinResponse(response));
  }

  /** Runs `fn` after `hops` network latencies (as its own event even when latency is 0). */
  private later(hops: number, fn: () => void): void {
    const delay = hops * this.context.network.latencyMs;
    this.context.sim.schedule(this.context.sim.now + delay, fn);
  }

  /** Refreshes a member's session deadline and makes sure an expiry check is armed. */
  private touch(
    groupId: string,
    memberId: string,
    sessionTimeoutMs: number,
    now = this.context.sim.now,
  ): void {
    const runtime = this.runtime(groupId);
    const deadline = now + sessionTimeoutMs;
    runtime.deadlines.set(memberId, deadline);
    const timer = runtime.sessionTimers.get(memberId);
    if (timer?.active) return; // lazily re-armed when it fires
    runtime.sessionTimers.set(
      memberId,
      backgroundAt(
        this.context.sim,
        deadline,
        () => this.expire(groupId, memberId),
        `session timeout ${groupId}/${memberId}`,
      ),
    );
  }

  private forgetSession(runtime: GroupRuntime, memberId: string): void {
    runtime.deadlines.delete(memberId);
    runtime.sessionTimers.get(memberId)?.stop();
    runtime.sessionTimers.delete(memberId);
  }

  private expire(groupId: string, memberId: string): void {
    const runtime = this.runtimes.get(groupId);
    const state = this.groups.get(groupId);
    if (runtime === undefined || state === undefined || !state.members.has(memberId)) return;
    runtime.sessionTimers.delete(memberId);
    const deadline = runtime.deadlines.get(memberId);
    if (deadline === undefined) return; // awaiting a join response: not subject to expiry
    const now = this.context.sim.now;
    if (now < deadline) {
      runtime.sessionTimers.set(
        memberId,
        backgroundAt(
          this.context.sim,
          deadline,
          () => this.expire(groupId, memberId),
          `session timeout ${groupId}/${memberId}`,
        ),
      );
      return;
    }
    this.leave(groupId, memberId, "session-timeout");
  }

  private emit<
    K extends
      | "group.join"
      | "group.rebalance"
      | "group.generation"
      | "group.assign"
      | "group.stable"
      | "group.member-removed"
      | "log.commit"
      | "log.commit-failed",
  >(type: K, payload: () => import("../scheduler/event-bus.js").BrokerlabEvents[K]): void {
    const bus = this.context.sim.bus;
    if (bus.wants(type)) bus.emit(type, payload());
  }
}

function syncFailureMessage(
  groupId: string,
  memberId: string,
  generation: number,
  error: LogErrorCode,
  state: GroupState | undefined,
): string {
  const head = `SyncGroup of member ${memberId} for generation ${generation} of group ${groupId} refused (${error})`;
  switch (error) {
    case "REBALANCE_IN_PROGRESS":
      return `${head}: the group began another rebalance (${state?.rebalanceReason ?? "membership changed"}); rejoin.`;
    case "ILLEGAL_GENERATION":
      return `${head}: the group is at generation ${state?.generation}; rejoin.`;
    case "UNKNOWN_MEMBER_ID":
      return `${head}: the member is no longer in the group; rejoin as a new member.`;
    case "FENCED_INSTANCE_ID":
      return `${head}: another consumer with the same group.instance.id replaced this one.`;
    default:
      return `${head}.`;
  }
}

function commitFailureMessage(
  groupId: string,
  who: MemberIdentity,
  error: LogErrorCode,
  state: GroupState,
): string {
  const head = `Offset commit for group ${groupId} refused (${error})`;
  switch (error) {
    case "UNKNOWN_MEMBER_ID":
      return who.memberId === ""
        ? `${head}: the group has active members, so a commit without a member id (manual assignment or admin) is not allowed.`
        : `${head}: member ${who.memberId} is no longer in the group — it was removed (session timeout, or it did not poll within max.poll.interval.ms) and its partitions were reassigned. Poll again to rejoin; records since the last commit will be redelivered.`;
    case "ILLEGAL_GENERATION":
      return `${head}: generation ${who.generation} is stale, the group is at generation ${state.generation}. The partitions may have moved; poll to rejoin.`;
    case "REBALANCE_IN_PROGRESS":
      return `${head}: the group is completing a rebalance; poll to receive the new assignment, then commit.`;
    case "FENCED_INSTANCE_ID":
      return `${head}: another consumer with the same group.instance.id replaced this one.`;
    default:
      return `${head}.`;
  }
}
