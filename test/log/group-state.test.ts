import { describe, expect, it } from "vitest";
import {
  allJoined,
  committedOffset,
  committedOffsets,
  duplicateAssignments,
  emptyGroup,
  type JoiningMember,
  reduceGroup,
  selectProtocol,
  validateCommit,
  validateHeartbeat,
  validateSync,
} from "../../src/log/group-state.js";

function member(
  memberId: string,
  protocols = ["range"],
  groupInstanceId: string | null = null,
): JoiningMember {
  return {
    memberId,
    groupInstanceId,
    clientId: memberId,
    protocols,
    topics: ["t"],
    ownedPartitions: [],
    ownedGeneration: -1,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 10_000,
  };
}

describe("group reducers", () => {
  it("join → PreparingRebalance, complete-join bumps the generation, complete-sync → Stable", () => {
    const g0 = emptyGroup("g");
    const g1 = reduceGroup(g0, { type: "join", members: [member("a")], now: 5, reason: "a joined" });
    expect(g0.phase).toBe("Empty"); // immutable
    expect(g1).toMatchObject({ phase: "PreparingRebalance", rebalanceStartedAt: 5, joinOrder: ["a"] });
    expect(allJoined(g1)).toBe(true);
    const g2 = reduceGroup(g1, {
      type: "complete-join",
      protocol: "range",
      leaderId: "a",
      assignments: { a: [{ topic: "t", partition: 0 }] },
    });
    expect(g2).toMatchObject({ phase: "CompletingRebalance", generation: 1, leaderId: "a" });
    expect(g2.members.get("a")!.joined).toBe(false);
    expect(reduceGroup(g2, { type: "complete-sync", generation: 0 })).toBe(g2); // stale sync ignored
    const g3 = reduceGroup(g2, { type: "complete-sync", generation: 1 });
    expect(g3.phase).toBe("Stable");
    expect(Object.isFrozen(g3.members.get("a"))).toBe(true);
  });

  it("removing the last member empties the group with a new generation", () => {
    let g = reduceGroup(emptyGroup("g"), { type: "join", members: [member("a")], now: 0, reason: "" });
    g = reduceGroup(g, { type: "complete-join", protocol: "range", leaderId: "a", assignments: {} });
    g = reduceGroup(g, { type: "complete-sync", generation: 1 });
    g = reduceGroup(g, { type: "remove", memberId: "a", now: 1, reason: "left" });
    expect(g).toMatchObject({ phase: "Empty", generation: 2, leaderId: null, protocol: null });
  });

  it("removing a member of a stable group starts a rebalance", () => {
    let g = reduceGroup(emptyGroup("g"), { type: "join", members: [member("a")], now: 0, reason: "" });
    g = reduceGroup(g, { type: "join", members: [member("b")], now: 0, reason: "" });
    g = reduceGroup(g, { type: "complete-join", protocol: "range", leaderId: "a", assignments: {} });
    g = reduceGroup(g, { type: "complete-sync", generation: 1 });
    g = reduceGroup(g, { type: "remove", memberId: "a", now: 9, reason: "session timeout" });
    expect(g).toMatchObject({
      phase: "PreparingRebalance",
      leaderId: null,
      rebalanceReason: "session timeout",
    });
    expect(allJoined(g)).toBe(false);
  });

  it("validates commits as Kafka's coordinator does", () => {
    let g = reduceGroup(emptyGroup("g"), { type: "join", members: [member("a")], now: 0, reason: "" });
    expect(validateCommit(g, { memberId: "a", generation: 0 })).toBe(null); // PreparingRebalance: allowed
    g = reduceGroup(g, { type: "complete-join", protocol: "range", leaderId: "a", assignments: {} });
    expect(validateCommit(g, { memberId: "a", generation: 1 })).toBe("REBALANCE_IN_PROGRESS");
    g = reduceGroup(g, { type: "complete-sync", generation: 1 });
    expect(validateCommit(g, { memberId: "a", generation: 1 })).toBe(null);
    expect(validateCommit(g, { memberId: "a", generation: 0 })).toBe("ILLEGAL_GENERATION");
    expect(validateCommit(g, { memberId: "x", generation: 1 })).toBe("UNKNOWN_MEMBER_ID");
    expect(validateCommit(g, { memberId: "", generation: -1 })).toBe("UNKNOWN_MEMBER_ID"); // admin commit into a live group
    expect(validateCommit(emptyGroup("h"), { memberId: "", generation: -1 })).toBe(null);
  });

  it("answers heartbeats: REBALANCE_IN_PROGRESS tells members to rejoin", () => {
    let g = reduceGroup(emptyGroup("g"), { type: "join", members: [member("a")], now: 0, reason: "" });
    g = reduceGroup(g, { type: "complete-join", protocol: "range", leaderId: "a", assignments: {} });
    g = reduceGroup(g, { type: "complete-sync", generation: 1 });
    expect(validateHeartbeat(g, { memberId: "a", generation: 1 })).toBe(null);
    g = reduceGroup(g, { type: "request-rebalance", now: 3, reason: "test" });
    expect(validateHeartbeat(g, { memberId: "a", generation: 1 })).toBe("REBALANCE_IN_PROGRESS");
    expect(validateHeartbeat(g, { memberId: "zz", generation: 1 })).toBe("UNKNOWN_MEMBER_ID");
  });

  it("answers SyncGroup: the assignment at its generation, else the error that makes the member rejoin", () => {
    let g = reduceGroup(emptyGroup("g"), {
      type: "join",
      members: [member("a"), member("s", ["range"], "inst")],
      now: 0,
      reason: "",
    });
    g = reduceGroup(g, { type: "complete-join", protocol: "range", leaderId: "a", assignments: {} });
    expect(validateSync(g, { memberId: "a", generation: 1 })).toBe(null); // CompletingRebalance
    expect(validateSync(g, { memberId: "a", generation: 0 })).toBe("ILLEGAL_GENERATION");
    expect(validateSync(g, { memberId: "zz", generation: 1 })).toBe("UNKNOWN_MEMBER_ID");
    expect(
      validateSync(reduceGroup(g, { type: "complete-sync", generation: 1 }), {
        memberId: "a",
        generation: 1,
      }),
    ).toBe(null);
    // Another member joins before the SyncGroup arrives.
    const joined = reduceGroup(g, { type: "join", members: [member("b")], now: 2, reason: "b joined" });
    expect(validateSync(joined, { memberId: "a", generation: 1 })).toBe("REBALANCE_IN_PROGRESS");
    const replaced = reduceGroup(g, { type: "replace-static", groupInstanceId: "inst", newMemberId: "s2" });
    expect(validateSync(replaced, { memberId: "s", generation: 1, groupInstanceId: "inst" })).toBe(
      "FENCED_INSTANCE_ID",
    );
    const gone = reduceGroup(g, { type: "remove", memberId: "a", now: 2, reason: "left" });
    expect(validateSync(gone, { memberId: "a", generation: 1 })).toBe("UNKNOWN_MEMBER_ID");
    expect(validateSync(gone, { memberId: "s", generation: 1, groupInstanceId: "inst" })).toBe(
      "REBALANCE_IN_PROGRESS",
    );
  });

  it("fences a replaced static member", () => {
    let g = reduceGroup(emptyGroup("g"), {
      type: "join",
      members: [member("a", ["range"], "inst")],
      now: 0,
      reason: "",
    });
    g = reduceGroup(g, { type: "replace-static", groupInstanceId: "inst", newMemberId: "a2" });
    expect([...g.members.keys()]).toEqual(["a2"]);
    expect(validateHeartbeat(g, { memberId: "a", generation: 0, groupInstanceId: "inst" })).toBe(
      "FENCED_INSTANCE_ID",
    );
  });

  it("selects the protocol every member supports, by vote", () => {
    let g = reduceGroup(emptyGroup("g"), {
      type: "join",
      members: [member("a", ["range", "cooperative-sticky"])],
      now: 0,
      reason: "",
    });
    g = reduceGroup(g, {
      type: "join",
      members: [member("b", ["cooperative-sticky", "range"])],
      now: 0,
      reason: "",
    });
    g = reduceGroup(g, { type: "join", members: [member("c", ["cooperative-sticky"])], now: 0, reason: "" });
    expect(selectProtocol(g)).toBe("cooperative-sticky");
    g = reduceGroup(g, { type: "join", members: [member("d", ["roundrobin"])], now: 0, reason: "" });
    expect(selectProtocol(g)).toBe(null);
  });

  it("stores, deletes and drops offsets of deleted topics", () => {
    let g = reduceGroup(emptyGroup("g"), {
      type: "commit",
      offsets: [
        { topic: "t", partition: 1, offset: 4 },
        { topic: "u", partition: 0, offset: 1, metadata: "m" },
      ],
      now: 7,
    });
    expect(committedOffset(g, "t", 1)).toEqual({ offset: 4, metadata: "", committedAt: 7 });
    expect(committedOffsets(g).map((c) => `${c.topic}-${c.partition}=${c.offset}`)).toEqual([
      "t-1=4",
      "u-0=1",
    ]);
    g = reduceGroup(g, { type: "delete-topic", topic: "t" });
    expect(Object.keys(g.offsets)).toEqual(["u"]);
    g = reduceGroup(g, { type: "delete-offsets", partitions: [{ topic: "u", partition: 0 }] });
    expect(g.offsets).toEqual({});
  });

  it("detects a partition owned twice", () => {
    let g = reduceGroup(emptyGroup("g"), { type: "join", members: [member("a")], now: 0, reason: "" });
    g = reduceGroup(g, { type: "join", members: [member("b")], now: 0, reason: "" });
    g = reduceGroup(g, {
      type: "complete-join",
      protocol: "range",
      leaderId: "a",
      assignments: { a: [{ topic: "t", partition: 0 }], b: [{ topic: "t", partition: 0 }] },
    });
    expect(duplicateAssignments(g)).toEqual(["t-0"]);
  });
});
