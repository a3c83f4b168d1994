import { describe, expect, it } from "vitest";
import { BrokerlabError, InvalidArgumentError } from "../../src/scheduler/errors.js";
import { Simulation } from "../../src/scheduler/simulation.js";
import { TokenBucket } from "../../src/scheduler/token-bucket.js";

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(BrokerlabError);
    expect((error as Error).message.length).toBeGreaterThan(20);
    return (error as BrokerlabError).code;
  }
  throw new Error("expected a BrokerlabError");
}

describe("bad input", () => {
  it("refuses bad options, naming the option", () => {
    expect(codeOf(() => new Simulation({ start: 0, sed: 1 } as never))).toBe("UNKNOWN_OPTION");
    expect(codeOf(() => new Simulation({ start: 0, seed: Number.NaN }))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => new Simulation({ start: Number.POSITIVE_INFINITY }))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => new Simulation({ start: 0, drive: "turbo" as never }))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => new Simulation({ start: 0, speed: 2 }))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => new Simulation({ start: 0, maxEventsPerRun: 0 }))).toBe("INVALID_ARGUMENT");
    expect(() => new Simulation({ start: 0, sed: 1 } as never)).toThrow(/unknown option "sed"/);
  });

  it("refuses negative, non-finite and past times without scheduling anything", async () => {
    const sim = new Simulation({ start: 100 });
    await sim.runFor(10);
    const before = { now: sim.now, pending: sim.pendingCount };
    expect(codeOf(() => sim.after(-1, () => {}))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => sim.after(Number.NaN, () => {}))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => sim.after(Number.POSITIVE_INFINITY, () => {}))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => sim.at(50, () => {}))).toBe("INVALID_TIME");
    expect(codeOf(() => sim.schedule(50, () => {}))).toBe("INVALID_TIME");
    expect(codeOf(() => sim.schedule(Number.NaN, () => {}))).toBe("INVALID_TIME");
    expect(codeOf(() => sim.every(0, () => {}))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => sim.every(10, () => {}, { firstDelayMs: -1 }))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => sim.after(1, "not a function" as never))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => sim.after(1, () => {}, { lable: "x" } as never))).toBe("UNKNOWN_OPTION");
    expect(codeOf(() => sim.cron("bad", () => {}))).toBe("INVALID_CRON");
    expect(codeOf(() => sim.sleep(-5))).toBe("INVALID_ARGUMENT");
    await expect(sim.runUntil(10)).rejects.toThrow(InvalidArgumentError);
    await expect(sim.runFor(-1)).rejects.toThrow(InvalidArgumentError);
    expect({ now: sim.now, pending: sim.pendingCount }).toEqual(before);
  });

  it("refuses bad rates and capacities", () => {
    const sim = new Simulation({ start: 0 });
    expect(codeOf(() => new TokenBucket(sim, { rate: "fast" }))).toBe("INVALID_RATE");
    expect(codeOf(() => new TokenBucket(sim, { rate: "1/s", capacity: 0 }))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => new TokenBucket(sim, { rate: "1/s", burst: 3 } as never))).toBe("UNKNOWN_OPTION");
  });

  it("refuses bad random arguments", () => {
    const sim = new Simulation({ start: 0 });
    expect(codeOf(() => sim.random.int(5, 1))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => sim.random.int(0.5, 1))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => sim.random.pick([]))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => sim.random.bernoulli(1.5))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => sim.random.exponential(0))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => sim.random.fork(""))).toBe("INVALID_ARGUMENT");
  });
});
