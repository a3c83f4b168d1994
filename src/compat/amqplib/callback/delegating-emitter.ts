import { InvalidArgumentError } from "../../../scheduler/errors.js";
import type { AmqplibEmitter } from "../emitter.js";

// biome-ignore lint/suspicious/noExplicitAny: listeners take whatever the event carries, as in Node.
type Listener = (...args: any[]) => void;

/**
 * The event-emitter face of a callback-API object, lent from the promise-API object it adapts:
 * listeners are registered on that object (so the facade's "does anyone listen for `'error'`?"
 * checks see them) and are called with the adapter as `this`. One set of listeners, one set of
 * events: what the promise object emits, the callback object emits.
 *
 * @example
 * ```ts
 * channel.on("error", function (err) {
 *   this === channel; // the callback-API channel
 * });
 * ```
 */
export class DelegatingEmitter {
  /** @internal The promise-API object whose events these are. */
  protected readonly events: AmqplibEmitter;

  /** @internal */
  constructor(events: AmqplibEmitter) {
    this.events = events;
  }

  /** Adds a listener (Node's `on`). */
  on(event: string | symbol, listener: Listener): this {
    this.events.on(event, listener, this);
    return this;
  }

  /** Same as {@link on}. */
  addListener(event: string | symbol, listener: Listener): this {
    return this.on(event, listener);
  }

  /** Adds a listener called at most once. */
  once(event: string | symbol, listener: Listener): this {
    this.events.once(event, listener, this);
    return this;
  }

  /** Adds a listener before every listener `event` already has (Node's `prependListener`). */
  prependListener(event: string | symbol, listener: Listener): this {
    this.events.prepend(event, listener, false, this);
    return this;
  }

  /** As {@link prependListener}, removed after its first call. */
  prependOnceListener(event: string | symbol, listener: Listener): this {
    this.events.prepend(event, listener, true, this);
    return this;
  }

  /** Node's `rawListeners`: the listeners of `event` as registered. */
  rawListeners(event: string | symbol): Listener[] {
    return this.events.rawListeners(event);
  }

  /** Removes a listener. */
  removeListener(event: string | symbol, listener: Listener): this {
    this.events.removeListener(event, listener);
    return this;
  }

  /** Same as {@link removeListener}. */
  off(event: string | symbol, listener: Listener): this {
    return this.removeListener(event, listener);
  }

  /** Removes every listener (of `event`, or of all events). */
  removeAllListeners(event?: string | symbol): this {
    this.events.removeAllListeners(event);
    return this;
  }

  /** Emits `event` (amqplib ≥ 1.0.7: a throwing listener becomes `'handler-error'` if heard). */
  // biome-ignore lint/suspicious/noExplicitAny: as Node's emit.
  emit(event: string | symbol, ...args: any[]): boolean {
    return this.events.emit(event, ...args);
  }

  /** How many listeners `event` has. */
  listenerCount(event: string | symbol): number {
    return this.events.listenerCount(event);
  }

  /** The listeners of `event`. */
  listeners(event: string | symbol): Listener[] {
    return this.events.listeners(event);
  }

  /** The events that have listeners. */
  eventNames(): Array<string | symbol> {
    return this.events.eventNames();
  }

  /** Node's listener-leak threshold: recorded, never enforced. */
  setMaxListeners(n: number): this {
    this.events.setMaxListeners(n);
    return this;
  }

  /** What {@link setMaxListeners} recorded. */
  getMaxListeners(): number {
    return this.events.getMaxListeners();
  }
}

/**
 * Node-style callback of an operation with a reply.
 *
 * @example
 * ```ts
 * const done: NodeCallback<Replies.AssertQueue> = (err, ok) => console.log(err ?? ok?.queue);
 * ```
 */
// biome-ignore lint/suspicious/noExplicitAny: amqplib's callbacks are untyped at runtime.
export type NodeCallback<T = any> = (err: CallbackError, ok: T) => void;

/**
 * The error a callback receives: `null` on success, else an `Error`. Typed `any`, as amqplib's
 * own declarations type it loosely (`err: Error`), so that callbacks written against amqplib's
 * types (`(err: Error, ok) => …`) and ones that expect `null` (`(err: Error | null) => …`) both
 * fit.
 *
 * @example
 * ```ts
 * channel.checkQueue("jobs", (err: Error, ok) => console.log(err ?? ok.messageCount));
 * ```
 */
// biome-ignore lint/suspicious/noExplicitAny: matches amqplib's declarations (see above).
export type CallbackError = any;

/**
 * @internal Refuses a callback argument that is neither absent nor a function (and an absent one
 * when `required`).
 *
 * @example
 * ```ts
 * checkCallback(cb, "waitForConfirms", true); // MISSING_CALLBACK without one
 * ```
 */
export function checkCallback(cb: unknown, where: string, required = false): void {
  if (cb === undefined || cb === null) {
    if (!required) return;
    throw new InvalidArgumentError(
      `${where}: a callback is required (amqplib's callback API calls it with (err, result)).`,
      "MISSING_CALLBACK",
    );
  }
  if (typeof cb !== "function") {
    throw new InvalidArgumentError(
      `${where}: the callback must be a function, got ${typeof cb}.`,
      "INVALID_CALLBACK",
    );
  }
}

/**
 * @internal Refuses a function where options belong: amqplib would take it for options and
 * never call it back.
 *
 * @example
 * ```ts
 * checkNotCallback(options, "assertQueue", "options"); // MISPLACED_CALLBACK for assertQueue("q", cb)
 * ```
 */
export function checkNotCallback(value: unknown, where: string, slot: string): void {
  if (typeof value === "function") {
    throw new InvalidArgumentError(
      `${where}: got a function as ${slot}; the callback goes last — pass ${slot} (or undefined) before it, e.g. ${where}(…, {}, callback). amqplib would treat it as ${slot} and never call it.`,
      "MISPLACED_CALLBACK",
    );
  }
}

/**
 * @internal Calls `cb(null, value)` or `cb(err)` when `promise` settles (amqplib's
 * callbackWrapper); without a callback the outcome is dropped, as amqplib's stub drops it.
 *
 * @example
 * ```ts
 * reply(channel.checkQueue("jobs"), (err, ok) => console.log(err ?? ok));
 * ```
 */
export function reply<T>(promise: Promise<T>, cb: NodeCallback<T> | null | undefined): void {
  if (typeof cb === "function")
    promise.then(
      (ok) => cb(null, ok),
      (err: Error) => cb(err, undefined as never),
    );
  else promise.catch(() => undefined);
}

/**
 * @internal Calls `cb(null)` or `cb(err)` when `promise` settles (amqplib's close callbacks).
 *
 * @example
 * ```ts
 * replyDone(channel.close(), () => connection.close());
 * ```
 */
export function replyDone(
  promise: Promise<unknown>,
  cb: ((err: CallbackError) => void) | null | undefined,
): void {
  if (typeof cb === "function")
    promise.then(
      () => cb(null),
      (err: Error) => cb(err),
    );
  else promise.catch(() => undefined);
}
