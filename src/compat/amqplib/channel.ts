import { AmqpError } from "../../exchange/amqp-error.js";
import type { AmqpChannel, ReturnedMessage } from "../../exchange/channel.js";
import type { ConfirmFrame } from "../../exchange/confirms.js";
import type { CancelNotice } from "../../queue/consumer.js";
import type { Delivery } from "../../queue/delivery.js";
import { InvalidArgumentError } from "../../scheduler/errors.js";
import {
  assertExchangeArgs,
  assertQueueArgs,
  bindingArgs,
  consumeArgs,
  contentBytes,
  numberField,
  publishArgs,
  shortString,
} from "./args.js";
import type { ChannelModel } from "./connection.js";
import { AmqplibEmitter } from "./emitter.js";
import {
  type AmqpMethod,
  channelClosedByServer,
  channelClosedForConfirm,
  channelEnded,
  closeFields,
  consumerCrashError,
  IllegalOperationError,
  isBrokerError,
  messageNacked,
  operationFailed,
} from "./errors.js";
import { toConsumeMessage, toGetMessage, toReturnMessage } from "./message.js";
import * as history from "./recording.js";
import type { ConsumeMessage, GetMessage, Message, Options, Replies } from "./types.js";
import {
  ChannelWriteBuffer,
  clientLink,
  DEFAULT_WRITE_HWM,
  publishChunks,
  publishFrameBytes,
} from "./write-buffer.js";

/**
 * A confirm callback: `null` when the broker acked the publish, an `Error` when it nacked it or
 * the channel closed first.
 *
 * @example
 * ```ts
 * const callback: ConfirmCallback = (err) => console.log(err ? "not stored" : "stored");
 * ```
 */
// biome-ignore lint/suspicious/noExplicitAny: as amqplib declares it (`err: any`): null on an ack, an Error on a nack.
export type ConfirmCallback = (err: any, ok: Replies.Empty) => void;

/** @internal A confirm callback as the channel calls it: `(null)` on an ack, `(error)` otherwise. */
export type PendingConfirm = (err: Error | null) => void;

/** An operation waiting for a reply that only the channel's close will bring. */
interface Outstanding {
  method: AmqpMethod;
  reject: (error: unknown) => void;
}

function checkMessage(message: unknown, where: string): { fields?: { deliveryTag?: unknown } } {
  const fields = (message as Message | null)?.fields;
  if (message === null || typeof message !== "object" || fields === null || typeof fields !== "object") {
    throw new InvalidArgumentError(
      `${where}: expected a message as delivered ({ fields: { deliveryTag } }), got ${message === null ? "null" : typeof message}.`,
      "INVALID_MESSAGE",
    );
  }
  return message as { fields?: { deliveryTag?: unknown } };
}

/**
 * An amqplib-shaped channel (amqplib's promise API `Channel`) over a native {@link AmqpChannel}.
 * Code written against amqplib runs unchanged; what it observes is what RabbitMQ 3.10 would show:
 *
 * - **Operations that await a reply** (`assertQueue`, `bindQueue`, `consume`, `get`, `prefetch`,
 *   …) run on the broker at the call and resolve at once with amqplib's reply shape. One the
 *   broker refuses closes the channel, and is rejected when the client learns of the close: the
 *   channel emits `'error'` (`Channel closed by server: 404 (NOT-FOUND) with message "…"`, numeric
 *   `code`), then `'close'`, then the operation rejects (`Operation failed: QueueDeclare; …`), in
 *   amqplib's order, as a simulation event. When nothing drives the simulation (manual mode) the
 *   operation rejects at once instead, and the events follow when the test drives it.
 * - **Operations that send without a reply** (`publish`, `sendToQueue`, `ack`, `nack`, `reject`)
 *   never throw for broker refusals: `publish` returns true, and the channel closes as above.
 * - **Server notifications** (deliveries, returns, confirms, cancels, closes) arrive as simulation
 *   events, in the order RabbitMQ sends them on the channel.
 * - **After a close**, every call fails with amqplib's `IllegalOperationError("Channel closed")`:
 *   thrown by `publish`/`ack`-style calls, rejected by the others.
 * - A channel with no `'error'` listener takes its connection down on a server error, as amqplib
 *   does (the connection emits `'error'`, then every channel and the connection emit `'close'`).
 * - A consumer callback that throws closes the channel with 541 INTERNAL_ERROR (its unacked
 *   messages are requeued); the thrown error is emitted as `'error'` with `code` 541. A callback
 *   returning a promise is awaited by the simulation before virtual time moves; a rejected one is
 *   handled as a throw, and never fails the simulation (an error nobody hears on the channel or
 *   the connection is carried by the connection's `'close'`).
 *
 * - **Flow control** as amqplib's socket gives it: `publish` returns false once the channel's write
 *   buffer holds 2·highWaterMark − 1 chunks (the 2047th publish of a synchronous loop), and
 *   `'drain'` follows when the simulated network has carried it down to highWaterMark (see
 *   `write-buffer.ts`; the link's speed is `connection.native.clientBytesPerMs`). The broker
 *   routes each publish at the call all the same: the buffer models the signal, not a delay.
 * - **After `close()`** the client ignores every frame but the close-ok, as amqplib does: no
 *   confirm, return or delivery arrives; pending confirm callbacks fail with "channel closed".
 *
 * Not modelled (refused with an error): priority queues. Direct Reply-to works as on RabbitMQ.
 *
 * @example
 * ```ts
 * const channel = await connection.createChannel();
 * await channel.assertQueue("jobs");
 * channel.sendToQueue("jobs", Buffer.from("resize:42"), { persistent: true });
 * await channel.consume("jobs", (msg) => {
 *   if (msg === null) return; // the queue was deleted
 *   console.log(msg.content.toString());
 *   channel.ack(msg);
 * });
 * ```
 */
export class Channel extends AmqplibEmitter {
  /** The channel number on its connection (amqplib's `ch`). */
  readonly ch: number;
  /** The amqplib-shaped connection this channel belongs to. */
  readonly model: ChannelModel;
  /** The underlying connection details (amqplib's `channel.connection`). */
  readonly connection: ChannelModel["connection"];
  /** The native channel: brokerlab's own API, for inspection in tests. */
  readonly native: AmqpChannel;

  /** @internal Confirm callbacks by publish sequence number from {@link lwm} (amqplib's window). */
  protected unconfirmed: Array<PendingConfirm | false | null> = [];
  /** @internal The lowest unconfirmed sequence number. */
  protected lwm = 1;
  /** @internal True once the channel closed with publishes unconfirmed (amqplib 2.3's flag). */
  protected closedWithUnconfirmed = false;

  private state: "open" | "closing" | "closed" = "open";
  private clientClosing = false;
  private crashError: Error | null = null;
  /** The crash came from a rejected consumer promise: its error never fails the simulation. */
  private crashQuiet = false;
  /** The call whose refusal made the broker close the channel (the close frame names it). */
  private failure: AmqpMethod | null = null;
  private readonly outstanding: Outstanding[] = [];
  /** RabbitMQ's "most recently declared queue", which an empty queue name stands for. */
  private lastQueue = "";
  private readonly consumers = new Map<string, (msg: ConsumeMessage | null) => unknown>();
  /** True once an operation was answered with the server's close (only the first one is). */
  private closeAnswered = false;
  /** `close()` calls waiting for the close to complete. */
  private readonly closeWaiters: Array<() => void> = [];
  /** @internal An operation's malformed-argument error, for the callback API to throw at the call. */
  syncError: unknown = undefined;

  /** amqplib's write buffer for this channel (created by the first publish). */
  private writes: ChannelWriteBuffer | null = null;
  private readonly highWaterMark: number;

  /** @internal Created by {@link ChannelModel.createChannel}. */
  constructor(model: ChannelModel, native: AmqpChannel, highWaterMark?: number) {
    super();
    this.highWaterMark =
      typeof highWaterMark === "number" && highWaterMark > 0 ? highWaterMark : DEFAULT_WRITE_HWM;
    this.model = model;
    this.connection = model.connection;
    this.native = native;
    this.ch = native.number;
    native.on("return", (returned) => this.onReturn(returned));
    if (native.confirmMode) native.on("confirm", (frame) => this.onConfirm(frame));
    native.on("close", (cause) => this.onNativeClose(cause));
  }

  /** True once the channel has closed (as the client sees it). */
  get closed(): boolean {
    return this.state === "closed";
  }

  /**
   * brokerlab only: the channel's write buffer, as amqplib's would hold it: the chunks (one per
   * small publish) and bytes written but not yet carried to the broker by the simulated network,
   * and the most chunks it ever held. `publish` returns false once it holds 2·highWaterMark − 1
   * chunks (2047 by default); `'drain'` comes when it is back to highWaterMark or fewer.
   *
   * @example
   * ```ts
   * if (!channel.publish("", "jobs", body)) console.log(channel.outbound.chunks); // 2047
   * ```
   */
  get outbound(): { chunks: number; bytes: number; peakChunks: number; highWaterMark: number } {
    const writes = this.writes;
    return {
      chunks: writes?.chunks ?? 0,
      bytes: writes?.bytes ?? 0,
      peakChunks: writes?.peakChunks ?? 0,
      highWaterMark: this.highWaterMark,
    };
  }

  // ------------------------------------------------------------------------- queues

  /**
   * Declares a queue (amqplib's defaults: durable). `""` makes a server-named `amq.gen-…` queue.
   * Named options become `x-` arguments (`messageTtl` → `x-message-ttl`, …) and override
   * `arguments`. A priority queue (`maxPriority`) is refused: the model has none.
   *
   * @example
   * ```ts
   * const { queue } = await channel.assertQueue("", { exclusive: true });
   * await channel.assertQueue("work", { deadLetterExchange: "retry", messageTtl: 60_000 });
   * ```
   */
  assertQueue(queue: string, options?: Options.AssertQueue): Promise<Replies.AssertQueue> {
    return this.rpc("QueueDeclare", () => {
      const args = assertQueueArgs(queue, options);
      const declared = this.native.queue(args.queue, {
        durable: args.durable,
        exclusive: args.exclusive,
        autoDelete: args.autoDelete,
        arguments: args.arguments,
      });
      this.lastQueue = declared.name;
      return { queue: declared.name, messageCount: declared.ready, consumerCount: declared.consumerCount };
    });
  }

  /**
   * Checks that a queue exists (a 404 closes the channel); resolves to its ready-message and
   * consumer counts.
   *
   * @example
   * ```ts
   * const { messageCount } = await channel.checkQueue("jobs");
   * ```
   */
  checkQueue(queue: string): Promise<Replies.AssertQueue> {
    return this.rpc("QueueDeclare", () => {
      const found = this.native.checkQueue(shortString(queue, "queue", ""));
      this.lastQueue = found.name;
      return { queue: found.name, messageCount: found.ready, consumerCount: found.consumerCount };
    });
  }

  /**
   * Deletes a queue; resolves to how many ready messages it held. Its consumers get `null`.
   *
   * @example
   * ```ts
   * await channel.deleteQueue("jobs", { ifEmpty: true });
   * ```
   */
  deleteQueue(queue: string, options?: Options.DeleteQueue): Promise<Replies.DeleteQueue> {
    return this.rpc("QueueDelete", () => {
      const name = this.expandQueue(shortString(queue, "queue", ""));
      const messageCount = this.native.deleteQueue(name, {
        ifUnused: !!options?.ifUnused,
        ifEmpty: !!options?.ifEmpty,
      });
      return { messageCount };
    });
  }

  /**
   * Removes a queue's ready messages; resolves to how many.
   *
   * @example
   * ```ts
   * const { messageCount } = await channel.purgeQueue("jobs");
   * ```
   */
  purgeQueue(queue: string): Promise<Replies.PurgeQueue> {
    return this.rpc("QueuePurge", () => ({
      messageCount: this.native.purge(this.expandQueue(shortString(queue, "queue", ""))),
    }));
  }

  /**
   * Binds a queue to an exchange with a pattern (and, for headers exchanges, arguments).
   *
   * @example
   * ```ts
   * await channel.bindQueue("eu-orders", "orders", "eu.#");
   * await channel.bindQueue("pdfs", "docs", "", { "x-match": "all", format: "pdf" });
   * ```
   */
  bindQueue(queue: string, source: string, pattern: string, args?: unknown): Promise<Replies.Empty> {
    return this.rpc("QueueBind", () => {
      const [name, key] = this.bindingTarget(queue, pattern);
      this.native.bind(name, shortString(source, "exchange"), key, bindingArgs(args));
      return {};
    });
  }

  /**
   * Removes a queue binding (nothing if absent).
   *
   * @example
   * ```ts
   * await channel.unbindQueue("eu-orders", "orders", "eu.#");
   * ```
   */
  unbindQueue(queue: string, source: string, pattern: string, args?: unknown): Promise<Replies.Empty> {
    return this.rpc("QueueUnbind", () => {
      const [name, key] = this.bindingTarget(queue, pattern);
      this.native.unbind(name, shortString(source, "exchange"), key, bindingArgs(args));
      return {};
    });
  }

  // ------------------------------------------------------------------------- exchanges

  /**
   * Declares an exchange (amqplib's defaults: durable; type `direct` when omitted); resolves to
   * `{ exchange }`. An unknown type is a connection error (503), as on RabbitMQ.
   *
   * @example
   * ```ts
   * await channel.assertExchange("orders", "topic", { alternateExchange: "unrouted" });
   * ```
   */
  assertExchange(
    exchange: string,
    type?: string,
    options?: Options.AssertExchange,
  ): Promise<Replies.AssertExchange> {
    return this.rpc("ExchangeDeclare", () => {
      const args = assertExchangeArgs(exchange, type, options);
      this.native.exchange(args.exchange, args.type, {
        durable: args.durable,
        autoDelete: args.autoDelete,
        internal: args.internal,
        arguments: args.arguments,
      });
      return { exchange: args.exchange };
    });
  }

  /**
   * Checks that an exchange exists (a 404 closes the channel).
   *
   * @example
   * ```ts
   * await channel.checkExchange("orders");
   * ```
   */
  checkExchange(exchange: string): Promise<Replies.Empty> {
    return this.rpc("ExchangeDeclare", () => {
      this.native.checkExchange(shortString(exchange, "exchange"));
      return {};
    });
  }

  /**
   * Deletes an exchange and its bindings.
   *
   * @example
   * ```ts
   * await channel.deleteExchange("orders", { ifUnused: true });
   * ```
   */
  deleteExchange(exchange: string, options?: Options.DeleteExchange): Promise<Replies.Empty> {
    return this.rpc("ExchangeDelete", () => {
      this.native.deleteExchange(shortString(exchange, "exchange"), { ifUnused: !!options?.ifUnused });
      return {};
    });
  }

  /**
   * Binds exchange `destination` to `source`: messages flow source → destination.
   *
   * @example
   * ```ts
   * await channel.bindExchange("audit", "orders", "#");
   * ```
   */
  bindExchange(destination: string, source: string, pattern: string, args?: unknown): Promise<Replies.Empty> {
    return this.rpc("ExchangeBind", () => {
      this.native.bindExchange(
        shortString(destination, "destination"),
        shortString(source, "source"),
        shortString(pattern, "routingKey", ""),
        bindingArgs(args),
      );
      return {};
    });
  }

  /**
   * Removes an exchange-to-exchange binding.
   *
   * @example
   * ```ts
   * await channel.unbindExchange("audit", "orders", "#");
   * ```
   */
  unbindExchange(
    destination: string,
    source: string,
    pattern: string,
    args?: unknown,
  ): Promise<Replies.Empty> {
    return this.rpc("ExchangeUnbind", () => {
      this.native.unbindExchange(
        shortString(destination, "destination"),
        shortString(source, "source"),
        shortString(pattern, "routingKey", ""),
        bindingArgs(args),
      );
      return {};
    });
  }

  // ------------------------------------------------------------------------- publishing

  /**
   * Publishes `content` (a `Buffer`) to `exchange` with `routingKey`. Returns false when the
   * channel's write buffer is full (amqplib's backpressure: wait for `'drain'` before publishing
   * more), true otherwise. Broker refusals (a missing exchange, a bad
   * `expiration`) close the channel afterwards instead of throwing; malformed arguments throw.
   *
   * @example
   * ```ts
   * channel.publish("orders", "eu.created", Buffer.from(JSON.stringify(order)), {
   *   contentType: "application/json",
   *   persistent: true,
   *   mandatory: true,
   * });
   * ```
   */
  publish(exchange: string, routingKey: string, content: Uint8Array, options?: Options.Publish): boolean {
    return this.send(exchange, routingKey, content, options, false, undefined);
  }

  /**
   * Publishes to the default exchange, which routes to the queue named `queue`.
   *
   * @example
   * ```ts
   * channel.sendToQueue("jobs", Buffer.from("hello"));
   * ```
   */
  sendToQueue(queue: string, content: Uint8Array, options?: Options.Publish): boolean {
    return this.publish("", queue, content, options);
  }

  /** @internal The publish both channel kinds share; confirm channels register `callback`. */
  protected send(
    exchange: unknown,
    routingKey: unknown,
    content: unknown,
    options: Options.Publish | undefined,
    confirm: boolean,
    callback: unknown,
  ): boolean {
    const name = shortString(exchange, "exchange", "");
    const key = shortString(routingKey, "routingKey", "");
    const body = contentBytes(content);
    const args = publishArgs(options);
    this.assertWritable();
    const sim = this.model.simulation;
    const rec = history.recording(sim);
    let id = "";
    if (rec) {
      // Every recorded message has an id; one the application did not give is assigned on a copy.
      const given = args.options.messageId;
      id = typeof given === "string" ? given : history.assignId(sim, this.model.native.name);
      if (typeof given !== "string") args.options = { ...args.options, messageId: id };
    }
    // amqplib keeps one slot per publish; a missing callback is `false` (its "no callback").
    if (confirm) this.unconfirmed.push(typeof callback === "function" ? (callback as PendingConfirm) : false);
    if (!this.native.closed) {
      try {
        this.native.publish(name, key, body, { ...args.options, mandatory: args.mandatory });
        if (rec) history.published(sim, this.model.native.name, id, name, key, "ok");
      } catch (error) {
        if (!isBrokerError(error)) throw error;
        if (rec) history.published(sim, this.model.native.name, id, name, key, "fail");
        this.failure ??= "BasicPublish";
      }
    } else if (rec) history.published(sim, this.model.native.name, id, name, key, "fail");
    return this.buffer(name, key, body.length, args.options as Record<string, unknown>);
  }

  /**
   * The publish's frames go into the write buffer; returns what amqplib's `publish` returns: false
   * once the buffer passes its high-water mark (then `'drain'` follows when it empties).
   */
  private buffer(
    exchange: string,
    routingKey: string,
    bodyLength: number,
    properties: Record<string, unknown>,
  ): boolean {
    let writes = this.writes;
    if (writes === null) {
      writes = this.writes = new ChannelWriteBuffer(this.highWaterMark, clientLink(this.model.native), () =>
        this.onDrain(),
      );
    }
    const sizes = publishFrameBytes(exchange, routingKey, bodyLength, properties);
    return writes.write(publishChunks(sizes, bodyLength), sizes.method + sizes.header + sizes.body);
  }

  private onDrain(): void {
    if (this.state !== "open") return;
    this.emit("drain");
    this.model.progress();
  }

  // ------------------------------------------------------------------------- consuming

  /**
   * Starts a consumer; resolves to `{ consumerTag }`. `onMessage` gets each delivery, and `null`
   * when the broker cancels the consumer (its queue was deleted). Deliveries are limited by the
   * channel's `prefetch` set before this call.
   *
   * @example
   * ```ts
   * await channel.prefetch(10);
   * const { consumerTag } = await channel.consume("jobs", async (msg) => {
   *   if (!msg) return;
   *   await handle(msg.content);
   *   channel.ack(msg);
   * });
   * ```
   */
  consume(
    queue: string,
    onMessage: (msg: ConsumeMessage | null) => unknown,
    options?: Options.Consume,
  ): Promise<Replies.Consume> {
    return this.rpc("BasicConsume", () => {
      const name = this.expandQueue(shortString(queue, "queue", ""));
      if (typeof onMessage !== "function") {
        throw new InvalidArgumentError(
          "consume: the message callback must be a function.",
          "INVALID_ARGUMENT",
        );
      }
      const args = consumeArgs(options);
      const consumer = this.native.consume(name, (delivery) => this.dispatch(delivery, onMessage), {
        noAck: args.noAck,
        exclusive: args.exclusive,
        consumerTag: args.consumerTag === "" ? undefined : args.consumerTag,
        arguments: args.arguments,
        onCancel: (notice) => this.onServerCancel(notice),
      });
      this.consumers.set(consumer.tag, onMessage);
      return { consumerTag: consumer.tag };
    });
  }

  /**
   * Cancels a consumer: no new deliveries; those already sent still reach the callback and stay
   * unacked until settled. Resolves to the server's reply `{ consumerTag }` (amqplib ≥ 2.2.1).
   *
   * @example
   * ```ts
   * await channel.cancel(consumerTag); // { consumerTag }
   * ```
   */
  cancel(consumerTag: string): Promise<Replies.Cancel> {
    return this.rpc("BasicCancel", () => {
      const tag = shortString(consumerTag, "consumerTag");
      this.native.cancel(tag);
      this.consumers.delete(tag);
      return { consumerTag: tag };
    });
  }

  /**
   * Takes the head message of a queue (`basic.get`); resolves to it, or to `false` when the
   * queue has none ready. `fields.messageCount` is what stays ready.
   *
   * It goes through the native channel's `getAsync`, so it inherits the request seam's
   * `basic.get` faults (see `src/exchange/network.ts`): a delayed request or reply resolves later;
   * a lost one stays pending until the channel closes, which rejects it as amqplib rejects a reply
   * that never comes (the close, or "Channel ended, no reply will be forthcoming"); a lost reply
   * leaves the message unacked on the channel, redelivered when the channel goes. Without a fault
   * hook the native get answers at once, as `getAsync` does then, without the promise plumbing.
   *
   * @example
   * ```ts
   * const msg = await channel.get("jobs");
   * if (msg) channel.ack(msg);
   * ```
   */
  get(queue: string, options?: Options.Get): Promise<GetMessage | false> {
    return this.rpc("BasicGet", () => {
      const name = this.expandQueue(shortString(queue, "queue", ""));
      const noAck = !!options?.noAck;
      if (this.native.broker.network.hook !== null) return this.getThroughNetwork(name, noAck);
      return this.gotten(this.native.get(name, { noAck }));
    });
  }

  /** A basic.get answer as the application receives it (recorded in the history). */
  private gotten(delivery: Delivery | null): GetMessage | false {
    if (delivery === null) return false;
    if (history.recording(this.model.simulation))
      history.delivered(this.model.simulation, this.model.native.name, delivery);
    return toGetMessage(delivery);
  }

  /**
   * `get` while a fault hook is installed: the native `getAsync`. The call waits for its reply as
   * an outstanding operation from the start, so a channel close answers it in amqplib's order
   * whenever it comes; a reply removes it. A refusal found at once (404, 405: the native channel
   * is closed already) is thrown for {@link rpc} to answer, as on the direct path.
   */
  private getThroughNetwork(name: string, noAck: boolean): Promise<GetMessage | false> {
    const native = this.native;
    const pending = native.getAsync(name, { noAck });
    if (native.closed) {
      pending.catch(() => {});
      throw native.closeError;
    }
    return new Promise<GetMessage | false>((resolve, reject) => {
      const waiting: Outstanding = { method: "BasicGet", reject };
      this.outstanding.push(waiting);
      const stillWaiting = (): boolean => {
        const i = this.outstanding.indexOf(waiting);
        if (i < 0) return false;
        this.outstanding.splice(i, 1);
        return true;
      };
      pending.then(
        (delivery) => {
          if (stillWaiting()) resolve(this.gotten(delivery));
        },
        (error: unknown) => {
          // A held request refused (404, 405) closed the channel; a lost reply ends with the channel.
          if (isBrokerError(error)) this.failure ??= "BasicGet";
          if (!this.settlesNow() || !stillWaiting()) return; // the close answers it
          reject(this.answerForClosed("BasicGet", native.closeError));
        },
      );
    });
  }

  // ------------------------------------------------------------------------- settling

  /**
   * Acknowledges a message (with `allUpTo`, every unacked one up to it). An unknown or already
   * acknowledged delivery tag closes the channel (406), as on RabbitMQ.
   *
   * @example
   * ```ts
   * channel.ack(msg);
   * channel.ack(latest, true); // and everything before it
   * ```
   */
  ack(message: Message, allUpTo?: boolean): void {
    const tag = numberField(checkMessage(message, "ack").fields?.deliveryTag, "deliveryTag", 0);
    const inProcess = this.model.simulation.currentProcess !== null;
    this.sendOnly("BasicAck", () => this.native.ack(tag, !!allUpTo));
    if (inProcess && this.settleKilled()) return;
    if (history.recording(this.model.simulation))
      history.settled(this.model.simulation, this.model.native.name, "ack", message, { multiple: !!allUpTo });
  }

  /**
   * Acknowledges every unacked message on the channel.
   *
   * @example
   * ```ts
   * channel.ackAll();
   * ```
   */
  ackAll(): void {
    this.sendOnly("BasicAck", () => this.native.ackAll());
  }

  /**
   * Rejects a message (with `allUpTo`, every unacked one up to it). `requeue` (default true) puts
   * it back in its original position, `redelivered`; otherwise it is dead-lettered or dropped.
   *
   * @example
   * ```ts
   * channel.nack(msg, false, false); // to the dead-letter exchange
   * ```
   */
  nack(message: Message, allUpTo?: boolean, requeue?: boolean): void {
    const tag = numberField(checkMessage(message, "nack").fields?.deliveryTag, "deliveryTag", 0);
    const inProcess = this.model.simulation.currentProcess !== null;
    this.sendOnly("BasicNack", () =>
      this.native.nack(tag, !!allUpTo, requeue === undefined ? true : !!requeue),
    );
    if (inProcess && this.settleKilled()) return;
    if (history.recording(this.model.simulation)) {
      history.settled(this.model.simulation, this.model.native.name, "nack", message, {
        multiple: !!allUpTo,
        requeue: requeue === undefined ? true : !!requeue,
      });
    }
  }

  /**
   * Rejects every unacked message on the channel (requeue by default).
   *
   * @example
   * ```ts
   * channel.nackAll(false);
   * ```
   */
  nackAll(requeue?: boolean): void {
    this.sendOnly("BasicNack", () => this.native.nackAll(requeue === undefined ? true : !!requeue));
  }

  /**
   * Rejects one message: requeue (default) or dead-letter/drop.
   *
   * @example
   * ```ts
   * channel.reject(msg, false);
   * ```
   */
  reject(message: Message, requeue?: boolean): void {
    const tag = numberField(checkMessage(message, "reject").fields?.deliveryTag, "deliveryTag");
    const inProcess = this.model.simulation.currentProcess !== null;
    this.sendOnly("BasicReject", () => this.native.reject(tag, requeue === undefined ? true : !!requeue));
    if (inProcess && this.settleKilled()) return;
    if (history.recording(this.model.simulation)) {
      history.settled(this.model.simulation, this.model.native.name, "nack", message, {
        reject: true,
        requeue: requeue === undefined ? true : !!requeue,
      });
    }
  }

  /**
   * `basic.qos`: at most `count` unacked deliveries per consumer started afterwards, or, with
   * `global`, over the whole channel (0: unlimited).
   *
   * @example
   * ```ts
   * await channel.prefetch(1); // fair dispatch
   * ```
   */
  prefetch(count: number, global?: boolean): Promise<Replies.Empty> {
    return this.rpc("BasicQos", () => {
      this.native.prefetch(numberField(count || 0, "prefetchCount"), !!global);
      return {};
    });
  }

  /**
   * Same as {@link prefetch} (amqplib's other name for it).
   *
   * @example
   * ```ts
   * await channel.qos(5);
   * ```
   */
  qos(count: number, global?: boolean): Promise<Replies.Empty> {
    return this.prefetch(count, global);
  }

  /**
   * `basic.recover`: every unacked message on the channel goes back to its queue, redelivered.
   *
   * @example
   * ```ts
   * await channel.recover();
   * ```
   */
  recover(): Promise<Replies.Empty> {
    return this.rpc("BasicRecover", () => {
      this.native.recover();
      return {};
    });
  }

  // ------------------------------------------------------------------------- closing

  /**
   * Closes the channel: its consumers stop and its unacked messages are requeued. The broker
   * closes it at once; the client finishes when the close-ok arrives, as a simulation event after
   * any confirm, return or delivery already sent: then `'close'` is emitted and the promise
   * resolves (amqplib's order). When nothing drives the simulation (manual mode) it resolves at
   * once and `'close'` follows when the test drives it.
   *
   * @example
   * ```ts
   * await channel.close();
   * ```
   */
  close(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.assertWritable();
      this.state = "closing";
      this.clientClosing = true;
      if (!this.native.closed) this.native.close();
      if (this.settlesNow()) resolve();
      else this.closeWaiters.push(resolve);
    });
  }

  // ------------------------------------------------------------------------- internals

  /** @internal Throws what amqplib throws for a send on a channel that cannot send. */
  assertWritable(): void {
    if (this.state === "closed") throw new IllegalOperationError("Channel closed");
    if (this.model.closing) throw new IllegalOperationError("Connection closing");
    if (this.state === "closing") throw new IllegalOperationError("Channel closing");
  }

  /**
   * Runs an operation that awaits a reply. Its result resolves at once (a promise result — a
   * `get` through the request seam — when it settles). A broker refusal closes
   * the native channel; the client learns of it with the close, as a simulation event, which then
   * rejects the operation after `'error'` and `'close'` (amqplib's order). When nothing drives
   * the simulation (manual mode, or a closed one) the operation rejects at once instead, so that
   * `await` never waits for a `run()` nobody is making; the events still follow when driven.
   */
  private rpc<T>(method: AmqpMethod, operation: () => T | Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.assertWritable();
      if (this.native.closed) {
        // The broker already closed the channel and the client does not know yet: RabbitMQ ignores
        // the request, and the close answers it.
        if (this.settlesNow()) reject(this.answerForClosed(method, this.native.closeError));
        else this.outstanding.push({ method, reject });
        return;
      }
      try {
        resolve(operation());
      } catch (error) {
        if (!isBrokerError(error)) {
          this.syncError = error; // the callback API throws it from the call (helper A)
          throw error;
        }
        this.failure ??= method;
        if (this.settlesNow()) reject(this.answerForClosed(method, error));
        else this.outstanding.push({ method, reject });
      }
    });
  }

  /** True when no runner drives the simulation: replies cannot wait for a simulation event. */
  private settlesNow(): boolean {
    return this.model.settlesNow();
  }

  /**
   * What an operation waiting on a closed channel is rejected with: the close itself for the first
   * one (amqplib's `reply(frame)`, turned into an `Error` worded after it),
   * "Channel ended, no reply will be forthcoming" for later ones and for connection closes.
   */
  private answerForClosed(method: AmqpMethod, cause: unknown): unknown {
    if (!(cause instanceof AmqpError) || cause.connectionLevel || this.closeAnswered) return channelEnded();
    this.closeAnswered = true;
    const fields = closeFields(cause, this.failure);
    // amqplib ≥ 1.0.6: `get` too rejects with an Error (code, classId, methodId), not the frame.
    return operationFailed(method, fields);
  }

  /**
   * Asked after a settle made by process code: true when it never happened — the process died
   * (it is no longer current) at the model's `before-ack` crash point. Nothing of it is recorded
   * then: the frame was never sent.
   */
  private settleKilled(): boolean {
    return this.native.settleKilled && this.model.simulation.currentProcess === null;
  }

  /** Runs a send without reply (`ack`, `nack`, …); broker refusals close the channel later. */
  private sendOnly(method: AmqpMethod, operation: () => void): void {
    this.assertWritable();
    if (this.native.closed) return;
    try {
      operation();
    } catch (error) {
      if (!isBrokerError(error)) throw error;
      this.failure ??= method;
    }
  }

  /** RabbitMQ's shortcut: an empty queue name means the channel's most recently declared queue. */
  private expandQueue(name: string): string {
    if (name !== "") return name;
    if (this.lastQueue !== "") return this.lastQueue;
    const error = new AmqpError("NOT_FOUND", "no previously declared queue", {
      reason: "no-previously-declared-queue",
    });
    // The native model has no such shortcut: close its channel as RabbitMQ closes this one.
    this.native.shutdown(error, true);
    throw error;
  }

  /** A binding's queue and key, with RabbitMQ's shortcuts (an empty key with an empty queue name). */
  private bindingTarget(queue: unknown, pattern: unknown): [string, string] {
    const given = shortString(queue, "queue", "");
    const key = shortString(pattern, "routingKey", "");
    const name = this.expandQueue(given);
    return [name, given === "" && key === "" ? name : key];
  }

  /** Hands a delivery to the consumer callback (a simulation event). */
  private dispatch(delivery: Delivery, onMessage: (msg: ConsumeMessage | null) => unknown): unknown {
    if (this.state !== "open" || this.crashError !== null) return undefined;
    if (history.recording(this.model.simulation))
      history.delivered(this.model.simulation, this.model.native.name, delivery);
    let result: unknown;
    try {
      result = onMessage(toConsumeMessage(delivery));
    } catch (thrown) {
      this.consumerThrew(thrown, "delivery");
      return undefined;
    }
    this.model.progress();
    // A promise is awaited by the simulation; a rejection is handled as a throw (never fails it).
    if (
      result !== null &&
      typeof result === "object" &&
      typeof (result as PromiseLike<unknown>).then === "function"
    ) {
      return (result as PromiseLike<unknown>).then(undefined, (rejected: unknown) =>
        this.consumerRejected(rejected),
      );
    }
    return result;
  }

  /**
   * An async consumer callback's promise rejected: handled as a synchronous throw
   * ({@link consumerThrew}), so nothing is lost, but it never fails the simulation or stops the
   * clock. With a `'handler-error'` listener it is reported there (`'delivery'`) and the channel
   * stays open (the message unacked until settled or the channel closes, then requeued); otherwise
   * the channel closes with 541 (every unacked message requeued) and emits the error on `'error'`.
   * Should nobody hear that error (no `'error'` listener on the channel or the connection), the
   * connection closes and its `'close'` event carries it, as it does for any close.
   */
  private consumerRejected(rejected: unknown): void {
    if (this.state !== "open") return;
    if (!this.reportHandlerError(rejected, "delivery")) this.crash(rejected, true);
    this.model.progress();
  }

  /** amqplib closes the channel with 541 when a consumer callback throws. */
  private consumerThrew(thrown: unknown, event: string): void {
    if (this.state !== "open") return;
    // amqplib ≥ 1.0.7 (safeEmit): with a 'handler-error' listener the channel stays open.
    if (this.reportHandlerError(thrown, event)) return;
    this.crash(thrown, false);
  }

  /** The consumer crashed: the channel closes with 541 (`quiet`: an unheard error fails nothing). */
  private crash(thrown: unknown, quiet: boolean): void {
    this.crashError = consumerCrashError(thrown);
    this.crashQuiet = quiet;
    this.state = "closing";
    if (!this.native.closed) this.native.close();
  }

  private onServerCancel(notice: CancelNotice): void {
    if (this.state === "closed") return;
    const callback = this.consumers.get(notice.consumerTag);
    this.consumers.delete(notice.consumerTag);
    if (callback !== undefined) {
      try {
        callback(null);
      } catch (thrown) {
        this.consumerThrew(thrown, "cancel");
      }
    }
    this.emit("cancel", { consumerTag: notice.consumerTag, nowait: false });
    this.model.progress();
  }

  private onReturn(returned: ReturnedMessage): void {
    // After close() (or a consumer crash) amqplib's closing channel ignores every frame.
    if (this.state !== "open" || this.crashError !== null) return;
    this.emit("return", toReturnMessage(returned));
    this.model.progress();
  }

  /**
   * A `basic.ack` / `basic.nack` frame: amqplib's `handleConfirm`. With `multiple` it settles every
   * slot up to `seq` (already settled ones are `null` and skipped); without, the one slot. After
   * `close()` was called, amqplib ignores every frame but the close-ok: the confirms are dropped
   * and the callbacks fail with "channel closed" when the channel closes.
   */
  private onConfirm(frame: ConfirmFrame): void {
    if (this.state !== "open" || this.crashError !== null) return;
    const seq = frame.seq;
    const err = frame.ack ? null : messageNacked;
    if (frame.multiple) {
      const confirmed = this.unconfirmed.splice(0, seq - this.lwm + 1);
      this.lwm = seq + 1;
      for (const callback of confirmed) if (callback) callback(err === null ? null : err());
    } else {
      let callback: PendingConfirm | false | null | undefined;
      if (seq === this.lwm) {
        callback = this.unconfirmed.shift();
        this.lwm++;
        while (this.unconfirmed[0] === null) {
          this.unconfirmed.shift();
          this.lwm++;
        }
      } else {
        callback = this.unconfirmed[seq - this.lwm];
        this.unconfirmed[seq - this.lwm] = null;
      }
      if (callback) callback(err === null ? null : err());
    }
    if (frame.ack) this.emit("ack", { deliveryTag: seq, multiple: frame.multiple });
    else this.emit("nack", { deliveryTag: seq, multiple: frame.multiple, requeue: false });
    this.model.progress();
  }

  /** The native channel closed: finish the client side, in amqplib's order. */
  private onNativeClose(cause: unknown): void {
    if (this.state === "closed" || this.model.closesChannelsFor(cause)) return;
    if (this.crashError !== null) {
      this.emitError(this.crashError, !this.crashQuiet);
    } else if (cause instanceof AmqpError && !this.clientClosing) {
      this.answerOutstanding(cause);
      this.emitError(channelClosedByServer(closeFields(cause, this.failure)));
    }
    this.closeClientSide();
    this.model.progress();
  }

  /** The first operation awaiting a reply gets the close itself; the rest get "Channel ended". */
  private answerOutstanding(cause: AmqpError): void {
    for (const pending of this.outstanding.splice(0)) {
      pending.reject(this.answerForClosed(pending.method, cause));
    }
  }

  private emitError(error: Error, fatal = true): void {
    // Like a Node EventEmitter, an unheard 'error' is fatal; amqplib turns it into a connection error.
    if (this.listenerCount("error") > 0) this.emit("error", error);
    else this.model.fail(error, fatal);
  }

  /** @internal Moves to the closed state: pending operations end, confirms fail, `'close'`. */
  closeClientSide(): void {
    if (this.state === "closed") return;
    this.state = "closed";
    // amqplib calls the close callback (resolving `close()`) just before it emits 'close'.
    for (const resolve of this.closeWaiters.splice(0)) resolve();
    for (const pending of this.outstanding.splice(0)) pending.reject(channelEnded());
    // amqplib's own 'close' listener (registered first) fails every unconfirmed publish, and
    // remembers that some were lost: every later waitForConfirms rejects.
    const unconfirmed = this.unconfirmed;
    this.unconfirmed = [];
    this.closedWithUnconfirmed = unconfirmed.some((callback) => callback !== null);
    for (const callback of unconfirmed) if (callback) callback(channelClosedForConfirm());
    this.writes?.release();
    this.model.forget(this);
    this.emit("close");
  }
}
