import { invariant } from "../scheduler/errors.js";
import type { Simulation } from "../scheduler/simulation.js";
import type { QueueChannel } from "./channel.js";
import { type Consumer, invokeConsumer } from "./consumer.js";
import type { DeadLetterReason } from "./dead-letter.js";
import { Delivery } from "./delivery.js";
import { ENTRY_GONE, ENTRY_READY, ENTRY_UNACKED, QueueEntry } from "./entry.js";
import { InFlight } from "./in-flight.js";
import type { OverflowMode, QueueMessage, QueueSettings } from "./message.js";
import { ReadyList } from "./ready-list.js";
import { Ring } from "./ring.js";

/**
 * Counters a queue increments in place on the hot path; its host owns them (a broker sums them
 * over all its queues).
 *
 * @example
 * ```ts
 * const counters: QueueCounters = { enqueued: 0, refused: 0, delivered: 0, redelivered: 0, requeued: 0, expired: 0, dropped: 0 };
 * ```
 */
export interface QueueCounters {
  enqueued: number;
  refused: number;
  delivered: number;
  redelivered: number;
  requeued: number;
  expired: number;
  dropped: number;
}

/**
 * What a queue needs from the broker that owns it: the simulation, counters, a sizer, the
 * dead-letter hook (called with each message the queue gives up: `rejected`, `expired`, `maxlen`,
 * `delivery_limit`; the host decides where it goes, maybe nowhere), and what to do when the queue
 * expires unused.
 *
 * @example
 * ```ts
 * const host = basicQueueHost(sim, { onDeadLetter: (queue, message, reason) => dlq.push(message) });
 * ```
 */
export interface QueueHost<M extends QueueMessage = QueueMessage> {
  readonly sim: Simulation;
  readonly counters: QueueCounters;
  /** Takes a message the queue gave up. Must not call back into the queue synchronously. */
  deadLetter(queue: NamedQueue, message: M, reason: DeadLetterReason): void;
  /** Body size in bytes. */
  sizeOf(message: M): number;
  /** Publishes what {@link deadLetter} collected (called after a timer-driven change). */
  drainDeadLetters(): void;
  /** The queue's `expires` passed unused: delete it. */
  expireQueue(queue: NamedQueue): void;
}

/**
 * A queue as its host's callbacks see it (a host built for a subclass may ask for the subclass).
 *
 * @example
 * ```ts
 * const named: NamedQueue = { name: "jobs" };
 * ```
 */
export interface NamedQueue {
  readonly name: string;
}

/**
 * How in-flight (unacked) work comes back to a queue besides an explicit nack or reject:
 * always when its channel closes or drops (AMQP's rule); with `visibilityTimeoutMs`, also when
 * that long passes without a settlement (the Redis and SQS transports' rule; the message is
 * ready again while the first consumer may still be working on it).
 *
 * @example
 * ```ts
 * const options: QueueOptions = { visibilityTimeoutMs: 3_600_000 }; // kombu's Redis default
 * ```
 */
export interface QueueOptions {
  visibilityTimeoutMs?: number;
}

/** Consumers of one `x-priority`, in round-robin order. */
interface ConsumerLevel<M extends QueueMessage, C extends QueueChannel> {
  readonly priority: number;
  /** Consumers able to receive (lazily: one may turn out blocked when its turn comes). */
  readonly ring: Ring<Consumer<M, C>>;
  /** Consumers of this priority, blocked ones included. */
  members: number;
}

/** The kernel event of a queue's head-expiry timer. */
function onTtlTimer<M extends QueueMessage, C extends QueueChannel>(queue: ConsumableQueue<M, C>): void {
  queue.ttlTimerFired();
}

/** The kernel event of a queue's `expires` timer. */
function onQueueExpiry<M extends QueueMessage, C extends QueueChannel>(queue: ConsumableQueue<M, C>): void {
  queue.expiryTimerFired();
}

/**
 * The consumable queue every broker model builds on (RabbitMQ's classic and quorum queues, the
 * task layer's Redis and SQS transports):
 *
 * - **Ready list**: FIFO in publication order; a requeued message returns to its original
 *   position (`classic`) or to the tail / the returns list (`quorum`, see {@link ReadyList}).
 * - **Dispatch**: synchronous, when the state changes (a publish, an ack, a new consumer): the
 *   head goes to the next consumer, round-robin within the highest priority, skipping (and
 *   parking as blocked, like RabbitMQ's `rabbit_queue_consumers`) consumers without spare
 *   prefetch capacity or whose channel reached its global prefetch. The delivery is registered
 *   on the channel at once (tag, unacked) and the handler runs as a deferred simulation event,
 *   so consumers run inside the simulation in (time, sequence) order.
 * - **TTL**: each message expires at enqueue time + the smaller of the queue's `messageTtl` and
 *   its own `ttl`; expired messages leave only from the head (a message behind a live one stays
 *   counted, and is never delivered), checked by one timer per queue armed for its head.
 *   A message that a consumer can take at once is delivered even with TTL 0.
 * - **Length limits** count ready messages only; `overflow` decides who goes.
 * - **Dead-lettering** goes through the host's hook (`rejected`, `expired`, `maxlen`,
 *   `delivery_limit`).
 * - **In-flight work returns** when its channel closes or drops, or (with `visibilityTimeoutMs`)
 *   when it stays unacked that long.
 *
 * Subclasses add a broker's own surface (the RabbitMQ model's `AmqpQueue` adds bindings,
 * exclusive owners and `amqp.*` events) by overriding the protected `on…` hooks, which do nothing
 * here.
 *
 * @example
 * ```ts
 * const host = basicQueueHost(sim);
 * const jobs = new ConsumableQueue(host, "jobs", queueSettings({ maxLength: 1000 }), { visibilityTimeoutMs: 30_000 });
 * const worker = new BasicChannel(sim, "worker-1");
 * worker.consume(jobs, (d) => d.ack(), { prefetch: 4 });
 * jobs.enqueue(message);
 * ```
 */
export class ConsumableQueue<M extends QueueMessage = QueueMessage, C extends QueueChannel = QueueChannel> {
  /** Queue name. */
  readonly name: string;
  /** `classic` or `quorum` requeue discipline. */
  readonly type: QueueSettings["type"];
  /** Parsed settings. */
  readonly settings: Readonly<QueueSettings>;
  /** Unacked work older than this returns to the queue; +Infinity = only when its channel goes. */
  readonly visibilityTimeoutMs: number;
  /** True once deleted. */
  deleted = false;

  /** @internal */
  readonly readyList = new ReadyList<QueueEntry<M>>();
  /** @internal Delivered, not yet settled. */
  unackedCount = 0;
  /** @internal Ready body bytes, kept only when `maxLengthBytes` is set. */
  readyBytes = 0;
  /** @internal Consumers in registration order. */
  readonly consumerList: Consumer<M, C>[] = [];
  /** @internal The exclusive consumer, if any. */
  exclusiveConsumer: Consumer<M, C> | null = null;
  /** @internal True once a consumer came (auto-delete waits for that). */
  hadConsumer = false;

  /** @internal */
  protected readonly host: QueueHost<M>;
  private readonly quorum: boolean;
  private readonly sac: boolean;
  private readonly overflow: OverflowMode;
  private readonly maxLength: number;
  private readonly maxLengthBytes: number;
  private readonly limited: boolean;
  private readonly messageTtl: number;
  private nextSeq = 0;
  private readonly levels: ConsumerLevel<M, C>[] = [];
  private readonly blocked: Consumer<M, C>[] = [];
  private picked: Ring<Consumer<M, C>> | null = null;
  private suspended: Set<C> | null = null;
  private ttlTimer = -1;
  private ttlTimerAt = Number.POSITIVE_INFINITY;
  private expiryTimer = -1;
  private lastUsedAt: number;
  private readonly inFlight: InFlight<M, C> | null;

  /** Creates a queue; `settings` must be validated already (see `queueSettings`). */
  constructor(host: QueueHost<M>, name: string, settings: QueueSettings, options?: QueueOptions) {
    this.host = host;
    this.name = name;
    this.type = settings.type;
    this.settings = settings;
    this.quorum = settings.type === "quorum";
    this.sac = settings.singleActiveConsumer;
    this.overflow = settings.overflow;
    this.maxLength = settings.maxLength;
    this.maxLengthBytes = settings.maxLengthBytes;
    this.limited = settings.maxLength >= 0 || settings.maxLengthBytes >= 0;
    this.messageTtl = settings.messageTtl;
    this.lastUsedAt = host.sim.now;
    const visibility = options?.visibilityTimeoutMs ?? Number.POSITIVE_INFINITY;
    this.visibilityTimeoutMs = visibility;
    this.inFlight = visibility === Number.POSITIVE_INFINITY ? null : new InFlight(this, visibility);
  }

  // ------------------------------------------------------------------ hooks

  /** Called when an overflow mode refuses a publish (after counting it). */
  protected onRefused(_message: M, _deadLettered: boolean): void {}
  /** Called when a message starts its stay. */
  protected onEnqueued(_message: M): void {}
  /** Called for every delivery, after it is registered and before its handler is scheduled. */
  protected onDelivered(_delivery: Delivery<M, C>): void {}
  /** Called when a message returns to the ready list. */
  protected onRequeued(_entry: QueueEntry<M>): void {}
  /** Called when the head expires, before it is dead-lettered. */
  protected onExpired(_entry: QueueEntry<M>): void {}
  /** Called for each ready message removed by a purge or a deletion. */
  protected onDropped(_entry: QueueEntry<M>, _reason: "purged" | "queue-deleted"): void {}
  /** Quorum discipline: the properties a delivery carries (the RabbitMQ model adds `x-delivery-count`). */
  protected deliveryProperties(entry: QueueEntry<M>): M["properties"] {
    return entry.message.properties;
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
  get consumers(): readonly Consumer<M, C>[] {
    return this.consumerList;
  }

  /** Body bytes of the ready messages, measured with the host's sizer. */
  get bytes(): number {
    if (this.maxLengthBytes >= 0) return this.readyBytes;
    let total = 0;
    for (const entry of this.readyList.toArray()) total += this.host.sizeOf(entry.message);
    return total;
  }

  /** The ready entries in delivery order (a snapshot). */
  entries(): QueueEntry<M>[] {
    return this.readyList.toArray();
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
  enqueue(message: M): boolean {
    const host = this.host;
    if (this.limited && this.overflow !== "drop-head" && this.wouldOverflow(message)) {
      host.counters.refused++;
      if (this.overflow === "reject-publish-dlx") {
        host.deadLetter(this, message, "maxlen");
        this.onRefused(message, true);
      } else {
        this.onRefused(message, false);
      }
      return false;
    }
    const now = host.sim.now;
    const entry = new QueueEntry(message, this.nextSeq++, this.expiryFor(message, now));
    host.counters.enqueued++;
    this.onEnqueued(message);
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

  private wouldOverflow(message: M): boolean {
    return (
      (this.maxLength >= 0 && this.readyList.size + 1 > this.maxLength) ||
      (this.maxLengthBytes >= 0 && this.readyBytes + message.size > this.maxLengthBytes)
    );
  }

  private expiryFor(message: M, now: number): number {
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
    const now = this.host.sim.now;
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
  private nextConsumer(): Consumer<M, C> | null {
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

  private canSend(consumer: Consumer<M, C>): boolean {
    const channel = consumer.channel;
    const suspended = this.suspended;
    if (suspended?.has(channel)) return false;
    if (consumer.noAck) return true;
    if (consumer.prefetch > 0 && consumer.unacked >= consumer.prefetch) return false;
    const limit = channel.globalPrefetch;
    if (limit > 0 && channel.consumerUnacked >= limit) {
      // The channel's limiter says no: this queue treats the channel as suspended until it resumes.
      (this.suspended ??= new Set()).add(channel);
      channel.suspendedIn.add(this as ConsumableQueue<M, C>);
      return false;
    }
    return true;
  }

  /** Side-effect-free {@link canSend}, for invariant checks. */
  private couldSend(consumer: Consumer<M, C>): boolean {
    const channel = consumer.channel;
    if (this.suspended?.has(channel)) return false;
    if (consumer.noAck) return true;
    if (consumer.prefetch > 0 && consumer.unacked >= consumer.prefetch) return false;
    return !(channel.globalPrefetch > 0 && channel.consumerUnacked >= channel.globalPrefetch);
  }

  private deliverTo(consumer: Consumer<M, C>, entry: QueueEntry<M>): void {
    // Round-robin: the consumer served goes to the back of its priority level.
    const ring = this.picked;
    if (!this.sac && ring !== null && ring.size > 1) ring.push(ring.shift()!);
    this.hand(consumer.channel, consumer, entry, !consumer.noAck, -1);
  }

  /** Creates a delivery on `channel`, registers it, and (for a consumer) schedules its handler. */
  private hand(
    channel: C,
    consumer: Consumer<M, C> | null,
    entry: QueueEntry<M>,
    ackRequired: boolean,
    messageCount: number,
  ): Delivery<M, C> {
    invariant(entry.state === ENTRY_READY, "delivered a message that is not ready");
    const host = this.host;
    const sim = host.sim;
    const tag = ++channel.lastTag;
    let redelivered = entry.redelivered;
    let properties: M["properties"] = entry.message.properties;
    if (this.quorum) {
      redelivered = entry.deliveryCount > 0;
      properties = this.deliveryProperties(entry);
    }
    const delivery = new Delivery<M, C>(
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
      if (this.inFlight !== null) this.inFlight.add(delivery);
    } else {
      entry.state = ENTRY_GONE;
    }
    const counters = host.counters;
    counters.delivered++;
    if (redelivered) counters.redelivered++;
    this.onDelivered(delivery);
    if (consumer !== null) sim.defer(invokeConsumer, delivery);
    return delivery;
  }

  /** @internal `basic.get`: the head message, or null when none is ready. Not limited by prefetch. */
  fetch(channel: C, noAck: boolean): Delivery<M, C> | null {
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
  settleAck(entry: QueueEntry<M>): void {
    invariant(entry.state === ENTRY_UNACKED && this.unackedCount > 0, "acked a message that is not unacked");
    entry.state = ENTRY_GONE;
    this.unackedCount--;
  }

  /** @internal Rejected without requeue: dead-letter `rejected`, or discard. */
  settleReject(entry: QueueEntry<M>): void {
    invariant(
      entry.state === ENTRY_UNACKED && this.unackedCount > 0,
      "rejected a message that is not unacked",
    );
    entry.state = ENTRY_GONE;
    this.unackedCount--;
    this.host.deadLetter(this, entry.message, "rejected");
  }

  /**
   * @internal Requeued (nack/reject with requeue, channel close, recover). Call {@link afterRequeue}
   * once after a batch.
   */
  settleRequeue(entry: QueueEntry<M>): void {
    invariant(
      entry.state === ENTRY_UNACKED && this.unackedCount > 0,
      "requeued a message that is not unacked",
    );
    this.unackedCount--;
    entry.redelivered = true;
    const host = this.host;
    if (this.quorum) {
      entry.deliveryCount++;
      const limit = this.settings.deliveryLimit;
      if (limit >= 0 && entry.deliveryCount > limit) {
        entry.state = ENTRY_GONE;
        host.deadLetter(this, entry.message, "delivery_limit");
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
    host.counters.requeued++;
    this.onRequeued(entry);
  }

  /** The simulation the queue lives in. */
  get simulation(): Simulation {
    return this.host.sim;
  }

  /**
   * @internal The visibility timeout of an unacked delivery passed: the message is ready again
   * (redelivered = true) while its first consumer may still work on it; that consumer's ack will
   * change nothing. Returns false when it was settled meanwhile.
   */
  lapse(delivery: Delivery<M, C>): boolean {
    if (delivery.settled || delivery.entry.state !== ENTRY_UNACKED || this.deleted) return false;
    delivery.settled = true;
    delivery.lapsed = true;
    delivery.channel.forget(delivery);
    this.settleRequeue(delivery.entry);
    if (!delivery.channel.closed) this.unblockFor(delivery.channel);
    return true;
  }

  /** @internal After a batch of {@link lapse}s. */
  afterLapse(): void {
    this.afterRequeue();
    this.host.drainDeadLetters();
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
      this.host.deadLetter(this, entry.message, "maxlen");
    }
  }

  /** @internal Drops (or dead-letters) expired messages at the head. */
  dropExpiredHead(): void {
    const ready = this.readyList;
    let head = ready.peek();
    if (head === undefined || head.expiresAt === Number.POSITIVE_INFINITY) return;
    const now = this.host.sim.now;
    while (head !== undefined && head.expiresAt <= now) {
      this.expireHead();
      head = ready.peek();
    }
  }

  private expireHead(): void {
    const entry = this.readyList.shift()!;
    entry.state = ENTRY_GONE;
    if (this.maxLengthBytes >= 0) this.readyBytes -= entry.message.size;
    const host = this.host;
    host.counters.expired++;
    this.onExpired(entry);
    host.deadLetter(this, entry.message, "expired");
  }

  /** Keeps one timer armed for the head's expiry (none without a TTL). */
  private armTtlTimer(): void {
    const head = this.readyList.peek();
    const at = head === undefined ? Number.POSITIVE_INFINITY : head.expiresAt;
    if (at === this.ttlTimerAt) return;
    const sim = this.host.sim;
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
    this.host.drainDeadLetters();
  }

  // ------------------------------------------------------------------ consumers

  /** @internal Attaches a consumer and dispatches to it. */
  addConsumer(consumer: Consumer<M, C>): void {
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
  removeConsumer(consumer: Consumer<M, C>): void {
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

  private levelFor(priority: number, create: boolean): ConsumerLevel<M, C> | undefined {
    const levels = this.levels;
    let i = 0;
    while (i < levels.length && levels[i]!.priority > priority) i++;
    const found = levels[i];
    if (found !== undefined && found.priority === priority) return found;
    if (!create) return undefined;
    const level: ConsumerLevel<M, C> = { priority, ring: new Ring<Consumer<M, C>>(4), members: 0 };
    levels.splice(i, 0, level);
    return level;
  }

  /**
   * @internal A consumer on `channel` regained credit: blocked consumers of that channel with
   * credit go back to the round-robin (RabbitMQ's `unblock/2`).
   */
  unblockFor(channel: C): void {
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
  resumeChannel(channel: C): void {
    this.suspended?.delete(channel);
    this.unblockFor(channel);
    this.dispatch();
  }

  // ------------------------------------------------------------------ expiry, purge, deletion

  /** @internal The queue was used (declared, consumed from, got from): restarts `x-expires`. */
  touch(): void {
    if (this.settings.expires < 0 || this.deleted) return;
    const sim = this.host.sim;
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
    this.host.expireQueue(this);
  }

  /** @internal Removes every ready message (never dead-lettered); returns how many. */
  purge(): number {
    const removed = this.readyList.drain();
    this.readyBytes = 0;
    for (const entry of removed) {
      entry.state = ENTRY_GONE;
      this.onDropped(entry, "purged");
    }
    this.host.counters.dropped += removed.length;
    this.armTtlTimer();
    return removed.length;
  }

  /**
   * @internal Marks the queue deleted: stops its timers and drops its ready messages (never
   * dead-lettered). Consumers, bindings and unacked deliveries are the broker's to clean up.
   * Returns how many ready messages it held.
   */
  destroy(): number {
    const sim = this.host.sim;
    const count = this.purgeAs("queue-deleted");
    this.deleted = true;
    if (this.ttlTimer >= 0) sim.cancel(this.ttlTimer);
    if (this.expiryTimer >= 0) sim.cancel(this.expiryTimer);
    this.ttlTimer = -1;
    this.expiryTimer = -1;
    this.ttlTimerAt = Number.POSITIVE_INFINITY;
    this.inFlight?.stop();
    return count;
  }

  private purgeAs(reason: "queue-deleted"): number {
    const removed = this.readyList.drain();
    this.readyBytes = 0;
    for (const entry of removed) {
      entry.state = ENTRY_GONE;
      this.onDropped(entry, reason);
    }
    this.host.counters.dropped += removed.length;
    return removed.length;
  }

  /** @internal Forgets a channel that closed. */
  forgetChannel(channel: C): void {
    this.suspended?.delete(channel);
  }

  // ------------------------------------------------------------------ invariants

  /**
   * @internal Asserts this queue's invariants; adds its ready entries to `seen` (each entry must be
   * in exactly one place broker-wide).
   */
  checkInvariants(seen: Set<QueueEntry<M>>, unackedHere: number): void {
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
