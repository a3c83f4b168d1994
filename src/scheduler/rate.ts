import { InvalidArgumentError } from "./errors.js";

/** A rate: `count` events per `periodMs` milliseconds. */
export interface Rate {
  count: number;
  periodMs: number;
}

/** What {@link parseRate} accepts: `"100/m"`, `"10/s"`, `"1000/h"`, or a number of events per second. */
export type RateLike = string | number | Rate;

const PERIODS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a Celery-style rate. A plain number means events per second, as in Celery's
 * `rate_limit=10`.
 *
 * @example
 * ```ts
 * parseRate("100/m"); // { count: 100, periodMs: 60000 }
 * parseRate(5);       // { count: 5, periodMs: 1000 }
 * ```
 */
export function parseRate(rate: RateLike, where = "parseRate"): Rate {
  if (typeof rate === "number") {
    if (!Number.isFinite(rate) || rate <= 0) {
      throw new InvalidArgumentError(
        `${where}: a numeric rate must be a finite number of events per second > 0, got ${rate}.`,
        "INVALID_RATE",
      );
    }
    return { count: rate, periodMs: 1000 };
  }
  if (typeof rate === "string") {
    const match = /^\s*(\d+(?:\.\d+)?)\s*\/\s*([smh])\s*$/.exec(rate);
    const count = match ? Number(match[1]) : Number.NaN;
    if (!match || !(count > 0)) {
      throw new InvalidArgumentError(
        `${where}: invalid rate ${JSON.stringify(rate)}. Write "N/s", "N/m" or "N/h" with N > 0, e.g. "100/m".`,
        "INVALID_RATE",
      );
    }
    return { count, periodMs: PERIODS[match[2] as string] as number };
  }
  if (rate !== null && typeof rate === "object") {
    const { count, periodMs } = rate as Rate;
    if (
      typeof count === "number" &&
      count > 0 &&
      Number.isFinite(count) &&
      typeof periodMs === "number" &&
      periodMs > 0 &&
      Number.isFinite(periodMs)
    ) {
      return { count, periodMs };
    }
  }
  throw new InvalidArgumentError(
    `${where}: a rate must be a string like "100/m", a number per second, or { count, periodMs }.`,
    "INVALID_RATE",
  );
}
