/**
 * `npm run bench`: runs every benchmark script in bench/ in turn (each prints its own table).
 * Pass `--json` to get JSON from each.
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";

const here = import.meta.dirname;
const skip = new Set(["run-all.ts", "harness.ts"]);
const scripts = readdirSync(here)
  .filter((name) => name.endsWith(".ts") && !skip.has(name))
  .sort();
let failed = 0;
for (const script of scripts) {
  console.log(`\n## ${script}\n`);
  const result = spawnSync(
    process.execPath,
    ["--expose-gc", "--import", "tsx", join(here, script), ...process.argv.slice(2)],
    {
      stdio: "inherit",
    },
  );
  if (result.status !== 0) failed++;
}
process.exitCode = failed === 0 ? 0 : 1;
