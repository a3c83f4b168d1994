import fc from "fast-check";
import { InvalidArgumentError } from "../scheduler/errors.js";
import { Simulation } from "../scheduler/simulation.js";
import { fnv1a64 } from "../scheduler/trace.js";
import { checkFunction, checkOptions } from "../scheduler/validate.js";
import { type CheckOptions, type CheckResult, check, type Guarantee } from "./check.js";
import { describeFault, type FaultPlan, validateFaultPlan } from "./fault-plan.js";
import { type FaultSpace, planArbitrary, resolveSpace, targetsOf } from "./fault-space.js";
import { Faults, type FiredFault } from "./faults.js";
import { History, recordHistory } from "./history.js";
import { historyToMermaid } from "./mermaid.js";
import type { Operation } from "./operation.js";
import { renderTimeline } from "./render.js";

/**
 * Exploration: fast-check draws a seed and a fault plan, the scenario runs on a fresh simulation
 * with that plan applied, the history is checked; on failure fast-check shrinks the plan (fewer
 * faults, earlier times and occurrences) and the seed, re-running each candidate, to a minimal
 * counterexample that {@link replay} reproduces byte for byte.
 *
 * @example
 * ```ts
 * const result = await explore(scenario, {
 *   runs: 200, seed: 7, expect: "exactly-once",
 *   faults: { processes: { billing: ["after-charge"] }, horizonMs: 20_000 },
 * });
 * if (!result.ok) console.log(result.failure.report);
 * ```
 */

/** What a scenario gets: a fresh simulation, its history (recording), and the plan's faults. */
export interface ScenarioContext {
  readonly sim: Simulation;
  readonly history: History;
  readonly faults: Faults;
}

/** Builds and runs the system; resolves when the run is over (after draining). */
export type Scenario = (ctx: ScenarioContext) => Promise<void> | void;

/** What must hold: a guarantee, checker options, or your own predicate over the history. */
export type Expectation = Guarantee | CheckOptions | ((history: History) => CheckResult);

/** Options of {@link explore}. */
export interface ExploreOptions {
  /** Runs to try (default 100). */
  runs?: number;
  /** fast-check's seed (default 0): the same seed explores the same runs. */
  seed?: number;
  /** The fault space plans are drawn from (default: none, only seeds vary). */
  faults?: FaultSpace;
  /** What must hold (default at-least-once). */
  expect?: Expectation;
  /** A run stops after this much virtual time (default 600 000). */
  maxVirtualMs?: number;
  /** Called after every run (exploring and shrinking). */
  onProgress?: (progress: { runs: number; shrinking: boolean; failed: boolean }) => void;
}

/** A counterexample, enough to replay it. */
export interface Failure {
  /** The simulation seed of the minimal run. */
  readonly seed: number;
  /** The shrunk fault plan. */
  readonly plan: FaultPlan;
  readonly check: CheckResult;
  readonly history: History;
  /** Faults that fired in the minimal run. */
  readonly fired: readonly FiredFault[];
  /** Hash of the minimal run's full trace (replay gives the same). */
  readonly traceHash: string;
  /** Runs until the first failure. */
  readonly runsUntilFailure: number;
  /** Successful shrink steps. */
  readonly shrinks: number;
  readonly timeline: string;
  readonly mermaid: string;
  /** How to replay it, as code. */
  readonly replay: string;
  /** Everything above, as text. */
  readonly report: string;
  /** An error the scenario threw in the minimal run, if that was the failure. */
  readonly error: string | null;
}

/** The result of {@link explore}. */
export type ExploreResult =
  | { readonly ok: true; readonly runs: number; readonly failure: null }
  | { readonly ok: false; readonly runs: number; readonly failure: Failure };

/** One run's outcome. */
export interface RunOutcome {
  readonly check: CheckResult;
  readonly history: History;
  readonly fired: readonly FiredFault[];
  readonly error: string | null;
  readonly traceHash: string | null;
  /** Virtual ms the run took. */
  readonly virtualMs: number;
}

const SETTLE_TURNS = 4;
const IDLE_TURNS = 2000;
const OPTION_KEYS = ["runs", "seed", "faults", "expect", "maxVirtualMs", "onProgress"];

/**
 * The checker of one exploration (or one replay). Without an explicit `processedBy`, `check`
 * picks "effect" for a history that holds effects and "receive" otherwise; judged run by run, a
 * run that crashed before its first effect would count its receives as processing and a shrunk
 * counterexample could report fewer losses than happened. So the choice is sticky: once any run of
 * this exploration recorded an effect, every later run and the shrinking are judged by effects
 * (`processedBy` given: always that; `byEffect` true: from the start, as a replay of a failure
 * judged by effects is).
 */
function checkerOf(expectation: Expectation | undefined, byEffect = false): (h: History) => CheckResult {
  if (typeof expectation === "function") return expectation;
  let options: CheckOptions;
  if (expectation === undefined) options = { guarantee: "at-least-once" };
  else if (typeof expectation === "string") options = { guarantee: expectation };
  else if (expectation !== null && typeof expectation === "object") options = expectation;
  else {
    throw new InvalidArgumentError(
      "explore: expect must be a guarantee, checker options or a function of the history.",
    );
  }
  // Validate once, up front.
  check([], options);
  if (options.processedBy !== undefined) return (h) => check(h, options);
  const byEffects: CheckOptions = { ...options, processedBy: "effect" };
  let sawEffect = byEffect;
  return (h) => {
    if (!sawEffect) sawEffect = h.operations.some((op) => op.f === "effect");
    return check(h, sawEffect ? byEffects : options);
  };
}

/**
 * Drives a manual simulation until `promise` settles, events run out (deadlock: the run is over),
 * or `limit` virtual time passes.
 */
async function drive(
  sim: Simulation,
  promise: Promise<unknown>,
  limit: number,
): Promise<{ error: unknown } | null> {
  let settled = false;
  let failure: { error: unknown } | null = null;
  promise.then(
    () => {
      settled = true;
    },
    (error: unknown) => {
      settled = true;
      failure = { error };
    },
  );
  while (!settled) {
    // Promise continuations of what the last events resumed run before time moves on (until the
    // kernel's exact settling lands, a bounded number of microtask turns stands in for it).
    for (let i = 0; i < SETTLE_TURNS && !settled; i++) await null;
    if (settled) break;
    const next = sim.nextEventTime;
    if (next === Number.POSITIVE_INFINITY) {
      // Nothing scheduled: give long promise chains a chance; if they schedule nothing, the
      // scenario waits forever and the run is over.
      for (let i = 0; i < IDLE_TURNS && !settled && sim.nextEventTime === Number.POSITIVE_INFINITY; i++)
        await null;
      if (settled || sim.nextEventTime !== Number.POSITIVE_INFINITY) continue;
      break;
    }
    if (next > limit) break;
    await sim.runUntil(next);
  }
  return failure;
}

/**
 * Runs a scenario once with a seed and a plan. `trace: true` also hashes the full trace.
 *
 * @example
 * ```ts
 * const outcome = await runScenario(scenario, 42, [{ kind: "crash", process: "w", atMs: 500, restartAfterMs: 0 }]);
 * ```
 */
export async function runScenario(
  scenario: Scenario,
  seed: number,
  plan: FaultPlan,
  options: {
    expect?: Expectation;
    maxVirtualMs?: number;
    trace?: boolean;
    space?: FaultSpace;
    /** false: the models and facades record nothing (a bare run, for overhead measurements). */
    record?: boolean;
  } = {},
): Promise<RunOutcome> {
  checkFunction(scenario, "scenario", "runScenario");
  const checker = checkerOf(options.expect);
  const space = options.space === undefined ? undefined : resolveSpace(options.space);
  const validPlan = validateFaultPlan(plan, space === undefined ? undefined : targetsOf(space));
  return runValidated(
    scenario,
    seed,
    validPlan,
    checker,
    options.maxVirtualMs ?? 600_000,
    options.trace ?? false,
    space,
    options.record ?? true,
  );
}

async function runValidated(
  scenario: Scenario,
  seed: number,
  plan: FaultPlan,
  checker: (h: History) => CheckResult,
  maxVirtualMs: number,
  trace: boolean,
  space: ReturnType<typeof resolveSpace> | undefined,
  record = true,
): Promise<RunOutcome> {
  const sim = new Simulation({ seed, start: 0 });
  const recorder = trace ? sim.trace({ keepEntries: false }) : null;
  const history = record ? recordHistory(sim) : new History(() => sim.now - sim.start);
  const faults = new Faults(sim, plan, { targets: space === undefined ? undefined : targetsOf(space) });
  const run = (async () => scenario({ sim, history, faults }))();
  const failure = await drive(sim, run, sim.now + maxVirtualMs);
  history.stop();
  recorder?.stop();
  const error =
    failure === null
      ? null
      : (failure as { error: unknown }).error instanceof Error
        ? `${(failure as { error: Error }).error.name}: ${(failure as { error: Error }).error.message}`
        : String((failure as { error: unknown }).error);
  const traceHash = recorder === null ? null : fnv1a64(`${recorder.hash()}\n${history.toJSONLines()}`);
  return {
    check: checker(history),
    history,
    fired: faults.fired,
    error,
    traceHash,
    virtualMs: sim.now - sim.start,
  };
}

/**
 * Explores a scenario under drawn seeds and fault plans; see the module comment.
 *
 * @example
 * ```ts
 * const result = await explore(scenario, { runs: 500, expect: { guarantee: "at-least-once" } });
 * expect(result).toHaveNoAnomalies();
 * ```
 */
export async function explore(scenario: Scenario, options: ExploreOptions = {}): Promise<ExploreResult> {
  checkFunction(scenario, "scenario", "explore");
  if (options === null || typeof options !== "object")
    throw new InvalidArgumentError("explore: options must be an object.");
  checkOptions(options, OPTION_KEYS, "explore");
  const runs = options.runs ?? 100;
  if (!Number.isInteger(runs) || runs < 1)
    throw new InvalidArgumentError(`explore: runs must be an integer ≥ 1, got ${String(runs)}.`);
  const fcSeed = options.seed ?? 0;
  if (!Number.isInteger(fcSeed)) throw new InvalidArgumentError("explore: seed must be an integer.");
  const maxVirtualMs = options.maxVirtualMs ?? 600_000;
  if (!(maxVirtualMs > 0)) throw new InvalidArgumentError("explore: maxVirtualMs must be > 0.");
  if (options.onProgress !== undefined) checkFunction(options.onProgress, "onProgress", "explore");
  const checker = checkerOf(options.expect);
  const space = resolveSpace(options.faults ?? {});
  let done = 0;
  let failedOnce = false;
  let runsUntilFailure = 0;
  const property = fc.asyncProperty(
    fc.integer({ min: 0, max: 0x7fff_ffff }),
    planArbitrary(space),
    async (seed, plan) => {
      const outcome = await runValidated(scenario, seed, plan, checker, maxVirtualMs, false, space);
      done++;
      const failed = !outcome.check.valid || outcome.error !== null;
      if (failed && !failedOnce) {
        failedOnce = true;
        runsUntilFailure = done;
      }
      options.onProgress?.({ runs: done, shrinking: failedOnce, failed });
      return !failed;
    },
  );
  const details = await fc.check(property, { numRuns: runs, seed: fcSeed });
  if (!details.failed) return { ok: true, runs: done, failure: null };
  if (details.counterexample === null) {
    // The property threw outside a run (a bug in the scenario's setup, not a counterexample).
    throw new InvalidArgumentError(
      `explore: fast-check stopped without a counterexample (${details.interrupted ? "interrupted" : "too many skipped runs"}).`,
      "EXPLORE_FAILED",
    );
  }
  const [seed, plan] = details.counterexample;
  const minimal = await runValidated(scenario, seed, plan, checker, maxVirtualMs, true, space);
  return {
    ok: false,
    runs: done,
    failure: buildFailure(seed, plan, minimal, runsUntilFailure, details.numShrinks),
  };
}

function evidenceOps(result: CheckResult): Operation[] {
  const seen = new Map<number, Operation>();
  for (const a of result.anomalies) if (a.violation) for (const op of a.evidence) seen.set(op.index, op);
  return [...seen.values()].sort((a, b) => a.index - b.index);
}

function buildFailure(
  seed: number,
  plan: FaultPlan,
  run: RunOutcome,
  runsUntilFailure: number,
  shrinks: number,
): Failure {
  const planText =
    plan.length === 0
      ? "  (no faults: fails on the seed alone)"
      : plan.map((f) => `  - ${describeFault(f)}`).join("\n");
  const firedText =
    run.fired.length === 0 ? "  (none)" : run.fired.map((f) => `  t=${f.time}ms ${f.fault}`).join("\n");
  const evidence = evidenceOps(run.check);
  const timelineOps = focusTimeline(run.history.operations, evidence);
  const timeline = renderTimeline(timelineOps, 40);
  const mermaid = historyToMermaid(timelineOps, { maxOperations: 40 });
  const replayCode = `await replay(scenario, { seed: ${seed}, plan: ${JSON.stringify(plan)} })`;
  const report = [
    `counterexample after ${runsUntilFailure} run(s), shrunk in ${shrinks} step(s) to ${plan.length} fault(s):`,
    planText,
    `seed ${seed}; faults fired:`,
    firedText,
    run.error !== null ? `scenario threw: ${run.error}` : "",
    run.check.toText(),
    "timeline:",
    timeline,
    `replay: ${replayCode}`,
  ]
    .filter((l) => l !== "")
    .join("\n");
  return {
    seed,
    plan,
    check: run.check,
    history: run.history,
    fired: run.fired,
    traceHash: run.traceHash!,
    runsUntilFailure,
    shrinks,
    timeline,
    mermaid,
    replay: replayCode,
    report,
    error: run.error,
  };
}

/** The operations worth showing: evidence, plus crashes, restarts and effects around them. */
function focusTimeline(ops: readonly Operation[], evidence: readonly Operation[]): Operation[] {
  if (evidence.length === 0) return ops.slice(0, 40);
  const ids = new Set<string>();
  for (const op of evidence) if (op.value.id !== undefined) ids.add(op.value.id);
  const keep: Operation[] = [];
  for (const op of ops) {
    if (op.type === "invoke" && op.f !== "send") continue;
    if (
      (op.value.id !== undefined && ids.has(op.value.id)) ||
      op.f === "crash" ||
      op.f === "restart" ||
      op.f === "txn" ||
      op.f === "commit"
    )
      keep.push(op);
  }
  return keep;
}

/**
 * Runs a failure again: same seed, same plan, the same trace hash byte for byte.
 *
 * @example
 * ```ts
 * const again = await replay(scenario, result.failure);
 * again.traceHash === result.failure.traceHash; // true
 * ```
 */
export async function replay(
  scenario: Scenario,
  failure: { seed: number; plan: FaultPlan },
  options: { expect?: Expectation; maxVirtualMs?: number } = {},
): Promise<RunOutcome & { traceHash: string }> {
  if (failure === null || typeof failure !== "object" || !Number.isInteger(failure.seed)) {
    throw new InvalidArgumentError("replay: expected { seed, plan } (an explore failure).");
  }
  checkFunction(scenario, "scenario", "replay");
  // Judge it as the exploration judged it: by effects if the failure was.
  const judgedByEffect = (failure as { check?: { processedBy?: unknown } }).check?.processedBy === "effect";
  const checker = checkerOf(options.expect, judgedByEffect);
  const validPlan = validateFaultPlan(failure.plan);
  const outcome = await runValidated(
    scenario,
    failure.seed,
    validPlan,
    checker,
    options.maxVirtualMs ?? 600_000,
    true,
    undefined,
    true,
  );
  return outcome as RunOutcome & { traceHash: string };
}
