/**
 * `brokerlab/timers`: the virtual clock for code that uses the host's own timers (`setTimeout`,
 * `setInterval`, `Date`). A separate entry point so that `@sinonjs/fake-timers`, which it is
 * built on, stays out of the core's import path (and out of browser bundles that do not use it).
 *
 * @example
 * ```ts
 * import { Simulation } from "brokerlab";
 * import { installTimers } from "brokerlab/timers";
 *
 * const sim = new Simulation({ start: 0 });
 * const timers = installTimers(sim);
 * setTimeout(() => console.log("fired at", Date.now()), 60_000); // fired at 60000
 * await sim.run(); // instantly, in wall time
 * timers.uninstall();
 * ```
 */
export {
  type InstalledTimers,
  type InstallTimersOptions,
  installTimers,
} from "./scheduler/install-timers.js";
