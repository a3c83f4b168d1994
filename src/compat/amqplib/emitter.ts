import { EventEmitter } from "eventemitter3";

/**
 * The event emitter amqplib's connections and channels are: eventemitter3 (no `node:events`
 * import, so the facade runs in browsers) plus the Node `EventEmitter` methods applications call
 * on amqplib objects that eventemitter3 lacks. There is no listener limit to set, so
 * `setMaxListeners` only records the number for `getMaxListeners`.
 *
 * @example
 * ```ts
 * channel.setMaxListeners(0); // as with amqplib; no warning is ever printed
 * channel.on("error", (err) => console.error(err.message));
 * ```
 */
export class AmqplibEmitter extends EventEmitter {
  private maxListeners = 10;

  /** Node's listener-leak warning threshold: recorded, never enforced. */
  setMaxListeners(n: number): this {
    this.maxListeners = n;
    return this;
  }

  /** What {@link setMaxListeners} recorded (Node's default 10 otherwise). */
  getMaxListeners(): number {
    return this.maxListeners;
  }

  /**
   * Node's `rawListeners`: the listeners of `event`. (Node returns a once-listener's wrapper here;
   * eventemitter3 keeps no wrapper, so this is the function that was registered.)
   */
  // biome-ignore lint/suspicious/noExplicitAny: Node's signature.
  rawListeners(event: string | symbol): Array<(...args: any[]) => void> {
    return this.listeners(event);
  }

  /** Node's `prependListener`: adds `listener` before every listener `event` already has. */
  // biome-ignore lint/suspicious/noExplicitAny: Node's signature.
  prependListener(event: string | symbol, listener: (...args: any[]) => void): this {
    return this.prepend(event, listener, false, this);
  }

  /** Node's `prependOnceListener`: as {@link prependListener}, removed after its first call. */
  // biome-ignore lint/suspicious/noExplicitAny: Node's signature.
  prependOnceListener(event: string | symbol, listener: (...args: any[]) => void): this {
    return this.prepend(event, listener, true, this);
  }

  /**
   * @internal Adds `listener` (called with `context` as `this`) before every listener of `event`.
   * eventemitter3 only appends, so the listener goes into its listener table directly, in the
   * table's own entry shape (`{ fn, context, once }`, one entry or an array per event).
   */
  prepend(
    event: string | symbol,
    // biome-ignore lint/suspicious/noExplicitAny: Node's signature.
    listener: (...args: any[]) => void,
    once: boolean,
    context: unknown,
  ): this {
    if (typeof listener !== "function") {
      throw new TypeError(`The "listener" argument must be of type function. Received ${typeof listener}.`);
    }
    const prefix = EventEmitter.prefixed;
    const key = typeof prefix === "string" && typeof event === "string" ? prefix + event : event;
    const table = (this as unknown as { _events: Record<string | symbol, unknown> })._events;
    const existing = table[key];
    if (existing === undefined)
      return once ? this.once(event, listener, context) : this.on(event, listener, context);
    const entry = { fn: listener, context, once };
    if (Array.isArray(existing)) existing.unshift(entry);
    else table[key] = [entry, existing];
    return this;
  }

  /**
   * Emits as amqplib ≥ 1.0.7's `safeEmit`: a listener that throws is reported as
   * `'handler-error'` (`(error, eventName)`, emitted later) when someone listens for that; else
   * the exception propagates as before.
   */
  // biome-ignore lint/suspicious/noExplicitAny: eventemitter3's own signature.
  override emit(event: string | symbol, ...args: any[]): boolean {
    try {
      return super.emit(event, ...args);
    } catch (error) {
      if (!this.reportHandlerError(error, event)) throw error;
      return true;
    }
  }

  /**
   * @internal Schedules `'handler-error'` for `error`, thrown by a handler of `event`; false when
   * nobody listens for it (the caller lets the error propagate). amqplib defers it to the host's
   * next turn; a microtask keeps it after the current event and off the host's timers.
   */
  reportHandlerError(error: unknown, event: string | symbol): boolean {
    if (this.listenerCount("handler-error") === 0) return false;
    queueMicrotask(() => this.emit("handler-error", error, event));
    return true;
  }
}
