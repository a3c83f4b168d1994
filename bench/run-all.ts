/**
 * `npm run bench`: runs every benchmark script in bench/ in turn (amqp, explore, kernel, log,
 * tasks, transactions, …: every `*.ts` here but this file and harness.ts), each in a fresh Node
 * process with `--expose-gc`, and each prints its own table.
 *
 *   npm run bench                      # all of them
 *   npm run bench -- tasks kernel      # only bench/tasks.ts and bench/kernel.ts
 *   npm run bench -- --json            # flags (anything starting with --) go to every script
 *
 * Exits non-zero when a script fails or a name matches no script.
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";

const here = import.meta.dirname;
const skip = new Set(["run-all.ts", "harness.ts"]);
const available = readdirSync(here)
  .filter((name) => name.endsWith(".ts") && !skip.has(name))
  .sort();
const args = process.argv.slice(2);
const flags = args.filter((arg) => arg.startsWith("--"));
const wanted = args.filter((arg) => !arg.startsWith("--")).map((name) => name.replace(/\.ts$/, ""));
let failed = 0;
for (const name of wanted) {
  if (!available.includes(`${name}.ts`)) {
    console.error(`run-all: no bench/${name}.ts (have: ${available.join(", ")})`);
    failed++;
  }
}
const scripts = wanted.length === 0 ? available : available.filter((s) => wanted.includes(s.slice(0, -3)));
for (const script of scripts) {
  console.log(`\n## ${script}\n`);
  const result = spawnSync(
    process.execPath,
    ["--expose-gc", "--import", "tsx", join(here, script), ...flags],
    {
      stdio: "inherit",
    },
  );
  if (result.status !== 0) failed++;
}
process.exitCode = failed === 0 ? 0 : 1;
