import type { QueueChannel } from "./channel.js";
import type { Consumer } from "./consumer.js";
import type { QueueEntry } from "./entry.js";
import type { QueueMessage } from "./message.js";
import type { ConsumableQueue } from "./queue.js";

/**
 * One delivery of a message to a channel, by a consumer or by `get`: what the handler receives,
 * and, until settled, the channel's record of the unacked message. Delivery tags count from 1 per
 * channel; each delivery (a redelivery included) has its own.
 *
 * The envelope follows brokerlab's common message shape (`id`, `key`, `value`, `headers`,
 * `timestamp`) and amqplib's names (`routingKey`, `content`, `properties`, `deliveryTag`,
 * `redelivered`, `consumerTag`, `messageCount`); both name the same data.
 *
 * @example
 * ```ts
 * channel.consume("jobs", (d) => {
 *   console.log(d.routingKey, d.content, d.redelivered);
 *   if (d.headers?.["x-death"]) d.reject(false); // dead-letter poison messages
 *   else d.ack();
 * });
 * ```
 */
export class Delivery<M extends QueueMessage = QueueMessage, C extends QueueChannel = QueueChannel> {
  /** Per-channel delivery tag, from 1. */
  readonly deliveryTag: number;
  /** True when the message was (maybe) seen before. */
  readonly redelivered: boolean;
  /** `get` only: ready messages left in the queue after this one; -1 for consumer deliveries. */
  readonly messageCount: number;
  /**
   * The message's properties; for quorum queues a copy whose headers carry `x-delivery-count`.
   */
  readonly properties: M["properties"];
  /** Virtual time of delivery. */
  readonly deliveredAt: number;
  /** @internal The queue's record of the message. */
  readonly entry: QueueEntry<M>;
  /** @internal The queue object (it may be deleted meanwhile). */
  readonly source: ConsumableQueue<M, C>;
  /** The channel it was delivered on. */
  readonly channel: C;
  /** @internal The consumer, or null for a `get`. */
  readonly consumer: Consumer<M, C> | null;
  /** False for no-ack deliveries (consumer `noAck`, or `get` with `noAck`). */
  readonly ackRequired: boolean;
  /**
   * True once settled: acked, nacked, rejected, requeued by a channel close, taken back after a
   * visibility timeout, or delivered with no-ack. Settling it again would be a 406.
   */
  settled: boolean;
  /**
   * True when the queue took it back because its visibility timeout passed (Redis/SQS
   * transports): the message is ready again, maybe already redelivered elsewhere, and this
   * delivery's ack changes nothing.
   */
  lapsed = false;

  /** @internal */
  constructor(
    deliveryTag: number,
    entry: QueueEntry<M>,
    source: ConsumableQueue<M, C>,
    channel: C,
    consumer: Consumer<M, C> | null,
    ackRequired: boolean,
    messageCount: number,
    redelivered: boolean,
    properties: M["properties"],
    deliveredAt: number,
  ) {
    this.deliveryTag = deliveryTag;
    this.entry = entry;
    this.source = source;
    this.channel = channel;
    this.consumer = consumer;
    this.ackRequired = ackRequired;
    this.messageCount = messageCount;
    this.redelivered = redelivered;
    this.properties = properties;
    this.deliveredAt = deliveredAt;
    this.settled = !ackRequired;
  }

  /** The stored message. */
  get message(): M {
    return this.entry.message;
  }

  /** The queue it came from. */
  get queue(): string {
    return this.source.name;
  }

  /** The consumer's tag, or null for a `get`. */
  get consumerTag(): string | null {
    return this.consumer === null ? null : this.consumer.tag;
  }

  /** Broker-wide message number (a dead-lettered copy has its own). */
  get id(): number {
    return this.entry.message.id;
  }

  /** The body as published. */
  get content(): M["content"] {
    return this.entry.message.content;
  }

  /** Same as {@link content}. */
  get value(): M["content"] {
    return this.entry.message.content;
  }

  /** The exchange the message was published to (`""` for the default exchange). */
  get exchange(): string {
    return this.entry.message.exchange;
  }

  /** The routing key it was published with. */
  get routingKey(): string {
    return this.entry.message.routingKey;
  }

  /** Same as {@link routingKey}. */
  get key(): string {
    return this.entry.message.routingKey;
  }

  /** The application headers, or undefined. */
  get headers(): Record<string, unknown> | undefined {
    return this.properties.headers;
  }

  /** Virtual time the message was published. */
  get timestamp(): number {
    return this.entry.message.publishedAt;
  }

  /** Acknowledges this delivery (and, with `multiple`, every earlier one on the channel). */
  ack(multiple = false): void {
    this.channel.ack(this, multiple);
  }

  /** Negatively acknowledges: requeue (default) or dead-letter/discard. */
  nack(multiple = false, requeue = true): void {
    this.channel.nack(this, multiple, requeue);
  }

  /** Rejects: requeue (default) or dead-letter/discard. */
  reject(requeue = true): void {
    this.channel.reject(this, requeue);
  }
}
