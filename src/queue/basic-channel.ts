import { InvalidArgumentError, InvalidStateError } from "../scheduler/errors.js";
import type { Simulation } from "../scheduler/simulation.js";
import { checkFunction, checkInteger, checkOneOf, checkOptions } from "../scheduler/validate.js";
import type { AnyDelivery, QueueChannel, SuspendableQueue } from "./channel.js";
import { Consumer, type ConsumerErrorPolicy, type ConsumerHandler } from "./consumer.js";
import type { Delivery } from "./delivery.js";
import { ENTRY_UNACKED } from "./entry.js";
import type { QueueMessage } from "./message.js";
import type { ConsumableQueue } from "./queue.js";

/**
 * Options of {@link BasicChannel.consume}.
 *
 * @example
 * ```ts
 * const options: BasicConsumeOptions = { prefetch: 4, tag: "worker-1" };
 * ```
 */
export interface BasicConsumeOptions {
  /** Most unacked deliveries at once; 0 = unlimited. Default 0. */
  prefetch?: number;
  /** Deliveries need no acknowledgement (early ack at delivery). Default false. */
  noAck?: boolean;
  /** Higher-priority consumers are served first. Default 0. */
  priority?: number;
  /** Consumer tag; default `"<channel id>.<n>"`. */
  tag?: string;
  /** What a throwing handler does. Default `"rethrow"`. */
  onError?: ConsumerErrorPolicy;
}

type BasicDelivery<M extends QueueMessage> = Delivery<M, BasicChannel<M>>;
type BasicQueue<M extends QueueMessage> = ConsumableQueue<M, BasicChannel<M>>;

/**
 * The broker-agnostic channel: a client's connection to one or more {@link ConsumableQueue}s,
 * with consumers, per-channel delivery tags, and ack / nack / reject. What is unacked when it
 * closes — or drops without goodbye, as when its process crashes — goes back to its queues in
 * their original positions, `redelivered = true`. Settling a delivery the queue took back after
 * its visibility timeout does nothing (its message is the queue's again).
 *
 * @example
 * ```ts
 * const channel = new BasicChannel(sim, "worker-1");
 * channel.consume(jobs, (d) => { d.ack(); }, { prefetch: 4 });
 * channel.drop(); // the process died: its unacked messages return to `jobs`
 * ```
 */
export class BasicChannel<M extends QueueMessage = QueueMessage> implements QueueChannel {
  /** The channel's name, used in consumer tags and events. */
  readonly id: string;
  /** The simulation. */
  readonly sim: Simulation;
  /** @internal */
  lastTag = 0;
  /** Basic channels have no channel-wide prefetch. */
  readonly globalPrefetch = 0;
  /** @internal Unacked consumer deliveries. */
  consumerUnacked = 0;
  /** @internal */
  readonly suspendedIn = new Set<SuspendableQueue>();
  /** @internal Unacked deliveries by tag, in tag order. */
  readonly unacked = new Map<number, BasicDelivery<M>>();
  private readonly consumers = new Map<string, Consumer<M, BasicChannel<M>>>();
  private nextConsumer = 0;
  private closedFlag = false;

  /**
   * What a drop does with unacked deliveries: `"requeue"` (AMQP's rule on socket loss) or
   * `"keep-in-flight"` (Redis/SQS: they stay unacked until the queue's visibility timeout).
   */
  readonly onDrop: "requeue" | "keep-in-flight";

  /** Opens a channel named `id`. */
  constructor(sim: Simulation, id: string, options: { onDrop?: "requeue" | "keep-in-flight" } = {}) {
    if (typeof id !== "string" || id.length === 0) {
      throw new InvalidArgumentError(`BasicChannel: id must be a non-empty string, got ${String(id)}.`);
    }
    checkOptions(options, ["onDrop"], "BasicChannel");
    const onDrop = options.onDrop ?? "requeue";
    checkOneOf(onDrop, ["requeue", "keep-in-flight"], "onDrop", "BasicChannel");
    this.sim = sim;
    this.id = id;
    this.onDrop = onDrop;
  }

  /** True once closed or dropped. */
  get closed(): boolean {
    return this.closedFlag;
  }

  /** Unacked deliveries on this channel. */
  get unackedCount(): number {
    return this.unacked.size;
  }

  /** Starts a consumer on `queue`; deliveries reach `handler` as simulation events. */
  consume(
    queue: BasicQueue<M>,
    handler: ConsumerHandler<M, BasicChannel<M>>,
    options: BasicConsumeOptions = {},
  ): Consumer<M, BasicChannel<M>> {
    const where = "BasicChannel.consume";
    this.assertOpen();
    checkFunction(handler, "handler", where);
    checkOptions(options, ["prefetch", "noAck", "priority", "tag", "onError"], where);
    const prefetch = options.prefetch ?? 0;
    checkInteger(prefetch, "prefetch", where, 0, 65535);
    const priority = options.priority ?? 0;
    checkInteger(priority, "priority", where);
    const onError = options.onError ?? "rethrow";
    checkOneOf(onError, ["rethrow", "close-channel"], "onError", where);
    const tag = options.tag ?? `${this.id}.${++this.nextConsumer}`;
    if (typeof tag !== "string" || this.consumers.has(tag)) {
      throw new InvalidArgumentError(`${where}: consumer tag ${String(tag)} is taken or not a string.`);
    }
    if (queue.deleted) throw new InvalidStateError(`${where}: queue ${queue.name} was deleted.`);
    const consumer = new Consumer<M, BasicChannel<M>>(tag, queue, this, handler, {
      noAck: options.noAck === true,
      prefetch,
      priority,
      exclusive: false,
      arguments: {},
      onError,
      onCancel: undefined,
    });
    this.consumers.set(tag, consumer);
    queue.addConsumer(consumer);
    return consumer;
  }

  /** Takes the head message of `queue`, or null when none is ready (not limited by prefetch). */
  get(queue: BasicQueue<M>, noAck = false): BasicDelivery<M> | null {
    this.assertOpen();
    return queue.fetch(this, noAck);
  }

  /** @internal */
  track(delivery: AnyDelivery): void {
    const own = delivery as unknown as BasicDelivery<M>;
    this.unacked.set(own.deliveryTag, own);
    const consumer = own.consumer;
    if (consumer !== null) {
      consumer.unacked++;
      this.consumerUnacked++;
    }
  }

  /** @internal */
  forget(delivery: AnyDelivery): void {
    const own = delivery as unknown as BasicDelivery<M>;
    if (this.unacked.get(own.deliveryTag) !== own) return;
    this.unacked.delete(own.deliveryTag);
    this.release(own);
  }

  private release(delivery: BasicDelivery<M>): void {
    const consumer = delivery.consumer;
    if (consumer !== null) {
      consumer.unacked--;
      this.consumerUnacked--;
    }
  }

  /** @internal A handler threw under `"close-channel"`: the channel goes as if its client died. */
  crash(_error: unknown): void {
    this.drop();
  }

  /** Stops a consumer; its unacked deliveries stay settleable. */
  cancel(tag: string): void {
    const consumer = this.consumers.get(tag);
    if (consumer === undefined) return;
    this.consumers.delete(tag);
    consumer.cancelled = true;
    consumer.queue.removeConsumer(consumer);
  }

  /**
   * Acknowledges a delivery (with `multiple`, every earlier one on this channel too). Returns
   * false when the queue had taken it back after its visibility timeout (nothing changes).
   */
  ack(delivery: AnyDelivery | number, multiple = false): boolean {
    return this.settle(delivery, multiple, "ack");
  }

  /** Negatively acknowledges: requeue to the original position (default) or dead-letter. */
  nack(delivery: AnyDelivery | number, multiple = false, requeue = true): boolean {
    return this.settle(delivery, multiple, requeue ? "requeue" : "reject");
  }

  /** Rejects one delivery: requeue (default) or dead-letter. */
  reject(delivery: AnyDelivery | number, requeue = true): boolean {
    return this.settle(delivery, false, requeue ? "requeue" : "reject");
  }

  private settle(
    target: AnyDelivery | number,
    multiple: boolean,
    kind: "ack" | "requeue" | "reject",
  ): boolean {
    const where = `BasicChannel.${kind === "ack" ? "ack" : "nack"}`;
    this.assertOpen();
    if (typeof multiple !== "boolean")
      throw new InvalidArgumentError(`${where}: multiple must be a boolean.`);
    let delivery: BasicDelivery<M> | undefined;
    if (typeof target === "number") {
      checkInteger(target, "delivery tag", where, 1);
      delivery = this.unacked.get(target);
      if (delivery === undefined) {
        if (target <= this.lastTag) return false;
        throw new InvalidArgumentError(`${where}: unknown delivery tag ${target}.`, "UNKNOWN_DELIVERY_TAG");
      }
    } else {
      if (target === null || typeof target !== "object" || (target.channel as unknown) !== this) {
        throw new InvalidArgumentError(
          `${where}: the delivery is not from this channel.`,
          "UNKNOWN_DELIVERY_TAG",
        );
      }
      delivery = target as unknown as BasicDelivery<M>;
      if (delivery.lapsed) return false;
      if (this.unacked.get(delivery.deliveryTag) !== delivery) {
        throw new InvalidStateError(
          `${where}: delivery ${delivery.deliveryTag} is already settled; settle each delivery once.`,
          "ALREADY_SETTLED",
        );
      }
    }
    const batch: BasicDelivery<M>[] = [];
    if (multiple) {
      for (const [tag, d] of this.unacked) if (tag <= delivery.deliveryTag) batch.push(d);
    } else {
      batch.push(delivery);
    }
    const touched: BasicQueue<M>[] = [];
    for (const d of batch) {
      this.unacked.delete(d.deliveryTag);
      d.settled = true;
      this.release(d);
      const queue = d.source;
      if (queue.deleted || d.entry.state !== ENTRY_UNACKED) continue;
      if (kind === "ack") queue.settleAck(d.entry);
      else if (kind === "requeue") queue.settleRequeue(d.entry);
      else queue.settleReject(d.entry);
      if (!touched.includes(queue)) touched.push(queue);
    }
    for (const queue of touched) {
      queue.unblockFor(this);
      if (kind === "requeue") queue.afterRequeue();
      else queue.dispatch();
    }
    return true;
  }

  /** Closes the channel: consumers stop, unacked messages return to their queues. Idempotent. */
  close(): void {
    this.drop();
  }

  /**
   * The client vanished without goodbye (its process crashed): consumers stop; unacked messages
   * return at once (`onDrop: "requeue"`, what a broker does on socket loss) or stay in flight until
   * their visibility timeout (`"keep-in-flight"`). The kernel calls this for clients a crashed
   * process owned.
   */
  drop(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    if (this.onDrop === "keep-in-flight") {
      for (const consumer of this.consumers.values()) {
        consumer.cancelled = true;
        consumer.queue.removeConsumer(consumer);
      }
      this.consumers.clear();
      return;
    }
    for (const consumer of this.consumers.values()) {
      consumer.cancelled = true;
      consumer.queue.removeConsumer(consumer);
    }
    this.consumers.clear();
    const touched: BasicQueue<M>[] = [];
    for (const d of this.unacked.values()) {
      d.settled = true;
      const queue = d.source;
      if (queue.deleted || d.entry.state !== ENTRY_UNACKED) continue;
      queue.settleRequeue(d.entry);
      if (!touched.includes(queue)) touched.push(queue);
    }
    this.unacked.clear();
    this.consumerUnacked = 0;
    for (const queue of touched) queue.afterRequeue();
    for (const queue of this.suspendedIn) {
      if (!queue.deleted) (queue as BasicQueue<M>).forgetChannel(this);
    }
    this.suspendedIn.clear();
  }

  private assertOpen(): void {
    if (this.closedFlag) {
      throw new InvalidStateError(`BasicChannel ${this.id} is closed; open a new one.`, "CHANNEL_CLOSED");
    }
  }
}
