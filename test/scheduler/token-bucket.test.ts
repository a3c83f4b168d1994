import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BrokerlabError } from "../../src/scheduler/errors.js";
import { parseRate } from "../../src/scheduler/rate.js";
import { Simulation } from "../../src/scheduler/simulation.js";
import { TokenBucket } from "../../src/scheduler/token-bucket.js";

describe("token bucket", () => {
  it('admits one call every 600 ms at "100/m" with capacity 1', async () => {
    const sim = new Simulation({ start: 0 });
    const bucket = new TokenBucket(sim, { rate: "100/m" });
    const admitted: number[] = [];
    // Try every millisecond for 3 seconds.
    sim.every(
      1,
      () => {
        if (bucket.tryTake()) admitted.push(sim.now);
      },
      { firstDelayMs: 0 },
    );
    await sim.runFor(3000);
    expect(admitted).toEqual([0, 600, 1200, 1800, 2400, 3000]);
  });

  it("tells how long until tokens are back", () => {
    const sim = new Simulation({ start: 0 });
    const bucket = new TokenBucket(sim, { rate: "10/s", capacity: 5 });
    expect(bucket.tryTake(5)).toBe(true);
    expect(bucket.tryTake()).toBe(false);
    expect(bucket.msUntilAvailable()).toBe(100);
    expect(bucket.msUntilAvailable(3)).toBe(300);
    expect(() => bucket.msUntilAvailable(6)).toThrow(BrokerlabError);
  });

  it("never admits more than capacity + rate × elapsed", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1000 }),
        fc.constantFrom("s", "m", "h"),
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 1, maxLength: 60 }),
        async (count, unit, capacity, gaps) => {
          const sim = new Simulation({ start: 0 });
          const bucket = new TokenBucket(sim, { rate: `${count}/${unit}`, capacity });
          const periodMs = { s: 1000, m: 60_000, h: 3_600_000 }[unit];
          let admitted = 0;
          for (const gap of gaps) {
            await sim.runFor(gap);
            while (bucket.tryTake()) admitted++;
            expect(admitted).toBeLessThanOrEqual(capacity + Math.floor((sim.now * count) / periodMs) + 1e-9);
          }
        },
      ),
      { numRuns: 50 },
    );
  });

  it("parses Celery-style rates and refuses bad ones with INVALID_RATE", () => {
    expect(parseRate("100/m")).toEqual({ count: 100, periodMs: 60_000 });
    expect(parseRate("10/s")).toEqual({ count: 10, periodMs: 1000 });
    expect(parseRate("1000/h")).toEqual({ count: 1000, periodMs: 3_600_000 });
    expect(parseRate(4)).toEqual({ count: 4, periodMs: 1000 });
    for (const bad of ["100", "100/d", "0/s", "-1/s", "/m", "ten/s", 0, -3, Number.NaN, null]) {
      try {
        parseRate(bad as never);
        expect.unreachable(String(bad));
      } catch (error) {
        expect((error as BrokerlabError).code).toBe("INVALID_RATE");
      }
    }
  });
});
