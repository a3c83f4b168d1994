import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BrokerlabError, Simulation } from "../../src/index.js";

const root = join(import.meta.dirname, "..", "..");

/** Runs a script in a fresh Node process and reports whether it exited by itself in time. */
function runScript(source: string, timeoutMs: number) {
  return spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", source], {
    cwd: root,
    timeout: timeoutMs,
    encoding: "utf8",
  });
}

describe("kernel regressions (issue 8)", () => {
  it("the clock never goes backwards: work a microtask schedules between drive calls is not in the past", async () => {
    const sim = new Simulation({ start: 0 });
    const seen: number[] = [];
    sim.after(5000, () => {});
    void Promise.resolve().then(() => sim.after(0, () => seen.push(sim.now)));
    await sim.runFor(10_000);
    expect(sim.now).toBe(10_000);
    // The drive lets code queued before it run first, so `f` is scheduled at 0 and runs at 0.
    expect(seen).toEqual([0]);
    await sim.runFor(1);
    expect(seen).toEqual([0]);
    expect(sim.now).toBe(10_001);
  });

  it("schedule and defer refuse a callback that is not a function, and nothing is scheduled", () => {
    const sim = new Simulation({ start: 0 });
    for (const bad of [null, undefined, 5, "f", {}]) {
      expect(() => sim.schedule(10, bad as never)).toThrow(BrokerlabError);
      expect(() => sim.defer(bad as never)).toThrow(BrokerlabError);
    }
    expect(sim.pendingCount).toBe(0);
  });

  it("an auto simulation with nothing but a finished timer lets a Node script exit by itself", () => {
    const result = runScript(
      'import { Simulation } from "./src/index.ts"; const s = new Simulation({ start: 0, drive: "auto" }); ' +
        "let fired = 0; s.after(10, () => { fired++; }); setTimeout(() => console.log('fired', fired), 50);",
      20_000,
    );
    expect(result.error).toBeUndefined();
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("fired 1");
  });

  it("an auto simulation whose next periodic timer lies past the idle horizon parks instead of spinning", () => {
    // Before the fix the runner re-armed a macrotask forever (the horizon never moved), keeping
    // the process alive at full CPU.
    const result = runScript(
      'import { Simulation } from "./src/index.ts"; const s = new Simulation({ start: 0, drive: "auto", autoIdleMs: 1000 }); ' +
        "s.every(60_000, () => {}); s.after(5, () => console.log('work at', s.now - s.start));",
      20_000,
    );
    expect(result.error).toBeUndefined();
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("work at 5");
  });
});
