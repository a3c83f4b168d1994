import { assignmentFromOwners, layoutGroup, staticFirstOrder } from "./layout.js";
import type { Assignment, Assignor, AssignorInput } from "./types.js";

/**
 * Kafka's `RangeAssignor`, per topic: its subscribers in member order (static members first),
 * its partitions in number order; with P partitions and C subscribers each gets ⌊P/C⌋
 * consecutive partitions and the first P mod C get one more. Topics are independent, so the
 * extras pile up on the first members: two members on two 3-partition topics get 4 and 2.
 *
 * @example
 * ```ts
 * rangeAssign({
 *   members: [{ memberId: "member1", topics: ["t1", "t2"] }, { memberId: "member2", topics: ["t1", "t2"] }],
 *   partitionCounts: { t1: 3, t2: 3 },
 * });
 * // member1 → t1-0, t1-1, t2-0, t2-1; member2 → t1-2, t2-2
 * ```
 */
export function rangeAssign(input: AssignorInput): Assignment {
  const layout = layoutGroup(input, "rangeAssign");
  const owners = new Int32Array(layout.totalPartitions).fill(-1);
  const rank = new Int32Array(layout.members.length);
  const order = staticFirstOrder(layout);
  for (let r = 0; r < order.length; r++) rank[order[r]!] = r;

  for (let t = 0; t < layout.topics.length; t++) {
    const consumers = layout.subscribers[t]!.slice().sort((a, b) => rank[a]! - rank[b]!);
    const c = consumers.length;
    const count = layout.counts[t]!;
    const base = layout.offsets[t]!;
    const each = Math.floor(count / c);
    const extra = count % c;
    for (let i = 0; i < c; i++) {
      const start = each * i + Math.min(i, extra);
      const length = each + (i < extra ? 1 : 0);
      const member = consumers[i]!;
      for (let p = start; p < start + length; p++) owners[base + p] = member;
    }
  }
  return assignmentFromOwners(layout, owners);
}

/**
 * The range assignor as a coordinator selects it (protocol name `"range"`, eager).
 *
 * @example
 * ```ts
 * rangeAssignor.assign({ members, partitionCounts });
 * ```
 */
export const rangeAssignor: Assignor = { name: "range", rebalanceProtocol: "eager", assign: rangeAssign };
