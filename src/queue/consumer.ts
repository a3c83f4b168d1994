import type { QueueChannel } from "./channel.js";
import type { Delivery } from "./delivery.js";
import type { QueueMessage } from "./message.js";
import type { ConsumableQueue } from "./queue.js";

/**
 * A consumer's message handler. It may be synchronous (the fast path: no promise or closure is
 * made per message) or return a promise, which the simulation awaits before it moves virtual time.
 *
 * @example
 * ```ts
 * const handler: ConsumerHandler = async (d) => {
 *   await sim.sleep(20); // 20 ms of virtual work
 *   d.ack();
 * };
 * ```
 */
export type ConsumerHandler<M extends QueueMessage = QueueMessage, C extends QueueChannel = QueueChannel> = (
  delivery: Delivery<M, C>,
) => unknown;

/**
 * Why the broker cancelled a consumer: its queue was deleted (explicitly, by `x-expires`, or
 * with its exclusive owner's connection).
 *
 * @example
 * ```ts
 * channel.consume("jobs", handler, { onCancel: (reason) => console.log(reason.queue, "gone") });
 * ```
 */
export interface CancelNotice {
  consumerTag: string;
  queue: string;
  reason: "queue-deleted";
}

/**
 * What happens when a handler throws (or its promise rejects):
 * - `"rethrow"` (default): the error propagates out of the simulation's run call, so bugs surface;
 * - `"close-channel"`: the consumer "crashes": its channel closes and every unacked message on it
 *   is requeued (`redelivered = true`), as when a client process dies; the error is reported on
 *   the channel's `"error"` listeners.
 *
 * @example
 * ```ts
 * channel.consume("jobs", flakyHandler, { onError: "close-channel" });
 * ```
 */
export type ConsumerErrorPolicy = "rethrow" | "close-channel";

/**
 * One consumer of a queue on a channel. Deliveries are round-robin among the queue's consumers of
 * the highest `priority` that have spare prefetch capacity.
 *
 * @example
 * ```ts
 * const consumer = channel.consume("jobs", (d) => d.ack(), { prefetch: 10 });
 * consumer.unacked; // deliveries awaiting settlement
 * consumer.cancel(); // no new deliveries; unacked ones stay settleable
 * ```
 */
export class Consumer<M extends QueueMessage = QueueMessage, C extends QueueChannel = QueueChannel> {
  /** Consumer tag, unique on its channel. */
  readonly tag: string;
  /** The queue consumed from. */
  readonly queue: ConsumableQueue<M, C>;
  /** The channel deliveries arrive on. */
  readonly channel: C;
  /** The handler. */
  readonly handler: ConsumerHandler<M, C>;
  /** Deliveries need no acknowledgement (and count against no prefetch). */
  readonly noAck: boolean;
  /** Most unacked deliveries at once (0 = unlimited). */
  readonly prefetch: number;
  /** `x-priority`: higher-priority consumers are served first. */
  readonly priority: number;
  /** The only consumer allowed on its queue. */
  readonly exclusive: boolean;
  /** Consume arguments as given. */
  readonly arguments: Readonly<Record<string, unknown>>;
  /** What a throwing handler does. */
  readonly onError: ConsumerErrorPolicy;
  /** Called (as a simulation event) when the broker cancels this consumer. */
  readonly onCancel: ((notice: CancelNotice) => unknown) | undefined;
  /** Unacked deliveries made by this consumer. */
  unacked = 0;
  /** True once cancelled (by the client, its channel closing, or the broker). */
  cancelled = false;
  /** @internal Waiting in its queue's blocked list (no credit, or its channel at its global limit). */
  blocked = false;

  /** @internal Created by a channel's `consume`. */
  constructor(
    tag: string,
    queue: ConsumableQueue<M, C>,
    channel: C,
    handler: ConsumerHandler<M, C>,
    options: {
      noAck: boolean;
      prefetch: number;
      priority: number;
      exclusive: boolean;
      arguments: Readonly<Record<string, unknown>>;
      onError: ConsumerErrorPolicy;
      onCancel: ((notice: CancelNotice) => unknown) | undefined;
    },
  ) {
    this.tag = tag;
    this.queue = queue;
    this.channel = channel;
    this.handler = handler;
    this.noAck = options.noAck;
    this.prefetch = options.prefetch;
    this.priority = options.priority;
    this.exclusive = options.exclusive;
    this.arguments = options.arguments;
    this.onError = options.onError;
    this.onCancel = options.onCancel;
  }

  /** Stops new deliveries (`basic.cancel`). Unacked deliveries stay settleable. Idempotent. */
  cancel(): void {
    if (!this.cancelled && !this.channel.closed) this.channel.cancel(this.tag);
  }
}

/**
 * @internal The kernel event that hands one delivery to its consumer's handler. Module-level and
 * taking the delivery as its argument, so scheduling it allocates no closure. A delivery whose
 * channel closed before its turn (its message was requeued) is skipped.
 *
 * @example
 * ```ts
 * sim.defer(invokeConsumer, delivery); // what a queue does per delivery
 * ```
 */
export function invokeConsumer<M extends QueueMessage, C extends QueueChannel>(
  delivery: Delivery<M, C>,
): unknown {
  const consumer = delivery.consumer!;
  if (delivery.channel.closed) return undefined;
  if (consumer.onError === "rethrow") return consumer.handler(delivery);
  let result: unknown;
  try {
    result = consumer.handler(delivery);
  } catch (error) {
    delivery.channel.crash(error);
    return undefined;
  }
  if (
    result !== null &&
    typeof result === "object" &&
    typeof (result as PromiseLike<unknown>).then === "function"
  ) {
    return (result as PromiseLike<unknown>).then(undefined, (error: unknown) =>
      delivery.channel.crash(error),
    );
  }
  return result;
}
