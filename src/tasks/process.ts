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

/** Until the worker boot order is adapted to processes that start in an event. */
const USE_KERNEL_PROCESSES = false;

interface KernelSpawn {
  spawn?: (
    name: string,
    main: (ctx: { incarnation: number }) => unknown,
    options?: unknown,
  ) => TaskProcess & { readonly exited: Promise<unknown> };
  own?: (resource: { drop(): void }) => void;
}

/**
 * A process adapter: the kernel's `sim.spawn` when it exists (then clients registered with
 * `ctx.own` go through `sim.own`), else a minimal local process with the same crash rule — its
 * owned clients are dropped without goodbye and the caller's `alive(incarnation)` checks turn
 * false, so work it had in flight never completes.
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
  const kernel = sim as unknown as KernelSpawn;
  // The kernel's processes start in an event (not inside spawn), which changes when workers subscribe;
  // the tasks layer opts in once its boot order is settled (see the rate-limit test).
  if (USE_KERNEL_PROCESSES && typeof kernel.spawn === "function" && typeof kernel.own === "function") {
    const own = kernel.own.bind(sim);
    return kernel.spawn(name, async (ctx) => {
      main({
        incarnation: ctx.incarnation,
        own: (client) => {
          own(client);
          return client;
        },
      });
      // A worker lives until it crashes: its main never returns on its own.
      await new Promise<void>(() => {});
    });
  }
  return new LocalProcess(sim, name, main);
}

class LocalProcess implements TaskProcess {
  readonly name: string;
  state: "running" | "crashed" | "exited" | "failed" = "running";
  incarnation = 0;
  private readonly sim: Simulation;
  private readonly main: (ctx: TaskProcessContext) => void;
  private owned: { drop(): void }[] = [];

  constructor(sim: Simulation, name: string, main: (ctx: TaskProcessContext) => void) {
    this.sim = sim;
    this.name = name;
    this.main = main;
    this.start();
  }

  private start(): void {
    this.incarnation++;
    this.state = "running";
    const owned: { drop(): void }[] = [];
    this.owned = owned;
    this.main({
      incarnation: this.incarnation,
      own: (client) => {
        owned.push(client);
        return client;
      },
    });
  }

  crash(): void {
    if (this.state !== "running") return;
    this.state = "crashed";
    for (const client of this.owned) client.drop();
    this.owned = [];
  }

  restart(options: { afterMs?: number } = {}): void {
    if (this.state === "running") this.crash();
    const afterMs = options.afterMs ?? 0;
    const incarnation = this.incarnation;
    this.sim.after(afterMs, () => {
      if (this.incarnation === incarnation && this.state !== "running") this.start();
    });
  }
}
