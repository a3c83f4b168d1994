import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  emptyGroup,
  type GroupAction,
  type GroupState,
  type JoiningMember,
  reduceGroup,
} from "../../src/log/group-state.js";

/**
 * `reduceGroup` takes hand-written copy-on-write paths for `join`, `complete-join` and `commit`
 * when the state is frozen (the hot case at 1 000 members) and immer's paths otherwise. Passing an
 * unfrozen shallow copy forces the immer path, so the two can be compared on the same input.
 */
function deepFrozen(value: unknown, seen = new Set<unknown>()): boolean {
  if (value === null || typeof value !== "object" || seen.has(value)) return true;
  seen.add(value);
  if (!Object.isFrozen(value)) return false;
  const children = value instanceof Map ? [...value.values()] : Object.values(value as object);
  return children.every((child) => deepFrozen(child, seen));
}

const PROTOCOLS = [
  ["range"],
  ["roundrobin", "range"],
  ["range", "roundrobin"],
  ["cooperative-sticky", "range"],
];

describe("group reducer fast paths", () => {
  it("give the same states as the immer paths, deep-frozen, for any action sequence", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 2 }), (seed) => {
        let state = seed;
        const pick = (n: number) => {
          state = (state * 1103515245 + 12345) % 2147483648;
          return state % n;
        };
        const joining = (memberId: string): JoiningMember => ({
          memberId,
          groupInstanceId: pick(3) === 0 ? `i${pick(4)}` : null,
          clientId: "c",
          protocols: [...PROTOCOLS[pick(4)]!],
          topics: ["t"],
          ownedPartitions: [],
          ownedGeneration: -1,
          sessionTimeoutMs: 1,
          rebalanceTimeoutMs: 1,
        });
        let group: GroupState = emptyGroup("g");
        for (let step = 0; step < 40; step++) {
          const ids = [...group.members.keys()];
          const kind = pick(4);
          let action: GroupAction;
          if (kind === 0) {
            const count = pick(4);
            action = {
              type: "join",
              members: Array.from({ length: count }, () =>
                joining(pick(2) && ids.length > 0 ? ids[pick(ids.length)]! : `m${pick(20)}`),
              ),
              now: step,
              reason: "r",
            };
          } else if (kind === 1) {
            const assignments: Record<string, { topic: string; partition: number }[]> = {};
            for (const id of ids) if (pick(3)) assignments[id] = [{ topic: "t", partition: pick(200) }];
            action = { type: "complete-join", protocol: "range", leaderId: ids[0] ?? null, assignments };
          } else if (kind === 2) {
            const count = pick(5);
            action = {
              type: "commit",
              offsets: Array.from({ length: count }, () => ({
                topic: pick(2) ? "t" : "u",
                partition: pick(300),
                offset: pick(100),
                ...(pick(2) ? { metadata: "x" } : {}),
              })),
              now: step,
            };
          } else {
            action = {
              type: "remove",
              memberId: ids.length > 0 && pick(4) ? ids[pick(ids.length)]! : "nobody",
              now: step,
              reason: "r",
            };
          }
          const viaImmer = reduceGroup({ ...group } as GroupState, action);
          const viaFastPath = reduceGroup(group, action);
          expect(viaFastPath).toEqual(viaImmer);
          if (Object.isFrozen(group)) expect(deepFrozen(viaFastPath)).toBe(true);
          group = viaFastPath;
        }
      }),
      { numRuns: 100 },
    );
  });
});
