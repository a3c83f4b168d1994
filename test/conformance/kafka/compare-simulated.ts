/**
 * Runs every Kafka conformance scenario against brokerlab's kafkajs facade only and compares each
 * observation with its golden file — the simulated half of kafka.conformance.test.ts, without the
 * mock cluster. Exits non-zero on any difference.
 *
 *   npx tsx test/conformance/kafka/compare-simulated.ts [scenario-name ...]
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";
import type { Observation } from "./context.js";
import { canonicalise, goldenText, runScenario } from "./runner.js";
import { scenarios } from "./scenarios/index.js";
import { simulatedContextFactory } from "./simulated.js";

const GOLDEN_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "golden");

async function main(): Promise<number> {
  const wanted = process.argv.slice(2);
  const selected = wanted.length > 0 ? scenarios.filter((s) => wanted.includes(s.name)) : scenarios;
  const factory = simulatedContextFactory();
  let failures = 0;
  for (const scenario of selected) {
    const started = Date.now();
    const golden = canonicalise(
      JSON.parse(readFileSync(resolve(GOLDEN_DIR, `${scenario.name}.json`), "utf8")),
    );
    let simulated: Observation | null = null;
    let error: unknown = null;
    try {
      simulated = await runScenario(scenario, factory);
    } catch (e) {
      error = e;
    }
    const ok = error === null && isDeepStrictEqual(simulated, golden);
    console.log(`${ok ? "PASS" : "FAIL"} ${scenario.name} (${Date.now() - started} ms wall)`);
    if (!ok) {
      failures++;
      if (error !== null) console.log(error);
      else {
        console.log("--- golden\n", goldenText(golden as Observation));
        console.log("--- simulated\n", goldenText(simulated as Observation));
      }
    }
  }
  return failures;
}

main().then(
  (failures) => process.exit(failures === 0 ? 0 : 1),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
