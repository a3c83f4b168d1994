import type { Delivery } from "./delivery.js";
import type { QueueMessage } from "./message.js";

/**
 * A delivery of any message on any channel, as a channel's callbacks receive it.
 *
 * @example
 * ```ts
 * const seen: AnyDelivery[] = [];
 * ```
 */
export type AnyDelivery = Delivery<QueueMessage, QueueChannel>;

/**
 * What a queue needs from the channel a delivery goes out on. The RabbitMQ model's `AmqpChannel`
 * implements it, and so does the broker-agnostic {@link BasicChannel}. A channel numbers its
 * deliveries (`lastTag`), keeps the unacked ones (`track`), and may cap them across its consumers
 * (`globalPrefetch`, 0 = none); when a queue finds it at that cap it adds itself to `suspendedIn`
 * and the channel calls `resumeChannel` on it once there is room.
 *
 * @example
 * ```ts
 * const channel: QueueChannel = new BasicChannel(sim, "worker-1");
 * channel.closed; // false
 * ```
 */
export interface QueueChannel {
  /** Identifies the channel in events. */
  readonly id: number | string;
  /** True once closed: deliveries still queued for its handlers are skipped. */
  readonly closed: boolean;
  /** Last delivery tag issued (the queue increments it). */
  lastTag: number;
  /** Channel-wide cap on unacked consumer deliveries; 0 = none. */
  readonly globalPrefetch: number;
  /** Unacked consumer deliveries across the channel. */
  readonly consumerUnacked: number;
  /** Queues holding back deliveries until this channel has room under its global cap. */
  readonly suspendedIn: Set<SuspendableQueue>;
  /** Registers an ack-requiring delivery. */
  track(delivery: AnyDelivery): void;
  /**
   * The queue took an unacked delivery back because its visibility timeout passed: forget it
   * (it no longer counts against prefetch, and settling it later changes nothing).
   */
  forget(delivery: AnyDelivery): void;
  /** A consumer handler threw under the `"close-channel"` policy. */
  crash(error: unknown): void;
  /** Stops a consumer. */
  cancel(tag: string): void;
  /** Acknowledges (with `multiple`, every earlier delivery too). */
  ack(delivery: AnyDelivery | number, multiple?: boolean): void;
  /** Negatively acknowledges. */
  nack(delivery: AnyDelivery | number, multiple?: boolean, requeue?: boolean): void;
  /** Rejects one delivery. */
  reject(delivery: AnyDelivery | number, requeue?: boolean): void;
}

/**
 * The part of a queue a channel calls back when its global prefetch has room again.
 *
 * @example
 * ```ts
 * for (const queue of channel.suspendedIn) queue.resumeChannel(channel);
 * ```
 */
export interface SuspendableQueue {
  readonly deleted: boolean;
  resumeChannel(channel: never): void;
}
