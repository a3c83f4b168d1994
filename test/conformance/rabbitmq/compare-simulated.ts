/**
 * Development aid (needs no server): runs every scenario, or those named on the command line,
 * through the simulated context and compares each observation with its golden file, printing
 * every differing path. Exits non-zero on any difference.
 *
 *   npx tsx test/conformance/rabbitmq/compare-simulated.ts [scenario-name ...]
 */
import { isDeepStrictEqual } from "node:util";
import { readGolden } from "./golden.js";
import { runScenario } from "./harness.js";
import { scenarios } from "./scenarios/index.js";
import { simulatedContext } from "./simulated.js";

/** Paths where `a` and `b` differ, with both values. */
function differences(a: unknown, b: unknown, path = "$", out: string[] = []): string[] {
  if (isDeepStrictEqual(a, b)) return out;
  const bothObjects = a !== null && b !== null && typeof a === "object" && typeof b === "object";
  if (bothObjects && Array.isArray(a) === Array.isArray(b)) {
    const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
    for (const key of keys) {
      differences(
        (a as Record<string, unknown>)[key],
        (b as Record<string, unknown>)[key],
        Array.isArray(a) ? `${path}[${key}]` : `${path}.${key}`,
        out,
      );
    }
    return out;
  }
  out.push(`${path}\n    simulated: ${JSON.stringify(a)}\n    real:      ${JSON.stringify(b)}`);
  return out;
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const selected = wanted.length > 0 ? scenarios.filter((s) => wanted.includes(s.name)) : scenarios;
  let failed = 0;
  for (const scenario of selected) {
    const golden = readGolden(scenario.name);
    const context = simulatedContext();
    const started = performance.now();
    let diffs: string[];
    try {
      const simulated = await runScenario(scenario, context);
      diffs = differences(simulated, golden);
    } catch (error) {
      diffs = [`threw: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`];
    } finally {
      context.close();
    }
    const ms = Math.round(performance.now() - started);
    if (diffs.length === 0) console.log(`ok    ${scenario.name} (${ms} ms)`);
    else {
      failed++;
      console.log(`DIFF  ${scenario.name} (${ms} ms): ${diffs.length} difference(s)`);
      for (const diff of diffs.slice(0, 30)) console.log(`  ${diff}`);
    }
  }
  console.log(`${selected.length - failed}/${selected.length} scenarios match their golden files`);
  if (failed > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
