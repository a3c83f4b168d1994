import type { QueueChannel } from "./channel.js";
import type { Delivery } from "./delivery.js";
import type { QueueMessage } from "./message.js";
import type { ConsumableQueue } from "./queue.js";
import { Ring } from "./ring.js";

/** The kernel event of a visibility-timeout check. */
function onVisibilityTimer<M extends QueueMessage, C extends QueueChannel>(inFlight: InFlight<M, C>): void {
  inFlight.fired();
}

/**
 * A queue's unacked deliveries in delivery order, for the visibility timeout: deliveries are made
 * in time order, so their deadlines are too, and one timer armed for the oldest unsettled one
 * suffices. Settled deliveries are skipped lazily at the head (acks come mostly in order, so the
 * ring stays short).
 *
 * kombu's Redis transport restores overdue messages when a worker polls (every 10th poll); this
 * restores each at its exact deadline, which is the earliest kombu could.
 *
 * @example
 * ```ts
 * const inFlight = new InFlight(queue, 30_000); // what a queue with visibilityTimeoutMs makes
 * ```
 */
export class InFlight<M extends QueueMessage, C extends QueueChannel> {
  private readonly queue: ConsumableQueue<M, C>;
  private readonly timeoutMs: number;
  private readonly ring = new Ring<Delivery<M, C>>();
  private timer = -1;
  private stopped = false;

  /** @internal */
  constructor(queue: ConsumableQueue<M, C>, timeoutMs: number) {
    this.queue = queue;
    this.timeoutMs = timeoutMs;
  }

  /** Deliveries still watched (settled ones at the head not yet skipped included). */
  get size(): number {
    return this.ring.size;
  }

  /** Watches an unacked delivery. */
  add(delivery: Delivery<M, C>): void {
    const ring = this.ring;
    while (ring.size > 0 && ring.peek()!.settled) ring.shift();
    ring.push(delivery);
    if (this.timer < 0 && !this.stopped) this.arm(delivery.deliveredAt);
  }

  private arm(deliveredAt: number): void {
    const sim = this.queue.simulation;
    this.timer = sim.schedule(Math.max(deliveredAt + this.timeoutMs, sim.now), onVisibilityTimer, this);
  }

  /** @internal Returns every overdue delivery to the queue, then re-arms for the next. */
  fired(): void {
    this.timer = -1;
    if (this.stopped) return;
    const queue = this.queue;
    const now = queue.simulation.now;
    const ring = this.ring;
    let returned = false;
    while (ring.size > 0) {
      const head = ring.peek()!;
      if (head.settled) {
        ring.shift();
        continue;
      }
      if (head.deliveredAt + this.timeoutMs > now) break;
      ring.shift();
      if (queue.lapse(head)) returned = true;
    }
    if (returned) queue.afterLapse();
    if (ring.size > 0) this.arm(ring.peek()!.deliveredAt);
  }

  /** Stops watching (the queue was deleted). */
  stop(): void {
    this.stopped = true;
    if (this.timer >= 0) this.queue.simulation.cancel(this.timer);
    this.timer = -1;
  }
}
