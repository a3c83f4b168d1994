import { describe, expect, it } from "vitest";
import { Simulation } from "../../src/scheduler/simulation.js";
import { DedupeStore } from "../../src/semantics/dedupe.js";

async function race(atomic: boolean): Promise<number> {
  const sim = new Simulation({ seed: 1, start: 0 });
  const store = new DedupeStore(sim, { atomic, latencyMs: 2 });
  let charges = 0;
  const handle = async () => {
    if (await store.setIfAbsent("payment:7", "charging", 60_000)) charges++;
  };
  const both = Promise.all([handle(), handle()]);
  await sim.run();
  await both;
  return charges;
}

describe("DedupeStore", () => {
  it("keys expire on virtual time", async () => {
    const sim = new Simulation({ seed: 1, start: 0 });
    const store = new DedupeStore(sim, { latencyMs: 1 });
    const done = (async () => {
      await store.setex("payment:1", 1000, "done");
      const early = await store.get("payment:1");
      await sim.sleep(1000);
      return [early, await store.get("payment:1")];
    })();
    await sim.run();
    expect(await done).toEqual(["done", null]);
  });

  it("atomic check-and-set lets exactly one of two concurrent deliveries through; the racy one lets both", async () => {
    expect(await race(true)).toBe(1);
    expect(await race(false)).toBe(2);
  });

  it("refuses bad arguments", () => {
    const sim = new Simulation({ start: 0, seed: 1 });
    expect(() => new DedupeStore(sim, { latencyMs: -1 })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
    expect(() => new DedupeStore(sim, { ttl: 1 } as never)).toThrow(
      expect.objectContaining({ code: "UNKNOWN_OPTION" }),
    );
  });
});
