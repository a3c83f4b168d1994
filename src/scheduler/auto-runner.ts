import type { Simulation } from "./simulation.js";

/** Events one macrotask may run before the runner yields to the host's own I/O and timers. */
const EVENTS_PER_SLICE = 20_000;

/**
 * Queues `fn` as a macrotask: it runs only after every pending promise callback has settled, which
 * is exactly "the host program has nothing else to do right now".
 */
function macrotask(fn: () => void): void {
  const g = globalThis as { setImmediate?: (fn: () => void) => unknown };
  if (typeof g.setImmediate === "function") {
    g.setImmediate(fn);
  } else {
    setTimeout(fn, 0);
  }
}

/**
 * Drives a simulation in `auto` mode: whenever the host has nothing left to do, the simulation
 * jumps to its next event. Before virtual time moves past a point where any promise was involved,
 * the runner yields a macrotask, so the application's own `await`s are all served first. Periodic
 * timers keep firing (a program may be waiting for what a heartbeat causes) until nothing but
 * periodic timers has happened for `autoIdleMs` of virtual time; then the runner parks until new
 * work is scheduled.
 *
 * This is one of the two places under `src/` allowed to touch real timers.
 *
 * @example
 * ```ts
 * const sim = new Simulation({ drive: "auto" });
 * await sim.sleep(60_000); // returns at once, in wall time
 * sim.close();
 * ```
 */
export class AutoRunner {
  private readonly sim: Simulation;
  private armed = false;
  private stopped = false;
  private parked = false;
  private lastWorkAt: number;

  constructor(sim: Simulation) {
    this.sim = sim;
    this.lastWorkAt = sim.now;
    sim.wakeHook = (background) => {
      // A repeating timer re-arming itself does not wake a parked runner; anything else does.
      if (background && this.parked) return;
      this.parked = false;
      this.arm();
    };
    this.arm();
  }

  /** Stops driving; the simulation keeps its state. */
  stop(): void {
    this.stopped = true;
    this.sim.wakeHook = null;
  }

  private arm(): void {
    if (this.armed || this.stopped) return;
    this.armed = true;
    macrotask(this.tick);
  }

  private readonly tick = (): void => {
    this.armed = false;
    if (this.stopped || this.parked || this.sim.isDriving) return;
    // With only repeating timers left, run no further than the idle horizon before parking.
    const limit = this.sim.workCount > 0 ? Number.POSITIVE_INFINITY : this.lastWorkAt + this.sim.autoIdleMs;
    this.sim.driveSlice(limit, EVENTS_PER_SLICE).then(
      (stop) => this.afterSlice(stop),
      (error: unknown) => {
        this.stop();
        // Nobody awaits the runner: surface the failure as the host's unhandled error.
        queueMicrotask(() => {
          throw error;
        });
      },
    );
  };

  private afterSlice(stop: string): void {
    if (this.stopped) return;
    if (this.sim.workCount === 0 && (stop === "limit" || stop === "idle")) {
      // Only repeating timers are left and the next one lies beyond the idle horizon (or nothing is
      // left at all): park. Looking again would find the same horizon and spin the host.
      this.lastWorkAt = this.sim.now;
      this.parked = true;
      return;
    }
    if (this.sim.workCount > 0) {
      this.lastWorkAt = this.sim.now;
    } else if (this.sim.now - this.lastWorkAt >= this.sim.autoIdleMs) {
      // Only repeating timers are left and nothing else has happened for a long while: park.
      this.lastWorkAt = this.sim.now;
      this.parked = true;
      return;
    }
    if (this.sim.pendingCount > 0) this.arm();
  }
}
