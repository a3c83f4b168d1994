import { describe, expect, it } from "vitest";
import { CronSchedule } from "../../src/scheduler/cron-schedule.js";
import { BrokerlabError } from "../../src/scheduler/errors.js";
import { Simulation } from "../../src/scheduler/simulation.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();

describe("cron schedules", () => {
  it("fires 0 2 * * * daily at 02:00 UTC", async () => {
    const sim = new Simulation({ start: Date.UTC(2026, 0, 1, 12, 0) });
    const fired: string[] = [];
    sim.cron("0 2 * * *", () => fired.push(iso(sim.now)));
    await sim.runFor(3 * DAY);
    expect(fired).toEqual([
      "2026-01-02T02:00:00.000Z",
      "2026-01-03T02:00:00.000Z",
      "2026-01-04T02:00:00.000Z",
    ]);
  });

  it("reads the expression in the given time zone", () => {
    const schedule = new CronSchedule("0 2 * * *", { tz: "America/New_York" });
    // 02:00 in New York on 2026-01-01 (EST, UTC-5) is 07:00 UTC.
    expect(iso(schedule.nextAfter(Date.UTC(2026, 0, 1, 0, 0))!)).toBe("2026-01-01T07:00:00.000Z");
  });

  // 2026-03-13 is a Friday. "0 0 13 * 5": the 13th, or a Friday (cron), or a Friday the 13th (Celery).
  it("combines restricted day fields with OR, as cron does", () => {
    const schedule = new CronSchedule("0 0 13 * 5");
    const runs = collect(schedule, Date.UTC(2026, 2, 1), 4);
    expect(runs).toEqual([
      "2026-03-06T00:00:00.000Z", // Friday
      "2026-03-13T00:00:00.000Z", // Friday and the 13th
      "2026-03-20T00:00:00.000Z", // Friday
      "2026-03-27T00:00:00.000Z", // Friday
    ]);
    expect(collect(schedule, Date.UTC(2026, 3, 1), 2)).toEqual([
      "2026-04-03T00:00:00.000Z",
      "2026-04-10T00:00:00.000Z",
    ]);
    expect(collect(schedule, Date.UTC(2026, 3, 11), 2)).toEqual([
      "2026-04-13T00:00:00.000Z",
      "2026-04-17T00:00:00.000Z",
    ]);
  });

  it("combines restricted day fields with AND, as Celery's crontab does", () => {
    const schedule = new CronSchedule("0 0 13 * 5", { dayFields: "and" });
    expect(collect(schedule, Date.UTC(2026, 0, 1), 3)).toEqual([
      "2026-02-13T00:00:00.000Z",
      "2026-03-13T00:00:00.000Z",
      "2026-11-13T00:00:00.000Z",
    ]);
  });

  it("does not replay runs missed while stopped", async () => {
    const sim = new Simulation({ start: 0 });
    const fired: number[] = [];
    const hourly = sim.cron("0 * * * *", () => fired.push(sim.now / HOUR));
    await sim.runFor(2.5 * HOUR);
    expect(hourly.stop()).toBe(true);
    await sim.runFor(5 * HOUR); // 03:00 … 07:00 missed
    hourly.resume();
    await sim.runFor(2 * HOUR);
    expect(fired).toEqual([1, 2, 8, 9]);
    expect(hourly.fired).toBe(4);
  });

  it("does not count as work for run()", async () => {
    const sim = new Simulation({ start: 0 });
    const schedule = sim.cron("*/5 * * * *", () => {});
    sim.after(12 * 60_000, () => {});
    await sim.run();
    expect(sim.now).toBe(12 * 60_000);
    expect(schedule.fired).toBe(2);
    expect(schedule.nextRunAt).toBe(15 * 60_000);
  });

  it("refuses bad expressions and time zones with INVALID_CRON, scheduling nothing", () => {
    const sim = new Simulation({ start: 0 });
    for (const bad of ["", "* * *", "61 * * * *", "* * 32 * *", "hello", "* * * * * * * *"]) {
      expect(() => sim.cron(bad, () => {})).toThrow(BrokerlabError);
    }
    try {
      sim.cron("0 2 * * *", () => {}, { tz: "Mars/Olympus" });
      expect.unreachable();
    } catch (error) {
      expect((error as BrokerlabError).code).toBe("INVALID_CRON");
    }
    expect(sim.pendingCount).toBe(0);
  });
});

function collect(schedule: CronSchedule, from: number, count: number): string[] {
  const out: string[] = [];
  let t = from;
  for (let i = 0; i < count; i++) {
    t = schedule.nextAfter(t)!;
    out.push(iso(t));
  }
  return out;
}
