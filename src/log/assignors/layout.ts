import { describeValue } from "../../scheduler/describe-value.js";
import { InvalidArgumentError } from "../../scheduler/errors.js";
import { checkInteger, checkOptions, checkString } from "../../scheduler/validate.js";
import type { Assignment, AssignorInput, AssignorMember, TopicPartition } from "./types.js";

/**
 * The validated, indexed view of an {@link AssignorInput} that every assignor works on: members
 * sorted by id, subscribed topics sorted by name, and each partition numbered by one global index
 * (`offsets[topic] + partition`), so assignors can keep owners in flat typed arrays instead of
 * maps of objects. Ascending global index is (topic, partition) order.
 *
 * @example
 * ```ts
 * const layout = layoutGroup({ members, partitionCounts: { a: 2, b: 3 } }, "rangeAssign");
 * layout.offsets; // [0, 2, 5] when both topics are subscribed: b-1 has global index 3
 * ```
 */
export interface GroupLayout {
  /** Members sorted by memberId. */
  readonly members: readonly AssignorMember[];
  /** Each member's subscribed topic names, deduplicated, including topics without a count. */
  readonly subscriptions: readonly ReadonlySet<string>[];
  /** Topics subscribed by at least one member and present in the partition counts, sorted. */
  readonly topics: readonly string[];
  readonly topicIndex: ReadonlyMap<string, number>;
  /** Partition count per topic index. */
  readonly counts: readonly number[];
  /** Global index of partition 0 per topic index; one extra entry holds the total. */
  readonly offsets: readonly number[];
  readonly totalPartitions: number;
  /** Per topic index, the indices of its subscribers, ascending. */
  readonly subscribers: readonly (readonly number[])[];
}

/**
 * Orders ids by UTF-16 code units, the order of Java's `String.compareTo` and of JavaScript's
 * default `sort`, so member order matches both Kafka and kafkajs.
 *
 * @example
 * ```ts
 * ["b", "B", "a"].sort(compareIds); // ["B", "a", "b"]
 * ```
 */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const MEMBER_KEYS = ["memberId", "topics", "groupInstanceId", "ownedPartitions", "generation"];

/**
 * Checks one `{ topic, partition }`. Partitions beyond a topic's count are not errors: a member
 * may report ownership from before a topic was recreated; assignors simply ignore them.
 *
 * @example
 * ```ts
 * checkTopicPartition({ topic: "t", partition: 0 }, "ownedPartitions[0]", "stickyAssign");
 * ```
 */
export function checkTopicPartition(
  value: unknown,
  name: string,
  where: string,
): asserts value is TopicPartition {
  if (value === null || typeof value !== "object") {
    throw new InvalidArgumentError(`${where}: ${name} must be an object { topic, partition }.`);
  }
  const tp = value as TopicPartition;
  checkString(tp.topic, `${name}.topic`, where, true);
  checkInteger(tp.partition, `${name}.partition`, where, 0, 0x7fffffff);
}

function checkMember(member: unknown, i: number, where: string): asserts member is AssignorMember {
  const name = `members[${i}]`;
  if (member === null || typeof member !== "object" || Array.isArray(member)) {
    throw new InvalidArgumentError(`${where}: ${name} must be an object { memberId, topics }.`);
  }
  checkOptions(member, MEMBER_KEYS, `${where}: ${name}`);
  const m = member as AssignorMember;
  checkString(m.memberId, `${name}.memberId`, where, true);
  if (!Array.isArray(m.topics)) {
    throw new InvalidArgumentError(`${where}: ${name}.topics must be an array of topic names.`);
  }
  for (let t = 0; t < m.topics.length; t++) checkString(m.topics[t], `${name}.topics[${t}]`, where, true);
  if (m.groupInstanceId !== undefined && m.groupInstanceId !== null) {
    checkString(m.groupInstanceId, `${name}.groupInstanceId`, where, true);
  }
  if (m.ownedPartitions !== undefined) {
    if (!Array.isArray(m.ownedPartitions)) {
      throw new InvalidArgumentError(
        `${where}: ${name}.ownedPartitions must be an array of { topic, partition }.`,
      );
    }
    for (let p = 0; p < m.ownedPartitions.length; p++) {
      checkTopicPartition(m.ownedPartitions[p], `${name}.ownedPartitions[${p}]`, where);
    }
  }
  if (m.generation !== undefined) checkInteger(m.generation, `${name}.generation`, where, -1, 0x7fffffff);
}

function readCounts(counts: unknown, where: string): Map<string, number> {
  const result = new Map<string, number>();
  const add = (topic: unknown, count: unknown): void => {
    checkString(topic, "partitionCounts key", where, true);
    checkInteger(count, `partitionCounts[${describeValue(topic)}]`, where, 0, 0x7fffffff);
    result.set(topic, count);
  };
  if (counts instanceof Map) {
    for (const [topic, count] of counts) add(topic, count);
  } else if (counts !== null && typeof counts === "object" && !Array.isArray(counts)) {
    // Key order of a plain object is never used: topics are sorted below.
    for (const topic of Object.keys(counts)) add(topic, (counts as Record<string, unknown>)[topic]);
  } else {
    throw new InvalidArgumentError(
      `${where}: partitionCounts must be a Map or an object of topic → partition count.`,
    );
  }
  return result;
}

/**
 * Validates an assignor input and builds its {@link GroupLayout}. Duplicate member ids (or
 * static instance ids) are refused: Kafka's coordinator never hands an assignor such a group.
 *
 * @example
 * ```ts
 * const layout = layoutGroup({ members, partitionCounts: { t1: 3 } }, "rangeAssign");
 * layout.totalPartitions; // 3 if someone subscribes to t1
 * ```
 */
export function layoutGroup(
  input: AssignorInput,
  where: string,
  extraKeys: readonly string[] = [],
): GroupLayout {
  if (input === null || typeof input !== "object") {
    throw new InvalidArgumentError(`${where}: input must be an object { members, partitionCounts }.`);
  }
  checkOptions(input, ["members", "partitionCounts", ...extraKeys], where);
  if (!Array.isArray(input.members)) {
    throw new InvalidArgumentError(`${where}: members must be an array of { memberId, topics }.`);
  }
  const counts = readCounts(input.partitionCounts, where);
  const memberIds = new Set<string>();
  const instanceIds = new Set<string>();
  for (let i = 0; i < input.members.length; i++) {
    const member: unknown = input.members[i];
    checkMember(member, i, where);
    if (memberIds.has(member.memberId)) {
      throw new InvalidArgumentError(
        `${where}: member id ${describeValue(member.memberId)} appears twice; member ids must be unique.`,
        "DUPLICATE_MEMBER_ID",
        { memberId: member.memberId },
      );
    }
    memberIds.add(member.memberId);
    const instance = member.groupInstanceId;
    if (instance !== undefined && instance !== null) {
      if (instanceIds.has(instance)) {
        throw new InvalidArgumentError(
          `${where}: group instance id ${describeValue(instance)} appears twice; Kafka fences the older one.`,
          "DUPLICATE_GROUP_INSTANCE_ID",
          { groupInstanceId: instance },
        );
      }
      instanceIds.add(instance);
    }
  }

  // Array.isArray widened the element type; every element has been checked by now.
  const members = (input.members as readonly AssignorMember[])
    .slice()
    .sort((a, b) => compareIds(a.memberId, b.memberId));
  const subscriptions = members.map((m) => new Set<string>(m.topics));
  const subscribed = new Set<string>();
  for (const topics of subscriptions)
    for (const topic of topics) if (counts.has(topic)) subscribed.add(topic);
  const topics = [...subscribed].sort(compareIds);
  const topicIndex = new Map<string, number>();
  const topicCounts: number[] = [];
  const offsets: number[] = [];
  let total = 0;
  for (let t = 0; t < topics.length; t++) {
    const topic = topics[t]!;
    const count = counts.get(topic)!;
    topicIndex.set(topic, t);
    topicCounts.push(count);
    offsets.push(total);
    total += count;
  }
  offsets.push(total);
  const subscribers: number[][] = topics.map(() => []);
  for (let m = 0; m < members.length; m++) {
    // Members are visited in id order, so each subscriber list comes out ascending unsorted.
    for (const topic of subscriptions[m]!) {
      const t = topicIndex.get(topic);
      if (t !== undefined) subscribers[t]!.push(m);
    }
  }
  return {
    members,
    subscriptions,
    topics,
    topicIndex,
    counts: topicCounts,
    offsets,
    totalPartitions: total,
    subscribers,
  };
}

/**
 * Global index of a partition, or -1 when the topic is not subscribed or the partition does not
 * exist (any longer).
 *
 * @example
 * ```ts
 * partitionIndex(layout, "t1", 2); // offsets[t1] + 2
 * ```
 */
export function partitionIndex(layout: GroupLayout, topic: string, partition: number): number {
  const t = layout.topicIndex.get(topic);
  if (t === undefined || partition >= layout.counts[t]!) return -1;
  return layout.offsets[t]! + partition;
}

/**
 * Member indices in the order Java's range and roundrobin assignors use (`MemberInfo`): static
 * members first, by group instance id, then dynamic members by member id.
 *
 * @example
 * ```ts
 * staticFirstOrder(layout); // [2, 0, 1] when member 2 alone has a group.instance.id
 * ```
 */
export function staticFirstOrder(layout: GroupLayout): number[] {
  const order = layout.members.map((_, i) => i);
  const instance = (i: number): string | null => layout.members[i]!.groupInstanceId ?? null;
  order.sort((a, b) => {
    const ia = instance(a);
    const ib = instance(b);
    if (ia !== null && ib !== null) return compareIds(ia, ib);
    if (ia !== null) return -1;
    if (ib !== null) return 1;
    return a - b; // members are already sorted by id
  });
  return order;
}

/**
 * Turns per-partition owners (member index, or -1 for nobody) into an {@link Assignment}: every
 * member present, in id order, lists sorted by topic then partition. Linear in partitions.
 *
 * @example
 * ```ts
 * const owners = new Int32Array(layout.totalPartitions); // all to member 0
 * assignmentFromOwners(layout, owners);
 * ```
 */
export function assignmentFromOwners(layout: GroupLayout, owners: Int32Array): Assignment {
  const lists: TopicPartition[][] = layout.members.map(() => []);
  for (let t = 0; t < layout.topics.length; t++) {
    const topic = layout.topics[t]!;
    const base = layout.offsets[t]!;
    const count = layout.counts[t]!;
    for (let p = 0; p < count; p++) {
      const owner = owners[base + p]!;
      if (owner >= 0) lists[owner]!.push({ topic, partition: p });
    }
  }
  const assignment: Assignment = new Map();
  for (let m = 0; m < layout.members.length; m++) assignment.set(layout.members[m]!.memberId, lists[m]!);
  return assignment;
}
