import { writeFile } from "node:fs/promises";
import { extname, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Guarantee } from "../semantics/check.js";
import { type Expectation, explore, type Failure, replay, type Scenario } from "../semantics/explore.js";
import { describeFault, type FaultPlan } from "../semantics/fault-plan.js";
import type { FaultSpace } from "../semantics/fault-space.js";
import { CliInputError, checkResultJSON, readInput } from "./check-command.js";
import { jsLiteral, type OutStream, type Writer } from "./output.js";
import { startProgress } from "./progress.js";

/**
 * `brokerlab explore <scenario-module>` and `brokerlab replay <scenario-module> <failure.json>`.
 * A scenario module is a JavaScript module whose default export is a scenario,
 * `async ({ sim, history, faults }) => void`; it may also export `faults` (a fault space) and
 * `expect` (a guarantee or checker options). TypeScript modules load when Node runs with tsx
 * (`NODE_OPTIONS="--import tsx" npx brokerlab explore scenario.ts`).
 *
 * @example
 * ```ts
 * const code = await exploreCommand("scenario.mjs", { runs: 200, seed: 0, out: "failure.json" }, out, process.stderr);
 * ```
 */

/** What a scenario module provides. */
export interface ScenarioModule {
  readonly scenario: Scenario;
  readonly faults?: FaultSpace;
  readonly expect?: Expectation;
}

/** The failure file `explore --out` writes and `replay` reads. */
export interface FailureFile {
  readonly brokerlab: "failure";
  readonly scenario: string;
  readonly seed: number;
  readonly plan: FaultPlan;
  readonly expect?: Guarantee | Record<string, unknown>;
  readonly traceHash: string;
  readonly anomalies: readonly string[];
}

/**
 * Imports a scenario module; a file that is missing, fails to load or exports no scenario is a
 * `CliInputError`, with the tsx hint for TypeScript files Node cannot load by itself.
 *
 * @example
 * ```ts
 * const { scenario, faults } = await loadScenario("test/cli/fixtures/ack-after-effect.mjs");
 * ```
 */
export async function loadScenario(path: string): Promise<ScenarioModule> {
  const absolute = resolve(path);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(absolute).href)) as Record<string, unknown>;
  } catch (error) {
    const code = (error as { code?: string }).code;
    const ts = /^\.[cm]?tsx?$/.test(extname(path));
    if (code === "ERR_MODULE_NOT_FOUND" && (error as Error).message.includes(absolute))
      throw new CliInputError("SCENARIO_NOT_FOUND", `cannot find the scenario module ${path}.`);
    if (ts && (code === "ERR_UNKNOWN_FILE_EXTENSION" || error instanceof SyntaxError))
      throw new CliInputError(
        "SCENARIO_NEEDS_TSX",
        `cannot load ${path}: Node does not run TypeScript by itself. Run the CLI under tsx: ` +
          `NODE_OPTIONS="--import tsx" npx brokerlab … (or npx tsx node_modules/brokerlab/dist/cli/main.js …), ` +
          "or compile the scenario to JavaScript.",
      );
    throw new CliInputError(
      "SCENARIO_LOAD_FAILED",
      `cannot load the scenario module ${path}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
    );
  }
  const scenario = mod.default;
  if (typeof scenario !== "function")
    throw new CliInputError(
      "SCENARIO_NOT_A_FUNCTION",
      `${path} must export a scenario as its default export: export default async ({ sim, history, faults }) => { … }.`,
    );
  return {
    scenario: scenario as Scenario,
    ...(mod.faults !== undefined ? { faults: mod.faults as FaultSpace } : {}),
    ...(mod.expect !== undefined ? { expect: mod.expect as Expectation } : {}),
  };
}

async function readJSON(path: string, what: string): Promise<unknown> {
  const text = await readInput(path, what);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliInputError(
      "INVALID_JSON",
      `the ${what} ${path} is not valid JSON: ${(error as Error).message}`,
    );
  }
}

/** Options of `brokerlab explore`. */
export interface ExploreCommandOptions {
  readonly runs: number;
  readonly seed: number;
  readonly expect?: Guarantee;
  /** A JSON file holding a fault space (wins over the module's `faults`). */
  readonly faults?: string;
  readonly out?: string;
}

/** The expectation as data for the failure file (functions cannot be written). */
function expectationData(expect: Expectation | undefined): FailureFile["expect"] {
  if (typeof expect === "string") return expect;
  if (expect !== null && typeof expect === "object") return { ...expect } as Record<string, unknown>;
  return undefined;
}

function failureText(failure: Failure, scenarioPath: string, out?: string): string {
  const lines = [
    `counterexample: exploration run ${failure.runsUntilFailure} failed; ${failure.shrinks} shrink step(s) left ${failure.plan.length} fault(s):`,
    ...(failure.plan.length === 0
      ? ["  (no faults: the seed alone fails)"]
      : failure.plan.map((f) => `  - ${describeFault(f)}`)),
    `seed ${failure.seed}; faults fired (virtual time):`,
    ...(failure.fired.length === 0 ? ["  (none)"] : failure.fired.map((f) => `  t=${f.time}ms ${f.fault}`)),
    ...(failure.error !== null ? [`the scenario threw: ${failure.error}`] : []),
    failure.check.toText(),
    "timeline:",
    failure.timeline,
    `trace hash ${failure.traceHash}`,
    out !== undefined
      ? `failure written to ${out}; replay it with:`
      : "replay it: add --out failure.json, then:",
    `  brokerlab replay ${scenarioPath} ${out ?? "failure.json"}`,
    "or in code:",
    `  await replay(scenario, ${jsLiteral({ seed: failure.seed, plan: failure.plan }, 2, 25)})`,
  ];
  return lines.join("\n");
}

/**
 * Runs `brokerlab explore`: exit 0 when no counterexample turned up, 1 when one did (written to
 * `--out` when given).
 *
 * @example
 * ```ts
 * await exploreCommand("scenario.mjs", { runs: 100, seed: 0 }, out, process.stderr);
 * ```
 */
export async function exploreCommand(
  path: string,
  options: ExploreCommandOptions,
  out: Writer,
  err: OutStream,
): Promise<number> {
  const mod = await loadScenario(path);
  const faults =
    options.faults !== undefined
      ? ((await readJSON(options.faults, "fault space")) as FaultSpace)
      : mod.faults;
  const expect: Expectation | undefined = options.expect ?? mod.expect;
  const progress = startProgress(err, "runs", options.runs);
  let result: Awaited<ReturnType<typeof explore>>;
  try {
    result = await explore(mod.scenario, {
      runs: options.runs,
      seed: options.seed,
      ...(faults !== undefined ? { faults } : {}),
      ...(expect !== undefined ? { expect } : {}),
      onProgress: ({ runs, shrinking }) =>
        progress.update(runs, shrinking ? runs + 1 : options.runs, shrinking ? "shrinking" : "runs"),
    });
  } finally {
    progress.stop();
  }
  const scenarioPath = relative(process.cwd(), resolve(path)) || path;
  const expected =
    typeof expect === "string" ? expect : expect === undefined ? "at-least-once" : "the module's expect";
  if (result.ok) {
    if (out.format === "json")
      out.json({ ok: true, runs: result.runs, seed: options.seed, expect: expectationData(expect) ?? null });
    else
      out.line(
        out.color.green(
          `no counterexample in ${result.runs} runs (expect ${expected}; exploration seed ${options.seed}).`,
        ),
      );
    return 0;
  }
  const failure = result.failure;
  const file: FailureFile = {
    brokerlab: "failure",
    scenario: scenarioPath,
    seed: failure.seed,
    plan: failure.plan,
    ...(expectationData(expect) !== undefined ? { expect: expectationData(expect)! } : {}),
    traceHash: failure.traceHash,
    anomalies: failure.check.anomalies.filter((a) => a.violation).map((a) => a.message),
  };
  if (options.out !== undefined) await writeFile(options.out, `${JSON.stringify(file, null, 2)}\n`);
  if (out.format === "json")
    out.json({ ok: false, runs: result.runs, failure: file, check: checkResultJSON(failure.check) });
  else if (out.format === "markdown")
    out.line(`## Counterexample\n\n\`\`\`text\n${failureText(failure, scenarioPath, options.out)}\n\`\`\``);
  else {
    const [head = "", ...rest] = failureText(failure, scenarioPath, options.out).split("\n");
    out.line([out.color.red(head), ...rest].join("\n"));
  }
  return 1;
}

/**
 * Runs `brokerlab replay`: the failure's seed and plan again, the trace hash compared with the
 * recorded one. Exit 1 when the anomaly reproduces (still broken), 0 when the run now passes
 * (fixed), 2 for bad input.
 *
 * @example
 * ```ts
 * await replayCommand("scenario.mjs", "failure.json", {}, out);
 * ```
 */
export async function replayCommand(
  path: string,
  failurePath: string,
  options: { readonly expect?: Guarantee },
  out: Writer,
): Promise<number> {
  const mod = await loadScenario(path);
  const raw = (await readJSON(failurePath, "failure file")) as Record<string, unknown> | null;
  // Also accepts `explore --format json` output, whose failure sits under "failure".
  const data = (
    raw !== null && typeof raw === "object" && typeof raw.failure === "object" ? raw.failure : raw
  ) as Partial<FailureFile> | null;
  if (data === null || typeof data !== "object" || !Number.isInteger(data.seed) || !Array.isArray(data.plan))
    throw new CliInputError(
      "INVALID_FAILURE_FILE",
      `${failurePath} is not a failure file: expected { "seed": <integer>, "plan": [ … ] } as explore --out writes it.`,
    );
  const expect: Expectation | undefined =
    options.expect ?? (data.expect as Expectation | undefined) ?? mod.expect;
  const outcome = await replay(
    mod.scenario,
    { seed: data.seed as number, plan: data.plan },
    expect !== undefined ? { expect } : {},
  );
  const reproduced = !outcome.check.valid || outcome.error !== null;
  const sameTrace = data.traceHash === undefined ? null : data.traceHash === outcome.traceHash;
  if (out.format === "json") {
    out.json({
      reproduced,
      traceHash: outcome.traceHash,
      recordedTraceHash: data.traceHash ?? null,
      sameTrace,
      fired: outcome.fired,
      error: outcome.error,
      check: checkResultJSON(outcome.check),
    });
    return reproduced ? 1 : 0;
  }
  const c = out.color;
  const lines = [
    `replayed seed ${data.seed} with ${data.plan.length} fault(s); faults fired (virtual time):`,
    ...(outcome.fired.length === 0 ? ["  (none)"] : outcome.fired.map((f) => `  t=${f.time}ms ${f.fault}`)),
    `trace hash ${outcome.traceHash}${
      sameTrace === null
        ? ""
        : sameTrace
          ? c.green(" (the recorded one: same run, byte for byte)")
          : c.yellow(` (recorded ${data.traceHash}: the scenario or brokerlab changed since)`)
    }`,
    ...(outcome.error !== null ? [`the scenario threw: ${outcome.error}`] : []),
    outcome.check.toText(),
    reproduced ? c.red("the anomaly reproduces (exit 1).") : c.green("the run passes now: fixed (exit 0)."),
  ];
  if (out.format === "markdown") out.line(`\`\`\`text\n${lines.join("\n")}\n\`\`\``);
  else out.line(lines.join("\n"));
  return reproduced ? 1 : 0;
}
