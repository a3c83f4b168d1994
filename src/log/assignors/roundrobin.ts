import { assignmentFromOwners, layoutGroup, staticFirstOrder } from "./layout.js";
import type { Assignment, Assignor, AssignorInput } from "./types.js";

/**
 * Kafka's `RoundRobinAssignor`: all partitions of all subscribed topics (topics by name,
 * partitions ascending) are dealt one by one to members in member order (static members first),
 * cycling, and skipping a member not subscribed to the partition's topic.
 *
 * With identical subscriptions the counts differ by at most one. With differing subscriptions
 * they need not, even between members subscribed alike: dealing another topic can carry the
 * cycle past them (Kafka documents this; the sticky assignor exists partly for it).
 *
 * @example
 * ```ts
 * roundRobinAssign({
 *   members: [{ memberId: "member1", topics: ["t1", "t2"] }, { memberId: "member2", topics: ["t1", "t2"] }],
 *   partitionCounts: { t1: 3, t2: 3 },
 * });
 * // member1 → t1-0, t1-2, t2-1; member2 → t1-1, t2-0, t2-2
 * ```
 */
export function roundRobinAssign(input: AssignorInput): Assignment {
  const layout = layoutGroup(input, "roundRobinAssign");
  const owners = new Int32Array(layout.totalPartitions).fill(-1);
  const order = staticFirstOrder(layout);
  const n = order.length;
  // subscribed[t * n + r]: whether the member at cycle position r subscribes to topic t.
  const subscribed = new Uint8Array(layout.topics.length * n);
  const position = new Int32Array(n);
  for (let r = 0; r < n; r++) position[order[r]!] = r;
  for (let t = 0; t < layout.topics.length; t++) {
    for (const m of layout.subscribers[t]!) subscribed[t * n + position[m]!] = 1;
  }

  let cursor = 0;
  for (let t = 0; t < layout.topics.length; t++) {
    const base = layout.offsets[t]!;
    const row = t * n;
    for (let p = 0; p < layout.counts[t]!; p++) {
      // Terminates: a topic is in the layout only if somebody subscribes to it.
      while (subscribed[row + cursor] === 0) cursor = cursor + 1 === n ? 0 : cursor + 1;
      owners[base + p] = order[cursor]!;
      cursor = cursor + 1 === n ? 0 : cursor + 1;
    }
  }
  return assignmentFromOwners(layout, owners);
}

/**
 * The roundrobin assignor as a coordinator selects it (protocol name `"roundrobin"`, eager).
 *
 * @example
 * ```ts
 * roundRobinAssignor.assign({ members, partitionCounts });
 * ```
 */
export const roundRobinAssignor: Assignor = {
  name: "roundrobin",
  rebalanceProtocol: "eager",
  assign: roundRobinAssign,
};
