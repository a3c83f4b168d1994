// The output excerpts in README.md and docs/*.md are what the examples print today:
// scripts/readme-excerpts.mjs --check reruns every example named by an <!-- output: … --> region.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");

describe("doc output excerpts", () => {
  it("match what the examples print (node scripts/readme-excerpts.mjs rewrites them)", () => {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
    delete env.FORCE_COLOR;
    const run = spawnSync(process.execPath, [join(ROOT, "scripts", "readme-excerpts.mjs"), "--check"], {
      cwd: ROOT,
      env,
      encoding: "utf8",
      timeout: 120_000,
    });
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toMatch(/excerpt\(s\) from \d+ example\(s\) are up to date/);
  }, 150_000);
});
