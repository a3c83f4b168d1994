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
}
