import { expect } from "vitest";
import { type CheckOptions, type CheckResult, check, type Guarantee } from "./check.js";
import { History } from "./history.js";
import { historyToMermaid } from "./mermaid.js";
import type { Operation } from "./operation.js";

/**
 * `brokerlab/vitest`: importing it adds two matchers to vitest's `expect`.
 *
 * - `expect(history).toSatisfy("exactly-once")` (or `{ guarantee, ordering, processedBy }`) checks a
 *   {@link History} or an operation array; a function argument keeps vitest's own `toSatisfy`.
 * - `expect(result).toHaveNoAnomalies()` takes a {@link CheckResult} or an `explore` result.
 *
 * Failure messages print the anomalies with their evidence and a Mermaid sequence diagram.
 *
 * @example
 * ```ts
 * import "brokerlab/vitest";
 * expect(history).toSatisfy({ guarantee: "at-least-once", ordering: "per-key" });
 * expect(await explore(scenario, { runs: 200, expect: "exactly-once" })).toHaveNoAnomalies();
 * ```
 */

type Expectation = Guarantee | CheckOptions;

declare module "vitest" {
  interface Assertion<T> {
    toSatisfy: (expectation: Expectation | ((value: T) => boolean), message?: string) => void;
    /** Passes when a check or explore result found no violation. */
    toHaveNoAnomalies: () => void;
  }
  interface AsymmetricMatchersContaining {
    toHaveNoAnomalies: () => unknown;
  }
}

interface MatcherResult {
  pass: boolean;
  message: () => string;
}

interface ExploreLike {
  ok: boolean;
  runs: number;
  failure?: { report?: string } | null;
}

function isHistoryLike(value: unknown): value is History | readonly Operation[] {
  return value instanceof History || Array.isArray(value);
}

function describeCheck(result: CheckResult, ops: readonly Operation[]): string {
  const evidence = new Map<number, Operation>();
  for (const a of result.anomalies) if (a.violation) for (const op of a.evidence) evidence.set(op.index, op);
  const diagram = historyToMermaid([...evidence.values()].sort((a, b) => a.index - b.index));
  return `${result.toText()}\n\nSequence diagram of the evidence (Mermaid):\n${diagram}${ops.length === 0 ? "\n(empty history)" : ""}`;
}

/** The matcher functions, for `expect.extend` in a custom setup. */
export const brokerlabMatchers = {
  toSatisfy(received: unknown, expectation: unknown, message?: string): MatcherResult {
    if (typeof expectation === "function") {
      // vitest's own toSatisfy(predicate).
      const pass = Boolean((expectation as (v: unknown) => boolean)(received));
      return {
        pass,
        message: () => message ?? `expected value ${pass ? "not " : ""}to satisfy the predicate`,
      };
    }
    if (!isHistoryLike(received)) {
      return {
        pass: false,
        message: () => "toSatisfy(guarantee): expected a brokerlab History or an array of operations",
      };
    }
    const options: CheckOptions =
      typeof expectation === "string"
        ? { guarantee: expectation as Guarantee }
        : (expectation as CheckOptions);
    const result = check(received, options);
    const ops = received instanceof History ? received.operations : received;
    return {
      pass: result.valid,
      message: () =>
        result.valid
          ? `expected the history not to satisfy ${result.guarantee}, but it does`
          : `${message ? `${message}\n` : ""}expected the history to satisfy ${result.guarantee}:\n${describeCheck(result, ops)}`,
    };
  },

  toHaveNoAnomalies(received: unknown): MatcherResult {
    if (
      received !== null &&
      typeof received === "object" &&
      Array.isArray((received as CheckResult).anomalies)
    ) {
      const result = received as CheckResult;
      return {
        pass: result.valid,
        message: () =>
          result.valid
            ? "expected anomalies, found none"
            : `expected no anomalies:\n${describeCheck(result, [])}`,
      };
    }
    if (
      received !== null &&
      typeof received === "object" &&
      typeof (received as ExploreLike).ok === "boolean"
    ) {
      const result = received as ExploreLike;
      return {
        pass: result.ok,
        message: () =>
          result.ok
            ? `expected exploration to find a failure, but ${result.runs} runs passed`
            : `expected no anomalies, exploration found a counterexample:\n${result.failure?.report ?? "(no report)"}`,
      };
    }
    return { pass: false, message: () => "toHaveNoAnomalies: expected a check(...) or explore(...) result" };
  },
};

expect.extend(brokerlabMatchers);
