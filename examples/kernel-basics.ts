// The README's first example: one virtual clock, timers, async handlers, a seeded random source.
// Run with: npx tsx examples/kernel-basics.ts
import { Simulation } from "brokerlab";

const sim = new Simulation({ seed: 42 });
const trace = sim.trace();
const service = sim.random.fork("service");

sim.every(1000, () => sim.record("heartbeat")); // background: run() does not wait for it

for (let order = 1; order <= 3; order++) {
  sim.after(order * 400, async () => {
    sim.record("received", { order });
    await sim.sleep(service.exponential(500)); // virtual time: returns instantly
    sim.record("shipped", { order, at: Math.round(sim.now - sim.start) });
  });
}

await sim.run(); // until no work is left
for (const { time, type, payload } of trace.entries)
  console.log(new Date(time).toISOString(), type, JSON.stringify(payload)); // virtual time, from 2025-01-01
console.log("trace hash", trace.hash()); // same seed ⇒ same hash, on every machine
