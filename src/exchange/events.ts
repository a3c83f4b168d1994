/**
 * The RabbitMQ model's events on `sim.bus`, declared into {@link BrokerlabEvents} by declaration
 * merging. The broker builds a payload only when `sim.bus.wants(type)`, so an unobserved broker
 * builds none.
 *
 * Identifiers: `messageId` is the broker-wide message number (a dead-lettered copy has its own,
 * linked by `amqp.dead-letter`); `channel` is the broker-wide channel id (`AmqpChannel.id`); a
 * message's stay in a queue is identified by (`messageId`, `queue`).
 *
 * A message's stay in a queue starts with `amqp.enqueue` and ends with exactly one of
 * `amqp.ack`, `amqp.deliver` with `noAck: true`, `amqp.dead-letter` or `amqp.drop`; in between
 * come `amqp.deliver`, `amqp.nack` (with requeue), `amqp.requeue` and `amqp.expire`. A publish a
 * queue refuses (`x-overflow: reject-publish*`) never starts a stay: it shows as `amqp.drop` with
 * reason `reject-publish`, or as `amqp.dead-letter` with reason `maxlen`. Deleting a queue ends
 * the stays of its unacked messages too (`amqp.drop`, `queue-deleted`); their delivery tags stay
 * valid on their channels, and settling them later emits nothing.
 *
 * Listeners run synchronously inside the broker operation that emitted the event, in causal
 * order. They may record and assert, but must not call back into the broker; to react, schedule
 * with `sim.defer(...)`.
 *
 * @example
 * ```ts
 * sim.bus.on("amqp.dead-letter", ({ queue, reason, exchange }) => {
 *   console.log(`${queue} dead-lettered a message (${reason}) to ${exchange}`);
 * });
 * ```
 */
import type { DeadLetterReason } from "../queue/dead-letter.js";

/**
 * Why a message left the model without being acked or dead-lettered.
 * - `maxlen`, `expired`, `rejected`, `delivery_limit`: dead-lettering reasons, when the queue has
 *   no dead-letter exchange;
 * - `dead-letter-exchange-missing`: the queue names a dead-letter exchange that does not exist;
 * - `dead-letter-unroutable`: the dead-letter exchange routed it nowhere;
 * - `dead-letter-cycle`: dropped by cycle detection for one target queue;
 * - `dead-letter-unmeasurable`: dead-lettered towards a byte-limited queue, but the sizer cannot
 *   measure its body (published before any byte-limited queue existed; later ones are refused at
 *   publish with `UNMEASURABLE_BODY`);
 * - `reject-publish`: refused by an `x-overflow: reject-publish` queue;
 * - `purged`, `queue-deleted`: removed with `purge` or with the queue;
 * - `broker-restart`: a non-persistent message of a durable classic queue, lost in a broker restart;
 * - `unroutable`: a publish that reached no queue (not mandatory, or returned).
 *
 * @example
 * ```ts
 * const reason: DropReason = "purged";
 * ```
 */
export type DropReason =
  | DeadLetterReason
  | "dead-letter-exchange-missing"
  | "dead-letter-unroutable"
  | "dead-letter-cycle"
  | "dead-letter-unmeasurable"
  | "reject-publish"
  | "purged"
  | "queue-deleted"
  | "broker-restart"
  | "unroutable";

declare module "../scheduler/event-bus.js" {
  interface BrokerlabEvents {
    /** A connection opened. */
    "amqp.connection-open": { connection: number; name: string };
    /** The broker restarted (`downMs` down): every connection dropped, what is not durable is gone. */
    "amqp.broker-restart": {
      downMs: number;
      connections: number;
      queues: number;
      exchanges: number;
      messages: number;
    };
    /** A connection closed (by the client, or by a connection-level error). */
    "amqp.connection-close": { connection: number; replyCode: number | null; replyText: string | null };
    /** A channel opened. */
    "amqp.channel-open": { connection: number; channel: number; number: number };
    /** A channel closed; `requeued` unacked messages went back to their queues. */
    "amqp.channel-close": {
      connection: number;
      channel: number;
      replyCode: number | null;
      replyText: string | null;
      requeued: number;
    };
    /** An exchange was declared (new). */
    "amqp.exchange-declare": {
      exchange: string;
      type: string;
      durable: boolean;
      autoDelete: boolean;
      internal: boolean;
    };
    /** An exchange was deleted. */
    "amqp.exchange-delete": { exchange: string; reason: "deleted" | "auto-delete" | "broker-restart" };
    /** A queue was declared (new). */
    "amqp.queue-declare": {
      queue: string;
      type: string;
      durable: boolean;
      exclusive: boolean;
      autoDelete: boolean;
    };
    /** A queue was deleted; its ready messages are dropped (`amqp.drop`, never dead-lettered). */
    "amqp.queue-delete": {
      queue: string;
      reason: "deleted" | "auto-delete" | "expired" | "exclusive-owner-closed" | "broker-restart";
      messages: number;
    };
    /** A binding was added (`destinationKind` "queue" or "exchange"). */
    "amqp.bind": { source: string; destination: string; destinationKind: "queue" | "exchange"; key: string };
    /** A binding was removed. */
    "amqp.unbind": {
      source: string;
      destination: string;
      destinationKind: "queue" | "exchange";
      key: string;
    };
    /** A queue was purged. */
    "amqp.purge": { queue: string; messages: number };
    /** A client published (channel null: `broker.publish`). `seq` is the confirm sequence number or 0. */
    "amqp.publish": {
      channel: number | null;
      seq: number;
      messageId: number;
      exchange: string;
      routingKey: string;
      mandatory: boolean;
    };
    /** Routing found these queues (for a publish, or for a dead-lettered copy). */
    "amqp.route": {
      messageId: number;
      exchange: string;
      routingKey: string;
      queues: string[];
      deadLetter: boolean;
    };
    /** A message started its stay in a queue. */
    "amqp.enqueue": { queue: string; messageId: number };
    /** A message was delivered (to a consumer, or by `get` when `consumerTag` is null). */
    "amqp.deliver": {
      queue: string;
      messageId: number;
      channel: number;
      deliveryTag: number;
      consumerTag: string | null;
      redelivered: boolean;
      noAck: boolean;
    };
    /** A delivery was acknowledged: the message's stay ends. */
    "amqp.ack": { queue: string; messageId: number; channel: number; deliveryTag: number };
    /** A delivery was nacked or rejected; with `requeue` false the stay ends in dead-letter or drop. */
    "amqp.nack": {
      queue: string;
      messageId: number;
      channel: number;
      deliveryTag: number;
      requeue: boolean;
      method: "nack" | "reject";
    };
    /** An unacked message went back to its queue (nack, reject, channel close, recover). */
    "amqp.requeue": { queue: string; messageId: number };
    /** A message expired at the head of its queue (then dead-lettered or dropped). */
    "amqp.expire": { queue: string; messageId: number };
    /** A message was dead-lettered: the copy `deadLetterId` goes to `exchange` with `routingKeys`. */
    "amqp.dead-letter": {
      queue: string;
      messageId: number;
      reason: DeadLetterReason;
      exchange: string;
      routingKeys: string[];
      deadLetterId: number;
    };
    /** A message was discarded (queue null: a publish that reached no queue). */
    "amqp.drop": { queue: string | null; messageId: number; reason: DropReason };
    /** An unroutable mandatory message was returned to its publisher (312 NO_ROUTE). */
    "amqp.return": {
      channel: number | null;
      messageId: number;
      exchange: string;
      routingKey: string;
      replyCode: 312;
    };
    /** A publish on a confirm channel was acked or nacked. */
    "amqp.confirm": { channel: number; seq: number; ack: boolean };
    /** A consumer started. */
    "amqp.consume": { queue: string; channel: number; consumerTag: string; prefetch: number; noAck: boolean };
    /** A consumer stopped (`byServer`: its queue was deleted). */
    "amqp.cancel": { queue: string; channel: number; consumerTag: string; byServer: boolean };
    /** RabbitMQ would log a warning here (e.g. an option a quorum queue ignores). */
    "amqp.warning": { message: string };
  }
}
