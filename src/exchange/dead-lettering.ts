import { type DeadLetterReason, deadLetterHeaders, isDeadLetterCycle } from "../queue/dead-letter.js";
import { Ring } from "../queue/ring.js";
import type { AmqpQueue } from "./amqp-queue.js";
import type { AmqpBroker } from "./broker.js";
import { AmqpMessage, type MessageProperties } from "./message.js";

interface PendingDeadLetter {
  queue: string;
  message: AmqpMessage;
  reason: DeadLetterReason;
  exchange: string;
  routingKey: string | null;
}

/**
 * Publishes dead-lettered messages the way RabbitMQ 3.10's `rabbit_dead_letter` does, one broker
 * per publisher:
 *
 * - a message leaving a queue for a reason is queued here (or dropped at once when the queue has
 *   no dead-letter exchange), and routed when the broker operation that caused it ends — after
 *   the publish, ack or timer — never re-entrantly, as RabbitMQ's queues publish dead-letters
 *   asynchronously;
 * - the copy gets a new message number, the dead-letter exchange as its exchange, the
 *   dead-letter routing key (or the original keys, `CC` and `BCC` included) as its keys, no
 *   `expiration`, and the `x-death` headers of {@link deadLetterHeaders};
 * - it is routed like a publish (exchange-to-exchange bindings and alternate exchanges apply), but
 *   unconfirmed and never returned: unroutable copies and a missing dead-letter exchange drop it;
 * - a target queue that would close a fully automatic cycle ({@link isDeadLetterCycle}) is skipped.
 *
 * @example
 * ```ts
 * // inside the broker:
 * deadLetters.add(queue, entry.message, "rejected");
 * deadLetters.drain(); // at the end of the operation
 * ```
 */
export class DeadLetterPublisher {
  private readonly broker: AmqpBroker;
  private readonly queued = new Ring<PendingDeadLetter>();
  private draining = false;

  constructor(broker: AmqpBroker) {
    this.broker = broker;
  }

  /** Dead-letters waiting to be routed. */
  get pending(): number {
    return this.queued.size;
  }

  /** True when nothing waits and no drain is under way (an invariant between operations). */
  get idle(): boolean {
    return this.queued.size === 0 && !this.draining;
  }

  /** `message` leaves `queue` for `reason`: queued for its dead-letter exchange, or dropped. */
  add(queue: AmqpQueue, message: AmqpMessage, reason: DeadLetterReason): void {
    const broker = this.broker;
    const exchange = queue.settings.deadLetterExchange;
    if (exchange === null) {
      broker.counters.dropped++;
      if (broker.sim.bus.wants("amqp.drop")) {
        broker.sim.bus.emit("amqp.drop", { queue: queue.name, messageId: message.id, reason });
      }
      return;
    }
    this.queued.push({
      queue: queue.name,
      message,
      reason,
      exchange,
      routingKey: queue.settings.deadLetterRoutingKey,
    });
  }

  /** Routes every queued dead-letter, and those their routing causes, unless already doing so. */
  drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      for (let record = this.queued.shift(); record !== undefined; record = this.queued.shift()) {
        this.route(record);
      }
    } finally {
      this.draining = false;
    }
  }

  private route(record: PendingDeadLetter): void {
    const broker = this.broker;
    const bus = broker.sim.bus;
    const exchange = broker.getExchange(record.exchange);
    const original = record.message;
    if (exchange === undefined) {
      broker.counters.dropped++;
      if (bus.wants("amqp.drop")) {
        bus.emit("amqp.drop", {
          queue: record.queue,
          messageId: original.id,
          reason: "dead-letter-exchange-missing",
        });
      }
      return;
    }
    const now = broker.sim.now;
    const headers = deadLetterHeaders(
      original.properties.headers,
      {
        queue: record.queue,
        reason: record.reason,
        now,
        exchange: original.exchange,
        routingKey: original.routingKey,
        expiration: original.properties.expiration,
      },
      record.routingKey !== null,
    );
    const { expiration: _dropped, ...rest } = original.properties;
    const properties: MessageProperties = { ...rest, headers };
    // With a dead-letter routing key, that key alone; else the message's own keys (CC and BCC too).
    const keys =
      record.routingKey !== null
        ? [record.routingKey]
        : [original.routingKey, ...(original.extraKeys === null ? [] : original.extraKeys)];
    const copy = new AmqpMessage(
      broker.nextMessageId(),
      record.exchange,
      keys[0]!,
      keys.length > 1 ? keys.slice(1) : null,
      original.content,
      properties,
      now,
      -1,
    );
    copy.size = original.size;
    broker.counters.deadLettered++;
    if (bus.wants("amqp.dead-letter")) {
      bus.emit("amqp.dead-letter", {
        queue: record.queue,
        messageId: original.id,
        reason: record.reason,
        exchange: record.exchange,
        routingKeys: keys,
        deadLetterId: copy.id,
      });
    }
    const router = broker.router;
    const count = router.route(exchange, copy.routingKey, copy.extraKeys, headers);
    const queues = router.queues;
    if (bus.wants("amqp.route")) {
      bus.emit("amqp.route", {
        messageId: copy.id,
        exchange: record.exchange,
        routingKey: copy.routingKey,
        queues: queues.map((queue) => queue.name),
        deadLetter: true,
      });
    }
    if (count === 0) {
      broker.counters.dropped++;
      if (bus.wants("amqp.drop")) {
        bus.emit("amqp.drop", { queue: null, messageId: copy.id, reason: "dead-letter-unroutable" });
      }
      return;
    }
    const deaths = headers["x-death"] as unknown[];
    for (let i = 0; i < count; i++) {
      if (queues[i]!.needsSize) {
        if (!measured(broker, copy)) {
          // Bodies are measured at publish while a byte-limited queue exists; this one was
          // published before the first was declared, and its size cannot be known: dropped,
          // with an event, never lost to a TypeError.
          broker.counters.dropped++;
          if (bus.wants("amqp.drop")) {
            bus.emit("amqp.drop", { queue: null, messageId: copy.id, reason: "dead-letter-unmeasurable" });
          }
          return;
        }
        break;
      }
    }
    // Enqueueing never routes (it only queues more dead-letters here), so `queues` stays intact.
    for (let i = 0; i < count; i++) {
      const queue = queues[i]!;
      if (isDeadLetterCycle(queue.name, deaths, record.reason)) {
        broker.counters.dropped++;
        if (bus.wants("amqp.drop")) {
          bus.emit("amqp.drop", { queue: queue.name, messageId: copy.id, reason: "dead-letter-cycle" });
        }
        continue;
      }
      // Dead-letter publishing is unconfirmed: a refusal just drops (or dead-letters) the copy.
      queue.enqueue(copy);
    }
  }
}

/** Measures `message` for a byte-limited queue; false when the sizer cannot. */
function measured(broker: AmqpBroker, message: AmqpMessage): boolean {
  try {
    broker.sizeOf(message);
    return true;
  } catch {
    return false;
  }
}
