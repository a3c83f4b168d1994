import type { Consumer } from "../queue/consumer.js";
import type { RandomSource } from "../scheduler/random.js";
import { AmqpError, notFound } from "./amqp-error.js";
import { AmqpQueue } from "./amqp-queue.js";
import { parseQueueArguments } from "./arguments.js";
import type { AmqpBroker } from "./broker.js";
import type { AmqpChannel } from "./channel.js";
import type { AmqpMessage } from "./message.js";

/**
 * The pseudo-queue of RabbitMQ's Direct Reply-to: consume from it (with `noAck: true`) and
 * publish requests with `replyTo` set to it; the broker rewrites `replyTo` to a name that routes
 * replies straight back to this channel's consumer, with no queue in between.
 *
 * @example
 * ```ts
 * channel.consume(DIRECT_REPLY_TO, (reply) => console.log(reply.content), { noAck: true });
 * channel.sendToQueue("rpc", "ping", { replyTo: DIRECT_REPLY_TO });
 * ```
 */
export const DIRECT_REPLY_TO = "amq.rabbitmq.reply-to";

/** What every rewritten reply-to name starts with. */
export const REPLY_TO_PREFIX = "amq.rabbitmq.reply-to.";

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Standard base64 with padding, as Erlang's `base64:encode` (no Buffer: the core is portable). */
function base64(bytes: readonly number[]): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i]!;
    const b = bytes[i + 1];
    const c = bytes[i + 2];
    out += BASE64[a >> 2];
    out += BASE64[((a & 3) << 4) | ((b ?? 0) >> 4)];
    out += b === undefined ? "=" : BASE64[((b & 15) << 2) | ((c ?? 0) >> 6)];
    out += c === undefined ? "=" : BASE64[c & 63];
  }
  return out;
}

function uint32(value: number): number[] {
  return [(value >>> 24) & 255, (value >>> 16) & 255, (value >>> 8) & 255, value & 255];
}

/**
 * The hidden destination of one reply consumer: an unregistered queue (no binding or lookup
 * reaches it) named with the channel's reply-to name, so deliveries, consumer handlers, the
 * request seam and process ownership work as for any consumer.
 */
class ReplyQueue extends AmqpQueue {
  consumer: Consumer<AmqpMessage, AmqpChannel> | null = null;

  constructor(
    private readonly registry: DirectReplyTo,
    broker: AmqpBroker,
    name: string,
    readonly replyChannel: AmqpChannel,
  ) {
    super(
      broker,
      name,
      { durable: false, autoDelete: false, owner: null },
      {},
      parseQueueArguments(name, {}),
    );
  }

  override addConsumer(consumer: Consumer<AmqpMessage, AmqpChannel>): void {
    super.addConsumer(consumer);
    this.consumer = consumer;
    this.registry.register(this);
  }

  override removeConsumer(consumer: Consumer<AmqpMessage, AmqpChannel>): void {
    super.removeConsumer(consumer);
    if (this.consumer === consumer) {
      this.consumer = null;
      this.registry.forget(this);
    }
  }
}

/** What a declare of the bare pseudo-queue answers: RabbitMQ says 0 messages, 1 consumer. */
class PseudoQueue extends AmqpQueue {
  override get consumerCount(): number {
    return 1;
  }
}

/**
 * RabbitMQ 3.10's Direct Reply-to for one broker, as `rabbit_channel` implements it (each rule
 * checked against RabbitMQ 3.10.8):
 *
 * - `basic.consume` on `amq.rabbitmq.reply-to` needs `noAck: true` (else 406 `reply consumer
 *   cannot acknowledge`), once per channel (else 406 `reply consumer already set`); no `read`
 *   permission is checked. Cancelling it (or closing the channel) ends it.
 * - A publish whose `replyTo` is `amq.rabbitmq.reply-to` gets it rewritten to
 *   `amq.rabbitmq.reply-to.<channel>.<key>` (opaque, 91 characters like RabbitMQ's: base64 of an
 *   Erlang pid, a dot, a base64 key made at consume time); without a reply consumer on the
 *   channel, 406 `fast reply consumer does not exist` (after the write-permission, 404 and
 *   internal-exchange checks, before `userId` and `expiration`).
 * - A publish to the default exchange with that name as routing key is delivered to the consumer
 *   (exchange `""`, the name as routing key, the reply's own properties, `redelivered` false, the
 *   channel's next delivery tag — not used up, as RabbitMQ sends `next_tag` without incrementing
 *   it). The name is no queue: the publish counts as unroutable, so a `mandatory` reply is also
 *   returned (312 NO_ROUTE) and confirmed. A reply to a channel that has gone, a cancelled
 *   consumer, an old key or a made-up name is dropped (and returned when mandatory).
 * - Declaring (passive or not) `amq.rabbitmq.reply-to` answers 0 messages and 1 consumer; a live
 *   reply name the same; other `amq.rabbitmq.reply-to…` names 404. `basic.get`, bind and purge
 *   find no queue (404).
 *
 * @example
 * ```ts
 * const client = broker.connect().channel();
 * client.consume(DIRECT_REPLY_TO, (reply) => console.log(reply.content), { noAck: true });
 * client.sendToQueue("rpc", "ping", { replyTo: DIRECT_REPLY_TO }); // the server sees amq.rabbitmq.reply-to.g1h2…
 * ```
 */
export class DirectReplyTo {
  private readonly byName = new Map<string, ReplyQueue>();
  private readonly byChannel = new Map<AmqpChannel, ReplyQueue>();
  private readonly random: RandomSource;
  private readonly nodeTag: number[];
  private readonly creation: number[];

  constructor(private readonly broker: AmqpBroker) {
    this.random = broker.sim.random.fork("amqp-reply-to");
    // The node part of the pid RabbitMQ encodes ("reply@<node hash>"), fixed per broker.
    const hash = String(10_000_000 + (this.random.nextUint32() % 90_000_000));
    this.nodeTag = [...`reply@${hash}`].map((ch) => ch.charCodeAt(0));
    this.creation = uint32(this.random.nextUint32());
  }

  /** @internal `basic.consume` on the pseudo-queue: the hidden queue the consumer attaches to. */
  consumeTarget(channel: AmqpChannel, noAck: boolean): AmqpQueue {
    if (!noAck) {
      throw new AmqpError("PRECONDITION_FAILED", "reply consumer cannot acknowledge", {
        reason: "reply-consumer-ack",
      });
    }
    if (this.byChannel.has(channel)) {
      throw new AmqpError("PRECONDITION_FAILED", "reply consumer already set", {
        reason: "reply-consumer-set",
      });
    }
    return new ReplyQueue(this, this.broker, this.makeName(channel), channel);
  }

  /** @internal A publish's `replyTo: "amq.rabbitmq.reply-to"`, rewritten (406 without a consumer). */
  replyToFor(channel: AmqpChannel | null): string {
    const queue = channel === null ? undefined : this.byChannel.get(channel);
    if (queue === undefined) {
      throw new AmqpError("PRECONDITION_FAILED", "fast reply consumer does not exist", {
        reason: "no-reply-consumer",
      });
    }
    return queue.name;
  }

  /** @internal A publish to the default exchange with a reply-to name as routing key. */
  deliver(name: string, message: AmqpMessage): void {
    const queue = this.byName.get(name);
    if (queue === undefined || queue.consumer === null || queue.replyChannel.closed) return;
    const channel = queue.replyChannel;
    const tag = channel.lastTag;
    queue.enqueue(message);
    // RabbitMQ sends the channel's next tag without using it up.
    channel.lastTag = tag;
  }

  /** @internal A declare of an `amq.rabbitmq.reply-to…` name, as RabbitMQ answers it. */
  declare(name: string): AmqpQueue {
    if (name === DIRECT_REPLY_TO) {
      return new PseudoQueue(
        this.broker,
        name,
        { durable: false, autoDelete: false, owner: null },
        {},
        parseQueueArguments(name, {}),
      );
    }
    const queue = this.byName.get(name);
    if (queue === undefined || queue.consumer === null || queue.replyChannel.closed)
      throw notFound("queue", name);
    return queue;
  }

  /** The live reply-to name of `channel`'s reply consumer, or null. */
  nameOf(channel: AmqpChannel): string | null {
    return this.byChannel.get(channel)?.name ?? null;
  }

  /** @internal */
  register(queue: ReplyQueue): void {
    this.byName.set(queue.name, queue);
    this.byChannel.set(queue.replyChannel, queue);
  }

  /** @internal The consumer was cancelled or its channel closed: its name routes nowhere now. */
  forget(queue: ReplyQueue): void {
    if (this.byName.get(queue.name) === queue) this.byName.delete(queue.name);
    if (this.byChannel.get(queue.replyChannel) === queue) this.byChannel.delete(queue.replyChannel);
  }

  /** `amq.rabbitmq.reply-to.` + base64(term_to_binary(pid)) + `.` + base64(16 random bytes). */
  private makeName(channel: AmqpChannel): string {
    const pid = [131, 88, 118, 0, this.nodeTag.length, ...this.nodeTag, ...uint32(channel.id), 0, 0, 0, 0];
    pid.push(...this.creation);
    const key: number[] = [];
    for (let i = 0; i < 4; i++) key.push(...uint32(this.random.nextUint32()));
    return `${REPLY_TO_PREFIX}${base64(pid)}.${base64(key)}`;
  }
}
