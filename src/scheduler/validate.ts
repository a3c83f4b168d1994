import { describeValue } from "./describe-value.js";
import { InvalidArgumentError } from "./errors.js";

/**
 * Small validators shared by every public entry point. Each throws an {@link InvalidArgumentError}
 * naming the argument, what was received and what is accepted, before any state is touched.
 */

/**
 * Refuses option keys the callee does not know, so that a typo (`prefetchCount` for `prefetch`)
 * is an error rather than a silently ignored setting.
 *
 * @example
 * ```ts
 * checkOptions(options, ["seed", "start"], "Simulation");
 * ```
 */
export function checkOptions(options: unknown, allowed: readonly string[], where: string): void {
  if (options === undefined) return;
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new InvalidArgumentError(`${where}: options must be an object, got ${describeValue(options)}.`);
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw new InvalidArgumentError(
        `${where}: unknown option "${key}". Known options: ${allowed.join(", ")}.`,
        "UNKNOWN_OPTION",
        { option: key },
      );
    }
  }
}

/** A finite number ≥ 0 (a delay, a duration, a size). */
export function checkNonNegative(value: unknown, name: string, where: string): asserts value is number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError(
      `${where}: ${name} must be a finite number ≥ 0, got ${describeValue(value)}.`,
    );
  }
}

/** A finite number > 0 (a period, a rate). */
export function checkPositive(value: unknown, name: string, where: string): asserts value is number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError(
      `${where}: ${name} must be a finite number > 0, got ${describeValue(value)}.`,
    );
  }
}

/** Any finite number (an absolute virtual time may precede the epoch). */
export function checkFinite(value: unknown, name: string, where: string): asserts value is number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new InvalidArgumentError(`${where}: ${name} must be a finite number, got ${describeValue(value)}.`);
  }
}

/** An integer within [min, max]. */
export function checkInteger(
  value: unknown,
  name: string,
  where: string,
  min = Number.MIN_SAFE_INTEGER,
  max = Number.MAX_SAFE_INTEGER,
): asserts value is number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    const range =
      min === Number.MIN_SAFE_INTEGER && max === Number.MAX_SAFE_INTEGER ? "" : ` in [${min}, ${max}]`;
    throw new InvalidArgumentError(
      `${where}: ${name} must be an integer${range}, got ${describeValue(value)}.`,
    );
  }
}

/** A function (a callback, a handler). */
export function checkFunction(
  value: unknown,
  name: string,
  where: string,
): asserts value is (...args: never[]) => unknown {
  if (typeof value !== "function") {
    throw new InvalidArgumentError(`${where}: ${name} must be a function, got ${describeValue(value)}.`);
  }
}

/** A string (optionally non-empty). */
export function checkString(
  value: unknown,
  name: string,
  where: string,
  nonEmpty = false,
): asserts value is string {
  if (typeof value !== "string" || (nonEmpty && value.length === 0)) {
    throw new InvalidArgumentError(
      `${where}: ${name} must be a ${nonEmpty ? "non-empty " : ""}string, got ${describeValue(value)}.`,
    );
  }
}

/** One of a fixed set of strings. */
export function checkOneOf<T extends string>(
  value: unknown,
  allowed: readonly T[],
  name: string,
  where: string,
): asserts value is T {
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(
      `${where}: ${name} must be one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}, got ${describeValue(value)}.`,
    );
  }
}
