import type { Channel } from "../channel.js";
import type { ConfirmChannel } from "../confirm-channel.js";
import type { ConsumeMessage, GetMessage, Message, Options, Replies } from "../types.js";
import type { CallbackModel } from "./callback-model.js";
import {
  type CallbackError,
  checkCallback,
  checkNotCallback,
  DelegatingEmitter,
  type NodeCallback,
  reply,
  replyDone,
} from "./delegating-emitter.js";

/**
 * A channel of amqplib's callback API (`amqplib/callback_api`'s `Channel`) over the promise
 * facade's {@link Channel}: the same broker model, the same events, the same errors, with
 * Node-style callbacks. Operations with a reply take an optional last callback `(err, ok)` and
 * return the channel; `publish`/`sendToQueue` return `true`; `ack`, `nack`, … return the channel.
 *
 * As in amqplib's callback API, a call on a closed channel throws `IllegalOperationError` at once
 * (it does not call back), and so does a malformed argument (a coded `BrokerlabError`); a broker
 * refusal calls back with the error (`Operation failed: QueueDeclare; 404 (NOT-FOUND) …`) and
 * the channel emits `'error'` and `'close'`. Callbacks run in a microtask after the event that
 * settles them, so the failing call's callback comes after the channel's `'error'`/`'close'`
 * (amqplib calls it just before).
 *
 * @example
 * ```ts
 * connection.createChannel((err, channel) => {
 *   if (err) throw err;
 *   channel.assertQueue("tasks", { durable: true }, (err, ok) => {
 *     if (err) throw err;
 *     channel.sendToQueue(ok.queue, Buffer.from("resize:42"), { persistent: true });
 *   });
 * });
 * ```
 */
export class CallbackChannel extends DelegatingEmitter {
  /** The connection this channel belongs to. */
  readonly model: CallbackModel;
  /** The promise-API channel it adapts (same channel, promise-returning methods). */
  readonly promiseChannel: Channel;

  /** @internal Created by {@link CallbackModel.createChannel}. */
  constructor(model: CallbackModel, channel: Channel) {
    super(channel);
    this.model = model;
    this.promiseChannel = channel;
  }

  /** The channel number on its connection (amqplib's `ch`). */
  get ch(): number {
    return this.promiseChannel.ch;
  }

  /** amqplib's `channel.connection`: `serverProperties` and a callback-style `close(cb)`. */
  get connection(): Channel["connection"] {
    return this.promiseChannel.connection;
  }

  /**
   * amqplib's list of publishes awaiting a confirm (one entry per unconfirmed publish; empty on a
   * channel without confirms, and emptied when the channel closes). Shared with the promise channel.
   */
  get unconfirmed(): readonly unknown[] {
    return (this.promiseChannel as unknown as { unconfirmed: readonly unknown[] }).unconfirmed;
  }

  /** brokerlab's native channel, for inspection in tests. */
  get native(): Channel["native"] {
    return this.promiseChannel.native;
  }

  /** True once the channel has closed. */
  get closed(): boolean {
    return this.promiseChannel.closed;
  }

  /**
   * Runs a promise-API operation for the callback API: what the promise API would reject with at
   * the call (a closed channel, a malformed argument) is thrown here, as amqplib's callback API
   * throws it; anything later reaches `cb`.
   */
  protected call<T>(cb: unknown, where: string, run: (channel: Channel) => Promise<T>): this {
    checkCallback(cb, where);
    const channel = this.promiseChannel;
    channel.assertWritable();
    channel.syncError = undefined;
    const promise = run(channel);
    const error = channel.syncError;
    if (error !== undefined) {
      channel.syncError = undefined;
      promise.catch(() => undefined);
      throw error;
    }
    reply(promise, cb as NodeCallback<T>);
    return this;
  }

  /**
   * Declares a queue; `cb(err, { queue, messageCount, consumerCount })`.
   *
   * @example
   * ```ts
   * channel.assertQueue("", { exclusive: true }, (err, ok) => console.log(ok.queue));
   * ```
   */
  assertQueue(queue?: string, options?: Options.AssertQueue, cb?: NodeCallback<Replies.AssertQueue>): this {
    checkNotCallback(options, "assertQueue", "options");
    return this.call(cb, "assertQueue", (ch) => ch.assertQueue(queue as string, options));
  }

  /**
   * Checks a queue exists; a missing one calls back with the 404 and closes the channel.
   *
   * @example
   * ```ts
   * channel.checkQueue("jobs", (err, ok) => console.log(err ? err.code : ok.messageCount));
   * ```
   */
  checkQueue(queue: string, cb?: NodeCallback<Replies.AssertQueue>): this {
    return this.call(cb, "checkQueue", (ch) => ch.checkQueue(queue));
  }

  /**
   * Deletes a queue; `cb(err, { messageCount })`.
   *
   * @example
   * ```ts
   * channel.deleteQueue("jobs", { ifEmpty: true }, (err) => err && console.error(err));
   * ```
   */
  deleteQueue(queue: string, options?: Options.DeleteQueue, cb?: NodeCallback<Replies.DeleteQueue>): this {
    checkNotCallback(options, "deleteQueue", "options");
    return this.call(cb, "deleteQueue", (ch) => ch.deleteQueue(queue, options));
  }

  /**
   * Removes a queue's ready messages; `cb(err, { messageCount })`.
   *
   * @example
   * ```ts
   * channel.purgeQueue("jobs", (err, ok) => console.log(ok.messageCount));
   * ```
   */
  purgeQueue(queue: string, cb?: NodeCallback<Replies.PurgeQueue>): this {
    return this.call(cb, "purgeQueue", (ch) => ch.purgeQueue(queue));
  }

  /**
   * Binds a queue to an exchange.
   *
   * @example
   * ```ts
   * channel.bindQueue("eu-orders", "orders", "eu.#", {}, (err) => err && console.error(err));
   * ```
   */
  bindQueue(
    queue: string,
    source: string,
    pattern: string,
    args?: unknown,
    cb?: NodeCallback<Replies.Empty>,
  ): this {
    checkNotCallback(args, "bindQueue", "args");
    return this.call(cb, "bindQueue", (ch) => ch.bindQueue(queue, source, pattern, args));
  }

  /**
   * Removes a queue binding.
   *
   * @example
   * ```ts
   * channel.unbindQueue("eu-orders", "orders", "eu.#", {}, done);
   * ```
   */
  unbindQueue(
    queue: string,
    source: string,
    pattern: string,
    args?: unknown,
    cb?: NodeCallback<Replies.Empty>,
  ): this {
    checkNotCallback(args, "unbindQueue", "args");
    return this.call(cb, "unbindQueue", (ch) => ch.unbindQueue(queue, source, pattern, args));
  }

  /**
   * Declares an exchange; `cb(err, { exchange })`.
   *
   * @example
   * ```ts
   * channel.assertExchange("logs", "fanout", { durable: false }, (err, ok) => console.log(ok.exchange));
   * ```
   */
  assertExchange(
    exchange: string,
    type?: string,
    options?: Options.AssertExchange,
    cb?: NodeCallback<Replies.AssertExchange>,
  ): this {
    checkNotCallback(type, "assertExchange", "type");
    checkNotCallback(options, "assertExchange", "options");
    return this.call(cb, "assertExchange", (ch) => ch.assertExchange(exchange, type, options));
  }

  /**
   * Checks an exchange exists (a 404 closes the channel).
   *
   * @example
   * ```ts
   * channel.checkExchange("logs", (err) => console.log(err ? "missing" : "there"));
   * ```
   */
  checkExchange(exchange: string, cb?: NodeCallback<Replies.Empty>): this {
    return this.call(cb, "checkExchange", (ch) => ch.checkExchange(exchange));
  }

  /**
   * Deletes an exchange.
   *
   * @example
   * ```ts
   * channel.deleteExchange("logs", { ifUnused: true }, done);
   * ```
   */
  deleteExchange(exchange: string, options?: Options.DeleteExchange, cb?: NodeCallback<Replies.Empty>): this {
    checkNotCallback(options, "deleteExchange", "options");
    return this.call(cb, "deleteExchange", (ch) => ch.deleteExchange(exchange, options));
  }

  /**
   * Binds exchange `destination` to `source`.
   *
   * @example
   * ```ts
   * channel.bindExchange("audit", "orders", "#", {}, done);
   * ```
   */
  bindExchange(
    destination: string,
    source: string,
    pattern: string,
    args?: unknown,
    cb?: NodeCallback<Replies.Empty>,
  ): this {
    checkNotCallback(args, "bindExchange", "args");
    return this.call(cb, "bindExchange", (ch) => ch.bindExchange(destination, source, pattern, args));
  }

  /**
   * Removes an exchange-to-exchange binding.
   *
   * @example
   * ```ts
   * channel.unbindExchange("audit", "orders", "#", {}, done);
   * ```
   */
  unbindExchange(
    destination: string,
    source: string,
    pattern: string,
    args?: unknown,
    cb?: NodeCallback<Replies.Empty>,
  ): this {
    checkNotCallback(args, "unbindExchange", "args");
    return this.call(cb, "unbindExchange", (ch) => ch.unbindExchange(destination, source, pattern, args));
  }

  /**
   * Publishes; returns true (nothing is buffered). Throws on a closed channel.
   *
   * @example
   * ```ts
   * channel.publish("logs", "", Buffer.from("hello"));
   * ```
   */
  publish(exchange: string, routingKey: string, content: Uint8Array, options?: Options.Publish): boolean {
    return this.promiseChannel.publish(exchange, routingKey, content, options);
  }

  /**
   * Publishes to the default exchange (the queue named `queue`).
   *
   * @example
   * ```ts
   * channel.sendToQueue("tasks", Buffer.from("hello"), { persistent: true });
   * ```
   */
  sendToQueue(queue: string, content: Uint8Array, options?: Options.Publish): boolean {
    return this.publish("", queue, content, options);
  }

  /**
   * Starts a consumer; `cb(err, { consumerTag })`. `onMessage` gets each delivery (`null` when
   * the broker cancels the consumer).
   *
   * @example
   * ```ts
   * channel.consume("tasks", (msg) => { if (msg) channel.ack(msg); }, { noAck: false }, (err, ok) => console.log(ok.consumerTag));
   * ```
   */
  consume(
    queue: string,
    onMessage: (msg: ConsumeMessage | null) => unknown,
    options?: Options.Consume,
    cb?: NodeCallback<Replies.Consume>,
  ): this {
    checkNotCallback(options, "consume", "options");
    return this.call(cb, "consume", (ch) => ch.consume(queue, onMessage, options));
  }

  /**
   * Cancels a consumer; `cb(err, { consumerTag })`.
   *
   * @example
   * ```ts
   * channel.cancel(consumerTag, (err, ok) => console.log("cancelled", ok.consumerTag));
   * ```
   */
  cancel(consumerTag: string, cb?: NodeCallback<Replies.Cancel>): this {
    return this.call(cb, "cancel", (ch) => ch.cancel(consumerTag));
  }

  /**
   * Takes one message; `cb(err, msg | false)`. A missing queue calls back with the 404 error
   * (amqplib ≥ 1.0.6) and closes the channel.
   *
   * @example
   * ```ts
   * channel.get("tasks", { noAck: false }, (err, msg) => { if (msg) channel.ack(msg); });
   * ```
   */
  get(queue: string, options?: Options.Get, cb?: NodeCallback<GetMessage | false>): this {
    checkNotCallback(options, "get", "options");
    return this.call(cb, "get", (ch) => ch.get(queue, options));
  }

  /**
   * Acknowledges a message (with `allUpTo`, all up to it).
   *
   * @example
   * ```ts
   * channel.ack(msg);
   * ```
   */
  ack(message: Message, allUpTo?: boolean): this {
    this.promiseChannel.ack(message, allUpTo);
    return this;
  }

  /**
   * Acknowledges every unacked message.
   *
   * @example
   * ```ts
   * channel.ackAll();
   * ```
   */
  ackAll(): this {
    this.promiseChannel.ackAll();
    return this;
  }

  /**
   * Rejects a message (requeue by default).
   *
   * @example
   * ```ts
   * channel.nack(msg, false, false);
   * ```
   */
  nack(message: Message, allUpTo?: boolean, requeue?: boolean): this {
    this.promiseChannel.nack(message, allUpTo, requeue);
    return this;
  }

  /**
   * Rejects every unacked message.
   *
   * @example
   * ```ts
   * channel.nackAll(true);
   * ```
   */
  nackAll(requeue?: boolean): this {
    this.promiseChannel.nackAll(requeue);
    return this;
  }

  /**
   * Rejects one message.
   *
   * @example
   * ```ts
   * channel.reject(msg, false);
   * ```
   */
  reject(message: Message, requeue?: boolean): this {
    this.promiseChannel.reject(message, requeue);
    return this;
  }

  /**
   * `basic.qos`: per consumer, or per channel with `global`.
   *
   * @example
   * ```ts
   * channel.prefetch(1, false, (err) => err && console.error(err));
   * ```
   */
  prefetch(count: number, global?: boolean, cb?: NodeCallback<Replies.Empty>): this {
    checkNotCallback(global, "prefetch", "global");
    return this.call(cb, "prefetch", (ch) => ch.prefetch(count, global));
  }

  /**
   * Same as {@link prefetch}. amqplib's callback channel has no `qos`; this one has it for code
   * shared with the promise API.
   *
   * @example
   * ```ts
   * channel.qos(5);
   * ```
   */
  qos(count: number, global?: boolean, cb?: NodeCallback<Replies.Empty>): this {
    return this.prefetch(count, global, cb);
  }

  /**
   * `basic.recover`: unacked messages go back, redelivered.
   *
   * @example
   * ```ts
   * channel.recover((err) => err && console.error(err));
   * ```
   */
  recover(cb?: NodeCallback<Replies.Empty>): this {
    return this.call(cb, "recover", (ch) => ch.recover());
  }

  /**
   * Closes the channel; `cb(null)` once closed. Throws `IllegalOperationError` when already closed.
   *
   * @example
   * ```ts
   * channel.close(() => connection.close());
   * ```
   */
  close(cb?: (err: CallbackError) => void): void {
    checkCallback(cb, "close");
    const channel = this.promiseChannel;
    channel.assertWritable();
    replyDone(channel.close(), cb);
  }
}

/**
 * A confirm channel of amqplib's callback API: `publish`/`sendToQueue` take a last callback
 * `(err)` called when the broker acks (`null`) or nacks (`Error("message nacked")`) the message;
 * `waitForConfirms(cb)` calls `cb()` once all publishes so far are acked, `cb(err)` otherwise.
 *
 * @example
 * ```ts
 * connection.createConfirmChannel((err, channel) => {
 *   channel.sendToQueue("jobs", Buffer.from("a"), {}, (err) => console.log(err ? "nacked" : "acked"));
 *   channel.waitForConfirms((err) => console.log("all confirmed", !err));
 * });
 * ```
 */
export class CallbackConfirmChannel extends CallbackChannel {
  /** The promise-API confirm channel it adapts. */
  declare readonly promiseChannel: ConfirmChannel;

  /**
   * Publishes with a confirm callback.
   *
   * @example
   * ```ts
   * channel.publish("orders", "eu", body, { persistent: true }, (err) => done(err));
   * ```
   */
  override publish(
    exchange: string,
    routingKey: string,
    content: Uint8Array,
    options?: Options.Publish,
    cb?: (err: CallbackError, ok: Replies.Empty) => void,
  ): boolean {
    checkNotCallback(options, "publish", "options");
    checkCallback(cb, "publish");
    return this.promiseChannel.publish(exchange, routingKey, content, options, cb ?? undefined);
  }

  /**
   * Publishes to the default exchange with a confirm callback.
   *
   * @example
   * ```ts
   * channel.sendToQueue("jobs", Buffer.from("x"), {}, (err) => err && retry());
   * ```
   */
  override sendToQueue(
    queue: string,
    content: Uint8Array,
    options?: Options.Publish,
    cb?: (err: CallbackError, ok: Replies.Empty) => void,
  ): boolean {
    return this.publish("", queue, content, options, cb);
  }

  /**
   * Calls `cb()` once every publish so far is acked, `cb(err)` on a nack or a close. The
   * callback is required (as in amqplib, which fails without one).
   *
   * @example
   * ```ts
   * channel.waitForConfirms((err) => { if (err) console.error("lost", err); });
   * ```
   */
  waitForConfirms(cb: (err?: Error) => void): void {
    checkCallback(cb, "waitForConfirms", true);
    this.promiseChannel.waitForConfirms().then(
      () => cb(),
      (err: Error) => cb(err),
    );
  }
}
