import { describeValue } from "./describe-value.js";
import { InvalidArgumentError, InvalidStateError, invariant } from "./errors.js";
import { checkFunction, checkNonNegative, checkOptions, checkString } from "./validate.js";

/** Where a process is in its life. */
export type ProcessState = "running" | "crashed" | "exited" | "failed";

/** Anything a process can own: a client that can vanish without goodbye. */
export interface Droppable {
  /** Vanish at once, as when the owning OS process is killed: no close frame, no commit, no ack. */
  drop(): void;
}

/** Options of `sim.spawn`. */
export interface SpawnOptions {
  /**
   * What happens when `main` throws: `false` (default) ends the process as `failed` and makes the
   * next `run()` reject with the error; `true` or `{ afterMs }` restarts it as a new incarnation
   * (after `afterMs` of virtual time, default 0), like a supervisor with `restart: on-failure`.
   */
  restartOnFailure?: boolean | { afterMs?: number };
}

/** Options of {@link SimProcess.restart}. */
export interface RestartOptions {
  /** Virtual milliseconds between the crash and the new incarnation's start. Default 0. */
  afterMs?: number;
}

/** What a crash hook is asked at every named crash point. */
export interface CrashPointInfo {
  /** The process whose code reached the point. */
  readonly process: SimProcess;
  /** The point's name, e.g. `"after-process"`, `"before-ack"`, `"after-commit"`. */
  readonly point: string;
  /** How many times this process (any incarnation) has reached this point, this time included. */
  readonly occurrence: number;
  /** What the model or user code passed along (a message id, an offset). */
  readonly details: unknown;
}

/** Decides at a crash point whether the process dies there (the fault layer installs one). */
export type CrashHook = (info: CrashPointInfo) => boolean;

/**
 * The crash points the broker models reach (through `sim.crashPoint`) when code running in a
 * process calls them; the facades reach the same ones, because they call into the models. A crash
 * hook (`sim.setCrashHook`) that returns true at one kills the process right there: for a
 * `before-*` point the operation never happens, for an `after-*` point it happened and nothing the
 * caller would do next runs. User code adds its own with `ctx.point(name)` ("after-process", …).
 *
 * - `before-ack` / `after-ack`: around an AMQP channel's `ack`, `nack` and `reject` (details:
 *   `{ method, channel, deliveryTag, multiple, requeue }`; `method` tells the three apart).
 * - `before-commit` / `after-commit`: around a Kafka consumer's offset commit — `commitSync`,
 *   `commitAsync`, and the auto-commit at the start of a poll (details: `{ groupId, offsets, auto }`);
 *   `after-commit` is reached once the client knows the commit succeeded.
 * - `before-transactional-send`: before each record a transactional producer sends.
 * - `before-send-offsets` / `after-send-offsets`: around `sendOffsetsToTransaction`.
 * - `before-commit-transaction`: entering `commitTransaction`, before the flush;
 *   `during-commit-transaction`: right after EndTxn(commit) left (the coordinator will commit, the
 *   process never hears); `after-commit-transaction`: the commit was acknowledged.
 * - `before-abort-transaction` / `after-abort-transaction`: around `abortTransaction`.
 *
 * Transactional details: `{ clientId, transactionalId, transaction, send }`.
 *
 * @example
 * ```ts
 * sim.setCrashHook(({ process, point }) => process.name === "worker" && point === CRASH_POINTS.beforeAck);
 * ```
 */
export const CRASH_POINTS = Object.freeze({
  beforeAck: "before-ack",
  afterAck: "after-ack",
  beforeCommit: "before-commit",
  afterCommit: "after-commit",
  beforeTransactionalSend: "before-transactional-send",
  beforeSendOffsets: "before-send-offsets",
  afterSendOffsets: "after-send-offsets",
  beforeCommitTransaction: "before-commit-transaction",
  duringCommitTransaction: "during-commit-transaction",
  afterCommitTransaction: "after-commit-transaction",
  beforeAbortTransaction: "before-abort-transaction",
  afterAbortTransaction: "after-abort-transaction",
} as const);

/** The name of one of the models' crash points (see {@link CRASH_POINTS}). */
export type ModelCrashPoint = (typeof CRASH_POINTS)[keyof typeof CRASH_POINTS];

/**
 * @internal A promise that never settles: what a model's async call returns when its process died
 * at a crash point inside it, so that the caller's continuation never runs (as in a killed process).
 */
export function neverSettles<T>(): Promise<T> {
  return new Promise<T>(() => {});
}

/** @internal The part of a simulation the models ask about the process that runs now. */
interface CurrentProcessSource {
  readonly currentProcess: SimProcess | null;
}

/**
 * @internal The incarnation whose code runs now, or null: what a client created now belongs to
 * (and dies with).
 */
export function currentIncarnation(sim: CurrentProcessSource): Incarnation | null {
  const process = sim.currentProcess;
  return process === null ? null : process.currentToken;
}

/**
 * @internal Takes `resource` back from the process that runs now: a facade that owns the native
 * clients it creates lazily drops them itself, so they must not also belong to whichever process
 * happened to run when they were created.
 */
export function releaseOwnership(sim: CurrentProcessSource, resource: Droppable): void {
  const process = sim.currentProcess;
  if (process === null) return;
  const owned = process.currentToken.owned;
  const index = owned.indexOf(resource);
  if (index >= 0) owned.splice(index, 1);
}

/**
 * What `main` gets: the simulation, its process, and the calls that make a crash precise.
 *
 * @example
 * ```ts
 * sim.spawn("worker", async (ctx) => {
 *   await ctx.sleep(100);
 *   await ctx.point("after-process"); // the fault layer may kill the process here
 * });
 * ```
 */
export interface ProcessContext<S = unknown> {
  /** The simulation. */
  readonly sim: S;
  /** The process this code runs in. */
  readonly process: SimProcess;
  /** The process's name. */
  readonly name: string;
  /** Which incarnation runs this code: 1 for the first start, 2 after the first restart, … */
  readonly incarnation: number;
  /** A promise that resolves after `delayMs` of virtual time (never, if the process crashes first). */
  sleep(delayMs: number): Promise<void>;
  /**
   * A named crash point in user code. Resolves at once, unless the crash hook decides the process
   * dies here: then it never resolves and the code after it never runs.
   */
  point(name: string, details?: unknown): Promise<void>;
  /** Registers a client the process owns (dropped without goodbye when it crashes); returns it. */
  own<T extends Droppable>(resource: T): T;
}

/** @internal One run of a process's `main`: what dies when it crashes. */
export class Incarnation {
  alive = true;
  /** Async handlers owned by this incarnation still running. */
  asyncRunning = 0;
  /** Simulation waits (sleeps, deferreds) created by this incarnation and not yet settled. */
  waits = 0;
  readonly owned: Droppable[] = [];
  readonly process: SimProcess;
  readonly number: number;

  constructor(process: SimProcess, number: number) {
    this.process = process;
    this.number = number;
  }
}

/** @internal What a process needs from the simulation that runs it. */
export interface ProcessKernel<S> {
  readonly self: S;
  /** Schedules `fn` at now + delayMs, owned by `token` (runs with it as the current process). */
  runAs(token: Incarnation, delayMs: number, fn: () => unknown): void;
  /**
   * A sleep owned by `owner` (the incarnation whose `ctx.sleep` asked), whatever runs now: code
   * that hopped through a real macrotask has no current process, yet its `ctx.sleep` must still
   * die with its incarnation. A dead `owner` falls back to the current process.
   */
  sleep(delayMs: number, owner?: Incarnation): Promise<void>;
  never(): Promise<never>;
  /** The incarnation whose code runs now, or null. */
  current(): Incarnation | null;
  /** Bookkeeping when an incarnation dies: its waits and running handlers no longer count. */
  kill(token: Incarnation): void;
  mainStarted(): void;
  mainEnded(): void;
  /** Surfaces an error nobody awaits: the next drive call rejects with it. */
  fail(error: unknown): void;
  emit(type: string, payload: Record<string, unknown>): void;
  /**
   * Marks async progress: promise continuations are pending, so the drive loop must reach a
   * macrotask boundary before it fires the next event.
   */
  progress(): void;
  crashHook(): CrashHook | null;
  pointOccurrence(process: string, point: string): number;
}

/**
 * A named process: the unit that crashes. `crash()` kills it at once — none of its pending
 * simulation promises ever settles, so its code stops where it is, like a killed OS process, and
 * every client it owns drops without goodbye (the broker reacts as to a lost connection: unacked
 * messages requeued, group members evicted after the session timeout, an open transaction aborted
 * when the next incarnation calls `initTransactions` or by its timeout). `restart()` runs `main`
 * again as a new incarnation.
 *
 * Clients created while the process's code runs belong to it (the kernel tracks the current
 * process through every timer, sleep and simulation promise it starts); so do the timers it arms.
 *
 * @example
 * ```ts
 * const sim = new Simulation();
 * const worker = sim.spawn("worker", async (ctx) => {
 *   await ctx.sleep(1000);
 *   console.log("never printed");
 * });
 * sim.after(500, () => worker.crash());
 * await sim.run();
 * console.log(worker.state); // "crashed"
 * ```
 */
export class SimProcess {
  /** The process's name (unique in its simulation). */
  readonly name: string;
  private stateValue: ProcessState = "running";
  private errorValue: unknown = undefined;
  private token: Incarnation;
  private exitedPromise!: Promise<ProcessState>;
  private resolveExited!: (state: ProcessState) => void;
  private readonly kernel: ProcessKernel<unknown>;
  private readonly main: (ctx: ProcessContext<unknown>) => unknown;
  private readonly restartOnFailure: { afterMs: number } | null;
  private restartPending = false;

  /** @internal Use `sim.spawn`. */
  constructor(
    kernel: ProcessKernel<unknown>,
    name: string,
    main: (ctx: ProcessContext<unknown>) => unknown,
    options: SpawnOptions,
  ) {
    this.kernel = kernel;
    this.name = name;
    this.main = main;
    const restart = options.restartOnFailure ?? false;
    this.restartOnFailure =
      restart === false ? null : { afterMs: restart === true ? 0 : (restart.afterMs ?? 0) };
    this.token = new Incarnation(this, 0);
    this.token.alive = false;
    this.begin(0);
  }

  /** `running` while `main` runs; then `exited`, `failed` (main threw) or `crashed`. */
  get state(): ProcessState {
    return this.stateValue;
  }

  /** 1 for the first run of `main`, +1 per restart. */
  get incarnation(): number {
    return this.token.number;
  }

  /** What `main` threw, when the state is `failed`. */
  get error(): unknown {
    return this.errorValue;
  }

  /** Resolves with the final state of the current incarnation (never rejects). */
  get exited(): Promise<ProcessState> {
    return this.exitedPromise;
  }

  /** The clients the current incarnation owns. */
  get owned(): readonly Droppable[] {
    return this.token.owned;
  }

  /** @internal The current incarnation's token. */
  get currentToken(): Incarnation {
    return this.token;
  }

  /**
   * Kills the process at once. Its pending simulation promises never settle, the timers it armed
   * never fire, and every client it owns is dropped without goodbye. Returns false when it was
   * not alive (already crashed, failed, or exited with nothing left to kill).
   */
  crash(reason?: string): boolean {
    if (reason !== undefined) checkString(reason, "reason", "SimProcess.crash");
    if (!this.token.alive) return false;
    this.die("crashed");
    this.kernel.emit("process.crash", {
      process: this.name,
      incarnation: this.token.number,
      ...(reason === undefined ? {} : { reason }),
    });
    return true;
  }

  /**
   * Runs `main` again as the next incarnation, after `afterMs` of virtual time (default 0). A
   * process still alive is crashed first.
   */
  restart(options: RestartOptions = {}): void {
    checkOptions(options, ["afterMs"], "SimProcess.restart");
    const afterMs = options.afterMs ?? 0;
    checkNonNegative(afterMs, "afterMs", "SimProcess.restart");
    if (this.restartPending) {
      throw new InvalidStateError(
        `SimProcess.restart: process ${this.name} is already scheduled to restart; wait for its new incarnation.`,
        "RESTART_PENDING",
      );
    }
    if (this.token.alive) this.crash("restart");
    this.begin(afterMs);
  }

  private begin(afterMs: number): void {
    const number = this.token.number + 1;
    this.restartPending = true;
    // The incarnation exists from now, so that `exited` and `state` describe the coming run.
    const token = new Incarnation(this, number);
    const previous = this.token;
    this.token = token;
    this.exitedPromise = new Promise<ProcessState>((resolve) => {
      this.resolveExited = resolve;
    });
    invariant(!previous.alive, `process ${this.name}: a live incarnation was replaced`);
    this.stateValue = "running";
    this.errorValue = undefined;
    this.kernel.mainStarted();
    this.kernel.runAs(token, afterMs, () => this.run(token));
  }

  private run(token: Incarnation): void {
    // A stale start (its incarnation crashed before it ran, and another was begun) is not this one.
    if (token !== this.token || !token.alive) return;
    this.restartPending = false;
    this.kernel.emit(token.number === 1 ? "process.spawn" : "process.restart", {
      process: this.name,
      incarnation: token.number,
    });
    let result: unknown;
    try {
      result = this.main(this.context(token));
    } catch (error) {
      this.ended(token, error, true);
      return;
    }
    if (
      result !== null &&
      typeof result === "object" &&
      typeof (result as PromiseLike<unknown>).then === "function"
    ) {
      // Main's continuations belong to this event: without this the loop could fire the next event
      // (another process's start) in the same macrotask, and main would resume as that process.
      this.kernel.progress();
      (result as PromiseLike<unknown>).then(
        () => this.ended(token, undefined, false),
        (error: unknown) => this.ended(token, error, true),
      );
    } else {
      this.ended(token, undefined, false);
    }
  }

  private ended(token: Incarnation, error: unknown, failed: boolean): void {
    // A crashed incarnation's main may still settle through promises outside the simulation; it
    // is dead, and nothing it does counts.
    if (token !== this.token || this.stateValue !== "running" || !token.alive) return;
    this.kernel.mainEnded();
    if (!failed) {
      // Main returned; the clients it created live on (their callbacks still run as this process)
      // until it is crashed.
      this.stateValue = "exited";
      this.kernel.emit("process.exit", { process: this.name, incarnation: token.number });
      this.resolveExited("exited");
      return;
    }
    this.errorValue = error;
    this.kernel.emit("process.fail", {
      process: this.name,
      incarnation: token.number,
      error: error instanceof Error ? error.message : String(error),
    });
    this.dropOwned(token);
    token.alive = false;
    this.kernel.kill(token);
    this.stateValue = "failed";
    this.resolveExited("failed");
    if (this.restartOnFailure !== null) this.begin(this.restartOnFailure.afterMs);
    else this.kernel.fail(error);
  }

  private die(state: ProcessState): void {
    const token = this.token;
    // Crashed before its start event ran: that start is cancelled, so a restart may begin anew.
    this.restartPending = false;
    const wasRunning = this.stateValue === "running";
    token.alive = false;
    this.kernel.kill(token);
    this.dropOwned(token);
    if (wasRunning) this.kernel.mainEnded();
    this.stateValue = state;
    this.resolveExited(state);
  }

  private dropOwned(token: Incarnation): void {
    const owned = token.owned.splice(0);
    for (const resource of owned) resource.drop();
  }

  private context(token: Incarnation): ProcessContext<unknown> {
    const kernel = this.kernel;
    return {
      sim: kernel.self,
      process: this,
      name: this.name,
      incarnation: token.number,
      sleep: (delayMs: number) => (token.alive ? kernel.sleep(delayMs, token) : kernel.never()),
      point: (name: string, details?: unknown) => {
        checkString(name, "name", "ctx.point");
        if (!token.alive) return kernel.never();
        return this.reachPoint(token, name, details) ? kernel.never() : Promise.resolve();
      },
      own: <T extends Droppable>(resource: T): T => {
        checkDroppable(resource, "ctx.own");
        if (token.alive && !token.owned.includes(resource)) token.owned.push(resource);
        return resource;
      },
    };
  }

  /**
   * @internal Runs `fn` as incarnation `token` in an event at the current time, after what is
   * already due now; never if the incarnation has died by then. Models use it to hand a client's
   * callbacks (an AMQP consumer's deliveries) to the process that owns the client.
   */
  runAs(token: Incarnation, fn: () => unknown): void {
    invariant(token.process === this, () => `process ${this.name}: runAs with another process's incarnation`);
    if (token.alive) this.kernel.runAs(token, 0, fn);
  }

  /** @internal A named crash point reached by this process's code; true if it crashed there. */
  reachPoint(token: Incarnation, name: string, details: unknown): boolean {
    const occurrence = this.kernel.pointOccurrence(this.name, name);
    const hook = this.kernel.crashHook();
    this.kernel.emit("process.point", {
      process: this.name,
      incarnation: token.number,
      point: name,
      occurrence,
    });
    if (hook === null) return false;
    if (!hook({ process: this, point: name, occurrence, details })) return false;
    if (token.alive) this.crash(`crash point ${name}`);
    return true;
  }
}

/** @internal Validates that `resource` has a `drop()` method. */
export function checkDroppable(resource: unknown, where: string): void {
  if (
    resource === null ||
    (typeof resource !== "object" && typeof resource !== "function") ||
    typeof (resource as Droppable).drop !== "function"
  ) {
    throw new InvalidArgumentError(
      `${where}: expected a client with a drop() method (a connection, producer or consumer), got ${describeValue(resource)}.`,
    );
  }
}

/** @internal Validates spawn's arguments before anything is created. */
export function checkSpawn(
  name: unknown,
  main: unknown,
  options: unknown,
  taken: (name: string) => boolean,
): void {
  checkString(name, "name", "Simulation.spawn");
  checkFunction(main, "main", "Simulation.spawn");
  checkOptions(options as Record<string, unknown> | undefined, ["restartOnFailure"], "Simulation.spawn");
  const restart = (options as SpawnOptions | undefined)?.restartOnFailure;
  if (restart !== undefined && typeof restart !== "boolean") {
    checkOptions(restart as Record<string, unknown>, ["afterMs"], "Simulation.spawn restartOnFailure");
    if (restart.afterMs !== undefined)
      checkNonNegative(restart.afterMs, "restartOnFailure.afterMs", "Simulation.spawn");
  }
  if (taken(name as string)) {
    throw new InvalidArgumentError(
      `Simulation.spawn: a process named ${JSON.stringify(name)} exists already; give each process its own name (names key crash points and fault plans).`,
      "DUPLICATE_NAME",
    );
  }
}
