import { InvalidArgumentError } from "./errors.js";
import { parseRate, type Rate, type RateLike } from "./rate.js";
import { checkOptions, checkPositive } from "./validate.js";

/** What a token bucket needs from its clock. */
export interface Clock {
  readonly now: number;
}

/** Options of {@link TokenBucket}. */
export interface TokenBucketOptions {
  /** Refill rate: `"100/m"`, `"10/s"`, `"1000/h"`, or a number per second. */
  rate: RateLike;
  /** Most tokens the bucket holds; default 1, Celery's per-worker rate limit. The bucket starts full. */
  capacity?: number;
}

/**
 * A token bucket on virtual time. Tokens are kept as integer "credits" (one token is `periodMs`
 * credits, refilled at `count` credits per millisecond), so `"100/m"` admits a call at exactly
 * 600 ms, not at 600.0000001 ms as floating-point division would.
 *
 * @example
 * ```ts
 * const bucket = new TokenBucket(sim, { rate: "100/m" });
 * bucket.tryTake();         // true
 * bucket.tryTake();         // false
 * bucket.msUntilAvailable(); // 600
 * ```
 */
export class TokenBucket {
  /** The parsed rate. */
  readonly rate: Rate;
  /** Capacity in tokens. */
  readonly capacity: number;
  private readonly clock: Clock;
  private credits: number;
  private updatedAt: number;

  constructor(clock: Clock, options: TokenBucketOptions) {
    checkOptions(options, ["rate", "capacity"], "TokenBucket");
    if (options === undefined)
      throw new InvalidArgumentError("TokenBucket: options with a rate are required.", "INVALID_RATE");
    const rate = parseRate(options.rate, "TokenBucket");
    const capacity = options.capacity ?? 1;
    checkPositive(capacity, "capacity", "TokenBucket");
    this.clock = clock;
    this.rate = rate;
    this.capacity = capacity;
    this.credits = capacity * rate.periodMs;
    this.updatedAt = clock.now;
  }

  /** Tokens available now (fractional while refilling). */
  get tokens(): number {
    this.refill();
    return this.credits / this.rate.periodMs;
  }

  /** Takes `n` tokens if they are all there; otherwise takes nothing and returns false. */
  tryTake(n = 1): boolean {
    checkPositive(n, "n", "TokenBucket.tryTake");
    this.refill();
    const cost = n * this.rate.periodMs;
    if (this.credits < cost) return false;
    this.credits -= cost;
    return true;
  }

  /** Milliseconds of virtual time until `n` tokens are available (0 if they are now). */
  msUntilAvailable(n = 1): number {
    checkPositive(n, "n", "TokenBucket.msUntilAvailable");
    if (n > this.capacity) {
      throw new InvalidArgumentError(
        `TokenBucket: ${n} tokens can never be available in a bucket of capacity ${this.capacity}.`,
      );
    }
    this.refill();
    const missing = n * this.rate.periodMs - this.credits;
    return missing <= 0 ? 0 : missing / this.rate.count;
  }

  private refill(): void {
    const now = this.clock.now;
    if (now <= this.updatedAt) return;
    const max = this.capacity * this.rate.periodMs;
    this.credits = Math.min(max, this.credits + (now - this.updatedAt) * this.rate.count);
    this.updatedAt = now;
  }
}
