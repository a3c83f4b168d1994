// Issue 12, defect 3 (kernel part): coded refusals instead of TypeErrors, decided before any state
// is touched, for timer ids, timer labels, scheduling times and the exported fnv1a64 helper.
import { describe, expect, it } from "vitest";
import { installTimers } from "../../src/scheduler/install-timers.js";
import { RandomSource } from "../../src/scheduler/random.js";
import { Simulation } from "../../src/scheduler/simulation.js";
import { fnv1a64 } from "../../src/scheduler/trace.js";
import { codeOf } from "../helpers/refusal.js";

const HOSTILE = [5n, Symbol("id"), "5", null, undefined, {}, [], () => 1, circular()];

function circular(): unknown {
  const o: Record<string, unknown> = {};
  o.self = o;
  return o;
}

/** What a refused call must not change. */
function fingerprint(sim: Simulation): unknown {
  return {
    pending: sim.pendingCount,
    work: sim.workCount,
    next: sim.nextEventTime,
    listing: sim.describePending(100),
  };
}

describe("issue 12 / defect 3: kernel refusals are coded", () => {
  it("sim.cancel and sim.isPending refuse a non-number id with INVALID_TIMER_ID", () => {
    const sim = new Simulation({ start: 0 });
    const id = sim.schedule(10, () => {});
    const before = fingerprint(sim);
    for (const bad of HOSTILE) {
      expect(codeOf(() => sim.cancel(bad as never))).toBe("INVALID_TIMER_ID");
      expect(codeOf(() => sim.isPending(bad as never))).toBe("INVALID_TIMER_ID");
    }
    expect(fingerprint(sim)).toEqual(before);
    // "5" is not coerced into a live id; numbers that name no timer still answer false.
    expect(sim.isPending(id)).toBe(true);
    expect(sim.cancel(-1)).toBe(false);
    expect(sim.cancel(1.5)).toBe(false);
    expect(sim.cancel(Number.NaN)).toBe(false);
    expect(sim.cancel(id)).toBe(true);
  });

  it("a non-string timer label is refused at schedule time, so describePending never throws", () => {
    const sim = new Simulation({ start: 0 });
    sim.after(5, () => {}, { label: "kept" });
    const before = fingerprint(sim);
    for (const label of [Symbol("x"), 5n, 5, {}, circular(), null]) {
      const options = { label } as never;
      expect(codeOf(() => sim.after(1, () => {}, options))).toBe("INVALID_ARGUMENT");
      expect(codeOf(() => sim.at(1, () => {}, options))).toBe("INVALID_ARGUMENT");
      expect(codeOf(() => sim.every(1, () => {}, options))).toBe("INVALID_ARGUMENT");
      expect(codeOf(() => sim.cron("* * * * *", () => {}, options))).toBe("INVALID_ARGUMENT");
    }
    expect(fingerprint(sim)).toEqual(before);
    expect(sim.describePending()).toEqual(["5 kept"]);
  });

  it("labels are also checked inside a process (owned timers)", async () => {
    const sim = new Simulation({ start: 0 });
    let code: string | undefined;
    sim.spawn("worker", () => {
      code = codeOf(() => sim.after(1, () => {}, { label: Symbol("y") as never }));
    });
    await sim.run();
    expect(code).toBe("INVALID_ARGUMENT");
    expect(() => sim.describePending()).not.toThrow();
  });

  it("schedule and scheduleBackground refuse a non-number time with INVALID_TIME", () => {
    const sim = new Simulation({ start: 0 });
    const before = fingerprint(sim);
    for (const bad of [Symbol("t"), 5n, "5", null, {}, circular()]) {
      expect(codeOf(() => sim.schedule(bad as never, () => {}))).toBe("INVALID_TIME");
      expect(codeOf(() => sim.scheduleBackground(bad as never, () => {}))).toBe("INVALID_TIME");
    }
    expect(fingerprint(sim)).toEqual(before);
  });

  it("describePending refuses a bad limit with INVALID_ARGUMENT", () => {
    const sim = new Simulation({ start: 0 });
    for (const bad of [Symbol("n"), 5n, -1, 1.5, "3", null]) {
      expect(codeOf(() => sim.describePending(bad as never))).toBe("INVALID_ARGUMENT");
    }
    expect(sim.describePending(0)).toEqual([]);
  });

  it("messages print hostile values safely (no TypeError while building the refusal)", async () => {
    const bare = Object.create(null) as object; // String(bare) throws a TypeError
    const sim = new Simulation({ start: 0 });
    await expect(sim.until(bare as never)).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    expect(codeOf(() => sim.own(bare as never))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => installTimers(sim, { date: bare as never }))).toBe("INVALID_ARGUMENT");
    const random = new RandomSource(1);
    expect(codeOf(() => random.bernoulli(bare as never))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => random.exponential(bare as never))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => random.normal(0, bare as never))).toBe("INVALID_ARGUMENT");
  });

  it("fnv1a64 refuses anything but a string with INVALID_ARGUMENT", () => {
    for (const bad of [5, 5n, Symbol("s"), null, undefined, {}, [], circular(), new Uint8Array(2)]) {
      expect(codeOf(() => fnv1a64(bad as never))).toBe("INVALID_ARGUMENT");
    }
    expect(fnv1a64("")).toBe("cbf29ce484222325");
  });
});

describe("issue 12 / defect 8 (kernel part): stream names", () => {
  const first = (r: RandomSource) => [r.nextUint32(), r.nextUint32(), r.nextUint32()];

  it('fork("a/b") is a different stream from fork("a").fork("b")', () => {
    const slash = new RandomSource(1).fork("a/b");
    const nested = new RandomSource(1).fork("a").fork("b");
    expect(slash.path).toBe("root/a%2Fb");
    expect(nested.path).toBe("root/a/b");
    expect(first(slash)).not.toEqual(first(nested));
    // The escape is injective: a literal "%2F" in a name is a third stream.
    const literal = new RandomSource(1).fork("a%2Fb");
    expect(literal.path).toBe("root/a%252Fb");
    expect(first(literal)).not.toEqual(first(new RandomSource(1).fork("a/b")));
  });

  it("names without / or % keep their streams (values of the previous implementation)", () => {
    const root = new RandomSource(1);
    expect(root.fork("plain").nextUint32()).toBe(614135105);
    expect(root.fork("a").fork("b").nextUint32()).toBe(1998816296);
  });

  it('seed 1 and seed "1" are the same seed (documented)', () => {
    expect(first(new RandomSource(1).fork("x"))).toEqual(first(new RandomSource("1").fork("x")));
    expect(first(new RandomSource(1))).not.toEqual(first(new RandomSource("01")));
  });

  it("RandomSource refuses a non-string path with INVALID_ARGUMENT", () => {
    for (const bad of [Symbol("p"), 5n, 5, null, {}, ""]) {
      expect(codeOf(() => new RandomSource(1, bad as never))).toBe("INVALID_ARGUMENT");
    }
  });
});
