/**
 * Every error brokerlab throws on purpose is a {@link BrokerlabError}: it carries a stable,
 * machine-readable `code` (for example `INVALID_ARGUMENT`, `UNKNOWN_EXCHANGE`,
 * `PRODUCER_FENCED`) and a message that says what to do about it.
 *
 * Codes are part of the public API: tests may match on them, messages may change.
 *
 * @example
 * ```ts
 * try {
 *   sim.after(-5, () => {});
 * } catch (error) {
 *   if (error instanceof BrokerlabError && error.code === "INVALID_ARGUMENT") {
 *     // negative delay refused, nothing was scheduled
 *   }
 * }
 * ```
 */
export class BrokerlabError extends Error {
  /** Stable code, in SCREAMING_SNAKE_CASE; safe to branch on. */
  readonly code: string;
  /** Extra facts about the failure (names, offsets, limits), for programs rather than people. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
}

/** A public argument was malformed: wrong type, out of range, unknown option. Code `INVALID_ARGUMENT` unless a more precise code is given. */
export class InvalidArgumentError extends BrokerlabError {
  constructor(message: string, code = "INVALID_ARGUMENT", details: Record<string, unknown> = {}) {
    super(code, message, details);
  }
}

/** The call is well-formed but not allowed in the current state (closed simulation, re-entrant run, …). */
export class InvalidStateError extends BrokerlabError {
  constructor(message: string, code = "INVALID_STATE", details: Record<string, unknown> = {}) {
    super(code, message, details);
  }
}

/** A model invariant broke: a bug in brokerlab, never the user's fault. Code `INVARIANT_VIOLATED`. */
export class InvariantError extends BrokerlabError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(
      "INVARIANT_VIOLATED",
      `brokerlab invariant violated: ${message} (this is a bug in brokerlab; please report it with the seed)`,
      details,
    );
  }
}

/**
 * Asserts a model invariant. Cheap enough for hot paths: the message is only built on failure.
 *
 * @example
 * ```ts
 * invariant(offset >= logStart, () => `offset ${offset} below log start ${logStart}`);
 * ```
 */
export function invariant(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) throw new InvariantError(typeof message === "string" ? message : message());
}
