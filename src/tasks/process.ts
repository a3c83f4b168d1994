import type { Simulation } from "../scheduler/simulation.js";

/**
 * What a worker needs from a kernel process (issue 8's contract, the subset used here).
 *
 * @example
 * ```ts
 * const p = spawnProcess(sim, "worker-1", (ctx) => ctx.own(channel));
 * p.crash(); // channel.drop() runs; the incarnation's sleeps never resolve
 * ```
 */
export interface TaskProcess {
  readonly name: string;
  readonly state: "running" | "crashed" | "exited" | "failed";
  readonly incarnation: number;
  crash(reason?: string): void;
  restart(options?: { afterMs?: number }): void;
}

/**
 * What the main function of a spawned process gets.
 *
 * @example
 * ```ts
 * spawnProcess(sim, "w", (ctx) => { ctx.own(channel); });
 * ```
 */
export interface TaskProcessContext {
  readonly incarnation: number;
  /** Registers a client dropped without goodbye when this incarnation crashes. */
  own<T extends { drop(): void }>(client: T): T;
}

/**
 * Runs `main` as a kernel process (`sim.spawn`): it boots in an event at the current virtual time,
 * the clients it registers with `ctx.own` are dropped without goodbye when it crashes, and its
 * sleeps never settle afterwards. A worker lives until it is crashed, so the process's main waits
 * on a simulation promise that never settles (not a plain one: the kernel would take that for
 * work waiting outside the simulation).
 *
 * @example
 * ```ts
 * const p = spawnProcess(sim, "worker-1", (ctx) => { ctx.own(channel); });
 * ```
 */
export function spawnProcess(
  sim: Simulation,
  name: string,
  main: (ctx: TaskProcessContext) => void,
): TaskProcess {
  return sim.spawn(name, (ctx) => {
    main({ incarnation: ctx.incarnation, own: (client) => ctx.own(client) });
    return sim.deferred<never>().promise;
  });
}
