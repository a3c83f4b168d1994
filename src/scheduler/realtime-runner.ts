import { wallElapsedMs, wallTimer } from "./host-runner.js";
import type { Simulation } from "./simulation.js";

/** Longest wall-clock pause between two looks at the schedule, so `now` never lags far behind. */
const MAX_SLEEP_WALL_MS = 50;
const EVENTS_PER_SLICE = 20_000;

/**
 * Drives a simulation in `realtime` mode: virtual time follows the wall clock at `speed` virtual
 * milliseconds per wall millisecond, for demos and notebooks. Events run when the wall clock
 * reaches them; between events virtual time still advances.
 *
 * It holds the host open only while there is a reason to: foreground work pending, or background
 * events (repeating timers, heartbeats) within `autoIdleMs` of virtual time of the last work. Past
 * that it keeps firing them while the host lives for other reasons, but a finished script exits.
 * With nothing scheduled at all it arms nothing. Real timers and the wall clock come from the
 * host adapter (`host-runner.ts`), captured at load.
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
  private cancelTimer: (() => void) | null = null;
  private stopped = false;
  private busy = false;
  /** Virtual time of the last wake from outside: the hold-open horizon counts from here at the earliest. */
  private floor: number;

  constructor(sim: Simulation, speed: number) {
    this.sim = sim;
    this.speed = speed;
    this.wallStart = wallElapsedMs();
    this.virtualStart = sim.now;
    this.floor = sim.now;
    sim.wakeHook = (background) => {
      // A running slice sees whatever is scheduled meanwhile.
      if (this.stopped || this.busy) return;
      if (!background) this.floor = Math.max(this.floor, this.virtualNow());
      this.wake();
    };
    this.wake();
  }

  /** Stops driving; the simulation keeps its state. */
  stop(): void {
    this.stopped = true;
    this.sim.wakeHook = null;
    this.cancelTimer?.();
    this.cancelTimer = null;
  }

  /** Outside code changed what background loops act on: hold the host open for another horizon. */
  nudge(): void {
    this.floor = Math.max(this.floor, this.virtualNow());
    this.wake();
  }

  private virtualNow(): number {
    return this.virtualStart + (wallElapsedMs() - this.wallStart) * this.speed;
  }

  private wake(): void {
    if (this.stopped || this.busy) return;
    this.cancelTimer?.();
    this.cancelTimer = wallTimer(this.tick, 0, this.holdsHost());
  }

  /** True while the host must stay alive for the simulation's sake. */
  private holdsHost(): boolean {
    const sim = this.sim;
    if (sim.workCount > 0) return true;
    return (
      sim.pendingCount > 0 && sim.nextEventTime <= Math.max(sim.lastWorkTime, this.floor) + sim.autoIdleMs
    );
  }

  private readonly tick = (): void => {
    this.cancelTimer = null;
    if (this.stopped || this.sim.isDriving) return;
    this.busy = true;
    const target = Math.max(this.sim.now, this.virtualNow());
    this.sim.driveSlice(target, EVENTS_PER_SLICE).then(
      () => {
        this.busy = false;
        if (this.stopped || this.cancelTimer !== null) return;
        const next = this.sim.nextEventTime;
        // Nothing scheduled: arm nothing, so a finished host exits; new work wakes the runner.
        if (next === Number.POSITIVE_INFINITY) return;
        const waitWallMs = Math.min(MAX_SLEEP_WALL_MS, Math.max(0, (next - this.virtualNow()) / this.speed));
        this.cancelTimer = wallTimer(this.tick, waitWallMs, this.holdsHost());
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
