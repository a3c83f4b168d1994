import type { Simulation } from "./simulation.js";

/** Longest wall-clock pause between two looks at the schedule, so `now` never lags far behind. */
const MAX_SLEEP_WALL_MS = 50;
const EVENTS_PER_SLICE = 20_000;

function wallNow(): number {
  const perf = (globalThis as { performance?: { now(): number } }).performance;
  return perf !== undefined ? perf.now() : Date.now();
}

/**
 * Drives a simulation in `realtime` mode: virtual time follows the wall clock at `speed` virtual
 * milliseconds per wall millisecond, for demos and notebooks. Events run when the wall clock
 * reaches them; between events virtual time still advances.
 *
 * This is one of the two places under `src/` allowed to touch real timers and the wall clock.
 *
 * @example
 * ```ts
 * const sim = new Simulation({ drive: "realtime", speed: 10 }); // 10× faster than life
 * sim.every(1000, () => console.log(sim.now)); // prints ten times a wall second
 * ```
 */
export class RealtimeRunner {
  private readonly sim: Simulation;
  private readonly speed: number;
  private readonly wallStart: number;
  private readonly virtualStart: number;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  private busy = false;

  constructor(sim: Simulation, speed: number) {
    this.sim = sim;
    this.speed = speed;
    this.wallStart = wallNow();
    this.virtualStart = sim.now;
    sim.wakeHook = () => this.wake();
    this.wake();
  }

  /** Stops driving; the simulation keeps its state. */
  stop(): void {
    this.stopped = true;
    this.sim.wakeHook = null;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private virtualNow(): number {
    return this.virtualStart + (wallNow() - this.wallStart) * this.speed;
  }

  private wake(): void {
    if (this.stopped || this.busy) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(this.tick, 0);
  }

  private readonly tick = (): void => {
    this.timer = null;
    if (this.stopped || this.sim.isDriving) return;
    this.busy = true;
    const target = Math.max(this.sim.now, this.virtualNow());
    this.sim.driveSlice(target, EVENTS_PER_SLICE).then(
      () => {
        this.busy = false;
        if (this.stopped) return;
        const next = this.sim.nextEventTime;
        if (next === Number.POSITIVE_INFINITY) return;
        const waitWallMs = Math.min(MAX_SLEEP_WALL_MS, Math.max(0, (next - this.virtualNow()) / this.speed));
        this.timer = setTimeout(this.tick, waitWallMs);
      },
      (error: unknown) => {
        this.busy = false;
        this.stop();
        queueMicrotask(() => {
          throw error;
        });
      },
    );
  };
}
