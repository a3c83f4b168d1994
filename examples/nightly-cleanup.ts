// A Celery beat crontab at 02:00 UTC for 30 virtual days, in well under a second of wall time.
// Beat is down from the 10th at 01:00 to the 12th at 15:00: the runs missed meanwhile are not
// caught up — one overdue run happens when beat comes back, then the schedule continues.
// Run with: npx tsx examples/nightly-cleanup.ts
import { Simulation } from "brokerlab";
import { crontab, tasks } from "brokerlab/tasks";

const DAY = 86_400_000;
const start = Date.UTC(2025, 0, 1);
const sim = new Simulation({ seed: 3, start });
const app = tasks(sim, { log: console.log });
const files = sim.random.fork("tmp-files");

const cleanup = app.task("cleanup", async (ctx, dir: string) => {
  const removed = files.int(20, 400);
  await ctx.sleep(removed * 15); // 15 ms per file
  return `${dir}: removed ${removed} files`;
});

app.worker({ name: "maintenance" });
const beat = app.beat();
beat.add("nightly-cleanup", cleanup.s("/var/tmp"), crontab({ minute: 0, hour: 2 }));
beat.start();
sim.at(start + 9 * DAY + 3_600_000, () => {
  app.log("beat: stopped (host rebooting)");
  beat.stop();
});
sim.at(start + 11 * DAY + 15 * 3_600_000, () => beat.start());

const wallStart = performance.now();
await sim.runUntil(start + 30 * DAY);
const wallMs = performance.now() - wallStart;
const entry = beat.entry("nightly-cleanup")!;
console.log(
  `\n${entry.runs} runs in 30 virtual days (the outage skipped 3 nightly runs: 1 overdue run on restart, none caught up) — ${wallMs.toFixed(0)} ms of wall time`,
);
