import type { Consumer } from "../queue/consumer.js";
import type { Delivery } from "../queue/delivery.js";
import { ENTRY_GONE, type QueueEntry } from "../queue/entry.js";
import { ConsumableQueue } from "../queue/queue.js";
import type { QueueArguments } from "./arguments.js";
import type { AmqpBroker } from "./broker.js";
import type { AmqpChannel } from "./channel.js";
import type { AmqpConnection } from "./connection.js";
import type { Binding } from "./exchange.js";
import type { AmqpMessage, MessageProperties } from "./message.js";

/**
 * A delivery in the RabbitMQ model: an {@link AmqpMessage} on an {@link AmqpChannel}.
 *
 * @example
 * ```ts
 * const d: AmqpDelivery | null = channel.get("jobs");
 * ```
 */
export type AmqpDelivery = Delivery<AmqpMessage, AmqpChannel> & {
  readonly source: AmqpQueue;
  readonly consumer: AmqpConsumer | null;
};

/**
 * A consumer in the RabbitMQ model.
 *
 * @example
 * ```ts
 * const consumer: AmqpConsumer = channel.consume("jobs", (d) => d.ack());
 * ```
 */
export type AmqpConsumer = Consumer<AmqpMessage, AmqpChannel> & { readonly queue: AmqpQueue };

/**
 * A ready message as {@link AmqpQueue.messages} shows it.
 *
 * @example
 * ```ts
 * broker.getQueue("jobs")!.messages().map((m) => m.content);
 * ```
 */
export interface QueuedMessage {
  /** Broker-wide message number. */
  id: number;
  exchange: string;
  routingKey: string;
  content: unknown;
  properties: MessageProperties;
  /** Delivered before and requeued. */
  redelivered: boolean;
  /** Quorum queues: times returned so far. */
  deliveryCount: number;
  /** Virtual time it expires, or null without a TTL. */
  expiresAt: number | null;
}

function withDeliveryCount(properties: MessageProperties, count: number): MessageProperties {
  return { ...properties, headers: { ...properties.headers, "x-delivery-count": count } };
}

/**
 * A queue with RabbitMQ 3.10 semantics (classic, or quorum where named), built on the
 * broker-agnostic {@link ConsumableQueue}: this adds what only AMQP has — bindings, an exclusive
 * owner connection, declaration flags and arguments, `x-delivery-count` on quorum deliveries and
 * the `amqp.*` events. Dead-lettering goes through the broker (`x-death`, DLX routing).
 *
 * Inspect with the read-only members (`ready`, `unacked`, `consumerCount`, `messages()`); change
 * it through a channel or the broker.
 *
 * @example
 * ```ts
 * const jobs = broker.queue("jobs", { messageTtl: 60_000 });
 * broker.publish("", "jobs", "hello");
 * jobs.ready; // 1
 * jobs.messages()[0]?.content; // "hello"
 * ```
 */
export class AmqpQueue extends ConsumableQueue<AmqpMessage, AmqpChannel> {
  /** Discriminates {@link Destination}s: always true. */
  readonly isQueue = true;
  /** Survives a broker restart (never for exclusive queues). */
  readonly durable: boolean;
  /** Deleted when its last consumer goes, once it had one. */
  readonly autoDelete: boolean;
  /** Declaration arguments, as given (named options merged in). */
  readonly arguments: Readonly<Record<string, unknown>>;
  /** Parsed arguments. */
  declare readonly settings: Readonly<QueueArguments>;
  /** The connection owning an exclusive queue, or null. */
  readonly owner: AmqpConnection | null;
  /** @internal Consumers in registration order. */
  declare readonly consumerList: AmqpConsumer[];
  /** @internal Stamp of the last routing walk that reached it. */
  routeStamp = 0;
  /** @internal Bindings leading here. */
  readonly inbound = new Set<Binding>();

  /** @internal Created by the broker after validation. */
  constructor(
    broker: AmqpBroker,
    name: string,
    flags: { durable: boolean; autoDelete: boolean; owner: AmqpConnection | null },
    args: Readonly<Record<string, unknown>>,
    settings: QueueArguments,
  ) {
    super(broker, name, settings);
    this.durable = flags.durable;
    this.autoDelete = flags.autoDelete;
    this.owner = flags.owner;
    this.arguments = args;
  }

  /** True for exclusive queues. */
  get exclusive(): boolean {
    return this.owner !== null;
  }

  /** The ready messages in delivery order, as plain objects (a snapshot). */
  messages(): QueuedMessage[] {
    return this.readyList.toArray().map((entry) => ({
      id: entry.message.id,
      exchange: entry.message.exchange,
      routingKey: entry.message.routingKey,
      content: entry.message.content,
      properties: entry.message.properties,
      redelivered: entry.redelivered,
      deliveryCount: entry.deliveryCount,
      expiresAt: entry.expiresAt === Number.POSITIVE_INFINITY ? null : entry.expiresAt,
    }));
  }

  /**
   * @internal A broker restart: drops every ready message that is not persistent (`deliveryMode`
   * ≠ 2), keeping the others in order; returns how many went. Call after the connections closed
   * (their unacked messages are ready again by then).
   */
  dropTransient(): number {
    const ready = this.readyList;
    if (ready.size === 0) return 0;
    const entries = ready.drain();
    const bus = this.host.sim.bus;
    let dropped = 0;
    for (const entry of entries) {
      if (entry.message.properties.deliveryMode === 2) {
        ready.push(entry);
        continue;
      }
      entry.state = ENTRY_GONE;
      if (this.readyBytes > 0) this.readyBytes -= entry.message.size;
      dropped++;
      if (bus.wants("amqp.drop"))
        bus.emit("amqp.drop", { queue: this.name, messageId: entry.message.id, reason: "broker-restart" });
    }
    this.host.counters.dropped += dropped;
    this.afterRequeue();
    return dropped;
  }

  protected override deliveryProperties(entry: QueueEntry<AmqpMessage>): MessageProperties {
    return withDeliveryCount(entry.message.properties, entry.deliveryCount);
  }

  protected override onRefused(message: AmqpMessage, deadLettered: boolean): void {
    const bus = this.host.sim.bus;
    if (!deadLettered && bus.wants("amqp.drop")) {
      bus.emit("amqp.drop", { queue: this.name, messageId: message.id, reason: "reject-publish" });
    }
  }

  protected override onEnqueued(message: AmqpMessage): void {
    const bus = this.host.sim.bus;
    if (bus.wants("amqp.enqueue")) bus.emit("amqp.enqueue", { queue: this.name, messageId: message.id });
  }

  protected override onDelivered(delivery: AmqpDelivery): void {
    const bus = this.host.sim.bus;
    if (bus.wants("amqp.deliver")) {
      const consumer = delivery.consumer;
      bus.emit("amqp.deliver", {
        queue: this.name,
        messageId: delivery.entry.message.id,
        channel: delivery.channel.id,
        deliveryTag: delivery.deliveryTag,
        consumerTag: consumer === null ? null : consumer.tag,
        redelivered: delivery.redelivered,
        noAck: !delivery.ackRequired,
      });
    }
  }

  protected override onRequeued(entry: QueueEntry<AmqpMessage>): void {
    const bus = this.host.sim.bus;
    if (bus.wants("amqp.requeue"))
      bus.emit("amqp.requeue", { queue: this.name, messageId: entry.message.id });
  }

  protected override onExpired(entry: QueueEntry<AmqpMessage>): void {
    const bus = this.host.sim.bus;
    if (bus.wants("amqp.expire")) bus.emit("amqp.expire", { queue: this.name, messageId: entry.message.id });
  }

  protected override onDropped(entry: QueueEntry<AmqpMessage>, reason: "purged" | "queue-deleted"): void {
    const bus = this.host.sim.bus;
    if (bus.wants("amqp.drop"))
      bus.emit("amqp.drop", { queue: this.name, messageId: entry.message.id, reason });
  }
}
