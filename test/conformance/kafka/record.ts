/**
 * Records the golden observations: runs every scenario against librdkafka's mock cluster and
 * writes test/conformance/kafka/golden/<scenario>.json (canonical JSON, sorted keys).
 *
 *   npx tsx test/conformance/kafka/record.ts [scenario-name ...]
 *
 * Uses KAFKA_BOOTSTRAP or the running mock's address file; starts the mock with
 * scripts/kafka-mock.sh (and stops it afterwards) when neither is available.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureMockCluster, realContextFactory } from "./real.js";
import { goldenText, runScenario } from "./runner.js";
import { scenarios } from "./scenarios/index.js";

/** Directory holding one golden JSON file per scenario. */
export const GOLDEN_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "golden");

/** Formats golden files with the repo's Biome, so `biome check .` accepts them as recorded. */
function formatLikeTheRepo(files: readonly string[]): void {
  if (files.length === 0) return;
  const repoRoot = resolve(GOLDEN_DIR, "../../../..");
  execFileSync(resolve(repoRoot, "node_modules/.bin/biome"), ["format", "--write", ...files], {
    cwd: repoRoot,
    stdio: ["ignore", "ignore", "inherit"],
  });
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((name) => !scenarios.some((s) => s.name === name));
  if (unknown.length > 0) throw new Error(`unknown scenario(s): ${unknown.join(", ")}`);
  const selected = wanted.length > 0 ? scenarios.filter((s) => wanted.includes(s.name)) : scenarios;

  const mock = await ensureMockCluster();
  try {
    const factory = realContextFactory(mock.bootstrap);
    mkdirSync(GOLDEN_DIR, { recursive: true });
    const written: string[] = [];
    for (const scenario of selected) {
      const started = Date.now();
      const observation = await runScenario(scenario, factory);
      const file = resolve(GOLDEN_DIR, `${scenario.name}.json`);
      writeFileSync(file, goldenText(observation));
      written.push(file);
      console.log(`${scenario.name}: ${Date.now() - started} ms -> ${file}`);
    }
    formatLikeTheRepo(written);
  } finally {
    await mock.release();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
