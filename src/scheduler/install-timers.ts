import { withGlobal } from "@sinonjs/fake-timers";
import { describeValue } from "./describe-value.js";
import { InvalidArgumentError, InvalidStateError, InvariantError } from "./errors.js";
import type { Incarnation } from "./process.js";
import type { Simulation } from "./simulation.js";
import { checkOptions } from "./validate.js";

/** Options of {@link installTimers}. */
export interface InstallTimersOptions {
  /**
   * Also replace `Date`, so that `Date.now` and `new Date` read the virtual clock. Default
   * true. With false only the timer functions are replaced and `Date` keeps the wall clock.
   */
  date?: boolean;
}

/** What {@link installTimers} returns: the way back to the real timers. */
export interface InstalledTimers {
  /**
   * Puts the real `setTimeout`, `clearTimeout`, `setInterval`, `clearInterval` and `Date` back.
   * Fake timers still pending are discarded: they never fire, and their simulation events are
   * cancelled. Idempotent: a second call does nothing.
   */
  uninstall(): void;
  /** True until {@link InstalledTimers.uninstall} is called. */
  readonly installed: boolean;
  /** Fake timers armed and not yet fired or cleared (an interval counts once; a crashed process's do not count). */
  readonly pendingTimers: number;
}

/** The simulation API the fake timers need (a {@link Simulation} has it). */
type TimerSimulation = Pick<Simulation, "now" | "at" | "every" | "currentProcess">;

/** One pending timer as `@sinonjs/fake-timers` stores it (the two fields read here). */
interface LibraryTimer {
  id: number;
  callAt: number;
}

type AnyFunction = (...args: unknown[]) => unknown;

/**
 * The parts of a `@sinonjs/fake-timers` 15 clock used here. `timers`, `timerHeap` and
 * `duringTick` are not public API: `package.json` pins the exact version, and {@link probe}
 * checks their shape at install so that another version fails loudly instead of misbehaving.
 */
interface LibraryClock {
  now: number;
  duringTick?: boolean;
  timers?: Map<number, LibraryTimer>;
  timerHeap?: { peek(): LibraryTimer | undefined };
  setTimeout: AnyFunction;
  clearTimeout: AnyFunction;
  setInterval: AnyFunction;
  clearInterval: AnyFunction;
  next: () => number;
  uninstall: () => unknown;
  setTickMode: (mode: { mode: string }) => void;
  [method: string]: unknown;
}

/** A simulation event standing for a fake timer. */
interface Slot {
  /** A `TimerHandle` (foreground) or a `RepeatingHandle` stopped at its first run (background). */
  handle: { cancel(): boolean };
  /** The timer it fires: reassigned when two timers of equal due time swap events. */
  entry: Entry;
  /** Virtual time it is due. */
  readonly at: number;
  readonly background: boolean;
}

/** The bookkeeping of one fake timer. */
interface Entry {
  id: number;
  /** setInterval (background work, re-armed after every run) rather than setTimeout. */
  readonly repeat: boolean;
  /** False after `unref()`: an unref'd timeout is background work, like an interval. */
  refed: boolean;
  /** The process incarnation whose code armed it: it never fires once that one has died. */
  readonly owner: Incarnation | null;
  /** The simulation event that fires it, or null between firing and re-arming. */
  slot: Slot | null;
  readonly label: string;
}

/** The globals replaced. Not `setImmediate`, `nextTick`, `queueMicrotask`: the kernel and real I/O need them. */
const TIMER_METHODS = ["setTimeout", "clearTimeout", "setInterval", "clearInterval"] as const;

/** Clock methods that would move the fake clock behind the simulation's back. */
const DRIVING_METHODS = [
  "tick",
  "tickAsync",
  "next",
  "nextAsync",
  "runAll",
  "runAllAsync",
  "runToLast",
  "runToLastAsync",
  "runToFrame",
  "runMicrotasks",
  "jump",
  "setSystemTime",
  "reset",
];

/** Largest delay a host timer accepts; longer ones fire after 1 ms, as in Node and browsers. */
const MAX_TIMEOUT = 2 ** 31 - 1;

/** `util.promisify.custom`, without importing a Node module. */
const PROMISIFY_CUSTOM = Symbol.for("nodejs.util.promisify.custom");

const RESOLVED: Promise<void> = Promise.resolve();

/** The installation in force on this global, if any. */
let active: InstalledTimers | null = null;

/**
 * The library bound to `globalThis`, made at the first install (binding arms one real 0 ms timer,
 * to see whether the host's timers return objects; once is enough).
 */
let library: ReturnType<typeof withGlobal> | null = null;

/**
 * Makes the program's own timers run on the simulation's virtual clock: after it, unmodified
 * code that sleeps with `setTimeout`, polls with `setInterval` or reads `Date.now` /
 * `new Date` sees virtual time. Built on `@sinonjs/fake-timers` (the library behind vitest's
 * and jest's fake timers), installed on `globalThis`; `setImmediate`, `process.nextTick`,
 * `queueMicrotask` and `performance` stay real.
 *
 * - `Date.now` returns `sim.now` at every moment (the fake clock reads the simulation's clock;
 *   with a fractional `sim.now` it is fractional too).
 * - Every fake timer is a simulation event at its due time, armed when `setTimeout` is called, so
 *   it fires in (time, sequence) order with every other event: a 10 ms `setTimeout` armed just
 *   before `sim.after(10, g)` fires first. A 0 ms `setTimeout` fires at the same virtual instant,
 *   after everything already due then. The promise continuations a timer callback starts finish
 *   before the next event, as on a real event loop.
 * - `setTimeout` is ordinary (foreground) work: `run()` waits for it and an auto-mode simulation
 *   jumps to it. `setInterval`, and a timeout after `unref()`, are background work like
 *   `sim.every`: they fire while other work remains but do not keep `run()` going (otherwise a
 *   polling loop would never let it return). Intervals below 1 ms run every 1 ms, as in Node.
 * - A timer armed by a process's code belongs to it: it fires as that process, and never once
 *   the process has crashed.
 * - An error thrown by a timer callback, or the rejection of an async one, makes the drive call
 *   (`run`, `runFor`, `until`) reject with it, as a handler's would.
 * - Works in every drive mode: in `auto` mode awaiting a 10 s `setTimeout`
 *   returns at once in wall time, ten virtual seconds later.
 *
 * One installation per global at a time: a second `installTimers` before `uninstall()` throws an
 * {@link InvalidStateError} with code `TIMERS_ALREADY_INSTALLED`. Always uninstall (in a
 * `finally` or an `afterEach`); pending fake timers are then discarded.
 *
 * **vitest / jest fake timers.** `vi.useFakeTimers()` replaces the same globals with its own fake
 * clock: use one or the other, not both. While vitest's are installed `installTimers` throws
 * (code `FOREIGN_FAKE_TIMERS`; call `vi.useRealTimers()` first), and `vi.useFakeTimers()` throws
 * while these are. brokerlab's kernel keeps working under either, since it captured the real
 * `setImmediate`/`setTimeout` when it loaded — but with vitest's fakes the application's timers
 * run on vitest's clock, which the simulation does not drive.
 *
 * Not covered: `setTimeout` imported by name from Node's `timers` or `timers/promises` modules in an
 * ES module before the install (the binding keeps the real function; the default import and
 * calls made after the install are faked), `Intl` (formats with no date read the wall clock),
 * `performance.now` and `process.hrtime` (real; the kernel measures wall time with them).
 * The fake clock behind these globals (`Date.clock`) is driven by the simulation alone: its
 * `tick`/`runAll`/`setSystemTime` throw.
 *
 * @example
 * `examples/program-timers.ts` runs as written (`npx tsx examples/program-timers.ts`): it calls
 * `installTimers(sim)` from `brokerlab/timers`, runs a retry loop that sleeps 2, 4 and 8 s with
 * the global `setTimeout` and a 5 s `setInterval` poll, prints `new Date` times from
 * 2025-01-01T00:00:00Z, and reports 14 virtual seconds in a few ms of wall time.
 */
export function installTimers(sim: Simulation, options: InstallTimersOptions = {}): InstalledTimers {
  checkSimulation(sim);
  checkOptions(options, ["date"], "installTimers");
  const fakeDate = options.date ?? true;
  if (typeof fakeDate !== "boolean") {
    throw new InvalidArgumentError(`installTimers: date must be a boolean, got ${describeValue(fakeDate)}.`);
  }
  if (active !== null) {
    throw new InvalidStateError(
      "installTimers: fake timers are already installed on this global. Call uninstall() on the handle the first " +
        "installTimers returned before installing again (one simulation owns the program's timers at a time).",
      "TIMERS_ALREADY_INSTALLED",
    );
  }
  const global = globalThis as unknown as { Date: { isFake?: boolean } };
  if (global.Date.isFake === true) throw foreignFakes();
  let clock: LibraryClock;
  try {
    library ??= withGlobal(globalThis);
    clock = library.install({
      now: Math.floor(sim.now),
      toFake: fakeDate ? [...TIMER_METHODS, "Date"] : [...TIMER_METHODS],
      // clearTimeout on a real timer armed before the install still clears it.
      shouldClearNativeTimers: true,
    }) as unknown as LibraryClock;
  } catch (error) {
    if (error instanceof TypeError && /twice/.test(error.message)) throw foreignFakes();
    throw error;
  }
  const installation = new Installation(sim, clock);
  active = installation.handle;
  return installation.handle;
}

function foreignFakes(): InvalidStateError {
  return new InvalidStateError(
    "installTimers: other fake timers are installed on this global (vitest's vi.useFakeTimers(), jest's or sinon's). " +
      "They replace the same globals: call vi.useRealTimers() (or uninstall them) first, and use one or the other.",
    "FOREIGN_FAKE_TIMERS",
  );
}

function checkSimulation(sim: unknown): void {
  const candidate = sim as Partial<TimerSimulation> | null;
  if (
    candidate === null ||
    typeof candidate !== "object" ||
    typeof candidate.now !== "number" ||
    typeof candidate.at !== "function" ||
    typeof candidate.every !== "function"
  ) {
    throw new InvalidArgumentError(
      `installTimers: expected a Simulation, got ${candidate === null ? "null" : typeof candidate}.`,
    );
  }
}

/** One installation: the wrappers around the library clock and the timers' simulation events. */
class Installation {
  readonly handle: InstalledTimers;
  private readonly sim: TimerSimulation;
  private readonly clock: LibraryClock;
  private readonly entries = new Map<number, Entry>();
  private readonly timers: Map<number, LibraryTimer>;
  private readonly heap: { peek(): LibraryTimer | undefined };
  // The library's own functions, called by the wrappers.
  private readonly libSetTimeout: AnyFunction;
  private readonly libSetInterval: AnyFunction;
  private readonly libClearTimeout: AnyFunction;
  private readonly libClearInterval: AnyFunction;
  private readonly libNext: () => number;
  private readonly libUninstall: () => unknown;
  private live = true;
  /** What the timer callback that just ran returned (a promise is handed to the kernel). */
  private returned: unknown = undefined;

  constructor(sim: TimerSimulation, clock: LibraryClock) {
    this.sim = sim;
    this.clock = clock;
    this.libSetTimeout = clock.setTimeout;
    this.libSetInterval = clock.setInterval;
    this.libClearTimeout = clock.clearTimeout;
    this.libClearInterval = clock.clearInterval;
    this.libNext = clock.next;
    this.libUninstall = clock.uninstall;
    // The fake clock reads the simulation's clock, so Date.now is sim.now at every moment, in
    // handlers, continuations and top-level code alike. The library's own writes (it sets `now` to
    // a timer's due time before calling it) are ignored: the simulation got there first.
    Object.defineProperty(clock, "now", {
      configurable: true,
      enumerable: true,
      get: () => sim.now,
      set: () => {},
    });
    try {
      const internals = probe(clock, this.libSetTimeout, this.libClearTimeout);
      this.timers = internals.timers;
      this.heap = internals.heap;
    } catch (error) {
      this.libUninstall.call(clock);
      throw error;
    }
    clock.setTimeout = (fn: unknown, delay?: unknown, ...args: unknown[]) =>
      this.setTimer(false, fn, delay, args);
    clock.setInterval = (fn: unknown, delay?: unknown, ...args: unknown[]) =>
      this.setTimer(true, fn, delay, args);
    clock.clearTimeout = (handle: unknown) => this.clearTimer(this.libClearTimeout, handle);
    clock.clearInterval = (handle: unknown) => this.clearTimer(this.libClearInterval, handle);
    // util.promisify(setTimeout): the library's version would bypass the wrapper.
    const installedSetTimeout: unknown = (globalThis as unknown as { setTimeout: unknown }).setTimeout;
    if (typeof installedSetTimeout === "function" && PROMISIFY_CUSTOM in installedSetTimeout) {
      (installedSetTimeout as unknown as Record<symbol, unknown>)[PROMISIFY_CUSTOM] = (
        delay?: unknown,
        value?: unknown,
      ) =>
        new Promise((resolve) => {
          this.setTimer(false, resolve, delay, [value]);
        });
    }
    for (const method of DRIVING_METHODS) {
      if (typeof clock[method] === "function") clock[method] = () => refuseDriving(method);
    }
    const setTickMode = clock.setTickMode;
    clock.setTickMode = (mode: { mode: string }) => {
      if (mode?.mode !== "manual") refuseDriving("setTickMode");
      setTickMode.call(clock, mode);
    };
    clock.uninstall = () => {
      this.uninstall();
      return [];
    };
    const self = this;
    this.handle = {
      uninstall: () => self.uninstall(),
      get installed() {
        return self.live;
      },
      get pendingTimers() {
        let count = 0;
        for (const entry of self.entries.values()) if (entry.owner === null || entry.owner.alive) count++;
        return count;
      },
    };
  }

  uninstall(): void {
    if (!this.live) return;
    this.live = false;
    for (const entry of this.entries.values()) entry.slot?.handle.cancel();
    this.entries.clear();
    // The library restores each global from what it keeps on its own functions: put them back.
    const clock = this.clock;
    clock.setTimeout = this.libSetTimeout;
    clock.setInterval = this.libSetInterval;
    clock.clearTimeout = this.libClearTimeout;
    clock.clearInterval = this.libClearInterval;
    this.libUninstall.call(clock);
    if (active === this.handle) active = null;
  }

  private setTimer(repeat: boolean, fn: unknown, delay: unknown, args: unknown[]): unknown {
    const setter = repeat ? this.libSetInterval : this.libSetTimeout;
    // Not a function: the library throws the host's error.
    if (typeof fn !== "function" || !this.live) return setter(fn, delay, ...args);
    let ms = delay;
    if (repeat) {
      // An interval below 1 ms (or not a number) would fire forever at one instant: Node's 1 ms.
      const value = Number(delay);
      ms = value >= 1 && value <= MAX_TIMEOUT ? value : 1;
    }
    const current = this.sim.currentProcess;
    const entry: Entry = {
      id: 0,
      repeat,
      refed: true,
      owner: current === null ? null : current.currentToken,
      slot: null,
      label: `${repeat ? "setInterval" : "setTimeout"} ${String(ms ?? 0)} ms`,
    };
    const callback = fn as AnyFunction;
    const trampoline = (...callArgs: unknown[]) => {
      // The library calls this from libNext, after removing a timeout or moving an interval to its
      // next due time: arm that next run first, so that it keeps its place among equal times.
      if (entry.repeat) this.arm(entry);
      else this.entries.delete(entry.id);
      this.returned = callback(...callArgs);
    };
    const handle = this.withoutTickBump(() => setter(trampoline, ms, ...args));
    entry.id = Number(handle);
    this.entries.set(entry.id, entry);
    this.decorate(handle, entry);
    this.arm(entry);
    return handle;
  }

  private clearTimer(clear: AnyFunction, handle: unknown): unknown {
    const result = clear(handle);
    if (handle === null || handle === undefined) return result;
    const id = Number(handle);
    const entry = this.entries.get(id);
    if (entry !== undefined && !this.timers.has(id)) {
      entry.slot?.handle.cancel();
      entry.slot = null;
      this.entries.delete(id);
    }
    return result;
  }

  /** Keeps `ref`/`unref`/`refresh` on Node-style timer objects in step with the simulation event. */
  private decorate(handle: unknown, entry: Entry): void {
    if (handle === null || typeof handle !== "object") return;
    const timer = handle as { ref?: AnyFunction; unref?: AnyFunction; refresh?: AnyFunction };
    const { ref, unref, refresh } = timer;
    const self = this;
    if (typeof ref === "function") {
      timer.ref = function (this: unknown) {
        ref.call(this);
        self.setRefed(entry, true);
        return this;
      };
    }
    if (typeof unref === "function") {
      timer.unref = function (this: unknown) {
        unref.call(this);
        self.setRefed(entry, false);
        return this;
      };
    }
    if (typeof refresh === "function") {
      timer.refresh = function (this: unknown) {
        self.withoutTickBump(() => refresh.call(this));
        if (self.live && self.timers.has(entry.id)) {
          self.entries.set(entry.id, entry);
          self.rearm(entry);
        }
        return this;
      };
    }
  }

  private setRefed(entry: Entry, refed: boolean): void {
    if (entry.refed === refed) return;
    entry.refed = refed;
    if (!entry.repeat && entry.slot !== null) this.rearm(entry);
  }

  private rearm(entry: Entry): void {
    entry.slot?.handle.cancel();
    entry.slot = null;
    this.arm(entry);
  }

  /** Arms the simulation event that fires `entry`'s timer at its due time. */
  private arm(entry: Entry): void {
    const timer = this.timers.get(entry.id);
    if (timer === undefined || !this.live) return;
    const sim = this.sim;
    // Never in the past (an interval that ran late moves on from now).
    const at = Math.max(timer.callAt, sim.now);
    const background = entry.repeat || !entry.refed;
    const slot: Slot = { handle: { cancel: () => false }, entry, at, background };
    const fire = () => this.fire(slot);
    slot.handle = background
      ? // Background work: a repeating handle stopped at its first run.
        sim.every(1, fire, { firstDelayMs: at - sim.now, label: entry.label })
      : sim.at(at, fire, { label: entry.label });
    entry.slot = slot;
  }

  /**
   * A timer's simulation event: fires the first due fake timer, which is `entry`'s unless a
   * timer of equal due time was armed out of order (after an `unref()`); then `entry` takes over
   * that timer's event. Timers of crashed processes met on the way are discarded.
   */
  private fire(slot: Slot): unknown {
    const entry = slot.entry;
    if (entry.slot === slot) entry.slot = null;
    if (slot.background) slot.handle.cancel(); // no second run of the repeating handle
    if (!this.live) return undefined;
    const limit = Math.max(this.sim.now, slot.at);
    for (;;) {
      const first = this.heap.peek();
      if (first === undefined || first.callAt > limit) break;
      const due = this.entries.get(first.id);
      if (due === undefined || (due.owner !== null && !due.owner.alive)) {
        this.discard(first.id, due);
        continue;
      }
      if (due !== entry && due.slot !== null && entry.slot === null) {
        // `due` runs in this event; `entry` takes over the one armed for `due`.
        const other = due.slot;
        other.entry = entry;
        entry.slot = other;
        due.slot = null;
      }
      this.returned = undefined;
      this.libNext.call(this.clock);
      const returned = this.returned;
      this.returned = undefined;
      if (entry.slot === null && this.entries.has(entry.id)) this.arm(entry);
      // A promise makes the kernel wait for a macrotask boundary before the next event, so the
      // continuations this callback resolved run first, as after a real timer's callback; an async
      // callback's own promise is tracked like an async handler's (its rejection fails the drive).
      return isThenable(returned) ? returned : RESOLVED;
    }
    if (entry.slot === null && this.entries.has(entry.id)) this.arm(entry);
    return undefined;
  }

  private discard(id: number, entry: Entry | undefined): void {
    this.libClearTimeout(id);
    if (entry !== undefined) {
      entry.slot?.handle.cancel();
      entry.slot = null;
      this.entries.delete(id);
    }
  }

  /**
   * The library adds 1 ms to a zero delay armed while it runs a timer (against runaway loops in
   * `runAll`); the simulation has its own runaway guard, and a 0 ms `setTimeout` means "this instant"
   * wherever it is called.
   */
  private withoutTickBump<T>(fn: () => T): T {
    const clock = this.clock;
    const during = clock.duringTick;
    clock.duringTick = false;
    try {
      return fn();
    } finally {
      clock.duringTick = during;
    }
  }
}

/** Checks the library internals this module reads, with a probe timer that is cleared at once. */
function probe(
  clock: LibraryClock,
  setTimer: AnyFunction,
  clearTimer: AnyFunction,
): { timers: Map<number, LibraryTimer>; heap: { peek(): LibraryTimer | undefined } } {
  const handle = setTimer(() => {}, 0);
  const id = Number(handle);
  const timers = clock.timers;
  const heap = clock.timerHeap;
  const timer = timers instanceof Map ? timers.get(id) : undefined;
  const ok =
    timers instanceof Map &&
    heap !== undefined &&
    typeof heap.peek === "function" &&
    timer !== undefined &&
    timer.id === id &&
    typeof timer.callAt === "number";
  clearTimer(handle);
  if (!ok || timers === undefined || heap === undefined) {
    throw new InvariantError(
      "installTimers: this version of @sinonjs/fake-timers stores its timers differently than the pinned 15.5.0 " +
        "(clock.timers / clock.timerHeap); install the version brokerlab's package.json names",
    );
  }
  return { timers, heap };
}

function refuseDriving(method: string): never {
  throw new InvalidStateError(
    `installTimers: the fake clock is driven by the simulation; ${method}() would move it behind the simulation's back. ` +
      "Move virtual time with sim.runFor(ms), sim.run() or sim.until(promise).",
    "SIMULATION_CLOCK",
  );
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as PromiseLike<unknown>).then === "function"
  );
}
