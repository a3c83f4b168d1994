/**
 * Records golden observations from a running RabbitMQ (it starts nothing itself; use
 * `scripts/rabbitmq.sh start` first): runs every scenario, or those named on the command line,
 * and writes `golden/<scenario>.json` with sorted keys, formatted by Biome like the rest of the repo.
 *
 *   npx tsx test/conformance/rabbitmq/record.ts [scenario-name ...]
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { goldenPath } from "./golden.js";
import { runScenario, stableStringify } from "./harness.js";
import { assertRealBrokerReachable, realBrokerUrl, realContext } from "./real.js";
import { scenarios } from "./scenarios/index.js";

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((name) => !scenarios.some((scenario) => scenario.name === name));
  if (unknown.length > 0) {
    throw new Error(
      `unknown scenario(s): ${unknown.join(", ")}; known: ${scenarios.map((s) => s.name).join(", ")}`,
    );
  }
  const version = await assertRealBrokerReachable();
  console.log(`recording against RabbitMQ ${version} at ${realBrokerUrl()}`);
  const selected =
    wanted.length > 0 ? scenarios.filter((scenario) => wanted.includes(scenario.name)) : scenarios;
  const started = performance.now();
  const written: string[] = [];
  for (const scenario of selected) {
    const t0 = performance.now();
    const observation = await runScenario(scenario, realContext());
    const path = goldenPath(scenario.name);
    mkdirSync(new URL(".", path), { recursive: true });
    writeFileSync(path, stableStringify(observation));
    written.push(fileURLToPath(path));
    console.log(`  ${scenario.name.padEnd(28)} ${Math.round(performance.now() - t0)} ms`);
  }
  formatWithBiome(written);
  console.log(`wrote ${selected.length} golden file(s) in ${Math.round(performance.now() - started)} ms`);
}

/** Formats the golden files with the repo's Biome, so `biome check` accepts them as written. */
function formatWithBiome(files: string[]): void {
  const biome = fileURLToPath(new URL("../../../node_modules/.bin/biome", import.meta.url));
  if (!existsSync(biome)) {
    console.warn("biome not found; golden files left unformatted (run `npm run format`)");
    return;
  }
  execFileSync(biome, ["format", "--write", ...files], { stdio: "ignore" });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
