/** Where golden observations live, and how to read them. */
import { existsSync, readFileSync } from "node:fs";
import type { Observation } from "./harness.js";

/** URL of `golden/<scenario>.json` next to this file. */
export function goldenPath(scenarioName: string): URL {
  return new URL(`./golden/${scenarioName}.json`, import.meta.url);
}

/** The recorded observation of `scenarioName`, or undefined when none was recorded yet. */
export function readGolden(scenarioName: string): Observation | undefined {
  const path = goldenPath(scenarioName);
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, "utf8")) as Observation;
}
