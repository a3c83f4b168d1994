import { describeValue } from "../../scheduler/describe-value.js";
import { InvalidArgumentError } from "../../scheduler/errors.js";
import { checkString } from "../../scheduler/validate.js";
import { assignmentFromOwners, layoutGroup } from "./layout.js";
import type { Assignment, Assignor, AssignorInput } from "./types.js";

/**
 * Input of {@link kafkajsRoundRobinAssign}: the common input plus who leads the group.
 *
 * @example
 * ```ts
 * const input: KafkajsRoundRobinInput = { members, partitionCounts: { t1: 3 }, leaderId: "consumer-1" };
 * ```
 */
export interface KafkajsRoundRobinInput extends AssignorInput {
  /**
   * The group leader's member id. kafkajs assigns exactly the topics in the leader's own
   * subscription, in the leader's order. Defaults to the first entry of `members`.
   */
  readonly leaderId?: string | undefined;
}

/**
 * kafkajs 2.x's `RoundRobinAssigner` (its only built-in assigner), as written in
 * `src/consumer/assigners/roundRobinAssigner`: member ids sorted; the partitions of the leader's
 * subscribed topics, topic by topic in the leader's subscription order, go to member `i mod n`
 * with one counter across all topics. Unlike Java's roundrobin, nobody is skipped: a member gets
 * partitions of topics it never subscribed to, and topics only other members subscribe to are not
 * assigned at all. Static membership plays no part.
 *
 * Differences from the kafkajs code that do not change who gets what: members that receive
 * nothing are listed with an empty array, and lists are sorted by topic name.
 *
 * @example
 * ```ts
 * kafkajsRoundRobinAssign({
 *   members: [{ memberId: "b", topics: ["t2", "t1"] }, { memberId: "a", topics: ["t1"] }],
 *   partitionCounts: { t1: 1, t2: 2 },
 * });
 * // leader "b": t2-0 → a, t2-1 → b, t1-0 → a
 * ```
 */
export function kafkajsRoundRobinAssign(input: KafkajsRoundRobinInput): Assignment {
  const where = "kafkajsRoundRobinAssign";
  const layout = layoutGroup(input, where, ["leaderId"]);
  const owners = new Int32Array(layout.totalPartitions).fill(-1);
  const n = layout.members.length;
  if (n === 0) return assignmentFromOwners(layout, owners);

  let leader = input.members[0]!;
  if (input.leaderId !== undefined) {
    checkString(input.leaderId, "leaderId", where, true);
    const found = input.members.find((m) => m.memberId === input.leaderId);
    if (found === undefined) {
      throw new InvalidArgumentError(
        `${where}: leaderId ${describeValue(input.leaderId)} is not one of the members.`,
        "UNKNOWN_MEMBER_ID",
        { memberId: input.leaderId },
      );
    }
    leader = found;
  }

  let i = 0;
  for (const topic of new Set(leader.topics)) {
    const t = layout.topicIndex.get(topic);
    if (t === undefined) continue; // kafkajs finds no metadata for it: no partitions
    const base = layout.offsets[t]!;
    for (let p = 0; p < layout.counts[t]!; p++) {
      owners[base + p] = i % n; // layout.members is sorted by id, as kafkajs' sortedMembers
      i++;
    }
  }
  return assignmentFromOwners(layout, owners);
}

/**
 * kafkajs' assigner as a coordinator selects it (protocol name `"RoundRobinAssigner"`, eager).
 *
 * @example
 * ```ts
 * kafkajsRoundRobinAssignor.assign({ members, partitionCounts });
 * ```
 */
export const kafkajsRoundRobinAssignor: Assignor = {
  name: "RoundRobinAssigner",
  rebalanceProtocol: "eager",
  assign: kafkajsRoundRobinAssign,
};
