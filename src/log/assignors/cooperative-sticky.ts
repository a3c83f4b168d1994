import { describeValue } from "../../scheduler/describe-value.js";
import { InvalidArgumentError } from "../../scheduler/errors.js";
import { checkInteger, checkString } from "../../scheduler/validate.js";
import { checkTopicPartition, compareIds } from "./layout.js";
import { stickyAssign } from "./sticky.js";
import type { Assignment, Assignor, AssignorInput, AssignorMember, TopicPartition } from "./types.js";

/**
 * What a member held before the rebalance: the ownership part of an {@link AssignorMember}.
 *
 * @example
 * ```ts
 * const before: PreviousOwnership = { memberId: "c1", ownedPartitions: [{ topic: "t", partition: 0 }], generation: 3 };
 * ```
 */
export type PreviousOwnership = Pick<AssignorMember, "memberId" | "ownedPartitions" | "generation">;

/**
 * A partition that changes owner and therefore waits for the next rebalance.
 *
 * @example
 * ```ts
 * const held: HeldBackPartition = { topic: "t", partition: 2, assignee: "c2", claimants: ["c1"] };
 * ```
 */
export interface HeldBackPartition {
  readonly topic: string;
  readonly partition: number;
  /** The member that will get it once the claimants have revoked it. */
  readonly assignee: string;
  /** The members that still claim it now, in id order. */
  readonly claimants: readonly string[];
}

/**
 * One cooperative rebalance round, as the leader hands it out and members act on it.
 *
 * @example
 * ```ts
 * const plan: CooperativePlan = cooperativeStickyRebalance(input);
 * for (const [member, lost] of plan.revoke) if (lost.length > 0) console.log(member, "revokes", lost);
 * ```
 */
export interface CooperativePlan {
  /** What each member is assigned now: the target minus every held-back partition. */
  readonly assignment: Assignment;
  /** What each member must give up now: what it claims that is not in its assignment. */
  readonly revoke: Assignment;
  /** Partitions moving between members, assigned only in a following rebalance. */
  readonly heldBack: readonly HeldBackPartition[];
}

interface Claim {
  readonly member: string;
  readonly generation: number;
}

function compareTopicPartitions(a: TopicPartition, b: TopicPartition): number {
  return compareIds(a.topic, b.topic) || a.partition - b.partition;
}

function checkPrevious(previous: unknown, where: string): asserts previous is readonly PreviousOwnership[] {
  if (!Array.isArray(previous)) {
    throw new InvalidArgumentError(
      `${where}: previous must be an array of { memberId, ownedPartitions, generation }.`,
    );
  }
  const seen = new Set<string>();
  for (let i = 0; i < previous.length; i++) {
    const p: unknown = previous[i];
    if (p === null || typeof p !== "object") {
      throw new InvalidArgumentError(
        `${where}: previous[${i}] must be an object { memberId, ownedPartitions }.`,
      );
    }
    const member = p as PreviousOwnership;
    checkString(member.memberId, `previous[${i}].memberId`, where, true);
    if (seen.has(member.memberId)) {
      throw new InvalidArgumentError(
        `${where}: member id ${describeValue(member.memberId)} appears twice in previous.`,
        "DUPLICATE_MEMBER_ID",
        { memberId: member.memberId },
      );
    }
    seen.add(member.memberId);
    if (member.ownedPartitions !== undefined) {
      if (!Array.isArray(member.ownedPartitions)) {
        throw new InvalidArgumentError(`${where}: previous[${i}].ownedPartitions must be an array.`);
      }
      for (let j = 0; j < member.ownedPartitions.length; j++) {
        checkTopicPartition(member.ownedPartitions[j], `previous[${i}].ownedPartitions[${j}]`, where);
      }
    }
    if (member.generation !== undefined) {
      checkInteger(member.generation, `previous[${i}].generation`, where, -1, 0x7fffffff);
    }
  }
}

function checkTarget(target: unknown, where: string): asserts target is Assignment {
  if (!(target instanceof Map)) {
    throw new InvalidArgumentError(
      `${where}: target must be a Map of memberId → partitions (an Assignment).`,
    );
  }
  const taken = new Map<string, Set<number>>();
  for (const [memberId, list] of target as Map<unknown, unknown>) {
    checkString(memberId, "target key", where, true);
    if (!Array.isArray(list)) {
      throw new InvalidArgumentError(`${where}: target.get(${describeValue(memberId)}) must be an array.`);
    }
    list.forEach((tp: unknown, j) => {
      checkTopicPartition(tp, `target.get(${describeValue(memberId)})[${j}]`, where);
      let numbers = taken.get(tp.topic);
      if (numbers === undefined) taken.set(tp.topic, (numbers = new Set()));
      if (numbers.has(tp.partition)) {
        throw new InvalidArgumentError(
          `${where}: ${tp.topic}-${tp.partition} is assigned to more than one member in target.`,
          "DUPLICATE_ASSIGNMENT",
          { topic: tp.topic, partition: tp.partition },
        );
      }
      numbers.add(tp.partition);
    });
  }
}

/**
 * The cooperative protocol's rule (KIP-429), as Kafka's `CooperativeStickyAssignor` applies it:
 * a partition whose owner changes is first revoked and only assigned in a following rebalance,
 * so no two members ever hold it at once. Given what members held (`previous`) and the
 * assignment the group should converge to (`target`), computes what each member is assigned now,
 * what it must revoke now, and what is held back.
 *
 * A target partition is held back from its assignee X when another member still in the target
 * claims it, unless X claims it too in a strictly newer generation (then X is the real owner and
 * the other claim is stale). Claims of members absent from `target` (they left) block nothing.
 * This also holds back a partition that two members claim in the same generation even when one
 * of them is its assignee, as Java's identical-subscription path does; Java's mixed-subscription
 * path would hand it straight to that claimant.
 *
 * @example
 * ```ts
 * const previous = [
 *   { memberId: "c1", ownedPartitions: [{ topic: "t", partition: 0 }, { topic: "t", partition: 1 }] },
 *   { memberId: "c2", ownedPartitions: [] },
 * ];
 * const target = new Map([["c1", [{ topic: "t", partition: 0 }]], ["c2", [{ topic: "t", partition: 1 }]]]);
 * const plan = planCooperativeHandoff(previous, target);
 * plan.assignment.get("c2"); // [] — t-1 waits until c1 has revoked it
 * plan.revoke.get("c1"); // [{ topic: "t", partition: 1 }]
 * ```
 */
export function planCooperativeHandoff(
  previous: readonly PreviousOwnership[],
  target: Assignment,
): CooperativePlan {
  const where = "planCooperativeHandoff";
  checkPrevious(previous, where);
  checkTarget(target, where);

  const claims = new Map<string, Map<number, Claim[]>>();
  const ownedBy = new Map<string, readonly TopicPartition[]>();
  for (const member of previous) {
    if (!target.has(member.memberId)) continue;
    const owned = member.ownedPartitions ?? [];
    ownedBy.set(member.memberId, owned);
    const generation = member.generation ?? -1;
    for (const tp of owned) {
      let byNumber = claims.get(tp.topic);
      if (byNumber === undefined) claims.set(tp.topic, (byNumber = new Map()));
      let list = byNumber.get(tp.partition);
      if (list === undefined) byNumber.set(tp.partition, (list = []));
      if (!list.some((c) => c.member === member.memberId)) list.push({ member: member.memberId, generation });
    }
  }

  const memberIds = [...target.keys()].sort(compareIds);
  const assignment: Assignment = new Map();
  const revoke: Assignment = new Map();
  const heldBack: HeldBackPartition[] = [];
  for (const memberId of memberIds) {
    const kept: TopicPartition[] = [];
    for (const tp of target.get(memberId)!) {
      const claimants = claims.get(tp.topic)?.get(tp.partition);
      const own = claimants?.find((c) => c.member === memberId);
      const blocked = claimants?.filter(
        (c) => c.member !== memberId && !(own !== undefined && own.generation > c.generation),
      );
      if (blocked === undefined || blocked.length === 0) {
        kept.push({ topic: tp.topic, partition: tp.partition });
      } else {
        const names = blocked.map((c) => c.member).sort(compareIds);
        heldBack.push({ topic: tp.topic, partition: tp.partition, assignee: memberId, claimants: names });
      }
    }
    kept.sort(compareTopicPartitions);
    assignment.set(memberId, kept);

    const keptKeys = new Map<string, Set<number>>();
    for (const tp of kept) {
      let numbers = keptKeys.get(tp.topic);
      if (numbers === undefined) keptKeys.set(tp.topic, (numbers = new Set()));
      numbers.add(tp.partition);
    }
    const gone: TopicPartition[] = [];
    const seen = new Map<string, Set<number>>();
    for (const tp of ownedBy.get(memberId) ?? []) {
      if (keptKeys.get(tp.topic)?.has(tp.partition)) continue;
      let numbers = seen.get(tp.topic);
      if (numbers === undefined) seen.set(tp.topic, (numbers = new Set()));
      if (numbers.has(tp.partition)) continue;
      numbers.add(tp.partition);
      gone.push({ topic: tp.topic, partition: tp.partition });
    }
    gone.sort(compareTopicPartitions);
    revoke.set(memberId, gone);
  }
  heldBack.sort(compareTopicPartitions);
  return { assignment, revoke, heldBack };
}

/**
 * One round of Kafka's `CooperativeStickyAssignor`: the sticky target for the group, then the
 * cooperative hand-off of {@link planCooperativeHandoff}. Members revoke `plan.revoke`, rejoin
 * with what they still own, and the next round assigns what was held back.
 *
 * @example
 * ```ts
 * const plan = cooperativeStickyRebalance({ members, partitionCounts });
 * if (plan.heldBack.length > 0) {
 *   // members revoke, then the coordinator runs another round with updated ownedPartitions
 * }
 * ```
 */
export function cooperativeStickyRebalance(input: AssignorInput): CooperativePlan {
  const target = stickyAssign(input);
  return planCooperativeHandoff(input.members, target);
}

/**
 * The assignment Kafka's `CooperativeStickyAssignor` returns for one round: sticky, with every
 * partition that changes owner withheld until its old owner has revoked it.
 *
 * @example
 * ```ts
 * cooperativeStickyAssign({
 *   members: [
 *     { memberId: "c1", topics: ["t"], ownedPartitions: [0, 1, 2].map((p) => ({ topic: "t", partition: p })), generation: 1 },
 *     { memberId: "c2", topics: ["t"], generation: 1 },
 *   ],
 *   partitionCounts: { t: 3 },
 * }); // c1 → t-0, t-1; c2 → nothing yet (t-2 is revoked from c1 first)
 * ```
 */
export function cooperativeStickyAssign(input: AssignorInput): Assignment {
  return cooperativeStickyRebalance(input).assignment;
}

/**
 * The cooperative-sticky assignor as a coordinator selects it (protocol name
 * `"cooperative-sticky"`, cooperative).
 *
 * @example
 * ```ts
 * cooperativeStickyAssignor.assign({ members, partitionCounts });
 * ```
 */
export const cooperativeStickyAssignor: Assignor = {
  name: "cooperative-sticky",
  rebalanceProtocol: "cooperative",
  assign: cooperativeStickyAssign,
};
