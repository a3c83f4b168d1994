import type { QueueMessage } from "./message.js";

/**
 * Entry state: settled, dropped, expired or dead-lettered; no longer the queue's.
 *
 * @example
 * ```ts
 * if (entry.state === ENTRY_GONE) return; // nothing left to settle
 * ```
 */
export const ENTRY_GONE = 0;
/**
 * Entry state: in the ready list, waiting for a consumer or a get.
 *
 * @example
 * ```ts
 * queue.entries().every((e) => e.state === ENTRY_READY); // true
 * ```
 */
export const ENTRY_READY = 1;
/**
 * Entry state: delivered and waiting for an ack, nack or reject.
 *
 * @example
 * ```ts
 * channel.unackedDeliveries().every((d) => d.entry.state === ENTRY_UNACKED); // true
 * ```
 */
export const ENTRY_UNACKED = 2;

/**
 * One message's stay in one queue: the shared message plus what is per queue — its position
 * (`seq`, the order it was enqueued in, kept across requeues so a requeued message returns to its
 * original place), its expiry time, and its redelivery state.
 *
 * @example
 * ```ts
 * const [first] = broker.getQueue("jobs")!.entries();
 * first?.seq; // 0 for the first message the queue ever took
 * ```
 */
export class QueueEntry<M extends QueueMessage = QueueMessage> {
  /** The message. */
  readonly message: M;
  /** Position in the queue's publication order (quorum queues renumber a message requeued to the tail). */
  seq: number;
  /** Virtual time it expires (enqueue time + the smaller of queue and message TTL), or +Infinity. */
  readonly expiresAt: number;
  /** Delivered before (classic: any delivery; quorum: `deliveryCount > 0`). */
  redelivered = false;
  /** How many times it came back (quorum: the `x-delivery-count` of its next delivery). */
  deliveryCount = 0;
  /** @internal Where it is: {@link ENTRY_READY}, {@link ENTRY_UNACKED} or {@link ENTRY_GONE}. */
  state = ENTRY_READY;

  /** @internal */
  constructor(message: M, seq: number, expiresAt: number) {
    this.message = message;
    this.seq = seq;
    this.expiresAt = expiresAt;
  }
}
