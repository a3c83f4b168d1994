// Explores one zoo entry (or all) and prints what brokerlab found.
// Run with: npx tsx examples/zoo/run.ts [name]
import { explore } from "brokerlab";
import { ZOO } from "./index.js";

const wanted = process.argv[2];
for (const entry of ZOO) {
  if (wanted !== undefined && entry.name !== wanted) continue;
  const buggy = await explore(entry.buggy, {
    runs: entry.runs ?? 200,
    seed: 1,
    faults: entry.faults,
    expect: entry.expect,
  });
  console.log(`## ${entry.name}: ${entry.bug}`);
  console.log(buggy.ok ? "not caught!" : buggy.failure.report);
  const fixed = await explore(entry.fixed, {
    runs: 500,
    seed: 1,
    faults: entry.faults,
    expect: entry.expect,
  });
  console.log(`fixed (${entry.fix}): ${fixed.ok ? `passes ${fixed.runs} runs` : fixed.failure.report}\n`);
}
