import { castDraft, enableMapSet, freeze, produce } from "immer";
import type { TopicPartition } from "./assignors/types.js";
import type { LogErrorCode } from "./errors.js";
import type { TopicPartitionOffset } from "./record.js";

/**
 * A consumer group's control-plane state as an immutable value, advanced by small pure reducers
 * (immer): membership, generations, the chosen protocol, assignments and committed offsets. The
 * coordinator keeps one such value per group and swaps it on every transition; timers and member
 * links stay outside, so every transition can be tested on its own and every state snapshotted.
 *
 * Phases follow Kafka's classic group protocol: Empty → PreparingRebalance (members (re)join) →
 * CompletingRebalance (generation bumped, assignment computed, waiting for SyncGroup) → Stable;
 * Dead after deletion.
 */

// Members live in a Map: immer copies a Map of a thousand members far faster than an object with
// a thousand keys, and every join changes one member.
enableMapSet();

/** Kafka's group states. */
export type GroupPhase = "Empty" | "PreparingRebalance" | "CompletingRebalance" | "Stable" | "Dead";

/** One member as the coordinator knows it. */
export interface GroupMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  /** Assignor names in the member's order of preference. */
  readonly protocols: readonly string[];
  /** Subscribed topics (already resolved from patterns, sorted). */
  readonly topics: readonly string[];
  /** What the member says it owns (cooperative protocol and sticky assignors read it). */
  readonly ownedPartitions: readonly TopicPartition[];
  /** Generation of `ownedPartitions`, -1 if unknown. */
  readonly ownedGeneration: number;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  /** True when the member has (re)joined in the current rebalance. */
  readonly joined: boolean;
  /** The member's assignment in the current generation. */
  readonly assignment: readonly TopicPartition[];
}

/** A committed offset: the next offset to read, plus Kafka's free-form metadata. */
export interface CommittedOffset {
  readonly offset: number;
  readonly metadata: string;
  readonly committedAt: number;
}

/** The immutable state of one group. */
export interface GroupState {
  readonly groupId: string;
  readonly phase: GroupPhase;
  /** Incremented by every completed join phase; 0 for a group that never formed. */
  readonly generation: number;
  /** The selected assignor, null when no generation is active. */
  readonly protocol: string | null;
  readonly leaderId: string | null;
  readonly members: ReadonlyMap<string, GroupMember>;
  /** Members that have (re)joined in the current rebalance (so "all joined" is O(1)). */
  readonly joinedCount: number;
  /** Protocols every member supports, in the first member's order (empty without members). */
  readonly commonProtocols: readonly string[];
  /** Member ids in the order they first joined (the first becomes leader). */
  readonly joinOrder: readonly string[];
  /** Static members: group.instance.id → member id. */
  readonly staticMembers: Readonly<Record<string, string>>;
  /**
   * Committed offsets: topic → chunks of {@link OFFSET_CHUNK} partitions → offset (null where none).
   * Chunking keeps a commit's copy small: a commit to one partition of a 10k-partition topic copies
   * one chunk and the chunk index, not ten thousand entries. Read with {@link committedOffset}.
   */
  readonly offsets: Readonly<Record<string, readonly (readonly (CommittedOffset | null)[] | null)[]>>;
  /**
   * Offsets sent by transactional producers (TxnOffsetCommit), per producer id: they become
   * committed offsets when the transaction's commit marker reaches the group and vanish on abort.
   * Meanwhile `read_committed` consumers get UNSTABLE_OFFSET_COMMIT for those partitions.
   */
  readonly pendingTxnOffsets: ReadonlyMap<number, readonly TopicPartitionOffset[]>;
  readonly rebalanceReason: string | null;
  readonly rebalanceStartedAt: number | null;
}

/** Partitions per chunk of committed offsets. */
export const OFFSET_CHUNK = 64;

/** A join request as the reducer applies it. */
export type JoiningMember = Omit<GroupMember, "joined" | "assignment">;

/** Every transition of a group. */
export type GroupAction =
  | {
      readonly type: "join";
      readonly members: readonly JoiningMember[];
      readonly now: number;
      readonly reason: string;
    }
  | { readonly type: "replace-static"; readonly groupInstanceId: string; readonly newMemberId: string }
  | { readonly type: "remove"; readonly memberId: string; readonly now: number; readonly reason: string }
  | {
      readonly type: "complete-join";
      readonly protocol: string | null;
      readonly leaderId: string | null;
      readonly assignments: Readonly<Record<string, readonly TopicPartition[]>>;
    }
  | { readonly type: "complete-sync"; readonly generation: number }
  | { readonly type: "request-rebalance"; readonly now: number; readonly reason: string }
  | { readonly type: "commit"; readonly offsets: readonly TopicPartitionOffset[]; readonly now: number }
  | {
      readonly type: "txn-offsets";
      readonly producerId: number;
      readonly offsets: readonly TopicPartitionOffset[];
    }
  | {
      readonly type: "txn-complete";
      readonly producerId: number;
      readonly commit: boolean;
      readonly now: number;
    }
  | { readonly type: "delete-topic"; readonly topic: string }
  | { readonly type: "delete-offsets"; readonly partitions: readonly TopicPartition[] }
  | { readonly type: "dead" };

/**
 * A new, empty group.
 *
 * @example
 * ```ts
 * const g = emptyGroup("payments");
 * g.phase; // "Empty"
 * ```
 */
export function emptyGroup(groupId: string): GroupState {
  return {
    groupId,
    phase: "Empty",
    generation: 0,
    protocol: null,
    leaderId: null,
    members: new Map(),
    joinedCount: 0,
    commonProtocols: [],
    joinOrder: [],
    staticMembers: {},
    offsets: {},
    pendingTxnOffsets: new Map(),
    rebalanceReason: null,
    rebalanceStartedAt: null,
  };
}

/**
 * Applies one transition. Pure: returns a new state (structurally shared) and never mutates the
 * old one. Invalid transitions leave the state unchanged (the coordinator validates first).
 *
 * @example
 * ```ts
 * let g = emptyGroup("g");
 * g = reduceGroup(g, { type: "join", member, now: 0, reason: "new member" });
 * g.phase; // "PreparingRebalance"
 * ```
 */
export function reduceGroup(state: GroupState, action: GroupAction): GroupState {
  switch (action.type) {
    case "join":
      if (action.members.length > 0 && Object.isFrozen(state)) return joinMembers(state, action);
      // Several joins arriving at the same instant are applied together: one copy of the members.
      return produce(state, (draft) => {
        for (const joining of action.members) {
          const existing = draft.members.get(joining.memberId);
          draft.members.set(
            joining.memberId,
            castDraft({ ...joining, joined: true, assignment: existing?.assignment ?? [] }),
          );
          if (existing === undefined || !existing.joined) draft.joinedCount++;
          if (existing === undefined) {
            draft.joinOrder.push(joining.memberId);
            draft.commonProtocols =
              draft.members.size === 1
                ? [...joining.protocols]
                : draft.commonProtocols.filter((p) => joining.protocols.includes(p));
          } else if (existing.protocols.join() !== joining.protocols.join()) {
            draft.commonProtocols = intersectProtocols(draft.members.values());
          }
          if (joining.groupInstanceId !== null)
            draft.staticMembers[joining.groupInstanceId] = joining.memberId;
        }
        if (draft.phase !== "PreparingRebalance") {
          draft.phase = "PreparingRebalance";
          draft.rebalanceReason = action.reason;
          draft.rebalanceStartedAt = action.now;
        }
      });
    case "replace-static":
      return produce(state, (draft) => {
        const oldId = draft.staticMembers[action.groupInstanceId];
        if (oldId === undefined) return;
        const member = draft.members.get(oldId);
        if (member === undefined) return;
        draft.members.delete(oldId);
        draft.members.set(action.newMemberId, { ...member, memberId: action.newMemberId });
        draft.staticMembers[action.groupInstanceId] = action.newMemberId;
        draft.joinOrder = draft.joinOrder.map((id) => (id === oldId ? action.newMemberId : id));
        if (draft.leaderId === oldId) draft.leaderId = action.newMemberId;
      });
    case "remove":
      return produce(state, (draft) => {
        const member = draft.members.get(action.memberId);
        if (member === undefined) return;
        draft.members.delete(action.memberId);
        if (member.joined) draft.joinedCount--;
        // Read the remaining members from the base state, not through drafts (one proxy each).
        draft.commonProtocols = intersectProtocols(membersExcept(state.members, action.memberId));
        if (
          member.groupInstanceId !== null &&
          draft.staticMembers[member.groupInstanceId] === action.memberId
        ) {
          delete draft.staticMembers[member.groupInstanceId];
        }
        draft.joinOrder = state.joinOrder.filter((id) => id !== action.memberId);
        if (draft.leaderId === action.memberId) draft.leaderId = null;
        if (draft.joinOrder.length === 0) {
          // Kafka completes the pending join with nobody: a new, empty generation.
          draft.generation++;
          draft.phase = "Empty";
          draft.protocol = null;
          draft.leaderId = null;
          draft.rebalanceReason = null;
          draft.rebalanceStartedAt = null;
        } else if (draft.phase === "Stable" || draft.phase === "CompletingRebalance") {
          draft.phase = "PreparingRebalance";
          draft.rebalanceReason = action.reason;
          draft.rebalanceStartedAt = action.now;
        }
      });
    case "complete-join":
      if (state.members.size > 0 && Object.isFrozen(state)) return completeJoin(state, action);
      return produce(state, (draft) => {
        draft.generation++;
        draft.phase = "CompletingRebalance";
        draft.protocol = action.protocol;
        draft.leaderId = action.leaderId;
        draft.rebalanceReason = null;
        draft.rebalanceStartedAt = null;
        for (const [id, member] of draft.members) {
          member.joined = false;
          member.assignment = (action.assignments[id] ?? []).map((tp) => ({
            topic: tp.topic,
            partition: tp.partition,
          }));
        }
        draft.joinedCount = 0;
      });
    case "complete-sync":
      if (state.phase !== "CompletingRebalance" || state.generation !== action.generation) return state;
      return produce(state, (draft) => {
        draft.phase = "Stable";
      });
    case "request-rebalance":
      if (state.phase !== "Stable" && state.phase !== "CompletingRebalance") return state;
      return produce(state, (draft) => {
        draft.phase = "PreparingRebalance";
        draft.rebalanceReason = action.reason;
        draft.rebalanceStartedAt = action.now;
        for (const member of draft.members.values()) member.joined = false;
        draft.joinedCount = 0;
      });
    case "commit":
      if (action.offsets.length > 0 && Object.isFrozen(state)) return commitOffsets(state, action);
      return produce(state, (draft) => {
        writeOffsets(draft, action.offsets, action.now);
      });
    case "txn-offsets":
      return produce(state, (draft) => {
        // A later TxnOffsetCommit of the same transaction replaces earlier offsets per partition.
        const merged = new Map<string, TopicPartitionOffset>();
        for (const o of [...(state.pendingTxnOffsets.get(action.producerId) ?? []), ...action.offsets])
          merged.set(`${o.topic}:${o.partition}`, { ...o });
        draft.pendingTxnOffsets.set(action.producerId, castDraft([...merged.values()]));
      });
    case "txn-complete": {
      const pending = state.pendingTxnOffsets.get(action.producerId);
      if (pending === undefined) return state;
      return produce(state, (draft) => {
        draft.pendingTxnOffsets.delete(action.producerId);
        if (action.commit) writeOffsets(draft, pending, action.now);
      });
    }
    case "delete-topic":
      if (state.offsets[action.topic] === undefined && !hasPendingTopic(state, action.topic)) return state;
      return produce(state, (draft) => {
        delete draft.offsets[action.topic];
        for (const [pid, list] of draft.pendingTxnOffsets)
          draft.pendingTxnOffsets.set(
            pid,
            list.filter((o) => o.topic !== action.topic),
          );
      });
    case "delete-offsets":
      return produce(state, (draft) => {
        for (const tp of action.partitions) {
          const chunk = draft.offsets[tp.topic]?.[Math.floor(tp.partition / OFFSET_CHUNK)];
          if (chunk !== null && chunk !== undefined) chunk[tp.partition % OFFSET_CHUNK] = null;
        }
        for (const topic of Object.keys(draft.offsets)) {
          if (draft.offsets[topic]!.every((chunk) => chunk === null || chunk.every((o) => o === null)))
            delete draft.offsets[topic];
        }
      });
    case "dead":
      return produce(state, (draft) => {
        draft.phase = "Dead";
        draft.members = new Map();
        draft.joinedCount = 0;
        draft.commonProtocols = [];
        draft.joinOrder = [];
        draft.staticMembers = {};
        draft.offsets = {};
        draft.pendingTxnOffsets = new Map();
      });
  }
}

// The three transitions a rebalance of a large group runs most — a commit per member, one join of
// every member, one complete-join — written as plain copy-on-write updates rather than through an
// immer draft: immer's per-produce finalize and freeze walks cost tens of microseconds each, which
// a thousand members multiply. Same result as the immer versions (a new, deep-frozen value that
// shares every untouched part with the old one); used only on an already frozen state, so the
// outcome is frozen exactly as immer would freeze it. The immer versions remain the reference
// (and handle the degenerate cases: an unfrozen initial state, an empty action).

/** `join` with at least one member, on a frozen state (see above). */
function joinMembers(state: GroupState, action: Extract<GroupAction, { type: "join" }>): GroupState {
  const members = new Map(state.members);
  let joinedCount = state.joinedCount;
  let commonProtocols = state.commonProtocols;
  let joinOrder: string[] | null = null;
  let staticMembers: Record<string, string> | null = null;
  for (const joining of action.members) {
    const existing = members.get(joining.memberId);
    members.set(joining.memberId, { ...joining, joined: true, assignment: existing?.assignment ?? [] });
    if (existing === undefined || !existing.joined) joinedCount++;
    if (existing === undefined) {
      joinOrder ??= [...state.joinOrder];
      joinOrder.push(joining.memberId);
      commonProtocols =
        members.size === 1
          ? [...joining.protocols]
          : commonProtocols.filter((p) => joining.protocols.includes(p));
    } else if (existing.protocols.join() !== joining.protocols.join()) {
      commonProtocols = intersectProtocols(members.values());
    }
    if (
      joining.groupInstanceId !== null &&
      (staticMembers ?? state.staticMembers)[joining.groupInstanceId] !== joining.memberId
    ) {
      staticMembers ??= { ...state.staticMembers };
      staticMembers[joining.groupInstanceId] = joining.memberId;
    }
  }
  const next: GroupState = {
    ...state,
    members,
    joinedCount,
    commonProtocols,
    joinOrder: joinOrder ?? state.joinOrder,
    staticMembers: staticMembers ?? state.staticMembers,
  };
  if (state.phase !== "PreparingRebalance") {
    Object.assign(next, {
      phase: "PreparingRebalance",
      rebalanceReason: action.reason,
      rebalanceStartedAt: action.now,
    });
  }
  return freeze(next, true);
}

/** `complete-join` on a frozen state with members (see above). */
function completeJoin(
  state: GroupState,
  action: Extract<GroupAction, { type: "complete-join" }>,
): GroupState {
  const members = new Map<string, GroupMember>();
  for (const [id, member] of state.members) {
    const given = action.assignments[id] ?? [];
    const assignment = new Array<TopicPartition>(given.length);
    for (let i = 0; i < given.length; i++)
      assignment[i] = Object.freeze({ topic: given[i]!.topic, partition: given[i]!.partition });
    // The rest of the member was frozen with the state.
    members.set(id, Object.freeze({ ...member, joined: false, assignment: Object.freeze(assignment) }));
  }
  freeze(members);
  return Object.freeze({
    ...state,
    generation: state.generation + 1,
    phase: "CompletingRebalance",
    protocol: action.protocol,
    leaderId: action.leaderId,
    rebalanceReason: null,
    rebalanceStartedAt: null,
    members,
    joinedCount: 0,
  });
}

/** `commit` of at least one offset on a frozen state (see above): copies only the chunks written. */
function commitOffsets(state: GroupState, action: Extract<GroupAction, { type: "commit" }>): GroupState {
  const offsets: Record<string, GroupState["offsets"][string]> = { ...state.offsets };
  // Topics and chunks copied by this commit (written in place afterwards).
  const copiedTopics = new Map<string, (readonly (CommittedOffset | null)[] | null)[]>();
  const copiedChunks = new Set<(CommittedOffset | null)[]>();
  for (const o of action.offsets) {
    let chunks = copiedTopics.get(o.topic);
    if (chunks === undefined) {
      chunks = [...(state.offsets[o.topic] ?? [])];
      copiedTopics.set(o.topic, chunks);
      offsets[o.topic] = chunks;
    }
    const c = Math.floor(o.partition / OFFSET_CHUNK);
    while (chunks.length <= c) chunks.push(null);
    const existing = chunks[c];
    let chunk: (CommittedOffset | null)[];
    if (existing === null || existing === undefined) {
      chunk = new Array<CommittedOffset | null>(OFFSET_CHUNK).fill(null);
      copiedChunks.add(chunk);
    } else if (copiedChunks.has(existing as (CommittedOffset | null)[])) {
      chunk = existing as (CommittedOffset | null)[];
    } else {
      chunk = [...existing];
      copiedChunks.add(chunk);
    }
    chunks[c] = chunk;
    chunk[o.partition % OFFSET_CHUNK] = Object.freeze({
      offset: o.offset,
      metadata: o.metadata ?? "",
      committedAt: action.now,
    });
  }
  // Everything new is frozen here; everything shared was frozen already (the state is).
  for (const chunk of copiedChunks) Object.freeze(chunk);
  for (const chunks of copiedTopics.values()) Object.freeze(chunks);
  return Object.freeze({ ...state, offsets: Object.freeze(offsets) });
}

/** Writes committed offsets into a draft (chunked; see {@link GroupState.offsets}). */
function writeOffsets(
  draft: { offsets: Record<string, ((CommittedOffset | null)[] | null)[]> },
  offsets: readonly TopicPartitionOffset[],
  now: number,
): void {
  for (const o of offsets) {
    let chunks = draft.offsets[o.topic];
    if (chunks === undefined) {
      chunks = [];
      draft.offsets[o.topic] = chunks;
    }
    const c = Math.floor(o.partition / OFFSET_CHUNK);
    while (chunks.length <= c) chunks.push(null);
    let chunk = chunks[c];
    if (chunk === null || chunk === undefined) {
      chunk = new Array<CommittedOffset | null>(OFFSET_CHUNK).fill(null);
      chunks[c] = chunk;
    }
    chunk[o.partition % OFFSET_CHUNK] = { offset: o.offset, metadata: o.metadata ?? "", committedAt: now };
  }
}

function hasPendingTopic(state: GroupState, topic: string): boolean {
  for (const list of state.pendingTxnOffsets.values()) if (list.some((o) => o.topic === topic)) return true;
  return false;
}

/** The part of a request that identifies a member and its view of the group. */
export interface MemberIdentity {
  readonly memberId: string;
  readonly generation: number;
  readonly groupInstanceId?: string | null;
}

/**
 * Whether the coordinator accepts an offset commit, as Kafka's `GroupMetadata.validateOffsetCommit`
 * and `GroupCoordinator.handleCommitOffsets` decide: a known member at the current generation in
 * Stable or PreparingRebalance (revocation callbacks commit during a rebalance); a member-less
 * commit (generation -1, as manual-assign consumers and admin tools send) only into an Empty group.
 * Returns null when accepted, else Kafka's error.
 *
 * @example
 * ```ts
 * validateCommit(group, { memberId: "gone", generation: 3 }); // "UNKNOWN_MEMBER_ID"
 * ```
 */
export function validateCommit(state: GroupState, who: MemberIdentity): LogErrorCode | null {
  if (state.phase === "Dead") return "COORDINATOR_NOT_AVAILABLE";
  if (who.memberId !== "" || who.generation >= 0) {
    const fenced = checkMember(state, who);
    if (fenced !== null) return fenced;
    if (who.generation !== state.generation) return "ILLEGAL_GENERATION";
    if (state.phase === "CompletingRebalance") return "REBALANCE_IN_PROGRESS";
    return null;
  }
  return state.phase === "Empty" ? null : "UNKNOWN_MEMBER_ID";
}

/**
 * Whether the group coordinator accepts a transactional offset commit (Kafka's
 * `GroupCoordinator.handleTxnCommitOffsets`, KIP-447): with a member id, the member must be known,
 * not fenced by a newer static instance, and — with a generation ≥ 0 — at the current generation,
 * so a zombie that lost its partitions in a rebalance cannot commit offsets for them. Without a
 * member (the pre-KIP-447 form that only names the group, as kafkajs sends) nothing is checked.
 * Unlike a plain commit, a rebalance in progress does not refuse it. Null when accepted.
 *
 * @example
 * ```ts
 * validateTxnOffsetCommit(group, { memberId: "m1", generation: 2 }); // "ILLEGAL_GENERATION" at generation 3
 * ```
 */
export function validateTxnOffsetCommit(state: GroupState, who: MemberIdentity): LogErrorCode | null {
  if (state.phase === "Dead") return "COORDINATOR_NOT_AVAILABLE";
  if (who.memberId === "" && who.generation < 0) return null;
  const fenced = checkMember(state, who);
  if (fenced !== null) return fenced;
  if (who.generation >= 0 && who.generation !== state.generation) return "ILLEGAL_GENERATION";
  return null;
}

/**
 * True when a transaction that is not yet complete has offsets pending for this partition
 * (Kafka then answers a stable offset fetch with UNSTABLE_OFFSET_COMMIT).
 *
 * @example
 * ```ts
 * hasPendingTxnOffset(group, "orders", 0); // true between sendOffsetsToTransaction and the commit marker
 * ```
 */
export function hasPendingTxnOffset(state: GroupState, topic: string, partition: number): boolean {
  if (state.pendingTxnOffsets.size === 0) return false;
  for (const list of state.pendingTxnOffsets.values())
    if (list.some((o) => o.topic === topic && o.partition === partition)) return true;
  return false;
}

/**
 * What `consumer.groupMetadata()` returns and `sendOffsetsToTransaction` takes (Java's
 * `ConsumerGroupMetadata`): the group, and the member's id, generation and static instance id, so
 * the group coordinator can refuse offsets from a member that is no longer current.
 *
 * @example
 * ```ts
 * await producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
 * ```
 */
export interface ConsumerGroupMetadata {
  readonly groupId: string | null;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
}

/**
 * The coordinator's answer to a heartbeat (Kafka's `handleHeartbeat`): `REBALANCE_IN_PROGRESS`
 * tells a member to rejoin; `UNKNOWN_MEMBER_ID` / `ILLEGAL_GENERATION` that it lost its membership.
 *
 * @example
 * ```ts
 * validateHeartbeat(group, { memberId: "m1", generation: 2 }); // null when all is well
 * ```
 */
export function validateHeartbeat(state: GroupState, who: MemberIdentity): LogErrorCode | null {
  if (state.phase === "Dead") return "COORDINATOR_NOT_AVAILABLE";
  if (state.phase === "Empty") return "UNKNOWN_MEMBER_ID";
  const fenced = checkMember(state, who);
  if (fenced !== null) return fenced;
  if (who.generation !== state.generation) return "ILLEGAL_GENERATION";
  return state.phase === "PreparingRebalance" ? "REBALANCE_IN_PROGRESS" : null;
}

/**
 * The coordinator's answer to a SyncGroup for `who.generation` (Kafka's `handleSyncGroup`): null
 * when the member gets its assignment (CompletingRebalance or Stable at that generation);
 * `REBALANCE_IN_PROGRESS` when the group began another rebalance before the SyncGroup arrived (a
 * member joined or left), `ILLEGAL_GENERATION` for a stale generation, `UNKNOWN_MEMBER_ID` /
 * `FENCED_INSTANCE_ID` when the member was removed or replaced. Every error means: rejoin.
 *
 * @example
 * ```ts
 * validateSync(group, { memberId: "m1", generation: 2 }); // "REBALANCE_IN_PROGRESS" after m2 joined
 * ```
 */
export function validateSync(state: GroupState, who: MemberIdentity): LogErrorCode | null {
  if (state.phase === "Dead") return "COORDINATOR_NOT_AVAILABLE";
  if (state.phase === "Empty") return "UNKNOWN_MEMBER_ID";
  const fenced = checkMember(state, who);
  if (fenced !== null) return fenced;
  if (who.generation !== state.generation) return "ILLEGAL_GENERATION";
  return state.phase === "PreparingRebalance" ? "REBALANCE_IN_PROGRESS" : null;
}

function checkMember(state: GroupState, who: MemberIdentity): LogErrorCode | null {
  const instance = who.groupInstanceId ?? null;
  if (instance !== null) {
    const current = state.staticMembers[instance];
    if (current !== undefined && current !== who.memberId) return "FENCED_INSTANCE_ID";
  }
  return state.members.has(who.memberId) ? null : "UNKNOWN_MEMBER_ID";
}

/** True when every member has rejoined in the current rebalance. */
export function allJoined(state: GroupState): boolean {
  return state.joinedCount === state.members.size;
}

function* membersExcept<M>(members: ReadonlyMap<string, M>, memberId: string): Iterable<M> {
  for (const [id, member] of members) if (id !== memberId) yield member;
}

function intersectProtocols(members: Iterable<{ readonly protocols: readonly string[] }>): string[] {
  let common: string[] | null = null;
  for (const m of members)
    common = common === null ? [...m.protocols] : common.filter((p) => m.protocols.includes(p));
  return common ?? [];
}

/**
 * The assignor the group will use (Kafka's `GroupMetadata.selectProtocol`): among the protocols
 * every member supports, the one most members list first; ties go to the leader's (or the first
 * joined member's) preference. Null when the members share none.
 *
 * @example
 * ```ts
 * selectProtocol(group); // "range"
 * ```
 */
export function selectProtocol(state: GroupState): string | null {
  const ids = state.joinOrder.filter((id) => state.members.has(id));
  if (ids.length === 0) return null;
  const members = ids.map((id) => state.members.get(id)!);
  const candidates = state.commonProtocols;
  if (candidates.length === 0) return null;
  const votes = new Map<string, number>();
  for (const m of members) {
    const vote = m.protocols.find((p) => candidates.includes(p))!;
    votes.set(vote, (votes.get(vote) ?? 0) + 1);
  }
  let best = candidates[0]!;
  for (const p of candidates) if ((votes.get(p) ?? 0) > (votes.get(best) ?? 0)) best = p;
  return best;
}

/**
 * The committed offset of a partition, or null.
 *
 * @example
 * ```ts
 * committedOffset(group, "orders", 0)?.offset; // 42
 * ```
 */
export function committedOffset(state: GroupState, topic: string, partition: number): CommittedOffset | null {
  return state.offsets[topic]?.[Math.floor(partition / OFFSET_CHUNK)]?.[partition % OFFSET_CHUNK] ?? null;
}

/**
 * Every committed offset of a group, topics sorted, partitions ascending.
 *
 * @example
 * ```ts
 * committedOffsets(group); // [{ topic: "orders", partition: 0, offset: 42, metadata: "", committedAt: 5 }]
 * ```
 */
export function committedOffsets(state: GroupState): (TopicPartition & CommittedOffset)[] {
  const result: (TopicPartition & CommittedOffset)[] = [];
  for (const topic of Object.keys(state.offsets).sort()) {
    state.offsets[topic]!.forEach((chunk, c) => {
      chunk?.forEach((o, i) => {
        if (o !== null) result.push({ topic, partition: c * OFFSET_CHUNK + i, ...o });
      });
    });
  }
  return result;
}

/**
 * Partitions assigned to more than one member in the current generation (should be none).
 *
 * @example
 * ```ts
 * duplicateAssignments(group); // []
 * ```
 */
export function duplicateAssignments(state: GroupState): string[] {
  const owner = new Map<string, string>();
  const duplicates: string[] = [];
  for (const [id, member] of state.members) {
    for (const tp of member.assignment) {
      const key = `${tp.topic}-${tp.partition}`;
      if (owner.has(key)) duplicates.push(key);
      owner.set(key, id);
    }
  }
  return duplicates;
}
