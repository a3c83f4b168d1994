import { AutoRunner } from "./auto-runner.js";
import { CronSchedule, type CronScheduleOptions } from "./cron-schedule.js";
import { BrokerlabError, InvalidArgumentError, InvalidStateError, invariant } from "./errors.js";
import { EventBus } from "./event-bus.js";
import { RandomSource } from "./random.js";
import { RealtimeRunner } from "./realtime-runner.js";
import { BACKGROUND, INTERNAL, type TimerCallback, type TimerId, TimerQueue } from "./timer-queue.js";
import { TraceRecorder } from "./trace.js";
import {
  checkFinite,
  checkFunction,
  checkInteger,
  checkNonNegative,
  checkOneOf,
  checkOptions,
  checkPositive,
  checkString,
} from "./validate.js";

/**
 * How virtual time moves.
 * - `manual` (default): only when the program calls `step`, `runUntil`, `runFor` or `run`.
 * - `auto`: by itself, instantly, whenever the host program has nothing else to do; for code that
 *   knows nothing of the simulation (an application written against amqplib or kafkajs).
 * - `realtime`: following the wall clock at `speed` virtual ms per wall ms; for demos.
 */
export type DriveMode = "manual" | "auto" | "realtime";

/** Options of {@link Simulation}. */
export interface SimulationOptions {
  /** Seed of every random choice. Same seed + same program ⇒ same trace. Default 1. */
  seed?: number | string;
  /** Virtual time at the start, in epoch milliseconds. Default 0 (1970-01-01T00:00:00Z). */
  start?: number;
  /** Drive mode. Default `"manual"`. */
  drive?: DriveMode;
  /** Realtime mode only: virtual milliseconds per wall-clock millisecond. Default 1. */
  speed?: number;
  /** Runaway guard: most events one `run`/`runUntil`/`runFor` call may execute. Default 50 000 000. */
  maxEventsPerRun?: number;
  /**
   * Microtask turns without progress after which pending async handlers count as settled, before
   * virtual time moves. Default 16: enough for a handler to resume through several layers of
   * `await` before its next call into the simulation.
   */
  settleTurns?: number;
  /**
   * Auto mode only: virtual milliseconds the runner keeps firing periodic timers (heartbeats, beat
   * schedules) with no other work pending before it parks until new work is scheduled.
   * Default 600 000 (10 virtual minutes).
   */
  autoIdleMs?: number;
}

/** Options of one-shot timers. */
export interface TimerOptions {
  /** A name for diagnostics (runaway reports, pending listings). Default: the callback's name. */
  label?: string;
}

/** Options of {@link Simulation.every}. */
export interface PeriodicOptions extends TimerOptions {
  /** Delay of the first run. Default: one period. */
  firstDelayMs?: number;
}

/** Options of {@link Simulation.cron}. */
export interface CronOptions extends CronScheduleOptions, TimerOptions {}

const DEFAULTS = {
  seed: 1,
  start: 0,
  maxEventsPerRun: 50_000_000,
  settleTurns: 16,
  autoIdleMs: 600_000,
  speed: 1,
};

const RUNAWAY_SAMPLE = 1000;

/** Entry flag: the argument is a {@link LabeledCallback}. */
const LABELED = 4;

interface LabeledCallback {
  fn: () => unknown;
  label: string;
}

function invokeLabeled(entry: LabeledCallback): unknown {
  return entry.fn();
}

/** What the drive loop stopped on. */
type DriveStop = "limit" | "idle" | "yield" | "budget";

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
  private readonly sim: Simulation;
  private readonly id: TimerId;

  /** @internal */
  constructor(sim: Simulation, id: TimerId, time: number, label: string) {
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
  /** @internal */ readonly sim: Simulation;
  /** @internal */ readonly fn: () => unknown;
  /** @internal */ readonly nextTime: (after: number) => number | null;
  /** @internal */ timerId: TimerId = -1;
  /** @internal */ dueAt: number | null = null;

  /** @internal */
  constructor(
    sim: Simulation,
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

/**
 * The world every broker model and client lives in: one virtual clock, one seeded random source,
 * one event bus. Time moves only when the simulation is driven.
 *
 * Events run in (time, sequence) order: equal times run in the order they were scheduled. A
 * callback may be async; before virtual time moves, the loop lets promise callbacks settle, so
 * `await sim.sleep(ms)` inside handlers interleaves deterministically. Synchronous callbacks pay
 * nothing for this.
 *
 * @example
 * ```ts
 * const sim = new Simulation({ seed: 7 });
 * sim.after(10, async () => {
 *   await sim.sleep(5);
 *   console.log(sim.now); // 15
 * });
 * await sim.run();
 * ```
 */
export class Simulation {
  /** The seed this simulation was created with. */
  readonly seed: number | string;
  /** Virtual time at creation. */
  readonly start: number;
  /** The drive mode. */
  readonly drive: DriveMode;
  /** The root random stream; `random.fork(name)` gives independent named streams. */
  readonly random: RandomSource;
  /** Typed events of every model in this simulation. */
  readonly bus: EventBus;

  private nowMs: number;
  private seq = 0;
  private readonly queue = new TimerQueue();
  private readonly maxEventsPerRun: number;
  private readonly settleTurns: number;
  /** @internal */ readonly autoIdleMs: number;
  private driving = false;
  private closed = false;
  private eventsExecuted = 0;

  // Async bookkeeping: "dirty" means some promise was involved since the last settle.
  private asyncDirty = false;
  private asyncProgress = 0;
  private asyncRunning = 0;
  private readonly asyncErrors: unknown[] = [];
  private readonly onAsyncSettled = () => {
    this.asyncRunning--;
    this.asyncProgress++;
    this.asyncDirty = true;
  };
  private readonly onAsyncFailed = (error: unknown) => {
    this.asyncRunning--;
    this.asyncProgress++;
    this.asyncDirty = true;
    this.asyncErrors.push(error);
  };
  private readonly wakeSleeper = (resolve: () => void) => {
    this.asyncDirty = true;
    this.asyncProgress++;
    resolve();
  };
  private readonly fireRepeating = (handle: RepeatingHandle) => {
    const scheduledAt = handle.dueAt ?? this.nowMs;
    handle.fired++;
    // Re-arm first, so the callback may stop() its own schedule.
    this.armRepeating(handle, handle.nextTime(scheduledAt));
    return handle.fn();
  };

  /**
   * @internal Called when something is scheduled or awaited; set by the auto and realtime runners.
   * `background` is true for repeating timers re-arming themselves.
   */
  wakeHook: ((background: boolean) => void) | null = null;
  private readonly runner: AutoRunner | RealtimeRunner | null;

  constructor(options: SimulationOptions = {}) {
    checkOptions(
      options,
      ["seed", "start", "drive", "speed", "maxEventsPerRun", "settleTurns", "autoIdleMs"],
      "Simulation",
    );
    const seed = options.seed ?? DEFAULTS.seed;
    if (typeof seed === "number") checkFinite(seed, "seed", "Simulation");
    else checkString(seed, "seed", "Simulation");
    const start = options.start ?? DEFAULTS.start;
    checkFinite(start, "start", "Simulation");
    const drive = options.drive ?? "manual";
    checkOneOf(drive, ["manual", "auto", "realtime"], "drive", "Simulation");
    const speed = options.speed ?? DEFAULTS.speed;
    checkPositive(speed, "speed", "Simulation");
    const maxEvents = options.maxEventsPerRun ?? DEFAULTS.maxEventsPerRun;
    checkInteger(maxEvents, "maxEventsPerRun", "Simulation", 1);
    const settleTurns = options.settleTurns ?? DEFAULTS.settleTurns;
    checkInteger(settleTurns, "settleTurns", "Simulation", 1, 10_000);
    const autoIdleMs = options.autoIdleMs ?? DEFAULTS.autoIdleMs;
    checkNonNegative(autoIdleMs, "autoIdleMs", "Simulation");
    if (options.speed !== undefined && drive !== "realtime") {
      throw new InvalidArgumentError('Simulation: "speed" applies only to drive: "realtime".');
    }

    this.seed = seed;
    this.start = start;
    this.nowMs = start;
    this.drive = drive;
    this.random = new RandomSource(seed);
    this.bus = new EventBus(() => this.nowMs);
    this.maxEventsPerRun = maxEvents;
    this.settleTurns = settleTurns;
    this.autoIdleMs = autoIdleMs;
    this.runner =
      drive === "auto" ? new AutoRunner(this) : drive === "realtime" ? new RealtimeRunner(this, speed) : null;
  }

  /** Current virtual time in milliseconds. */
  get now(): number {
    return this.nowMs;
  }

  /** Live timers (including repeating ones and sleeps). */
  get pendingCount(): number {
    return this.queue.size;
  }

  /** Live timers that count as work for `run()` (everything but repeating timers). */
  get workCount(): number {
    return this.queue.foreground;
  }

  /** Time of the next event, or +Infinity. */
  get nextEventTime(): number {
    return this.queue.peekTime();
  }

  /** Events executed since creation. */
  get eventCount(): number {
    return this.eventsExecuted;
  }

  /** Async handlers (callbacks that returned a promise) still running. */
  get asyncHandlersRunning(): number {
    return this.asyncRunning;
  }

  /** True while a drive method is running. */
  get isDriving(): boolean {
    return this.driving;
  }

  // ---------------------------------------------------------------- scheduling: the fast path

  /**
   * Schedules `fn(arg)` at absolute virtual time `time` (≥ now). The allocation-free form used by
   * broker models; returns an id for {@link cancel}.
   */
  schedule<A>(time: number, fn: (arg: A) => unknown, arg?: A): TimerId {
    if (!(time >= this.nowMs) || !Number.isFinite(time)) this.refuseTime(time, "schedule");
    if (typeof fn !== "function") checkFunction(fn, "fn", "Simulation.schedule");
    return this.push(time, fn as TimerCallback, arg, 0);
  }

  /**
   * Schedules `fn(arg)` at the current time, after everything already due now. The cheapest way to
   * schedule: no id, not cancellable (use `schedule(sim.now, …)` for a cancellable one).
   */
  defer<A>(fn: (arg: A) => unknown, arg?: A): void {
    if (typeof fn !== "function") checkFunction(fn, "fn", "Simulation.defer");
    this.queue.pushNow(this.nowMs, ++this.seq, fn as TimerCallback, arg);
    if (this.wakeHook !== null) this.wakeHook(false);
  }

  /** Cancels a timer by id. Returns false if it already fired or was cancelled. */
  cancel(id: TimerId): boolean {
    return this.queue.cancel(id);
  }

  /** True while the timer with this id has neither fired nor been cancelled. */
  isPending(id: TimerId): boolean {
    return this.queue.isPending(id);
  }

  // ---------------------------------------------------------------- scheduling: handles

  /** Runs `fn` at absolute virtual time `time` (≥ now). */
  at(time: number, fn: () => unknown, options?: TimerOptions): TimerHandle {
    checkFinite(time, "time", "Simulation.at");
    checkFunction(fn, "fn", "Simulation.at");
    checkOptions(options, ["label"], "Simulation.at");
    if (time < this.nowMs) this.refuseTime(time, "at");
    return this.handleFor(time, fn, options?.label);
  }

  /** Runs `fn` after `delayMs` (≥ 0) of virtual time. */
  after(delayMs: number, fn: () => unknown, options?: TimerOptions): TimerHandle {
    checkNonNegative(delayMs, "delayMs", "Simulation.after");
    checkFunction(fn, "fn", "Simulation.after");
    checkOptions(options, ["label"], "Simulation.after");
    return this.handleFor(this.nowMs + delayMs, fn, options?.label);
  }

  /** Runs `fn` every `periodMs` (> 0), first after `firstDelayMs` (default one period). Background work. */
  every(periodMs: number, fn: () => unknown, options?: PeriodicOptions): RepeatingHandle {
    checkPositive(periodMs, "periodMs", "Simulation.every");
    checkFunction(fn, "fn", "Simulation.every");
    checkOptions(options, ["label", "firstDelayMs"], "Simulation.every");
    const first = options?.firstDelayMs ?? periodMs;
    checkNonNegative(first, "firstDelayMs", "Simulation.every");
    const label = options?.label ?? (fn.name || "every");
    const handle = new RepeatingHandle(this, fn, label, `every ${periodMs} ms`, (after) => after + periodMs);
    this.armRepeating(handle, this.nowMs + first);
    return handle;
  }

  /**
   * Runs `fn` on a cron schedule (`"0 2 * * *"`: daily at 02:00), read in `tz` (default UTC), with
   * cron's OR of the day fields or Celery's AND (`dayFields: "and"`). Background work. Missed runs
   * are never caught up.
   */
  cron(expression: string, fn: () => unknown, options?: CronOptions): RepeatingHandle {
    checkFunction(fn, "fn", "Simulation.cron");
    checkOptions(options, ["label", "tz", "dayFields"], "Simulation.cron");
    const schedule = new CronSchedule(expression, { tz: options?.tz, dayFields: options?.dayFields });
    const label = options?.label ?? (fn.name || `cron ${expression}`);
    const wrapped = () => {
      if (this.bus.wants("scheduler.cron")) {
        this.bus.emit("scheduler.cron", { expression, scheduledAt: this.nowMs });
      }
      return fn();
    };
    const handle = new RepeatingHandle(
      this,
      wrapped,
      label,
      `cron ${JSON.stringify(expression)} ${schedule.tz}`,
      (after) => schedule.nextAfter(after),
    );
    this.armRepeating(handle, schedule.nextAfter(this.nowMs));
    return handle;
  }

  /** @internal Arms the next run of a repeating handle (null: exhausted). */
  armRepeating(handle: RepeatingHandle, time: number | null): void {
    if (time === null) {
      handle.timerId = -1;
      handle.dueAt = null;
      return;
    }
    handle.dueAt = time;
    handle.timerId = this.push(time, this.fireRepeating as TimerCallback, handle, BACKGROUND | INTERNAL);
  }

  // ---------------------------------------------------------------- async

  /** A promise that resolves after `delayMs` of virtual time. */
  sleep(delayMs: number): Promise<void> {
    checkNonNegative(delayMs, "delayMs", "Simulation.sleep");
    this.asyncProgress++;
    return new Promise<void>((resolve) => {
      this.push(this.nowMs + delayMs, this.wakeSleeper as TimerCallback, resolve, INTERNAL);
    });
  }

  /**
   * A promise whose settlement the simulation tracks: resolving it counts as async progress, so the
   * loop lets its continuations run before time moves. Models use it for promises they hand to
   * client code (a facade's `send()`, a consumer's next message). Settling it twice is a no-op.
   */
  deferred<T = void>(): {
    promise: Promise<T>;
    resolve: (value: T) => void;
    reject: (error: unknown) => void;
  } {
    let resolveFn!: (value: T) => void;
    let rejectFn!: (error: unknown) => void;
    const promise = new Promise<T>((resolve, reject) => {
      resolveFn = resolve;
      rejectFn = reject;
    });
    this.asyncProgress++;
    this.wakeHook?.(false);
    let settled = false;
    return {
      promise,
      resolve: (value: T) => {
        if (settled) return;
        settled = true;
        this.asyncDirty = true;
        this.asyncProgress++;
        this.wakeHook?.(false);
        resolveFn(value);
      },
      reject: (error: unknown) => {
        if (settled) return;
        settled = true;
        this.asyncDirty = true;
        this.asyncProgress++;
        this.wakeHook?.(false);
        rejectFn(error);
      },
    };
  }

  // ---------------------------------------------------------------- driving

  /**
   * Runs exactly one event, synchronously, and returns true; false when nothing is scheduled.
   * Continuations of async handlers it resumes run when the caller next awaits.
   */
  step(): boolean {
    this.assertNotDriving("step");
    this.throwAsyncErrors();
    if (!this.queue.popInto(Number.POSITIVE_INFINITY)) return false;
    this.fire();
    return true;
  }

  /** Runs every event due at or before `time`, then sets the clock to exactly `time`. */
  async runUntil(time: number): Promise<void> {
    checkFinite(time, "time", "Simulation.runUntil");
    if (time < this.nowMs) this.refuseTime(time, "runUntil");
    this.assertManual("runUntil");
    await this.driveLoop(time, false, Number.POSITIVE_INFINITY, false, true);
  }

  /** Runs for `durationMs` of virtual time; afterwards `now` is exactly the old `now + durationMs`. */
  async runFor(durationMs: number): Promise<void> {
    checkNonNegative(durationMs, "durationMs", "Simulation.runFor");
    await this.runUntil(this.nowMs + durationMs);
  }

  /**
   * Runs until no work is left. Repeating timers (`every`, `cron`) alone are not work: they fire
   * while other work remains and stay armed afterwards.
   */
  async run(): Promise<void> {
    this.assertManual("run");
    await this.driveLoop(Number.POSITIVE_INFINITY, true, Number.POSITIVE_INFINITY, false);
  }

  /** Stops any auto or realtime runner. Idempotent. Manual driving still works afterwards. */
  close(): void {
    this.closed = true;
    this.runner?.stop();
  }

  /** True once {@link close} was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * @internal The runners' entry: runs up to `maxEvents` events due at or before `limit`. With
   * `yieldOnAsync`, returns "yield" instead of advancing time while promises may still settle, so
   * the caller can give the host a macrotask turn.
   */
  async driveSlice(limit: number, maxEvents: number): Promise<DriveStop> {
    return this.driveLoop(limit, false, maxEvents, true);
  }

  // ---------------------------------------------------------------- observation

  /** Starts recording every event on the bus; see {@link TraceRecorder}. */
  trace(options: { keepEntries?: boolean } = {}): TraceRecorder {
    checkOptions(options, ["keepEntries"], "Simulation.trace");
    return new TraceRecorder(this.bus, options.keepEntries ?? true);
  }

  /** Adds a user note to the event stream (and so to traces). */
  record(label: string, data?: unknown): void {
    checkString(label, "label", "Simulation.record");
    if (this.bus.wants("user.record"))
      this.bus.emit("user.record", data === undefined ? { label } : { label, data });
  }

  /** Pending timers in due order with their labels, for diagnostics. */
  describePending(limit = 20): string[] {
    return this.queue
      .snapshot()
      .slice(0, limit)
      .map((entry) => `${entry.time} ${this.describeEntry(entry.fn, entry.arg, entry.flags)}`);
  }

  // ---------------------------------------------------------------- internals

  private push(time: number, fn: TimerCallback, arg: unknown, flags: number): TimerId {
    const id = this.queue.push(time, ++this.seq, fn, arg, flags, this.nowMs);
    if (this.wakeHook !== null) this.wakeHook((flags & BACKGROUND) !== 0);
    return id;
  }

  private handleFor(time: number, fn: () => unknown, label: string | undefined): TimerHandle {
    if (label === undefined) {
      return new TimerHandle(
        this,
        this.push(time, fn as TimerCallback, undefined, 0),
        time,
        fn.name || "anonymous",
      );
    }
    const id = this.push(time, invokeLabeled as TimerCallback, { fn, label }, LABELED);
    return new TimerHandle(this, id, time, label);
  }

  private fire(): void {
    const queue = this.queue;
    // The clock never goes backwards: an event due before `now` means a scheduling entry let a
    // time in the past through.
    if (queue.firedTime < this.nowMs) {
      invariant(false, `event due at ${queue.firedTime} fired at virtual time ${this.nowMs}`);
    }
    this.nowMs = queue.firedTime;
    const fn = queue.firedFn as (arg: unknown) => unknown;
    const arg = queue.firedArg;
    queue.firedFn = null;
    queue.firedArg = undefined;
    this.eventsExecuted++;
    const result = fn(arg);
    if (
      result !== undefined &&
      result !== null &&
      typeof (result as PromiseLike<unknown>).then === "function"
    ) {
      this.asyncRunning++;
      this.asyncProgress++;
      this.asyncDirty = true;
      (result as PromiseLike<unknown>).then(this.onAsyncSettled, this.onAsyncFailed);
    }
  }

  private async driveLoop(
    limit: number,
    untilIdle: boolean,
    maxEvents: number,
    yieldOnAsync: boolean,
    advanceClock = false,
  ): Promise<DriveStop> {
    this.assertNotDriving(untilIdle ? "run" : "runUntil");
    this.driving = true;
    try {
      return await this.driveEvents(limit, untilIdle, maxEvents, yieldOnAsync, advanceClock);
    } finally {
      this.driving = false;
    }
  }

  private async driveEvents(
    limit: number,
    untilIdle: boolean,
    maxEvents: number,
    yieldOnAsync: boolean,
    advanceClock: boolean,
  ): Promise<DriveStop> {
    const queue = this.queue;
    const guard = this.maxEventsPerRun;
    let executed = 0;
    for (;;) {
      this.throwAsyncErrors();
      const next = queue.peekTime();
      // Promise continuations are part of the event that resumed them: let them finish before
      // the next event runs, as a real event loop drains microtasks between macrotasks.
      if (this.asyncDirty) {
        if (yieldOnAsync) {
          this.asyncDirty = false;
          return "yield";
        }
        await this.settle();
        continue;
      }
      if (untilIdle && queue.foreground === 0) return "idle";
      // An empty queue ends every drive, also one whose limit is +Infinity (the auto runner's):
      // `Infinity > Infinity` is false, and the loop would spin without ever firing an event.
      if (next > limit || next === Number.POSITIVE_INFINITY) {
        // Move the clock in the same synchronous stretch that found nothing left before `limit`:
        // a promise callback that runs while the caller resumes must see the new time, or what it
        // schedules would lie in the past.
        if (advanceClock && limit > this.nowMs) this.nowMs = limit;
        return next === Number.POSITIVE_INFINITY ? "idle" : "limit";
      }
      if (executed >= maxEvents) return "budget";
      // Run a burst of synchronous events without re-checking the async state between them;
      // an async handler sets asyncDirty, which ends the burst.
      const stopAt = Math.min(guard, maxEvents);
      while (queue.popInto(limit)) {
        this.fire();
        if (++executed >= stopAt) {
          if (executed >= guard) await this.runaway(limit);
          break;
        }
        if (this.asyncDirty || (untilIdle && queue.foreground === 0)) break;
      }
    }
  }

  /** Lets promise continuations run until `settleTurns` microtask turns pass without progress. */
  private async settle(): Promise<void> {
    let idle = 0;
    while (idle < this.settleTurns) {
      const mark = this.seq + this.asyncProgress;
      await null;
      if (this.asyncErrors.length > 0) return;
      if (this.seq + this.asyncProgress !== mark) idle = 0;
      else idle++;
    }
    this.asyncDirty = false;
  }

  private async runaway(limit: number): Promise<never> {
    const counts = new Map<string, number>();
    for (let i = 0; i < RUNAWAY_SAMPLE && this.queue.popInto(limit); i++) {
      const name = this.describeEntry(
        this.queue.firedFn as TimerCallback,
        this.queue.firedArg,
        this.queue.firedFlags,
      );
      counts.set(name, (counts.get(name) ?? 0) + 1);
      this.fire();
      if (this.asyncDirty) await this.settle();
    }
    const top = [...counts].sort((a, b) => b[1] - a[1]).slice(0, 5);
    const repeating = this.queue
      .snapshot()
      .filter((entry) => (entry.flags & BACKGROUND) !== 0)
      .map((entry) => this.describeEntry(entry.fn, entry.arg, entry.flags));
    throw new BrokerlabError(
      "RUNAWAY_SCHEDULE",
      `Simulation: more than ${this.maxEventsPerRun} events in one run, at virtual time ${this.nowMs}. ` +
        `Still firing (of the next ${RUNAWAY_SAMPLE}): ${top.map(([name, n]) => `${name} ×${n}`).join(", ") || "nothing"}. ` +
        `Repeating timers armed: ${repeating.join(", ") || "none"}. ` +
        "Cancel the timer that keeps re-arming itself, or raise maxEventsPerRun if the workload is really this large.",
      { firing: Object.fromEntries(top), repeating },
    );
  }

  private describeEntry(fn: TimerCallback, arg: unknown, flags: number): string {
    if ((flags & LABELED) !== 0) return (arg as LabeledCallback).label;
    if ((flags & INTERNAL) !== 0) {
      if (arg instanceof RepeatingHandle) return `${arg.label} (${arg.description})`;
      return "sleep wake-up";
    }
    return fn.name || "anonymous";
  }

  private throwAsyncErrors(): void {
    if (this.asyncErrors.length > 0) {
      const error = this.asyncErrors.shift();
      throw error;
    }
  }

  private assertNotDriving(what: string): void {
    if (this.driving) {
      throw new InvalidStateError(
        `Simulation.${what}: the simulation is already being driven (a run is in progress, or a handler called ${what}). ` +
          "Inside handlers, wait with `await sim.sleep(ms)` instead.",
        "REENTRANT_RUN",
      );
    }
  }

  private assertManual(what: string): void {
    if (this.runner !== null && !this.closed) {
      throw new InvalidStateError(
        `Simulation.${what}: this simulation is driven in "${this.drive}" mode, which moves time by itself. ` +
          'Wait with `await sim.sleep(ms)`, or create the simulation with drive: "manual".',
        "DRIVE_MODE",
      );
    }
  }

  private refuseTime(time: number, what: string): never {
    throw new InvalidArgumentError(
      `Simulation.${what}: time ${String(time)} is ${Number.isFinite(time) ? `before the current virtual time ${this.nowMs}` : "not a finite number"}; ` +
        "schedule at or after `sim.now`, or use a delay ≥ 0.",
      "INVALID_TIME",
    );
  }
}
