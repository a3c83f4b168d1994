/**
 * `brokerlab/demos`: the scenarios `brokerlab demo` (`npm start`) runs, for examples and notebooks
 * that show them without the command line. ES module only, like the CLI it belongs to.
 *
 * @example
 * ```ts
 * import { runTasksDemo } from "brokerlab/demos";
 * await runTasksDemo(42, console.log);
 * ```
 */
export { formatExactlyOnceReport, runExactlyOncePipelineReport } from "./demo-exactly-once.js";
export { PAYMENT_FAULTS, paymentScenario } from "./demo-payment.js";
export { runTasksDemo } from "./demo-tasks.js";
