import type { ProcessContext, SimProcess } from "../scheduler/process.js";
import type { Simulation } from "../scheduler/simulation.js";

/**
 * Runs a worker's `boot` as a kernel process (`sim.spawn`): it boots in an event at the current
 * virtual time, the clients it registers with `ctx.own` are dropped without goodbye when it
 * crashes, and its sleeps never settle afterwards. A worker lives until it is crashed, so the
 * process's main waits on a simulation promise that never settles (not a plain one: the kernel
 * would take that for work waiting outside the simulation).
 *
 * @example
 * ```ts
 * const p = spawnWorkerProcess(sim, "worker-1", (ctx) => { ctx.own(channel); });
 * ```
 */
export function spawnWorkerProcess(
  sim: Simulation,
  name: string,
  boot: (ctx: ProcessContext<Simulation>) => void,
): SimProcess {
  return sim.spawn(name, (ctx) => {
    boot(ctx);
    return sim.deferred<never>().promise;
  });
}
