import type { AmqpBroker } from "../exchange/broker.js";
import { type AmqpFaultDecision, AmqpNetwork, type AmqpRequestInfo } from "../exchange/network.js";
import type { LogCluster } from "../log/cluster.js";
import type { FaultDecision, RequestInfo } from "../log/network.js";
import { backgroundAt } from "../log/timers.js";
import { InvalidArgumentError, InvalidStateError } from "../scheduler/errors.js";
import {
  CRASH_POINTS,
  type CrashPointInfo,
  type ProcessContext as KernelContext,
  type SimProcess,
} from "../scheduler/process.js";
import type { Simulation } from "../scheduler/simulation.js";
import { checkFunction, checkNonNegative, checkOptions, checkString } from "../scheduler/validate.js";
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
 * point — the process's own `ctx.point`s and the models' {@link CRASH_POINTS}) and restarts of
 * processes, slow processes, and network faults on the log clusters and AMQP brokers attached
 * here. Everything is scheduled on the virtual clock, so a plan applied twice gives the same
 * trace.
 *
 * Processes are the kernel's (`sim.spawn`, {@link SimProcess}): a crash kills the incarnation —
 * its pending simulation promises never settle, every client it owns drops without goodbye
 * (clients created inside a process register themselves, so `ctx.own` is optional). Point crashes
 * go through the simulation's crash hook (`sim.setCrashHook`); a plan may also crash a kernel
 * process spawned with `sim.spawn` directly, by its name.
 *
 * @example
 * ```ts
 * const faults = new Faults(sim, [{ kind: "crash", process: "billing", point: "after-charge", restartAfterMs: 500 }]);
 * faults.attachLog(cluster);
 * faults.spawn("billing", async (ctx) => { ...; await ctx.point("after-charge"); ... }, { points: ["after-charge"] });
 * ```
 */

/** A process's state, as the fault layer reports it. */
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
  /**
   * A named crash point: never resolves when the plan crashes the process here. A process spawned
   * with `points` refuses any other name (`UNKNOWN_CRASH_POINT`).
   */
  point(name: string, details?: Record<string, unknown>): Promise<void>;
  /**
   * Registers a client (anything with `drop()`) that dies with this incarnation. Optional: clients
   * the models create inside a process register themselves.
   */
  own<T extends { drop(): void }>(client: T): T;
}

/** Options of {@link Faults.spawn}. */
export interface SpawnOptions {
  /**
   * The process's crash points; `ctx.point` refuses others (`UNKNOWN_CRASH_POINT`), and so does
   * `spawn` for a plan that crashes this process at a point neither declared here nor one of the
   * models' {@link CRASH_POINTS}. Absent: any point.
   */
  points?: readonly string[];
  /** Restart after main throws, after this delay (default: no restart). */
  restartOnFailureAfterMs?: number;
}

const MODEL_POINTS: ReadonlySet<string> = new Set(Object.values(CRASH_POINTS));

/**
 * One named process of the fault layer: a kernel {@link SimProcess} (`sim.spawn`) with the fault
 * layer's context (`ctx.work`, `slow` faults, declared crash points) and history notes for its
 * crashes and restarts. A crash kills the kernel process: its pending simulation promises never
 * settle and every client it owns (every model client created while its code ran, and anything
 * passed to `ctx.own`) is dropped without goodbye.
 *
 * A main that throws ends the incarnation as `failed` — its clients dropped, the run itself goes
 * on (the kernel would fail the next drive call instead) — and restarts it when
 * `restartOnFailureAfterMs` is set.
 *
 * @example
 * ```ts
 * const p = faults.spawn("worker", main);
 * p.crash(); p.restart({ afterMs: 100 });
 * p.kernel.state; // the kernel's view
 * ```
 */
export class FaultProcess {
  readonly name: string;
  /** The kernel process. */
  readonly kernel: SimProcess;
  readonly points: ReadonlySet<string> | null;
  private readonly faults: Faults;
  private readonly restartOnFailureAfterMs: number | undefined;
  /** The incarnation whose main has started (0: none yet). */
  private started = 0;
  /** The incarnation whose main threw (its kernel process was crashed for it). */
  private failedIncarnation = 0;
  private errorValue: unknown = null;
  /** The state to report while a restart is pending. */
  private lastEnd: ProcessState = "crashed";

  /** @internal Use {@link Faults.spawn}. */
  constructor(
    faults: Faults,
    name: string,
    main: (ctx: ProcessContext) => unknown,
    options: { points: readonly string[] | undefined; restartOnFailureAfterMs: number | undefined },
  ) {
    this.faults = faults;
    this.name = name;
    this.points = options.points === undefined ? null : new Set(options.points);
    this.restartOnFailureAfterMs = options.restartOnFailureAfterMs;
    this.kernel = faults.sim.spawn(name, (kctx) => this.run(kctx, main));
  }

  /**
   * `running`, `exited`, `failed` or `crashed`; while a restart is pending, how the last
   * incarnation ended.
   */
  get state(): ProcessState {
    const k = this.kernel;
    if (this.started !== k.incarnation) return k.incarnation === 1 ? "running" : this.lastEnd;
    if (this.failedIncarnation === k.incarnation) return "failed";
    return k.state;
  }

  /** 1 for the first run of main, +1 per restart (the incarnation that runs or last ran). */
  get incarnation(): number {
    return Math.max(1, this.started);
  }

  /** What main threw, when failed. */
  get error(): unknown {
    return this.errorValue;
  }

  /** The final state of the current incarnation (never rejects). */
  get exited(): Promise<ProcessState> {
    const incarnation = this.kernel.incarnation;
    return this.kernel.exited.then(() => (this.failedIncarnation === incarnation ? "failed" : this.state));
  }

  /**
   * Kills the running incarnation at once: owned clients dropped without goodbye, pending
   * `ctx.sleep`/`ctx.point` never resolve. Does nothing when it is not alive.
   */
  crash(reason = "crash"): void {
    checkString(reason, "reason", "FaultProcess.crash", true);
    if (!this.alive()) return;
    this.lastEnd = "crashed";
    this.faults.note(this.name, "crash", { incarnation: this.kernel.incarnation, reason });
    this.kernel.crash(reason);
  }

  /** Runs main again as the next incarnation, now or after `afterMs`. */
  restart(options: { afterMs?: number } = {}): void {
    checkOptions(options, ["afterMs"], "FaultProcess.restart");
    const afterMs = options.afterMs ?? 0;
    checkNonNegative(afterMs, "afterMs", "FaultProcess.restart");
    if (this.alive() || (this.startPending && this.kernel.incarnation === 1))
      throw new InvalidStateError(`Process ${this.name} is running; crash it first.`, "PROCESS_RUNNING");
    if (this.started !== this.kernel.incarnation)
      throw new InvalidStateError(
        `Process ${this.name} is already scheduled to restart; wait for its new incarnation.`,
        "RESTART_PENDING",
      );
    this.kernel.restart({ afterMs });
  }

  /**
   * True while the current incarnation can act: running, or exited with what it started (a
   * consumer loop) still going — an exited main's clients live on until a crash.
   */
  alive(): boolean {
    const k = this.kernel;
    return (
      this.started === k.incarnation &&
      this.failedIncarnation !== k.incarnation &&
      k.currentToken.alive &&
      (k.state === "running" || k.state === "exited")
    );
  }

  /** @internal True while the current incarnation waits for its first event. */
  get startPending(): boolean {
    return this.started !== this.kernel.incarnation && this.kernel.currentToken.alive;
  }

  private run(kctx: KernelContext<Simulation>, main: (ctx: ProcessContext) => unknown): unknown {
    const incarnation = kctx.incarnation;
    this.started = incarnation;
    if (incarnation > 1) this.faults.note(this.name, "restart", { incarnation });
    const ctx = this.context(kctx);
    let result: unknown;
    try {
      result = main(ctx);
    } catch (error) {
      this.failed(incarnation, error);
      return undefined;
    }
    if (
      result === null ||
      typeof result !== "object" ||
      typeof (result as PromiseLike<unknown>).then !== "function"
    )
      return result;
    // A rejection is the fault layer's to handle: the run goes on (see the class comment).
    return (result as PromiseLike<unknown>).then(undefined, (error: unknown) =>
      this.failed(incarnation, error),
    );
  }

  private failed(incarnation: number, error: unknown): void {
    const k = this.kernel;
    if (k.incarnation !== incarnation || !k.currentToken.alive) return;
    this.errorValue = error;
    this.failedIncarnation = incarnation;
    this.lastEnd = "failed";
    k.crash("failed");
    if (this.restartOnFailureAfterMs !== undefined) k.restart({ afterMs: this.restartOnFailureAfterMs });
  }

  private context(kctx: KernelContext<Simulation>): ProcessContext {
    const faults = this.faults;
    const name = this.name;
    const points = this.points;
    return {
      sim: faults.sim,
      name,
      incarnation: kctx.incarnation,
      process: this,
      sleep: (ms) => kctx.sleep(faults.stretch(name, ms)),
      work: (ms) => kctx.sleep(faults.stretch(name, ms)),
      point: (point, details) => {
        checkString(point, "name", "ctx.point", true);
        if (points !== null && !points.has(point)) {
          throw new InvalidArgumentError(
            `ctx.point: process ${name} has no crash point ${JSON.stringify(point)}; declare it in spawn's points (${[...points].join(", ")}).`,
            "UNKNOWN_CRASH_POINT",
            { process: name, point },
          );
        }
        return kctx.point(point, details);
      },
      own: (client) => {
        if (client === null || typeof client !== "object" || typeof client.drop !== "function") {
          throw new InvalidArgumentError("ctx.own: expected a client with a drop() method.");
        }
        if (this.kernel.incarnation === kctx.incarnation && this.kernel.currentToken.alive) kctx.own(client);
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
  private readonly requestCounts: number[];
  private readonly firedList: FiredFault[] = [];
  private readonly targets: FaultTargets | undefined;
  private readonly pointCrashes: CrashFault[];
  private readonly networkFaults: boolean;
  private readonly brokers: AmqpBroker[] = [];

  /**
   * Validates `plan` (coded errors, see {@link validateFaultPlan}) and schedules its timed faults.
   * A plan with crashes at points installs the simulation's crash hook (`sim.setCrashHook`),
   * replacing any other.
   *
   * @example
   * ```ts
   * const faults = new Faults(sim, [{ kind: "crash", process: "w", atMs: 500, restartAfterMs: 100 }]);
   * ```
   */
  constructor(sim: Simulation, plan: FaultPlan = [], options: { targets?: FaultTargets } = {}) {
    checkOptions(options, ["targets"], "Faults");
    const validPlan = validateFaultPlan(plan, options.targets);
    this.sim = sim;
    this.targets = options.targets;
    this.plan = validPlan;
    this.origin = sim.now;
    this.requestCounts = this.plan.map(() => 0);
    this.pointCrashes = this.plan.filter((f): f is CrashFault => f.kind === "crash" && f.point !== undefined);
    this.networkFaults = this.plan.some((f) => f.kind !== "crash" && f.kind !== "slow");
    for (const f of this.plan) {
      if (f.kind === "crash" && f.atMs !== undefined) {
        // In the background: a pending crash does not keep an otherwise idle simulation running.
        backgroundAt(sim, this.origin + f.atMs, () => this.crashNow(f, true), `fault: ${describeFault(f)}`);
      }
    }
    if (this.pointCrashes.length > 0) sim.setCrashHook((info) => this.crashHook(info));
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
   * Starts a named process (a kernel process, `sim.spawn`, in an event at the current time). Names
   * are unique per simulation. Clients the models create while its code runs belong to it; a crash
   * drops them without goodbye. Everything is validated before anything starts: a duplicate name
   * (`DUPLICATE_PROCESS`), bad options, and a plan that crashes this process at a point it does not
   * declare (`UNKNOWN_CRASH_POINT`; the models' {@link CRASH_POINTS} always count as declared).
   *
   * @example
   * ```ts
   * faults.spawn("billing", async (ctx) => {
   *   const consumer = kafka.consumer({ groupId: "g" }); // owned by the process
   *   await ctx.point("after-charge");
   * }, { points: ["after-charge"] });
   * ```
   */
  spawn(name: string, main: (ctx: ProcessContext) => unknown, options: SpawnOptions = {}): FaultProcess {
    const where = "Faults.spawn";
    checkString(name, "name", where, true);
    checkFunction(main, "main", where);
    checkOptions(options, ["points", "restartOnFailureAfterMs"], where);
    if (options.points !== undefined) {
      if (!Array.isArray(options.points) || options.points.some((p) => typeof p !== "string" || p === "")) {
        throw new InvalidArgumentError(`${where}: points must be an array of crash point names.`);
      }
    }
    if (options.restartOnFailureAfterMs !== undefined)
      checkNonNegative(options.restartOnFailureAfterMs, "restartOnFailureAfterMs", where);
    if (this.processesByName.has(name))
      throw new InvalidArgumentError(
        `${where}: a process named ${name} exists already.`,
        "DUPLICATE_PROCESS",
      );
    if (this.sim.process(name) !== undefined)
      throw new InvalidArgumentError(
        `${where}: the simulation has a process named ${JSON.stringify(name)} already; give each process its own name.`,
        "DUPLICATE_NAME",
      );
    const points = options.points ?? this.targets?.processes?.[name];
    if (points !== undefined) {
      for (const f of this.pointCrashes) {
        if (f.process !== name || points.includes(f.point!) || MODEL_POINTS.has(f.point!)) continue;
        throw new InvalidArgumentError(
          `${where}: the fault plan crashes ${name} at ${JSON.stringify(f.point)}, a point it does not declare (${points.join(", ") || "none"}) and no model crash point (${[...MODEL_POINTS].join(", ")}).`,
          "UNKNOWN_CRASH_POINT",
          { process: name, point: f.point },
        );
      }
    }
    const p = new FaultProcess(this, name, main, {
      points: points === undefined ? undefined : [...points],
      restartOnFailureAfterMs: options.restartOnFailureAfterMs,
    });
    this.processesByName.set(name, p);
    return p;
  }

  /**
   * Installs the plan's network faults on a log cluster (its request seam, `cluster.network`):
   * `drop-request`, `drop-response` and `delay` of matching requests; `partition` (every request
   * the client sends in the window is lost: it times out); `restart-broker` (requests sent while
   * it is down are lost, and so is what is in flight when it goes down: a request that reached
   * the broker before the restart loses its response, one that would arrive later is lost; the
   * log itself survives).
   *
   * @example
   * ```ts
   * faults.attachLog(cluster);
   * ```
   */
  attachLog(cluster: LogCluster): void {
    if (!this.networkFaults) return;
    const network = cluster.network;
    network.setFaultHook((info) => this.decideLog(info, network.latencyMs));
  }

  /**
   * Installs the plan's network faults on an AMQP broker (its request seam, `broker.network`; the
   * amqplib facade goes through it): `drop-request`, `drop-response` and `delay` of `publish`,
   * `confirm`, `ack` (ack, nack and reject) and `basic.get`; `partition` of a client (its
   * connections by name: its requests, and the confirms and deliveries the broker sends it, are
   * held until the window ends, as TCP holds them; a connect under its name is refused,
   * `CONNECTION_REFUSED`; and a window of at least the broker's heartbeat timeout drops the
   * client's connections at that timeout, losing what was held — its unacked deliveries are
   * requeued and redelivered); `restart-broker` (every connection drops, what is not durable is gone,
   * connects are refused while it is down). See `src/exchange/network.ts` for what each fault
   * does to each request.
   *
   * @example
   * ```ts
   * faults.attachAmqp(broker);
   * ```
   */
  attachAmqp(broker: AmqpBroker): void {
    if (broker === null || typeof broker !== "object" || !(broker.network instanceof AmqpNetwork))
      throw new InvalidArgumentError("Faults.attachAmqp: expected an AmqpBroker.");
    if (this.brokers.includes(broker)) return;
    this.brokers.push(broker);
    if (!this.networkFaults) return;
    broker.network.setFaultHook((info) => this.decideAmqp(info));
    const sim = this.sim;
    this.plan.forEach((f, i) => {
      if (f.kind === "restart-broker") {
        backgroundAt(
          sim,
          this.origin + f.atMs,
          () => {
            if (this.requestCounts[i]!++ === 0) this.fire(f);
            broker.restart({ downMs: f.downMs ?? 1000 });
          },
          `fault: ${describeFault(f)}`,
        );
      } else if (f.kind === "partition" && f.durationMs >= broker.heartbeatTimeoutMs) {
        const start = this.origin + f.fromMs;
        backgroundAt(
          sim,
          start + broker.heartbeatTimeoutMs,
          () => {
            if (this.requestCounts[i]!++ === 0) this.fire(f);
            broker.heartbeatTimeout(f.client, start);
          },
          `fault: ${describeFault(f)} (heartbeat timeout)`,
        );
      }
    });
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

  /** @internal Records a process step in the history (crash, restart). */
  note(process: string, f: string, value: Record<string, unknown>): void {
    emitStep(this.sim, process, "invoke", f, value);
    emitStep(this.sim, process, "ok", f, value);
  }

  private fire(f: Fault): void {
    this.firedList.push({ time: this.sim.now - this.origin, fault: describeFault(f) });
  }

  /** The crash hook: the plan's point crashes, at the n-th time a process reaches the point. */
  private crashHook(info: CrashPointInfo): boolean {
    const name = info.process.name;
    for (const f of this.pointCrashes) {
      if (f.process === name && f.point === info.point && (f.occurrence ?? 1) === info.occurrence) {
        return this.crashNow(f, false);
      }
    }
    return false;
  }

  /** Crashes the fault's process (and schedules its restart); true when it crashed. */
  private crashNow(f: CrashFault, mayWait: boolean): boolean {
    const reason = f.point ?? "time";
    const p = this.processesByName.get(f.process);
    if (p !== undefined) {
      if (p.startPending && mayWait) {
        // Its incarnation starts in an event at this very time: crash it once that has run.
        backgroundAt(this.sim, this.sim.now, () => this.crashNow(f, false), `fault: ${describeFault(f)}`);
        return false;
      }
      if (!p.alive()) return false;
      this.fire(f);
      p.crash(reason);
      if (f.restartAfterMs !== undefined) p.restart({ afterMs: f.restartAfterMs });
      return true;
    }
    // A kernel process spawned elsewhere (sim.spawn, a task worker).
    const k = this.sim.process(f.process);
    if (k === undefined || !k.currentToken.alive || (k.state !== "running" && k.state !== "exited"))
      return false;
    this.fire(f);
    this.note(f.process, "crash", { incarnation: k.incarnation, reason });
    k.crash(reason);
    if (f.restartAfterMs !== undefined) k.restart({ afterMs: f.restartAfterMs });
    return true;
  }

  /** The n-th-request faults (drop-request, drop-response, delay) matching a request, first one wins. */
  private requestFault(i: number, f: Fault, kind: string, client: string): RequestDecision | undefined {
    if (f.kind !== "drop-request" && f.kind !== "drop-response" && f.kind !== "delay") return undefined;
    if (f.request !== kind || (f.client !== undefined && f.client !== client)) return undefined;
    const n = ++this.requestCounts[i]!;
    const first = f.nth ?? 1;
    if (n < first || n >= first + (f.count ?? 1)) return undefined;
    this.fire(f);
    return f.kind === "delay" ? { delayRequestMs: f.delayMs } : f.kind;
  }

  private decideLog(info: RequestInfo, latencyMs: number): FaultDecision | undefined {
    const now = this.sim.now - this.origin;
    let decision: FaultDecision | undefined;
    for (let i = 0; i < this.plan.length; i++) {
      const f = this.plan[i]!;
      switch (f.kind) {
        case "drop-request":
        case "drop-response":
        case "delay": {
          const d = this.requestFault(i, f, info.kind, info.clientId);
          if (d !== undefined && decision === undefined) decision = d;
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
        case "restart-broker": {
          if (decision !== undefined) break;
          const downUntil = f.atMs + (f.downMs ?? 1000);
          if (now >= f.atMs && now < downUntil) {
            if (this.requestCounts[i]!++ === 0) this.fire(f);
            decision = "drop-request";
          } else if (now < f.atMs) {
            // In flight when the broker goes down: lost on the way, or the broker acted and the
            // response is lost.
            const arrives = now + latencyMs;
            const answered = arrives + latencyMs;
            if (answered >= f.atMs) {
              if (this.requestCounts[i]!++ === 0) this.fire(f);
              decision = arrives >= f.atMs ? "drop-request" : "drop-response";
            }
          }
          break;
        }
        default:
          break;
      }
    }
    return decision;
  }

  private decideAmqp(info: AmqpRequestInfo): AmqpFaultDecision | undefined {
    const now = this.sim.now - this.origin;
    let decision: AmqpFaultDecision | undefined;
    for (let i = 0; i < this.plan.length; i++) {
      const f = this.plan[i]!;
      if (f.kind === "partition") {
        const end = f.fromMs + f.durationMs;
        if (decision === undefined && info.clientId === f.client && now >= f.fromMs && now < end) {
          if (this.requestCounts[i]!++ === 0) this.fire(f);
          // TCP holds what either side sends until the partition heals (or the connection drops);
          // a new connection cannot be opened.
          decision = info.kind === "connect" ? "drop-request" : { delayRequestMs: end - now };
        }
        continue;
      }
      const d = this.requestFault(i, f, info.kind, info.clientId);
      if (d !== undefined && decision === undefined) decision = d;
    }
    return decision;
  }
}

type RequestDecision = "drop-request" | "drop-response" | { delayRequestMs: number };
