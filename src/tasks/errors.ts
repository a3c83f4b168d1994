import { BrokerlabError } from "../scheduler/errors.js";

/**
 * A task asked to retry (or autoretried) after its last allowed retry: Celery's
 * `MaxRetriesExceededError`. Raised when `ctx.retry()` is called without `exc` past `maxRetries`.
 *
 * @example
 * ```ts
 * if (error instanceof MaxRetriesExceededError) console.log(error.details.taskId);
 * ```
 */
export class MaxRetriesExceededError extends BrokerlabError {
  constructor(name: string, taskId: string, maxRetries: number) {
    super(
      "MAX_RETRIES_EXCEEDED",
      `Can't retry ${name}[${taskId}] args: max retries (${maxRetries}) exceeded. Raise maxRetries or handle the failure.`,
      { name, taskId, maxRetries },
    );
  }
}

/**
 * A chord's header task failed, so its body never runs: Celery's `ChordError`, naming the first
 * failure in time.
 *
 * @example
 * ```ts
 * await chordResult.get().catch((e) => e instanceof ChordError && e.details.dependency);
 * ```
 */
export class ChordError extends BrokerlabError {
  constructor(dependency: string, cause: unknown) {
    super("CHORD_ERROR", `Dependency ${dependency} raised ${describeError(cause)}`, {
      dependency,
      cause: describeError(cause),
    });
  }
}

/**
 * A task ran past its hard time limit and was killed (Celery's `TimeLimitExceeded`).
 *
 * @example
 * ```ts
 * result.state; // "FAILURE", with result instanceof TimeLimitExceededError
 * ```
 */
export class TimeLimitExceededError extends BrokerlabError {
  constructor(limitS: number) {
    super("TIME_LIMIT_EXCEEDED", `TimeLimitExceeded(${limitS})`, { limitS });
  }
}

/**
 * Raised inside a task when its soft time limit passes (at its current or next `ctx.sleep`), so
 * it can clean up: Celery's `SoftTimeLimitExceeded`.
 *
 * @example
 * ```ts
 * try { await ctx.sleep(60_000); } catch (e) { if (e instanceof SoftTimeLimitExceededError) cleanup(); throw e; }
 * ```
 */
export class SoftTimeLimitExceededError extends BrokerlabError {
  constructor(limitS: number) {
    super("SOFT_TIME_LIMIT_EXCEEDED", `SoftTimeLimitExceeded(${limitS})`, { limitS });
  }
}

/**
 * A task's `expires` passed before it could run: it is REVOKED instead (Celery's
 * `TaskRevokedError`).
 *
 * @example
 * ```ts
 * result.state === "REVOKED" && result.result instanceof TaskRevokedError;
 * ```
 */
export class TaskRevokedError extends BrokerlabError {
  constructor(taskId: string, reason: string) {
    super("TASK_REVOKED", `Task ${taskId} revoked: ${reason}`, { taskId, reason });
  }
}

/**
 * The pool child running a task died (Celery's `WorkerLostError`): the task fails unless
 * `acksLate` + `rejectOnWorkerLost` requeue it.
 *
 * @example
 * ```ts
 * worker.killChild(); // running tasks fail with WorkerLostError
 * ```
 */
export class WorkerLostError extends BrokerlabError {
  constructor(worker: string) {
    super("WORKER_LOST", `Worker exited prematurely (worker ${worker}).`, { worker });
  }
}

/** @internal The control-flow signal `ctx.retry()` throws after republishing (Celery's `Retry`). */
export class RetrySignal extends Error {
  readonly countdownS: number;
  readonly exc: unknown;
  constructor(countdownS: number, exc: unknown) {
    super(`Retry in ${countdownS}s`);
    this.countdownS = countdownS;
    this.exc = exc;
  }
}

/**
 * How a worker log shows an error: `Name('message')`, as Celery's repr does.
 *
 * @example
 * ```ts
 * describeError(new Error("boom")); // "Error('boom')"
 * ```
 */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}('${error.message}')`;
  return `Error(${JSON.stringify(error)})`;
}
