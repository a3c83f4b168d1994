/**
 * Delivery guarantees, verified: histories, anomaly checkers, fault plans, exploration that
 * shrinks, idempotency helpers. `brokerlab/vitest` adds the matchers.
 *
 * @example
 * ```ts
 * import { explore } from "brokerlab";
 * const result = await explore(scenario, { runs: 200, expect: "exactly-once", faults: { processes: { billing: ["after-charge"] } } });
 * ```
 */
export {
  ANOMALY_KINDS,
  type Anomaly,
  type AnomalyKind,
  type CheckCounts,
  type CheckOptions,
  type CheckResult,
  check,
  type Guarantee,
  type Ordering,
  type ProcessedBy,
} from "./check.js";
export { DedupeStore } from "./dedupe.js";
export {
  type Expectation,
  type ExploreOptions,
  type ExploreResult,
  explore,
  type Failure,
  type RunOutcome,
  replay,
  runScenario,
  type Scenario,
  type ScenarioContext,
} from "./explore.js";
export {
  type CrashFault,
  type DelayFault,
  type DropFault,
  describeFault,
  FAULT_KINDS,
  type Fault,
  type FaultKind,
  type FaultPlan,
  type FaultRequestKind,
  type FaultTargets,
  type PartitionFault,
  REQUEST_KINDS,
  type RestartBrokerFault,
  type SlowFault,
  validateFaultPlan,
} from "./fault-plan.js";
export { type FaultSpace, planArbitrary, resolveSpace, swarmPlan } from "./fault-space.js";
export {
  FaultProcess,
  Faults,
  type FiredFault,
  type ProcessContext,
  type ProcessState,
  type SpawnOptions,
} from "./faults.js";
export { History, recordHistory } from "./history.js";
export { historyToMermaid } from "./mermaid.js";
export { KNOWN_FUNCTIONS, type Operation, validateOperations } from "./operation.js";
export type { OperationType, OperationValue } from "./record.js";
export { describeValue, formatOperation, renderMarkdown, renderText, renderTimeline } from "./render.js";
