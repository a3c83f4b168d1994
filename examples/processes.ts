// Processes, crashes and restarts on the virtual clock, and `until`, the manual-mode await that
// cannot hang. Run with: npx tsx examples/processes.ts
import { Simulation } from "brokerlab";

const sim = new Simulation({ seed: 7 });
const t = () => `t=${sim.now - sim.start}ms`;
const charged: string[] = [];

// A process is the unit that crashes: its code, its timers and the clients it creates.
const billing = sim.spawn("billing", async (ctx) => {
  console.log(`${t()} billing incarnation ${ctx.incarnation} starts`);
  for (const order of ["o-1", "o-2", "o-3"]) {
    if (charged.includes(order)) continue;
    await ctx.sleep(100); // call the payment provider
    charged.push(order);
    await ctx.point("after-charge", order); // a named crash point: the hook may kill us here
    console.log(`${t()} billing recorded ${order}`);
  }
});

// The fault layer decides at every crash point; here: die the second time "after-charge" is reached.
sim.setCrashHook(({ process, point, occurrence }) => {
  const dies = point === "after-charge" && occurrence === 2;
  if (dies) console.log(`${t()} crash ${process.name} at ${point} #${occurrence}`);
  return dies;
});

// until() drives the clock until the promise settles; it rejects with DEADLOCK if nothing can.
const first = await sim.until(billing.exited);
console.log(`${t()} incarnation 1 ended: ${first}`);
billing.restart({ afterMs: 1000 }); // a new incarnation, 1 s later
const second = await sim.until(billing.exited);
console.log(`${t()} incarnation 2 ended: ${second}; charged ${charged.join(", ")}`);
try {
  await sim.until(new Promise(() => {}));
} catch (error) {
  console.log(`${t()} ${(error as Error).message.split(". ")[0]}`);
}
