import { InvalidArgumentError, InvalidStateError } from "../scheduler/errors.js";
import type { Simulation } from "../scheduler/simulation.js";
import { checkFunction, checkString } from "../scheduler/validate.js";
import { type Operation, pairKey, validateOperations } from "./operation.js";
import { HISTORY_EVENT, type OperationType, type OperationValue, type RecordedStep } from "./record.js";

/**
 * A history of operations in the order they happened, Jepsen-style: plain data that serializes to
 * JSON lines and loads back. Record one from a simulation with {@link recordHistory} (the models
 * and both facades then record sends, receives, acks, commits and transactions), and add the
 * application's own side effects with {@link History.effect}.
 *
 * @example
 * ```ts
 * const history = recordHistory(sim);
 * // ... run the system ...
 * history.effect("billing", "charge", orderId);
 * check(history, { guarantee: "exactly-once" }).valid;
 * ```
 */
export class History {
  /** The operations, in order; `operations[i].index === i`. */
  readonly operations: Operation[] = [];
  private readonly clock: () => number;
  /**
   * Open invocations per pairing key, for {@link History.add}'s check, counted lazily: only the
   * first `tracked` operations are in it, so recording pays nothing until a completion is added.
   */
  private readonly open = new Map<string, number>();
  private tracked = 0;
  private detach: (() => void) | null = null;

  /** @param clock the virtual time stamped on each operation (a simulation's `now`). */
  constructor(clock: () => number = () => 0) {
    checkFunction(clock, "clock", "new History");
    this.clock = clock;
  }

  /** Number of operations. */
  get length(): number {
    return this.operations.length;
  }

  /** True while attached to a simulation's bus. */
  get recording(): boolean {
    return this.detach !== null;
  }

  /** @internal Attaches to a simulation (see {@link recordHistory}). */
  attach(sim: Simulation): void {
    if (this.detach !== null)
      throw new InvalidStateError("History.attach: already recording.", "HISTORY_RECORDING");
    this.detach = sim.bus.on(HISTORY_EVENT, (step: RecordedStep) =>
      this.push(step.process, step.type, step.f, step.value),
    );
  }

  /**
   * Stops recording (operations stay).
   *
   * @example
   * ```ts
   * history.stop(); history.length; // unchanged from now on
   * ```
   */
  stop(): void {
    this.detach?.();
    this.detach = null;
  }

  /**
   * Appends one operation. A completion needs an open invocation (same process, f, value.id).
   *
   * @example
   * ```ts
   * history.add("app", "invoke", "effect", { id: "m1", name: "charge" });
   * history.add("app", "ok", "effect", { id: "m1", name: "charge" });
   * ```
   */
  add(process: string, type: OperationType, f: string, value: OperationValue = {}): Operation {
    checkString(process, "process", "History.add");
    checkString(f, "f", "History.add");
    if (type !== "invoke" && type !== "ok" && type !== "fail" && type !== "info") {
      throw new InvalidArgumentError(
        `History.add: type must be invoke, ok, fail or info, got ${JSON.stringify(type)}.`,
      );
    }
    if (value === null || typeof value !== "object")
      throw new InvalidArgumentError("History.add: value must be an object.");
    if (type !== "invoke" && !this.isOpen(pairKey(process, f, value))) {
      throw new InvalidArgumentError(
        `History.add: ${type} of ${f}${value.id !== undefined ? ` ${value.id}` : ""} by ${process} without its invoke.`,
        "UNMATCHED_COMPLETION",
        { process, f, id: value.id },
      );
    }
    return this.push(process, type, f, value);
  }

  /**
   * Records an application side effect that happened at once (an invoke and its ok): this is
   * what "processed" means to the checker when the history holds effects.
   *
   * @example
   * ```ts
   * history.effect("billing", "charge", "order-7");
   * ```
   */
  effect(process: string, name: string, id: string, extra?: OperationValue): Operation {
    checkString(process, "process", "History.effect");
    checkString(name, "name", "History.effect");
    checkString(id, "id", "History.effect");
    const value = extra === undefined ? { id, name } : { ...extra, id, name };
    this.push(process, "invoke", "effect", value);
    return this.push(process, "ok", "effect", value);
  }

  /**
   * Wraps an async side effect in invoke / ok, or fail when it throws (the error is rethrown).
   *
   * @example
   * ```ts
   * await history.around("billing", "charge", id, () => gateway.charge(id, amount));
   * ```
   */
  async around<T>(process: string, name: string, id: string, fn: () => Promise<T> | T): Promise<T> {
    checkString(process, "process", "History.around");
    checkString(name, "name", "History.around");
    checkString(id, "id", "History.around");
    checkFunction(fn, "fn", "History.around");
    const value = { id, name };
    this.push(process, "invoke", "effect", value);
    try {
      const result = await fn();
      this.push(process, "ok", "effect", value);
      return result;
    } catch (error) {
      this.push(process, "fail", "effect", value);
      throw error;
    }
  }

  /**
   * JSON lines: one operation per line.
   *
   * @example
   * ```ts
   * const text = history.toJSONLines(); History.fromJSON(text).length === history.length; // true
   * ```
   */
  toJSONLines(): string {
    let out = "";
    for (const op of this.operations) out += `${JSON.stringify(op)}\n`;
    return out;
  }

  /** The operations as a plain array (what `JSON.stringify(history)` writes). */
  toJSON(): Operation[] {
    return this.operations;
  }

  /**
   * Loads a history: JSON lines, a JSON array, or an array of operation objects. Validates it
   * fully (codes `INVALID_HISTORY`, `UNMATCHED_COMPLETION`).
   *
   * @example
   * ```ts
   * History.fromJSON('{"index":0,"time":0,"process":"p","type":"invoke","f":"send","value":{"id":"a"}}');
   * ```
   */
  static fromJSON(input: string | readonly unknown[]): History {
    let raw: unknown[];
    if (typeof input === "string") {
      const text = input.trim();
      if (text.startsWith("[")) raw = parseJSON(text, 0) as unknown[];
      else
        raw =
          text === ""
            ? []
            : text
                .split("\n")
                .filter((l) => l.trim() !== "")
                .map((l, i) => parseJSON(l, i));
    } else if (Array.isArray(input)) {
      raw = input as unknown[];
    } else {
      throw new InvalidArgumentError(
        "History.fromJSON: expected JSON lines, a JSON array or an array of operations.",
        "INVALID_HISTORY",
      );
    }
    const ops = validateOperations(raw);
    const history = new History();
    for (const op of ops) history.operations.push(op);
    return history;
  }

  /** True when an invocation with this pairing key is open (catching up on what was recorded since). */
  private isOpen(key: string): boolean {
    const ops = this.operations;
    const open = this.open;
    for (; this.tracked < ops.length; this.tracked++) {
      const op = ops[this.tracked]!;
      const k = pairKey(op.process, op.f, op.value);
      const n = open.get(k) ?? 0;
      if (op.type === "invoke") open.set(k, n + 1);
      else if (n <= 1) open.delete(k);
      else open.set(k, n - 1);
    }
    return open.has(key);
  }

  private push(process: string, type: OperationType, f: string, value: OperationValue): Operation {
    const ops = this.operations;
    const op: Operation = { index: ops.length, time: this.clock(), process, type, f, value };
    ops.push(op);
    return op;
  }
}

function parseJSON(text: string, line: number): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidArgumentError(
      `History.fromJSON: line ${line + 1} is not valid JSON.`,
      "INVALID_HISTORY",
      { line: line + 1 },
    );
  }
}

/**
 * Starts recording a simulation's history (off by default: until this is called the models and
 * facades build nothing). Stop with `history.stop()`.
 *
 * @example
 * ```ts
 * const sim = new Simulation({ seed: 1 });
 * const history = recordHistory(sim);
 * ```
 */
export function recordHistory(sim: Simulation): History {
  if (sim === null || typeof sim !== "object" || typeof (sim as Simulation).bus?.on !== "function") {
    throw new InvalidArgumentError("recordHistory: expected a Simulation.");
  }
  const history = new History(() => sim.now - sim.start);
  history.attach(sim);
  return history;
}
