import type { OverflowMode, QueueArguments, QueueType } from "../exchange/arguments.js";
import type { AmqpBroker } from "../exchange/broker.js";
import type { AmqpChannel } from "../exchange/channel.js";
import type { AmqpConnection } from "../exchange/connection.js";
import type { Binding } from "../exchange/exchange.js";
import type { AmqpMessage, MessageProperties } from "../exchange/message.js";
import { invariant } from "../scheduler/errors.js";
import { type Consumer, invokeConsumer } from "./consumer.js";
import { Delivery } from "./delivery.js";
import { ENTRY_GONE, ENTRY_READY, ENTRY_UNACKED, QueueEntry } from "./entry.js";
import { ReadyList } from "./ready-list.js";
import { Ring } from "./ring.js";

/** Consumers of one `x-priority`, in round-robin order. */
interface ConsumerLevel {
  readonly priority: number;
  /** Consumers able to receive (lazily: one may turn out blocked when its turn comes). */
  readonly ring: Ring<Consumer>;
  /** Consumers of this priority, blocked ones included. */
  members: number;
}

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

/** The kernel event of a queue's head-expiry timer. */
function onTtlTimer(queue: AmqpQueue): void {
  queue.ttlTimerFired();
}

/** The kernel event of a queue's `x-expires` timer. */
function onQueueExpiry(queue: AmqpQueue): void {
  queue.expiryTimerFired();
}

function withDeliveryCount(properties: MessageProperties, count: number): MessageProperties {
  return { ...properties, headers: { ...properties.headers, "x-delivery-count": count } };
}

/**
 * A queue with RabbitMQ 3.10 semantics (classic, or quorum where named):
 *
 * - **Ready list**: FIFO in publication order; a requeued message returns to its original
 *   position (classic) or to the tail / the returns queue (quorum, see {@link ReadyList}).
 * - **Dispatch**: synchronous, when the broker state changes (a publish, an ack, a new consumer):
 *   the head goes to the next consumer, round-robin within the highest `x-priority`, skipping
 *   (and parking as blocked, like RabbitMQ's `rabbit_queue_consumers`) consumers without spare
 *   prefetch capacity or whose channel reached its global prefetch. The delivery is registered
 *   on the channel at once (tag, unacked) and the handler runs as a deferred simulation event,
 *   so consumers run inside the simulation in (time, sequence) order.
 * - **TTL**: each message expires at enqueue time + the smaller of `x-message-ttl` and its
 *   `expiration`; expired messages leave only from the head (a message behind a live one stays
 *   counted, and is never delivered), checked by one timer per queue armed for its head.
 *   A message that a consumer can take at once is delivered even with TTL 0.
 * - **Length limits** count ready messages only; `x-overflow` decides who goes.
 * - **Dead-lettering** goes through the broker (`rejected`, `expired`, `maxlen`,
 *   `delivery_limit`).
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
export class AmqpQueue {
  /** Discriminates {@link Destination}s: always true. */
  readonly isQueue = true;
  /** Queue name. */
  readonly name: string;
  /** `classic` or `quorum`. */
  readonly type: QueueType;
  /** Survives a broker restart (never for exclusive queues). */
  readonly durable: boolean;
  /** Deleted when its last consumer goes, once it had one. */
  readonly autoDelete: boolean;
  /** Declaration arguments, as given (named options merged in). */
  readonly arguments: Readonly<Record<string, unknown>>;
  /** Parsed arguments. */
  readonly settings: Readonly<QueueArguments>;
  /** The connection owning an exclusive queue, or null. */
  readonly owner: AmqpConnection | null;
  /** True once deleted. */
  deleted = false;

  /** @internal Stamp of the last routing walk that reached it. */
  routeStamp = 0;
  /** @internal Bindings leading here. */
  readonly inbound = new Set<Binding>();
  /** @internal */
  readonly readyList = new ReadyList();
  /** @internal Delivered, not yet settled. */
  unackedCount = 0;
  /** @internal Ready body bytes, kept only when `x-max-length-bytes` is set. */
  readyBytes = 0;
  /** @internal Consumers in registration order. */
  readonly consumerList: Consumer[] = [];
  /** @internal The exclusive consumer, if any. */
  exclusiveConsumer: Consumer | null = null;
  /** @internal True once a consumer came (auto-delete waits for that). */
  hadConsumer = false;

  private readonly broker: AmqpBroker;
  private readonly quorum: boolean;
  private readonly sac: boolean;
  private readonly overflow: OverflowMode;
  private readonly maxLength: number;
  private readonly maxLengthBytes: number;
  private readonly limited: boolean;
  private readonly messageTtl: number;
  private nextSeq = 0;
  private readonly levels: ConsumerLevel[] = [];
  private readonly blocked: Consumer[] = [];
  private picked: Ring<Consumer> | null = null;
  private suspended: Set<AmqpChannel> | null = null;
  private ttlTimer = -1;
  private ttlTimerAt = Number.POSITIVE_INFINITY;
  private expiryTimer = -1;
  private lastUsedAt: number;

  /** @internal Created by the broker after validation. */
  constructor(
    broker: AmqpBroker,
    name: string,
    flags: { durable: boolean; autoDelete: boolean; owner: AmqpConnection | null },
    args: Readonly<Record<string, unknown>>,
    settings: QueueArguments,
  ) {
    this.broker = broker;
    this.name = name;
    this.type = settings.type;
    this.durable = flags.durable;
    this.autoDelete = flags.autoDelete;
    this.owner = flags.owner;
    this.arguments = args;
    this.settings = settings;
    this.quorum = settings.type === "quorum";
    this.sac = settings.singleActiveConsumer;
    this.overflow = settings.overflow;
    this.maxLength = settings.maxLength;
    this.maxLengthBytes = settings.maxLengthBytes;
    this.limited = settings.maxLength >= 0 || settings.maxLengthBytes >= 0;
    this.messageTtl = settings.messageTtl;
    this.lastUsedAt = broker.sim.now;
  }

  /** True for exclusive queues. */
  get exclusive(): boolean {
    return this.owner !== null;
  }

  /** Ready messages (expired ones not yet at the head included, as RabbitMQ counts them). */
  get ready(): number {
    return this.readyList.size;
  }

  /** Same as {@link ready}: amqplib's `messageCount`. */
  get messageCount(): number {
    return this.readyList.size;
  }

  /** Delivered messages awaiting ack, nack or reject. */
  get unacked(): number {
    return this.unackedCount;
  }

  /** Consumers attached. */
  get consumerCount(): number {
    return this.consumerList.length;
  }

  /** The consumers, in registration order. */
  get consumers(): readonly Consumer[] {
    return this.consumerList;
  }

  /** Body bytes of the ready messages, measured with the broker's sizer. */
  get bytes(): number {
    if (this.maxLengthBytes >= 0) return this.readyBytes;
    let total = 0;
    for (const entry of this.readyList.toArray()) total += this.broker.sizeOf(entry.message);
    return total;
  }

  /** The ready entries in delivery order (a snapshot). */
  entries(): QueueEntry[] {
    return this.readyList.toArray();
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

  // ------------------------------------------------------------------ publishing

  /** @internal Whether `message` needs its size measured before {@link enqueue}. */
  get needsSize(): boolean {
    return this.maxLengthBytes >= 0;
  }

  /**
   * @internal Takes a routed message. Returns false when the overflow mode refuses it (the
   * publisher is nacked); with `reject-publish-dlx` it is then dead-lettered `maxlen`.
   */
  enqueue(message: AmqpMessage): boolean {
    const broker = this.broker;
    if (this.limited && this.overflow !== "drop-head" && this.wouldOverflow(message)) {
      broker.counters.refused++;
      if (this.overflow === "reject-publish-dlx") {
        broker.deadLetter(this, message, "maxlen");
      } else if (broker.sim.bus.wants("amqp.drop")) {
        broker.sim.bus.emit("amqp.drop", {
          queue: this.name,
          messageId: message.id,
          reason: "reject-publish",
        });
      }
      return false;
    }
    const now = broker.sim.now;
    const entry = new QueueEntry(message, this.nextSeq++, this.expiryFor(message, now));
    broker.counters.enqueued++;
    if (broker.sim.bus.wants("amqp.enqueue")) {
      broker.sim.bus.emit("amqp.enqueue", { queue: this.name, messageId: message.id });
    }
    const ready = this.readyList;
    // Straight to a consumer when one can take it now: RabbitMQ's attempt_delivery. That is also
    // why a TTL-0 message survives when a consumer is ready for it.
    if (ready.size === 0 && this.consumerList.length > 0) {
      const consumer = this.nextConsumer();
      if (consumer !== null) {
        this.deliverTo(consumer, entry);
        return true;
      }
    }
    ready.push(entry);
    if (this.maxLengthBytes >= 0) this.readyBytes += message.size;
    if (this.limited) this.maybeDropHead();
    this.dropExpiredHead();
    this.armTtlTimer();
    return true;
  }

  private wouldOverflow(message: AmqpMessage): boolean {
    return (
      (this.maxLength >= 0 && this.readyList.size + 1 > this.maxLength) ||
      (this.maxLengthBytes >= 0 && this.readyBytes + message.size > this.maxLengthBytes)
    );
  }

  private expiryFor(message: AmqpMessage, now: number): number {
    let ttl = this.messageTtl;
    const own = message.ttl;
    if (own >= 0 && (ttl < 0 || own < ttl)) ttl = own;
    return ttl < 0 ? Number.POSITIVE_INFINITY : now + ttl;
  }

  // ------------------------------------------------------------------ dispatch

  /** @internal Delivers ready messages while some consumer can take them. */
  dispatch(): void {
    const ready = this.readyList;
    if (ready.size === 0 || this.consumerList.length === 0) return;
    const now = this.broker.sim.now;
    while (ready.size > 0) {
      const consumer = this.nextConsumer();
      if (consumer === null) break;
      const entry = ready.peek()!;
      if (entry.expiresAt <= now) {
        this.expireHead();
        continue;
      }
      ready.shift();
      if (this.maxLengthBytes >= 0) this.readyBytes -= entry.message.size;
      this.deliverTo(consumer, entry);
    }
    this.dropExpiredHead();
    this.armTtlTimer();
  }

  /**
   * The next consumer able to take a message, or null; consumers found unable are parked in the
   * blocked list until their channel acks (RabbitMQ's lazy blocking).
   */
  private nextConsumer(): Consumer | null {
    if (this.sac) {
      const active = this.consumerList[0];
      return active !== undefined && this.canSend(active) ? active : null;
    }
    const levels = this.levels;
    for (let i = 0; i < levels.length; i++) {
      const ring = levels[i]!.ring;
      while (ring.size > 0) {
        const consumer = ring.peek()!;
        if (this.canSend(consumer)) {
          this.picked = ring;
          return consumer;
        }
        ring.shift();
        consumer.blocked = true;
        this.blocked.push(consumer);
      }
    }
    return null;
  }

  private canSend(consumer: Consumer): boolean {
    const channel = consumer.channel;
    const suspended = this.suspended;
    if (suspended?.has(channel)) return false;
    if (consumer.noAck) return true;
    if (consumer.prefetch > 0 && consumer.unacked >= consumer.prefetch) return false;
    const limit = channel.globalPrefetch;
    if (limit > 0 && channel.consumerUnacked >= limit) {
      // The channel's limiter says no: this queue treats the channel as suspended until it resumes.
      (this.suspended ??= new Set()).add(channel);
      channel.suspendedIn.add(this);
      return false;
    }
    return true;
  }

  /** Side-effect-free {@link canSend}, for invariant checks. */
  private couldSend(consumer: Consumer): boolean {
    const channel = consumer.channel;
    if (this.suspended?.has(channel)) return false;
    if (consumer.noAck) return true;
    if (consumer.prefetch > 0 && consumer.unacked >= consumer.prefetch) return false;
    return !(channel.globalPrefetch > 0 && channel.consumerUnacked >= channel.globalPrefetch);
  }

  private deliverTo(consumer: Consumer, entry: QueueEntry): void {
    // Round-robin: the consumer served goes to the back of its priority level.
    const ring = this.picked;
    if (!this.sac && ring !== null && ring.size > 1) ring.push(ring.shift()!);
    this.hand(consumer.channel, consumer, entry, !consumer.noAck, -1);
  }

  /** Creates a delivery on `channel`, registers it, and (for a consumer) schedules its handler. */
  private hand(
    channel: AmqpChannel,
    consumer: Consumer | null,
    entry: QueueEntry,
    ackRequired: boolean,
    messageCount: number,
  ): Delivery {
    invariant(entry.state === ENTRY_READY, "delivered a message that is not ready");
    const broker = this.broker;
    const sim = broker.sim;
    const tag = ++channel.lastTag;
    let redelivered = entry.redelivered;
    let properties = entry.message.properties;
    if (this.quorum) {
      redelivered = entry.deliveryCount > 0;
      properties = withDeliveryCount(properties, entry.deliveryCount);
    }
    const delivery = new Delivery(
      tag,
      entry,
      this,
      channel,
      consumer,
      ackRequired,
      messageCount,
      redelivered,
      properties,
      sim.now,
    );
    if (ackRequired) {
      entry.state = ENTRY_UNACKED;
      this.unackedCount++;
      channel.track(delivery);
    } else {
      entry.state = ENTRY_GONE;
    }
    const counters = broker.counters;
    counters.delivered++;
    if (redelivered) counters.redelivered++;
    if (sim.bus.wants("amqp.deliver")) {
      sim.bus.emit("amqp.deliver", {
        queue: this.name,
        messageId: entry.message.id,
        channel: channel.id,
        deliveryTag: tag,
        consumerTag: consumer === null ? null : consumer.tag,
        redelivered,
        noAck: !ackRequired,
      });
    }
    if (consumer !== null) sim.defer(invokeConsumer, delivery);
    return delivery;
  }

  /** @internal `basic.get`: the head message, or null when none is ready. Not limited by prefetch. */
  fetch(channel: AmqpChannel, noAck: boolean): Delivery | null {
    this.touch();
    this.dropExpiredHead();
    const ready = this.readyList;
    const entry = ready.shift();
    if (entry === undefined) {
      this.armTtlTimer();
      return null;
    }
    if (this.maxLengthBytes >= 0) this.readyBytes -= entry.message.size;
    // RabbitMQ drops newly exposed expired messages before it reports the remaining count.
    this.dropExpiredHead();
    const delivery = this.hand(channel, null, entry, !noAck, ready.size);
    this.armTtlTimer();
    return delivery;
  }

  // ------------------------------------------------------------------ settlement

  /** @internal An unacked delivery from this queue was acked. */
  settleAck(entry: QueueEntry): void {
    invariant(entry.state === ENTRY_UNACKED && this.unackedCount > 0, "acked a message that is not unacked");
    entry.state = ENTRY_GONE;
    this.unackedCount--;
  }

  /** @internal Rejected without requeue: dead-letter `rejected`, or discard. */
  settleReject(entry: QueueEntry): void {
    invariant(
      entry.state === ENTRY_UNACKED && this.unackedCount > 0,
      "rejected a message that is not unacked",
    );
    entry.state = ENTRY_GONE;
    this.unackedCount--;
    this.broker.deadLetter(this, entry.message, "rejected");
  }

  /**
   * @internal Requeued (nack/reject with requeue, channel close, recover). Call {@link afterRequeue}
   * once after a batch.
   */
  settleRequeue(entry: QueueEntry): void {
    invariant(
      entry.state === ENTRY_UNACKED && this.unackedCount > 0,
      "requeued a message that is not unacked",
    );
    this.unackedCount--;
    entry.redelivered = true;
    const broker = this.broker;
    if (this.quorum) {
      entry.deliveryCount++;
      const limit = this.settings.deliveryLimit;
      if (limit >= 0 && entry.deliveryCount > limit) {
        entry.state = ENTRY_GONE;
        broker.deadLetter(this, entry.message, "delivery_limit");
        return;
      }
      entry.state = ENTRY_READY;
      if (limit >= 0) {
        this.readyList.pushReturn(entry);
      } else {
        entry.seq = this.nextSeq++;
        this.readyList.push(entry);
      }
    } else {
      entry.state = ENTRY_READY;
      this.readyList.requeue(entry);
    }
    if (this.maxLengthBytes >= 0) this.readyBytes += entry.message.size;
    broker.counters.requeued++;
    if (broker.sim.bus.wants("amqp.requeue")) {
      broker.sim.bus.emit("amqp.requeue", { queue: this.name, messageId: entry.message.id });
    }
  }

  /** @internal After requeues: length limit, expiry at the head, dispatch (RabbitMQ's requeue_and_run). */
  afterRequeue(): void {
    if (this.limited) this.maybeDropHead();
    this.dropExpiredHead();
    this.dispatch();
    this.armTtlTimer();
  }

  private maybeDropHead(): void {
    if (this.overflow !== "drop-head") return;
    const ready = this.readyList;
    const maxLength = this.maxLength;
    const maxBytes = this.maxLengthBytes;
    while ((maxLength >= 0 && ready.size > maxLength) || (maxBytes >= 0 && this.readyBytes > maxBytes)) {
      const entry = ready.shift()!;
      entry.state = ENTRY_GONE;
      if (maxBytes >= 0) this.readyBytes -= entry.message.size;
      this.broker.deadLetter(this, entry.message, "maxlen");
    }
  }

  /** @internal Drops (or dead-letters) expired messages at the head. */
  dropExpiredHead(): void {
    const ready = this.readyList;
    let head = ready.peek();
    if (head === undefined || head.expiresAt === Number.POSITIVE_INFINITY) return;
    const now = this.broker.sim.now;
    while (head !== undefined && head.expiresAt <= now) {
      this.expireHead();
      head = ready.peek();
    }
  }

  private expireHead(): void {
    const entry = this.readyList.shift()!;
    entry.state = ENTRY_GONE;
    if (this.maxLengthBytes >= 0) this.readyBytes -= entry.message.size;
    const broker = this.broker;
    broker.counters.expired++;
    if (broker.sim.bus.wants("amqp.expire")) {
      broker.sim.bus.emit("amqp.expire", { queue: this.name, messageId: entry.message.id });
    }
    broker.deadLetter(this, entry.message, "expired");
  }

  /** Keeps one timer armed for the head's expiry (none without a TTL). */
  private armTtlTimer(): void {
    const head = this.readyList.peek();
    const at = head === undefined ? Number.POSITIVE_INFINITY : head.expiresAt;
    if (at === this.ttlTimerAt) return;
    const sim = this.broker.sim;
    if (this.ttlTimer >= 0) sim.cancel(this.ttlTimer);
    this.ttlTimerAt = at;
    this.ttlTimer =
      at === Number.POSITIVE_INFINITY ? -1 : sim.schedule(Math.max(at, sim.now), onTtlTimer, this);
  }

  /** @internal */
  ttlTimerFired(): void {
    this.ttlTimer = -1;
    this.ttlTimerAt = Number.POSITIVE_INFINITY;
    if (this.deleted) return;
    this.dropExpiredHead();
    this.dispatch();
    this.armTtlTimer();
    this.broker.drainDeadLetters();
  }

  // ------------------------------------------------------------------ consumers

  /** @internal Attaches a consumer and dispatches to it. */
  addConsumer(consumer: Consumer): void {
    this.consumerList.push(consumer);
    this.hadConsumer = true;
    if (consumer.exclusive) this.exclusiveConsumer = consumer;
    if (!this.sac) {
      const level = this.levelFor(consumer.priority, true)!;
      level.members++;
      level.ring.push(consumer);
    }
    this.touch();
    this.dispatch();
  }

  /** @internal Detaches a consumer (cancel, channel close, queue deletion). */
  removeConsumer(consumer: Consumer): void {
    const index = this.consumerList.indexOf(consumer);
    if (index < 0) return;
    this.consumerList.splice(index, 1);
    if (this.exclusiveConsumer === consumer) this.exclusiveConsumer = null;
    if (!this.sac) {
      const level = this.levelFor(consumer.priority, false);
      if (level !== undefined) {
        if (consumer.blocked) this.blocked.splice(this.blocked.indexOf(consumer), 1);
        else level.ring.remove(consumer);
        if (--level.members === 0) this.levels.splice(this.levels.indexOf(level), 1);
      }
    }
    consumer.blocked = false;
    this.touch();
  }

  private levelFor(priority: number, create: boolean): ConsumerLevel | undefined {
    const levels = this.levels;
    let i = 0;
    while (i < levels.length && levels[i]!.priority > priority) i++;
    const found = levels[i];
    if (found !== undefined && found.priority === priority) return found;
    if (!create) return undefined;
    const level: ConsumerLevel = { priority, ring: new Ring<Consumer>(4), members: 0 };
    levels.splice(i, 0, level);
    return level;
  }

  /**
   * @internal A consumer on `channel` regained credit: blocked consumers of that channel with
   * credit go back to the round-robin (RabbitMQ's `unblock/2`).
   */
  unblockFor(channel: AmqpChannel): void {
    const blocked = this.blocked;
    if (blocked.length === 0) return;
    let kept = 0;
    for (let i = 0; i < blocked.length; i++) {
      const consumer = blocked[i]!;
      const hasCredit = consumer.noAck || consumer.prefetch === 0 || consumer.unacked < consumer.prefetch;
      if (consumer.channel === channel && hasCredit) {
        consumer.blocked = false;
        this.levelFor(consumer.priority, false)!.ring.push(consumer);
      } else {
        blocked[kept++] = consumer;
      }
    }
    blocked.length = kept;
  }

  /** @internal `channel`'s global prefetch has room again. */
  resumeChannel(channel: AmqpChannel): void {
    this.suspended?.delete(channel);
    this.unblockFor(channel);
    this.dispatch();
  }

  // ------------------------------------------------------------------ expiry, purge, deletion

  /** @internal The queue was used (declared, consumed from, got from): restarts `x-expires`. */
  touch(): void {
    if (this.settings.expires < 0 || this.deleted) return;
    const sim = this.broker.sim;
    this.lastUsedAt = sim.now;
    if (this.expiryTimer >= 0) sim.cancel(this.expiryTimer);
    this.expiryTimer =
      this.consumerList.length > 0
        ? -1
        : sim.schedule(this.lastUsedAt + this.settings.expires, onQueueExpiry, this);
  }

  /** @internal */
  expiryTimerFired(): void {
    this.expiryTimer = -1;
    if (this.deleted || this.consumerList.length > 0) return;
    this.broker.expireQueue(this);
  }

  /** @internal Removes every ready message (never dead-lettered); returns how many. */
  purge(): number {
    const removed = this.readyList.drain();
    this.readyBytes = 0;
    const bus = this.broker.sim.bus;
    for (const entry of removed) {
      entry.state = ENTRY_GONE;
      if (bus.wants("amqp.drop")) {
        bus.emit("amqp.drop", { queue: this.name, messageId: entry.message.id, reason: "purged" });
      }
    }
    this.broker.counters.dropped += removed.length;
    this.armTtlTimer();
    return removed.length;
  }

  /**
   * @internal Marks the queue deleted: stops its timers and drops its ready messages (never
   * dead-lettered). Consumers, bindings and unacked deliveries are the broker's to clean up.
   * Returns how many ready messages it held.
   */
  destroy(): number {
    const sim = this.broker.sim;
    const count = this.purgeAs("queue-deleted");
    this.deleted = true;
    if (this.ttlTimer >= 0) sim.cancel(this.ttlTimer);
    if (this.expiryTimer >= 0) sim.cancel(this.expiryTimer);
    this.ttlTimer = -1;
    this.expiryTimer = -1;
    this.ttlTimerAt = Number.POSITIVE_INFINITY;
    return count;
  }

  private purgeAs(reason: "queue-deleted"): number {
    const removed = this.readyList.drain();
    this.readyBytes = 0;
    const bus = this.broker.sim.bus;
    for (const entry of removed) {
      entry.state = ENTRY_GONE;
      if (bus.wants("amqp.drop"))
        bus.emit("amqp.drop", { queue: this.name, messageId: entry.message.id, reason });
    }
    this.broker.counters.dropped += removed.length;
    return removed.length;
  }

  /** @internal Forgets a channel that closed. */
  forgetChannel(channel: AmqpChannel): void {
    this.suspended?.delete(channel);
  }

  // ------------------------------------------------------------------ invariants

  /**
   * @internal Asserts this queue's invariants; adds its ready entries to `seen` (each entry must be
   * in exactly one place broker-wide).
   */
  checkInvariants(seen: Set<QueueEntry>, unackedHere: number): void {
    const name = this.name;
    const { main, requeued, returned } = this.readyList.parts();
    const all = [...requeued, ...returned, ...main];
    invariant(
      all.length === this.readyList.size,
      () => `queue ${name}: ready count ${this.readyList.size} ≠ ${all.length} entries`,
    );
    let bytes = 0;
    for (const entry of all) {
      invariant(
        entry.state === ENTRY_READY,
        () => `queue ${name}: ready entry ${entry.message.id} in state ${entry.state}`,
      );
      invariant(!seen.has(entry), () => `queue ${name}: message ${entry.message.id} is in two places`);
      seen.add(entry);
      if (this.maxLengthBytes >= 0) bytes += entry.message.size;
    }
    for (let i = 1; i < main.length; i++) {
      invariant(main[i - 1]!.seq < main[i]!.seq, () => `queue ${name}: ready list out of publication order`);
    }
    if (!this.quorum && requeued.length > 0 && main.length > 0) {
      invariant(
        requeued[requeued.length - 1]!.seq < main[0]!.seq,
        () => `queue ${name}: a requeued message sits behind a newer one`,
      );
    }
    if (this.maxLengthBytes >= 0) {
      invariant(bytes === this.readyBytes, () => `queue ${name}: ready bytes ${this.readyBytes} ≠ ${bytes}`);
    }
    invariant(
      unackedHere === this.unackedCount,
      () => `queue ${name}: unacked count ${this.unackedCount} ≠ ${unackedHere} outstanding deliveries`,
    );
    if (this.overflow === "drop-head") {
      invariant(
        (this.maxLength < 0 || this.readyList.size <= this.maxLength) &&
          (this.maxLengthBytes < 0 || this.readyBytes <= this.maxLengthBytes),
        () => `queue ${name}: over its length limit`,
      );
    }
    if (this.readyList.size > 0) {
      const candidates = this.sac ? this.consumerList.slice(0, 1) : this.consumerList;
      for (const consumer of candidates) {
        invariant(
          !this.couldSend(consumer),
          () => `queue ${name}: ${this.readyList.size} ready while consumer ${consumer.tag} has capacity`,
        );
      }
    }
    const head = this.readyList.peek();
    if (head !== undefined && head.expiresAt !== Number.POSITIVE_INFINITY) {
      invariant(
        this.ttlTimer >= 0 && this.ttlTimerAt <= head.expiresAt,
        () => `queue ${name}: head expiry not scheduled`,
      );
    }
    let members = 0;
    for (const level of this.levels) members += level.members;
    invariant(
      this.sac || members === this.consumerList.length,
      () => `queue ${name}: consumer levels out of sync`,
    );
    for (const consumer of this.consumerList) {
      invariant(
        !consumer.cancelled,
        () => `queue ${name}: cancelled consumer ${consumer.tag} still attached`,
      );
    }
    invariant(!this.deleted, () => `queue ${name}: deleted but still registered`);
  }
}
