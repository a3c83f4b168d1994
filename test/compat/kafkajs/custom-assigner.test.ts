import { describe, expect, it } from "vitest";
import {
  AssignerProtocol,
  type KafkaJSProtocolError,
  type PartitionAssigner,
  PartitionAssigners,
} from "../../../src/compat/kafkajs/index.js";
import { drive, manualWorld } from "./helpers.js";

type Joined = {
  memberId: string;
  isLeader: boolean;
  memberAssignment: Record<string, number[]>;
  groupProtocol: string;
};

/** Every partition to the member with the smallest id; the others get nothing (not even an entry). */
const allToOne: PartitionAssigner = ({ cluster }) => ({
  name: "AllToOne",
  version: 1,
  protocol: ({ topics }) => ({
    name: "AllToOne",
    metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics }),
  }),
  async assign({ members, topics }) {
    const chosen = members.map((m) => m.memberId).sort()[0]!;
    const assignment: Record<string, number[]> = {};
    for (const topic of topics)
      assignment[topic] = cluster.findTopicPartitionMetadata(topic).map((p) => p.partitionId);
    return [
      {
        memberId: chosen,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 1, assignment }),
      },
    ];
  },
});

/**
 * Sticky-ish: each member advertises the partitions it had (userData); a partition stays with its
 * previous owner, new ones go to the member with the fewest. Also records what the leader saw.
 */
function stickyAssigner(
  seen: { members: string[]; userData: string[] }[],
  owned: () => number[],
): PartitionAssigner {
  return ({ cluster }) => ({
    name: "StickyIsh",
    version: 0,
    protocol({ topics }) {
      const mine = owned();
      return {
        name: "StickyIsh",
        metadata: AssignerProtocol.MemberMetadata.encode({
          version: 0,
          topics,
          userData: Buffer.from(JSON.stringify(mine)),
        }),
      };
    },
    async assign({ members, topics }) {
      const decoded = members.map((m) => ({
        memberId: m.memberId,
        had: JSON.parse(
          AssignerProtocol.MemberMetadata.decode(m.memberMetadata).userData.toString() || "[]",
        ) as number[],
      }));
      seen.push({
        members: decoded.map((d) => d.memberId),
        userData: decoded.map((d) => JSON.stringify(d.had)),
      });
      const partitions = cluster.findTopicPartitionMetadata(topics[0]!).map((p) => p.partitionId);
      const result = new Map(decoded.map((d) => [d.memberId, [] as number[]]));
      const quota = Math.ceil(partitions.length / decoded.length);
      const free: number[] = [];
      for (const p of partitions) {
        const owner = decoded.find((d) => d.had.includes(p));
        if (owner && result.get(owner.memberId)!.length < quota) result.get(owner.memberId)!.push(p);
        else free.push(p);
      }
      for (const p of free) {
        const least = [...result.entries()].sort(
          (a, b) => a[1].length - b[1].length || (a[0] < b[0] ? -1 : 1),
        )[0]!;
        least[1].push(p);
      }
      return [...result.entries()].map(([memberId, ps]) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: 0,
          assignment: { [topics[0]!]: ps },
        }),
      }));
    },
  });
}

describe("kafkajs facade: custom partition assigners run on the group leader", () => {
  it("AssignerProtocol encodes and decodes member metadata and assignments (userData kept)", () => {
    const meta = AssignerProtocol.MemberMetadata.encode({
      version: 3,
      topics: ["a", "b"],
      userData: Buffer.from("u"),
    });
    expect(AssignerProtocol.MemberMetadata.decode(meta)).toEqual({
      version: 3,
      topics: ["a", "b"],
      userData: Buffer.from("u"),
    });
    const bytes = AssignerProtocol.MemberAssignment.encode({
      version: 1,
      assignment: { t: [2, 0] },
      userData: Buffer.from("x"),
    });
    expect(AssignerProtocol.MemberAssignment.decode(bytes)).toEqual({
      version: 1,
      assignment: { t: [2, 0] },
      userData: Buffer.from("x"),
    });
    expect(AssignerProtocol.MemberAssignment.decode(Buffer.alloc(0))).toBeNull();
  });

  it("an assigner giving every partition to one member: the other gets nothing; describeGroups shows the leader's bytes", async () => {
    const { sim, kafka } = manualWorld(3);
    const admin = kafka.admin();
    await drive(sim, admin.createTopics({ topics: [{ topic: "t", numPartitions: 3 }] }));
    const joins: Joined[] = [];
    const consumers = ["a", "b"].map(() => kafka.consumer({ groupId: "g", partitionAssigners: [allToOne] }));
    for (const c of consumers) {
      c.on(c.events.GROUP_JOIN, (e: { payload: Joined }) => joins.push(e.payload));
      await c.subscribe({ topics: ["t"] });
    }
    const received = new Map<string, string[]>();
    const memberOf = new Map<object, string>();
    for (const c of consumers)
      c.on(c.events.GROUP_JOIN, (e: { payload: Joined }) => void memberOf.set(c, e.payload.memberId));
    await drive(
      sim,
      Promise.all(
        consumers.map((c) =>
          c.run({
            eachMessage: async ({ message }) => {
              const id = memberOf.get(c)!;
              received.set(id, [...(received.get(id) ?? []), message.value!.toString()]);
            },
          }),
        ),
      ),
    );
    await sim.runFor(100);
    expect(joins).toHaveLength(2);
    const ids = joins.map((j) => j.memberId).sort();
    const winner = joins.find((j) => j.memberId === ids[0])!;
    const loser = joins.find((j) => j.memberId === ids[1])!;
    expect(winner.memberAssignment).toEqual({ t: [0, 1, 2] });
    expect(loser.memberAssignment).toEqual({});
    expect(joins.every((j) => j.groupProtocol === "AllToOne")).toBe(true);
    expect(joins.filter((j) => j.isLeader)).toHaveLength(1);
    const [group] = (await admin.describeGroups(["g"])).groups;
    expect(group!.protocol).toBe("AllToOne");
    const described = new Map(
      group!.members.map((m) => [
        m.memberId,
        AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment ?? {},
      ]),
    );
    expect(described.get(winner.memberId)).toEqual({ t: [0, 1, 2] });
    expect(AssignerProtocol.MemberMetadata.decode(group!.members[0]!.memberMetadata).version).toBe(1);
    // Messages all go to the one member.
    const producer = kafka.producer();
    await drive(sim, producer.connect());
    await drive(
      sim,
      producer.send({
        topic: "t",
        messages: [0, 1, 2, 3, 4, 5].map((i) => ({ key: `k${i}`, value: `${i}` })),
      }),
    );
    await sim.runFor(200);
    expect(received.get(winner.memberId)?.sort()).toEqual(["0", "1", "2", "3", "4", "5"]);
    expect(received.get(loser.memberId)).toBeUndefined();
    await drive(sim, Promise.all(consumers.map((c) => c.disconnect())));
  });

  it("a sticky-ish assigner: the leader sees every member's userData; a newcomer gets only the free partitions", async () => {
    const { sim, kafka } = manualWorld(4);
    const admin = kafka.admin();
    await drive(sim, admin.createTopics({ topics: [{ topic: "s", numPartitions: 4 }] }));
    const seen: { members: string[]; userData: string[] }[] = [];
    const memory = new Map<string, Record<string, number[]>>();
    const make = (name: string) => {
      // Each consumer remembers its own assignment and advertises it in userData.
      const c = kafka.consumer({
        groupId: "sticky",
        partitionAssigners: [stickyAssigner(seen, () => memory.get(name)?.s ?? [])],
        heartbeatInterval: 500,
      });
      c.on(c.events.GROUP_JOIN, (e: { payload: Joined }) => memory.set(name, e.payload.memberAssignment));
      return c;
    };
    const a = make("a");
    await a.subscribe({ topics: ["s"] });
    await drive(sim, a.run({ eachMessage: async () => {} }));
    await sim.runFor(100);
    expect(memory.get("a")).toEqual({ s: [0, 1, 2, 3] });
    // A second consumer joins: the group rebalances; b gets half, taken from nobody's "had" list.
    const b = make("b");
    await b.subscribe({ topics: ["s"] });
    await drive(sim, b.run({ eachMessage: async () => {} }));
    await sim.runFor(3000);
    // a kept the first half of what it had; b got the rest.
    expect(memory.get("a")).toEqual({ s: [0, 1] });
    expect(memory.get("b")).toEqual({ s: [2, 3] });
    expect(seen).toHaveLength(2);
    expect(seen[0]!.userData).toEqual(["[]"]);
    expect(seen[1]!.members).toHaveLength(2);
    expect([...seen[1]!.userData].sort()).toEqual(["[0,1,2,3]", "[]"]);
    await drive(sim, Promise.all([a.disconnect(), b.disconnect()]));
  });

  it("userData carries state: the leader reads each member's advertised partitions", async () => {
    const { sim, kafka } = manualWorld(2);
    const admin = kafka.admin();
    await drive(sim, admin.createTopics({ topics: [{ topic: "u", numPartitions: 2 }] }));
    const reads: string[] = [];
    const reader: PartitionAssigner = ({ cluster }) => ({
      name: "Reader",
      version: 0,
      protocol: ({ topics }) => ({
        name: "Reader",
        metadata: AssignerProtocol.MemberMetadata.encode({
          version: 0,
          topics,
          userData: Buffer.from("hello"),
        }),
      }),
      async assign({ members, topics }) {
        for (const m of members)
          reads.push(AssignerProtocol.MemberMetadata.decode(m.memberMetadata).userData.toString());
        return PartitionAssigners.roundRobin({ cluster, groupId: "x", logger: null as never }).assign({
          members,
          topics,
        });
      },
    });
    const c = kafka.consumer({ groupId: "ud", partitionAssigners: [reader] });
    const joins: Joined[] = [];
    c.on(c.events.GROUP_JOIN, (e: { payload: Joined }) => joins.push(e.payload));
    await c.subscribe({ topics: ["u"] });
    await drive(sim, c.run({ eachMessage: async () => {} }));
    expect(reads).toEqual(["hello"]);
    expect(joins[0]!.memberAssignment).toEqual({ u: [0, 1] });
    await drive(sim, c.disconnect());
  });

  it("protocols are selected among those every member supports; none in common → INCONSISTENT_GROUP_PROTOCOL", async () => {
    const { sim, kafka } = manualWorld(2);
    const admin = kafka.admin();
    await drive(sim, admin.createTopics({ topics: [{ topic: "p", numPartitions: 2 }] }));
    // [AllToOne, roundRobin] + [roundRobin]: the common protocol is round robin.
    const joins: Joined[] = [];
    const a = kafka.consumer({
      groupId: "mixed",
      partitionAssigners: [allToOne, PartitionAssigners.roundRobin],
    });
    const b = kafka.consumer({ groupId: "mixed", partitionAssigners: [PartitionAssigners.roundRobin] });
    for (const c of [a, b]) {
      c.on(c.events.GROUP_JOIN, (e: { payload: Joined }) => joins.push(e.payload));
      await c.subscribe({ topics: ["p"] });
    }
    await drive(
      sim,
      Promise.all([a.run({ eachMessage: async () => {} }), b.run({ eachMessage: async () => {} })]),
    );
    expect(joins.map((j) => j.groupProtocol)).toEqual(["RoundRobinAssigner", "RoundRobinAssigner"]);
    expect(joins.flatMap((j) => j.memberAssignment.p ?? []).sort()).toEqual([0, 1]);
    await drive(sim, Promise.all([a.disconnect(), b.disconnect()]));

    // Disjoint protocols: the second member is refused and crashes without restarting.
    const first = kafka.consumer({ groupId: "clash", partitionAssigners: [allToOne] });
    const second = kafka.consumer({ groupId: "clash", partitionAssigners: [PartitionAssigners.roundRobin] });
    const crashes: KafkaJSProtocolError[] = [];
    second.on(second.events.CRASH, (e: { payload: { error: KafkaJSProtocolError; restart: boolean } }) => {
      crashes.push(e.payload.error);
      expect(e.payload.restart).toBe(false);
    });
    await first.subscribe({ topics: ["p"] });
    await second.subscribe({ topics: ["p"] });
    await drive(sim, first.run({ eachMessage: async () => {} }));
    await drive(
      sim,
      second.run({ eachMessage: async () => {} }).catch(() => {}),
    );
    await sim.runFor(2000);
    expect(crashes).toHaveLength(1);
    expect(crashes[0]!.type).toBe("INCONSISTENT_GROUP_PROTOCOL");
    expect(crashes[0]!.code).toBe(23);
    await drive(sim, Promise.all([first.disconnect(), second.disconnect()]));
  });

  it("a leader slower than the session timeout: the group moves on without it; its late answer is dropped", async () => {
    const { sim, kafka } = manualWorld(2);
    const admin = kafka.admin();
    await drive(sim, admin.createTopics({ topics: [{ topic: "slow", numPartitions: 2 }] }));
    let calls = 0;
    const slowFirst: PartitionAssigner = ({ cluster }) => ({
      name: "SlowFirst",
      version: 0,
      protocol: ({ topics }) => ({
        name: "SlowFirst",
        metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics }),
      }),
      async assign({ members, topics }) {
        // The first leader takes 20 s (kafkajs does not heartbeat meanwhile): it is expired.
        if (calls++ === 0) await sim.sleep(20_000);
        return PartitionAssigners.roundRobin({ cluster, groupId: "slow", logger: null as never }).assign({
          members,
          topics,
        });
      },
    });
    const joins: { who: string; payload: Joined; at: number }[] = [];
    const consumers = ["a", "b"].map((who) => {
      const c = kafka.consumer({
        groupId: "slow",
        partitionAssigners: [slowFirst],
        sessionTimeout: 6000,
        heartbeatInterval: 1000,
      });
      c.on(c.events.GROUP_JOIN, (e: { payload: Joined }) =>
        joins.push({ who, payload: e.payload, at: sim.now }),
      );
      return c;
    });
    for (const c of consumers) await c.subscribe({ topics: ["slow"] });
    for (const c of consumers) void c.run({ eachMessage: async () => {} }).catch(() => {});
    await sim.runFor(60_000);
    expect(calls).toBeGreaterThanOrEqual(2);
    // Nobody joined with the slow leader's generation; the latest generation splits the partitions.
    const first = joins[0]!;
    expect(first.at).toBeGreaterThan(3000 + 6000);
    // The other member, alone after the expiry, led the next generation and took everything.
    expect(first.payload.isLeader).toBe(true);
    expect(first.payload.memberAssignment).toEqual({ slow: [0, 1] });
    // The slow one rejoined afterwards (its late answer was refused: it got nothing from it).
    expect(joins.filter((j) => j.who !== first.who)).toHaveLength(1);
    const latest = new Map(joins.map((j) => [j.who, j.payload.memberAssignment.slow ?? []]));
    expect([...latest.values()].flat().sort()).toEqual([0, 1]);
    await drive(sim, Promise.all(consumers.map((c) => c.disconnect())));
  });

  it("an assigner that throws crashes the leader's consumer; a malformed factory is refused at consumer()", async () => {
    const { sim, kafka } = manualWorld(1);
    const broken: PartitionAssigner = () => ({
      name: "Broken",
      version: 0,
      protocol: ({ topics }) => ({
        name: "Broken",
        metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics }),
      }),
      async assign() {
        throw new Error("assigner bug");
      },
    });
    const c = kafka.consumer({ groupId: "broken", partitionAssigners: [broken], retry: { retries: 0 } });
    const crashes: Error[] = [];
    c.on(c.events.CRASH, (e: { payload: { error: Error } }) => crashes.push(e.payload.error));
    await c.subscribe({ topics: ["b"] });
    await drive(
      sim,
      c.run({ eachMessage: async () => {} }).catch(() => {}),
    );
    await sim.runFor(5000);
    expect(crashes.length).toBeGreaterThanOrEqual(1);
    expect(crashes[0]!.message).toContain("assigner bug");
    await drive(sim, c.disconnect());
    expect(() =>
      kafka.consumer({ groupId: "x", partitionAssigners: [() => ({ name: "" }) as never] }),
    ).toThrow(/returned no assigner/);
  });
});
