import { InvalidStateError } from "../scheduler/errors.js";
import type { Simulation } from "../scheduler/simulation.js";

/**
 * Celery's task states. PENDING also means "unknown"; STARTED is recorded when a worker starts
 * the task (Celery's `track_started`).
 *
 * @example
 * ```ts
 * const done: TaskState[] = ["SUCCESS", "FAILURE", "REVOKED"];
 * ```
 */
export type TaskState = "PENDING" | "STARTED" | "RETRY" | "SUCCESS" | "FAILURE" | "REVOKED";

/** The states after which a task never changes again. */
export const READY_STATES: ReadonlySet<TaskState> = new Set(["SUCCESS", "FAILURE", "REVOKED"]);

/**
 * What the backend knows about one task id.
 *
 * @example
 * ```ts
 * app.backend.meta(id)?.state; // "SUCCESS"
 * ```
 */
export interface TaskMeta {
  state: TaskState;
  /** The return value (SUCCESS) or the error (FAILURE, REVOKED, RETRY). */
  result: unknown;
  /** Retries so far. */
  retries: number;
  /** Virtual time of the last state change. */
  dateDoneMs: number;
  /** Every state it went through, in order. */
  readonly states: TaskState[];
}

interface Waiter {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/**
 * The result backend: task id → {@link TaskMeta}, and the waiters of `AsyncResult.get()`.
 *
 * @example
 * ```ts
 * app.backend.states("abc"); // ["PENDING", "STARTED", "RETRY", "STARTED", "SUCCESS"]
 * ```
 */
export class ResultBackend {
  private readonly sim: Simulation;
  private readonly metas = new Map<string, TaskMeta>();
  private readonly waiters = new Map<string, Waiter[]>();
  /** @internal */
  readonly parents = new Map<string, string>();

  /** @internal */
  constructor(sim: Simulation) {
    this.sim = sim;
  }

  /** The meta of a task id, or undefined when unknown (PENDING). */
  meta(id: string): Readonly<TaskMeta> | undefined {
    return this.metas.get(id);
  }

  /** The states a task went through. */
  states(id: string): readonly TaskState[] {
    return this.metas.get(id)?.states ?? [];
  }

  /** Task ids known, in the order first seen. */
  ids(): string[] {
    return [...this.metas.keys()];
  }

  /** @internal Records a state; a ready task never changes again (the first final state wins). */
  set(id: string, state: TaskState, result: unknown, retries: number): boolean {
    let meta = this.metas.get(id);
    if (meta === undefined) {
      meta = { state: "PENDING", result: null, retries: 0, dateDoneMs: this.sim.now, states: [] };
      this.metas.set(id, meta);
    }
    if (READY_STATES.has(meta.state)) return false;
    meta.state = state;
    meta.result = result;
    meta.retries = retries;
    meta.dateDoneMs = this.sim.now;
    meta.states.push(state);
    if (READY_STATES.has(state)) {
      const list = this.waiters.get(id);
      if (list !== undefined) {
        this.waiters.delete(id);
        for (const waiter of list) {
          if (state === "SUCCESS") waiter.resolve(result);
          else waiter.reject(result);
        }
      }
    }
    return true;
  }

  /** @internal A promise settled when the task is ready. */
  wait(id: string): Promise<unknown> {
    const meta = this.metas.get(id);
    if (meta !== undefined && READY_STATES.has(meta.state)) {
      return meta.state === "SUCCESS" ? Promise.resolve(meta.result) : Promise.reject(meta.result);
    }
    const deferred = this.sim.deferred<unknown>();
    const list = this.waiters.get(id) ?? [];
    list.push(deferred);
    this.waiters.set(id, list);
    return deferred.promise;
  }
}

/**
 * Options of {@link AsyncResult.get}.
 *
 * @example
 * ```ts
 * await result.get({ timeoutMs: 60_000 });
 * ```
 */
export interface GetOptions {
  /** Reject with `UNTIL_TIMEOUT` after this much virtual time (as `Simulation.until` does). */
  timeoutMs?: number;
}

/**
 * A handle on one task's outcome, Celery's `AsyncResult`. `get()` resolves in virtual time with
 * the return value, or rejects with the task's error (or a parent's: a chain fails fast). When
 * nothing else drives the simulation, `get()` drives it; if the simulation runs out of work
 * first it rejects with the kernel's `DEADLOCK` error (see `Simulation.until`) instead of hanging.
 *
 * @example
 * ```ts
 * const r = add.delay(2, 3);
 * r.state; // "PENDING"
 * await r.get(); // 5, once a worker ran it
 * r.ready(); // true
 * ```
 */
export class AsyncResult<T = unknown> {
  /** The task id. */
  readonly id: string;
  private readonly backend: ResultBackend;
  private readonly sim: Simulation;
  private readonly enabled: boolean;

  /** @internal */
  constructor(id: string, backend: ResultBackend, sim: Simulation, enabled: boolean) {
    this.id = id;
    this.backend = backend;
    this.sim = sim;
    this.enabled = enabled;
  }

  /** The current state (PENDING when unknown). */
  get state(): TaskState {
    return this.backend.meta(this.id)?.state ?? "PENDING";
  }

  /** The return value (SUCCESS), the error (FAILURE, REVOKED, RETRY), or null. */
  get result(): T | unknown {
    return this.backend.meta(this.id)?.result ?? null;
  }

  /** The task this one was chained after, or null. */
  get parent(): AsyncResult | null {
    const id = this.backend.parents.get(this.id);
    return id === undefined ? null : new AsyncResult(id, this.backend, this.sim, this.enabled);
  }

  /** True in SUCCESS, FAILURE or REVOKED. */
  ready(): boolean {
    return READY_STATES.has(this.state);
  }

  /** True in SUCCESS. */
  successful(): boolean {
    return this.state === "SUCCESS";
  }

  /** True in FAILURE. */
  failed(): boolean {
    return this.state === "FAILURE";
  }

  /** Waits for the outcome in virtual time (see the class comment). */
  get(options: GetOptions = {}): Promise<T> {
    if (!this.enabled) {
      throw new InvalidStateError(
        "AsyncResult.get: no result backend is configured; create the app with resultBackend: true.",
        "NO_RESULT_BACKEND",
      );
    }
    const failedParent = this.firstFailedAncestor();
    if (failedParent !== null) return Promise.reject(failedParent.result);
    const promises: Promise<unknown>[] = [this.backend.wait(this.id)];
    // A chain fails fast: the first ancestor to fail rejects this get too.
    for (let p = this.parent; p !== null; p = p.parent) {
      promises.push(this.backend.wait(p.id).then(() => new Promise<never>(() => {})));
    }
    const settled = Promise.race(promises) as Promise<T>;
    // The kernel's until(): it drives a manual simulation (concurrent gets ride along), waits in
    // auto mode, and rejects with DEADLOCK (or UNTIL_TIMEOUT) instead of hanging.
    return this.sim.until(settled, options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs });
  }

  private firstFailedAncestor(): AsyncResult | null {
    for (let p = this.parent; p !== null; p = p.parent) if (p.failed() || p.state === "REVOKED") return p;
    return null;
  }
}
