import { EventEmitter } from "eventemitter3";
import type { AnyDelivery } from "../queue/channel.js";
import {
  type CancelNotice,
  type ConsumerErrorPolicy,
  invokeConsumer,
  Consumer as QueueConsumer,
  type ConsumerHandler as QueueConsumerHandler,
} from "../queue/consumer.js";
import { ENTRY_UNACKED, type QueueEntry } from "../queue/entry.js";
import { BrokerlabError, InvalidArgumentError, InvalidStateError, invariant } from "../scheduler/errors.js";
import { CRASH_POINTS, type Incarnation } from "../scheduler/process.js";
import { checkFunction, checkInteger, checkOneOf, checkOptions, checkString } from "../scheduler/validate.js";
import { AmqpError, closedError, resourceName, unknownDeliveryTag } from "./amqp-error.js";
import type { AmqpQueue, AmqpConsumer as Consumer, AmqpDelivery as Delivery } from "./amqp-queue.js";
import {
  amqpTypeName,
  booleanOption,
  checkShortString,
  definedEntries,
  type ExchangeOptions,
  type QueueOptions,
} from "./arguments.js";
import type { AmqpBroker } from "./broker.js";
import { type ConfirmBatch, type ConfirmFrame, confirmFrames } from "./confirms.js";
import type { AmqpConnection } from "./connection.js";
import { DIRECT_REPLY_TO } from "./direct-reply-to.js";
import type { Exchange, ExchangeType } from "./exchange.js";
import type { AmqpMessage, MessageProperties, PublishOptions } from "./message.js";
import type { ResolvedAmqpFault } from "./network.js";
import { checkRoutingKey } from "./routing-key.js";

/** A consumer handler on an AMQP channel. */
type ConsumerHandler = QueueConsumerHandler<AmqpMessage, AmqpChannel>;

/**
 * Options of {@link AmqpConnection.channel}.
 *
 * @example
 * ```ts
 * connection.channel({ confirm: true, prefetch: 50 });
 * ```
 */
export interface ChannelOptions {
  /** Start in confirm mode (`confirm.select`). Default false. */
  confirm?: boolean;
  /** Per-consumer prefetch for consumers started on it (`basic.qos`, global=false). Default 0 = unlimited. */
  prefetch?: number;
  /** Channel-wide prefetch (`basic.qos`, global=true). Default 0 = unlimited. */
  globalPrefetch?: number;
}

/**
 * Options of {@link AmqpChannel.consume}. Defaults are RabbitMQ's: acks required, the channel's
 * per-consumer prefetch, priority 0, not exclusive, a server-generated `amq.ctag-…` tag.
 *
 * @example
 * ```ts
 * channel.consume("jobs", handler, { prefetch: 1, priority: 10, onCancel: () => resubscribe() });
 * ```
 */
export interface ConsumeOptions {
  /** Deliveries need no ack (auto-ack). Default false. */
  noAck?: boolean;
  /** This consumer's prefetch, overriding the channel's `prefetch` setting (brokerlab extension). */
  prefetch?: number;
  /** `x-priority` (integer): higher-priority consumers are served first. Default 0. */
  priority?: number;
  /** The only consumer of the queue (403 if there are others, and for later ones). Default false. */
  exclusive?: boolean;
  /** The consumer tag (unique on the channel; reuse is a 530 connection error). */
  consumerTag?: string;
  /** Raw consume arguments (`x-priority`). */
  arguments?: Record<string, unknown>;
  /** Called (as a simulation event) when the broker cancels the consumer (its queue was deleted). */
  onCancel?: (notice: CancelNotice) => unknown;
  /** What a throwing handler does. Default `"rethrow"`. */
  onError?: ConsumerErrorPolicy;
}

/**
 * A mandatory message that reached no queue, as the publisher gets it back.
 *
 * @example
 * ```ts
 * channel.on("return", (r) => console.log(r.replyCode, r.replyText, r.routingKey)); // 312 NO_ROUTE …
 * ```
 */
export interface ReturnedMessage {
  replyCode: 312;
  replyText: "NO_ROUTE";
  exchange: string;
  routingKey: string;
  content: unknown;
  properties: MessageProperties;
  /** The stored message. */
  message: AmqpMessage;
}

/**
 * Listeners of an {@link AmqpChannel}. All are called as simulation events (never inside the
 * call that caused them), in the order RabbitMQ sends the frames: a publish's return before its
 * confirm; an error before the close.
 *
 * @example
 * ```ts
 * channel.on("nack", (seq) => console.log("publish", seq, "refused"));
 * ```
 */
export interface AmqpChannelEvents {
  /** An unroutable mandatory publish came back. */
  return: (message: ReturnedMessage) => void;
  /** Confirm mode: publish `seq` was acked. */
  ack: (seq: number) => void;
  /** Confirm mode: publish `seq` was nacked (a queue refused it). */
  nack: (seq: number) => void;
  /**
   * Confirm mode: a `basic.ack` / `basic.nack` frame as RabbitMQ sends it, coalesced (`multiple`)
   * when several publishes were confirmed together; emitted before the per-publish `ack`/`nack`
   * events it covers. What a client library's confirm handling sees.
   */
  confirm: (frame: ConfirmFrame) => void;
  /** The broker closed the channel with this error (or a crashing consumer's handler threw it). */
  error: (error: unknown) => void;
  /** The channel closed; `error` is the cause, or null for a client close. */
  close: (error: unknown) => void;
  /** The broker cancelled a consumer of this channel (its queue was deleted). */
  cancel: (notice: CancelNotice) => void;
}

interface ConfirmNotice {
  channel: AmqpChannel;
  seq: number;
  ack: boolean;
}

interface ReturnNotice {
  channel: AmqpChannel;
  returned: ReturnedMessage;
}

interface CloseNotice {
  channel: AmqpChannel;
  error: unknown;
  emitError: boolean;
}

interface CancelEvent {
  channel: AmqpChannel;
  consumer: Consumer;
  notice: CancelNotice;
}

interface ConfirmWaiter {
  resolve: (value: undefined) => void;
  reject: (error: unknown) => void;
  failed: boolean;
}

function deliverConfirm(notice: ConfirmNotice): void {
  const channel = notice.channel;
  if (!notice.ack) channel.undeliveredNacks--;
  const emitter = channel.emitterOrNull;
  if (emitter === null) return;
  emitter.emit("confirm", { seq: notice.seq, multiple: false, ack: notice.ack });
  emitter.emit(notice.ack ? "ack" : "nack", notice.seq);
}

/** A channel's confirm batch, as its flush event carries it. */
interface PendingBatch extends ConfirmBatch {
  readonly channel: AmqpChannel;
}

/** Sends a batch of confirms: RabbitMQ's coalesced frames, then each publish's own event. */
function flushConfirms(batch: PendingBatch): void {
  const channel = batch.channel;
  channel.batchSent(batch);
  channel.undeliveredNacks -= batch.nacks.length;
  const emitter = channel.emitterOrNull;
  if (emitter === null) return;
  if (emitter.listenerCount("confirm") > 0) {
    for (const frame of confirmFrames(batch, channel.lowestUnconfirmed)) emitter.emit("confirm", frame);
  }
  for (const seq of batch.acks) emitter.emit("ack", seq);
  for (const seq of batch.nacks) emitter.emit("nack", seq);
}

function deliverReturn(notice: ReturnNotice): void {
  notice.channel.emitterOrNull?.emit("return", notice.returned);
}

function deliverClose(notice: CloseNotice): void {
  const emitter = notice.channel.emitterOrNull;
  if (emitter === null) return;
  if (notice.emitError) emitter.emit("error", notice.error);
  emitter.emit("close", notice.error);
}

function deliverCancel(event: CancelEvent): unknown {
  event.channel.emitterOrNull?.emit("cancel", event.notice);
  return event.consumer.onCancel?.(event.notice);
}

/** @internal A publish that has not reached the broker yet (held by the network or a blocked connection). */
export interface HeldPublish {
  channel: AmqpChannel;
  exchange: string;
  routingKey: string;
  content: unknown;
  options: PublishOptions | undefined;
  seq: number;
}

interface HeldSettle {
  channel: AmqpChannel;
  method: "ack" | "nack" | "reject";
  tag: number;
  multiple: boolean;
  requeue: boolean;
}

function arrivePublish(held: HeldPublish): void {
  held.channel.publishArrived(held);
}

function arriveSettle(held: HeldSettle): void {
  held.channel.settleArrived(held.method, held.tag, held.multiple, held.requeue);
}

function settleWaiter(waiter: ConfirmWaiter): void {
  if (waiter.failed) {
    waiter.reject(
      new BrokerlabError(
        "PUBLISH_NACKED",
        "waitForConfirms: the broker nacked at least one publish (a queue refused it).",
        {},
      ),
    );
  } else {
    waiter.resolve(undefined);
  }
}

/**
 * A consumer's handler behind the request seam: each delivery (basic.deliver) reaches `handler`
 * only if the channel lets it through now (see {@link AmqpChannel.deliveryArrives}). One closure
 * per consumer; without a fault hook a delivery costs one check.
 */
function seamHandler(channel: AmqpChannel, handler: ConsumerHandler): ConsumerHandler {
  return (delivery) => (channel.deliveryArrives(delivery as Delivery) ? handler(delivery) : undefined);
}

/** A held delivery reaches the client: handed to its consumer unless its channel went meanwhile. */
function releaseDelivery(delivery: Delivery): unknown {
  const channel = delivery.channel;
  if (channel.closed || delivery.settled) return undefined;
  channel.releaseHeld(delivery);
  return invokeConsumer(delivery);
}

function onConsumerTimeout(channel: AmqpChannel): void {
  channel.consumerTimeoutFired();
}

/**
 * The handler a consumer of a process-owned connection is registered with. The queue hands
 * deliveries over in broker-side events; this one passes each on to an event of the owning
 * incarnation (same virtual time, same order), where `invokeConsumer` calls it again and it runs
 * the user's handler — as the process, so that its code, its sleeps and the crash points it
 * reaches (`before-ack`) die with it. Only owned consumers pay for the extra event.
 */
function ownedHandler(
  sim: { readonly currentProcess: Incarnation["process"] | null },
  owner: Incarnation,
  handler: ConsumerHandler,
): ConsumerHandler {
  const process = owner.process;
  return (delivery) => {
    // The live current incarnation of a process is always its latest one.
    if (sim.currentProcess === process && process.currentToken === owner) return handler(delivery);
    process.runAs(owner, () => invokeConsumer(delivery));
    return undefined;
  };
}

const SETTLE_ACK = 0;
const SETTLE_REQUEUE = 1;
const SETTLE_DISCARD = 2;

const CONSUME_OPTIONS = [
  "noAck",
  "prefetch",
  "priority",
  "exclusive",
  "consumerTag",
  "arguments",
  "onCancel",
  "onError",
] as const;

/**
 * @internal Checks `connection.channel(options)`'s values (the keys are checked by the caller)
 * before anything is allocated; returns `confirm`.
 */
export function checkChannelOptions(options: ChannelOptions | undefined): boolean {
  const confirm = booleanOption(options?.confirm, "confirm", "AmqpConnection.channel");
  if (options?.prefetch !== undefined)
    checkInteger(options.prefetch, "prefetch", "AmqpConnection.channel", 0, 65535);
  if (options?.globalPrefetch !== undefined) {
    checkInteger(options.globalPrefetch, "globalPrefetch", "AmqpConnection.channel", 0, 65535);
  }
  return confirm;
}

/**
 * An AMQP channel: where a client declares topology, publishes, consumes and settles deliveries.
 *
 * - **Delivery tags** count from 1 per channel, consumer deliveries and gets alike.
 * - **Settling** (`ack`, `nack`, `reject`, with `multiple`) an unknown, already settled or foreign
 *   tag is a 406 channel error.
 * - **Channel errors**: a broker error (404, 403, 405, 406) throws an {@link AmqpError} and closes
 *   the channel first: its consumers stop, its unacked messages are requeued
 *   (`redelivered = true`), later calls throw `CHANNEL_CLOSED`, and `"error"` then `"close"`
 *   listeners run. Hard errors (503, 530, 540) close the whole connection.
 * - **Confirm mode** numbers publishes from 1; each gets exactly one `"ack"` or `"nack"` event
 *   (nack when a queue refused it), returns first. The confirms of one event go out together, as
 *   RabbitMQ's coalesced frames (`"confirm"`, with `multiple`; see `confirms.ts`), then the
 *   per-publish events.
 * - **Resource alarms** (`broker.raiseAlarm`) hold the publishes of a blocked connection until
 *   they clear (see `alarms.ts`).
 * - **Prefetch**: `prefetch(n)` limits consumers started afterwards; `prefetch(n, true)` the whole
 *   channel; both can apply. Gets and no-ack consumers are not limited.
 *
 * @example
 * ```ts
 * const channel = broker.connect().channel({ confirm: true });
 * channel.queue("jobs", { durable: true });
 * channel.on("ack", (seq) => console.log("confirmed", seq));
 * channel.sendToQueue("jobs", { task: "resize" }); // 1
 * const d = channel.get("jobs");
 * d?.ack();
 * ```
 */
export class AmqpChannel {
  /** Broker-wide channel id (events use it). */
  readonly id: number;
  /** Channel number on its connection. */
  readonly number: number;
  /** The connection. */
  readonly connection: AmqpConnection;
  /** The broker. */
  readonly broker: AmqpBroker;
  /** @internal Last delivery tag issued. */
  lastTag = 0;
  /** @internal Unacked deliveries by tag, in tag order. */
  readonly unacked = new Map<number, Delivery>();
  /** @internal Unacked consumer deliveries (what a global prefetch limits). */
  consumerUnacked = 0;
  /** @internal Channel-wide prefetch (global=true), 0 = unlimited. */
  globalPrefetch = 0;
  /** @internal Queues that found this channel at its global limit. */
  readonly suspendedIn = new Set<AmqpQueue>();
  /** @internal Consumers by tag. */
  readonly consumers = new Map<string, Consumer>();
  /** @internal Nacks scheduled but not yet delivered to listeners. */
  undeliveredNacks = 0;
  /**
   * @internal True when the last settle (ack, nack, reject) called by process code did not happen:
   * the process died at its `before-ack` point. Facades read it to record nothing for it.
   */
  settleKilled = false;
  private consumerPrefetch = 0;
  private confirming = false;
  private publishSeq = 0;
  /** The highest sequence number confirmed through a batch (they are confirmed in order). */
  private confirmedUpTo = 0;
  /** The confirms recorded in the current event, not yet sent; null: none. */
  private batch: PendingBatch | null = null;
  private closedFlag = false;
  private cause: unknown = null;
  private emitter: EventEmitter<AmqpChannelEvents> | null = null;
  private timeoutTimer = -1;
  /** Network faults: requests sent before this virtual time are still held (a channel keeps order). */
  private heldUntil = Number.NEGATIVE_INFINITY;
  /** Network faults: what happens to the confirm of a publish whose response was dropped or delayed. */
  private confirmFaults: Map<number, ResolvedAmqpFault> | null = null;
  /** Network faults: `getAsync` calls whose reply was lost; rejected when the channel closes. */
  private lostReplies: ((error: unknown) => void)[] | null = null;
  /** Network faults: deliveries sent before this virtual time are still on their way to the client. */
  private deliveriesHeldUntil = Number.NEGATIVE_INFINITY;
  /** Network faults: held deliveries whose time has come (they pass the seam once, unasked). */
  private released: Set<Delivery> | null = null;

  /** @internal Created by {@link AmqpConnection.channel}. */
  constructor(connection: AmqpConnection, id: number, number: number, options: ChannelOptions | undefined) {
    this.connection = connection;
    this.broker = connection.broker;
    this.id = id;
    this.number = number;
    const confirm = checkChannelOptions(options);
    this.confirming = confirm;
    this.consumerPrefetch = options?.prefetch ?? 0;
    this.globalPrefetch = options?.globalPrefetch ?? 0;
  }

  // ------------------------------------------------------------------ state

  /** True once closed (by the client, an error, or its connection). */
  get closed(): boolean {
    return this.closedFlag;
  }

  /** What closed the channel: an {@link AmqpError}, a crashing handler's error, or null. */
  get closeError(): unknown {
    return this.cause;
  }

  /** True in confirm mode. */
  get confirmMode(): boolean {
    return this.confirming;
  }

  /** Unacked deliveries on this channel. */
  get unackedCount(): number {
    return this.unacked.size;
  }

  /** The unacked deliveries, in delivery-tag order (a snapshot). */
  unackedDeliveries(): Delivery[] {
    return [...this.unacked.values()];
  }

  /** The per-consumer prefetch new consumers get (0 = unlimited). */
  get prefetchCount(): number {
    return this.consumerPrefetch;
  }

  /** The channel-wide prefetch (0 = unlimited). */
  get globalPrefetchCount(): number {
    return this.globalPrefetch;
  }

  /** Adds a listener, called as a simulation event. */
  on<E extends keyof AmqpChannelEvents>(event: E, listener: AmqpChannelEvents[E]): this {
    // biome-ignore lint/suspicious/noExplicitAny: eventemitter3's listener typing needs the cast.
    (this.emitter ??= new EventEmitter()).on(event, listener as any);
    return this;
  }

  /** Adds a one-shot listener. */
  once<E extends keyof AmqpChannelEvents>(event: E, listener: AmqpChannelEvents[E]): this {
    // biome-ignore lint/suspicious/noExplicitAny: see on().
    (this.emitter ??= new EventEmitter()).once(event, listener as any);
    return this;
  }

  /** Removes a listener. */
  off<E extends keyof AmqpChannelEvents>(event: E, listener: AmqpChannelEvents[E]): this {
    // biome-ignore lint/suspicious/noExplicitAny: see on().
    this.emitter?.off(event, listener as any);
    return this;
  }

  /** @internal The client vanished (its connection was dropped): nobody hears this channel's events. */
  forgetListeners(): void {
    this.emitter = null;
  }

  /** @internal */
  get emitterOrNull(): EventEmitter<AmqpChannelEvents> | null {
    return this.emitter;
  }

  // ------------------------------------------------------------------ QoS and confirms

  /**
   * `basic.qos`: with `global` false (default) the prefetch of consumers started afterwards, with
   * `global` true the limit on unacked consumer deliveries of the whole channel. 0 = unlimited.
   *
   * @example
   * ```ts
   * channel.prefetch(10); // each later consumer: at most 10 unacked
   * channel.prefetch(50, true); // the channel: at most 50 unacked
   * ```
   */
  prefetch(count: number, global = false): void {
    this.assertOpen();
    checkInteger(count, "count", "AmqpChannel.prefetch", 0, 65535);
    booleanOption(global, "global", "AmqpChannel.prefetch");
    if (!global) {
      this.consumerPrefetch = count;
      return;
    }
    this.globalPrefetch = count;
    this.maybeResume();
    this.broker.drainDeadLetters();
  }

  /** `confirm.select`: from now on publishes are numbered and confirmed. Idempotent. */
  confirm(): void {
    this.assertOpen();
    this.confirming = true;
  }

  /**
   * Confirm mode: resolves once every publish so far has been confirmed to this channel's
   * listeners; rejects (`PUBLISH_NACKED`) if any of those still pending was nacked, as amqplib's
   * `waitForConfirms` does.
   *
   * @example
   * ```ts
   * channel.publish("orders", "eu", order);
   * await channel.waitForConfirms();
   * ```
   */
  waitForConfirms(): Promise<void> {
    this.assertOpen();
    if (!this.confirming) {
      throw new InvalidStateError(
        "AmqpChannel.waitForConfirms: the channel is not in confirm mode; call confirm() or open it with { confirm: true }.",
        "NOT_CONFIRM_MODE",
      );
    }
    const deferred = this.broker.sim.deferred<undefined>();
    this.broker.sim.defer(settleWaiter, {
      resolve: deferred.resolve,
      reject: deferred.reject,
      failed: this.undeliveredNacks > 0,
    });
    return deferred.promise;
  }

  // ------------------------------------------------------------------ topology

  /** Declares an exchange; see {@link AmqpBroker.exchange}. Errors close the channel. */
  exchange(name: string, type: ExchangeType, options?: ExchangeOptions): Exchange {
    this.assertOpen();
    try {
      return this.broker.declareExchange(name, type, options, "AmqpChannel.exchange", this.connection);
    } catch (error) {
      throw this.failOn(error);
    }
  }

  /** Checks that an exchange exists (404 otherwise, closing the channel). */
  checkExchange(name: string): Exchange {
    this.assertOpen();
    try {
      return this.broker.checkExchangeExists(name, "AmqpChannel.checkExchange");
    } catch (error) {
      throw this.failOn(error);
    }
  }

  /** Deletes an exchange; see {@link AmqpBroker.deleteExchange}. */
  deleteExchange(name: string, options?: { ifUnused?: boolean }): void {
    this.assertOpen();
    try {
      this.broker.removeExchangeChecked(name, options, "AmqpChannel.deleteExchange", this.connection);
    } catch (error) {
      throw this.failOn(error);
    }
  }

  /**
   * Declares a queue on this channel's connection (so `exclusive` works); see
   * {@link AmqpBroker.queue}. Errors close the channel.
   *
   * @example
   * ```ts
   * const replies = channel.queue("", { exclusive: true });
   * replies.name; // "amq.gen-…"
   * ```
   */
  queue(name: string, options?: QueueOptions): AmqpQueue {
    this.assertOpen();
    try {
      return this.broker.declareQueue(this.connection, name, options, "AmqpChannel.queue");
    } catch (error) {
      throw this.failOn(error);
    }
  }

  /** Checks that a queue exists and is accessible (404 / 405 otherwise, closing the channel). */
  checkQueue(name: string): AmqpQueue {
    return this.queue(name, { passive: true });
  }

  /** Deletes a queue; see {@link AmqpBroker.deleteQueue}. Returns its ready message count. */
  deleteQueue(name: string, options?: { ifUnused?: boolean; ifEmpty?: boolean }): number {
    this.assertOpen();
    try {
      const count = this.broker.removeQueueChecked(this.connection, name, options, "AmqpChannel.deleteQueue");
      this.broker.drainDeadLetters();
      return count;
    } catch (error) {
      throw this.failOn(error);
    }
  }

  /** Removes a queue's ready messages; returns how many. */
  purge(name: string): number {
    this.assertOpen();
    try {
      return this.broker.purgeQueue(this.connection, name, "AmqpChannel.purge");
    } catch (error) {
      throw this.failOn(error);
    }
  }

  /** Binds a queue to an exchange; see {@link AmqpBroker.bind}. */
  bind(queue: string, exchange: string, key = "", args?: Record<string, unknown>): void {
    this.assertOpen();
    try {
      this.broker.bindQueue(this.connection, queue, exchange, key, args, "AmqpChannel.bind");
    } catch (error) {
      throw this.failOn(error);
    }
  }

  /** Removes a queue binding; see {@link AmqpBroker.unbind}. */
  unbind(queue: string, exchange: string, key = "", args?: Record<string, unknown>): void {
    this.assertOpen();
    try {
      this.broker.unbindQueue(this.connection, queue, exchange, key, args, "AmqpChannel.unbind");
    } catch (error) {
      throw this.failOn(error);
    }
  }

  /** Binds exchange `destination` to `source`; see {@link AmqpBroker.bindExchange}. */
  bindExchange(destination: string, source: string, key = "", args?: Record<string, unknown>): void {
    this.assertOpen();
    try {
      this.broker.bindExchanges(
        destination,
        source,
        key,
        args,
        true,
        "AmqpChannel.bindExchange",
        this.connection,
      );
    } catch (error) {
      throw this.failOn(error);
    }
  }

  /** Removes an exchange-to-exchange binding. */
  unbindExchange(destination: string, source: string, key = "", args?: Record<string, unknown>): void {
    this.assertOpen();
    try {
      this.broker.bindExchanges(
        destination,
        source,
        key,
        args,
        false,
        "AmqpChannel.unbindExchange",
        this.connection,
      );
    } catch (error) {
      throw this.failOn(error);
    }
  }

  // ------------------------------------------------------------------ publishing

  /**
   * Publishes `content` to `exchange` with `routingKey`. Routing and enqueueing happen now; the
   * return (if mandatory and unroutable) and, in confirm mode, the ack or nack arrive as events.
   * Returns the confirm sequence number (from 1), or 0 outside confirm mode.
   *
   * Errors: a missing exchange (404), an internal exchange (403) or an invalid `expiration` (406)
   * close the channel and throw; malformed arguments (routing key over 255 bytes, unknown option)
   * throw {@link InvalidArgumentError} and change nothing.
   *
   * @example
   * ```ts
   * channel.publish("orders", "eu.created", { id: 7 }, { mandatory: true, headers: { v: 2 } });
   * ```
   */
  publish(exchange: string, routingKey: string, content: unknown, options?: PublishOptions): number {
    if (this.closedFlag) throw closedError("channel", this.id, this.cause);
    checkShortString(exchange, "exchange name", "AmqpChannel.publish");
    if (typeof routingKey !== "string" || routingKey.length > 85)
      checkRoutingKey(routingKey, "AmqpChannel.publish");
    if (this.connection.throttled) return this.throttledPublish(exchange, routingKey, content, options);
    if (this.broker.network.hook !== null)
      return this.publishThroughNetwork(exchange, routingKey, content, options);
    try {
      return this.broker.publishFrom(
        this,
        exchange,
        routingKey,
        content,
        options,
        "AmqpChannel.publish",
        null,
      );
    } catch (error) {
      throw this.failOn(error);
    }
  }

  /**
   * Publishes to the default exchange, which routes to the queue named `queue`.
   *
   * @example
   * ```ts
   * channel.sendToQueue("jobs", "hello");
   * ```
   */
  sendToQueue(queue: string, content: unknown, options?: PublishOptions): number {
    return this.publish("", queue, content, options);
  }

  /**
   * A publish while a resource alarm throttles the connection (see `alarms.ts`): held by the
   * connection until the alarm clears; returns its sequence number. What a client refuses before
   * sending (argument shapes) still throws here and changes nothing.
   */
  private throttledPublish(
    exchange: string,
    routingKey: string,
    content: unknown,
    options: PublishOptions | undefined,
  ): number {
    this.broker.checkPublishOptions(options, "AmqpChannel.publish");
    const seq = this.confirming ? this.nextPublishSeq() : 0;
    return this.connection.throttlePublish({
      channel: this,
      exchange,
      routingKey,
      content,
      options: options === undefined ? undefined : { ...options },
      seq,
    });
  }

  /** A publish while a fault hook is installed: the request seam decides (see `network.ts`). */
  private publishThroughNetwork(
    exchange: string,
    routingKey: string,
    content: unknown,
    options: PublishOptions | undefined,
  ): number {
    const broker = this.broker;
    const sim = broker.sim;
    // What a client refuses before sending (argument shapes) still throws here and changes nothing.
    broker.checkPublishOptions(options, "AmqpChannel.publish");
    const seq = this.confirming ? this.nextPublishSeq() : 0;
    const network = broker.network;
    const fault = network.decide({
      kind: "publish",
      requestId: network.requestId(),
      clientId: this.connection.name,
      connection: this.connection.id,
      channel: this.id,
      sentAt: sim.now,
      exchange,
      routingKey,
      ...(seq > 0 ? { seq } : {}),
    });
    if (fault.dropRequest) return seq;
    if (seq > 0 && (fault.dropResponse || fault.responseDelayMs > 0))
      (this.confirmFaults ??= new Map()).set(seq, fault);
    const at = Math.max(sim.now + fault.requestDelayMs, this.heldUntil);
    if (at > sim.now) {
      this.heldUntil = at;
      const held: HeldPublish = {
        channel: this,
        exchange,
        routingKey,
        content,
        options: options === undefined ? undefined : { ...options },
        seq,
      };
      sim.schedule(at, arrivePublish, held);
      return seq;
    }
    try {
      return broker.publishFrom(
        this,
        exchange,
        routingKey,
        content,
        options,
        "AmqpChannel.publish",
        null,
        seq,
      );
    } catch (error) {
      throw this.failOn(error);
    }
  }

  /** @internal A held publish reaches the broker (lost if the channel closed meanwhile). */
  publishArrived(held: HeldPublish): void {
    if (this.closedFlag) return;
    try {
      this.broker.publishFrom(
        this,
        held.exchange,
        held.routingKey,
        held.content,
        held.options,
        "AmqpChannel.publish",
        null,
        held.seq,
      );
    } catch (error) {
      // A broker refusal closes the channel now, asynchronously, as RabbitMQ's channel.close does.
      if (!(error instanceof AmqpError)) throw error;
      this.failOn(error);
    }
  }

  /** @internal The next confirm sequence number. */
  nextPublishSeq(): number {
    return ++this.publishSeq;
  }

  /** @internal Schedules publish `seq`'s confirm. */
  sendConfirm(seq: number, ack: boolean): void {
    const broker = this.broker;
    if (ack) broker.counters.confirmsAcked++;
    else broker.counters.confirmsNacked++;
    if (broker.sim.bus.wants("amqp.confirm"))
      broker.sim.bus.emit("amqp.confirm", { channel: this.id, seq, ack });
    if (broker.network.hook !== null) {
      this.confirmThroughNetwork(seq, ack);
      return;
    }
    if (!ack) this.undeliveredNacks++;
    if (seq > this.confirmedUpTo) this.confirmedUpTo = seq;
    let batch = this.batch;
    if (batch === null) {
      batch = this.batch = { channel: this, acks: [], nacks: [] };
      broker.sim.defer(flushConfirms, batch);
    }
    (ack ? batch.acks : batch.nacks).push(seq);
  }

  /** @internal The lowest sequence number published but not confirmed yet (Infinity: none). */
  get lowestUnconfirmed(): number {
    return this.confirmedUpTo < this.publishSeq ? this.confirmedUpTo + 1 : Number.POSITIVE_INFINITY;
  }

  /** @internal A batch went out: confirms recorded from now on start a new one. */
  batchSent(batch: ConfirmBatch): void {
    if (this.batch === batch) this.batch = null;
  }

  /** A confirm while a fault hook is installed: lost or delayed on its way to the publisher. */
  private confirmThroughNetwork(seq: number, ack: boolean): void {
    const sim = this.broker.sim;
    let delay = 0;
    const preset = this.confirmFaults?.get(seq);
    if (preset !== undefined) {
      this.confirmFaults!.delete(seq);
      if (preset.dropResponse) return;
      delay += preset.responseDelayMs;
    }
    const network = this.broker.network;
    const fault = network.decide({
      kind: "confirm",
      requestId: network.requestId(),
      clientId: this.connection.name,
      connection: this.connection.id,
      channel: this.id,
      sentAt: sim.now,
      seq,
      ack,
    });
    if (fault.dropRequest || fault.dropResponse) return;
    delay += fault.requestDelayMs + fault.responseDelayMs;
    if (!ack) this.undeliveredNacks++;
    if (delay > 0) sim.schedule(sim.now + delay, deliverConfirm, { channel: this, seq, ack });
    else sim.defer(deliverConfirm, { channel: this, seq, ack });
  }

  /** @internal Schedules a return (312 NO_ROUTE). */
  sendReturn(message: AmqpMessage): void {
    const returned: ReturnedMessage = {
      replyCode: 312,
      replyText: "NO_ROUTE",
      exchange: message.exchange,
      routingKey: message.routingKey,
      content: message.content,
      properties: message.properties,
      message,
    };
    // The return goes out before the confirms recorded after it: it seals the batch in progress.
    this.batch = null;
    this.broker.sim.defer(deliverReturn, { channel: this, returned });
  }

  // ------------------------------------------------------------------ consuming

  /**
   * Starts a consumer on `queue` (`basic.consume`); returns it. Ready messages are delivered at
   * once (as far as prefetch allows); `handler` runs for each as a simulation event.
   *
   * Errors: missing queue 404; another connection's exclusive queue 405; an exclusive consumer
   * conflict 403; a reused consumer tag 530 (connection); global prefetch on a quorum queue 540
   * (connection).
   *
   * @example
   * ```ts
   * const consumer = channel.consume("jobs", (d) => {
   *   process(d.content);
   *   d.ack();
   * }, { prefetch: 10 });
   * ```
   */
  consume(queue: string, handler: ConsumerHandler, options?: ConsumeOptions): Consumer {
    const where = "AmqpChannel.consume";
    this.assertOpen();
    checkShortString(queue, "queue name", where);
    checkFunction(handler, "handler", where);
    checkOptions(options, CONSUME_OPTIONS, where);
    const noAck = booleanOption(options?.noAck, "noAck", where);
    const exclusive = booleanOption(options?.exclusive, "exclusive", where);
    const prefetch = options?.prefetch ?? this.consumerPrefetch;
    checkInteger(prefetch, "prefetch", where, 0, 65535);
    const onError = options?.onError ?? "rethrow";
    checkOneOf(onError, ["rethrow", "close-channel"], "onError", where);
    if (options?.onCancel !== undefined) checkFunction(options.onCancel, "onCancel", where);
    if (options?.consumerTag !== undefined) checkShortString(options.consumerTag, "consumerTag", where);
    const rawArgs = options?.arguments;
    if (
      rawArgs !== undefined &&
      (rawArgs === null || typeof rawArgs !== "object" || Array.isArray(rawArgs))
    ) {
      throw new InvalidArgumentError(`${where}: arguments must be an object.`);
    }
    const args = definedEntries(rawArgs);
    if (options?.priority !== undefined) {
      checkInteger(options.priority, "priority", where);
      args["x-priority"] = options.priority;
    }
    try {
      // RabbitMQ generates a tag for an absent or empty one. Peeked, not drawn: a refusal below
      // leaves the next generated name as it was.
      const requestedTag = options?.consumerTag;
      const generatedTag = requestedTag === undefined || requestedTag === "";
      const tag = generatedTag ? this.broker.peekName("amq.ctag") : requestedTag;
      if (this.consumers.has(tag)) {
        throw new AmqpError("NOT_ALLOWED", `attempt to reuse consumer tag '${tag}'`, {
          reason: "consumer-tag-reuse",
          consumerTag: tag,
        });
      }
      const target =
        queue === DIRECT_REPLY_TO
          ? this.broker.directReplyTo.consumeTarget(this, noAck)
          : this.broker.readableQueue(this.connection, queue);
      const priority = args["x-priority"];
      if (priority !== undefined && (typeof priority !== "number" || !Number.isInteger(priority))) {
        throw new AmqpError(
          "PRECONDITION_FAILED",
          `invalid arg 'x-priority' for ${resourceName("queue", queue)}: {unacceptable_type,${amqpTypeName(priority)}}`,
          { reason: "invalid-arg", argument: "x-priority" },
        );
      }
      if (target.exclusiveConsumer !== null || (exclusive && target.consumerCount > 0)) {
        throw new AmqpError("ACCESS_REFUSED", `${resourceName("queue", queue)} in exclusive use`, {
          reason: "exclusive-consumer",
          queue,
        });
      }
      if (target.type === "quorum" && this.globalPrefetch > 0) {
        throw new AmqpError(
          "NOT_IMPLEMENTED",
          `${resourceName("queue", queue)} does not support global qos`,
          {
            reason: "global-qos",
            queue,
          },
        );
      }
      const owner = this.connection.owner;
      // The seam innermost: an owned consumer decides as its process, right before its handler.
      const seam = seamHandler(this, handler);
      const run = owner === null ? seam : ownedHandler(this.broker.sim, owner, seam);
      const consumer = new QueueConsumer<AmqpMessage, AmqpChannel>(tag, target, this, run, {
        noAck,
        prefetch,
        priority: (priority as number | undefined) ?? 0,
        exclusive,
        arguments: args,
        onError,
        onCancel: options?.onCancel,
      }) as Consumer;
      if (generatedTag) this.broker.commitName();
      this.consumers.set(tag, consumer);
      this.connection.consumerAdded();
      const bus = this.broker.sim.bus;
      if (bus.wants("amqp.consume")) {
        bus.emit("amqp.consume", { queue, channel: this.id, consumerTag: tag, prefetch, noAck });
      }
      target.addConsumer(consumer);
      this.broker.drainDeadLetters();
      return consumer;
    } catch (error) {
      throw this.failOn(error);
    }
  }

  /**
   * @internal Whether a consumer delivery reaches its handler now (basic.deliver through the
   * request seam, see `network.ts`). With no fault hook and nothing held, yes. Otherwise the hook
   * decides: a lost frame never reaches the handler (the delivery stays unacked until the channel
   * goes); a delay, or deliveries still held before it, holds it until then — it is released in
   * order, as an event, unless its channel closed meanwhile.
   */
  deliveryArrives(delivery: Delivery): boolean {
    if (this.released?.delete(delivery)) return true;
    const broker = this.broker;
    const sim = broker.sim;
    const network = broker.network;
    if (network.hook === null && this.deliveriesHeldUntil <= sim.now) return true;
    let at = this.deliveriesHeldUntil;
    if (network.hook !== null) {
      const fault = network.decide({
        kind: "deliver",
        requestId: network.requestId(),
        clientId: this.connection.name,
        connection: this.connection.id,
        channel: this.id,
        sentAt: sim.now,
        queue: delivery.source.name,
        deliveryTag: delivery.deliveryTag,
        ...(delivery.consumer === null ? {} : { consumerTag: delivery.consumer.tag }),
      });
      if (fault.dropRequest || fault.dropResponse) return false;
      at = Math.max(at, sim.now + fault.requestDelayMs + fault.responseDelayMs);
    }
    if (at <= sim.now) return true;
    this.deliveriesHeldUntil = at;
    sim.schedule(at, releaseDelivery, delivery);
    return false;
  }

  /** @internal A held delivery's time has come: it passes the seam once without being asked again. */
  releaseHeld(delivery: Delivery): void {
    (this.released ??= new Set()).add(delivery);
  }

  /**
   * `basic.cancel`: stops new deliveries to the consumer; its unacked deliveries stay unacked and
   * settleable. An unknown tag is ignored (as the AMQP spec asks). An auto-delete queue left
   * without consumers is deleted.
   */
  cancel(consumerTag: string): void {
    this.assertOpen();
    checkString(consumerTag, "consumerTag", "AmqpChannel.cancel");
    const consumer = this.consumers.get(consumerTag);
    if (consumer === undefined) return;
    this.detach(consumer, false);
    const queue = consumer.queue;
    this.broker.maybeAutoDelete(queue);
    if (!queue.deleted) queue.dispatch();
    this.broker.drainDeadLetters();
  }

  /** Removes a consumer from its queue and this channel. */
  private detach(consumer: Consumer, byServer: boolean): void {
    consumer.cancelled = true;
    this.consumers.delete(consumer.tag);
    this.connection.consumerRemoved();
    consumer.queue.removeConsumer(consumer);
    const bus = this.broker.sim.bus;
    if (bus.wants("amqp.cancel")) {
      bus.emit("amqp.cancel", {
        queue: consumer.queue.name,
        channel: this.id,
        consumerTag: consumer.tag,
        byServer,
      });
    }
  }

  /** @internal The broker cancels `consumer` (its queue is being deleted) and notifies it. */
  serverCancel(consumer: Consumer): void {
    this.detach(consumer, true);
    const notice: CancelNotice = {
      consumerTag: consumer.tag,
      queue: consumer.queue.name,
      reason: "queue-deleted",
    };
    this.broker.sim.defer(deliverCancel, { channel: this, consumer, notice });
  }

  /**
   * `basic.get`: the queue's head message, or null when none is ready (`messageCount` on the
   * delivery: ready messages left). Not limited by prefetch.
   *
   * @example
   * ```ts
   * const d = channel.get("jobs");
   * if (d) d.ack();
   * ```
   */
  get(queue: string, options?: { noAck?: boolean }): Delivery | null {
    const where = "AmqpChannel.get";
    this.assertOpen();
    checkShortString(queue, "queue name", where);
    checkOptions(options, ["noAck"], where);
    const noAck = booleanOption(options?.noAck, "noAck", where);
    if (this.broker.network.hook !== null) {
      const fault = this.decideGet(queue);
      // A synchronous call cannot wait: a lost request or reply answers null (see network.ts).
      if (fault.dropRequest) return null;
      if (fault.dropResponse) {
        this.fetchNow(queue, noAck);
        return null;
      }
    }
    return this.fetchNow(queue, noAck);
  }

  /**
   * `basic.get` as a client waits for it: resolves with the delivery or null, after the request
   * seam's delays; a lost request or reply never resolves — until the channel closes, which
   * rejects it (`CHANNEL_CLOSED`). Broker refusals (404, 405) reject it and close the channel.
   * Without a fault hook it resolves at once with what {@link get} returns.
   *
   * @example
   * ```ts
   * const d = await channel.getAsync("jobs");
   * d?.ack();
   * ```
   */
  getAsync(queue: string, options?: { noAck?: boolean }): Promise<Delivery | null> {
    const where = "AmqpChannel.getAsync";
    this.assertOpen();
    checkShortString(queue, "queue name", where);
    checkOptions(options, ["noAck"], where);
    const noAck = booleanOption(options?.noAck, "noAck", where);
    const sim = this.broker.sim;
    const deferred = sim.deferred<Delivery | null>();
    const fault = this.broker.network.hook === null ? null : this.decideGet(queue);
    const lose = () => (this.lostReplies ??= []).push(deferred.reject);
    const run = () => {
      if (this.closedFlag) {
        deferred.reject(closedError("channel", this.id, this.cause));
        return;
      }
      let delivery: Delivery | null;
      try {
        delivery = this.fetchNow(queue, noAck);
      } catch (error) {
        deferred.reject(error);
        return;
      }
      if (fault?.dropResponse) lose();
      else if (fault !== null && fault.responseDelayMs > 0)
        sim.schedule(sim.now + fault.responseDelayMs, deferred.resolve, delivery);
      else deferred.resolve(delivery);
    };
    if (fault?.dropRequest) {
      lose();
      return deferred.promise;
    }
    const at = Math.max(sim.now + (fault?.requestDelayMs ?? 0), this.heldUntil);
    if (at > sim.now) {
      this.heldUntil = at;
      sim.schedule(at, run);
    } else run();
    return deferred.promise;
  }

  private decideGet(queue: string): ResolvedAmqpFault {
    const network = this.broker.network;
    return network.decide({
      kind: "basic.get",
      requestId: network.requestId(),
      clientId: this.connection.name,
      connection: this.connection.id,
      channel: this.id,
      sentAt: this.broker.sim.now,
      queue,
    });
  }

  private fetchNow(queue: string, noAck: boolean): Delivery | null {
    try {
      const delivery = this.broker.readableQueue(this.connection, queue).fetch(this, noAck);
      this.broker.drainDeadLetters();
      return delivery as Delivery | null;
    } catch (error) {
      throw this.failOn(error);
    }
  }

  /**
   * @internal The queue took a delivery back (a visibility timeout; AMQP queues have none, so
   * only a queue built with one calls this).
   */
  forget(delivery: AnyDelivery): void {
    const own = delivery as unknown as Delivery;
    if (this.unacked.get(own.deliveryTag) !== own) return;
    this.unacked.delete(own.deliveryTag);
    const consumer = own.consumer;
    if (consumer !== null) {
      consumer.unacked--;
      this.consumerUnacked--;
    }
  }

  /** @internal Registers an ack-requiring delivery. */
  track(delivery: Delivery): void {
    this.unacked.set(delivery.deliveryTag, delivery);
    const consumer = delivery.consumer;
    if (consumer !== null) {
      consumer.unacked++;
      this.consumerUnacked++;
    }
    if (this.timeoutTimer < 0 && this.broker.consumerTimeoutMs !== null)
      this.armConsumerTimeout(delivery.deliveredAt);
  }

  // ------------------------------------------------------------------ settling

  /**
   * Acknowledges a delivery (a {@link Delivery} or its tag); with `multiple`, every unacked
   * delivery up to it (tag 0 with `multiple`: all). Unknown, settled or foreign tags are 406.
   *
   * @example
   * ```ts
   * channel.ack(delivery);
   * channel.ack(delivery.deliveryTag, true); // and everything before it
   * ```
   */
  ack(delivery: AnyDelivery | number, multiple = false): void {
    if (this.closedFlag) throw closedError("channel", this.id, this.cause);
    const tag = typeof delivery === "number" ? delivery : this.ownTag(delivery);
    if (this.broker.network.hook !== null) {
      this.checkTag(tag, "ack");
      booleanOption(multiple, "multiple", "AmqpChannel.ack");
      this.settleThroughNetwork("ack", tag, multiple, false, true);
      return;
    }
    // Outside processes the crash points cost this one check.
    const inProcess = this.broker.sim.currentProcess !== null;
    if (multiple === false) {
      const found = this.unacked.get(tag);
      if (found === undefined) {
        this.checkTag(tag, "ack");
        throw this.failOn(unknownDeliveryTag(tag));
      }
      if (inProcess && this.reachSettlePoint(CRASH_POINTS.beforeAck, "ack", tag, false, false)) return;
      this.unacked.delete(tag);
      this.settleOne(found, SETTLE_ACK, "ack");
      const queue = found.source;
      if (!queue.deleted && queue.ready > 0) queue.dispatch();
      this.afterSettle();
      if (inProcess) this.reachSettlePoint(CRASH_POINTS.afterAck, "ack", tag, false, false);
      return;
    }
    booleanOption(multiple, "multiple", "AmqpChannel.ack");
    if (inProcess && this.reachSettlePoint(CRASH_POINTS.beforeAck, "ack", tag, multiple, false)) return;
    this.settleMany(tag, multiple, SETTLE_ACK, "ack");
    if (inProcess) this.reachSettlePoint(CRASH_POINTS.afterAck, "ack", tag, multiple, false);
  }

  /**
   * Negatively acknowledges (amqplib's argument order): `requeue` (default true) puts messages
   * back in their original positions with `redelivered = true`; otherwise they are dead-lettered
   * (reason `rejected`) or discarded.
   *
   * @example
   * ```ts
   * channel.nack(delivery, false, false); // dead-letter it
   * ```
   */
  nack(delivery: AnyDelivery | number, multiple = false, requeue = true): void {
    if (this.closedFlag) throw closedError("channel", this.id, this.cause);
    const tag = typeof delivery === "number" ? delivery : this.ownTag(delivery);
    booleanOption(multiple, "multiple", "AmqpChannel.nack");
    booleanOption(requeue, "requeue", "AmqpChannel.nack");
    if (this.broker.network.hook !== null) {
      this.checkTag(tag, "nack");
      this.settleThroughNetwork("nack", tag, multiple, requeue, true);
      return;
    }
    const inProcess = this.broker.sim.currentProcess !== null;
    if (inProcess && this.reachSettlePoint(CRASH_POINTS.beforeAck, "nack", tag, multiple, requeue)) return;
    this.settleMany(tag, multiple, requeue ? SETTLE_REQUEUE : SETTLE_DISCARD, "nack");
    if (inProcess) this.reachSettlePoint(CRASH_POINTS.afterAck, "nack", tag, multiple, requeue);
  }

  /** Rejects one delivery: requeue (default) or dead-letter/discard. */
  reject(delivery: AnyDelivery | number, requeue = true): void {
    if (this.closedFlag) throw closedError("channel", this.id, this.cause);
    const tag = typeof delivery === "number" ? delivery : this.ownTag(delivery);
    booleanOption(requeue, "requeue", "AmqpChannel.reject");
    if (this.broker.network.hook !== null) {
      this.checkTag(tag, "reject");
      this.settleThroughNetwork("reject", tag, false, requeue, true);
      return;
    }
    const inProcess = this.broker.sim.currentProcess !== null;
    if (inProcess && this.reachSettlePoint(CRASH_POINTS.beforeAck, "reject", tag, false, requeue)) return;
    this.settleMany(tag, false, requeue ? SETTLE_REQUEUE : SETTLE_DISCARD, "reject");
    if (inProcess) this.reachSettlePoint(CRASH_POINTS.afterAck, "reject", tag, false, requeue);
  }

  /** Acknowledges every unacked delivery on the channel. */
  ackAll(): void {
    this.assertOpen();
    if (this.broker.network.hook !== null) {
      this.settleThroughNetwork("ack", 0, true, false, false);
      return;
    }
    this.settleMany(0, true, SETTLE_ACK, "ack");
  }

  /** Nacks every unacked delivery on the channel (requeue by default). */
  nackAll(requeue = true): void {
    this.assertOpen();
    booleanOption(requeue, "requeue", "AmqpChannel.nackAll");
    if (this.broker.network.hook !== null) {
      this.settleThroughNetwork("nack", 0, true, requeue, false);
      return;
    }
    this.settleMany(0, true, requeue ? SETTLE_REQUEUE : SETTLE_DISCARD, "nack");
  }

  /** `basic.recover` (requeue=true): every unacked delivery goes back to its queue, redelivered. */
  recover(): void {
    this.assertOpen();
    this.settleMany(0, true, SETTLE_REQUEUE, "nack");
  }

  /**
   * A settle while a fault hook is installed: the crash points as on the fast path, and between
   * them the request seam decides whether the broker hears it now, later, or never.
   */
  private settleThroughNetwork(
    method: "ack" | "nack" | "reject",
    tag: number,
    multiple: boolean,
    requeue: boolean,
    points: boolean,
  ): void {
    const sim = this.broker.sim;
    const inProcess = points && sim.currentProcess !== null;
    if (inProcess && this.reachSettlePoint(CRASH_POINTS.beforeAck, method, tag, multiple, requeue)) return;
    const network = this.broker.network;
    const fault = network.decide({
      kind: "ack",
      requestId: network.requestId(),
      clientId: this.connection.name,
      connection: this.connection.id,
      channel: this.id,
      sentAt: sim.now,
      method,
      deliveryTag: tag,
      multiple,
    });
    if (!fault.dropRequest) {
      const at = Math.max(sim.now + fault.requestDelayMs, this.heldUntil);
      if (at > sim.now) {
        this.heldUntil = at;
        const held: HeldSettle = { channel: this, method, tag, multiple, requeue };
        sim.schedule(at, arriveSettle, held);
      } else this.applySettle(method, tag, multiple, requeue);
    }
    if (inProcess) this.reachSettlePoint(CRASH_POINTS.afterAck, method, tag, multiple, requeue);
  }

  private applySettle(
    method: "ack" | "nack" | "reject",
    tag: number,
    multiple: boolean,
    requeue: boolean,
  ): void {
    const kind = method === "ack" ? SETTLE_ACK : requeue ? SETTLE_REQUEUE : SETTLE_DISCARD;
    this.settleMany(tag, multiple, kind, method);
  }

  /** @internal A held settle reaches the broker (lost if the channel closed meanwhile). */
  settleArrived(method: "ack" | "nack" | "reject", tag: number, multiple: boolean, requeue: boolean): void {
    if (this.closedFlag) return;
    try {
      this.applySettle(method, tag, multiple, requeue);
    } catch (error) {
      // An unknown tag closed the channel (406), asynchronously as on RabbitMQ.
      if (!(error instanceof AmqpError)) throw error;
    }
  }

  /**
   * A settle crash point (`before-ack` / `after-ack`) reached by process code; true when the
   * process died there. `settleKilled` tells a facade which side of the settle the crash fell on.
   */
  private reachSettlePoint(
    point: string,
    method: "ack" | "nack" | "reject",
    deliveryTag: number,
    multiple: boolean,
    requeue: boolean,
  ): boolean {
    const before = point === CRASH_POINTS.beforeAck;
    if (before) this.settleKilled = false;
    const killed = this.broker.sim.crashPoint(point, {
      method,
      channel: this.id,
      deliveryTag,
      multiple,
      requeue: method === "ack" ? null : requeue,
    });
    if (killed && before) this.settleKilled = true;
    return killed;
  }

  private ownTag(delivery: AnyDelivery): number {
    if (delivery === null || typeof delivery !== "object" || typeof delivery.deliveryTag !== "number") {
      throw new InvalidArgumentError("AmqpChannel: expected a Delivery or a delivery tag (a number).");
    }
    if (delivery.channel !== this) {
      throw this.failOn(
        unknownDeliveryTag(delivery.deliveryTag, { foreign: true, channel: delivery.channel.id }),
      );
    }
    return delivery.deliveryTag;
  }

  private checkTag(tag: unknown, method: string): void {
    if (typeof tag !== "number" || !Number.isInteger(tag) || tag < 0) {
      throw new InvalidArgumentError(
        `AmqpChannel.${method}: a delivery tag is an integer ≥ 0, got ${String(tag)}.`,
      );
    }
  }

  private settleMany(tag: number, multiple: boolean, kind: number, method: "ack" | "nack" | "reject"): void {
    this.checkTag(tag, method);
    const unacked = this.unacked;
    if (!multiple) {
      const delivery = unacked.get(tag);
      if (delivery === undefined) throw this.failOn(unknownDeliveryTag(tag));
      unacked.delete(tag);
      this.settleOne(delivery, kind, method);
      const queue = delivery.source;
      if (!queue.deleted) {
        if (kind === SETTLE_REQUEUE) queue.afterRequeue();
        else if (queue.ready > 0) queue.dispatch();
      }
      this.afterSettle();
      return;
    }
    // multiple: every outstanding tag up to `tag`, which must itself be outstanding (0: all).
    if (tag !== 0 && !unacked.has(tag)) throw this.failOn(unknownDeliveryTag(tag, { multiple }));
    const touched: AmqpQueue[] = [];
    for (const [current, delivery] of unacked) {
      if (tag !== 0 && current > tag) break;
      unacked.delete(current);
      this.settleOne(delivery, kind, method);
      const queue = delivery.source;
      if (!queue.deleted && !touched.includes(queue)) touched.push(queue);
    }
    for (const queue of touched) {
      if (queue.deleted) continue;
      if (kind === SETTLE_REQUEUE) queue.afterRequeue();
      else if (queue.ready > 0) queue.dispatch();
    }
    this.afterSettle();
  }

  /** Settles one delivery already removed from {@link unacked}. */
  private settleOne(delivery: Delivery, kind: number, method: "ack" | "nack" | "reject"): void {
    delivery.settled = true;
    const queue = delivery.source;
    const consumer = delivery.consumer;
    if (consumer !== null) {
      const wasFull = consumer.prefetch > 0 && consumer.unacked >= consumer.prefetch;
      consumer.unacked--;
      this.consumerUnacked--;
      if (wasFull && !queue.deleted) queue.unblockFor(this);
    }
    const entry = delivery.entry;
    // A deleted queue's deliveries keep their tags, but settling them changes nothing else.
    if (queue.deleted || entry.state !== ENTRY_UNACKED) return;
    const broker = this.broker;
    const bus = broker.sim.bus;
    if (kind === SETTLE_ACK) {
      queue.settleAck(entry);
      broker.counters.acked++;
      if (bus.wants("amqp.ack")) {
        bus.emit("amqp.ack", {
          queue: queue.name,
          messageId: entry.message.id,
          channel: this.id,
          deliveryTag: delivery.deliveryTag,
        });
      }
      return;
    }
    broker.counters.nacked++;
    if (bus.wants("amqp.nack")) {
      bus.emit("amqp.nack", {
        queue: queue.name,
        messageId: entry.message.id,
        channel: this.id,
        deliveryTag: delivery.deliveryTag,
        requeue: kind === SETTLE_REQUEUE,
        method: method === "reject" ? "reject" : "nack",
      });
    }
    if (kind === SETTLE_REQUEUE) queue.settleRequeue(entry);
    else queue.settleReject(entry);
  }

  private afterSettle(): void {
    if (this.timeoutTimer >= 0 && this.unacked.size === 0) {
      this.broker.sim.cancel(this.timeoutTimer);
      this.timeoutTimer = -1;
    }
    this.maybeResume();
    this.broker.drainDeadLetters();
  }

  /** The global prefetch has room again: queues that parked this channel's consumers resume. */
  private maybeResume(): void {
    const suspendedIn = this.suspendedIn;
    if (suspendedIn.size === 0) return;
    if (this.globalPrefetch !== 0 && this.consumerUnacked >= this.globalPrefetch) return;
    const queues = [...suspendedIn];
    suspendedIn.clear();
    for (const queue of queues) if (!queue.deleted) queue.resumeChannel(this);
  }

  // ------------------------------------------------------------------ consumer timeout

  private armConsumerTimeout(deliveredAt: number): void {
    const sim = this.broker.sim;
    const due = deliveredAt + (this.broker.consumerTimeoutMs as number);
    this.timeoutTimer = sim.schedule(Math.max(due, sim.now), onConsumerTimeout, this);
  }

  /** @internal */
  consumerTimeoutFired(): void {
    this.timeoutTimer = -1;
    if (this.closedFlag) return;
    const oldest = this.unacked.values().next().value as Delivery | undefined;
    if (oldest === undefined) return;
    const timeout = this.broker.consumerTimeoutMs as number;
    const sim = this.broker.sim;
    if (sim.now - oldest.deliveredAt >= timeout) {
      const error = new AmqpError(
        "PRECONDITION_FAILED",
        `delivery acknowledgement on channel ${this.number} timed out. Timeout value used: ${timeout} ms. ` +
          "This timeout value can be configured, see consumers doc guide to learn more",
        { reason: "consumer-timeout", deliveryTag: oldest.deliveryTag },
      );
      this.shutdown(error, true);
      return;
    }
    this.armConsumerTimeout(oldest.deliveredAt);
  }

  // ------------------------------------------------------------------ closing

  /**
   * Closes the channel: its consumers stop and its unacked messages are requeued to their original
   * positions with `redelivered = true` (quorum queues count a delivery). Idempotent.
   *
   * @example
   * ```ts
   * channel.close();
   * channel.closed; // true
   * ```
   */
  close(): void {
    if (this.closedFlag) return;
    this.shutdown(null, false);
  }

  /** @internal A consumer handler threw under `onError: "close-channel"`: the consumer crashed. */
  crash(error: unknown): void {
    if (this.closedFlag) return;
    this.shutdown(error, true);
  }

  /**
   * Turns an error from a broker call into what the call throws: an {@link AmqpError} first closes
   * the channel (or the connection, for hard errors); other errors (bad arguments) change nothing.
   */
  private failOn(error: unknown): unknown {
    if (error instanceof AmqpError && !this.closedFlag) {
      if (error.connectionLevel) this.connection.shutdown(error);
      else this.shutdown(error, true);
    }
    return error;
  }

  /** @internal Closes: cancels consumers, requeues unacked, notifies listeners. */
  shutdown(cause: unknown, emitError: boolean): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.cause = cause;
    const broker = this.broker;
    if (this.timeoutTimer >= 0) {
      broker.sim.cancel(this.timeoutTimer);
      this.timeoutTimer = -1;
    }
    const detachedFrom: AmqpQueue[] = [];
    for (const consumer of [...this.consumers.values()]) {
      this.detach(consumer, false);
      if (!detachedFrom.includes(consumer.queue)) detachedFrom.push(consumer.queue);
    }
    const touched: AmqpQueue[] = [];
    let requeued = 0;
    for (const delivery of this.unacked.values()) {
      delivery.settled = true;
      const queue = delivery.source;
      const consumer = delivery.consumer;
      if (consumer !== null) consumer.unacked--;
      if (queue.deleted || delivery.entry.state !== ENTRY_UNACKED) continue;
      queue.settleRequeue(delivery.entry);
      requeued++;
      if (!touched.includes(queue)) touched.push(queue);
    }
    this.unacked.clear();
    this.consumerUnacked = 0;
    for (const queue of this.suspendedIn) queue.forgetChannel(this);
    this.suspendedIn.clear();
    for (const queue of touched) if (!queue.deleted) queue.afterRequeue();
    // RabbitMQ requeues first, then deletes an auto-delete queue its last consumer left. A queue
    // that keeps going may now feed another consumer (a single-active-consumer queue's next one).
    for (const queue of detachedFrom) {
      broker.maybeAutoDelete(queue);
      if (!queue.deleted) queue.dispatch();
    }
    this.connection.channelMap.delete(this.number);
    const bus = broker.sim.bus;
    if (bus.wants("amqp.channel-close")) {
      bus.emit("amqp.channel-close", {
        connection: this.connection.id,
        channel: this.id,
        replyCode: cause instanceof AmqpError ? cause.replyCode : null,
        replyText: cause instanceof AmqpError ? cause.replyText : cause === null ? null : String(cause),
        requeued,
      });
    }
    broker.sim.defer(deliverClose, { channel: this, error: cause, emitError: emitError && cause !== null });
    const lost = this.lostReplies;
    if (lost !== null) {
      this.lostReplies = null;
      const closed = closedError("channel", this.id, cause);
      for (const reject of lost) reject(closed);
    }
    broker.drainDeadLetters();
  }

  private assertOpen(): void {
    if (this.closedFlag) throw closedError("channel", this.id, this.cause);
  }

  // ------------------------------------------------------------------ invariants

  /** @internal Asserts the channel's invariants; counts unacked deliveries per queue. */
  checkInvariants(seen: Set<QueueEntry>, unackedByQueue: Map<AmqpQueue, number>): void {
    invariant(!this.closedFlag, () => `closed channel ${this.id} still registered`);
    invariant(
      this.connection.channelMap.get(this.number) === this,
      () => `channel ${this.id} not registered`,
    );
    let previous = 0;
    let consumerDeliveries = 0;
    const perConsumer = new Map<Consumer, number>();
    for (const [tag, delivery] of this.unacked) {
      invariant(
        tag === delivery.deliveryTag,
        () => `channel ${this.id}: tag ${tag} maps to delivery ${delivery.deliveryTag}`,
      );
      invariant(
        tag > previous && tag <= this.lastTag,
        () => `channel ${this.id}: delivery tags out of order at ${tag}`,
      );
      previous = tag;
      invariant(
        delivery.channel === this && delivery.ackRequired && !delivery.settled,
        () => `channel ${this.id}: bad unacked ${tag}`,
      );
      const consumer = delivery.consumer;
      if (consumer !== null) {
        consumerDeliveries++;
        perConsumer.set(consumer, (perConsumer.get(consumer) ?? 0) + 1);
      }
      if (delivery.source.deleted) continue;
      invariant(
        delivery.entry.state === ENTRY_UNACKED,
        () => `channel ${this.id}: unacked ${tag} in state ${delivery.entry.state}`,
      );
      invariant(
        !seen.has(delivery.entry),
        () => `message ${delivery.message.id} is in two places (channel ${this.id})`,
      );
      seen.add(delivery.entry);
      unackedByQueue.set(delivery.source, (unackedByQueue.get(delivery.source) ?? 0) + 1);
    }
    invariant(
      consumerDeliveries === this.consumerUnacked,
      () => `channel ${this.id}: consumer unacked count off`,
    );
    for (const [consumer, count] of perConsumer) {
      invariant(
        consumer.unacked === count,
        () => `consumer ${consumer.tag}: unacked ${consumer.unacked} ≠ ${count}`,
      );
    }
    for (const consumer of this.consumers.values()) {
      invariant(
        !consumer.cancelled && consumer.channel === this,
        () => `channel ${this.id}: stale consumer ${consumer.tag}`,
      );
      invariant(
        consumer.queue.consumerList.includes(consumer),
        () => `consumer ${consumer.tag} not attached to its queue`,
      );
      if (!perConsumer.has(consumer))
        invariant(consumer.unacked === 0, () => `consumer ${consumer.tag}: phantom unacked`);
    }
  }
}
