import { InvalidArgumentError } from "../scheduler/errors.js";
import type { ApplyOptions } from "./app.js";
import type { AsyncResult } from "./result.js";
import type { Task } from "./task.js";

/**
 * A task call to be made later (Celery's signature): a task, arguments, call options, and
 * callbacks. A mutable signature (`task.s(...)`) receives its parent's result as its first
 * argument in a chain or a callback; an immutable one (`task.si(...)`) does not.
 *
 * @example
 * ```ts
 * const sig = encode.s("720p").set({ countdown: 5 });
 * sig.link(notify.si("done")).linkError(alert.s());
 * sig.delay("video-1.mp4");
 * ```
 */
export class Signature {
  readonly task: Task;
  readonly args: readonly unknown[];
  readonly options: Readonly<ApplyOptions>;
  readonly immutable: boolean;
  /** Applied with the result after success. */
  readonly links: Signature[] = [];
  /** Applied with (request, error) after failure. */
  readonly errorLinks: Signature[] = [];

  /** @internal Made by `task.s` / `task.si`. */
  constructor(task: Task, args: readonly unknown[], immutable: boolean, options: ApplyOptions = {}) {
    this.task = task;
    this.args = args;
    this.immutable = immutable;
    this.options = options;
  }

  /** A copy with more call options (countdown, eta, expires, queue, taskId). */
  set(options: ApplyOptions): Signature {
    const copy = new Signature(this.task, this.args, this.immutable, { ...this.options, ...options });
    copy.links.push(...this.links);
    copy.errorLinks.push(...this.errorLinks);
    return copy;
  }

  /** Adds a success callback; returns this signature. */
  link(callback: Signature): this {
    checkSignature(callback, "Signature.link");
    this.links.push(callback);
    return this;
  }

  /** Adds an error callback; returns this signature. */
  linkError(errback: Signature): this {
    checkSignature(errback, "Signature.linkError");
    this.errorLinks.push(errback);
    return this;
  }

  /** Calls it with `extra` arguments appended (a parent's result is prepended by the canvas). */
  delay(...extra: unknown[]): AsyncResult {
    return this.task.app.applySignature(this, extra, {});
  }

  /** Calls it with extra arguments and call options. */
  applyAsync(extra: readonly unknown[] = [], options: ApplyOptions = {}): AsyncResult {
    return this.task.app.applySignature(this, extra, options);
  }

  /** `name(args)`, for logs. */
  toString(): string {
    return `${this.task.name}(${this.args.map((a) => JSON.stringify(a)).join(", ")})`;
  }
}

/** @internal */
export function checkSignature(value: unknown, where: string): asserts value is Signature {
  if (!(value instanceof Signature)) {
    throw new InvalidArgumentError(
      `${where}: expected a signature (task.s(...) or task.si(...)).`,
      "NOT_A_SIGNATURE",
    );
  }
}

/**
 * Steps run one after another, each receiving the previous result (unless immutable); a failure
 * skips the rest and fires the failing step's error callbacks. The result is the last step's, and
 * its `get()` rejects as soon as any step fails.
 *
 * @example
 * ```ts
 * await chain(encode.s("v.mp4", "720p"), thumbnails.s(), upload.s()).applyAsync().get();
 * ```
 */
export class Chain {
  readonly steps: readonly Signature[];

  constructor(steps: readonly Signature[]) {
    this.steps = steps;
  }

  /** Starts the chain; extra arguments go to the first step. */
  applyAsync(extra: readonly unknown[] = [], options: ApplyOptions = {}): AsyncResult {
    return this.steps[0]!.task.app.applyChain(this.steps, extra, options);
  }

  /** Same as {@link applyAsync} with arguments. */
  delay(...extra: unknown[]): AsyncResult {
    return this.applyAsync(extra);
  }
}

/**
 * Builds a {@link Chain}.
 *
 * @example
 * ```ts
 * chain(add.s(2, 2), add.s(4), add.s(8)).delay(); // 16
 * ```
 */
export function chain(...steps: Signature[]): Chain {
  if (steps.length === 0)
    throw new InvalidArgumentError("chain: give at least one signature.", "EMPTY_CANVAS");
  for (const step of steps) checkSignature(step, "chain");
  return new Chain(steps);
}

/**
 * Members run in parallel; the results come back in call order, whatever the finish order.
 *
 * @example
 * ```ts
 * const results = await group(thumb.s(1), thumb.s(2)).applyAsync().get(); // [r1, r2]
 * ```
 */
export class Group {
  readonly members: readonly Signature[];

  constructor(members: readonly Signature[]) {
    this.members = members;
  }

  /** Starts every member. */
  applyAsync(extra: readonly unknown[] = [], options: ApplyOptions = {}): GroupResult {
    const results = this.members.map((member) => member.applyAsync(extra, options));
    return new GroupResult(results);
  }

  /** Same as {@link applyAsync} with arguments. */
  delay(...extra: unknown[]): GroupResult {
    return this.applyAsync(extra);
  }
}

/**
 * Builds a {@link Group}.
 *
 * @example
 * ```ts
 * group(resize.s(1), resize.s(2), resize.s(3)).delay();
 * ```
 */
export function group(...members: Signature[]): Group {
  for (const member of members) checkSignature(member, "group");
  return new Group(members);
}

/**
 * The results of a group, in call order.
 *
 * @example
 * ```ts
 * const r = group(a.s(), b.s()).delay();
 * r.completedCount(); // 0..2
 * await r.get(); // [resultA, resultB]
 * ```
 */
export class GroupResult {
  readonly results: readonly AsyncResult[];

  constructor(results: readonly AsyncResult[]) {
    this.results = results;
  }

  /** True when every member is ready. */
  ready(): boolean {
    return this.results.every((r) => r.ready());
  }

  /** Members that succeeded. */
  completedCount(): number {
    return this.results.filter((r) => r.successful()).length;
  }

  /** Every member's result in call order; rejects with the first error in call order. */
  async get(): Promise<unknown[]> {
    const out: unknown[] = [];
    for (const r of this.results) out.push(await r.get());
    return out;
  }
}

/**
 * A header group and a body called once with the header's results in header order. If a header
 * task fails, the others still run, the body is skipped, and the chord's result fails with a
 * `ChordError` naming the first failure in time; the body's error callbacks fire once.
 *
 * @example
 * ```ts
 * const total = chord([count.s(1), count.s(2)], sum.s()).applyAsync();
 * await total.get(); // sum([r1, r2])
 * ```
 */
export class Chord {
  readonly header: readonly Signature[];
  readonly body: Signature;

  constructor(header: readonly Signature[], body: Signature) {
    this.header = header;
    this.body = body;
  }

  /** Starts the header; the result is the body's. */
  applyAsync(extra: readonly unknown[] = [], options: ApplyOptions = {}): AsyncResult {
    return this.body.task.app.applyChord(this.header, this.body, extra, options);
  }

  /** Same as {@link applyAsync} with arguments. */
  delay(...extra: unknown[]): AsyncResult {
    return this.applyAsync(extra);
  }
}

/**
 * Builds a {@link Chord} from a list of signatures or a {@link Group}.
 *
 * @example
 * ```ts
 * chord(group(fetch.s(1), fetch.s(2)), merge.s()).delay();
 * ```
 */
export function chord(header: readonly Signature[] | Group, body: Signature): Chord {
  const members = header instanceof Group ? header.members : header;
  if (!Array.isArray(members) && !(header instanceof Group)) {
    throw new InvalidArgumentError(
      "chord: the header is a list of signatures or a group.",
      "NOT_A_SIGNATURE",
    );
  }
  for (const member of members) checkSignature(member, "chord header");
  checkSignature(body, "chord body");
  return new Chord(members, body);
}
