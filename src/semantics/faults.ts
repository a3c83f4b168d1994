import type { LogCluster } from "../log/cluster.js";
import type { FaultDecision, RequestInfo } from "../log/network.js";
import { backgroundAt } from "../log/timers.js";
import { InvalidArgumentError, InvalidStateError } from "../scheduler/errors.js";
import type { Simulation } from "../scheduler/simulation.js";
import { checkFunction, checkString } from "../scheduler/validate.js";
import {
  type CrashFault,
  describeFault,
  type Fault,
  type FaultPlan,
  type FaultTargets,
  validateFaultPlan,
} from "./fault-plan.js";
import { emitStep } from "./record.js";

/**
 * Applies a fault plan to one simulation: crashes (at a time or at the n-th occurrence of a crash
 * point) and restarts of the processes spawned here, and network faults on the log clusters
 * attached here. Everything is scheduled on the virtual clock, so a plan applied twice gives the
 * same trace.
 *
 * Processes here are the fault layer's own adapter of the kernel contract (issue 8): `spawn`,
 * `ctx.point`, `ctx.sleep`, `ctx.own`, `crash`, `restart`. A crashed incarnation's pending
 * `ctx.sleep`/`ctx.point` never resolve and its owned clients are dropped without goodbye.
 *
 * @example
 * ```ts
 * const faults = new Faults(sim, [{ kind: "crash", process: "billing", point: "after-charge", restartAfterMs: 500 }]);
 * faults.attachLog(cluster);
 * faults.spawn("billing", async (ctx) => { ...; await ctx.point("after-charge"); ... }, { points: ["after-charge"] });
 * ```
 */

/** A process's state. */
export type ProcessState = "running" | "crashed" | "exited" | "failed";

/** What a process's main function gets. */
export interface ProcessContext {
  readonly sim: Simulation;
  readonly name: string;
  readonly incarnation: number;
  readonly process: FaultProcess;
  /** Sleeps in virtual time (longer while a `slow` fault holds); never resolves once crashed. */
  sleep(ms: number): Promise<void>;
  /** Spends `ms` of virtual time working (what `slow` stretches). */
  work(ms: number): Promise<void>;
  /** A named crash point: never resolves when the plan crashes the process here. */
  point(name: string, details?: Record<string, unknown>): Promise<void>;
  /** Registers a client (anything with `drop()`) that dies with this incarnation. */
  own<T extends { drop(): void }>(client: T): T;
}

/** Options of {@link Faults.spawn}. */
export interface SpawnOptions {
  /** The process's crash points; `ctx.point` refuses others (`UNKNOWN_CRASH_POINT`). */
  points?: readonly string[];
  /** Restart after main throws, after this delay (default: no restart). */
  restartOnFailureAfterMs?: number;
}

const NEVER: Promise<never> = new Promise<never>(() => {});

/**
 * One named process and its incarnations.
 *
 * @example
 * ```ts
 * const p = faults.spawn("worker", main);
 * p.crash(); p.restart({ afterMs: 100 });
 * ```
 */
export class FaultProcess {
  readonly name: string;
  private stateValue: ProcessState = "running";
  private incarnationValue = 0;
  private owned: { drop(): void }[] = [];
  private errorValue: unknown = null;
  private readonly faults: Faults;
  private readonly main: (ctx: ProcessContext) => unknown;
  readonly points: ReadonlySet<string> | null;
  private readonly restartOnFailureAfterMs: number | undefined;
  private exitWaiters: ((state: ProcessState) => void)[] = [];

  /** @internal */
  constructor(faults: Faults, name: string, main: (ctx: ProcessContext) => unknown, options: SpawnOptions) {
    this.faults = faults;
    this.name = name;
    this.main = main;
    this.points = options.points === undefined ? null : new Set(options.points);
    this.restartOnFailureAfterMs = options.restartOnFailureAfterMs;
  }

  get state(): ProcessState {
    return this.stateValue;
  }

  get incarnation(): number {
    return this.incarnationValue;
  }

  /** What main threw, when failed. */
  get error(): unknown {
    return this.errorValue;
  }

  /** The final state of the current incarnation (never rejects). */
  get exited(): Promise<ProcessState> {
    if (this.stateValue !== "running") return Promise.resolve(this.stateValue);
    return new Promise((resolve) => this.exitWaiters.push(resolve));
  }

  /** @internal Starts the next incarnation. */
  start(): void {
    const incarnation = ++this.incarnationValue;
    this.stateValue = "running";
    this.owned = [];
    const ctx = this.context(incarnation);
    let result: unknown;
    try {
      result = this.main(ctx);
    } catch (error) {
      this.failed(incarnation, error);
      return;
    }
    Promise.resolve(result).then(
      () => {
        if (this.live(incarnation) && this.stateValue === "running") this.finish("exited");
      },
      (error: unknown) => {
        if (this.live(incarnation)) this.failed(incarnation, error);
      },
    );
  }

  /**
   * Kills the running incarnation at once: owned clients dropped without goodbye, pending
   * `ctx.sleep`/`ctx.point` never resolve.
   */
  crash(reason = "crash"): void {
    if (!this.alive()) return;
    const owned = this.owned;
    this.owned = [];
    this.finish("crashed");
    this.faults.note(this.name, "crash", { incarnation: this.incarnationValue, reason });
    for (const client of owned) client.drop();
  }

  /** Runs main again as the next incarnation, now or after `afterMs`. */
  restart(options: { afterMs?: number } = {}): void {
    const afterMs = options.afterMs ?? 0;
    if (this.alive())
      throw new InvalidStateError(`Process ${this.name} is running; crash it first.`, "PROCESS_RUNNING");
    const go = () => {
      if (this.alive()) return;
      this.faults.note(this.name, "restart", { incarnation: this.incarnationValue + 1 });
      this.start();
    };
    if (afterMs === 0) go();
    else this.faults.sim.after(afterMs, go, { label: `restart ${this.name}` });
  }

  /**
   * True while the current incarnation can act: running, or exited with what it started (a
   * consumer loop) still going — an exited main's clients live on until a crash.
   */
  alive(): boolean {
    return this.stateValue === "running" || this.stateValue === "exited";
  }

  private live(incarnation: number): boolean {
    return this.alive() && this.incarnationValue === incarnation;
  }

  private finish(state: ProcessState): void {
    this.stateValue = state;
    const waiters = this.exitWaiters;
    this.exitWaiters = [];
    for (const w of waiters) w(state);
  }

  private failed(incarnation: number, error: unknown): void {
    if (!this.live(incarnation)) return;
    this.errorValue = error;
    const owned = this.owned;
    this.owned = [];
    this.finish("failed");
    for (const client of owned) client.drop();
    if (this.restartOnFailureAfterMs !== undefined) this.restart({ afterMs: this.restartOnFailureAfterMs });
  }

  private context(incarnation: number): ProcessContext {
    const faults = this.faults;
    const sim = faults.sim;
    const gate = async (promise: Promise<void>): Promise<void> => {
      await promise;
      if (!this.live(incarnation)) return NEVER;
    };
    return {
      sim,
      name: this.name,
      incarnation,
      process: this,
      sleep: (ms) => (this.live(incarnation) ? gate(sim.sleep(faults.stretch(this.name, ms))) : NEVER),
      work: (ms) => (this.live(incarnation) ? gate(sim.sleep(faults.stretch(this.name, ms))) : NEVER),
      point: (name, details) => {
        if (!this.live(incarnation)) return NEVER;
        if (this.points !== null && !this.points.has(name)) {
          throw new InvalidArgumentError(
            `ctx.point: process ${this.name} has no crash point ${JSON.stringify(name)}; declare it in spawn's points (${[...this.points].join(", ")}).`,
            "UNKNOWN_CRASH_POINT",
            { process: this.name, point: name },
          );
        }
        if (faults.crashAt(this, name, details)) return NEVER;
        return Promise.resolve();
      },
      own: (client) => {
        if (client === null || typeof client !== "object" || typeof client.drop !== "function") {
          throw new InvalidArgumentError("ctx.own: expected a client with a drop() method.");
        }
        if (this.live(incarnation)) this.owned.push(client);
        else client.drop();
        return client;
      },
    };
  }
}

/** A record of a fault that fired, for reports. */
export interface FiredFault {
  readonly time: number;
  readonly fault: string;
}

/** Applies one plan to one simulation (see the module comment). */
export class Faults {
  readonly sim: Simulation;
  readonly plan: FaultPlan;
  private readonly origin: number;
  private readonly processesByName = new Map<string, FaultProcess>();
  private readonly occurrences = new Map<string, number>();
  private readonly requestCounts: number[];
  private readonly firedList: FiredFault[] = [];
  private readonly targets: FaultTargets | undefined;

  constructor(sim: Simulation, plan: FaultPlan = [], options: { targets?: FaultTargets } = {}) {
    this.sim = sim;
    this.targets = options.targets;
    this.plan = validateFaultPlan(plan, options.targets);
    this.origin = sim.now;
    this.requestCounts = this.plan.map(() => 0);
    this.plan.forEach((f) => {
      if (f.kind === "crash" && f.atMs !== undefined) {
        // In the background: a pending crash does not keep an otherwise idle simulation running.
        backgroundAt(sim, this.origin + f.atMs, () => this.crashNow(f), `fault: ${describeFault(f)}`);
      }
    });
  }

  /** The processes spawned here, by name. */
  get processes(): ReadonlyMap<string, FaultProcess> {
    return this.processesByName;
  }

  /** Faults that fired so far, in order. */
  get fired(): readonly FiredFault[] {
    return this.firedList;
  }

  /**
   * Starts a named process now. Names are unique per simulation.
   *
   * @example
   * ```ts
   * faults.spawn("billing", async (ctx) => { const c = ctx.own(kafka.consumer({ groupId: "g" })); ... });
   * ```
   */
  spawn(name: string, main: (ctx: ProcessContext) => unknown, options: SpawnOptions = {}): FaultProcess {
    checkString(name, "name", "Faults.spawn");
    checkFunction(main, "main", "Faults.spawn");
    if (this.processesByName.has(name))
      throw new InvalidArgumentError(
        `Faults.spawn: a process named ${name} exists already.`,
        "DUPLICATE_PROCESS",
      );
    const declared = this.targets?.processes?.[name];
    const points = options.points ?? declared;
    const p = new FaultProcess(this, name, main, { ...options, points });
    this.processesByName.set(name, p);
    p.start();
    return p;
  }

  /**
   * Installs the plan's network faults on a log cluster (its request seam).
   *
   * @example
   * ```ts
   * faults.attachLog(cluster);
   * ```
   */
  attachLog(cluster: LogCluster): void {
    if (this.plan.every((f) => f.kind === "crash" || f.kind === "slow")) return;
    cluster.network.setFaultHook((info) => this.decide(info));
  }

  /** @internal How long `ms` of a process's time takes now. */
  stretch(process: string, ms: number): number {
    let factor = 1;
    const now = this.sim.now - this.origin;
    for (let i = 0; i < this.plan.length; i++) {
      const f = this.plan[i]!;
      if (f.kind === "slow" && f.process === process && now >= f.fromMs && now < f.fromMs + f.durationMs) {
        factor *= f.factor;
        if (this.requestCounts[i]!++ === 0) this.fire(f);
      }
    }
    return ms * factor;
  }

  /** @internal Called at a crash point: true when the plan crashed the process there. */
  crashAt(process: FaultProcess, point: string, _details?: Record<string, unknown>): boolean {
    const key = `${process.name}\u0000${point}`;
    const n = (this.occurrences.get(key) ?? 0) + 1;
    this.occurrences.set(key, n);
    for (const f of this.plan) {
      if (
        f.kind === "crash" &&
        f.process === process.name &&
        f.point === point &&
        (f.occurrence ?? 1) === n
      ) {
        this.crashNow(f);
        return true;
      }
    }
    return false;
  }

  /** @internal Records a process step in the history (crash, restart). */
  note(process: string, f: string, value: Record<string, unknown>): void {
    emitStep(this.sim, process, "invoke", f, value);
    emitStep(this.sim, process, "ok", f, value);
  }

  private fire(f: Fault): void {
    this.firedList.push({ time: this.sim.now - this.origin, fault: describeFault(f) });
  }

  private crashNow(f: CrashFault): void {
    const p = this.processesByName.get(f.process);
    if (p === undefined || !p.alive()) return;
    this.fire(f);
    p.crash(f.point ?? "time");
    if (f.restartAfterMs !== undefined) p.restart({ afterMs: f.restartAfterMs });
  }

  private decide(info: RequestInfo): FaultDecision | undefined {
    const now = this.sim.now - this.origin;
    let decision: FaultDecision | undefined;
    for (let i = 0; i < this.plan.length; i++) {
      const f = this.plan[i]!;
      switch (f.kind) {
        case "drop-request":
        case "drop-response":
        case "delay": {
          if (f.request !== info.kind || (f.client !== undefined && f.client !== info.clientId)) break;
          const n = ++this.requestCounts[i]!;
          const first = f.nth ?? 1;
          if (n < first || n >= first + (f.count ?? 1) || decision !== undefined) break;
          this.fire(f);
          decision =
            f.kind === "delay"
              ? { delayRequestMs: f.delayMs }
              : f.kind === "drop-request"
                ? "drop-request"
                : "drop-response";
          break;
        }
        case "partition":
          if (
            decision === undefined &&
            info.clientId === f.client &&
            now >= f.fromMs &&
            now < f.fromMs + f.durationMs
          ) {
            if (this.requestCounts[i]!++ === 0) this.fire(f);
            decision = "drop-request";
          }
          break;
        case "restart-broker":
          if (decision === undefined && now >= f.atMs && now < f.atMs + (f.downMs ?? 1000)) {
            if (this.requestCounts[i]!++ === 0) this.fire(f);
            decision = "drop-request";
          }
          break;
        default:
          break;
      }
    }
    return decision;
  }
}
