// Issue 12, defect 9: traces in constant memory. The hash is computed as events arrive, over the
// same bytes in the same order as serialize(), so it never depends on what is kept; kept lines
// and entries can be bounded to the last n.
import { describe, expect, it } from "vitest";
import { Simulation } from "../../src/scheduler/simulation.js";
import { fnv1a64, TraceRecorder } from "../../src/scheduler/trace.js";
import { codeOf } from "../helpers/refusal.js";

type Keep = boolean | number;

/** The README's kernel example (examples/kernel-basics.ts); its hash is pinned below. */
async function kernelBasics(keepEntries: Keep): Promise<TraceRecorder> {
  const sim = new Simulation({ seed: 42 });
  const trace = sim.trace({ keepEntries });
  const service = sim.random.fork("service");
  sim.every(1000, () => sim.record("heartbeat"));
  for (let order = 1; order <= 3; order++) {
    sim.after(order * 400, async () => {
      sim.record("received", { order });
      await sim.sleep(service.exponential(500));
      sim.record("shipped", { order, at: Math.round(sim.now - sim.start) });
    });
  }
  await sim.run();
  return trace;
}

/** A long run: `n` timers, each recording one event (plus the scheduler's own events). */
async function longRun(
  n: number,
  keepEntries: Keep,
  probe?: (trace: TraceRecorder) => void,
): Promise<TraceRecorder> {
  const sim = new Simulation({ seed: 7, start: 0 });
  const trace = sim.trace({ keepEntries });
  const random = sim.random.fork("payload");
  for (let i = 0; i < n; i++) {
    sim.after(i, () => {
      sim.record("tick", { i, x: random.int(0, 1_000_000), text: "héllo €" });
      if (probe !== undefined && i % 10_000 === 0) probe(trace);
    });
  }
  await sim.run();
  return trace;
}

describe("issue 12 / defect 9: trace hash in constant memory", () => {
  it("keepEntries: false retains no line during a long run, and hashes like the kept run", async () => {
    const n = 100_000;
    const retainedSeen: number[] = [];
    const lean = await longRun(n, false, (trace) => retainedSeen.push(trace.retained));
    expect(retainedSeen.length).toBe(n / 10_000);
    expect(retainedSeen.every((r) => r === 0)).toBe(true);
    expect(lean.retained).toBe(0);
    expect(lean.entries.length).toBe(0);
    expect(lean.length).toBeGreaterThanOrEqual(n);

    const full = await longRun(n, true);
    expect(full.length).toBe(lean.length);
    expect(full.retained).toBe(full.length);
    expect(lean.hash()).toBe(full.hash());
    // The incremental hash is the hash of the serialized text, byte for byte.
    expect(full.hash()).toBe(fnv1a64(full.serialize()));
  });

  it("keeps existing trace hashes byte-identical, whatever is kept", async () => {
    // Printed by `node --import tsx examples/kernel-basics.ts` before the incremental hash.
    for (const keep of [true, false, 0, 1, 5, 1_000]) {
      expect((await kernelBasics(keep)).hash()).toBe("9ce457e5bb3f5cf6");
    }
  });

  it("fnv1a64 keeps its values (low and high byte of each UTF-16 unit)", () => {
    // Values of the previous implementation.
    expect(fnv1a64("")).toBe("cbf29ce484222325");
    expect(fnv1a64("a\nb")).toBe("cf254b78590d38dc");
    expect(fnv1a64("héllo €\n𝄞")).toBe("daf8f5d0d4090a00");
  });

  it("keepEntries: n keeps a ring of the last n lines and entries, oldest first", async () => {
    const full = await kernelBasics(true);
    const ring = await kernelBasics(3);
    expect(ring.length).toBe(full.length);
    expect(ring.retained).toBe(3);
    expect(ring.entries).toEqual(full.entries.slice(-3));
    expect(ring.serializeRetained()).toBe(full.serialize().split("\n").slice(-3).join("\n"));
    expect(ring.hash()).toBe(full.hash());

    // A ring larger than the run keeps everything and still serializes.
    const roomy = await kernelBasics(1_000);
    expect(roomy.retained).toBe(full.length);
    expect(roomy.serialize()).toBe(full.serialize());
    expect(roomy.entries).toEqual(full.entries);
  });

  it("a ring stays bounded over a long run", async () => {
    const sizes: number[] = [];
    const trace = await longRun(50_000, 100, (t) => sizes.push(t.retained));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(100);
    expect(trace.retained).toBe(100);
    expect(trace.entries.length).toBe(100);
    expect(trace.entries.at(-1)?.payload).toMatchObject({ label: "tick", data: { i: 49_999 } });
  });

  it("serialize() refuses with TRACE_NOT_RETAINED once lines were dropped", async () => {
    const lean = await kernelBasics(false);
    expect(codeOf(() => lean.serialize())).toBe("TRACE_NOT_RETAINED");
    const ring = await kernelBasics(2);
    expect(codeOf(() => ring.serialize())).toBe("TRACE_NOT_RETAINED");
    expect(lean.serializeRetained()).toBe("");
  });

  it("refuses a bad keepEntries with INVALID_ARGUMENT and records nothing", () => {
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, "3", 5n, Symbol("k"), null, {}]) {
      const sim = new Simulation({ start: 0 });
      expect(codeOf(() => sim.trace({ keepEntries: bad as never }))).toBe("INVALID_ARGUMENT");
      // No tap was installed: nobody wants events.
      expect(sim.bus.wants("user.record")).toBe(false);
    }
    const sim = new Simulation({ start: 0 });
    expect(codeOf(() => new TraceRecorder(sim.bus, -3))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => new TraceRecorder(null as never))).toBe("INVALID_ARGUMENT");
    expect(sim.bus.wants("user.record")).toBe(false);
  });
});
