// Code that uses the host's own timers and clock, on virtual time: `installTimers` (built on
// @sinonjs/fake-timers, the library vitest and jest use) routes setTimeout, setInterval and Date
// through the simulation. Run with: npx tsx examples/program-timers.ts
import { Simulation } from "brokerlab";
import { installTimers } from "brokerlab/timers";

const sim = new Simulation(); // manual mode, starting 2025-01-01T00:00:00Z
const timers = installTimers(sim);

// Unmodified application code: a retry loop with a real-looking sleep, and a polling interval.
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function fetchWithRetry(attempts: number): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    console.log(`${new Date().toISOString()} attempt ${attempt}`);
    if (attempt === attempts) return "ok";
    await sleep(2 ** attempt * 1000); // 2 s, 4 s, 8 s of virtual time
  }
}
const poll = setInterval(() => console.log(`${new Date().toISOString()} poll`), 5000);

const wallStart = performance.now(); // not faked: wall time still measures the run
console.log(`result: ${await sim.until(fetchWithRetry(4))}`);
clearInterval(poll);
console.log(
  `virtual ${(sim.now - sim.start) / 1000} s in ${(performance.now() - wallStart).toFixed(0)} ms of wall time`,
);
timers.uninstall();
