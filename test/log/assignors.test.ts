import { fc, test } from "@fast-check/vitest";
import { AssignerProtocol, PartitionAssigners } from "kafkajs";
import { describe, expect, it } from "vitest";
import {
  cooperativeStickyAssign,
  cooperativeStickyAssignor,
  cooperativeStickyRebalance,
  planCooperativeHandoff,
} from "../../src/log/assignors/cooperative-sticky.js";
import {
  kafkajsRoundRobinAssign,
  kafkajsRoundRobinAssignor,
} from "../../src/log/assignors/kafkajs-roundrobin.js";
import { rangeAssign, rangeAssignor } from "../../src/log/assignors/range.js";
import { roundRobinAssign, roundRobinAssignor } from "../../src/log/assignors/roundrobin.js";
import { stickyAssign, stickyAssignor } from "../../src/log/assignors/sticky.js";
import type {
  Assignment,
  AssignorInput,
  AssignorMember,
  TopicPartition,
} from "../../src/log/assignors/types.js";
import { BrokerlabError, InvalidArgumentError } from "../../src/scheduler/errors.js";

// ---------------------------------------------------------------------------------------------
// Helpers

const tp = (topic: string, partition: number): TopicPartition => ({ topic, partition });

/** "t1-0, t1-3" → partitions (the notation of Kafka's assignor tests). */
function parts(list: string): TopicPartition[] {
  if (list.trim() === "") return [];
  return list.split(",").map((s) => {
    const at = s.trim().lastIndexOf("-");
    return tp(s.trim().slice(0, at), Number(s.trim().slice(at + 1)));
  });
}

const label = (x: TopicPartition): string => `${x.topic}-${x.partition}`;

/** memberId → "t-p" labels, in the assignment's own order. */
function view(a: Assignment): Record<string, string[]> {
  return Object.fromEntries([...a].map(([member, list]) => [member, list.map(label)]));
}

function sortedLabels(list: readonly TopicPartition[]): string[] {
  return [...list]
    .sort((x, y) => (x.topic < y.topic ? -1 : x.topic > y.topic ? 1 : x.partition - y.partition))
    .map(label);
}

function countsOf(input: AssignorInput): Map<string, number> {
  const c = input.partitionCounts;
  return c instanceof Map ? new Map(c) : new Map(Object.entries(c));
}

function thrown(fn: () => unknown): BrokerlabError {
  try {
    fn();
  } catch (error) {
    if (error instanceof BrokerlabError) return error;
    throw error;
  }
  throw new Error("expected a BrokerlabError, nothing was thrown");
}

/**
 * Kafka's validity rules: every member listed; lists sorted; a partition goes only to a member
 * subscribed to its topic; every partition of every subscribed, existing topic to exactly one.
 * Problems are collected and asserted once, so the 10k-partition checks stay cheap.
 */
function expectValid(input: AssignorInput, a: Assignment): void {
  const counts = countsOf(input);
  expect(new Set(a.keys())).toEqual(new Set(input.members.map((m) => m.memberId)));
  expect([...a.keys()]).toEqual([...a.keys()].sort());
  const subscriptions = new Map(input.members.map((m) => [m.memberId, new Set(m.topics)]));
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const [member, list] of a) {
    const labels = list.map(label);
    if (labels.join() !== sortedLabels(list).join()) problems.push(`${member}'s list is not sorted`);
    for (const x of list) {
      if (!subscriptions.get(member)!.has(x.topic))
        problems.push(`${member} got ${label(x)} without subscribing`);
      if (!(x.partition < (counts.get(x.topic) ?? 0))) problems.push(`${label(x)} does not exist`);
      if (seen.has(label(x))) problems.push(`${label(x)} assigned twice`);
      seen.add(label(x));
    }
  }
  const subscribed = new Set(input.members.flatMap((m) => m.topics));
  for (const [topic, count] of counts) {
    if (!subscribed.has(topic)) continue;
    for (let p = 0; p < count; p++) if (!seen.has(`${topic}-${p}`)) problems.push(`${topic}-${p} unassigned`);
  }
  expect(problems).toEqual([]);
}

function spread(a: Assignment, members?: readonly string[]): number {
  const sizes = (members ?? [...a.keys()]).map((m) => a.get(m)!.length);
  return sizes.length === 0 ? 0 : Math.max(...sizes) - Math.min(...sizes);
}

/**
 * Kafka's balance rule for sticky assignors (AbstractStickyAssignorTest.verifyValidityAndBalance,
 * in its stronger form): no member holds a partition that a member with at least two fewer
 * partitions could take, i.e. every holder of a topic's partition has at most one more than the
 * least loaded subscriber of that topic.
 */
function expectStickyBalanced(input: AssignorInput, a: Assignment): void {
  const size = (member: string): number => a.get(member)!.length;
  const lightest = new Map<string, number>();
  for (const m of input.members) {
    for (const topic of m.topics)
      lightest.set(topic, Math.min(lightest.get(topic) ?? Number.POSITIVE_INFINITY, size(m.memberId)));
  }
  const problems: string[] = [];
  for (const [member, list] of a) {
    for (const x of list) {
      const min = lightest.get(x.topic)!;
      if (list.length > min + 1)
        problems.push(`${label(x)} could move from ${member} (${list.length}) to a member with ${min}`);
    }
  }
  expect(problems).toEqual([]);
}

/** Members rejoining with what they hold now (as a cooperative or sticky member would). */
function rejoin(input: AssignorInput, owned: Assignment, generation: number): AssignorInput {
  return {
    ...input,
    members: input.members.map((m) => ({ ...m, ownedPartitions: owned.get(m.memberId) ?? [], generation })),
  };
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

const memberIdArb = fc.string({ minLength: 1, maxLength: 4, unit: "grapheme-ascii" });

interface Group {
  readonly counts: Record<string, number>;
  readonly topics: readonly string[];
  readonly members: readonly AssignorMember[];
}

/** Up to 5 topics (one maybe with 0 partitions), up to 8 members, any subscriptions. */
const mixedGroupArb: fc.Arbitrary<Group> = fc
  .record({
    partitionCounts: fc.array(fc.integer({ min: 0, max: 12 }), { minLength: 1, maxLength: 5 }),
    ids: fc.uniqueArray(memberIdArb, { minLength: 1, maxLength: 8 }),
  })
  .chain(({ partitionCounts, ids }) => {
    const topics = partitionCounts.map((_, i) => `topic${i}`);
    const counts = Object.fromEntries(topics.map((t, i) => [t, partitionCounts[i]!]));
    return fc.array(fc.subarray(topics), { minLength: ids.length, maxLength: ids.length }).map((subs) => ({
      counts,
      topics,
      members: ids.map((memberId, i) => ({ memberId, topics: subs[i]! })),
    }));
  });

/** Same, but every member subscribes to the same topics (in its own order). */
const identicalGroupArb: fc.Arbitrary<Group> = fc
  .record({
    partitionCounts: fc.array(fc.integer({ min: 0, max: 12 }), { minLength: 1, maxLength: 5 }),
    ids: fc.uniqueArray(memberIdArb, { minLength: 1, maxLength: 8 }),
  })
  .chain(({ partitionCounts, ids }) => {
    const topics = partitionCounts.map((_, i) => `topic${i}`);
    const counts = Object.fromEntries(topics.map((t, i) => [t, partitionCounts[i]!]));
    return fc
      .shuffledSubarray(topics, { minLength: 1 })
      .chain((subscribed) =>
        fc.array(fc.shuffledSubarray(subscribed, { minLength: subscribed.length }), {
          minLength: ids.length,
          maxLength: ids.length,
        }),
      )
      .map((subs) => ({
        counts,
        topics,
        members: ids.map((memberId, i) => ({ memberId, topics: subs[i]! })),
      }));
  });

/** Adds arbitrary (possibly conflicting, stale or nonexistent) ownership claims and generations. */
function withClaims(groupArb: fc.Arbitrary<Group>): fc.Arbitrary<Group> {
  return groupArb.chain((group) => {
    const candidates = group.topics.flatMap((t) =>
      Array.from({ length: (group.counts[t] ?? 0) + 1 }, (_, p) => tp(t, p)),
    );
    candidates.push(tp("deleted-topic", 0));
    const claimArb = fc.record({
      owned: fc.subarray(candidates),
      generation: fc.option(fc.integer({ min: -1, max: 3 }), { nil: undefined }),
    });
    return fc
      .array(claimArb, { minLength: group.members.length, maxLength: group.members.length })
      .map((claims) => ({
        ...group,
        members: group.members.map((m, i) => ({
          ...m,
          ownedPartitions: claims[i]!.owned,
          generation: claims[i]!.generation,
        })),
      }));
  });
}

const inputOf = (g: Group): AssignorInput => ({ members: g.members, partitionCounts: g.counts });

// ---------------------------------------------------------------------------------------------
// Range

describe("range (Kafka's RangeAssignor)", () => {
  const twoByTwo = (assign: (i: AssignorInput) => Assignment): Record<string, string[]> =>
    view(
      assign({
        members: [
          { memberId: "member2", topics: ["t2", "t1"] },
          { memberId: "member1", topics: ["t1", "t2"] },
        ],
        partitionCounts: { t1: 3, t2: 3 },
      }),
    );

  it("Kafka's case: two members on two 3-partition topics", () => {
    expect(twoByTwo(rangeAssign)).toEqual({
      member1: ["t1-0", "t1-1", "t2-0", "t2-1"],
      member2: ["t1-2", "t2-2"],
    });
  });

  it("RangeAssignorTest: one consumer, no topic / nonexistent topic / one topic / unsubscribed topics", () => {
    expect(view(rangeAssign({ members: [{ memberId: "c", topics: [] }], partitionCounts: {} }))).toEqual({
      c: [],
    });
    expect(
      view(rangeAssign({ members: [{ memberId: "c", topics: ["topic"] }], partitionCounts: {} })),
    ).toEqual({
      c: [],
    });
    expect(
      view(
        rangeAssign({
          members: [{ memberId: "c", topics: ["topic"] }],
          partitionCounts: { topic: 3, other: 3 },
        }),
      ),
    ).toEqual({ c: ["topic-0", "topic-1", "topic-2"] });
  });

  it("RangeAssignorTest: two consumers, one partition — the second gets nothing", () => {
    const members = [
      { memberId: "consumer1", topics: ["topic"] },
      { memberId: "consumer2", topics: ["topic"] },
    ];
    expect(view(rangeAssign({ members, partitionCounts: { topic: 1 } }))).toEqual({
      consumer1: ["topic-0"],
      consumer2: [],
    });
  });

  it("RangeAssignorTest: mixed subscriptions", () => {
    const a = rangeAssign({
      members: [
        { memberId: "consumer1", topics: ["topic1"] },
        { memberId: "consumer2", topics: ["topic1", "topic2"] },
        { memberId: "consumer3", topics: ["topic1"] },
      ],
      partitionCounts: { topic1: 3, topic2: 2 },
    });
    expect(view(a)).toEqual({
      consumer1: ["topic1-0"],
      consumer2: ["topic1-1", "topic2-0", "topic2-1"],
      consumer3: ["topic1-2"],
    });
  });

  it("orders static members first, by group.instance.id (MemberInfo)", () => {
    const members = [
      { memberId: "consumer1", topics: ["topic1", "topic2"], groupInstanceId: "instance3" },
      { memberId: "consumer2", topics: ["topic1", "topic2"], groupInstanceId: "instance1" },
      { memberId: "consumer3", topics: ["topic1", "topic2"], groupInstanceId: "instance2" },
      { memberId: "consumer0", topics: ["topic1", "topic2"] },
    ];
    expect(view(rangeAssign({ members, partitionCounts: { topic1: 3, topic2: 3 } }))).toEqual({
      consumer0: [],
      consumer1: ["topic1-2", "topic2-2"],
      consumer2: ["topic1-0", "topic2-0"],
      consumer3: ["topic1-1", "topic2-1"],
    });
  });

  test.prop([mixedGroupArb])(
    "valid; per topic, subscribers in order get ⌈P/C⌉ then ⌊P/C⌋ consecutive partitions",
    (g) => {
      const input = inputOf(g);
      const a = rangeAssign(input);
      expectValid(input, a);
      for (const topic of g.topics) {
        const subscribers = g.members
          .filter((m) => m.topics.includes(topic))
          .map((m) => m.memberId)
          .sort();
        if (subscribers.length === 0) continue;
        const count = g.counts[topic]!;
        let next = 0;
        subscribers.forEach((member, i) => {
          const mine = a
            .get(member)!
            .filter((x) => x.topic === topic)
            .map((x) => x.partition);
          const expectedLength =
            Math.floor(count / subscribers.length) + (i < count % subscribers.length ? 1 : 0);
          expect(mine).toEqual(Array.from({ length: expectedLength }, (_, k) => next + k));
          next += expectedLength;
        });
      }
    },
  );
});

// ---------------------------------------------------------------------------------------------
// Roundrobin

describe("roundrobin (Kafka's RoundRobinAssignor)", () => {
  const members = [
    { memberId: "member1", topics: ["t1", "t2"] },
    { memberId: "member2", topics: ["t1", "t2"] },
  ];

  it("Kafka's case: two members on two 3-partition topics", () => {
    expect(view(roundRobinAssign({ members, partitionCounts: { t1: 3, t2: 3 } }))).toEqual({
      member1: ["t1-0", "t1-2", "t2-1"],
      member2: ["t1-1", "t2-0", "t2-2"],
    });
  });

  it("RoundRobinAssignorTest: mixed topics skip unsubscribed members", () => {
    const a = roundRobinAssign({
      members: [
        { memberId: "consumer1", topics: ["topic1"] },
        { memberId: "consumer2", topics: ["topic1", "topic2"] },
        { memberId: "consumer3", topics: ["topic1"] },
      ],
      partitionCounts: { topic1: 3, topic2: 2 },
    });
    expect(view(a)).toEqual({
      consumer1: ["topic1-0"],
      consumer2: ["topic1-1", "topic2-0", "topic2-1"],
      consumer3: ["topic1-2"],
    });
  });

  it("RoundRobinAssignorTest: static members compare by instance id, before dynamic ones", () => {
    const both = ["topic1", "topic2"];
    const twoStatic = roundRobinAssign({
      members: [
        { memberId: "consumer-b", topics: both, groupInstanceId: "instance1" },
        { memberId: "consumer-a", topics: both, groupInstanceId: "instance2" },
      ],
      partitionCounts: { topic1: 3, topic2: 3 },
    });
    expect(view(twoStatic)).toEqual({
      "consumer-a": ["topic1-1", "topic2-0", "topic2-2"],
      "consumer-b": ["topic1-0", "topic1-2", "topic2-1"],
    });
    const oneStatic = roundRobinAssign({
      members: [
        { memberId: "consumer-b", topics: both, groupInstanceId: "instance1" },
        { memberId: "consumer-a", topics: both },
      ],
      partitionCounts: { topic1: 3, topic2: 3 },
    });
    expect(view(oneStatic)).toEqual(view(twoStatic));
  });

  it("RoundRobinAssignorTest.testStaticMemberAssignmentPersistent", () => {
    const both = ["topic1", "topic2"];
    const statics = [1, 2, 3].map((i) => ({
      memberId: `consumer${i}`,
      topics: both,
      groupInstanceId: `instance${i}`,
    }));
    const first = roundRobinAssign({
      members: [...statics, { memberId: "consumer4", topics: both }],
      partitionCounts: { topic1: 3, topic2: 3 },
    });
    expect(view(first)).toEqual({
      consumer1: ["topic1-0", "topic2-1"],
      consumer2: ["topic1-1", "topic2-2"],
      consumer3: ["topic1-2"],
      consumer4: ["topic2-0"],
    });
    const second = roundRobinAssign({
      members: [...statics, { memberId: "consumer5", topics: both }],
      partitionCounts: { topic1: 3, topic2: 3 },
    });
    expect(second.get("consumer5")!.map(label)).toEqual(["topic2-0"]);
  });

  it("with differing subscriptions, alike members can end two apart (Java behaves the same)", () => {
    // a and b subscribe alike; x's topic is dealt between theirs and carries the cycle past b.
    const a = roundRobinAssign({
      members: [
        { memberId: "a", topics: ["t1", "t3"] },
        { memberId: "b", topics: ["t1", "t3"] },
        { memberId: "x", topics: ["t2"] },
      ],
      partitionCounts: { t1: 1, t2: 1, t3: 1 },
    });
    expect(view(a)).toEqual({ a: ["t1-0", "t3-0"], b: [], x: ["t2-0"] });
  });

  test.prop([mixedGroupArb])("valid for any subscriptions", (g) => {
    const input = inputOf(g);
    expectValid(input, roundRobinAssign(input));
  });

  test.prop([identicalGroupArb])("identical subscriptions: counts differ by at most one", (g) => {
    const input = inputOf(g);
    const a = roundRobinAssign(input);
    expectValid(input, a);
    expect(spread(a)).toBeLessThanOrEqual(1);
  });
});

// ---------------------------------------------------------------------------------------------
// Sticky (eager)

describe("sticky (Kafka's AbstractStickyAssignor): fresh groups", () => {
  it("AbstractStickyAssignorTest: one consumer, no topic / nonexistent topic / one topic / several topics", () => {
    expect(view(stickyAssign({ members: [{ memberId: "c", topics: [] }], partitionCounts: {} }))).toEqual({
      c: [],
    });
    expect(
      view(stickyAssign({ members: [{ memberId: "c", topics: ["topic"] }], partitionCounts: { topic: 0 } })),
    ).toEqual({
      c: [],
    });
    expect(
      view(stickyAssign({ members: [{ memberId: "c", topics: ["topic"] }], partitionCounts: { topic: 3 } })),
    ).toEqual({
      c: ["topic-0", "topic-1", "topic-2"],
    });
    expect(
      view(
        stickyAssign({
          members: [{ memberId: "c", topics: ["topic1", "topic2"] }],
          partitionCounts: { topic1: 1, topic2: 2 },
        }),
      ),
    ).toEqual({ c: ["topic1-0", "topic2-0", "topic2-1"] });
  });

  it("AbstractStickyAssignorTest.testOnlyAssignsPartitionsFromSubscribedTopics", () => {
    const a = stickyAssign({
      members: [
        {
          memberId: "c",
          topics: ["topic"],
          ownedPartitions: parts("topic-0, topic-1, other-0, other-1"),
          generation: 1,
        },
      ],
      partitionCounts: { topic: 2 },
    });
    expect(view(a)).toEqual({ c: ["topic-0", "topic-1"] });
  });

  it("AbstractStickyAssignorTest: two consumers on one and two partitions", () => {
    const two = (n: number) =>
      view(
        stickyAssign({
          members: [
            { memberId: "consumer1", topics: ["topic"] },
            { memberId: "consumer2", topics: ["topic"] },
          ],
          partitionCounts: { topic: n },
        }),
      );
    expect(two(1)).toEqual({ consumer1: ["topic-0"], consumer2: [] });
    expect(two(2)).toEqual({ consumer1: ["topic-0"], consumer2: ["topic-1"] });
  });

  it("AbstractStickyAssignorTest.testTwoConsumersTwoTopicsSixPartitions", () => {
    const a = stickyAssign({
      members: [
        { memberId: "consumer1", topics: ["topic1", "topic2"] },
        { memberId: "consumer2", topics: ["topic1", "topic2"] },
      ],
      partitionCounts: { topic1: 3, topic2: 3 },
    });
    expect(view(a)).toEqual({
      consumer1: ["topic1-0", "topic1-2", "topic2-1"],
      consumer2: ["topic1-1", "topic2-0", "topic2-2"],
    });
  });

  it("AbstractStickyAssignorTest.testMultipleConsumersMixedTopicSubscriptions (general path)", () => {
    const a = stickyAssign({
      members: [
        { memberId: "consumer1", topics: ["topic1"] },
        { memberId: "consumer2", topics: ["topic1", "topic2"] },
        { memberId: "consumer3", topics: ["topic1"] },
      ],
      partitionCounts: { topic1: 3, topic2: 2 },
    });
    expect(view(a)).toEqual({
      consumer1: ["topic1-0", "topic1-2"],
      consumer2: ["topic2-0", "topic2-1"],
      consumer3: ["topic1-1"],
    });
  });

  it("AbstractStickyAssignorTest.testPoorRoundRobinAssignmentScenario: the sticky result in its comment", () => {
    const all = ["topic1", "topic2", "topic3", "topic4", "topic5"];
    const odd = ["topic1", "topic3", "topic5"];
    const a = stickyAssign({
      members: [
        { memberId: "consumer1", topics: all },
        { memberId: "consumer2", topics: odd },
        { memberId: "consumer3", topics: odd },
        { memberId: "consumer4", topics: all },
      ],
      partitionCounts: { topic1: 2, topic2: 1, topic3: 2, topic4: 1, topic5: 2 },
    });
    expect(view(a)).toEqual({
      consumer1: ["topic2-0", "topic3-0"],
      consumer2: ["topic1-0", "topic3-1"],
      consumer3: ["topic1-1", "topic5-0"],
      consumer4: ["topic4-0", "topic5-1"],
    });
  });

  it("AbstractStickyAssignorTest.testRackAwareAssignmentWithNonEqualSubscription, without racks", () => {
    const all = ["t1", "t2", "t3"];
    const a = stickyAssign({
      members: [
        { memberId: "consumer0", topics: all },
        { memberId: "consumer1", topics: all },
        { memberId: "consumer2", topics: ["t1", "t3"] },
      ],
      partitionCounts: { t1: 6, t2: 7, t3: 2 },
    });
    expect(view(a)).toEqual({
      consumer0: sortedLabels(parts("t1-5, t2-0, t2-2, t2-4, t2-6")),
      consumer1: sortedLabels(parts("t1-3, t2-1, t2-3, t2-5, t3-0")),
      consumer2: sortedLabels(parts("t1-0, t1-1, t1-2, t1-4, t3-1")),
    });
  });

  it("AbstractStickyAssignorTest.testAssignmentUpdatedForDeletedTopic: unknown topics are skipped", () => {
    const a = stickyAssign({
      members: [{ memberId: "c", topics: ["topic1", "topic2", "topic3"] }],
      partitionCounts: { topic1: 1, topic3: 100 },
    });
    expect(a.get("c")!.length).toBe(101);
  });
});

describe("sticky: StickyAssignor javadoc examples", () => {
  const topics = ["t0", "t1", "t2", "t3"];
  const partitionCounts = { t0: 2, t1: 2, t2: 2, t3: 2 };

  it("Example 1: fresh, same as round robin; then C1 leaves and C0, C2 keep everything", () => {
    const first = stickyAssign({
      members: ["C0", "C1", "C2"].map((id) => ({ memberId: id, topics })),
      partitionCounts,
    });
    expect(view(first)).toEqual({
      C0: ["t0-0", "t1-1", "t3-0"],
      C1: ["t0-1", "t2-0", "t3-1"],
      C2: ["t1-0", "t2-1"],
    });
    expect(view(first)).toEqual(
      view(
        roundRobinAssign({
          members: ["C0", "C1", "C2"].map((id) => ({ memberId: id, topics })),
          partitionCounts,
        }),
      ),
    );

    const second = stickyAssign(
      rejoin({ members: ["C0", "C2"].map((id) => ({ memberId: id, topics })), partitionCounts }, first, 1),
    );
    for (const id of ["C0", "C2"]) {
      expect(second.get(id)!.map(label)).toEqual(expect.arrayContaining(first.get(id)!.map(label)));
      expect(second.get(id)!.length).toBe(4);
    }
    // The javadoc (written for the pre-2.8 algorithm) shows C0 taking t2p0 and C2 t0p1; since
    // Kafka 2.8 identical subscriptions deal free partitions round-robin in (topic, partition)
    // order to members below quota, which gives C0 t0p1 and C2 t2p0, t3p1.
    expect(view(second)).toEqual({
      C0: ["t0-0", "t0-1", "t1-1", "t3-0"],
      C2: ["t1-0", "t2-0", "t2-1", "t3-1"],
    });
  });

  it("Example 2: mixed subscriptions; then C0 leaves and 5 of 6 assignments are preserved", () => {
    const subscriptions: Record<string, string[]> = { C0: ["t0"], C1: ["t0", "t1"], C2: ["t0", "t1", "t2"] };
    const counts = { t0: 1, t1: 2, t2: 3 };
    const first = stickyAssign({
      members: Object.entries(subscriptions).map(([memberId, t]) => ({ memberId, topics: t })),
      partitionCounts: counts,
    });
    expect(view(first)).toEqual({ C0: ["t0-0"], C1: ["t1-0", "t1-1"], C2: ["t2-0", "t2-1", "t2-2"] });

    const second = stickyAssign(
      rejoin(
        {
          members: ["C1", "C2"].map((memberId) => ({ memberId, topics: subscriptions[memberId]! })),
          partitionCounts: counts,
        },
        first,
        1,
      ),
    );
    expect(view(second)).toEqual({ C1: ["t0-0", "t1-0", "t1-1"], C2: ["t2-0", "t2-1", "t2-2"] });
  });
});

describe("sticky: rebalances with ownership and generations (AbstractStickyAssignorTest)", () => {
  const owning = (
    memberId: string,
    topics: string[],
    owned: string,
    generation?: number,
  ): AssignorMember => ({
    memberId,
    topics,
    ownedPartitions: parts(owned),
    ...(generation === undefined ? {} : { generation }),
  });

  it("testConsumerOwningMinQuotaExpectedMaxQuota", () => {
    const both = ["topic1", "topic2"];
    const a = stickyAssign({
      members: [
        owning("consumer1", both, "topic1-0, topic2-1", 1),
        owning("consumer2", both, "topic1-1, topic2-2", 1),
      ],
      partitionCounts: { topic1: 2, topic2: 3 },
    });
    expect(view(a)).toEqual({
      consumer1: ["topic1-0", "topic2-0", "topic2-1"],
      consumer2: ["topic1-1", "topic2-2"],
    });
  });

  it("testMaxQuotaConsumerMoreThanNumExpectedMaxCapacityMembers: one owner gives a partition up", () => {
    const both = ["topic1", "topic2"];
    const input: AssignorInput = {
      members: [
        owning("consumer1", both, "topic1-0, topic2-0", 1),
        owning("consumer2", both, "topic1-1, topic2-1", 1),
        owning("consumer3", both, "", 1),
      ],
      partitionCounts: { topic1: 2, topic2: 2 },
    };
    const a = stickyAssign(input);
    // Java visits consumers in HashMap order (consumer3, consumer2, consumer1 for these ids), so
    // there consumer2 keeps two and consumer1 gives up topic2-0. brokerlab visits in id order, so
    // consumer1 keeps two and consumer2 gives up topic2-1: the same shape, one move either way.
    expect(view(a)).toEqual({
      consumer1: ["topic1-0", "topic2-0"],
      consumer2: ["topic1-1"],
      consumer3: ["topic2-1"],
    });
    const plan = cooperativeStickyRebalance(input);
    expect(plan.heldBack.map(label)).toEqual(["topic2-1"]);
  });

  it("testAllConsumersAreUnderMinQuota", () => {
    const both = ["topic1", "topic2"];
    const a = stickyAssign({
      members: [
        owning("consumer1", both, "topic1-0", 1),
        owning("consumer2", both, "topic1-1", 1),
        owning("consumer3", both, "", 1),
      ],
      partitionCounts: { topic1: 2, topic2: 3 },
    });
    expect(view(a)).toEqual({
      consumer1: ["topic1-0", "topic2-1"],
      consumer2: ["topic1-1", "topic2-2"],
      consumer3: ["topic2-0"],
    });
  });

  it("testAllConsumersReachExpectedQuotaAndAreConsideredFilled", () => {
    const a = stickyAssign({
      members: [
        owning("consumer1", ["topic"], "topic-0, topic-1", 1),
        owning("consumer2", ["topic"], "topic-2", 1),
        owning("consumer3", ["topic"], "", 1),
      ],
      partitionCounts: { topic: 4 },
    });
    expect(view(a)).toEqual({
      consumer1: ["topic-0", "topic-1"],
      consumer2: ["topic-2"],
      consumer3: ["topic-3"],
    });
  });

  it("testAddRemoveConsumerOneTopic", () => {
    const counts = { topic: 3 };
    const first = stickyAssign({
      members: [{ memberId: "consumer1", topics: ["topic"] }],
      partitionCounts: counts,
    });
    expect(view(first)).toEqual({ consumer1: ["topic-0", "topic-1", "topic-2"] });

    const twoInput = rejoin(
      {
        members: [
          { memberId: "consumer1", topics: ["topic"] },
          { memberId: "consumer2", topics: ["topic"] },
        ],
        partitionCounts: counts,
      },
      first,
      1,
    );
    const second = stickyAssign(twoInput);
    expect(view(second)).toEqual({ consumer1: ["topic-0", "topic-1"], consumer2: ["topic-2"] });
    expect(cooperativeStickyRebalance(twoInput).heldBack).toEqual([
      { topic: "topic", partition: 2, assignee: "consumer2", claimants: ["consumer1"] },
    ]);

    const third = stickyAssign(
      rejoin({ members: [{ memberId: "consumer2", topics: ["topic"] }], partitionCounts: counts }, second, 2),
    );
    expect(view(third)).toEqual({ consumer2: ["topic-0", "topic-1", "topic-2"] });
  });

  it("testAddRemoveTwoConsumersTwoTopics (Kafka 3.5+ keeps owned partitions by partition number first)", () => {
    const all = ["topic1", "topic2"];
    const counts = { topic1: 3, topic2: 4 };
    const group = (ids: string[]): AssignorInput => ({
      members: ids.map((memberId) => ({ memberId, topics: all })),
      partitionCounts: counts,
    });
    const first = stickyAssign(group(["consumer1", "consumer2"]));
    expect(view(first)).toEqual({
      consumer1: ["topic1-0", "topic1-2", "topic2-1", "topic2-3"],
      consumer2: ["topic1-1", "topic2-0", "topic2-2"],
    });

    const fourInput = rejoin(group(["consumer1", "consumer2", "consumer3", "consumer4"]), first, 1);
    const second = stickyAssign(fourInput);
    expect(view(second)).toEqual({
      consumer1: ["topic1-0", "topic2-1"],
      consumer2: ["topic1-1", "topic2-0"],
      consumer3: ["topic1-2", "topic2-3"],
      consumer4: ["topic2-2"],
    });
    const held = cooperativeStickyRebalance(fourInput).heldBack.map((h) => `${label(h)}→${h.assignee}`);
    expect(held).toEqual(["topic1-2→consumer3", "topic2-2→consumer4", "topic2-3→consumer3"]);

    const third = stickyAssign(rejoin(group(["consumer3", "consumer4"]), second, 2));
    expect(view(third)).toEqual({
      consumer3: ["topic1-0", "topic1-2", "topic2-1", "topic2-3"],
      consumer4: ["topic1-1", "topic2-0", "topic2-2"],
    });
  });

  it("testOwnedPartitionsAreInvalidatedForConsumerWithStaleGeneration / NoGeneration", () => {
    const both = ["topic", "topic2"];
    for (const staleGeneration of [9, undefined]) {
      const a = stickyAssign({
        members: [
          owning("consumer1", both, "topic-0, topic-2, topic2-1", 10),
          owning("consumer2", both, "topic-0, topic-2, topic2-1", staleGeneration),
        ],
        partitionCounts: { topic: 3, topic2: 3 },
      });
      expect(view(a)).toEqual({
        consumer1: ["topic-0", "topic-2", "topic2-1"],
        consumer2: ["topic-1", "topic2-0", "topic2-2"],
      });
    }
  });

  it("testOwnedPartitionsAreInvalidatedForConsumerWithMultipleGeneration", () => {
    const both = ["topic", "topic2"];
    const a = stickyAssign({
      members: [
        owning("consumer1", both, "topic-0, topic2-1, topic-1", 10),
        owning("consumer2", both, "topic-0, topic2-1, topic2-2", 8),
      ],
      partitionCounts: { topic: 3, topic2: 3 },
    });
    expect(view(a)).toEqual({
      consumer1: ["topic-0", "topic-1", "topic2-1"],
      consumer2: ["topic-2", "topic2-0", "topic2-2"],
    });
  });

  it("testEnsurePartitionsAssignedToHighestGeneration", () => {
    const three = ["topic", "topic2", "topic3"];
    const a = stickyAssign({
      members: [
        owning("consumer1", three, "topic-0, topic2-0, topic3-0", 10),
        owning("consumer2", three, "topic-1, topic2-1, topic3-1", 9),
        owning("consumer3", three, "topic2-1, topic3-0, topic3-2", 8),
      ],
      partitionCounts: { topic: 3, topic2: 3, topic3: 3 },
    });
    expect(view(a)).toEqual({
      consumer1: ["topic-0", "topic2-0", "topic3-0"],
      consumer2: ["topic-1", "topic2-1", "topic3-1"],
      consumer3: ["topic-2", "topic2-2", "topic3-2"],
    });
  });

  it("testNoReassignmentOnCurrentMembers", () => {
    const four = ["topic", "topic2", "topic3", "topic1"];
    const a = stickyAssign({
      members: [
        owning("consumer1", four, "", -1),
        owning("consumer2", four, "topic-0, topic2-0, topic1-0", 9),
        owning("consumer3", four, "topic3-2, topic2-2, topic1-1", 8),
        owning("consumer4", four, "topic3-1, topic-1, topic-2", 7),
      ],
      partitionCounts: { topic: 3, topic1: 3, topic2: 3, topic3: 3 },
    });
    expect(view(a).consumer1).toEqual(["topic1-2", "topic2-1", "topic3-0"]);
    expect(spread(a)).toBe(0);
  });

  it("testPartitionsTransferringOwnershipIncludeThePartitionClaimedByMultipleConsumersInSameGeneration", () => {
    const input: AssignorInput = {
      members: [
        owning("consumer1", ["topic"], "topic-0, topic-1", 1),
        owning("consumer2", ["topic"], "topic-0, topic-2", 1),
        owning("consumer3", ["topic"], "", 1),
      ],
      partitionCounts: { topic: 3 },
    };
    expect(view(stickyAssign(input))).toEqual({
      consumer1: ["topic-1"],
      consumer2: ["topic-2"],
      consumer3: ["topic-0"],
    });
    expect(cooperativeStickyRebalance(input).heldBack).toEqual([
      { topic: "topic", partition: 0, assignee: "consumer3", claimants: ["consumer1", "consumer2"] },
    ]);
  });

  it("testSubscriptionNotEqualAndAssignSamePartitionWith3Generation: valid for every generation order", () => {
    const orders = [
      [1, 2, 3],
      [1, 3, 2],
      [2, 1, 3],
      [2, 3, 1],
      [3, 1, 2],
      [3, 2, 1],
    ];
    for (const [g1, g2, g3] of orders) {
      const input: AssignorInput = {
        members: [
          owning("consumer1", ["topic"], "topic-0, topic-2", g1),
          owning("consumer2", ["topic"], "topic-1, topic-2, topic-3", g2),
          owning("consumer3", ["topic"], "topic-2, topic-4, topic-5", g3),
          owning("consumer4", ["topic1"], "topic1-0", 2),
        ],
        partitionCounts: { topic: 6, topic1: 1 },
      };
      const a = stickyAssign(input);
      expectValid(input, a);
      for (const list of a.values()) expect(list.length >= 1 && list.length <= 2).toBe(true);
    }
  });

  it("testMoveExistingAssignments: valid and balanced", () => {
    const input: AssignorInput = {
      members: [
        owning("consumer1", ["topic1", "topic2"], "topic1-0", 1),
        owning("consumer2", ["topic1", "topic2", "topic3", "topic4"], "topic2-0, topic3-0", 1),
        owning(
          "consumer3",
          ["topic2", "topic3", "topic4", "topic5", "topic6"],
          "topic4-0, topic5-0, topic6-0",
          1,
        ),
      ],
      partitionCounts: { topic1: 1, topic2: 1, topic3: 1, topic4: 1, topic5: 1, topic6: 1 },
    };
    const a = stickyAssign(input);
    expectValid(input, a);
    expectStickyBalanced(input, a);
  });

  it("testStickiness: the leader leaving moves nothing else", () => {
    const ids = ["consumer1", "consumer2", "consumer3", "consumer4"];
    const first = stickyAssign({
      members: ids.map((memberId) => ({ memberId, topics: ["topic1"] })),
      partitionCounts: { topic1: 3 },
    });
    const second = stickyAssign(
      rejoin(
        {
          members: ids.slice(1).map((memberId) => ({ memberId, topics: ["topic1"] })),
          partitionCounts: { topic1: 3 },
        },
        first,
        1,
      ),
    );
    for (const id of ids.slice(1)) {
      expect(second.get(id)!.length).toBe(1);
      for (const x of first.get(id)!) expect(second.get(id)!.map(label)).toContain(label(x));
    }
  });

  it("testNoExceptionThrownWhenOnlySubscribedTopicDeleted", () => {
    const a = stickyAssign({
      members: [owning("c", ["topic"], "topic-0, topic-1, topic-2", 1)],
      partitionCounts: {},
    });
    expect(view(a)).toEqual({ c: [] });
  });
});

describe("sticky: properties", () => {
  test.prop([withClaims(mixedGroupArb)])("any ownership: valid, and balanced by Kafka's rule", (g) => {
    const input = inputOf(g);
    const a = stickyAssign(input);
    expectValid(input, a);
    expectStickyBalanced(input, a);
  });

  test.prop([withClaims(identicalGroupArb)])("identical subscriptions, any ownership: max − min ≤ 1", (g) => {
    const input = inputOf(g);
    const a = stickyAssign(input);
    expectValid(input, a);
    expect(spread(a)).toBeLessThanOrEqual(1);
  });

  test.prop([mixedGroupArb, fc.integer({ min: 0, max: 5 })])(
    "unchanged group: every owned partition stays where it is",
    (g, generation) => {
      const input = inputOf(g);
      const first = stickyAssign(input);
      expect(view(stickyAssign(rejoin(input, first, generation)))).toEqual(view(first));
    },
  );

  test.prop([identicalGroupArb, fc.nat()])(
    "a member leaving: survivors keep everything they had (identical subscriptions)",
    (g, pick) => {
      fc.pre(g.members.length >= 2);
      const input = inputOf(g);
      const first = stickyAssign(input);
      const leaver = g.members[pick % g.members.length]!.memberId;
      const rest: AssignorInput = { ...input, members: input.members.filter((m) => m.memberId !== leaver) };
      const second = stickyAssign(rejoin(rest, first, 1));
      expectValid(rest, second);
      for (const m of rest.members) {
        expect(second.get(m.memberId)!.map(label)).toEqual(
          expect.arrayContaining(first.get(m.memberId)!.map(label)),
        );
      }
    },
  );
});

// ---------------------------------------------------------------------------------------------
// Cooperative sticky

describe("cooperative-sticky (Kafka's CooperativeStickyAssignor)", () => {
  it("a new member gets a moving partition only in the following rebalance", () => {
    const counts = { t: 3 };
    const input: AssignorInput = {
      members: [
        { memberId: "c1", topics: ["t"], ownedPartitions: parts("t-0, t-1, t-2"), generation: 1 },
        { memberId: "c2", topics: ["t"], generation: 1 },
      ],
      partitionCounts: counts,
    };
    const round1 = cooperativeStickyRebalance(input);
    expect(view(round1.assignment)).toEqual({ c1: ["t-0", "t-1"], c2: [] });
    expect(view(round1.revoke)).toEqual({ c1: ["t-2"], c2: [] });
    expect(view(cooperativeStickyAssign(input))).toEqual(view(round1.assignment));

    const round2 = cooperativeStickyRebalance(rejoin(input, round1.assignment, 2));
    expect(view(round2.assignment)).toEqual({ c1: ["t-0", "t-1"], c2: ["t-2"] });
    expect(round2.heldBack).toEqual([]);
    expect(view(round2.revoke)).toEqual({ c1: [], c2: [] });
  });

  it("CooperativeStickyAssignorTest: a partition claimed twice in one generation waits for both to revoke", () => {
    const members = (extra: number): AssignorInput => ({
      members: [
        {
          memberId: "consumer1",
          topics: ["topic"],
          ownedPartitions: parts("topic-0, topic-1"),
          generation: 1,
        },
        {
          memberId: "consumer2",
          topics: ["topic"],
          ownedPartitions: parts("topic-0, topic-2"),
          generation: 1,
        },
        { memberId: "consumer3", topics: ["topic"], ownedPartitions: [], generation: 1 },
      ],
      partitionCounts: { topic: 3 + extra },
    });
    expect(view(cooperativeStickyAssign(members(0)))).toEqual({
      consumer1: ["topic-1"],
      consumer2: ["topic-2"],
      consumer3: [],
    });
    expect(view(cooperativeStickyAssign(members(1)))).toEqual({
      consumer1: ["topic-1", "topic-3"],
      consumer2: ["topic-2"],
      consumer3: [],
    });
  });

  it("CooperativeStickyAssignorTest.testAssignorWithOldVersionSubscriptions: no generation is generation -1", () => {
    const a = cooperativeStickyAssign({
      members: [
        { memberId: "consumer1", topics: ["topic1"], ownedPartitions: parts("topic1-0") },
        { memberId: "consumer2", topics: ["topic1"], ownedPartitions: parts("topic1-1") },
        { memberId: "consumer3", topics: ["topic1"], ownedPartitions: [], generation: 1 },
      ],
      partitionCounts: { topic1: 3 },
    });
    expect(view(a)).toEqual({ consumer1: ["topic1-0"], consumer2: ["topic1-1"], consumer3: ["topic1-2"] });
  });

  it("AbstractStickyAssignorTest (non-equal subscriptions, racks all matching): intermediate then final", () => {
    const all = ["t1", "t2", "t3"];
    const owned = [
      "t1-0, t1-1, t1-2, t1-3, t1-4",
      "t1-5, t2-0, t2-1, t2-2, t2-3",
      "t2-4, t2-5, t2-6, t3-0, t3-1",
    ];
    const topics = [all, all, ["t1", "t3"]];
    const input: AssignorInput = {
      members: owned.map((o, i) => ({
        memberId: `consumer${i}`,
        topics: topics[i]!,
        ownedPartitions: parts(o),
        generation: 1,
      })),
      partitionCounts: { t1: 6, t2: 7, t3: 2 },
    };
    const round1 = cooperativeStickyAssign(input);
    expect(view(round1)).toEqual({
      consumer0: sortedLabels(parts("t1-2, t1-3, t1-4")),
      consumer1: sortedLabels(parts("t2-0, t2-1, t2-2, t2-3")),
      consumer2: sortedLabels(parts("t3-0, t3-1")),
    });
    const round2 = cooperativeStickyAssign(rejoin(input, round1, 2));
    expect(view(round2)).toEqual({
      consumer0: sortedLabels(parts("t1-2, t1-3, t1-4, t2-4, t2-5")),
      consumer1: sortedLabels(parts("t2-0, t2-1, t2-2, t2-3, t2-6")),
      consumer2: sortedLabels(parts("t1-0, t1-1, t1-5, t3-0, t3-1")),
    });
  });

  it("a member that left blocks nothing; a stale claim loses to a newer one", () => {
    const plan = planCooperativeHandoff(
      [
        { memberId: "gone", ownedPartitions: parts("t-0"), generation: 5 },
        { memberId: "a", ownedPartitions: parts("t-1"), generation: 5 },
        { memberId: "b", ownedPartitions: parts("t-1, t-2"), generation: 3 },
      ],
      new Map([
        ["a", parts("t-1")],
        ["b", parts("t-0, t-2")],
      ]),
    );
    expect(view(plan.assignment)).toEqual({ a: ["t-1"], b: ["t-0", "t-2"] });
    expect(view(plan.revoke)).toEqual({ a: [], b: ["t-1"] });
    expect(plan.heldBack).toEqual([]);
  });

  test.prop([withClaims(mixedGroupArb)])(
    "never assigns what another member still holds; converges within 3 rounds to a valid, balanced, stable assignment",
    (g) => {
      let input = inputOf(g);
      let generation = 4; // above every generation the claims arbitrary uses
      for (let round = 0; ; round++) {
        expect(round).toBeLessThan(3);
        const plan = cooperativeStickyRebalance(input);
        const target = stickyAssign(input);
        for (const m of input.members) {
          const now = new Set(plan.assignment.get(m.memberId)!.map(label));
          const revoked = new Set(plan.revoke.get(m.memberId)!.map(label));
          // Each member's assignment is part of the target, and revoke = claimed − assigned.
          for (const x of now) expect(target.get(m.memberId)!.map(label)).toContain(x);
          const claimed = new Set((m.ownedPartitions ?? []).map(label));
          expect(revoked).toEqual(new Set([...claimed].filter((x) => !now.has(x))));
          // Nothing is given to m that some other member claims in the same or a newer generation.
          for (const other of input.members) {
            if (other.memberId === m.memberId) continue;
            for (const x of other.ownedPartitions ?? []) {
              if (!now.has(label(x))) continue;
              const mine = (m.ownedPartitions ?? []).some((y) => label(y) === label(x));
              expect(mine && (m.generation ?? -1) > (other.generation ?? -1)).toBe(true);
            }
          }
        }
        if (plan.heldBack.length === 0) {
          expectValid(input, plan.assignment);
          expectStickyBalanced(input, plan.assignment);
          // Stable: rejoining with the result changes nothing and revokes nothing.
          const again = cooperativeStickyRebalance(rejoin(input, plan.assignment, generation + 1));
          expect(view(again.assignment)).toEqual(view(plan.assignment));
          expect([...again.revoke.values()].every((l) => l.length === 0)).toBe(true);
          break;
        }
        input = rejoin(input, plan.assignment, ++generation);
      }
    },
  );

  test.prop([identicalGroupArb])("identical subscriptions: a fresh group is balanced in one round", (g) => {
    const input = inputOf(g);
    const plan = cooperativeStickyRebalance(input);
    expect(plan.heldBack).toEqual([]);
    expectValid(input, plan.assignment);
    expect(spread(plan.assignment)).toBeLessThanOrEqual(1);
  });
});

// ---------------------------------------------------------------------------------------------
// kafkajs RoundRobinAssigner

describe("kafkajs RoundRobinAssigner", () => {
  it("deals the leader's topics in its order to sorted members, skipping nobody", () => {
    const a = kafkajsRoundRobinAssign({
      members: [
        { memberId: "b", topics: ["t2", "t1"] },
        { memberId: "a", topics: ["t1"] },
      ],
      partitionCounts: { t1: 1, t2: 2 },
    });
    expect(view(a)).toEqual({ a: ["t1-0", "t2-0"], b: ["t2-1"] });
  });

  it("assigns nothing of a topic only non-leaders subscribe to", () => {
    const input = {
      members: [
        { memberId: "a", topics: ["t1"] },
        { memberId: "b", topics: ["t1", "t2"] },
      ],
      partitionCounts: { t1: 2, t2: 2 },
    };
    expect(view(kafkajsRoundRobinAssign(input))).toEqual({ a: ["t1-0"], b: ["t1-1"] });
    expect(view(kafkajsRoundRobinAssign({ ...input, leaderId: "b" }))).toEqual({
      a: ["t1-0", "t2-0"],
      b: ["t1-1", "t2-1"],
    });
  });

  it("Kafka's two-member case gives the same result as Java's roundrobin", () => {
    const members = [
      { memberId: "member1", topics: ["t1", "t2"] },
      { memberId: "member2", topics: ["t1", "t2"] },
    ];
    expect(view(kafkajsRoundRobinAssign({ members, partitionCounts: { t1: 3, t2: 3 } }))).toEqual({
      member1: ["t1-0", "t1-2", "t2-1"],
      member2: ["t1-1", "t2-0", "t2-2"],
    });
  });

  test.prop([mixedGroupArb, fc.nat()])("agrees with kafkajs 2.2.4's own assigner", async (g, leaderPick) => {
    const leader = g.members[leaderPick % g.members.length]!;
    const cluster = {
      findTopicPartitionMetadata: (topic: string) =>
        Array.from({ length: g.counts[topic] ?? 0 }, (_, partitionId) => ({ partitionId, leader: 0 })),
    };
    const assigner = PartitionAssigners.roundRobin({ cluster, groupId: "g" } as unknown as Parameters<
      typeof PartitionAssigners.roundRobin
    >[0]);
    const encoded = await assigner.assign({
      members: g.members.map((m) => ({ memberId: m.memberId, memberMetadata: Buffer.alloc(0) })),
      topics: [...leader.topics],
    });
    const expected: Record<string, string[]> = Object.fromEntries(
      g.members.map((m) => [m.memberId, [] as string[]]),
    );
    for (const { memberId, memberAssignment } of encoded) {
      const decoded = AssignerProtocol.MemberAssignment.decode(memberAssignment)!;
      for (const [topic, partitions] of Object.entries(decoded.assignment)) {
        for (const p of partitions) expected[memberId]!.push(`${topic}-${p}`);
      }
    }
    const ours = kafkajsRoundRobinAssign({ ...inputOf(g), leaderId: leader.memberId });
    for (const m of g.members)
      expect(ours.get(m.memberId)!.map(label).sort()).toEqual(expected[m.memberId]!.sort());
  });
});

// ---------------------------------------------------------------------------------------------
// Selection objects and validation

describe("assignor objects", () => {
  it("carry the protocol names Kafka clients advertise", () => {
    expect(
      [
        rangeAssignor,
        roundRobinAssignor,
        stickyAssignor,
        cooperativeStickyAssignor,
        kafkajsRoundRobinAssignor,
      ].map((a) => [a.name, a.rebalanceProtocol]),
    ).toEqual([
      ["range", "eager"],
      ["roundrobin", "eager"],
      ["sticky", "eager"],
      ["cooperative-sticky", "cooperative"],
      ["RoundRobinAssigner", "eager"],
    ]);
  });

  it("accept partition counts as a Map too", () => {
    const members = [{ memberId: "a", topics: ["t"] }];
    for (const a of [
      rangeAssignor,
      roundRobinAssignor,
      stickyAssignor,
      cooperativeStickyAssignor,
      kafkajsRoundRobinAssignor,
    ]) {
      expect(view(a.assign({ members, partitionCounts: new Map([["t", 2]]) }))).toEqual({
        a: ["t-0", "t-1"],
      });
    }
  });
});

describe("argument validation", () => {
  const assigns = [
    rangeAssign,
    roundRobinAssign,
    stickyAssign,
    cooperativeStickyAssign,
    kafkajsRoundRobinAssign,
  ];
  const bad: Array<[string, unknown, string]> = [
    ["not an object", null, "INVALID_ARGUMENT"],
    ["members not an array", { members: {}, partitionCounts: {} }, "INVALID_ARGUMENT"],
    [
      "duplicate member ids",
      {
        members: [
          { memberId: "a", topics: [] },
          { memberId: "a", topics: [] },
        ],
        partitionCounts: {},
      },
      "DUPLICATE_MEMBER_ID",
    ],
    [
      "duplicate instance ids",
      {
        members: [
          { memberId: "a", topics: [], groupInstanceId: "i" },
          { memberId: "b", topics: [], groupInstanceId: "i" },
        ],
        partitionCounts: {},
      },
      "DUPLICATE_GROUP_INSTANCE_ID",
    ],
    ["empty member id", { members: [{ memberId: "", topics: [] }], partitionCounts: {} }, "INVALID_ARGUMENT"],
    [
      "topics not an array",
      { members: [{ memberId: "a", topics: "t" }], partitionCounts: {} },
      "INVALID_ARGUMENT",
    ],
    [
      "misspelt member field",
      { members: [{ memberId: "a", topics: [], ownedPartition: [] }], partitionCounts: {} },
      "UNKNOWN_OPTION",
    ],
    ["misspelt input field", { members: [], partitionCount: {} }, "UNKNOWN_OPTION"],
    ["negative partition count", { members: [], partitionCounts: { t: -1 } }, "INVALID_ARGUMENT"],
    ["fractional partition count", { members: [], partitionCounts: { t: 1.5 } }, "INVALID_ARGUMENT"],
    ["counts as an array", { members: [], partitionCounts: [3] }, "INVALID_ARGUMENT"],
    [
      "malformed owned partition",
      {
        members: [{ memberId: "a", topics: ["t"], ownedPartitions: [{ topic: "t", partition: -1 }] }],
        partitionCounts: { t: 1 },
      },
      "INVALID_ARGUMENT",
    ],
    [
      "generation below -1",
      { members: [{ memberId: "a", topics: ["t"], generation: -2 }], partitionCounts: { t: 1 } },
      "INVALID_ARGUMENT",
    ],
  ];
  for (const [name, input, code] of bad) {
    it(`refuses ${name} (${code})`, () => {
      for (const assign of assigns) {
        const error = thrown(() => assign(input as AssignorInput));
        expect(error).toBeInstanceOf(InvalidArgumentError);
        expect(error.code).toBe(code);
      }
    });
  }

  it("kafkajs: an unknown leader is UNKNOWN_MEMBER_ID, and leaderId is unknown to the others", () => {
    const input = { members: [{ memberId: "a", topics: ["t"] }], partitionCounts: { t: 1 }, leaderId: "z" };
    expect(thrown(() => kafkajsRoundRobinAssign(input)).code).toBe("UNKNOWN_MEMBER_ID");
    expect(thrown(() => rangeAssign(input)).code).toBe("UNKNOWN_OPTION");
  });

  it("planCooperativeHandoff refuses malformed previous ownership and targets", () => {
    const target = new Map([["a", parts("t-0")]]);
    expect(thrown(() => planCooperativeHandoff({} as never, target)).code).toBe("INVALID_ARGUMENT");
    expect(thrown(() => planCooperativeHandoff([{ memberId: "a" }, { memberId: "a" }], target)).code).toBe(
      "DUPLICATE_MEMBER_ID",
    );
    expect(thrown(() => planCooperativeHandoff([], {} as never)).code).toBe("INVALID_ARGUMENT");
    const twice = new Map([
      ["a", parts("t-0")],
      ["b", parts("t-0")],
    ]);
    expect(thrown(() => planCooperativeHandoff([], twice)).code).toBe("DUPLICATE_ASSIGNMENT");
  });

  it("a failed call leaves the caller's input untouched", () => {
    const members = [
      { memberId: "b", topics: ["t"] },
      { memberId: "a", topics: ["t"] },
    ];
    const snapshot = JSON.stringify(members);
    stickyAssign({ members, partitionCounts: { t: 4 } });
    expect(() => stickyAssign({ members, partitionCounts: { t: -4 } })).toThrow(InvalidArgumentError);
    expect(JSON.stringify(members)).toBe(snapshot);
  });
});

// ---------------------------------------------------------------------------------------------
// Scale (validity only: performance is measured by bench/, never asserted in a unit test)

describe("10k partitions × 1k members", () => {
  const topics = Array.from({ length: 10 }, (_, i) => `topic-${i}`);
  const partitionCounts = Object.fromEntries(topics.map((t) => [t, 1000]));
  const members = Array.from({ length: 1000 }, (_, i) => ({
    memberId: `member-${String(i).padStart(4, "0")}`,
    topics,
  }));
  const input: AssignorInput = { members, partitionCounts };

  it("every assignor produces a valid assignment of 10 partitions each", () => {
    for (const assign of [
      rangeAssign,
      roundRobinAssign,
      stickyAssign,
      cooperativeStickyAssign,
      kafkajsRoundRobinAssign,
    ]) {
      const a = assign(input);
      expectValid(input, a);
      expect(new Set([...a.values()].map((l) => l.length))).toEqual(new Set([10]));
    }
  });

  it("sticky and cooperative-sticky: a member leaving moves only its 10 partitions", () => {
    const first = stickyAssign(input);
    const rest: AssignorInput = { members: members.slice(1), partitionCounts };
    const plan = cooperativeStickyRebalance(rejoin(rest, first, 1));
    expect(plan.heldBack).toEqual([]);
    expectValid(rest, plan.assignment);
    let kept = 0;
    for (const m of rest.members) kept += first.get(m.memberId)!.length;
    expect(kept).toBe(9990);
    expect(spread(plan.assignment)).toBeLessThanOrEqual(1);
  });

  it("sticky with differing subscriptions stays valid and balanced", () => {
    const mixed: AssignorInput = {
      members: members.map((m, i) => ({ ...m, topics: i % 4 === 0 ? topics.slice(0, 5) : topics.slice(3) })),
      partitionCounts,
    };
    const a = stickyAssign(mixed);
    expectValid(mixed, a);
    // Topics 0–2 belong to the first group alone, so perfect balance is impossible; Kafka's rule holds.
    expectStickyBalanced(mixed, a);
  });
});
