import type { Incarnation } from "./process.js";
import type { TimerId } from "./timer-queue.js";

/** @internal What a handle needs from the simulation that issued it. */
export interface TimerHost {
  readonly now: number;
  isPending(id: TimerId): boolean;
  cancel(id: TimerId): boolean;
  armRepeating(handle: RepeatingHandle, time: number | null): void;
}

/**
 * A handle to a one-shot timer.
 *
 * @example
 * ```ts
 * const timeout = sim.after(30_000, () => expire());
 * timeout.cancel();
 * ```
 */
export class TimerHandle {
  /** Virtual time the callback is due. */
  readonly time: number;
  /** Diagnostic name. */
  readonly label: string;
  private readonly sim: TimerHost;
  private readonly id: TimerId;

  /** @internal */
  constructor(sim: TimerHost, id: TimerId, time: number, label: string) {
    this.sim = sim;
    this.id = id;
    this.time = time;
    this.label = label;
  }

  /** True until the timer fires or is cancelled. */
  get pending(): boolean {
    return this.sim.isPending(this.id);
  }

  /** Cancels the timer. Returns false if it already fired or was cancelled. */
  cancel(): boolean {
    return this.sim.cancel(this.id);
  }
}

/**
 * A handle to a repeating timer (`every`) or a cron schedule. Repeating timers are background
 * work: `run()` does not wait for them.
 *
 * @example
 * ```ts
 * const heartbeat = sim.every(3000, () => beat());
 * heartbeat.stop();   // no more beats
 * heartbeat.resume(); // next beat one period from now; missed beats are not replayed
 * ```
 */
export class RepeatingHandle {
  /** Diagnostic name. */
  readonly label: string;
  /** How the schedule reads, e.g. `every 3000 ms` or `cron "0 2 * * *" UTC`. */
  readonly description: string;
  /** Times the callback has run. */
  fired = 0;
  /** @internal */ readonly sim: TimerHost;
  /** @internal The process incarnation that armed it, or null (broker-side). */
  owner: Incarnation | null = null;
  /** @internal */ readonly fn: () => unknown;
  /** @internal */ readonly nextTime: (after: number) => number | null;
  /** @internal */ timerId: TimerId = -1;
  /** @internal */ dueAt: number | null = null;

  /** @internal */
  constructor(
    sim: TimerHost,
    fn: () => unknown,
    label: string,
    description: string,
    nextTime: (after: number) => number | null,
  ) {
    this.sim = sim;
    this.fn = fn;
    this.label = label;
    this.description = description;
    this.nextTime = nextTime;
  }

  /** Virtual time of the next run, or null when stopped or exhausted. */
  get nextRunAt(): number | null {
    return this.active ? this.dueAt : null;
  }

  /** True while a next run is armed. */
  get active(): boolean {
    return this.timerId >= 0 && this.sim.isPending(this.timerId);
  }

  /** Stops the schedule. Returns false if it was not running. */
  stop(): boolean {
    const wasActive = this.active;
    if (wasActive) this.sim.cancel(this.timerId);
    this.timerId = -1;
    this.dueAt = null;
    return wasActive;
  }

  /** Same as {@link stop}. */
  cancel(): boolean {
    return this.stop();
  }

  /** Re-arms a stopped schedule from the current time. Runs missed while stopped are not replayed. */
  resume(): void {
    if (this.active) return;
    this.sim.armRepeating(this, this.nextTime(this.sim.now));
  }
}
