import { AutoRunner } from "./auto-runner.js";
import { CronSchedule, type CronScheduleOptions } from "./cron-schedule.js";
import { describeValue } from "./describe-value.js";
import { BrokerlabError, InvalidArgumentError, InvalidStateError, invariant } from "./errors.js";
import { EventBus } from "./event-bus.js";
import { RepeatingHandle, TimerHandle } from "./handles.js";
import {
  hostKeepAlive,
  hostMayHop,
  hostPendingWork,
  hostTurn,
  macrotaskBoundary,
  wallClockMs,
  wallDelay,
  wallElapsedMs,
} from "./host-runner.js";
import {
  type CrashHook,
  checkDroppable,
  checkSpawn,
  type Droppable,
  type Incarnation,
  type ProcessContext,
  type ProcessKernel,
  SimProcess,
  type SpawnOptions,
} from "./process.js";
import { RandomSource } from "./random.js";
import { RealtimeRunner } from "./realtime-runner.js";
import { BACKGROUND, INTERNAL, type TimerCallback, type TimerId, TimerQueue } from "./timer-queue.js";
import { type TraceKeep, TraceRecorder, traceCapacity } from "./trace.js";
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
 *   knows nothing of the simulation (an application written against amqplib or kafkajs). Time
 *   advances for work, not idleness: with only background timers left it parks after
 *   `autoIdleMs`, and while the program has a real timer of its own pending it follows the wall
 *   clock instead of jumping (see {@link AutoRunner}).
 * - `realtime`: following the wall clock at `speed` virtual ms per wall ms; for demos.
 */
export type DriveMode = "manual" | "auto" | "realtime";

/** Options of {@link Simulation}. */
export interface SimulationOptions {
  /** Seed of every random choice. Same seed + same program ⇒ same trace. Default 1. */
  seed?: number | string;
  /**
   * Virtual time at the start, in epoch milliseconds, or `"wall"` for the wall clock at creation
   * (demos). Default 1 735 689 600 000 = 2025-01-01T00:00:00Z: a fixed, realistic instant, so
   * timestamps in records, events and logs look plausible and stay deterministic.
   */
  start?: number | "wall";
  /** Drive mode. Default `"manual"`. */
  drive?: DriveMode;
  /** Realtime mode only: virtual milliseconds per wall-clock millisecond. Default 1. */
  speed?: number;
  /** Runaway guard: most events one `run`/`runUntil`/`runFor` call may execute. Default 50 000 000. */
  maxEventsPerRun?: number;
  /**
   * Manual mode: wall-clock milliseconds `run()` / `until()` wait for async work that is waiting on
   * something outside the simulation (a real timer, real I/O) when nothing inside it is left to do,
   * before failing with a `FOREIGN_WAIT` error that names what is pending. Default 2000.
   */
  foreignWaitMs?: number;
  /**
   * Extra macrotask turns granted to async code that made no visible progress in the last turn
   * (a chain of real `setImmediate` hops) before virtual time moves. Default 4.
   */
  foreignTurns?: number;
  /**
   * Auto mode: virtual milliseconds the runner keeps firing background timers (heartbeats, beat
   * schedules, idle long-polls) after the last foreground event before it parks until new work is
   * scheduled; realtime mode: how long such timers alone hold the host open. Also until()'s
   * horizon for repeating timers. Default 600 000 (10 virtual minutes).
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
  start: 1_735_689_600_000,
  maxEventsPerRun: 50_000_000,
  foreignWaitMs: 2000,
  foreignTurns: 4,
  autoIdleMs: 600_000,
  speed: 1,
};

const RUNAWAY_SAMPLE = 1000;
/** Turns the host must show no outside work in flight before a drive stops waiting for it. */
const IDLE_HOST_TURNS = 3;

/** Entry flag: the argument is a {@link LabeledCallback}. */
const LABELED = 4;
/** Entry flag: the argument is an {@link OwnedCall}: it runs as its process, or never if that died. */
const OWNED = 8;

/** A callback armed by a process's code: it runs with that process current. */
class OwnedCall {
  readonly token: Incarnation;
  readonly fn: (arg: unknown) => unknown;
  readonly arg: unknown;
  readonly label: string;
  /** True for a sleep's wake-up: counted in the simulation's pending waits. */
  readonly wait: boolean;
  constructor(token: Incarnation, fn: (arg: unknown) => unknown, arg: unknown, label: string, wait: boolean) {
    this.token = token;
    this.fn = fn;
    this.arg = arg;
    this.label = label;
    this.wait = wait;
  }
}

interface LabeledCallback {
  fn: () => unknown;
  label: string;
}

/** A timer label, when given, must be a string: it is printed later by describePending() and runaway reports. */
function checkLabel(options: TimerOptions | undefined, where: string): void {
  if (options?.label !== undefined) checkString(options.label, "label", where);
}

function invokeLabeled(entry: LabeledCallback): unknown {
  return entry.fn();
}

/** What the drive loop stopped on. */
type DriveStop = "limit" | "idle" | "budget" | "done";

/** One call of the drive loop. */
interface DriveRequest {
  /** Latest virtual time an event may fire at. */
  limit: number;
  /** Stop when no foreground work is left. */
  untilIdle: boolean;
  /** Most events to run. */
  maxEvents: number;
  /** Set the clock to `limit` when nothing before it is left. */
  advanceClock: boolean;
  /**
   * Wait in wall time for async work blocked outside the simulation (manual drives): `"io"` while
   * the host has I/O in flight, `"timers"` also while real timers are pending (until), or `false`.
   */
  waitForeign: "io" | "timers" | false;
  /** Stop as soon as this turns true (until). */
  done: { settled: boolean } | null;
  /** Auto runner only: how far background events may run ahead, or null for no such bound. */
  auto: AutoSliceOptions | null;
}

/**
 * @internal How far an auto runner's slice may go when no foreground work is pending: background
 * events (heartbeats, long-polls, retention checks) fire only up to `min(followLimit(),
 * max(lastWorkTime, floor) + idleMs)`, re-evaluated before every event, so a slice never runs idle
 * loops past the idle horizon (or ahead of the wall clock) even when the last foreground event
 * fired in the middle of it. The runner owns the object and may update it while the slice runs.
 */
export interface AutoSliceOptions {
  /** Virtual ms of background-only activity allowed after the last work. */
  readonly idleMs: number;
  /** Virtual time of the last work the runner saw outside events (a wake, a nudge). */
  floor: number;
  /** Latest virtual time a background event may fire at now (wall-clock following), or +Infinity. */
  readonly followLimit: () => number;
  /** `wallElapsedMs()` reading past which the slice yields to the host, checked every few events. */
  wallUntil: number;
}

/** Events between two looks at the wall clock in an auto slice. */
const WALL_CHECK_EVERY = 64;

/** Options of {@link Simulation.until}. */
export interface UntilOptions {
  /** Virtual milliseconds to wait at most; past them `until` rejects with `UNTIL_TIMEOUT`. Default: no limit. */
  timeoutMs?: number;
}

export { RepeatingHandle, TimerHandle } from "./handles.js";
export type { CrashHook, CrashPointInfo, ProcessContext, ProcessState, SpawnOptions } from "./process.js";
export { SimProcess } from "./process.js";

/**
 * The world every broker model and client lives in: one virtual clock, one seeded random source,
 * one event bus. Time moves only when the simulation is driven.
 *
 * Events run in (time, sequence) order: equal times run in the order they were scheduled. A
 * callback may be async. After an event that involved a promise, the loop waits for a macrotask
 * boundary — by then JavaScript has run every promise continuation that could run, however deep
 * the `await` chain — before the next event, so a handler's continuations belong to its event and
 * virtual time never moves under running code. Synchronous callbacks pay nothing for this.
 *
 * @example
 * ```ts
 * const sim = new Simulation({ seed: 7, start: 0 });
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
  /** Virtual time at creation, in epoch milliseconds. */
  readonly start: number;
  /** The drive mode. */
  readonly drive: DriveMode;
  /** The root random stream; `random.fork(name)` gives independent named streams. */
  readonly random: RandomSource;
  /** Typed events of every model in this simulation. */
  readonly bus: EventBus;

  private nowMs: number;
  private seq = 0;
  /** Live {@link holdHost} holds, and what releases the host when they end. */
  private hostHolds = 0;
  private releaseHost: (() => void) | null = null;
  private readonly queue = new TimerQueue();
  private readonly maxEventsPerRun: number;
  private readonly foreignWaitMs: number;
  private readonly foreignTurns: number;
  /** @internal */ readonly autoIdleMs: number;
  private driving = false;
  /** Resolves when the drive in progress returns; until() calls ride along on it. */
  private driveEnded: Promise<void> = Promise.resolve();
  private closed = false;
  private eventsExecuted = 0;
  /** Virtual time of the last foreground event fired: the auto runner's measure of "work". */
  private workAt: number;

  // Async bookkeeping: "dirty" means some promise was involved since the last macrotask boundary.
  private asyncDirty = false;
  private asyncProgress = 0;
  private asyncRunning = 0;
  /** Sleeps and deferreds handed out and not settled yet: what running async code may wait on. */
  private simWaits = 0;
  private readonly asyncErrors: unknown[] = [];

  // Processes.
  private current: Incarnation | null = null;
  private readonly processByName = new Map<string, SimProcess>();
  private mainsRunning = 0;
  private crashHookFn: CrashHook | null = null;
  private readonly pointCounts = new Map<string, number>();
  private readonly kernel: ProcessKernel<Simulation>;

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
    this.simWaits--;
    this.asyncDirty = true;
    this.asyncProgress++;
    resolve();
  };
  private readonly fireOwned = (call: OwnedCall): unknown => {
    const token = call.token;
    // A dead incarnation's timers never fire and its sleeps never wake (their waits were written
    // off when it died).
    if (!token.alive) return undefined;
    if (call.wait) token.waits--;
    this.current = token;
    const result = call.fn(call.arg);
    if (
      result !== undefined &&
      result !== null &&
      typeof (result as PromiseLike<unknown>).then === "function"
    ) {
      // Tracked per incarnation, so that a crash writes off handlers that will now never finish.
      token.asyncRunning++;
      this.asyncRunning++;
      this.asyncProgress++;
      this.asyncDirty = true;
      (result as PromiseLike<unknown>).then(
        () => this.ownedSettled(token, undefined, false),
        (error: unknown) => this.ownedSettled(token, error, true),
      );
    }
    return undefined;
  };
  private readonly fireRepeating = (handle: RepeatingHandle) => {
    const owner = handle.owner;
    if (owner !== null) {
      if (!owner.alive) {
        handle.timerId = -1;
        handle.dueAt = null;
        return undefined;
      }
      this.current = owner;
    }
    const scheduledAt = handle.dueAt ?? this.nowMs;
    handle.fired++;
    // Re-arm first, so the callback may stop() its own schedule.
    this.armRepeating(handle, handle.nextTime(scheduledAt));
    return handle.fn();
  };

  /**
   * @internal Called when something is scheduled or awaited; set by the auto and realtime runners.
   * `background` is true for work that alone must not keep an auto runner going (repeating timers,
   * the models' idle long-polls).
   */
  wakeHook: ((background: boolean) => void) | null = null;
  private readonly runner: AutoRunner | RealtimeRunner | null;

  constructor(options: SimulationOptions = {}) {
    checkOptions(
      options,
      ["seed", "start", "drive", "speed", "maxEventsPerRun", "foreignWaitMs", "foreignTurns", "autoIdleMs"],
      "Simulation",
    );
    const seed = options.seed ?? DEFAULTS.seed;
    if (typeof seed === "number") checkFinite(seed, "seed", "Simulation");
    else checkString(seed, "seed", "Simulation");
    const startOption = options.start ?? DEFAULTS.start;
    if (startOption !== "wall") checkFinite(startOption, "start", "Simulation");
    const drive = options.drive ?? "manual";
    checkOneOf(drive, ["manual", "auto", "realtime"], "drive", "Simulation");
    const speed = options.speed ?? DEFAULTS.speed;
    checkPositive(speed, "speed", "Simulation");
    const maxEvents = options.maxEventsPerRun ?? DEFAULTS.maxEventsPerRun;
    checkInteger(maxEvents, "maxEventsPerRun", "Simulation", 1);
    const foreignWaitMs = options.foreignWaitMs ?? DEFAULTS.foreignWaitMs;
    checkNonNegative(foreignWaitMs, "foreignWaitMs", "Simulation");
    const foreignTurns = options.foreignTurns ?? DEFAULTS.foreignTurns;
    checkInteger(foreignTurns, "foreignTurns", "Simulation", 0, 1000);
    const autoIdleMs = options.autoIdleMs ?? DEFAULTS.autoIdleMs;
    checkNonNegative(autoIdleMs, "autoIdleMs", "Simulation");
    if (options.speed !== undefined && drive !== "realtime") {
      throw new InvalidArgumentError('Simulation: "speed" applies only to drive: "realtime".');
    }

    const start = startOption === "wall" ? wallClockMs() : startOption;
    this.seed = seed;
    this.start = start;
    this.nowMs = start;
    this.workAt = start;
    this.drive = drive;
    this.random = new RandomSource(seed);
    this.bus = new EventBus(() => this.nowMs);
    this.maxEventsPerRun = maxEvents;
    this.foreignWaitMs = foreignWaitMs;
    this.foreignTurns = foreignTurns;
    this.autoIdleMs = autoIdleMs;
    this.kernel = this.processKernel();
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

  /**
   * @internal Virtual time of the last foreground event fired (or of creation): what the auto
   * runner measures idleness from. Background events (repeating timers, idle long-polls,
   * heartbeats) do not move it.
   */
  get lastWorkTime(): number {
    return this.workAt;
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
   * broker models: it belongs to no process (broker-side work); returns an id for {@link cancel}.
   */
  schedule<A>(time: number, fn: (arg: A) => unknown, arg?: A): TimerId {
    if (typeof time !== "number" || !(time >= this.nowMs) || !Number.isFinite(time))
      this.refuseTime(time, "schedule");
    if (typeof fn !== "function") checkFunction(fn, "fn", "Simulation.schedule");
    return this.push(time, fn as TimerCallback, arg, 0);
  }

  /**
   * Schedules `fn(arg)` at the current time, after everything already due now. The cheapest way to
   * schedule: no id, not cancellable (use `schedule(sim.now, …)` for a cancellable one). Broker-side.
   */
  defer<A>(fn: (arg: A) => unknown, arg?: A): void {
    if (typeof fn !== "function") checkFunction(fn, "fn", "Simulation.defer");
    this.queue.pushNow(this.nowMs, ++this.seq, fn as TimerCallback, arg);
    if (this.wakeHook !== null) this.wakeHook(false);
  }

  /**
   * @internal Like {@link schedule}, but background: the entry does not count as work, so `run()`
   * does not wait for it and an auto runner may park while only such entries are pending. For the
   * models' idle loops (heartbeat requests, long-poll timeouts) that re-arm themselves forever.
   */
  scheduleBackground<A>(time: number, fn: (arg: A) => unknown, arg?: A): TimerId {
    if (typeof time !== "number" || !(time >= this.nowMs) || !Number.isFinite(time))
      this.refuseTime(time, "scheduleBackground");
    if (typeof fn !== "function") checkFunction(fn, "fn", "Simulation.scheduleBackground");
    return this.push(time, fn as TimerCallback, arg, BACKGROUND);
  }

  /**
   * @internal Tells the runner that code outside the simulation's events changed state that only
   * background loops act on (a consumer resumed a paused partition): a parked auto runner wakes and
   * grants the loops another idle horizon from now. Schedules nothing; a no-op in manual mode.
   */
  nudge(): void {
    this.runner?.nudge();
  }

  /**
   * Cancels a timer by id. Returns false if it already fired or was cancelled (or the number names
   * no timer). Anything but a number is refused with `INVALID_TIMER_ID`.
   */
  cancel(id: TimerId): boolean {
    if (typeof id !== "number") this.refuseTimerId(id, "cancel");
    return this.queue.cancel(id);
  }

  /** True while the timer with this id has neither fired nor been cancelled. Ids must be numbers (`INVALID_TIMER_ID`). */
  isPending(id: TimerId): boolean {
    if (typeof id !== "number") this.refuseTimerId(id, "isPending");
    return this.queue.isPending(id);
  }

  // ---------------------------------------------------------------- scheduling: handles

  /** Runs `fn` at absolute virtual time `time` (≥ now). Armed inside a process, it belongs to it. */
  at(time: number, fn: () => unknown, options?: TimerOptions): TimerHandle {
    checkFinite(time, "time", "Simulation.at");
    checkFunction(fn, "fn", "Simulation.at");
    checkOptions(options, ["label"], "Simulation.at");
    checkLabel(options, "Simulation.at");
    if (time < this.nowMs) this.refuseTime(time, "at");
    return this.handleFor(time, fn, options?.label);
  }

  /** Runs `fn` after `delayMs` (≥ 0) of virtual time. Armed inside a process, it belongs to it. */
  after(delayMs: number, fn: () => unknown, options?: TimerOptions): TimerHandle {
    checkNonNegative(delayMs, "delayMs", "Simulation.after");
    checkFunction(fn, "fn", "Simulation.after");
    checkOptions(options, ["label"], "Simulation.after");
    checkLabel(options, "Simulation.after");
    return this.handleFor(this.nowMs + delayMs, fn, options?.label);
  }

  /** Runs `fn` every `periodMs` (> 0), first after `firstDelayMs` (default one period). Background work. */
  every(periodMs: number, fn: () => unknown, options?: PeriodicOptions): RepeatingHandle {
    checkPositive(periodMs, "periodMs", "Simulation.every");
    checkFunction(fn, "fn", "Simulation.every");
    checkOptions(options, ["label", "firstDelayMs"], "Simulation.every");
    checkLabel(options, "Simulation.every");
    const first = options?.firstDelayMs ?? periodMs;
    checkNonNegative(first, "firstDelayMs", "Simulation.every");
    const label = options?.label ?? (fn.name || "every");
    const handle = new RepeatingHandle(this, fn, label, `every ${periodMs} ms`, (after) => after + periodMs);
    handle.owner = this.liveCurrent();
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
    checkLabel(options, "Simulation.cron");
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
    handle.owner = this.liveCurrent();
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

  /**
   * A promise that resolves after `delayMs` of virtual time. Inside a process it never resolves
   * once the process has crashed.
   */
  sleep(delayMs: number): Promise<void> {
    checkNonNegative(delayMs, "delayMs", "Simulation.sleep");
    return this.sleepUntil(this.nowMs + delayMs, 0);
  }

  /**
   * @internal A sleep that does not count as work: an auto runner may park while only such sleeps
   * (the models' idle long-polls and retry back-offs of an idle client) are pending.
   */
  backgroundSleep(delayMs: number): Promise<void> {
    checkNonNegative(delayMs, "delayMs", "Simulation.backgroundSleep");
    return this.sleepUntil(this.nowMs + delayMs, BACKGROUND);
  }

  private sleepUntil(
    time: number,
    flags: number,
    owner: Incarnation | null = this.liveCurrent(),
  ): Promise<void> {
    this.asyncProgress++;
    this.simWaits++;
    return new Promise<void>((resolve) => {
      if (owner === null) {
        this.push(time, this.wakeSleeper as TimerCallback, resolve, INTERNAL | flags);
      } else {
        owner.waits++;
        const call = new OwnedCall(
          owner,
          this.wakeSleeper as (arg: unknown) => unknown,
          resolve,
          "sleep wake-up",
          true,
        );
        this.push(time, this.fireOwned as TimerCallback, call, INTERNAL | OWNED | flags);
      }
    });
  }

  /**
   * A promise whose settlement the simulation tracks: resolving it counts as async progress, so the
   * loop lets its continuations run before time moves. Models use it for promises they hand to
   * client code (a facade's `send()`, a consumer's next message). Settling it twice is a no-op.
   * Created inside a process, it settles as that process (its continuation runs with the process
   * current), and never once the process has crashed.
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
    const owner = this.liveCurrent();
    this.asyncProgress++;
    this.simWaits++;
    if (owner !== null) owner.waits++;
    this.wakeHook?.(false);
    let settled = false;
    const settle = (ok: boolean, value: unknown): void => {
      if (owner !== null) {
        if (!owner.alive) return;
        owner.waits--;
      }
      this.simWaits--;
      this.asyncDirty = true;
      this.asyncProgress++;
      this.wakeHook?.(false);
      if (ok) resolveFn(value as T);
      else rejectFn(value);
    };
    const finish = (ok: boolean, value: unknown): void => {
      if (settled) return;
      settled = true;
      if (owner !== null && !owner.alive) return;
      if (owner === null || owner === this.current) {
        settle(ok, value);
        return;
      }
      // Settled from another context (a broker event): settle in an event of the owner, so the
      // continuation runs as the process that awaits it.
      const call = new OwnedCall(owner, () => settle(ok, value), undefined, "deferred settlement", false);
      this.push(this.nowMs, this.fireOwned as TimerCallback, call, INTERNAL | OWNED);
    };
    return {
      promise,
      resolve: (value: T) => finish(true, value),
      reject: (error: unknown) => finish(false, error),
    };
  }

  // ---------------------------------------------------------------- processes

  /**
   * Runs `main(ctx)` as a named process — the unit that crashes — starting in an event at the
   * current time. See {@link SimProcess}. An error thrown by `main` ends the process as `failed`
   * and makes the next drive call reject with it, unless `restartOnFailure` is set.
   *
   * @example
   * ```ts
   * const sim = new Simulation();
   * let processed = 0;
   * const worker = sim.spawn("worker", async (ctx) => {
   *   for (;;) {
   *     await ctx.sleep(100);
   *     processed++;
   *     await ctx.point("after-process");
   *   }
   * });
   * sim.after(350, () => worker.crash());
   * await sim.run();
   * console.log(worker.state, processed); // crashed 3
   * ```
   */
  spawn(
    name: string,
    main: (ctx: ProcessContext<Simulation>) => unknown,
    options: SpawnOptions = {},
  ): SimProcess {
    checkSpawn(name, main, options, (taken) => this.processByName.has(taken));
    const process = new SimProcess(
      this.kernel as ProcessKernel<unknown>,
      name,
      main as (ctx: ProcessContext<unknown>) => unknown,
      options,
    );
    this.processByName.set(name, process);
    return process;
  }

  /** Every process spawned, in spawn order. */
  get processes(): readonly SimProcess[] {
    return [...this.processByName.values()];
  }

  /** The process with this name, or undefined. */
  process(name: string): SimProcess | undefined {
    checkString(name, "name", "Simulation.process");
    return this.processByName.get(name);
  }

  /** The process whose code runs now, or null (top-level code, broker-side events). */
  get currentProcess(): SimProcess | null {
    const current = this.current;
    return current?.alive ? current.process : null;
  }

  /**
   * Registers a client with the process whose code runs now, so that a crash drops it without
   * goodbye; outside processes it does nothing. Models call it when a client is created, so user
   * code never has to. Returns the resource.
   */
  own<T extends Droppable>(resource: T): T {
    checkDroppable(resource, "Simulation.own");
    const current = this.liveCurrent();
    if (current !== null && !current.owned.includes(resource)) current.owned.push(resource);
    return resource;
  }

  /**
   * A model's named crash point (`"before-ack"`, `"after-commit"`, …), reached by the process
   * whose code runs now. Returns true when the crash hook killed that process here: the caller must
   * then stop, doing nothing of what follows the point. Outside processes it returns false.
   */
  crashPoint(name: string, details?: unknown): boolean {
    checkString(name, "name", "Simulation.crashPoint");
    const current = this.liveCurrent();
    if (current === null) return false;
    return current.process.reachPoint(current, name, details);
  }

  /** Installs (or with null removes) the decision taken at every crash point. The fault layer's entry. */
  setCrashHook(hook: CrashHook | null): void {
    if (hook !== null) checkFunction(hook, "hook", "Simulation.setCrashHook");
    this.crashHookFn = hook;
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
    this.current = null;
    return true;
  }

  /** Runs every event due at or before `time`, then sets the clock to exactly `time`. */
  async runUntil(time: number): Promise<void> {
    checkFinite(time, "time", "Simulation.runUntil");
    if (time < this.nowMs) this.refuseTime(time, "runUntil");
    this.assertManual("runUntil");
    await this.driveLoop(
      {
        limit: time,
        untilIdle: false,
        maxEvents: Number.POSITIVE_INFINITY,
        advanceClock: true,
        waitForeign: "io",
        done: null,
        auto: null,
      },
      "runUntil",
    );
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
    await this.driveLoop(
      {
        limit: Number.POSITIVE_INFINITY,
        untilIdle: true,
        maxEvents: Number.POSITIVE_INFINITY,
        advanceClock: false,
        waitForeign: "io",
        done: null,
        auto: null,
      },
      "run",
    );
  }

  /**
   * Drives the clock until `promise` settles and returns its value (or throws its error). Use it
   * wherever a manual-mode test awaits something the simulation produces — a publisher confirm, a
   * `send()`, a consumer's next message — so it cannot hang: if the simulation runs out of work
   * first (only repeating timers left, for `autoIdleMs` of virtual time), it rejects with a
   * `DEADLOCK` error listing what is pending; past `timeoutMs` of virtual time, with `UNTIL_TIMEOUT`.
   *
   * @example
   * ```ts
   * const sim = new Simulation();
   * const answer = sim.sleep(250).then(() => 42);
   * console.log(await sim.until(answer), sim.now - sim.start); // 42 250
   * ```
   */
  async until<T>(promise: PromiseLike<T>, options: UntilOptions = {}): Promise<T> {
    if (
      promise === null ||
      typeof promise !== "object" ||
      typeof (promise as PromiseLike<T>).then !== "function"
    ) {
      throw new InvalidArgumentError(
        `Simulation.until: expected a promise, got ${describeValue(promise)}; pass what you would have awaited.`,
      );
    }
    checkOptions(options, ["timeoutMs"], "Simulation.until");
    if (options.timeoutMs !== undefined) checkNonNegative(options.timeoutMs, "timeoutMs", "Simulation.until");
    const state: { settled: boolean; ok: boolean; value: unknown } = {
      settled: false,
      ok: false,
      value: undefined,
    };
    const watched = Promise.resolve(promise).then(
      (value) => {
        state.settled = true;
        state.ok = true;
        state.value = value;
      },
      (error: unknown) => {
        state.settled = true;
        state.value = error;
      },
    );
    if (this.runner !== null && !this.closed) {
      // Auto and realtime runners move time by themselves: waiting is all there is to do.
      await this.untilDriven(watched, state, options.timeoutMs);
      if (!state.ok) throw state.value;
      return state.value as T;
    }
    // Another until() or run() is driving: ride along until it stops, then take over.
    while (this.driving && !state.settled) await Promise.race([watched, this.driveEnded]);
    if (state.settled) {
      if (!state.ok) throw state.value;
      return state.value as T;
    }
    // Let an already-settled promise return before any event runs.
    this.asyncDirty = true;
    const deadline =
      options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : this.nowMs + options.timeoutMs;
    for (;;) {
      const stop = await this.driveLoop(
        {
          limit: deadline,
          untilIdle: true,
          maxEvents: Number.POSITIVE_INFINITY,
          advanceClock: true,
          waitForeign: "timers",
          done: state,
          auto: null,
        },
        "until",
      );
      if (state.settled) break;
      const timedOut = () =>
        new BrokerlabError(
          "UNTIL_TIMEOUT",
          `Simulation.until: the promise did not settle within ${options.timeoutMs} virtual ms (now ${this.nowMs}). ` +
            `Pending: ${this.describeWaiting()}. Raise timeoutMs, or find what the promise waits for.`,
          this.pendingDetails(),
        );
      if (stop === "limit") throw timedOut();
      // No work left but repeating timers: they may still cause what the promise waits for (a
      // heartbeat, a beat schedule), so let them run for the idle horizon before giving up.
      // A deadline inside that horizon is a timeout, not a deadlock: the clock goes to it.
      const horizon = Math.min(deadline, this.nowMs + this.autoIdleMs);
      await this.driveLoop(
        {
          limit: horizon,
          untilIdle: false,
          maxEvents: Number.POSITIVE_INFINITY,
          advanceClock: horizon === deadline,
          waitForeign: false,
          done: state,
          auto: null,
        },
        "until",
      );
      if (state.settled) break;
      if (this.queue.foreground > 0) continue;
      if (this.nowMs >= deadline) throw timedOut();
      throw new BrokerlabError(
        "DEADLOCK",
        `Simulation.until: the simulation ran out of work at virtual time ${this.nowMs} and the promise never settled. ` +
          `Pending: ${this.describeWaiting()}. Something it waits for is never scheduled: a message nobody publishes, ` +
          "a confirm on a channel that closed, a process that crashed.",
        this.pendingDetails(),
      );
    }
    if (!state.ok) throw state.value;
    return state.value as T;
  }

  private async untilDriven(
    watched: Promise<void>,
    state: { settled: boolean },
    timeoutMs: number | undefined,
  ): Promise<void> {
    if (timeoutMs === undefined) {
      await watched;
      return;
    }
    await Promise.race([watched, this.sleep(timeoutMs)]);
    if (!state.settled) {
      throw new BrokerlabError(
        "UNTIL_TIMEOUT",
        `Simulation.until: the promise did not settle within ${timeoutMs} virtual ms (now ${this.nowMs}). Raise timeoutMs, or find what the promise waits for.`,
        this.pendingDetails(),
      );
    }
  }

  /** Stops any auto or realtime runner and lets the host go. Idempotent. Manual driving still works afterwards. */
  close(): void {
    this.closed = true;
    this.runner?.stop();
    this.hostHolds = 0;
    this.releaseHost?.();
    this.releaseHost = null;
  }

  /**
   * Keeps the host process alive (in `auto` and `realtime` modes) until the returned function is
   * called, as an open socket keeps a real client's process alive: models call it for a client
   * that waits for the broker (an AMQP connection with consumers). It costs no CPU and does not
   * count as the program's own pending work. Manual mode, or a closed simulation: nothing held.
   *
   * @example
   * ```ts
   * const release = sim.holdHost();
   * // … the process stays up while consumers wait …
   * release();
   * ```
   */
  holdHost(): () => void {
    if (this.runner === null || this.closed) return () => {};
    if (this.hostHolds++ === 0) this.releaseHost = hostKeepAlive();
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      if (this.hostHolds > 0 && --this.hostHolds === 0) {
        this.releaseHost?.();
        this.releaseHost = null;
      }
    };
  }

  /** True once {@link close} was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * @internal The runners' entry: runs up to `maxEvents` events due at or before `limit`, waiting
   * for macrotask boundaries after async work exactly as the manual drives do.
   */
  async driveSlice(
    limit: number,
    maxEvents: number,
    auto: AutoSliceOptions | null = null,
  ): Promise<DriveStop> {
    return this.driveLoop(
      { limit, untilIdle: false, maxEvents, advanceClock: false, waitForeign: false, done: null, auto },
      "driveSlice",
    );
  }

  // ---------------------------------------------------------------- observation

  /**
   * Starts recording every event on the bus; see {@link TraceRecorder}. `keepEntries` says what
   * stays in memory besides the hash (always complete, constant memory): `true` (default) every
   * line and entry, `false` nothing (for long runs), a whole number `n` the last `n` (a ring).
   */
  trace(options: { keepEntries?: TraceKeep } = {}): TraceRecorder {
    checkOptions(options, ["keepEntries"], "Simulation.trace");
    const keep = options?.keepEntries === undefined ? true : options.keepEntries;
    traceCapacity(keep, "Simulation.trace");
    return new TraceRecorder(this.bus, keep);
  }

  /** Adds a user note to the event stream (and so to traces). */
  record(label: string, data?: unknown): void {
    checkString(label, "label", "Simulation.record");
    if (this.bus.wants("user.record"))
      this.bus.emit("user.record", data === undefined ? { label } : { label, data });
  }

  /** Pending timers in due order with their labels, for diagnostics. */
  describePending(limit = 20): string[] {
    checkInteger(limit, "limit", "Simulation.describePending", 0);
    return this.queue
      .snapshot()
      .slice(0, limit)
      .map((entry) => `${entry.time} ${this.describeEntry(entry.fn, entry.arg, entry.flags)}`);
  }

  // ---------------------------------------------------------------- internals

  private liveCurrent(): Incarnation | null {
    const current = this.current;
    return current?.alive ? current : null;
  }

  private processKernel(): ProcessKernel<Simulation> {
    return {
      self: this,
      runAs: (token, delayMs, fn) => {
        const call = new OwnedCall(token, fn, undefined, `process ${token.process.name}`, false);
        this.push(this.nowMs + delayMs, this.fireOwned as TimerCallback, call, OWNED);
      },
      // ctx.sleep names its incarnation: code that hopped through a real macrotask has no current
      // process, yet its sleep must die with it.
      sleep: (delayMs, owner) => {
        checkNonNegative(delayMs, "delayMs", "ctx.sleep");
        return this.sleepUntil(this.nowMs + delayMs, 0, owner?.alive ? owner : this.liveCurrent());
      },
      progress: () => {
        this.asyncProgress++;
        this.asyncDirty = true;
      },
      never: () => new Promise<never>(() => {}),
      current: () => this.liveCurrent(),
      kill: (token) => {
        this.simWaits -= token.waits;
        token.waits = 0;
        this.asyncRunning -= token.asyncRunning;
        token.asyncRunning = 0;
        this.asyncProgress++;
        this.asyncDirty = true;
        invariant(
          this.simWaits >= 0 && this.asyncRunning >= 0,
          "process kill: negative wait or handler count",
        );
      },
      mainStarted: () => {
        this.mainsRunning++;
      },
      mainEnded: () => {
        this.mainsRunning--;
        this.asyncProgress++;
        this.asyncDirty = true;
        invariant(this.mainsRunning >= 0, "more process mains ended than started");
      },
      fail: (error) => {
        this.asyncErrors.push(error);
        this.asyncDirty = true;
        this.wakeHook?.(false);
      },
      emit: (type, payload) => {
        const bus = this.bus as unknown as { wants(t: string): boolean; emit(t: string, p: unknown): void };
        if (bus.wants(type)) bus.emit(type, payload);
      },
      crashHook: () => this.crashHookFn,
      pointOccurrence: (process, point) => {
        const key = `${process}\u0000${point}`;
        const count = (this.pointCounts.get(key) ?? 0) + 1;
        this.pointCounts.set(key, count);
        return count;
      },
    };
  }

  private ownedSettled(token: Incarnation, error: unknown, failed: boolean): void {
    // A dead incarnation's handlers were written off when it died.
    if (!token.alive) return;
    token.asyncRunning--;
    this.asyncRunning--;
    this.asyncProgress++;
    this.asyncDirty = true;
    if (failed) this.asyncErrors.push(error);
  }

  private push(time: number, fn: TimerCallback, arg: unknown, flags: number): TimerId {
    const id = this.queue.push(time, ++this.seq, fn, arg, flags, this.nowMs);
    if (this.wakeHook !== null) this.wakeHook((flags & BACKGROUND) !== 0);
    return id;
  }

  private handleFor(time: number, fn: () => unknown, label: string | undefined): TimerHandle {
    const owner = this.liveCurrent();
    if (owner !== null) {
      const name = label ?? (fn.name || "anonymous");
      const call = new OwnedCall(owner, fn as (arg: unknown) => unknown, undefined, name, false);
      return new TimerHandle(this, this.push(time, this.fireOwned as TimerCallback, call, OWNED), time, name);
    }
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
    // Broker-side unless the entry says otherwise (fireOwned and fireRepeating set their owner).
    this.current = null;
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

  private async driveLoop(request: DriveRequest, what: string): Promise<DriveStop> {
    this.assertNotDriving(what);
    this.driving = true;
    let ended!: () => void;
    this.driveEnded = new Promise<void>((resolve) => {
      ended = resolve;
    });
    try {
      return await this.driveEvents(request);
    } finally {
      this.driving = false;
      ended();
      // Code that runs after the drive returns is top-level code, not the last event's process.
      this.current = null;
    }
  }

  private progressMark(): number {
    return this.seq + this.asyncProgress;
  }

  /** True when running async code holds no simulation promise: it may wait on the outside world. */
  private blockedOutside(): boolean {
    return this.asyncRunning + this.mainsRunning > 0 && this.simWaits === 0;
  }

  /**
   * True when the host has outside work in flight that could resume such code. Code awaiting a
   * plain promise nobody will resolve is not waiting on anything: the drive returns as usual.
   */
  private hostBusy(kind: "io" | "timers"): boolean {
    const pending = hostPendingWork(kind === "timers");
    return pending !== null && pending > 0;
  }

  /**
   * Looks a few macrotask turns for outside work: a multi-step operation (open, then read) may
   * pass through a turn with no request in flight.
   */
  private async outsideBusy(kind: "io" | "timers"): Promise<boolean> {
    const mark = this.progressMark();
    for (let turn = 0; turn < IDLE_HOST_TURNS; turn++) {
      if (this.hostBusy(kind)) return true;
      await macrotaskBoundary();
      if (this.progressMark() !== mark || this.asyncDirty || !this.blockedOutside()) return true;
    }
    // One short real pause too: a thread-pool request can complete between two turns unseen.
    await wallDelay(1);
    return this.progressMark() !== mark || this.asyncDirty || !this.blockedOutside() || this.hostBusy(kind);
  }

  private async driveEvents(request: DriveRequest): Promise<DriveStop> {
    const queue = this.queue;
    const guard = this.maxEventsPerRun;
    const { limit, untilIdle, maxEvents, done, auto } = request;
    let executed = 0;
    let grantedTurns = 0;
    // Code that ran before this call (a send() just before runFor) may still have continuations
    // queued: let them run first, so what they schedule is on the clock before it moves.
    this.asyncDirty = true;
    for (;;) {
      this.throwAsyncErrors();
      // Promise continuations are part of the event that resumed them: a macrotask boundary lets
      // every one of them run, whatever its depth, before the next event does.
      if (this.asyncDirty) {
        // A granted turn must come after the program's own queued macrotasks (a fresh one);
        // the first boundary only after the microtasks (a pooled one, much cheaper).
        await (grantedTurns === 0 ? macrotaskBoundary() : hostTurn());
        // Cleared after the wait: whatever marked the state dirty meanwhile ran in the microtasks
        // the boundary has just drained, so it needs no second boundary.
        this.asyncDirty = false;
        this.current = null;
        if (
          this.asyncRunning + this.mainsRunning > this.simWaits &&
          grantedTurns < this.foreignTurns &&
          hostMayHop()
        ) {
          // More code is running than there are simulation promises it could be waiting on, and
          // the host has an immediate or I/O of the program's in flight: some of that code may be
          // hopping through real macrotasks. Give it a few more turns before the next event.
          grantedTurns++;
          this.asyncDirty = true;
        }
        continue;
      }
      grantedTurns = 0;
      if (done?.settled) return "done";
      const next = queue.peekTime();
      const idle = untilIdle && queue.foreground === 0;
      const bound = auto === null ? limit : this.autoBound(auto, limit);
      // An empty queue ends every drive, also one whose limit is +Infinity (the auto runner's):
      // `Infinity > Infinity` is false, and the loop would spin without ever firing an event.
      if (idle || next > bound || next === Number.POSITIVE_INFINITY) {
        if (
          request.waitForeign !== false &&
          this.blockedOutside() &&
          (await this.outsideBusy(request.waitForeign))
        ) {
          await this.waitOutside(done, request.waitForeign);
          continue;
        }
        if (idle) return "idle";
        // Move the clock in the same synchronous stretch that found nothing left before `limit`:
        // a promise callback that runs while the caller resumes must see the new time, or what it
        // schedules would lie in the past.
        if (request.advanceClock && limit > this.nowMs) this.nowMs = limit;
        return next === Number.POSITIVE_INFINITY ? "idle" : "limit";
      }
      if (executed >= maxEvents) return "budget";
      // Run a burst of synchronous events without re-checking the async state between them;
      // an async handler sets asyncDirty, which ends the burst.
      const stopAt = Math.min(guard, maxEvents);
      if (auto !== null) {
        // The auto runner's burst: the bound moves with every event (work pushes the idle horizon
        // out, the last foreground entry leaving pulls it in), and the host gets the thread back
        // after `wallUntil` however cheap the events are, so its own timers are served on time.
        while (queue.popInto(this.autoBound(auto, limit))) {
          // Work (a foreground event) moves the idle horizon; tracked only where a runner reads it,
          // so that manual drives pay nothing for it.
          if ((queue.firedFlags & BACKGROUND) === 0) this.workAt = queue.firedTime;
          this.fire();
          if (++executed >= stopAt) {
            if (executed >= guard) await this.runaway(limit);
            break;
          }
          if (this.asyncDirty) break;
          if (executed % WALL_CHECK_EVERY === 0 && wallElapsedMs() >= auto.wallUntil) return "budget";
        }
        continue;
      }
      if (this.runner !== null) {
        // The realtime runner's slices (and manual drives of a runner's simulation) track work too.
        while (queue.popInto(limit)) {
          if ((queue.firedFlags & BACKGROUND) === 0) this.workAt = queue.firedTime;
          this.fire();
          if (++executed >= stopAt) {
            if (executed >= guard) await this.runaway(limit);
            break;
          }
          if (this.asyncDirty || (untilIdle && queue.foreground === 0)) break;
        }
        continue;
      }
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

  /**
   * The latest time an auto slice may fire the next event at: anything while foreground work is
   * pending (the program may be waiting for it, however far ahead it lies); otherwise background
   * events only up to the idle horizon and the wall-clock bound.
   */
  private autoBound(auto: AutoSliceOptions, limit: number): number {
    if (this.queue.foreground > 0) return limit;
    const horizon = Math.max(this.workAt, auto.floor) + auto.idleMs;
    return Math.min(limit, horizon, auto.followLimit());
  }

  /**
   * Nothing in the simulation is left to do, yet async code still runs and holds no simulation
   * promise: it waits on the outside world. Wait for it in wall time, up to `foreignWaitMs`.
   */
  private async waitOutside(done: { settled: boolean } | null, kind: "io" | "timers"): Promise<void> {
    const mark = this.progressMark();
    const startedAt = wallElapsedMs();
    let pauseMs = 0;
    for (;;) {
      if (pauseMs === 0) await macrotaskBoundary();
      else await wallDelay(pauseMs);
      if (this.progressMark() !== mark || this.asyncDirty || !this.blockedOutside() || done?.settled) {
        this.asyncDirty = true;
        return;
      }
      if (!(await this.outsideBusy(kind))) return;
      if (wallElapsedMs() - startedAt >= this.foreignWaitMs) break;
      pauseMs = pauseMs === 0 ? 1 : Math.min(50, pauseMs * 2);
    }
    throw new BrokerlabError(
      "FOREIGN_WAIT",
      `Simulation: nothing is left to do at virtual time ${this.nowMs}, but ${this.describeWaiting()} ` +
        `and held no simulation promise for ${this.foreignWaitMs} ms of wall time: it awaits something outside the ` +
        "simulation (a real setTimeout, real I/O, a promise nobody resolves). Use sim.sleep or sim.installTimers() " +
        "instead of real timers, or raise foreignWaitMs.",
      this.pendingDetails(),
    );
  }

  private describeWaiting(): string {
    const parts: string[] = [];
    if (this.asyncRunning > 0) parts.push(`${this.asyncRunning} async handler(s) still running`);
    const running = this.processes
      .filter((p) => p.state === "running")
      .map((p) => `${p.name}#${p.incarnation}`);
    if (running.length > 0) parts.push(`process(es) ${running.join(", ")} running`);
    const owning = this.processes
      .filter((p) => p.owned.length > 0)
      .map((p) => `${p.name}: ${p.owned.length}`);
    if (owning.length > 0) parts.push(`clients owned (${owning.join(", ")})`);
    const timers = this.describePending(10);
    parts.push(timers.length > 0 ? `timers ${timers.join("; ")}` : "no timers");
    return parts.join(", ");
  }

  private pendingDetails(): Record<string, unknown> {
    return {
      now: this.nowMs,
      asyncHandlersRunning: this.asyncRunning,
      processes: this.processes.map((p) => ({ name: p.name, state: p.state, incarnation: p.incarnation })),
      timers: this.describePending(20),
    };
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
      if (this.asyncDirty) {
        this.asyncDirty = false;
        await macrotaskBoundary();
      }
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
    if ((flags & OWNED) !== 0) {
      const call = arg as OwnedCall;
      return `${call.label} (process ${call.token.process.name})`;
    }
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

  private refuseTimerId(id: unknown, what: string): never {
    throw new InvalidArgumentError(
      `Simulation.${what}: id must be a timer id (the number schedule() returned), got ${describeValue(id)}. ` +
        "To cancel a handle from at()/after()/every(), call handle.cancel().",
      "INVALID_TIMER_ID",
      { id: describeValue(id) },
    );
  }

  private refuseTime(time: unknown, what: string): never {
    throw new InvalidArgumentError(
      `Simulation.${what}: time ${describeValue(time)} is ${typeof time === "number" && Number.isFinite(time) ? `before the current virtual time ${this.nowMs}` : "not a finite number"}; ` +
        "schedule at or after `sim.now`, or use a delay ≥ 0.",
      "INVALID_TIME",
    );
  }
}
