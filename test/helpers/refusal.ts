import { expect } from "vitest";
import { BrokerlabError } from "../../src/scheduler/errors.js";

/**
 * Runs `fn` and returns the `code` of the `BrokerlabError` it throws (asserting that it is one,
 * with a string code), or undefined when it does not throw.
 *
 * @example
 * ```ts
 * expect(codeOf(() => sim.cancel(5n as never))).toBe("INVALID_TIMER_ID");
 * ```
 */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(BrokerlabError);
    const code = (error as BrokerlabError).code;
    expect(typeof code).toBe("string");
    return code;
  }
  return undefined;
}
