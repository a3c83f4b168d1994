import { describe, expect, it } from "vitest";
import { rangeAssignor } from "../../src/log/assignors/range.js";
import type { Consumer } from "../../src/log/consumer.js";
import type { JoinRequest, MemberLink } from "../../src/log/group-coordinator.js";
import type { TopicPartition } from "../../src/log/record.js";
import type { BrokerlabEvents } from "../../src/scheduler/event-bus.js";
import { FAST, produceAll, setup } from "./helpers.js";

function names(list: TopicPartition[]) {
  return list.map((tp) => `${tp.topic}-${tp.partition}`);
}

/** Polls every consumer, then lets `ms` of virtual time pass, `rounds` times. */
async function pump(sim: ReturnType<typeof setup>["sim"], consumers: Consumer[], rounds = 5, ms = 100) {
  for (let i = 0; i < rounds; i++) {
    for (const c of consumers) if (!c.isClosed) c.poll();
    await sim.runFor(ms);
  }
}

describe("consumer groups", () => {
  it("splits partitions with the range assignor and reports the generation", async () => {
    const { sim, cluster } = setup();
    cluster.createTopic("t", { partitions: 3 });
    const c1 = cluster.consumer({ groupId: "g", clientId: "a", ...FAST });
    const c2 = cluster.consumer({ groupId: "g", clientId: "b", ...FAST });
    c1.subscribe(["t"]);
    c2.subscribe(["t"]);
    await pump(sim, [c1, c2]);
    expect(names(c1.assignment())).toEqual(["t-0", "t-1"]);
    expect(names(c2.assignment())).toEqual(["t-2"]);
    expect(cluster.describeGroup("g")).toMatchObject({ state: "Stable", generation: 1, protocol: "range" });
    expect(c1.generation).toBe(1);
    cluster.checkInvariants();
  });

  it("waits group.initial.rebalance.delay.ms before forming a new group", async () => {
    const { sim, cluster } = setup({ groupInitialRebalanceDelayMs: 3000 });
    cluster.createTopic("t", { partitions: 2 });
    const generations: number[] = [];
    sim.bus.on("group.generation", () => generations.push(sim.now));
    const c1 = cluster.consumer({ groupId: "g", ...FAST });
    c1.subscribe(["t"]);
    c1.poll();
    await sim.runFor(1000);
    const c2 = cluster.consumer({ groupId: "g", ...FAST });
    c2.subscribe(["t"]);
    c2.poll(); // joins during the delay: extends it
    await sim.runFor(5000);
    expect(generations).toEqual([4000]);
    await pump(sim, [c1, c2], 1);
    expect(c1.assignment().length + c2.assignment().length).toBe(2);
  });

  it("runs revoked/assigned callbacks inside poll; eager revokes everything", async () => {
    const { sim, cluster } = setup();
    cluster.createTopic("t", { partitions: 2 });
    const log: string[] = [];
    const listener = (who: string) => ({
      onPartitionsRevoked: (ps: TopicPartition[]) => log.push(`${who} revoked ${names(ps)}`),
      onPartitionsAssigned: (ps: TopicPartition[]) => log.push(`${who} assigned ${names(ps)}`),
    });
    const c1 = cluster.consumer({ groupId: "g", clientId: "a", ...FAST });
    c1.subscribe(["t"], listener("a"));
    await pump(sim, [c1], 2);
    const c2 = cluster.consumer({ groupId: "g", clientId: "b", ...FAST });
    c2.subscribe(["t"], listener("b"));
    await pump(sim, [c1, c2], 12);
    // c1 polls before c2 in each round, so a's callbacks come first.
    expect(log).toEqual(["a assigned t-0,t-1", "a revoked t-0,t-1", "a assigned t-0", "b assigned t-1"]);
  });

  it("cooperative-sticky revokes only what moves, in two rebalances, never two owners at once", async () => {
    const { sim, cluster } = setup();
    cluster.createTopic("t", { partitions: 4 });
    const options = { groupId: "g", partitionAssignmentStrategy: ["cooperative-sticky" as const], ...FAST };
    const log: string[] = [];
    const c1 = cluster.consumer({ ...options, clientId: "a" });
    c1.subscribe(["t"], {
      onPartitionsRevoked: (ps) => log.push(`a revoked ${names(ps)}`),
      onPartitionsAssigned: (ps) => log.push(`a assigned ${names(ps)}`),
    });
    await pump(sim, [c1], 2);
    const c2 = cluster.consumer({ ...options, clientId: "b" });
    c2.subscribe(["t"], { onPartitionsAssigned: (ps) => log.push(`b assigned ${names(ps)}`) });
    const generations: number[] = [];
    sim.bus.on("group.generation", (e) => generations.push(e.generation));
    for (let i = 0; i < 20; i++) {
      for (const c of [c1, c2]) c.poll();
      const owned = [...names(c1.assignment()), ...names(c2.assignment())];
      expect(new Set(owned).size).toBe(owned.length);
      await sim.runFor(100);
    }
    // Generation 2: a keeps t-0,t-1 and revokes t-2,t-3; b gets nothing yet (Java still calls
    // onPartitionsAssigned with an empty list). Generation 3: b gets t-2,t-3.
    expect(log).toEqual([
      "a assigned t-0,t-1,t-2,t-3",
      "a revoked t-2,t-3",
      "a assigned ",
      "b assigned ",
      "a assigned ",
      "b assigned t-2,t-3",
    ]);
    expect(generations).toEqual([2, 3]);
    expect(names(c1.assignment())).toEqual(["t-0", "t-1"]);
    expect(names(c2.assignment())).toEqual(["t-2", "t-3"]);
  });

  it("a crashed member is removed after session.timeout.ms and its partitions move", async () => {
    const { sim, cluster } = setup();
    cluster.createTopic("t", { partitions: 2 });
    const removed: BrokerlabEvents["group.member-removed"][] = [];
    sim.bus.on("group.member-removed", (e) => removed.push(e));
    const c1 = cluster.consumer({ groupId: "g", ...FAST });
    const c2 = cluster.consumer({ groupId: "g", ...FAST });
    c1.subscribe(["t"]);
    c2.subscribe(["t"]);
    await pump(sim, [c1, c2], 2);
    const crashedAt = sim.now;
    c2.crash();
    let removedAt = -1;
    sim.bus.on("group.member-removed", () => (removedAt = sim.now));
    await pump(sim, [c1], 50);
    expect(removed.map((e) => e.reason)).toEqual(["session-timeout"]);
    expect(removedAt - crashedAt).toBeGreaterThanOrEqual(FAST.sessionTimeoutMs - FAST.heartbeatIntervalMs);
    expect(removedAt - crashedAt).toBeLessThanOrEqual(FAST.sessionTimeoutMs);
    expect(names(c1.assignment())).toEqual(["t-0", "t-1"]);
  });

  it("a member that stops polling leaves after max.poll.interval.ms; its later commit is refused and its partitions are lost", async () => {
    const { sim, cluster } = setup();
    cluster.createTopic("t", { partitions: 1 });
    const slow = cluster.consumer({
      groupId: "g",
      autoOffsetReset: "earliest",
      enableAutoCommit: false,
      ...FAST,
    });
    const lost: TopicPartition[][] = [];
    slow.subscribe(["t"], { onPartitionsLost: (ps) => lost.push(ps) });
    const other = cluster.consumer({
      groupId: "g",
      autoOffsetReset: "earliest",
      enableAutoCommit: false,
      ...FAST,
    });
    other.subscribe(["t"]);
    await pump(sim, [slow, other], 3);
    const owner = slow.assignment().length === 1 ? slow : other;
    const idle = owner === slow ? other : slow;
    expect(owner).toBe(slow);
    await produceAll(sim, cluster, "t", [1, 2, 3]);
    expect(slow.poll().map((r) => r.value)).toEqual([1, 2, 3]);
    // "Processing" takes longer than max.poll.interval.ms while the other member keeps polling.
    for (let i = 0; i < 120; i++) {
      idle.poll();
      await sim.runFor(100);
    }
    expect(cluster.describeGroup("g").members.map((m) => m.memberId)).toEqual([other.memberId]);
    let error: unknown;
    try {
      slow.commitSync();
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: "UNKNOWN_MEMBER_ID", details: { commitFailed: true } });
    expect(cluster.groupOffsets("g")).toEqual([]);
    expect(names(other.assignment())).toEqual(["t-0"]);
    slow.poll(); // learns it lost its partitions, rejoins
    expect(lost.map(names)).toEqual([["t-0"]]);
  });

  it("a commit with a stale generation is ILLEGAL_GENERATION; during CompletingRebalance REBALANCE_IN_PROGRESS", async () => {
    const { sim, cluster } = setup({ requestLatencyMs: 10 });
    cluster.createTopic("t", { partitions: 1 });
    const c1 = cluster.consumer({ groupId: "g", ...FAST });
    c1.subscribe(["t"]);
    await pump(sim, [c1], 5, 20);
    const memberId = c1.memberId;
    expect(() =>
      cluster.coordinator.commit("g", { memberId, generation: 0 }, [{ topic: "t", partition: 0, offset: 0 }]),
    ).toThrow(expect.objectContaining({ code: "ILLEGAL_GENERATION" }));
    const c2 = cluster.consumer({ groupId: "g", ...FAST });
    c2.subscribe(["t"]);
    c2.poll();
    let during: unknown;
    sim.bus.on("group.generation", (e) => {
      if (e.generation !== 2) return;
      try {
        cluster.coordinator.commit("g", { memberId, generation: 2 }, []);
      } catch (err) {
        during = err;
      }
    });
    await pump(sim, [c1, c2], 20, 50);
    expect(during).toMatchObject({ code: "REBALANCE_IN_PROGRESS" });
  });

  it("close leaves at once: the others rebalance without waiting for the session timeout", async () => {
    const { sim, cluster } = setup();
    cluster.createTopic("t", { partitions: 2 });
    const c1 = cluster.consumer({ groupId: "g", ...FAST });
    const c2 = cluster.consumer({ groupId: "g", ...FAST });
    c1.subscribe(["t"]);
    c2.subscribe(["t"]);
    await pump(sim, [c1, c2], 2);
    c2.close();
    await pump(sim, [c1], 10, 100);
    expect(names(c1.assignment())).toEqual(["t-0", "t-1"]);
    expect(sim.now).toBeLessThan(FAST.sessionTimeoutMs + 1000);
  });

  it("a static member restarting within the session timeout keeps its partitions without a rebalance", async () => {
    const { sim, cluster } = setup();
    cluster.createTopic("t", { partitions: 2 });
    const c1 = cluster.consumer({ groupId: "g", groupInstanceId: "one", ...FAST });
    const c2 = cluster.consumer({ groupId: "g", groupInstanceId: "two", ...FAST });
    c1.subscribe(["t"]);
    c2.subscribe(["t"]);
    await pump(sim, [c1, c2], 3);
    const before = names(c2.assignment());
    const generation = cluster.describeGroup("g").generation;
    c2.close(); // static members do not send LeaveGroup
    const again = cluster.consumer({ groupId: "g", groupInstanceId: "two", ...FAST });
    again.subscribe(["t"]);
    await pump(sim, [c1, again], 3);
    expect(names(again.assignment())).toEqual(before);
    expect(cluster.describeGroup("g").generation).toBe(generation);
  });

  it("a member whose SyncGroup arrives after another member joined rejoins (REBALANCE_IN_PROGRESS), not dropped by the session timeout", async () => {
    // The property test's counterexample [1, 1, "range", [crash 0, wait 651, join, join]]: the
    // second newcomer joins while the first awaits its SyncGroup for generation 2.
    const { sim, cluster } = setup({ requestLatencyMs: 1 });
    cluster.createTopic("t", { partitions: 1 });
    const removed: BrokerlabEvents["group.member-removed"][] = [];
    const joins: string[] = [];
    sim.bus.on("group.member-removed", (e) => removed.push(e));
    sim.bus.on("group.join", (e) => joins.push(e.memberId));
    const live: Consumer[] = [];
    const make = () => {
      const c = cluster.consumer({
        groupId: "g",
        partitionAssignmentStrategy: ["range"],
        sessionTimeoutMs: 1000,
        heartbeatIntervalMs: 100,
        maxPollIntervalMs: 5000,
      });
      c.subscribe(["t"]);
      live.push(c);
    };
    const step = (ms: number) => pump(sim, live, ms / 50, 50);
    make();
    await step(500);
    live.splice(0, 1)[0]!.crash();
    await step(100);
    await step(651 + 49); // the property's step polls every 50 ms, rounding up
    await step(100);
    make();
    await step(100);
    make();
    await step(100);
    await step(3000);
    const [first, second] = live.map((c) => c.memberId);
    // The first newcomer got generation 2's JoinGroup response, then its SyncGroup was refused
    // because the second joined: it rejoined under the same member id instead of hanging.
    expect(joins).toEqual([expect.any(String), first, second, first]);
    expect(removed.map((e) => e.reason)).toEqual(["session-timeout"]); // only the crashed one
    const group = cluster.describeGroup("g");
    expect(group.state).toBe("Stable");
    expect(group.members.map((m) => m.memberId)).toEqual([first, second]);
    expect(group.members.flatMap((m) => names(m.assignment))).toEqual(["t-0"]);
    for (const c of live) {
      expect(c.membership!.joinState).toBe("stable");
      expect(names(c.assignment())).toEqual(
        names(group.members.find((m) => m.memberId === c.memberId)!.assignment),
      );
    }
    cluster.checkInvariants();
  });

  it("answers every waiting SyncGroup when the group moves on: REBALANCE_IN_PROGRESS, FENCED_INSTANCE_ID", async () => {
    const { sim, cluster } = setup({ requestLatencyMs: 10 });
    cluster.createTopic("t", { partitions: 2 });
    const log: string[] = [];
    const link = (name: string): MemberLink => ({
      onJoinResponse: (r) => log.push(`${sim.now} ${name} join ${r.error ?? `gen ${r.generation}`}`),
      onSyncResponse: (generation, assignment) =>
        log.push(`${sim.now} ${name} sync gen ${generation} ${names([...assignment])}`),
      onSyncError: (generation, error) => log.push(`${sim.now} ${name} sync gen ${generation} ${error}`),
    });
    const request = (groupInstanceId: string | null, memberId = ""): JoinRequest => ({
      memberId,
      groupInstanceId,
      clientId: "c",
      assignors: [rangeAssignor],
      topics: ["t"],
      ownedPartitions: [],
      ownedGeneration: -1,
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 10_000,
    });
    const coordinator = cluster.coordinator;
    coordinator.join("g", request("a"), link("a"));
    await sim.runFor(15); // generation 1 formed at 0, join response at 10, SyncGroup arrives at 20
    coordinator.join("g", request(null), link("b")); // at 15: the group prepares another rebalance
    await sim.runFor(100);
    // a's SyncGroup for generation 1 is refused; a has not rejoined, so generation 2 waits for it.
    expect(log).toEqual(["10 a join gen 1", "30 a sync gen 1 REBALANCE_IN_PROGRESS"]);
    log.length = 0;
    const aId = coordinator.state("g")!.staticMembers.a!;
    coordinator.join("g", request("a", aId), link("a"));
    await sim.runFor(15); // generation 2 formed, both got their join responses; SyncGroup due at 135
    // Another consumer with a's instance id replaces a before a's SyncGroup arrives.
    coordinator.join("g", request("a"), link("a2"));
    await sim.runFor(100);
    expect(log).toEqual([
      "125 a join gen 2",
      "125 b join gen 2",
      "145 a sync gen 2 FENCED_INSTANCE_ID",
      "145 b sync gen 2 REBALANCE_IN_PROGRESS",
    ]);
    cluster.checkInvariants();
  });

  it("a static member replaced while its JoinGroup is pending gets FENCED_INSTANCE_ID", async () => {
    const { sim, cluster } = setup({ requestLatencyMs: 10 });
    cluster.createTopic("t", { partitions: 2 });
    const c1 = cluster.consumer({ groupId: "g", groupInstanceId: "one", ...FAST });
    const c2 = cluster.consumer({ groupId: "g", groupInstanceId: "two", ...FAST });
    c1.subscribe(["t"]);
    c2.subscribe(["t"]);
    await pump(sim, [c1, c2], 3);
    c2.enforceRebalance();
    c2.poll(); // c2's JoinGroup: it now waits for c1, which has not rejoined yet
    await sim.runFor(20);
    const zombie = c2.membership!;
    const again = cluster.consumer({ groupId: "g", groupInstanceId: "two", ...FAST });
    again.subscribe(["t"]);
    again.poll();
    await sim.runFor(30);
    expect(zombie.fatal).toMatchObject({ code: "FENCED_INSTANCE_ID" });
    expect(() => c2.poll()).toThrow(expect.objectContaining({ code: "FENCED_INSTANCE_ID" }));
    await pump(sim, [c1, again], 10);
    expect([...names(c1.assignment()), ...names(again.assignment())].sort()).toEqual(["t-0", "t-1"]);
    cluster.checkInvariants();
  });

  it("refuses incompatible assignors with INCONSISTENT_GROUP_PROTOCOL", async () => {
    const { sim, cluster } = setup();
    cluster.createTopic("t");
    const c1 = cluster.consumer({ groupId: "g", partitionAssignmentStrategy: ["range"], ...FAST });
    c1.subscribe(["t"]);
    await pump(sim, [c1], 2);
    const c2 = cluster.consumer({ groupId: "g", partitionAssignmentStrategy: ["roundrobin"], ...FAST });
    c2.subscribe(["t"]);
    c2.poll();
    await sim.runFor(10);
    expect(() => c2.poll()).toThrow(expect.objectContaining({ code: "INCONSISTENT_GROUP_PROTOCOL" }));
  });

  it("reports lag per partition and per group", async () => {
    const { sim, cluster } = setup();
    cluster.createTopic("t", { partitions: 2 });
    await produceAll(sim, cluster, "t", [1, 2, 3, 4, 5], { partition: 0 });
    await produceAll(sim, cluster, "t", [6, 7], { partition: 1 });
    cluster.setGroupOffsets("g", [{ topic: "t", partition: 0, offset: 2 }]);
    const lag = cluster.lag("g");
    expect(lag.total).toBe(3);
    expect(lag.partitions).toEqual([
      { topic: "t", partition: 0, committed: 2, logStartOffset: 0, logEndOffset: 5, lag: 3 },
    ]);
    cluster.resetGroupOffsets("g", "t", "earliest");
    expect(cluster.lag("g").total).toBe(7);
  });
});
