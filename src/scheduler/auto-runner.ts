import { hostOutsideWork, macrotask, wallElapsedMs, wallTimer } from "./host-runner.js";
import type { AutoSliceOptions, Simulation } from "./simulation.js";

/** Events one slice may run before the runner yields to the host's own I/O and timers. */
const EVENTS_PER_SLICE = 20_000;
/**
 * Wall milliseconds one slice may hold the thread, however cheap its events: a real
 * `setTimeout` of the program fires at most about this late while a busy simulation runs.
 */
const SLICE_WALL_MS = 8;
/**
 * Longest wall pause between two looks at the host while virtual time follows the wall clock: the
 * program's last real timer may fire at any moment, and then the runner may jump again.
 */
const FOLLOW_POLL_MS = 50;

/**
 * Drives a simulation in `auto` mode, for code that knows nothing of the simulation (an
 * application written against amqplib or kafkajs). Virtual time advances for work, not idleness:
 *
 * - **Work** is a foreground event: a user timer or sleep, a publish, a send, a delivery — anything
 *   but background entries (repeating timers, `backgroundAt`, `backgroundSleep`: heartbeats, fetch
 *   long-polls, session and retention checks). While work is pending the runner jumps straight to
 *   the next event, however far ahead it lies: the program may be waiting for it.
 * - **Idle** is a stretch with only background events. They keep firing (a program may wait for
 *   what a heartbeat or session timeout causes) for at most `autoIdleMs` of virtual time after the
 *   last work; then the runner **parks**: no macrotask, no timer, nothing that keeps the host alive
 *   or uses CPU. New work — a foreground entry scheduled or a simulation promise handed out from
 *   outside its events, or {@link Simulation.nudge} — wakes it with a fresh idle horizon.
 * - **The program's own timers.** While the host has a real timer (or I/O request) of the program
 *   pending and nothing but background work is left, virtual time **follows the wall clock**: it
 *   advances at most by the wall time elapsed, instead of jumping to the next background event.
 *   The program is waiting for something outside the simulation (kafkajs' throttle pattern:
 *   `pause`, `setTimeout(resume, 50)`); racing ahead meanwhile would expire sessions, retention
 *   and polls it never meant to skip. Where the host cannot tell (browsers, Deno) the runner
 *   jumps as if no timer were pending.
 *
 * Before virtual time moves past a point where any promise was involved, the runner yields a
 * macrotask, so the application's own `await`s are all served first; and every slice gives the
 * thread back after a few wall milliseconds, so the host's own timers and I/O are never starved.
 * Real timers and macrotasks come from the host adapter (`host-runner.ts`), captured at load.
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
  /** What every slice is bounded by; `floor` (idle horizons count from it at the earliest) moves on wakes. */
  private readonly slice: AutoSliceOptions;
  /** Cancels the wall-clock wait in progress (virtual time following the wall), or null. */
  private cancelWait: (() => void) | null = null;
  private following = false;
  private anchorWall = 0;
  private anchorVirtual = 0;
  private anchorWork = 0;

  constructor(sim: Simulation) {
    this.sim = sim;
    this.slice = {
      idleMs: sim.autoIdleMs,
      floor: sim.now,
      followLimit: () => this.followLimit(),
      wallUntil: 0,
    };
    sim.wakeHook = (background) => {
      // A running slice sees whatever is scheduled meanwhile; a parked runner ignores background
      // entries (a repeating timer re-arming itself is not new work).
      if (this.stopped || this.sim.isDriving) return;
      if (background) {
        if (!this.parked && this.cancelWait === null) this.arm();
        return;
      }
      this.wake();
    };
    this.arm();
  }

  /** Stops driving; the simulation keeps its state. */
  stop(): void {
    this.stopped = true;
    this.sim.wakeHook = null;
    this.cancelWait?.();
    this.cancelWait = null;
  }

  /** Outside code changed what background loops act on: wake with a fresh idle horizon. */
  nudge(): void {
    if (this.stopped) return;
    this.slice.floor = Math.max(this.slice.floor, this.sim.now);
    if (!this.sim.isDriving) this.wake();
  }

  private wake(): void {
    if (this.parked) {
      this.parked = false;
      this.slice.floor = Math.max(this.slice.floor, this.sim.now);
    } else if (this.cancelWait !== null) {
      this.cancelWait();
      this.cancelWait = null;
      this.slice.floor = Math.max(this.slice.floor, this.sim.now);
    }
    this.arm();
  }

  private arm(): void {
    if (this.armed || this.stopped) return;
    this.armed = true;
    macrotask(this.tick);
  }

  private readonly afterWait = (): void => {
    this.cancelWait = null;
    this.arm();
  };

  /**
   * The latest virtual time a background event may fire at now: the wall-clock bound while the
   * program has real timers or I/O pending, else no bound. Called by the slice whenever no
   * foreground work is pending, so a send that finishes mid-slice cannot start a leap.
   */
  private followLimit(): number {
    const outside = hostOutsideWork();
    if (outside === null || outside === 0) {
      this.following = false;
      return Number.POSITIVE_INFINITY;
    }
    const wallNow = wallElapsedMs();
    const sim = this.sim;
    if (!this.following || sim.lastWorkTime !== this.anchorWork) {
      // Work moved the clock since the anchor (or we start following): follow from here.
      this.following = true;
      this.anchorWall = wallNow;
      this.anchorVirtual = sim.now;
      this.anchorWork = sim.lastWorkTime;
    }
    return this.anchorVirtual + (wallNow - this.anchorWall);
  }

  private readonly tick = (): void => {
    this.armed = false;
    if (this.stopped || this.parked || this.cancelWait !== null || this.sim.isDriving) return;
    this.slice.wallUntil = wallElapsedMs() + SLICE_WALL_MS;
    this.sim.driveSlice(Number.POSITIVE_INFINITY, EVENTS_PER_SLICE, this.slice).then(
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
    const sim = this.sim;
    if (stop === "budget" || sim.workCount > 0) {
      // More to do right now: give the host a turn, then go on.
      this.arm();
      return;
    }
    const next = sim.nextEventTime;
    const horizon = Math.max(sim.lastWorkTime, this.slice.floor) + sim.autoIdleMs;
    if (next === Number.POSITIVE_INFINITY || next > horizon) {
      // Nothing left, or only background events past the idle horizon: park. Looking again would
      // find the same horizon and spin the host.
      this.parked = true;
      this.following = false;
      return;
    }
    const bound = this.followLimit();
    if (next <= bound) {
      this.arm();
      return;
    }
    // Following the wall clock: wait (without holding the host open) until the next background
    // event is due in wall time, or until the next look at the host's own timers.
    const aheadMs = next - bound;
    this.cancelWait = wallTimer(
      this.afterWait,
      Math.min(FOLLOW_POLL_MS, Math.max(1, Math.ceil(aheadMs))),
      false,
    );
  }
}
