import { EventEmitter } from "eventemitter3";
import { InvalidArgumentError } from "../scheduler/errors.js";
import { currentIncarnation, type Droppable, type Incarnation } from "../scheduler/process.js";
import { checkOptions, checkString } from "../scheduler/validate.js";
import { type AmqpError, closedError } from "./amqp-error.js";
import type { AmqpQueue } from "./amqp-queue.js";
import type { AmqpBroker } from "./broker.js";
import { AmqpChannel, type ChannelOptions, checkChannelOptions, type HeldPublish } from "./channel.js";

/**
 * Options of {@link AmqpBroker.connect}.
 *
 * @example
 * ```ts
 * broker.access.addUser("billing", "s3cret");
 * broker.connect({ name: "billing-worker", user: "billing" });
 * ```
 */
export interface ConnectionOptions {
  /** A name for traces. Default `connection-<id>`. */
  name?: string;
  /**
   * The authenticated user (one of `broker.access`'s; see {@link AmqpBroker.connect} for the
   * password); a publish's `userId` property must equal it. Default `"guest"`.
   */
  user?: string;
}

/**
 * Listeners of an {@link AmqpConnection}, called as simulation events.
 *
 * @example
 * ```ts
 * connection.on("close", (error) => console.log("closed", error?.code));
 * ```
 */
export interface AmqpConnectionEvents {
  /** A connection-level error (503, 530, 540) closed it. Emitted before `close`. */
  error: (error: AmqpError) => void;
  /** It closed; `error` is null for a client close. */
  close: (error: AmqpError | null) => void;
  /**
   * `connection.blocked`: a resource alarm is in effect and the connection published; the broker
   * holds its publishes. `reason` is RabbitMQ's: `"low on memory"` or `"low on disk"`.
   */
  blocked: (reason: string) => void;
  /** `connection.unblocked`: every alarm cleared; the held publishes are routed. */
  unblocked: () => void;
}

/** A connection's throttle state, as `rabbit_reader` names it. */
type Throttle = "running" | "blocking" | "blocked";

interface ThrottleNotice {
  connection: AmqpConnection;
  reason: string | null;
}

function deliverThrottle(notice: ThrottleNotice): void {
  const emitter = notice.connection.emitterOrNull;
  if (emitter === null) return;
  if (notice.reason === null) emitter.emit("unblocked");
  else emitter.emit("blocked", notice.reason);
}

interface ConnectionNotice {
  connection: AmqpConnection;
  error: AmqpError | null;
}

function deliverConnectionClose(notice: ConnectionNotice): void {
  const emitter = notice.connection.emitterOrNull;
  if (emitter === null) return;
  if (notice.error !== null) emitter.emit("error", notice.error);
  emitter.emit("close", notice.error);
}

/** What the broker logs when a client vanishes without a close frame. */
const LOST_TEXT = "client unexpectedly closed TCP connection";

/**
 * A client connection: it owns channels and exclusive queues. Closing it closes every channel
 * (requeueing their unacked messages, `redelivered = true`) and then deletes its exclusive queues.
 *
 * Created while a process runs (`sim.spawn`), it belongs to that process: its consumers' handlers
 * run as the process, and when the process crashes the connection is dropped — the broker sees
 * the socket go away and reacts as to a client close (everything unacked is requeued,
 * `redelivered = true`, exclusive queues go), but the dead client hears nothing.
 *
 * @example
 * ```ts
 * const connection = broker.connect();
 * const channel = connection.channel();
 * channel.queue("", { exclusive: true }); // a private reply queue
 * connection.close(); // the queue goes with it
 * ```
 */
export class AmqpConnection implements Droppable {
  /** Broker-wide connection id, from 1. */
  readonly id: number;
  /** Name for traces. */
  readonly name: string;
  /** The authenticated user. */
  readonly user: string;
  /** The broker. */
  readonly broker: AmqpBroker;
  /** @internal Open channels by channel number. */
  readonly channelMap = new Map<number, AmqpChannel>();
  /** @internal Exclusive queues this connection owns. */
  readonly exclusiveQueues = new Set<AmqpQueue>();
  /**
   * @internal The process incarnation that created it (null: none). Its consumers' handlers run
   * as that incarnation, so that their code dies with it.
   */
  readonly owner: Incarnation | null;
  /** Virtual time it opened. */
  readonly openedAt: number;
  private closedFlag = false;
  private lost = false;
  private error: AmqpError | null = null;
  private emitter: EventEmitter<AmqpConnectionEvents> | null = null;
  /** Resource-alarm throttling (see `alarms.ts`). */
  private throttle: Throttle = "running";
  /** Publishes made while blocked, routed in order when unblocked. */
  private held: HeldPublish[] = [];
  private bytesPerMs = Number.POSITIVE_INFINITY;
  /** Consumers on its channels; while there are any, the host process is kept alive. */
  private consumerCount = 0;
  private releaseHost: (() => void) | null = null;

  /** @internal Created by {@link AmqpBroker.connect}. */
  constructor(broker: AmqpBroker, id: number, options: ConnectionOptions | undefined) {
    const name = options?.name ?? `connection-${id}`;
    const user = options?.user ?? "guest";
    checkString(name, "name", "AmqpBroker.connect");
    checkString(user, "user", "AmqpBroker.connect", true);
    this.broker = broker;
    this.id = id;
    this.name = name;
    this.user = user;
    const sim = broker.sim;
    this.openedAt = sim.now;
    this.owner = currentIncarnation(sim);
    if (this.owner !== null) sim.own(this);
    if (broker.alarms.any) this.throttle = "blocking";
  }

  /**
   * True while the broker blocks the connection (`connection.blocked` was sent): its publishes
   * are held until every alarm clears.
   *
   * @example
   * ```ts
   * if (connection.blocked) console.log("publishes are held");
   * ```
   */
  get blocked(): boolean {
    return this.throttle === "blocked";
  }

  /**
   * The speed of the client's network link to the broker, in bytes per virtual millisecond
   * (default `Infinity`). The amqplib facade's write buffers drain at this rate, so `publish`
   * returns false and `'drain'` comes later on a slow link; routing itself is not delayed.
   *
   * @example
   * ```ts
   * connection.clientBytesPerMs = 1000; // about 1 MB/s
   * ```
   */
  get clientBytesPerMs(): number {
    return this.bytesPerMs;
  }

  set clientBytesPerMs(value: number) {
    if (typeof value !== "number" || !(value > 0)) {
      throw new InvalidArgumentError(
        `AmqpConnection.clientBytesPerMs: expected a positive number of bytes per virtual ms (or Infinity), got ${String(value)}.`,
        "INVALID_ARGUMENT",
      );
    }
    this.bytesPerMs = value;
  }

  /**
   * @internal A publish on one of its channels while an alarm throttles the connection: it is
   * held. The first one blocks the connection (RabbitMQ's reader stops reading at that frame) and
   * sends `connection.blocked`. Returns its sequence number (0 outside confirm mode).
   */
  throttlePublish(held: HeldPublish): number {
    if (this.throttle === "blocking") {
      this.throttle = "blocked";
      this.broker.sim.defer(deliverThrottle, { connection: this, reason: this.broker.alarms.reason });
    }
    this.held.push(held);
    return held.seq;
  }

  /** @internal True unless the connection runs unthrottled (the publish path's one check). */
  get throttled(): boolean {
    return this.throttle !== "running";
  }

  /** @internal An alarm was raised (none was in effect). */
  alarmRaised(): void {
    if (this.throttle === "running") this.throttle = "blocking";
  }

  /** @internal The last alarm cleared: unblock, and route the held publishes in order. */
  alarmCleared(): void {
    const was = this.throttle;
    this.throttle = "running";
    if (was !== "blocked") return;
    this.broker.sim.defer(deliverThrottle, { connection: this, reason: null });
    const held = this.held;
    this.held = [];
    for (const publish of held) publish.channel.publishArrived(publish);
  }

  /** True once closed. */
  get closed(): boolean {
    return this.closedFlag;
  }

  /** The connection-level error that closed it, or null. */
  get closeError(): AmqpError | null {
    return this.error;
  }

  /** The open channels, by channel number. */
  get channels(): AmqpChannel[] {
    return [...this.channelMap.values()];
  }

  /**
   * Opens a channel, numbered with the lowest free number from 1.
   *
   * @example
   * ```ts
   * const publisher = connection.channel({ confirm: true });
   * const worker = connection.channel({ prefetch: 1 });
   * ```
   */
  channel(options?: ChannelOptions): AmqpChannel {
    if (this.closedFlag) throw closedError("connection", this.id, this.error);
    checkOptions(options, ["confirm", "prefetch", "globalPrefetch"], "AmqpConnection.channel");
    // Every value checked before the channel id is drawn: a refusal uses up nothing.
    checkChannelOptions(options);
    let number = 1;
    while (this.channelMap.has(number)) number++;
    const channel = new AmqpChannel(this, this.broker.nextChannelId(), number, options);
    this.channelMap.set(number, channel);
    const bus = this.broker.sim.bus;
    if (bus.wants("amqp.channel-open")) {
      bus.emit("amqp.channel-open", { connection: this.id, channel: channel.id, number });
    }
    return channel;
  }

  /**
   * @internal A consumer started on one of its channels. The first one holds the host process
   * open (auto and realtime modes), as a real client's socket does while it waits for deliveries.
   */
  consumerAdded(): void {
    if (this.consumerCount++ === 0) this.releaseHost = this.broker.sim.holdHost();
  }

  /** @internal A consumer went (cancelled, its channel closed): the last one lets the host go. */
  consumerRemoved(): void {
    if (--this.consumerCount === 0) {
      this.releaseHost?.();
      this.releaseHost = null;
    }
  }

  /** Closes every channel (requeueing their unacked messages) and deletes exclusive queues. Idempotent. */
  close(): void {
    this.shutdown(null);
  }

  /**
   * Vanishes without goodbye, as when the client's OS process is killed: no close frame. The
   * broker notices the lost socket at once and closes everything as for a client close (unacked
   * messages requeued with `redelivered = true`, exclusive queues deleted); no listener of this
   * connection or its channels hears of it — they belonged to the dead client. Idempotent. A
   * crashed process drops the connections it owns by itself.
   *
   * @example
   * ```ts
   * const worker = sim.spawn("worker", () => {
   *   broker.connect().channel().consume("jobs", () => {}); // never acks
   * });
   * sim.after(10, () => worker.crash()); // drops the connection: the jobs go back, redelivered
   * ```
   */
  drop(): void {
    if (this.closedFlag) return;
    this.lost = true;
    // The dead client's listeners are gone with it.
    this.emitter = null;
    for (const channel of this.channelMap.values()) channel.forgetListeners();
    this.shutdown(null);
  }

  /** Adds a listener (called as a simulation event). */
  on<E extends keyof AmqpConnectionEvents>(event: E, listener: AmqpConnectionEvents[E]): this {
    // biome-ignore lint/suspicious/noExplicitAny: eventemitter3's listener typing needs the cast.
    (this.emitter ??= new EventEmitter()).on(event, listener as any);
    return this;
  }

  /** Adds a one-shot listener. */
  once<E extends keyof AmqpConnectionEvents>(event: E, listener: AmqpConnectionEvents[E]): this {
    // biome-ignore lint/suspicious/noExplicitAny: see on().
    (this.emitter ??= new EventEmitter()).once(event, listener as any);
    return this;
  }

  /** Removes a listener. */
  off<E extends keyof AmqpConnectionEvents>(event: E, listener: AmqpConnectionEvents[E]): this {
    // biome-ignore lint/suspicious/noExplicitAny: see on().
    this.emitter?.off(event, listener as any);
    return this;
  }

  /** @internal */
  get emitterOrNull(): EventEmitter<AmqpConnectionEvents> | null {
    return this.emitter;
  }

  /** @internal Closes with `error` (null: client close). */
  shutdown(error: AmqpError | null): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.error = error;
    // Publishes the broker never read are gone with the socket.
    this.held = [];
    for (const channel of [...this.channelMap.values()]) channel.shutdown(error, false);
    const broker = this.broker;
    for (const queue of [...this.exclusiveQueues]) broker.removeQueue(queue, "exclusive-owner-closed");
    broker.connectionMap.delete(this.id);
    const bus = broker.sim.bus;
    if (bus.wants("amqp.connection-close")) {
      bus.emit("amqp.connection-close", {
        connection: this.id,
        replyCode: error === null ? null : error.replyCode,
        replyText: error === null ? (this.lost ? LOST_TEXT : null) : error.replyText,
      });
    }
    broker.sim.defer(deliverConnectionClose, { connection: this, error });
    broker.drainDeadLetters();
  }
}
