/**
 * Shapes shared by the consumer-group partition assignors: who is in the group, what they
 * subscribe to and own, how many partitions each topic has, and the resulting assignment.
 */

/**
 * One partition of one topic.
 *
 * @example
 * ```ts
 * const tp: TopicPartition = { topic: "orders", partition: 3 };
 * ```
 */
export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/**
 * A group member as the assignor sees it (Kafka's `Subscription` plus member id).
 *
 * @example
 * ```ts
 * const m: AssignorMember = {
 *   memberId: "consumer-1-5e1f",
 *   topics: ["orders", "payments"],
 *   ownedPartitions: [{ topic: "orders", partition: 0 }],
 *   generation: 4,
 * };
 * ```
 */
export interface AssignorMember {
  /** Unique within the group. Members are ordered by this id (UTF-16 code units, like Java). */
  readonly memberId: string;
  /** Subscribed topics; duplicates are ignored. Topics missing from the partition counts get nothing. */
  readonly topics: readonly string[];
  /** Static membership id (`group.instance.id`); range and roundrobin order static members first, by it. */
  readonly groupInstanceId?: string | null | undefined;
  /** Partitions the member currently owns; only the sticky assignors read them. */
  readonly ownedPartitions?: readonly TopicPartition[] | undefined;
  /**
   * Generation in which `ownedPartitions` were assigned; absent means unknown (Kafka's -1). When
   * members claim the same partition, the highest generation wins and a tie leaves it unowned.
   */
  readonly generation?: number | undefined;
}

/**
 * Everything an assignor needs.
 *
 * @example
 * ```ts
 * const input: AssignorInput = {
 *   members: [{ memberId: "c1", topics: ["t1"] }, { memberId: "c2", topics: ["t1"] }],
 *   partitionCounts: { t1: 3 },
 * };
 * ```
 */
export interface AssignorInput {
  readonly members: readonly AssignorMember[];
  /** Partitions per topic (a Map or a plain object); topics nobody subscribes to are ignored. */
  readonly partitionCounts: ReadonlyMap<string, number> | Readonly<Record<string, number>>;
}

/**
 * memberId → partitions, every member present (possibly with an empty list), members in memberId
 * order and each list sorted by topic, then partition.
 *
 * @example
 * ```ts
 * const a: Assignment = rangeAssign(input);
 * a.get("c1"); // [{ topic: "t1", partition: 0 }, { topic: "t1", partition: 1 }]
 * ```
 */
export type Assignment = Map<string, TopicPartition[]>;

/**
 * An assignor as a group coordinator selects it: the protocol name Kafka clients advertise, the
 * rebalance protocol it supports, and the pure assignment function.
 *
 * @example
 * ```ts
 * const chosen = [rangeAssignor, cooperativeStickyAssignor].find((a) => a.name === "range")!;
 * chosen.assign(input);
 * ```
 */
export interface Assignor {
  readonly name: string;
  /** Eager members give up everything before rejoining; cooperative ones only what moves. */
  readonly rebalanceProtocol: "eager" | "cooperative";
  assign(input: AssignorInput): Assignment;
}
