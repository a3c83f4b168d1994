/**
 * Runs a scenario in a context and turns what it observed into canonical JSON: run-specific names
 * replaced by their bases, object keys sorted, so two runs (or two implementations) compare equal
 * exactly when they observed the same thing.
 */
import type { Json, Observation, Scenario, ScenarioContext } from "./context.js";

/** A context plus what the runner needs around it. */
export interface ContextHandle {
  readonly context: ScenarioContext;
  /** Every name handed out by `context.name`, mapped to its base. */
  names(): ReadonlyMap<string, string>;
  /** Disconnects every client the scenario left connected. */
  dispose(): Promise<void>;
}

/** Makes a fresh context for one scenario run. */
export type ContextFactory = (scenario: Scenario) => ContextHandle;

/** Deep copy of `value` with object keys sorted and `names` replaced inside every string. */
export function canonicalise(value: Json, names: ReadonlyMap<string, string> = new Map()): Json {
  // Longest first, so a name that contains another is replaced whole.
  const pairs = [...names].sort((a, b) => b[0].length - a[0].length);
  const visit = (node: Json): Json => {
    if (typeof node === "string") {
      let text = node;
      for (const [unique, base] of pairs) text = text.split(unique).join(base);
      return text;
    }
    if (Array.isArray(node)) return node.map(visit);
    if (node !== null && typeof node === "object") {
      const out: { [key: string]: Json } = {};
      for (const key of Object.keys(node).sort()) out[visit(key) as string] = visit(node[key] as Json);
      return out;
    }
    return node;
  };
  return visit(value);
}

/** Runs `scenario` in a fresh context from `factory` and returns its canonical observation. */
export async function runScenario(scenario: Scenario, factory: ContextFactory): Promise<Observation> {
  const handle = factory(scenario);
  try {
    const observation = await scenario.run(handle.context);
    return canonicalise(observation, handle.names()) as Observation;
  } finally {
    await handle.dispose();
  }
}

/** Canonical JSON text of an observation, as stored in golden files. */
export function goldenText(observation: Observation): string {
  return `${JSON.stringify(canonicalise(observation), null, 2)}\n`;
}
