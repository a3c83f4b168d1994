/**
 * `brokerlab/timers`: the virtual clock for code that uses the host's own timers (`setTimeout`,
 * `setInterval`, `Date`). A separate entry point so that `@sinonjs/fake-timers`, which it is
 * built on, stays out of the core's import path (and out of browser bundles that do not use it).
 *
 * @example
 * `examples/program-timers.ts` runs as written (`npx tsx examples/program-timers.ts`): after
 * `installTimers(sim)`, a retry loop sleeping with the global `setTimeout` and a `setInterval`
 * poll run on virtual time, and `timers.uninstall()` puts the real globals back.
 */
export {
  type InstalledTimers,
  type InstallTimersOptions,
  installTimers,
} from "./scheduler/install-timers.js";
