import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Simulation } from "../../src/index.js";

/**
 * Auto mode (issue 8): virtual time advances for work, not idleness; the runner parks, lets a
 * finished host exit, never starves the host's own timers, and follows the wall clock while the
 * program waits on a real timer of its own.
 *
 * Whether "the program has a real timer pending" is read from the host adapter; here it is
 * controlled by the test (`outside`), so these cases do not depend on what vitest itself has
 * pending. The child-process cases at the end run against the real host.
 */
const host = vi.hoisted(() => ({ outside: 0 as number | null }));

vi.mock("../../src/scheduler/host-runner.js", async (importOriginal) => {
  const original = await importOriginal<typeof import("../../src/scheduler/host-runner.js")>();
  return { ...original, hostOutsideWork: () => host.outside };
});

const root = join(import.meta.dirname, "..", "..");

/** Runs a script in a fresh Node process (real host adapter) and reports how it ended. */
function runScript(source: string, timeoutMs = 20_000) {
  return spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", source], {
    cwd: root,
    timeout: timeoutMs,
    encoding: "utf8",
  });
}

const wall = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits until the simulation's clock has stood still for `quietMs` of wall time (it parked). */
async function untilStill(sim: Simulation, quietMs = 150, maxMs = 10_000): Promise<number> {
  const started = performance.now();
  let last = sim.now;
  let since = performance.now();
  while (performance.now() - started < maxMs) {
    await wall(5);
    if (sim.now !== last) {
      last = sim.now;
      since = performance.now();
    } else if (performance.now() - since >= quietMs) {
      return last;
    }
  }
  throw new Error(`the clock never stood still (now ${sim.now})`);
}

afterEach(() => {
  host.outside = 0;
});

describe("auto mode: virtual time advances for work, not idleness", () => {
  it("parks autoIdleMs after the last work even when that work ended in the middle of a slice", async () => {
    // Before: a slice that started with work pending ran with no limit, so once the work was done
    // it kept firing the heartbeat for 20 000 events (2 000 000 virtual ms) before looking again.
    const sim = new Simulation({ start: 0, drive: "auto", autoIdleMs: 10_000 });
    let beats = 0;
    sim.every(100, () => beats++);
    sim.after(5, () => {});
    const parkedAt = await untilStill(sim);
    expect(parkedAt).toBeGreaterThanOrEqual(10_000 - 100);
    expect(parkedAt).toBeLessThanOrEqual(5 + 10_000);
    expect(beats).toBeLessThanOrEqual(101);
    sim.close();
  });

  it("wakes from parking on new work, with a fresh idle horizon, and parks again", async () => {
    const sim = new Simulation({ start: 0, drive: "auto", autoIdleMs: 1000 });
    sim.every(100, () => {});
    const firstPark = await untilStill(sim);
    expect(firstPark).toBeLessThanOrEqual(1000);
    const ran: number[] = [];
    sim.after(50, () => ran.push(sim.now)); // scheduled from outside any event: new work
    const secondPark = await untilStill(sim);
    expect(ran).toEqual([firstPark + 50]);
    expect(secondPark).toBeGreaterThanOrEqual(firstPark + 50 + 1000 - 100);
    expect(secondPark).toBeLessThanOrEqual(firstPark + 50 + 1000);
    sim.close();
  });

  it("a nudge wakes a parked runner so background loops see outside changes", async () => {
    // What consumer.resume() does from a real timer: it schedules nothing, only changes state a
    // background loop polls.
    const sim = new Simulation({ start: 0, drive: "auto", autoIdleMs: 1000 });
    let resumed = false;
    let seenAt = -1;
    sim.every(500, () => {
      if (resumed && seenAt < 0) seenAt = sim.now;
    });
    const parkedAt = await untilStill(sim);
    resumed = true;
    await wall(30);
    expect(seenAt).toBe(-1); // parked: nothing polls
    sim.nudge();
    await untilStill(sim);
    expect(seenAt).toBeGreaterThan(parkedAt);
    expect(seenAt).toBeLessThanOrEqual(parkedAt + 500);
    sim.close();
  });

  it("jumps straight to foreground work, however far ahead, even while a program timer is pending", async () => {
    host.outside = 1;
    const sim = new Simulation({ start: 0, drive: "auto" });
    sim.every(1000, () => {}); // a heartbeat on the way
    const started = performance.now();
    await sim.sleep(86_400_000); // a user timer a virtual day ahead is work
    expect(sim.now).toBe(86_400_000);
    expect(performance.now() - started).toBeLessThan(2000);
    sim.close();
  });
});

describe("auto mode: the program's own real timers", () => {
  it("while one is pending and only background work is left, virtual time follows the wall clock", async () => {
    host.outside = 1;
    const sim = new Simulation({ start: 0, drive: "auto" });
    let beats = 0;
    sim.every(10, () => beats++);
    sim.after(0, () => {});
    const started = performance.now();
    await wall(300);
    const elapsed = performance.now() - started;
    // At most the wall time elapsed (plus one period of slack), and it does move.
    expect(sim.now).toBeLessThanOrEqual(elapsed + 10);
    expect(sim.now).toBeGreaterThanOrEqual(100);
    expect(beats).toBeGreaterThanOrEqual(10);
    // The program's timer is gone: the runner may jump again, to the idle horizon, and parks.
    host.outside = 0;
    const parkedAt = await untilStill(sim);
    expect(parkedAt).toBeGreaterThanOrEqual(600_000 - 10);
    expect(parkedAt).toBeLessThanOrEqual(600_000);
    sim.close();
  });

  it("where the host cannot tell (null), the runner jumps as if no timer were pending", async () => {
    host.outside = null;
    const sim = new Simulation({ start: 0, drive: "auto", autoIdleMs: 50_000 });
    sim.every(10, () => {});
    sim.after(0, () => {});
    const parkedAt = await untilStill(sim);
    expect(parkedAt).toBeGreaterThanOrEqual(50_000 - 10);
    expect(parkedAt).toBeLessThanOrEqual(50_000);
    sim.close();
  });
});

describe("auto mode never starves the host", () => {
  const busyWorkloads: [string, (sim: Simulation, running: () => boolean) => void][] = [
    [
      "synchronous events",
      (sim, running) => {
        const loop = () => {
          if (running()) sim.after(1, loop);
        };
        sim.after(1, loop);
      },
    ],
    [
      "expensive synchronous events",
      (sim, running) => {
        const loop = () => {
          let x = 0;
          for (let i = 0; i < 20_000; i++) x += i;
          if (running()) sim.after(1, loop);
          return x > 0 ? undefined : undefined;
        };
        sim.after(1, loop);
      },
    ],
    [
      "async handlers",
      (sim, running) => {
        void (async () => {
          while (running()) await sim.sleep(1);
        })();
      },
    ],
  ];

  for (const [name, start] of busyWorkloads) {
    it(`a real setTimeout(200) fires on time while a busy simulation runs (${name})`, async () => {
      const sim = new Simulation({ start: 0, drive: "auto" });
      let running = true;
      start(sim, () => running);
      const started = performance.now();
      const lateMs = await new Promise<number>((resolve) =>
        setTimeout(() => resolve(performance.now() - started - 200), 200),
      );
      running = false;
      expect(sim.eventCount).toBeGreaterThan(100); // it was busy all along
      expect(lateMs).toBeLessThan(50);
      sim.close();
    });
  }
});

describe("the runners use the host adapter's captured timers", () => {
  it("auto and realtime keep running after the globals are replaced by fake timers", async () => {
    // Before, the runners called the global setImmediate / setTimeout at the time of use: fake
    // timers installed after load froze them.
    const auto = new Simulation({ start: 0, drive: "auto" });
    const realtime = new Simulation({ start: 0, drive: "realtime", speed: 1000 });
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setImmediate", "clearImmediate", "Date"] });
    try {
      const fired = realtime.deferred<number>();
      realtime.after(20_000, () => fired.resolve(realtime.now));
      await auto.sleep(5000);
      expect(auto.now).toBe(5000);
      expect(await fired.promise).toBe(20_000);
    } finally {
      vi.useRealTimers();
      auto.close();
      realtime.close();
    }
  });
});

describe("auto and realtime runners let a finished Node host exit (fresh processes)", () => {
  it("an auto simulation with heartbeats and a never-awaited sim.after(1, fn) exits by itself after the idle horizon", () => {
    const result = runScript(
      'import { Simulation } from "./src/index.ts"; const s = new Simulation({ start: 0, drive: "auto", autoIdleMs: 60_000 }); ' +
        "let beats = 0; s.every(1000, () => beats++); s.after(1, () => console.log('work at', s.now)); " +
        "process.on('exit', () => console.log('exit at', s.now, 'beats', beats));",
    );
    expect(result.error).toBeUndefined();
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("work at 1");
    expect(result.stdout).toMatch(/exit at 60000 beats 60/);
  });

  it("a parked auto simulation uses no CPU and does not move its clock", () => {
    // The host is kept alive by a MessagePort (not a timer of the program's), and measured with
    // an unref'd timer, so nothing tells the runner that the program waits on the wall clock.
    const result = runScript(
      'import { Simulation } from "./src/index.ts"; const s = new Simulation({ start: 0, drive: "auto", autoIdleMs: 60_000 }); ' +
        "s.every(1000, () => {}); s.after(1, () => {}); " +
        "const { port1 } = new MessageChannel(); port1.on('message', () => {}); " +
        "const wait = (ms) => new Promise((r) => setTimeout(r, ms).unref()); " +
        "await wait(100); const v0 = s.now; const c0 = process.cpuUsage(); const w0 = performance.now(); await wait(1000); " +
        "const cpu = process.cpuUsage(c0); const wallMs = performance.now() - w0; " +
        "console.log(JSON.stringify({ v0, advanced: s.now - v0, cpuPct: ((cpu.user + cpu.system) / 1000 / wallMs) * 100 })); port1.close();",
    );
    expect(result.error).toBeUndefined();
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout.trim().split("\n").pop()!) as {
      v0: number;
      advanced: number;
      cpuPct: number;
    };
    expect(report.v0).toBe(60_000);
    expect(report.advanced).toBe(0);
    expect(report.cpuPct).toBeLessThan(5);
  });

  it("a realtime simulation with nothing scheduled, or only heartbeats past the idle horizon, lets the host exit", () => {
    const result = runScript(
      'import { Simulation } from "./src/index.ts"; ' +
        'const a = new Simulation({ start: 0, drive: "realtime" }); ' +
        'const b = new Simulation({ start: 0, drive: "realtime", speed: 100, autoIdleMs: 5000 }); ' +
        "let beats = 0; b.every(100, () => beats++); b.after(500, () => console.log('work at', b.now)); " +
        "process.on('exit', () => console.log('exit', a.now, b.now >= 5500, beats));",
    );
    expect(result.error).toBeUndefined();
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("work at 500");
    expect(result.stdout).toMatch(/exit 0 true 5\d/);
  });
});
