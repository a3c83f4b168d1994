import { describe, expect, it } from "vitest";
import { Simulation } from "../../src/scheduler/simulation.js";
import { tasks } from "../../src/tasks/app.js";
import { crontab, every } from "../../src/tasks/schedules.js";

const DAY = 86_400_000;

function beatWorld(start: number) {
  const sim = new Simulation({ seed: 1, start });
  const app = tasks(sim);
  const fired: number[] = [];
  const job = app.task("job", () => fired.push(sim.now));
  app.worker();
  return { sim, app, job, fired };
}

/** Every UTC day in [from, from + days) whose date passes `keep`, at hh:mm — computed without croner. */
function expectedInstants(from: number, days: number, hh: number, mm: number, keep: (d: Date) => boolean) {
  const out: number[] = [];
  const start = new Date(from);
  for (let i = 0; i < days; i++) {
    const at = Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate() + i, hh, mm);
    if (at > from && keep(new Date(at))) out.push(at);
  }
  return out;
}

describe("beat", () => {
  it("a daily crontab fires at the expected instants across a leap day and a month boundary", async () => {
    const start = Date.UTC(2028, 1, 26, 12, 0); // 2028-02-26 12:00 UTC; 2028 is a leap year
    const { sim, app, job, fired } = beatWorld(start);
    const beat = app.beat();
    beat.add("nightly", job.s(), crontab({ minute: 30, hour: 2 }));
    beat.start();
    await sim.runUntil(start + 6 * DAY);
    const expected = expectedInstants(start, 7, 2, 30, () => true).filter((t) => t <= start + 6 * DAY);
    expect(fired).toEqual(expected);
    expect(fired.map((t) => new Date(t).toISOString().slice(5, 10))).toEqual([
      "02-27",
      "02-28",
      "02-29",
      "03-01",
      "03-02",
      "03-03",
    ]);
  });

  it("day fields are AND-ed (Celery), Sunday = 0", async () => {
    const start = Date.UTC(2026, 0, 1);
    const { sim, app, job, fired } = beatWorld(start);
    const beat = app.beat();
    beat.add("friday-13th", job, crontab({ minute: 0, hour: 9, dayOfMonth: 13, dayOfWeek: 5 }));
    beat.start();
    await sim.runUntil(start + 365 * DAY);
    const expected = expectedInstants(start, 366, 9, 0, (d) => d.getUTCDate() === 13 && d.getUTCDay() === 5);
    expect(fired).toEqual(expected.filter((t) => t <= start + 365 * DAY));
    expect(fired.length).toBe(3); // Feb, Mar and Nov 2026

    const sundays = beatWorld(start);
    const b = sundays.app.beat();
    b.add("sunday", sundays.job, crontab({ minute: 0, hour: 0, dayOfWeek: 0 }));
    b.start();
    await sundays.sim.runUntil(start + 28 * DAY);
    expect(sundays.fired.map((t) => new Date(t).getUTCDay())).toEqual([0, 0, 0, 0]);
  });

  it("missed runs are not caught up: after a pause an overdue entry runs once, now", async () => {
    const start = Date.UTC(2026, 0, 1);
    const { sim, app, job, fired } = beatWorld(start);
    const beat = app.beat();
    beat.add("hourly", job, crontab({ minute: 0 }));
    beat.start();
    await sim.runUntil(start + 2.5 * 3_600_000);
    beat.stop();
    await sim.runUntil(start + 10.5 * 3_600_000);
    beat.start();
    await sim.runUntil(start + 12.2 * 3_600_000);
    const hours = fired.map((t) => (t - start) / 3_600_000);
    expect(hours).toEqual([1, 2, 10.5, 11, 12]);
  });

  it("every(ms) runs once the interval passed since the last run", async () => {
    const { sim, app, job, fired } = beatWorld(0);
    const beat = app.beat();
    beat.add("tick", job, every(30_000));
    beat.start();
    await sim.runUntil(100_000);
    expect(fired).toEqual([30_000, 60_000, 90_000]);
    expect(beat.entry("tick")?.runs).toBe(3);
  });

  it("30 nightly runs over 30 virtual days, and sim.run() does not wait for beat", async () => {
    const start = Date.UTC(2025, 0, 1);
    const { sim, app, job, fired } = beatWorld(start);
    const beat = app.beat("main");
    beat.add("cleanup", job, crontab({ minute: 0, hour: 2 }));
    beat.start();
    await sim.runUntil(start + 30 * DAY);
    expect(fired.length).toBe(30);
    await sim.run();
    expect(sim.now).toBe(start + 30 * DAY);
  });
});
