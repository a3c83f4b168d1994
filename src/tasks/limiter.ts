import type { Clock } from "../scheduler/token-bucket.js";
import { checkOptions, checkPositive } from "../scheduler/validate.js";

/**
 * Options of BullMQ's global limiter: at most `max` jobs start per `durationMs` window, across
 * every worker of the queue.
 *
 * @example
 * ```ts
 * tasks(sim, { limiter: { max: 100, durationMs: 60_000 } });
 * ```
 */
export interface LimiterOptions {
  max: number;
  durationMs: number;
}

/**
 * BullMQ's fixed-window rate limiter, shared by every worker of a queue: the counter starts at the
 * first start and expires `durationMs` later; while it is at `max`, no job becomes active (jobs
 * stay waiting). Unlike Celery's per-worker token bucket, k workers do not get k times the rate,
 * and a burst of `max` can start at once at the top of each window.
 *
 * @example
 * ```ts
 * const limiter = new FixedWindowLimiter(sim, { max: 2, durationMs: 1000 });
 * limiter.tryAcquire(); limiter.tryAcquire(); // true, true
 * limiter.tryAcquire(); // false until limiter.resetAt
 * ```
 */
export class FixedWindowLimiter {
  readonly max: number;
  readonly durationMs: number;
  private readonly clock: Clock;
  private count = 0;
  private windowEnd = Number.NEGATIVE_INFINITY;

  constructor(clock: Clock, options: LimiterOptions) {
    checkOptions(options, ["max", "durationMs"], "FixedWindowLimiter");
    checkPositive(options?.max, "max", "FixedWindowLimiter");
    checkPositive(options.durationMs, "durationMs", "FixedWindowLimiter");
    this.clock = clock;
    this.max = options.max;
    this.durationMs = options.durationMs;
  }

  /** When the current window ends (the counter expires). */
  get resetAt(): number {
    return this.windowEnd;
  }

  /** Counts one start if the window has room. */
  tryAcquire(): boolean {
    const now = this.clock.now;
    if (now >= this.windowEnd) {
      this.count = 0;
      this.windowEnd = now + this.durationMs;
    }
    if (this.count >= this.max) return false;
    this.count++;
    return true;
  }
}
