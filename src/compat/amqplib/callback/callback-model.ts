import type { Simulation } from "../../../scheduler/simulation.js";
import type { ChannelModel } from "../connection.js";
import { checkUpdateSecret } from "../connection.js";
import { CallbackChannel, CallbackConfirmChannel } from "./callback-channel.js";
import { type CallbackError, checkCallback, DelegatingEmitter, replyDone } from "./delegating-emitter.js";

type ChannelCallback<C> = (err: CallbackError, channel: C) => void;

/** `createChannel`'s options when given (amqplib's `highWaterMark`), not its callback. */
function channelOptions(options: unknown): { highWaterMark?: number } | undefined {
  return typeof options === "object" && options !== null
    ? (options as { highWaterMark?: number })
    : undefined;
}

/**
 * A connection of amqplib's callback API (`amqplib/callback_api`'s `CallbackModel`) over the
 * promise facade's {@link ChannelModel}: the same connection, with Node-style callbacks. It
 * emits what the promise connection emits (`'error'`, `'close'`, `'blocked'`, `'unblocked'`,
 * `'update-secret-ok'`, `'handler-error'`).
 *
 * `createChannel(cb)` returns the channel at once and calls `cb(null, channel)` when it is open,
 * as amqplib does; on a closed connection it throws `IllegalOperationError`.
 *
 * @example
 * ```ts
 * import amqp from "brokerlab/amqplib/callback_api";
 *
 * amqp.connect("amqp://localhost", (err, connection) => {
 *   if (err) throw err;
 *   connection.createChannel((err, channel) => {
 *     if (err) throw err;
 *     channel.assertQueue("hello", { durable: false });
 *     channel.sendToQueue("hello", Buffer.from("Hello World!"));
 *     channel.close(() => connection.close());
 *   });
 * });
 * ```
 */
export class CallbackModel extends DelegatingEmitter {
  /** The promise-API connection it adapts. */
  readonly channelModel: ChannelModel;

  /** @internal Created by the callback API's `connect`. */
  constructor(channelModel: ChannelModel) {
    super(channelModel);
    this.channelModel = channelModel;
  }

  /** amqplib's underlying-connection object; here only its `serverProperties`. */
  get connection(): ChannelModel["connection"] {
    return this.channelModel.connection;
  }

  /** The simulation the broker lives in. */
  get simulation(): Simulation {
    return this.channelModel.simulation;
  }

  /** The simulated broker (one virtual host). */
  get broker(): ChannelModel["broker"] {
    return this.channelModel.broker;
  }

  /** brokerlab's native connection. */
  get native(): ChannelModel["native"] {
    return this.channelModel.native;
  }

  /** True once closed. */
  get closed(): boolean {
    return this.channelModel.closed;
  }

  /**
   * Opens a channel: returned at once, `cb(null, channel)` once open. `options` as the promise
   * API's (`highWaterMark`).
   *
   * @example
   * ```ts
   * connection.createChannel((err, channel) => channel.assertQueue("tasks"));
   * ```
   */
  createChannel(cb?: ChannelCallback<CallbackChannel>): CallbackChannel;
  createChannel(options: unknown, cb?: ChannelCallback<CallbackChannel>): CallbackChannel;
  createChannel(options?: unknown, cb?: ChannelCallback<CallbackChannel>): CallbackChannel {
    if (cb === undefined && typeof options === "function") cb = options as ChannelCallback<CallbackChannel>;
    checkCallback(cb, "createChannel");
    const channel = new CallbackChannel(this, this.channelModel.openChannel(false, channelOptions(options)));
    this.opened(channel, cb);
    return channel;
  }

  /**
   * Opens a channel in confirm mode: returned at once, `cb(null, channel)` once open.
   *
   * @example
   * ```ts
   * connection.createConfirmChannel((err, channel) => channel.publish("x", "k", body, {}, done));
   * ```
   */
  createConfirmChannel(cb?: ChannelCallback<CallbackConfirmChannel>): CallbackConfirmChannel;
  createConfirmChannel(
    options: unknown,
    cb?: ChannelCallback<CallbackConfirmChannel>,
  ): CallbackConfirmChannel;
  createConfirmChannel(
    options?: unknown,
    cb?: ChannelCallback<CallbackConfirmChannel>,
  ): CallbackConfirmChannel {
    if (cb === undefined && typeof options === "function")
      cb = options as ChannelCallback<CallbackConfirmChannel>;
    checkCallback(cb, "createConfirmChannel");
    const channel = new CallbackConfirmChannel(
      this,
      this.channelModel.openChannel(true, channelOptions(options)),
    );
    this.opened(channel, cb);
    return channel;
  }

  /**
   * Closes the connection; `cb(null)` once closed. Throws `IllegalOperationError` when already
   * closed or closing, as amqplib does.
   *
   * @example
   * ```ts
   * connection.close(() => process.exit(0));
   * ```
   */
  close(cb?: (err: CallbackError) => void): void {
    checkCallback(cb, "close");
    this.channelModel.assertOpen();
    replyDone(this.channelModel.close(), cb);
  }

  /**
   * amqplib's `updateSecret`: `cb()` once the broker answered (after `'update-secret-ok'`). The
   * callback is required, as amqplib (which registers it as an event listener) requires it.
   *
   * @example
   * ```ts
   * connection.updateSecret(Buffer.from(token), "refresh", () => console.log("refreshed"));
   * ```
   */
  updateSecret(newSecret: Uint8Array, reason: string, cb: () => void): void {
    this.channelModel.assertOpen();
    checkUpdateSecret(newSecret, reason);
    checkCallback(cb, "updateSecret", true);
    this.channelModel.updateSecret(newSecret, reason).then(
      () => cb(),
      () => undefined, // amqplib calls back only on the reply; a closed connection never gives one
    );
  }

  /** Calls back once the channel is open: after the current event, as the open-ok would come. */
  private opened<C>(channel: C, cb: ChannelCallback<C> | undefined): void {
    if (typeof cb !== "function") return;
    const open = this.simulation.deferred<undefined>();
    open.promise.then(() => cb(null, channel));
    open.resolve(undefined);
  }
}
