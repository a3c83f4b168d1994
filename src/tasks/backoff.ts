import type { RandomSource } from "../scheduler/random.js";

/**
 * Celery's `get_exponential_backoff_interval`: `min(maximum, factor · 2^retries)` seconds, then
 * with full jitter a whole number drawn uniformly from [0, that], floored at 0. `retries` is the
 * number of retries so far (0 on the first run), so waits go factor, 2·factor, 4·factor…
 *
 * @example
 * ```ts
 * backoffCountdownS(1, 3, 600, null); // 8
 * backoffCountdownS(1, 20, 600, null); // 600
 * backoffCountdownS(1, 3, 600, sim.random.fork("resize")); // a whole number in [0, 8]
 * ```
 */
export function backoffCountdownS(
  factor: number,
  retries: number,
  maximumS: number,
  jitter: RandomSource | null,
): number {
  let countdown = Math.min(maximumS, factor * 2 ** retries);
  if (jitter !== null) countdown = jitter.int(0, Math.floor(countdown));
  return Math.max(0, countdown);
}
