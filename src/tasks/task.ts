import { InvalidArgumentError } from "../scheduler/errors.js";
import type { RandomSource } from "../scheduler/random.js";
import { parseRate, type Rate } from "../scheduler/rate.js";
import {
  checkFunction,
  checkInteger,
  checkNonNegative,
  checkOptions,
  checkString,
} from "../scheduler/validate.js";
import type { ApplyOptions, TaskApp } from "./app.js";
import { Signature } from "./canvas.js";
import type { TaskContext } from "./context.js";
import type { AsyncResult } from "./result.js";

/**
 * A task function: gets the {@link TaskContext} first (Celery's `bind=True` self), then its
 * arguments; returns the result or a promise of it. Spend virtual time with `await ctx.sleep(ms)`.
 *
 * @example
 * ```ts
 * const fn: TaskFunction = async (ctx, path: string) => { await ctx.sleep(1500); return `${path}.720p`; };
 * ```
 */
// biome-ignore lint/suspicious/noExplicitAny: task arguments are whatever the caller passes
export type TaskFunction = (ctx: TaskContext, ...args: any[]) => unknown;

/** An error class for `autoretryFor`. */
export type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * Options of {@link TaskApp.task}. Times are in seconds, as in Celery (`countdown`,
 * `defaultRetryDelay`, `retryBackoffMax`, `timeLimit`, `softTimeLimit`, `expires`).
 *
 * @example
 * ```ts
 * app.task("encode", encode, { autoretryFor: [EncoderError], retryBackoff: true, maxRetries: 5, acksLate: true });
 * ```
 */
export interface TaskOptions {
  /** Retries allowed (so at most maxRetries + 1 runs); null retries forever. Default 3. */
  maxRetries?: number | null;
  /** Wait before a retry without countdown, in s. Default 180. */
  defaultRetryDelay?: number;
  /** Exponential backoff for autoretries: true = factor 1, a number = that factor (s). Default false. */
  retryBackoff?: boolean | number;
  /** Backoff cap in s. Default 600. */
  retryBackoffMax?: number;
  /** Full jitter on the backoff, from a seeded stream named after the task. Default true. */
  retryJitter?: boolean;
  /** Errors that retry automatically. */
  autoretryFor?: readonly ErrorClass[];
  /** Ack after the task ends (failures and time limits included) instead of before it runs. Default false. */
  acksLate?: boolean;
  /** With acksLate: a lost pool child requeues the task instead of failing it. Default false. */
  rejectOnWorkerLost?: boolean;
  /** Celery rate: "100/m", "10/s", "1000/h" or a number per second; per worker, bucket capacity 1. */
  rateLimit?: string | number;
  /** Hard time limit in s: the task is killed and fails with TimeLimitExceeded. */
  timeLimit?: number;
  /** Soft time limit in s: SoftTimeLimitExceeded is raised inside the task. */
  softTimeLimit?: number;
  /** Default expiry in s after sending. */
  expires?: number;
  /** Default queue. */
  queue?: string;
  /** Send the payload and error of a task that exhausted its retries to this queue (overrides the app's). */
  deadLetterQueue?: string | null;
}

/** @internal Task options with defaults applied. */
export interface ResolvedTaskOptions {
  maxRetries: number | null;
  defaultRetryDelay: number;
  backoffFactor: number;
  retryBackoffMax: number;
  retryJitter: boolean;
  autoretryFor: readonly ErrorClass[];
  acksLate: boolean;
  rejectOnWorkerLost: boolean;
  rate: Rate | null;
  timeLimit: number | null;
  softTimeLimit: number | null;
  expires: number | null;
  queue: string;
  deadLetterQueue: string | null;
}

const TASK_OPTIONS = [
  "maxRetries",
  "defaultRetryDelay",
  "retryBackoff",
  "retryBackoffMax",
  "retryJitter",
  "autoretryFor",
  "acksLate",
  "rejectOnWorkerLost",
  "rateLimit",
  "timeLimit",
  "softTimeLimit",
  "expires",
  "queue",
  "deadLetterQueue",
] as const;

function bool(value: unknown, name: string, fallback: boolean, where: string): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean")
    throw new InvalidArgumentError(`${where}: ${name} must be a boolean, got ${String(value)}.`);
  return value;
}

/** @internal Validates task options and applies Celery's defaults. */
export function resolveTaskOptions(
  options: TaskOptions,
  defaults: { queue: string; deadLetterQueue: string | null },
  where: string,
): ResolvedTaskOptions {
  checkOptions(options, TASK_OPTIONS, where);
  const maxRetries = options.maxRetries === undefined ? 3 : options.maxRetries;
  if (maxRetries !== null) checkInteger(maxRetries, "maxRetries", where, 0);
  const defaultRetryDelay = options.defaultRetryDelay ?? 180;
  checkNonNegative(defaultRetryDelay, "defaultRetryDelay", where);
  const backoff = options.retryBackoff ?? false;
  let backoffFactor = 0;
  if (backoff === true) backoffFactor = 1;
  else if (typeof backoff === "number") {
    checkInteger(backoff, "retryBackoff", where, 1);
    backoffFactor = backoff;
  } else if (backoff !== false) {
    throw new InvalidArgumentError(`${where}: retryBackoff must be a boolean or a whole number of seconds.`);
  }
  const retryBackoffMax = options.retryBackoffMax ?? 600;
  checkNonNegative(retryBackoffMax, "retryBackoffMax", where);
  const autoretryFor = options.autoretryFor ?? [];
  if (!Array.isArray(autoretryFor))
    throw new InvalidArgumentError(`${where}: autoretryFor must be a list of error classes.`);
  for (const cls of autoretryFor) checkFunction(cls, "autoretryFor entry", where);
  const optionalSeconds = (value: number | undefined, name: string): number | null => {
    if (value === undefined) return null;
    checkNonNegative(value, name, where);
    if (value === 0) throw new InvalidArgumentError(`${where}: ${name} must be > 0 seconds.`);
    return value;
  };
  const queue = options.queue ?? defaults.queue;
  checkString(queue, "queue", where, true);
  const dlq = options.deadLetterQueue === undefined ? defaults.deadLetterQueue : options.deadLetterQueue;
  if (dlq !== null) checkString(dlq, "deadLetterQueue", where, true);
  return {
    maxRetries,
    defaultRetryDelay,
    backoffFactor,
    retryBackoffMax,
    retryJitter: bool(options.retryJitter, "retryJitter", true, where),
    autoretryFor,
    acksLate: bool(options.acksLate, "acksLate", false, where),
    rejectOnWorkerLost: bool(options.rejectOnWorkerLost, "rejectOnWorkerLost", false, where),
    rate: options.rateLimit === undefined ? null : parseRate(options.rateLimit, where),
    timeLimit: optionalSeconds(options.timeLimit, "timeLimit"),
    softTimeLimit: optionalSeconds(options.softTimeLimit, "softTimeLimit"),
    expires: optionalSeconds(options.expires, "expires"),
    queue,
    deadLetterQueue: dlq,
  };
}

/**
 * A registered task. Call it with {@link delay} or {@link applyAsync}; make signatures for the
 * canvas with {@link s} and {@link si}.
 *
 * @example
 * ```ts
 * const add = app.task("add", (_ctx, a: number, b: number) => a + b);
 * const r = add.delay(2, 3);
 * await r.get(); // 5
 * ```
 */
export class Task {
  readonly app: TaskApp;
  readonly name: string;
  readonly fn: TaskFunction;
  /** @internal */
  readonly options: ResolvedTaskOptions;
  /** @internal The seeded stream retry jitter is drawn from (named after the task). */
  readonly jitter: RandomSource;

  /** @internal Made by {@link TaskApp.task}. */
  constructor(
    app: TaskApp,
    name: string,
    fn: TaskFunction,
    options: ResolvedTaskOptions,
    jitter: RandomSource,
  ) {
    this.app = app;
    this.name = name;
    this.fn = fn;
    this.options = options;
    this.jitter = jitter;
  }

  /** Sends the task with these arguments (Celery's `delay`). */
  delay(...args: unknown[]): AsyncResult {
    return this.app.apply(this, args, {});
  }

  /** Sends the task with arguments and call options (countdown, eta, expires, queue, taskId, link, linkError). */
  applyAsync(args: readonly unknown[] = [], options: ApplyOptions = {}): AsyncResult {
    if (!Array.isArray(args))
      throw new InvalidArgumentError(`Task.applyAsync(${this.name}): args must be an array.`);
    return this.app.apply(this, args, options);
  }

  /** A signature that receives its parent's result as first argument. */
  s(...args: unknown[]): Signature {
    return new Signature(this, args, false);
  }

  /** An immutable signature: it ignores its parent's result. */
  si(...args: unknown[]): Signature {
    return new Signature(this, args, true);
  }
}
