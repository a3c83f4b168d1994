import { invariant } from "../../scheduler/errors.js";
import { assignmentFromOwners, type GroupLayout, layoutGroup, partitionIndex } from "./layout.js";
import type { Assignment, Assignor, AssignorInput } from "./types.js";

/**
 * Kafka's sticky assignment (`AbstractStickyAssignor`, shared by `StickyAssignor` and
 * `CooperativeStickyAssignor`, Kafka 3.x without rack awareness): as balanced as possible first,
 * then as close to the current ownership as possible.
 *
 * Ownership: a member's `ownedPartitions` count as owned if they still exist; when several
 * members claim a partition the highest `generation` wins, and a tie at the highest generation
 * leaves it unowned (so nobody keeps a partition two members believe they hold).
 *
 * Identical subscriptions (Java's `ConstrainedAssignmentBuilder`): with P partitions and C
 * members, minQuota = ⌊P/C⌋, maxQuota = ⌈P/C⌉ and P mod C members may hold maxQuota. Visiting
 * members by id, an owner of fewer than minQuota keeps all; an owner of at least maxQuota keeps
 * maxQuota while such slots remain; any other keeps minQuota; kept partitions are the first by
 * (partition number, topic). Free partitions, by (topic, partition), are then dealt round-robin to
 * members below minQuota, then one each to members at minQuota until the extra slots are used.
 *
 * Differing subscriptions (Java's `GeneralAssignmentBuilder`): every owned partition the owner
 * still subscribes to is kept; free partitions, topics taken by fewest subscribers first, go to
 * the eligible member holding fewest (ties to the smaller id); then partitions move from a member
 * to an eligible one holding at least two fewer, preferring the previous owner, until none can.
 *
 * Where Java's order depends on `HashMap` iteration (which owners keep maxQuota; which partition
 * of a pair moves), this uses member-id order, so results are deterministic but can differ from a
 * Java leader in which equally good partition a member keeps.
 */

const DEFAULT_GENERATION = -1;
const NO_CLAIM = -2;

interface Claims {
  /** Resolved owner per partition (member index), -1 when unowned or contested. */
  readonly owner: Int32Array;
  /** Claimant with the best generation below the owner's, -1 if none: Java's "previous assignment". */
  readonly previous: Int32Array;
}

function resolveClaims(layout: GroupLayout): Claims {
  const total = layout.totalPartitions;
  const bestGen = new Int32Array(total).fill(NO_CLAIM);
  const owner = new Int32Array(total).fill(-1);
  const contested = new Uint8Array(total);
  const members = layout.members;
  for (let m = 0; m < members.length; m++) {
    const member = members[m]!;
    const gen = member.generation ?? DEFAULT_GENERATION;
    for (const tp of member.ownedPartitions ?? []) {
      const idx = partitionIndex(layout, tp.topic, tp.partition);
      if (idx < 0 || owner[idx] === m) continue;
      if (gen > bestGen[idx]!) {
        bestGen[idx] = gen;
        owner[idx] = m;
        contested[idx] = 0;
      } else if (gen === bestGen[idx]) {
        contested[idx] = 1;
      }
    }
  }
  const previous = new Int32Array(total).fill(-1);
  const previousGen = new Int32Array(total).fill(NO_CLAIM);
  for (let m = 0; m < members.length; m++) {
    const member = members[m]!;
    const gen = member.generation ?? DEFAULT_GENERATION;
    for (const tp of member.ownedPartitions ?? []) {
      const idx = partitionIndex(layout, tp.topic, tp.partition);
      if (idx < 0 || gen >= bestGen[idx]! || gen <= previousGen[idx]!) continue;
      previousGen[idx] = gen;
      previous[idx] = m;
    }
  }
  for (let idx = 0; idx < total; idx++) if (contested[idx] === 1) owner[idx] = -1;
  return { owner, previous };
}

function allSubscriptionsEqual(layout: GroupLayout): boolean {
  const first = layout.subscriptions[0];
  if (first === undefined) return true;
  for (const subscription of layout.subscriptions) {
    if (subscription.size !== first.size) return false;
    for (const topic of subscription) if (!first.has(topic)) return false;
  }
  return true;
}

/** Partition number and topic index per global index. */
function partitionCoordinates(layout: GroupLayout): { topicOf: Int32Array; numberOf: Int32Array } {
  const topicOf = new Int32Array(layout.totalPartitions);
  const numberOf = new Int32Array(layout.totalPartitions);
  for (let t = 0; t < layout.topics.length; t++) {
    const base = layout.offsets[t]!;
    for (let p = 0; p < layout.counts[t]!; p++) {
      topicOf[base + p] = t;
      numberOf[base + p] = p;
    }
  }
  return { topicOf, numberOf };
}

function constrainedAssign(layout: GroupLayout, claims: Claims): Int32Array {
  const total = layout.totalPartitions;
  const memberCount = layout.members.length;
  const minQuota = Math.floor(total / memberCount);
  const maxQuota = Math.ceil(total / memberCount);
  const expectedOverMin = total % memberCount;
  let currentOverMin = 0;

  const owned: number[][] = layout.members.map(() => []);
  for (let idx = 0; idx < total; idx++) {
    const o = claims.owner[idx]!;
    if (o >= 0) owned[o]!.push(idx);
  }
  const { numberOf } = partitionCoordinates(layout);
  // Java 3.5+ keeps the first owned partitions by (partition, topic); global order breaks ties by topic.
  const byNumberThenTopic = (a: number, b: number): number => numberOf[a]! - numberOf[b]! || a - b;

  const result = new Int32Array(total).fill(-1);
  const counts = new Int32Array(memberCount);
  const underMin: number[] = [];
  let exactlyMin: number[] = [];
  for (let m = 0; m < memberCount; m++) {
    const list = owned[m]!;
    let keep: number;
    if (list.length < minQuota) {
      keep = list.length;
      underMin.push(m);
    } else if (list.length >= maxQuota && currentOverMin < expectedOverMin) {
      keep = maxQuota;
      currentOverMin++;
      // Every extra slot is taken: members parked at minQuota can no longer grow.
      if (currentOverMin === expectedOverMin) exactlyMin = [];
    } else {
      keep = minQuota;
      if (currentOverMin < expectedOverMin) exactlyMin.push(m);
    }
    if (keep < list.length) list.sort(byNumberThenTopic);
    for (let i = 0; i < keep; i++) result[list[i]!] = m;
    counts[m] = keep;
  }

  // Java walks a live list of members below minQuota, restarting when it runs out; a member that
  // reaches minQuota leaves it for the queue of members that may take one extra partition.
  let pass = underMin;
  let position = 0;
  let nextPass: number[] = [];
  let extraHead = 0;
  for (let idx = 0; idx < total; idx++) {
    if (result[idx]! >= 0) continue;
    if (position === pass.length) {
      pass = nextPass;
      nextPass = [];
      position = 0;
    }
    let member: number;
    let fromUnderMin: boolean;
    if (position < pass.length) {
      member = pass[position++]!;
      fromUnderMin = true;
    } else {
      invariant(extraHead < exactlyMin.length, () => `sticky: partition ${idx} left with every member full`);
      member = exactlyMin[extraHead++]!;
      fromUnderMin = false;
    }
    result[idx] = member;
    const count = ++counts[member]!;
    if (fromUnderMin) {
      if (count === minQuota) exactlyMin.push(member);
      else nextPass.push(member);
    }
  }
  for (let m = 0; m < memberCount; m++) {
    invariant(
      counts[m]! >= minQuota && counts[m]! <= maxQuota,
      () => `sticky: member ${m} ended with ${counts[m]} partitions, outside [${minQuota}, ${maxQuota}]`,
    );
  }
  return result;
}

function generalAssign(layout: GroupLayout, claims: Claims): Int32Array {
  const total = layout.totalPartitions;
  const memberCount = layout.members.length;
  const { topicOf } = partitionCoordinates(layout);
  const subscribes = (m: number, t: number): boolean => layout.subscriptions[m]!.has(layout.topics[t]!);

  const result = new Int32Array(total).fill(-1);
  const counts = new Int32Array(memberCount);
  let revocationRequired = false;
  for (let idx = 0; idx < total; idx++) {
    const o = claims.owner[idx]!;
    if (o < 0) continue;
    if (subscribes(o, topicOf[idx]!)) {
      result[idx] = o;
      counts[o]!++;
    } else {
      revocationRequired = true;
    }
  }

  const leastLoaded = (t: number): number => {
    const candidates = layout.subscribers[t]!;
    let best = candidates[0]!;
    for (let i = 1; i < candidates.length; i++) {
      const c = candidates[i]!;
      if (counts[c]! < counts[best]!) best = c;
    }
    return best;
  };

  // Java's order: topics with the fewest potential consumers first, then by name.
  const topicOrder = layout.topics.map((_, t) => t);
  topicOrder.sort((a, b) => layout.subscribers[a]!.length - layout.subscribers[b]!.length || a - b);
  const sortedPartitions: number[] = [];
  const fresh: number[] = [];
  for (const t of topicOrder) {
    const base = layout.offsets[t]!;
    for (let p = 0; p < layout.counts[t]!; p++) {
      const idx = base + p;
      sortedPartitions.push(idx);
      if (result[idx]! >= 0) continue;
      const m = leastLoaded(t);
      result[idx] = m;
      counts[m]!++;
      fresh.push(idx);
    }
  }

  // Histogram of counts to know the smallest count in O(1): a partition whose owner holds at
  // most min + 1 cannot move, which skips the subscriber scan for most partitions.
  const histogram = new Int32Array(total + 2);
  let min = total;
  for (let m = 0; m < memberCount; m++) {
    histogram[counts[m]!]!++;
    if (counts[m]! < min) min = counts[m]!;
  }
  const move = (idx: number, from: number, to: number): void => {
    histogram[counts[from]!]!--;
    counts[from]!--;
    histogram[counts[from]!]!++;
    histogram[counts[to]!]!--;
    if (counts[to] === min && histogram[min] === 0) min++;
    counts[to]!++;
    histogram[counts[to]!]!++;
    result[idx] = to;
  };
  const rebalance = (partitions: readonly number[]): void => {
    // Each move takes a partition from a member holding ≥ 2 more than the receiver, which strictly
    // lowers the sum of squared counts, so this loop ends.
    let moved = true;
    while (moved) {
      moved = false;
      for (const idx of partitions) {
        const t = topicOf[idx]!;
        if (layout.subscribers[t]!.length < 2) continue;
        const from = result[idx]!;
        if (counts[from]! <= min + 1) continue;
        const prev = claims.previous[idx]!;
        let to: number;
        if (prev >= 0 && prev !== from && subscribes(prev, t) && counts[from]! > counts[prev]! + 1) {
          to = prev;
        } else {
          to = leastLoaded(t);
          if (counts[from]! <= counts[to]! + 1) continue;
        }
        move(idx, from, to);
        moved = true;
      }
    }
  };
  // Like Java: when nobody must give anything up, try to balance by moving only new partitions.
  if (!revocationRequired) rebalance(fresh);
  rebalance(sortedPartitions);
  return result;
}

/** Owner (member index) of every partition under Kafka's sticky algorithm. */
function stickyOwners(layout: GroupLayout): Int32Array {
  if (layout.members.length === 0 || layout.totalPartitions === 0) {
    return new Int32Array(layout.totalPartitions).fill(-1);
  }
  const claims = resolveClaims(layout);
  return allSubscriptionsEqual(layout) ? constrainedAssign(layout, claims) : generalAssign(layout, claims);
}

/**
 * Kafka's `StickyAssignor` (eager): a balanced assignment that keeps as much of each member's
 * `ownedPartitions` as balance allows. See the module notes above for the exact rules.
 *
 * @example
 * ```ts
 * // Kafka's javadoc example: C0..C2 on t0..t3 (2 partitions each), then C1 leaves.
 * const first = stickyAssign({ members: ["C0", "C1", "C2"].map((id) => ({ memberId: id, topics })), partitionCounts });
 * const second = stickyAssign({
 *   members: ["C0", "C2"].map((id) => ({ memberId: id, topics, ownedPartitions: first.get(id), generation: 1 })),
 *   partitionCounts,
 * }); // C0 and C2 keep all they had and split C1's three partitions
 * ```
 */
export function stickyAssign(input: AssignorInput): Assignment {
  const layout = layoutGroup(input, "stickyAssign");
  return assignmentFromOwners(layout, stickyOwners(layout));
}

/**
 * The sticky assignor as a coordinator selects it (protocol name `"sticky"`, eager).
 *
 * @example
 * ```ts
 * stickyAssignor.assign({ members, partitionCounts });
 * ```
 */
export const stickyAssignor: Assignor = { name: "sticky", rebalanceProtocol: "eager", assign: stickyAssign };
