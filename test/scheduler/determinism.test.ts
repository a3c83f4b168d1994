import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RandomSource } from "../../src/scheduler/random.js";
import { Simulation } from "../../src/scheduler/simulation.js";
import { fnv1a64, stableStringify } from "../../src/scheduler/trace.js";

/** A small randomized workload: arrivals at exponential gaps, lognormal service, random crashes. */
async function workload(seed: number | string): Promise<string> {
  const sim = new Simulation({ start: 0, seed });
  const trace = sim.trace();
  const arrivals = sim.random.fork("arrivals");
  const service = sim.random.fork("service");
  let t = 0;
  for (let i = 0; i < 50; i++) {
    t += arrivals.exponential(10);
    sim.at(t, async () => {
      sim.record("arrive", { i });
      await sim.sleep(service.lognormal(Math.log(5), 0.5));
      sim.record("done", { i, picked: service.pick(["a", "b", "c"]) });
    });
  }
  await sim.run();
  return trace.hash();
}

describe("determinism", () => {
  it("gives identical trace hashes for the same seed", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.integer(), fc.string()), async (seed) => {
        expect(await workload(seed)).toBe(await workload(seed));
      }),
      { numRuns: 30 },
    );
  });

  it("gives different traces for different seeds where randomness is used", async () => {
    const hashes = new Set<string>();
    for (let seed = 0; seed < 20; seed++) hashes.add(await workload(seed));
    expect(hashes.size).toBe(20);
  });

  it("does not let draws on one forked stream shift another", () => {
    fc.assert(
      fc.property(fc.integer(), fc.nat(50), (seed, extraDraws) => {
        const quiet = new RandomSource(seed);
        const busy = new RandomSource(seed);
        const noisy = busy.fork("faults");
        for (let i = 0; i < extraDraws; i++) noisy.float();
        for (let i = 0; i < extraDraws; i++) busy.float(); // even the parent stream may draw
        const a = Array.from({ length: 5 }, () => quiet.fork("service").float());
        const b = Array.from({ length: 5 }, () => busy.fork("service").float());
        expect(b).toEqual(a);
      }),
    );
  });

  it("returns the same stream object for the same fork name and different streams for different names", () => {
    const random = new RandomSource("x");
    expect(random.fork("a")).toBe(random.fork("a"));
    expect(random.fork("a").float()).not.toBe(random.fork("b").float());
    expect(random.fork("a").fork("b").path).toBe("root/a/b");
  });

  it("serializes traces with sorted keys, so insertion order of user objects never matters", () => {
    expect(stableStringify({ b: 1, a: 2 })).toBe(stableStringify({ a: 2, b: 1 }));
    expect(stableStringify({ a: new Uint8Array([1, 255]), n: Number.NaN, big: 10n })).toBe(
      '{"a":{"$bytes":"01ff"},"big":"10n","n":"NaN"}',
    );
  });

  it("computes FNV-1a 64 (over UTF-16LE code units)", () => {
    expect(fnv1a64("")).toBe("cbf29ce484222325");
    // FNV-1a 64 of the bytes "a\0" (UTF-16LE of "a").
    expect(fnv1a64("a")).toBe("089be207b544f1e4");
    expect(fnv1a64("ab")).not.toBe(fnv1a64("ba"));
  });
});

describe("random distributions", () => {
  const random = new RandomSource(12345);
  const n = 200_000;

  it("draws floats uniformly in [0, 1)", () => {
    let sum = 0;
    let min = 1;
    let max = 0;
    for (let i = 0; i < n; i++) {
      const x = random.float();
      sum += x;
      min = Math.min(min, x);
      max = Math.max(max, x);
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    expect(sum / n).toBeCloseTo(0.5, 2);
  });

  it("draws integers in the inclusive range without bias", () => {
    const counts = new Array(6).fill(0);
    for (let i = 0; i < n; i++) counts[random.int(1, 6) - 1]++;
    for (const count of counts) expect(Math.abs(count / n - 1 / 6)).toBeLessThan(0.01);
    fc.assert(
      fc.property(fc.integer({ min: -1000, max: 1000 }), fc.nat(1000), (min, span) => {
        const x = random.int(min, min + span);
        return x >= min && x <= min + span && Number.isInteger(x);
      }),
    );
  });

  it("matches the exponential, normal and lognormal moments", () => {
    let sumExp = 0;
    let sumN = 0;
    let sumN2 = 0;
    let sumLog = 0;
    for (let i = 0; i < n; i++) {
      sumExp += random.exponential(20);
      const z = random.normal(3, 2);
      sumN += z;
      sumN2 += z * z;
      sumLog += Math.log(random.lognormal(1, 0.5));
    }
    expect(sumExp / n).toBeCloseTo(20, 0);
    const mean = sumN / n;
    expect(mean).toBeCloseTo(3, 1);
    expect(Math.sqrt(sumN2 / n - mean * mean)).toBeCloseTo(2, 1);
    expect(sumLog / n).toBeCloseTo(1, 1);
  });

  it("shuffles into a permutation and picks members", () => {
    const items = Array.from({ length: 20 }, (_, i) => i);
    const shuffled = random.shuffle([...items]);
    expect([...shuffled].sort((a, b) => a - b)).toEqual(items);
    expect(shuffled).not.toEqual(items);
    expect(items).toContain(random.pick(items));
    expect(random.bernoulli(0)).toBe(false);
    expect(random.bernoulli(1)).toBe(true);
  });
});
