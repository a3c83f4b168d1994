import type { Simulation } from "../scheduler/simulation.js";
import { checkNonNegative, checkOptions } from "../scheduler/validate.js";
import type { TaskApp } from "./app.js";
import type { TaskRequest } from "./message.js";
import type { Task } from "./task.js";

/**
 * Options of {@link TaskContext.retry}, Celery's `self.retry(exc, countdown, eta, max_retries)`.
 *
 * @example
 * ```ts
 * throw ctx.retry({ exc: error, countdown: 60 });
 * ```
 */
export interface RetryOptions {
  /** The error; re-raised when no retries are left. */
  exc?: unknown;
  /** Seconds to wait (default: the task's defaultRetryDelay). */
  countdown?: number;
  /** Earliest start, virtual epoch ms. */
  eta?: number;
  /** Overrides the task's maxRetries for this call only. */
  maxRetries?: number | null;
}

/** @internal What a running task's context reports back to its worker. */
export interface Execution {
  readonly request: TaskRequest;
  readonly task: Task;
  /** False once the worker crashed, the child was killed or the hard limit hit. */
  alive: boolean;
  /** Set once the soft time limit passed. */
  softError: Error | null;
  /** The current sleep's rejecter (for the soft time limit). */
  wake: { resolve: () => void; reject: (error: unknown) => void } | null;
  /** The retry limit was reached: a final failure goes to the dead-letter queue. */
  exhausted: boolean;
}

interface Sleeper {
  execution: Execution;
  deferred: { resolve: () => void; reject: (error: unknown) => void };
}

function wakeSleeper(sleeper: Sleeper): void {
  const execution = sleeper.execution;
  if (execution.wake === sleeper.deferred) execution.wake = null;
  if (execution.alive) sleeper.deferred.resolve();
}

/**
 * What a task function gets first: its request (`id`, `retries`, `args`), the means to spend
 * virtual time (`sleep`), and `retry`.
 *
 * @example
 * ```ts
 * app.task("encode", async (ctx, path: string) => {
 *   await ctx.sleep(2_000); // two virtual seconds of work
 *   if (ctx.retries < 2 && flaky()) throw ctx.retry({ countdown: 5 });
 *   return `${path}.mp4`;
 * });
 * ```
 */
export class TaskContext {
  /** The app. */
  readonly app: TaskApp;
  /** The worker running it. */
  readonly worker: string;
  /** @internal */
  readonly execution: Execution;
  private readonly sim: Simulation;

  /** @internal */
  constructor(app: TaskApp, worker: string, execution: Execution) {
    this.app = app;
    this.worker = worker;
    this.execution = execution;
    this.sim = app.sim;
  }

  /** The task id (the same across retries). */
  get id(): string {
    return this.execution.request.id;
  }

  /** The task name. */
  get name(): string {
    return this.execution.request.task;
  }

  /** Retries so far: 0 on the first run. */
  get retries(): number {
    return this.execution.request.retries;
  }

  /** The arguments. */
  get args(): readonly unknown[] {
    return this.execution.request.args;
  }

  /** The whole request. */
  get request(): TaskRequest {
    return this.execution.request;
  }

  /**
   * Spends `ms` of virtual time. Never resolves if the worker dies meanwhile; rejects with
   * `SoftTimeLimitExceededError` when the soft time limit passes.
   */
  sleep(ms: number): Promise<void> {
    checkNonNegative(ms, "ms", "TaskContext.sleep");
    const execution = this.execution;
    if (execution.softError !== null) {
      const error = execution.softError;
      execution.softError = null;
      return Promise.reject(error);
    }
    const deferred = this.sim.deferred<void>();
    execution.wake = deferred;
    this.sim.schedule(this.sim.now + ms, wakeSleeper, { execution, deferred });
    return deferred.promise;
  }

  /**
   * Asks to run again later (same task id, retries + 1) and returns the signal to throw. Past the
   * retry limit it throws `exc` if given, else `MaxRetriesExceededError`.
   */
  retry(options: RetryOptions = {}): Error {
    checkOptions(options, ["exc", "countdown", "eta", "maxRetries"], "TaskContext.retry");
    return this.app.retryRequest(this.execution, options);
  }
}
