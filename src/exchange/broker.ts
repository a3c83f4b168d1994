import "./events.js";
import type { DeadLetterReason } from "../queue/dead-letter.js";
import { ENTRY_GONE, ENTRY_UNACKED, type QueueEntry } from "../queue/entry.js";
import { describeValue } from "../scheduler/describe-value.js";
import { BrokerlabError, InvalidArgumentError, invariant } from "../scheduler/errors.js";
import type { RandomSource } from "../scheduler/random.js";
import type { Simulation } from "../scheduler/simulation.js";
import { stableStringify } from "../scheduler/trace.js";
import { checkFunction, checkInteger, checkOneOf, checkOptions, checkString } from "../scheduler/validate.js";
import { AccessControl, accessRefused, type Grants, type Permission } from "./access-control.js";
import { type AlarmResource, BrokerAlarms } from "./alarms.js";
import { AmqpError, notFound, resourceLocked, resourceName } from "./amqp-error.js";
import { AmqpQueue } from "./amqp-queue.js";
import {
  assertArgsEquivalent,
  assertFieldEquivalent,
  booleanOption,
  checkDeclareOptions,
  checkShortString,
  definedEntries,
  EQUIVALENT_EXCHANGE_ARGS,
  EQUIVALENT_QUEUE_ARGS,
  EXCHANGE_OPTION_NAMES,
  type ExchangeOptions,
  parseQueueArguments,
  QUEUE_OPTION_NAMES,
  type QueueOptions,
  queueArgumentsFrom,
} from "./arguments.js";
import type { AmqpChannel } from "./channel.js";
import { AmqpConnection, type ConnectionOptions } from "./connection.js";
import { DeadLetterPublisher } from "./dead-lettering.js";
import { DIRECT_REPLY_TO, DirectReplyTo, REPLY_TO_PREFIX } from "./direct-reply-to.js";
import { Binding, type Destination, EXCHANGE_TYPES, Exchange, type ExchangeType } from "./exchange.js";
import { type HeadersMatchOptions, type NumericEquality, validateXMatch } from "./headers-match.js";
import {
  AmqpMessage,
  defaultSizer,
  type MessageProperties,
  type PublishOptions,
  PublishParser,
  type Sizer,
} from "./message.js";
import { AmqpNetwork } from "./network.js";
import { Router } from "./router.js";
import { checkRoutingKey } from "./routing-key.js";

/**
 * Options of {@link AmqpBroker}.
 *
 * @example
 * ```ts
 * new AmqpBroker(sim, { headersNumericEquality: "exact", consumerTimeoutMs: 60_000 });
 * ```
 */
export interface AmqpBrokerOptions {
  /**
   * How headers exchanges compare numbers: `"erlang-3.10"` (default; integer 1 equals float 1.0,
   * as RabbitMQ 3.10) or `"exact"` (as later releases).
   */
  headersNumericEquality?: NumericEquality;
  /** Measures message bodies for `x-max-length-bytes`. Default {@link defaultSizer}. */
  sizer?: Sizer;
  /**
   * Close a channel (406) whose oldest unacked delivery is older than this (RabbitMQ's
   * `consumer_timeout`, 30 minutes by default in 3.10). Default null (off): an armed timer would
   * make `sim.run()` advance virtual time to it. RabbitMQ checks on a periodic tick; brokerlab
   * checks at exactly the deadline.
   */
  consumerTimeoutMs?: number | null;
  /**
   * The heartbeat timeout in ms (RabbitMQ 3.10's default `heartbeat` is 60 s): a client cut off
   * from the broker this long loses its connections (see {@link AmqpBroker.heartbeatTimeout}).
   * Default 60 000.
   */
  heartbeatTimeoutMs?: number;
  /** The virtual host this broker is (it names resources in access errors). Default `"/"`. */
  vhost?: string;
  /**
   * The node's users, virtual hosts and permissions, shared by the brokers (virtual hosts) of one
   * node. Default: a fresh {@link AccessControl} (user `guest`/`guest` with `.* .* .*` on `/`).
   */
  access?: AccessControl;
}

/**
 * Options of {@link AmqpBroker.connect}: the connection's own options plus its login.
 *
 * @example
 * ```ts
 * broker.connect({ user: "billing", password: "s3cret", name: "billing-worker" });
 * ```
 */
export interface AmqpConnectOptions extends ConnectionOptions {
  /**
   * The user's password, checked against {@link AmqpBroker.access} (a wrong one is 403
   * ACCESS_REFUSED). Omitted: a trusted in-process client — the user must exist, its password
   * is not checked.
   */
  password?: string;
  /** The SASL mechanism named in a refused login's text (`PLAIN` or `AMQPLAIN`). Default `PLAIN`. */
  mechanism?: string;
}

/**
 * Options of {@link AmqpBroker.restart}.
 *
 * @example
 * ```ts
 * broker.restart({ downMs: 5000 });
 * ```
 */
export interface RestartOptions {
  /** How long the broker is down (connects are refused, `BROKER_DOWN`). Default 0. */
  downMs?: number;
}

/**
 * Counters and gauges of a broker, as {@link AmqpBroker.stats} reports them.
 *
 * @example
 * ```ts
 * const { published, acked, ready } = broker.stats();
 * ```
 */
export interface AmqpStats extends AmqpCounters {
  /** Exchanges, the predeclared ones included. */
  exchanges: number;
  queues: number;
  bindings: number;
  connections: number;
  channels: number;
  consumers: number;
  /** Ready messages over all queues. */
  ready: number;
  /** Unacked deliveries over all queues. */
  unacked: number;
}

/**
 * @internal The counters part of {@link AmqpStats}, incremented in place on the hot path.
 *
 * @example
 * ```ts
 * broker.counters.acked++;
 * ```
 */
export interface AmqpCounters {
  /** Client publishes accepted (dead-lettered copies not included). */
  published: number;
  /** Publishes that reached at least one queue. */
  routed: number;
  /** Publishes that reached none. */
  unroutable: number;
  /** Unroutable mandatory publishes returned. */
  returned: number;
  /** Messages that started a stay in a queue (one per queue reached). */
  enqueued: number;
  /** Publishes refused by a queue's `x-overflow: reject-publish*`. */
  refused: number;
  delivered: number;
  redelivered: number;
  acked: number;
  /** Deliveries nacked or rejected (with or without requeue). */
  nacked: number;
  requeued: number;
  expired: number;
  /** Messages handed to a dead-letter exchange (copies routed or not). */
  deadLettered: number;
  /** Messages discarded: no DLX, purge, deletion, reject-publish, dead-letter cycles, … */
  dropped: number;
  /** Publisher confirms sent as ack / as nack. */
  confirmsAcked: number;
  confirmsNacked: number;
}

/**
 * What {@link AmqpBroker.publish} did with a message.
 *
 * @example
 * ```ts
 * const outcome = broker.publish("orders", "eu.created", { id: 1 }, { mandatory: true });
 * outcome.queues; // ["eu-orders", "audit"]
 * ```
 */
export interface PublishOutcome {
  /** The message number, as in events. */
  messageId: number;
  /** Queues that took the message. */
  queues: string[];
  /** Queues that refused it (`x-overflow: reject-publish*`); a confirm channel would get a nack. */
  refused: string[];
  /** Unroutable and mandatory: a channel would get a return (312 NO_ROUTE). */
  returned: boolean;
}

/** The exchanges every RabbitMQ virtual host starts with. */
const PREDECLARED: ReadonlyArray<readonly [string, ExchangeType, boolean]> = [
  ["", "direct", false],
  ["amq.direct", "direct", false],
  ["amq.fanout", "fanout", false],
  ["amq.topic", "topic", false],
  ["amq.headers", "headers", false],
  ["amq.match", "headers", false],
  ["amq.rabbitmq.trace", "topic", true],
];

const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/**
 * A RabbitMQ 3.10 broker (one virtual host) inside a {@link Simulation}: exchanges, queues,
 * bindings, connections and channels, with RabbitMQ's routing, dispatch, acknowledgement, TTL,
 * length-limit, dead-lettering and error semantics. Each class documents its part
 * ({@link AmqpChannel}, {@link AmqpQueue}, {@link Exchange}, {@link DeadLetterPublisher}); in short:
 *
 * - **Topology**: `exchange`, `queue`, `bind`, `bindExchange`, `unbind`, `deleteQueue`,
 *   `deleteExchange`, `purge` here (no connection: exclusive queues need a channel) or on a
 *   channel (where a broker error closes the channel, as in AMQP).
 * - **Publishing** routes and enqueues synchronously, at the call: after `publish` returns, the
 *   queues hold the message (or refused it), and a consumer that could take it has it as an
 *   unacked delivery. What the client would receive — handler calls, returns, confirms, close and
 *   cancel notifications — arrives as later simulation events, in the order RabbitMQ sends them
 *   (a return before its confirm; a channel's deliveries in delivery-tag order).
 * - **Dead-lettering** is routed at the end of the operation that caused it (after the publish,
 *   ack or timer), like RabbitMQ's asynchronous dead-letter publishing, never re-entrantly.
 * - **Events**: every change is reported on `sim.bus` (`amqp.*`, see `events.ts`), built only
 *   when someone listens.
 *
 * @example
 * ```ts
 * const sim = new Simulation({ seed: 1 });
 * const broker = new AmqpBroker(sim);
 * broker.exchange("orders", "topic");
 * broker.queue("eu-orders");
 * broker.bind("eu-orders", "orders", "eu.#");
 *
 * const channel = broker.connect().channel();
 * channel.consume("eu-orders", (d) => {
 *   console.log(d.routingKey, d.content);
 *   d.ack();
 * });
 * channel.publish("orders", "eu.created", { id: 1 });
 * await sim.run(); // eu.created { id: 1 }
 * ```
 */
export class AmqpBroker {
  /** The simulation the broker lives in. */
  readonly sim: Simulation;
  /** @internal */
  readonly counters: AmqpCounters = {
    published: 0,
    routed: 0,
    unroutable: 0,
    returned: 0,
    enqueued: 0,
    refused: 0,
    delivered: 0,
    redelivered: 0,
    acked: 0,
    nacked: 0,
    requeued: 0,
    expired: 0,
    deadLettered: 0,
    dropped: 0,
    confirmsAcked: 0,
    confirmsNacked: 0,
  };
  /** @internal The consumer timeout in ms, or null. */
  readonly consumerTimeoutMs: number | null;
  /** The heartbeat timeout in ms (see {@link AmqpBrokerOptions.heartbeatTimeoutMs}). */
  readonly heartbeatTimeoutMs: number;
  /**
   * The request seam between clients and this broker: a fault hook sees every publish, confirm,
   * ack and basic.get (see `network.ts`).
   */
  readonly network = new AmqpNetwork();
  /** Resource alarms (memory, disk) and the connection blocking they cause; see `alarms.ts`. */
  readonly alarms: BrokerAlarms = new BrokerAlarms(this);
  /** The virtual host this broker is. */
  readonly vhost: string;
  /** Users, virtual hosts and permissions (`rabbitmqctl`-style methods: `addUser`, `setPermissions`, …). */
  readonly access: AccessControl;
  /** @internal Direct Reply-to (`amq.rabbitmq.reply-to`). */
  readonly directReplyTo: DirectReplyTo;
  /** True while no user can be refused anything in this vhost: the checks are skipped. */
  private openAccess: boolean;
  /** One-entry cache of the last checked user's grants (publishes check on the hot path). */
  private grantsUser = "";
  private grantsVersion = -1;
  private grantsCached: Grants | null = null;
  /** Virtual time until which the broker is down after a {@link restart}. */
  private downUntil = Number.NEGATIVE_INFINITY;

  private readonly exchangeMap = new Map<string, Exchange>();
  private readonly queueMap = new Map<string, AmqpQueue>();
  /** @internal Open connections by id. */
  readonly connectionMap = new Map<number, AmqpConnection>();
  /** @internal The routing walk, shared with dead-lettering. */
  readonly router: Router;
  private readonly parser = new PublishParser();
  private readonly sizer: Sizer;
  private readonly headersOptions: HeadersMatchOptions | undefined;
  private readonly random: RandomSource;
  private readonly deadLetters: DeadLetterPublisher;
  private messageSeq = 0;
  private connectionSeq = 0;
  private channelSeq = 0;
  /** The next server-generated name's random part, drawn but not yet used (see {@link peekName}). */
  private pendingSuffix: string | null = null;
  /** Declared queues with `x-max-length-bytes` (their bodies are measured at publish). */
  private byteLimitedQueues = 0;

  constructor(sim: Simulation, options: AmqpBrokerOptions = {}) {
    if (!isSimulation(sim)) {
      throw new InvalidArgumentError(
        `AmqpBroker: the first argument must be a Simulation (new AmqpBroker(sim, options)), got ${describeValue(sim)}.`,
      );
    }
    checkOptions(
      options,
      ["headersNumericEquality", "sizer", "consumerTimeoutMs", "heartbeatTimeoutMs", "vhost", "access"],
      "AmqpBroker",
    );
    const equality = options.headersNumericEquality ?? "erlang-3.10";
    checkOneOf(equality, ["erlang-3.10", "exact"], "headersNumericEquality", "AmqpBroker");
    if (options.sizer !== undefined) checkFunction(options.sizer, "sizer", "AmqpBroker");
    const timeout = options.consumerTimeoutMs ?? null;
    if (timeout !== null) checkInteger(timeout, "consumerTimeoutMs", "AmqpBroker", 1);
    const heartbeat = options.heartbeatTimeoutMs ?? 60_000;
    checkInteger(heartbeat, "heartbeatTimeoutMs", "AmqpBroker", 1);
    this.heartbeatTimeoutMs = heartbeat;
    const vhost = options.vhost ?? "/";
    checkString(vhost, "vhost", "AmqpBroker");
    if (options.access !== undefined && !(options.access instanceof AccessControl)) {
      throw new InvalidArgumentError("AmqpBroker: access must be an AccessControl.");
    }
    this.vhost = vhost;
    this.access = options.access ?? new AccessControl();
    this.access.onUserDeleted((user) => this.closeConnectionsOf(user));
    this.openAccess = this.access.everyoneUnrestricted(vhost);
    this.access.onChange(() => {
      this.openAccess = this.access.everyoneUnrestricted(vhost);
    });
    this.sim = sim;
    this.sizer = options.sizer ?? defaultSizer;
    // The 3.10 default is headersMatch's own default: pass no options, so matching validates none.
    this.headersOptions = equality === "exact" ? { numericEquality: "exact" } : undefined;
    this.consumerTimeoutMs = timeout;
    // One name stream per virtual host, named by the vhost (the default one keeps the stream it always
    // had): a server-named queue in one vhost never renames those of another.
    this.random = sim.random.fork(vhost === "/" ? "amqp-names" : `amqp-names:${vhost}`);
    this.router = new Router(this.exchangeMap);
    this.deadLetters = new DeadLetterPublisher(this);
    this.directReplyTo = new DirectReplyTo(this);
    for (const [name, type, internal] of PREDECLARED) {
      const exchange = new Exchange(
        name,
        type,
        { durable: true, autoDelete: false, internal, arguments: {}, alternateExchange: null },
        this.headersOptions,
      );
      if (name === "") exchange.defaultQueues = this.queueMap;
      this.exchangeMap.set(name, exchange);
    }
  }

  // ------------------------------------------------------------------ resource alarms

  /**
   * Raises a resource alarm, as RabbitMQ does when memory use passes its high watermark or free
   * disk falls below its limit: each connection is blocked (`connection.blocked`) when it next
   * publishes; its publishes are held until every alarm is cleared. See `alarms.ts`.
   *
   * @example
   * ```ts
   * broker.raiseAlarm("memory");
   * ```
   */
  raiseAlarm(resource: AlarmResource): void {
    this.alarms.raise(resource);
  }

  /**
   * Clears a resource alarm; once none is left, blocked connections get `connection.unblocked`
   * and their held publishes are routed, in order.
   *
   * @example
   * ```ts
   * broker.clearAlarm("memory");
   * ```
   */
  clearAlarm(resource: AlarmResource): void {
    this.alarms.clear(resource);
  }

  /**
   * Turns on the automatic memory alarm: every 2500 virtual ms (RabbitMQ's memory monitor
   * interval) the broker compares the body bytes of all ready messages with `bytes`, raising the
   * memory alarm above it and clearing it at or below. `null` turns it off (the default).
   *
   * @example
   * ```ts
   * broker.setMemoryHighWatermark(64 * 1024 * 1024);
   * ```
   */
  setMemoryHighWatermark(bytes: number | null): void {
    this.alarms.setMemoryHighWatermark(bytes);
  }

  /** @internal Body bytes of every queue's ready messages (the memory monitor's measure). */
  queuedBytes(): number {
    let total = 0;
    for (const queue of this.queueMap.values()) total += queue.bytes;
    return total;
  }

  // ------------------------------------------------------------------ inspection

  /** Every exchange by name, the default `""` and `amq.*` ones included (read-only view). */
  get exchanges(): ReadonlyMap<string, Exchange> {
    return this.exchangeMap;
  }

  /** Every queue by name (read-only view). */
  get queues(): ReadonlyMap<string, AmqpQueue> {
    return this.queueMap;
  }

  /** Open connections. */
  get connections(): AmqpConnection[] {
    return [...this.connectionMap.values()];
  }

  /** The queue named `name`, or undefined. */
  getQueue(name: string): AmqpQueue | undefined {
    return this.queueMap.get(name);
  }

  /** The exchange named `name`, or undefined. */
  getExchange(name: string): Exchange | undefined {
    return this.exchangeMap.get(name);
  }

  /**
   * Counters since creation and current gauges.
   *
   * @example
   * ```ts
   * expect(broker.stats()).toMatchObject({ ready: 0, unacked: 0, acked: 10 });
   * ```
   */
  stats(): AmqpStats {
    let bindings = 0;
    for (const exchange of this.exchangeMap.values()) bindings += exchange.outbound.size;
    let ready = 0;
    let unacked = 0;
    let consumers = 0;
    for (const queue of this.queueMap.values()) {
      ready += queue.ready;
      unacked += queue.unacked;
      consumers += queue.consumerCount;
    }
    let channels = 0;
    for (const connection of this.connectionMap.values()) channels += connection.channelMap.size;
    return {
      exchanges: this.exchangeMap.size,
      queues: this.queueMap.size,
      bindings,
      connections: this.connectionMap.size,
      channels,
      consumers,
      ready,
      unacked,
      ...this.counters,
    };
  }

  // ------------------------------------------------------------------ connections

  /**
   * Opens a connection as `user` (default `"guest"`; a publish's `userId` must match it). The
   * login is checked against {@link access} as RabbitMQ checks it: an unknown user or a wrong
   * `password` is an {@link AmqpError} 403 `ACCESS_REFUSED` ("Login was refused using
   * authentication mechanism PLAIN. …"), a user without permissions in this broker's virtual host
   * 530 `NOT_ALLOWED` ("access to vhost '/' refused for user 'u'"). Without `password` the user
   * is trusted (it must exist). Also refused (a {@link BrokerlabError}) while the broker restarts (`BROKER_DOWN`), and when the
   * request seam's fault hook loses the connect — a client partitioned from the broker
   * (`CONNECTION_REFUSED`, see `network.ts`).
   *
   * @example
   * ```ts
   * const connection = broker.connect({ name: "worker-1" });
   * const channel = connection.channel({ prefetch: 10 });
   * ```
   */
  connect(options?: AmqpConnectOptions): AmqpConnection {
    checkOptions(options, ["name", "user", "password", "mechanism"], "AmqpBroker.connect");
    if (options?.name !== undefined) checkString(options.name, "name", "AmqpBroker.connect");
    const user = options?.user ?? "guest";
    checkString(user, "user", "AmqpBroker.connect", true);
    const password = options?.password;
    if (password !== undefined && typeof password !== "string")
      throw new InvalidArgumentError("AmqpBroker.connect: password must be a string.");
    const mechanism = options?.mechanism ?? "PLAIN";
    checkString(mechanism, "mechanism", "AmqpBroker.connect");
    if (this.sim.now < this.downUntil) {
      throw new BrokerlabError(
        "BROKER_DOWN",
        `AmqpBroker.connect: the broker is restarting (up again at ${this.downUntil} ms virtual time): connection refused; retry later.`,
        { upAt: this.downUntil },
      );
    }
    if (this.network.hook !== null) this.connectThroughNetwork(options);
    // connection.start-ok (login), then connection.open (the virtual host), as RabbitMQ refuses them.
    this.access.authenticate(user, password, mechanism);
    this.access.checkVhostAccess(user, this.vhost);
    const id = ++this.connectionSeq;
    const connection = new AmqpConnection(this, id, options);
    this.connectionMap.set(id, connection);
    if (this.sim.bus.wants("amqp.connection-open")) {
      this.sim.bus.emit("amqp.connection-open", { connection: id, name: connection.name });
    }
    return connection;
  }
  /** A connect while a fault hook is installed: a lost connection.open refuses the connection. */
  private connectThroughNetwork(options: ConnectionOptions | undefined): void {
    const name = options?.name ?? `connection-${this.connectionSeq + 1}`;
    checkString(name, "name", "AmqpBroker.connect");
    const network = this.network;
    const fault = network.decide({
      kind: "connect",
      requestId: network.requestId(),
      clientId: name,
      connection: 0,
      channel: 0,
      sentAt: this.sim.now,
    });
    if (!fault.dropRequest && !fault.dropResponse) return;
    throw new BrokerlabError(
      "CONNECTION_REFUSED",
      `AmqpBroker.connect: client ${describeValue(name)} cannot reach the broker (a network partition, or a lost connection.open): connection refused; retry later.`,
      { client: name },
    );
  }

  /**
   * @internal Throws 403 ACCESS_REFUSED unless `owner`'s user has `permission` on the resource in
   * this virtual host (RabbitMQ's text). `owner` null is the broker's own API: always allowed.
   */
  checkAccess(
    owner: AmqpConnection | null,
    permission: Permission,
    kind: "queue" | "exchange",
    name: string,
  ): void {
    if (owner === null || this.openAccess) return;
    const access = this.access;
    const user = owner.user;
    let grants = this.grantsCached;
    if (user !== this.grantsUser || this.grantsVersion !== access.version) {
      grants = access.grants(user, this.vhost);
      this.grantsUser = user;
      this.grantsVersion = access.version;
      this.grantsCached = grants;
    }
    if (grants !== null && (grants.unrestricted || grants.allows(permission, name))) return;
    throw accessRefused(kind, name, this.vhost, user, permission);
  }

  /** `rabbitmqctl delete_user`: RabbitMQ closes the user's connections (320). */
  private closeConnectionsOf(user: string): void {
    for (const connection of [...this.connectionMap.values()]) {
      if (connection.user !== user) continue;
      connection.shutdown(
        new AmqpError("CONNECTION_FORCED", `user '${user}' is deleted`, { reason: "user-deleted", user }),
      );
    }
  }

  /** True while the broker is down after a {@link restart}. */
  get down(): boolean {
    return this.sim.now < this.downUntil;
  }

  /**
   * Restarts the broker, as RabbitMQ does: every connection is closed by the broker (320
   * CONNECTION_FORCED; their unacked messages go back first), then what is not durable is gone —
   * non-durable queues and exchanges (and the bindings they had), and in durable classic queues
   * every non-persistent message (`deliveryMode` ≠ 2); durable queues keep their persistent
   * messages, quorum queues all of theirs, durable exchanges their bindings to durable queues.
   * For `downMs`, connects are refused (`BROKER_DOWN`).
   *
   * @example
   * ```ts
   * broker.queue("jobs", { durable: true });
   * broker.publish("", "jobs", "kept", { persistent: true });
   * broker.publish("", "jobs", "lost");
   * broker.restart({ downMs: 1000 });
   * broker.getQueue("jobs")!.ready; // 1
   * ```
   */
  restart(options: RestartOptions = {}): void {
    checkOptions(options, ["downMs"], "AmqpBroker.restart");
    const downMs = options.downMs ?? 0;
    if (typeof downMs !== "number" || !(downMs >= 0) || !Number.isFinite(downMs)) {
      throw new InvalidArgumentError(
        `AmqpBroker.restart: downMs must be a number ≥ 0, got ${String(downMs)}.`,
      );
    }
    const connections = [...this.connectionMap.values()];
    const shutdown = new AmqpError(
      "CONNECTION_FORCED",
      "broker forced connection closure with reason 'shutdown'",
      {
        reason: "broker-restart",
      },
    );
    for (const connection of connections) connection.shutdown(shutdown);
    let queues = 0;
    let messages = 0;
    for (const queue of [...this.queueMap.values()]) {
      if (!queue.durable) {
        this.removeQueue(queue, "broker-restart");
        queues++;
      } else if (queue.type !== "quorum") messages += queue.dropTransient();
    }
    let exchanges = 0;
    for (const exchange of [...this.exchangeMap.values()]) {
      if (exchange.durable || exchange.name === "" || exchange.name.startsWith("amq.")) continue;
      this.removeExchange(exchange, "broker-restart");
      exchanges++;
    }
    this.downUntil = this.sim.now + downMs;
    this.drainDeadLetters();
    if (this.sim.bus.wants("amqp.broker-restart")) {
      this.sim.bus.emit("amqp.broker-restart", {
        downMs,
        connections: connections.length,
        queues,
        exchanges,
        messages,
      });
    }
  }

  /**
   * The client named `client` missed its heartbeats (a network partition that began at `since`
   * and lasted the heartbeat timeout): each of its connections opened by then is closed by the
   * broker (unacked messages requeued, exclusive queues deleted) and its client hears the close
   * (320 CONNECTION_FORCED, "missed heartbeats"). Returns how many connections went.
   *
   * @example
   * ```ts
   * broker.heartbeatTimeout("billing-worker", sim.now - broker.heartbeatTimeoutMs);
   * ```
   */
  heartbeatTimeout(client: string, since: number = this.sim.now): number {
    if (typeof client !== "string")
      throw new InvalidArgumentError("AmqpBroker.heartbeatTimeout: client must be a connection name.");
    if (typeof since !== "number" || Number.isNaN(since))
      throw new InvalidArgumentError("AmqpBroker.heartbeatTimeout: since must be a virtual time.");
    const seconds = Math.round(this.heartbeatTimeoutMs / 1000);
    let count = 0;
    for (const connection of [...this.connectionMap.values()]) {
      if (connection.name !== client || connection.openedAt > since) continue;
      connection.shutdown(
        new AmqpError("CONNECTION_FORCED", `missed heartbeats from client, timeout: ${seconds}s`, {
          reason: "heartbeat-timeout",
        }),
      );
      count++;
    }
    return count;
  }

  /** @internal A broker-wide channel id. */
  nextChannelId(): number {
    return ++this.channelSeq;
  }

  /**
   * @internal A server-generated name, `amq.gen-…` or `amq.ctag-…`: the prefix, a dash and 22
   * base64url characters (16 bytes) drawn from the simulation's `amqp-names` random stream
   * (`amqp-names:<vhost>` for a virtual host other than `/`), so names are deterministic per seed.
   */
  generateName(prefix: string): string {
    const name = this.peekName(prefix);
    this.pendingSuffix = null;
    return name;
  }

  /**
   * @internal The name {@link generateName} would return next, without using it up: a call that
   * may still be refused peeks, and {@link commitName}s once it succeeds, so that a refused
   * declare or consume leaves the next server-generated name where it was.
   */
  peekName(prefix: string): string {
    this.pendingSuffix ??= this.drawSuffix();
    return `${prefix}-${this.pendingSuffix}`;
  }

  /** @internal Uses up the name last {@link peekName}d. */
  commitName(): void {
    this.pendingSuffix = null;
  }

  private drawSuffix(): string {
    let out = "";
    let bits = 0;
    let buffer = 0;
    for (let produced = 0; produced < 22; produced++) {
      if (bits < 6) {
        buffer = (buffer << 16) | (this.random.nextUint32() & 0xffff);
        bits += 16;
      }
      bits -= 6;
      out += BASE64URL[(buffer >>> bits) & 63];
    }
    return out;
  }

  // ------------------------------------------------------------------ topology (public)

  /**
   * Declares an exchange (or checks an equivalent one exists). Errors: unknown type → 503
   * `COMMAND_INVALID`; `""` → 403; a new `amq.*` name → 403; a different type, flag or
   * `alternate-exchange` → 406; `passive` and missing → 404.
   *
   * @example
   * ```ts
   * broker.exchange("logs", "fanout", { durable: true });
   * broker.exchange("orders", "topic", { alternateExchange: "unrouted" });
   * ```
   */
  exchange(name: string, type: ExchangeType, options?: ExchangeOptions): Exchange {
    return this.declareExchange(name, type, options, "AmqpBroker.exchange");
  }

  /**
   * Declares a queue (or checks an equivalent one exists) and returns it. `""` makes a server-named
   * `amq.gen-…` queue. Exclusive queues need a connection: declare them on a channel.
   *
   * @example
   * ```ts
   * const jobs = broker.queue("jobs", { durable: true, deadLetterExchange: "dlx" });
   * jobs.ready; // 0
   * ```
   */
  queue(name: string, options?: QueueOptions): AmqpQueue {
    return this.declareQueue(null, name, options, "AmqpBroker.queue");
  }

  /**
   * Binds queue `queue` to exchange `exchange` with `key` (and, for headers exchanges, `args`).
   * Binding to the default exchange is 403; missing names are 404.
   *
   * @example
   * ```ts
   * broker.bind("eu-orders", "orders", "eu.#");
   * broker.bind("pdfs", "docs", "", { "x-match": "all", format: "pdf" });
   * ```
   */
  bind(queue: string, exchange: string, key = "", args?: Record<string, unknown>): void {
    this.bindQueue(null, queue, exchange, key, args, "AmqpBroker.bind");
  }

  /** Removes a queue binding (nothing if absent). See {@link bind}. */
  unbind(queue: string, exchange: string, key = "", args?: Record<string, unknown>): void {
    this.unbindQueue(null, queue, exchange, key, args, "AmqpBroker.unbind");
  }

  /**
   * Binds exchange `destination` to exchange `source` (messages flow source → destination).
   *
   * @example
   * ```ts
   * broker.bindExchange("audit", "orders", "#");
   * ```
   */
  bindExchange(destination: string, source: string, key = "", args?: Record<string, unknown>): void {
    this.bindExchanges(destination, source, key, args, true, "AmqpBroker.bindExchange");
  }

  /** Removes an exchange-to-exchange binding (nothing if absent). */
  unbindExchange(destination: string, source: string, key = "", args?: Record<string, unknown>): void {
    this.bindExchanges(destination, source, key, args, false, "AmqpBroker.unbindExchange");
  }

  /**
   * Deletes a queue; returns how many ready messages it held (dropped, never dead-lettered). Its
   * consumers are cancelled (their `onCancel` is called). A missing queue is not an error.
   * `ifUnused` (no consumers) and `ifEmpty` (no ready messages) refuse with 406 when unmet.
   *
   * @example
   * ```ts
   * broker.deleteQueue("jobs", { ifEmpty: true });
   * ```
   */
  deleteQueue(name: string, options?: { ifUnused?: boolean; ifEmpty?: boolean }): number {
    const count = this.removeQueueChecked(null, name, options, "AmqpBroker.deleteQueue");
    this.drainDeadLetters();
    return count;
  }

  /**
   * Deletes an exchange and its bindings. The default and `amq.*` exchanges are 403; `ifUnused`
   * refuses (406) while it is the source of a binding. A missing exchange is not an error.
   *
   * @example
   * ```ts
   * broker.deleteExchange("orders", { ifUnused: true });
   * ```
   */
  deleteExchange(name: string, options?: { ifUnused?: boolean }): void {
    this.removeExchangeChecked(name, options, "AmqpBroker.deleteExchange");
  }

  /**
   * Removes a queue's ready messages (unacked ones stay); returns how many. Never dead-letters.
   *
   * @example
   * ```ts
   * broker.purge("jobs"); // 3
   * ```
   */
  purge(name: string): number {
    return this.purgeQueue(null, name, "AmqpBroker.purge");
  }

  /**
   * Publishes without a channel (as an anonymous producer): routes and enqueues at once, and says
   * where the message went. Returns and confirms have no channel to go to; the outcome reports
   * them instead. Options as {@link PublishOptions}.
   *
   * @example
   * ```ts
   * broker.publish("", "jobs", "hello").queues; // ["jobs"]
   * broker.publish("orders", "nowhere", 1, { mandatory: true }).returned; // true
   * ```
   */
  publish(exchange: string, routingKey: string, content: unknown, options?: PublishOptions): PublishOutcome {
    const where = "AmqpBroker.publish";
    checkShortString(exchange, "exchange name", where);
    checkRoutingKey(routingKey, where);
    const outcome: PublishOutcome = { messageId: 0, queues: [], refused: [], returned: false };
    this.publishFrom(null, exchange, routingKey, content, options, where, outcome);
    return outcome;
  }

  /**
   * Asserts every model invariant (throws {@link InvariantError} naming the first broken one):
   * ready and unacked counts agree with the messages held; each message is in exactly one place
   * (one ready list or one channel's unacked deliveries); delivery tags are unique and below the
   * channel's last tag; consumer and channel unacked counts agree with their deliveries; no queue
   * has ready messages while a consumer could take them; heads with a TTL have an expiry timer;
   * drop-head queues are within their limits; bindings are registered on both ends; exclusive
   * queues belong to open connections; no dead-letter is left unrouted.
   *
   * @example
   * ```ts
   * afterEach(() => broker.checkInvariants());
   * ```
   */
  checkInvariants(): void {
    invariant(this.deadLetters.idle, "dead-letters left unrouted after an operation");
    const seen = new Set<QueueEntry<AmqpMessage>>();
    const unackedByQueue = new Map<AmqpQueue, number>();
    let channelCount = 0;
    for (const connection of this.connectionMap.values()) {
      invariant(!connection.closed, () => `closed connection ${connection.id} still registered`);
      for (const channel of connection.channelMap.values()) {
        channelCount++;
        channel.checkInvariants(seen, unackedByQueue);
      }
      for (const queue of connection.exclusiveQueues) {
        invariant(
          this.queueMap.get(queue.name) === queue,
          () => `exclusive queue ${queue.name} not registered`,
        );
        invariant(queue.owner === connection, () => `exclusive queue ${queue.name} owned elsewhere`);
      }
    }
    for (const queue of this.queueMap.values()) {
      queue.checkInvariants(seen, unackedByQueue.get(queue) ?? 0);
      if (queue.owner !== null) {
        invariant(
          this.connectionMap.get(queue.owner.id) === queue.owner && queue.owner.exclusiveQueues.has(queue),
          () => `exclusive queue ${queue.name} outlived its connection`,
        );
      }
      for (const binding of queue.inbound) {
        invariant(
          binding.source.outbound.get(binding.id) === binding &&
            this.exchangeMap.get(binding.source.name) === binding.source,
          () => `binding to queue ${queue.name} not registered on its source`,
        );
      }
    }
    for (const exchange of this.exchangeMap.values()) {
      invariant(!exchange.deleted, () => `deleted exchange ${exchange.name} still registered`);
      for (const binding of exchange.outbound.values()) {
        const destination = binding.destination;
        const registered = destination.isQueue
          ? this.queueMap.get(destination.name) === destination
          : this.exchangeMap.get(destination.name) === destination;
        invariant(
          registered && destination.inbound.has(binding),
          () => `binding ${exchange.name} → ${destination.name} dangles`,
        );
      }
    }
    invariant(channelCount >= 0, "channel count");
  }

  // ------------------------------------------------------------------ topology (internal)

  /** @internal */
  declareExchange(
    name: string,
    type: ExchangeType,
    options: ExchangeOptions | undefined,
    where: string,
    owner: AmqpConnection | null = null,
  ): Exchange {
    checkShortString(name, "exchange name", where);
    checkDeclareOptions(options, EXCHANGE_OPTION_NAMES, where);
    const passive = booleanOption(options?.passive, "passive", where);
    if (passive) {
      if (name === "") throw defaultExchangeRefused();
      const found = this.exchangeMap.get(name);
      if (found === undefined) throw notFound("exchange", name);
      return found;
    }
    if (typeof type !== "string") {
      throw new InvalidArgumentError(
        `${where}: type must be one of ${EXCHANGE_TYPES.join(", ")}.`,
        "INVALID_EXCHANGE_TYPE",
      );
    }
    const durable = booleanOption(options?.durable, "durable", where);
    const autoDelete = booleanOption(options?.autoDelete, "autoDelete", where);
    const internal = booleanOption(options?.internal, "internal", where);
    const alternate = options?.alternateExchange;
    if (alternate !== undefined && typeof alternate !== "string") {
      throw new InvalidArgumentError(`${where}: alternateExchange must be an exchange name.`);
    }
    if (!(EXCHANGE_TYPES as readonly string[]).includes(type)) {
      // RabbitMQ 3.10's rabbit_exchange:check_type says "unknown exchange type" for a name that
      // is no registered type (its "invalid exchange type" needs the name to be an Erlang atom
      // already, which plugin types such as x-delayed-message are not on a stock node).
      throw new AmqpError("COMMAND_INVALID", `unknown exchange type '${type}'`, {
        reason: "invalid-exchange-type",
        type,
        known: EXCHANGE_TYPES,
      });
    }
    if (name === "") throw defaultExchangeRefused();
    this.checkAccess(owner, "configure", "exchange", name);
    const args = definedEntries(options?.arguments);
    if (alternate !== undefined) args["alternate-exchange"] = alternate;
    const existing = this.exchangeMap.get(name);
    if (existing !== undefined) {
      assertFieldEquivalent("exchange", name, "type", existing.type, type);
      assertFieldEquivalent("exchange", name, "durable", existing.durable, durable);
      assertFieldEquivalent("exchange", name, "auto_delete", existing.autoDelete, autoDelete);
      assertFieldEquivalent("exchange", name, "internal", existing.internal, internal);
      const current =
        existing.alternateExchange === null ? {} : { "alternate-exchange": existing.alternateExchange };
      assertArgsEquivalent("exchange", name, current, args, EQUIVALENT_EXCHANGE_ARGS);
      return existing;
    }
    if (name.startsWith("amq.")) {
      throw new AmqpError("ACCESS_REFUSED", `exchange name '${name}' contains reserved prefix 'amq.*'`, {
        reason: "reserved-name",
        exchange: name,
      });
    }
    const ae = args["alternate-exchange"];
    if (ae !== undefined && typeof ae !== "string") {
      throw new AmqpError(
        "PRECONDITION_FAILED",
        `invalid arg 'alternate-exchange' for ${resourceName("exchange", name)}: must be an exchange name`,
        { reason: "invalid-arg", argument: "alternate-exchange", exchange: name },
      );
    }
    if (ae !== undefined) {
      this.checkAccess(owner, "read", "exchange", name);
      this.checkAccess(owner, "write", "exchange", ae);
    }
    const exchange = new Exchange(
      name,
      type,
      { durable, autoDelete, internal, arguments: args, alternateExchange: ae === undefined ? null : ae },
      this.headersOptions,
    );
    this.exchangeMap.set(name, exchange);
    if (this.sim.bus.wants("amqp.exchange-declare")) {
      this.sim.bus.emit("amqp.exchange-declare", { exchange: name, type, durable, autoDelete, internal });
    }
    return exchange;
  }

  /** @internal */
  declareQueue(
    owner: AmqpConnection | null,
    name: string,
    options: QueueOptions | undefined,
    where: string,
  ): AmqpQueue {
    checkShortString(name, "queue name", where);
    checkDeclareOptions(options, QUEUE_OPTION_NAMES, where);
    const passive = booleanOption(options?.passive, "passive", where);
    const durable = booleanOption(options?.durable, "durable", where);
    const exclusive = booleanOption(options?.exclusive, "exclusive", where);
    const autoDelete = booleanOption(options?.autoDelete, "autoDelete", where);
    // RabbitMQ answers every declare of an amq.rabbitmq.reply-to… name itself (passive or not).
    if (name.startsWith(DIRECT_REPLY_TO)) return this.directReplyTo.declare(name);
    if (exclusive && owner === null) {
      throw new InvalidArgumentError(
        `${where}: an exclusive queue belongs to a connection; declare it on a channel (connection.channel().queue(...)).`,
        "EXCLUSIVE_NEEDS_CONNECTION",
      );
    }
    if (passive) {
      const found = this.lookupQueue(owner, name);
      found.touch();
      return found;
    }
    const args = queueArgumentsFrom(options);
    if (name.startsWith("amq.")) {
      throw new AmqpError("ACCESS_REFUSED", `queue name '${name}' contains reserved prefix 'amq.*'`, {
        reason: "reserved-name",
        queue: name,
      });
    }
    // Peeked, not drawn: a refusal below leaves the next generated name as it was.
    const generated = name === "";
    const actual = generated ? this.peekName("amq.gen") : name;
    this.checkAccess(owner, "configure", "queue", actual);
    // RabbitMQ: exclusive queues are never durable, whatever was asked.
    const effectiveDurable = durable && !exclusive;
    const requestedOwner = exclusive ? owner : null;
    const existing = this.queueMap.get(actual);
    if (existing !== undefined) {
      if (existing.owner !== requestedOwner) throw resourceLocked(actual);
      assertFieldEquivalent("queue", actual, "durable", existing.durable, effectiveDurable);
      assertFieldEquivalent("queue", actual, "auto_delete", existing.autoDelete, autoDelete);
      assertArgsEquivalent("queue", actual, existing.arguments, args, EQUIVALENT_QUEUE_ARGS);
      existing.touch();
      return existing;
    }
    const settings = parseQueueArguments(actual, args);
    const dlx = args["x-dead-letter-exchange"];
    if (typeof dlx === "string") {
      this.checkAccess(owner, "read", "queue", actual);
      this.checkAccess(owner, "write", "exchange", dlx);
    }
    if (settings.type === "quorum") {
      const refuse = (property: string) =>
        new AmqpError(
          "PRECONDITION_FAILED",
          `invalid property '${property}' for ${resourceName("queue", actual)}`,
          {
            reason: "quorum-property",
            property,
            queue: actual,
          },
        );
      if (autoDelete) throw refuse("auto-delete");
      if (exclusive) throw refuse("exclusive-owner");
      if (!effectiveDurable) throw refuse("non-durable");
      if (args["x-overflow"] === "reject-publish-dlx" && this.sim.bus.wants("amqp.warning")) {
        this.sim.bus.emit("amqp.warning", {
          message: `Invalid overflow strategy reject-publish-dlx for quorum ${resourceName("queue", actual)}; using drop-head`,
        });
      }
    }
    const queue = new AmqpQueue(
      this,
      actual,
      { durable: effectiveDurable, autoDelete, owner: requestedOwner },
      args,
      settings,
    );
    if (generated) this.commitName();
    if (settings.maxLengthBytes >= 0) this.byteLimitedQueues++;
    this.queueMap.set(actual, queue);
    requestedOwner?.exclusiveQueues.add(queue);
    queue.touch();
    if (this.sim.bus.wants("amqp.queue-declare")) {
      this.sim.bus.emit("amqp.queue-declare", {
        queue: actual,
        type: settings.type,
        durable: effectiveDurable,
        exclusive,
        autoDelete,
      });
    }
    return queue;
  }

  /** @internal Passive exchange check. */
  checkExchangeExists(name: string, where: string): Exchange {
    checkShortString(name, "exchange name", where);
    if (name === "") throw defaultExchangeRefused();
    const found = this.exchangeMap.get(name);
    if (found === undefined) throw notFound("exchange", name);
    return found;
  }

  /** @internal The queue for a consume/get/bind/purge/delete by `owner`: 404 if missing, 405 if another's exclusive. */
  lookupQueue(owner: AmqpConnection | null, name: string): AmqpQueue {
    const queue = this.queueMap.get(name);
    if (queue === undefined) throw notFound("queue", name);
    if (queue.owner !== null && queue.owner !== owner) throw resourceLocked(name);
    return queue;
  }

  /** @internal The queue for a consume or get by `owner`: `read` on it (403), then as {@link lookupQueue}. */
  readableQueue(owner: AmqpConnection | null, name: string): AmqpQueue {
    this.checkAccess(owner, "read", "queue", name);
    return this.lookupQueue(owner, name);
  }

  /** @internal */
  bindQueue(
    owner: AmqpConnection | null,
    queueName: string,
    exchangeName: string,
    key: string,
    args: Record<string, unknown> | undefined,
    where: string,
  ): void {
    const { source, queue } = this.resolveQueueBinding(owner, queueName, exchangeName, key, args, where);
    this.addBinding(source, queue, key, args);
  }

  /** @internal */
  unbindQueue(
    owner: AmqpConnection | null,
    queueName: string,
    exchangeName: string,
    key: string,
    args: Record<string, unknown> | undefined,
    where: string,
  ): void {
    const { source, queue } = this.resolveQueueBinding(owner, queueName, exchangeName, key, args, where);
    this.removeBinding(source, queue, key, args);
  }

  /** Checks a queue binding's arguments and finds its two ends, refusing as RabbitMQ does. */
  private resolveQueueBinding(
    owner: AmqpConnection | null,
    queueName: string,
    exchangeName: string,
    key: string,
    args: Record<string, unknown> | undefined,
    where: string,
  ): { source: Exchange; queue: AmqpQueue } {
    this.checkBindingArguments(queueName, exchangeName, key, args, "queue", where);
    // RabbitMQ: write on the destination, then the default-exchange rule, then read on the source.
    this.checkAccess(owner, "write", "queue", queueName);
    if (exchangeName === "") throw defaultExchangeRefused();
    this.checkAccess(owner, "read", "exchange", exchangeName);
    const source = this.exchangeMap.get(exchangeName);
    const queue = this.queueMap.get(queueName);
    if (source === undefined) throw notFound("exchange", exchangeName);
    if (queue === undefined) throw notFound("queue", queueName);
    if (queue.owner !== null && queue.owner !== owner) throw resourceLocked(queueName);
    return { source, queue };
  }

  /** @internal */
  bindExchanges(
    destinationName: string,
    sourceName: string,
    key: string,
    args: Record<string, unknown> | undefined,
    add: boolean,
    where: string,
    owner: AmqpConnection | null = null,
  ): void {
    this.checkBindingArguments(destinationName, sourceName, key, args, "exchange", where);
    this.checkAccess(owner, "write", "exchange", destinationName);
    if (sourceName === "" || destinationName === "") throw defaultExchangeRefused();
    this.checkAccess(owner, "read", "exchange", sourceName);
    const source = this.exchangeMap.get(sourceName);
    const destination = this.exchangeMap.get(destinationName);
    if (source === undefined) throw notFound("exchange", sourceName);
    if (destination === undefined) throw notFound("exchange", destinationName);
    if (add) this.addBinding(source, destination, key, args);
    else this.removeBinding(source, destination, key, args);
  }

  private checkBindingArguments(
    destination: string,
    source: string,
    key: string,
    args: Record<string, unknown> | undefined,
    kind: "queue" | "exchange",
    where: string,
  ): void {
    checkShortString(destination, `${kind} name`, where);
    checkShortString(source, "exchange name", where);
    checkRoutingKey(key, where);
    if (args !== undefined && (args === null || typeof args !== "object" || Array.isArray(args))) {
      throw new InvalidArgumentError(`${where}: binding arguments must be an object.`);
    }
  }

  private bindingId(destination: Destination, key: string, args: Record<string, unknown>): string {
    return `${destination.isQueue ? "q" : "x"}\u0000${destination.name}\u0000${key}\u0000${stableStringify(args)}`;
  }

  private addBinding(
    source: Exchange,
    destination: Destination,
    key: string,
    rawArgs: Record<string, unknown> | undefined,
  ): void {
    const args = definedEntries(rawArgs);
    if (source.type === "headers") {
      try {
        validateXMatch(args["x-match"]);
      } catch (error) {
        throw new AmqpError("PRECONDITION_FAILED", (error as Error).message, {
          reason: "invalid-x-match",
          received: args["x-match"],
        });
      }
    }
    const id = this.bindingId(destination, key, args);
    if (source.outbound.has(id)) return;
    const binding = new Binding(source, destination, key, args, id);
    source.outbound.set(id, binding);
    source.addBinding(binding);
    destination.inbound.add(binding);
    if (this.sim.bus.wants("amqp.bind")) {
      this.sim.bus.emit("amqp.bind", {
        source: source.name,
        destination: destination.name,
        destinationKind: binding.destinationKind,
        key,
      });
    }
  }

  private removeBinding(
    source: Exchange,
    destination: Destination,
    key: string,
    rawArgs: Record<string, unknown> | undefined,
  ): void {
    const binding = source.outbound.get(this.bindingId(destination, key, definedEntries(rawArgs)));
    if (binding !== undefined) this.dropBinding(binding);
  }

  /** Unregisters a binding from both ends; auto-deletes a source exchange left without bindings. */
  private dropBinding(binding: Binding): void {
    const source = binding.source;
    source.outbound.delete(binding.id);
    source.removeBinding(binding);
    binding.destination.inbound.delete(binding);
    if (this.sim.bus.wants("amqp.unbind")) {
      this.sim.bus.emit("amqp.unbind", {
        source: source.name,
        destination: binding.destination.name,
        destinationKind: binding.destinationKind,
        key: binding.key,
      });
    }
    if (source.autoDelete && source.outbound.size === 0 && source.everBound && !source.deleted) {
      this.removeExchange(source, "auto-delete");
    }
  }

  /** @internal */
  removeExchangeChecked(
    name: string,
    options: { ifUnused?: boolean } | undefined,
    where: string,
    owner: AmqpConnection | null = null,
  ): void {
    checkShortString(name, "exchange name", where);
    checkOptions(options, ["ifUnused"], where);
    const ifUnused = booleanOption(options?.ifUnused, "ifUnused", where);
    if (name === "") throw defaultExchangeRefused();
    if (name.startsWith("amq.")) {
      throw new AmqpError(
        "ACCESS_REFUSED",
        `deletion of system ${resourceName("exchange", name)} not allowed`,
        {
          reason: "system-exchange",
          exchange: name,
        },
      );
    }
    this.checkAccess(owner, "configure", "exchange", name);
    const exchange = this.exchangeMap.get(name);
    if (exchange === undefined) return;
    if (ifUnused && exchange.outbound.size > 0) {
      throw new AmqpError("PRECONDITION_FAILED", `${resourceName("exchange", name)} in use`, {
        reason: "in-use",
        exchange: name,
      });
    }
    this.removeExchange(exchange, "deleted");
  }

  private removeExchange(exchange: Exchange, reason: "deleted" | "auto-delete" | "broker-restart"): void {
    exchange.deleted = true;
    this.exchangeMap.delete(exchange.name);
    for (const binding of [...exchange.outbound.values()]) this.dropBinding(binding);
    for (const binding of [...exchange.inbound]) this.dropBinding(binding);
    if (this.sim.bus.wants("amqp.exchange-delete")) {
      this.sim.bus.emit("amqp.exchange-delete", { exchange: exchange.name, reason });
    }
  }

  /** @internal */
  removeQueueChecked(
    owner: AmqpConnection | null,
    name: string,
    options: { ifUnused?: boolean; ifEmpty?: boolean } | undefined,
    where: string,
  ): number {
    checkShortString(name, "queue name", where);
    checkOptions(options, ["ifUnused", "ifEmpty"], where);
    const ifUnused = booleanOption(options?.ifUnused, "ifUnused", where);
    const ifEmpty = booleanOption(options?.ifEmpty, "ifEmpty", where);
    this.checkAccess(owner, "configure", "queue", name);
    const queue = this.queueMap.get(name);
    if (queue === undefined) return 0;
    if (queue.owner !== null && queue.owner !== owner) throw resourceLocked(name);
    if (ifUnused && queue.consumerCount > 0) {
      throw new AmqpError("PRECONDITION_FAILED", `${resourceName("queue", name)} in use`, {
        reason: "in-use",
        queue: name,
      });
    }
    if (ifEmpty && queue.ready > 0) {
      throw new AmqpError("PRECONDITION_FAILED", `${resourceName("queue", name)} not empty`, {
        reason: "not-empty",
        queue: name,
      });
    }
    return this.removeQueue(queue, "deleted");
  }

  /**
   * @internal Deletes a queue: cancels its consumers (notifying them), drops its bindings, its
   * ready messages and (as far as the queue is concerned) its unacked ones — their channels keep
   * the delivery tags, and settling them later changes nothing.
   */
  removeQueue(
    queue: AmqpQueue,
    reason: "deleted" | "auto-delete" | "expired" | "exclusive-owner-closed" | "broker-restart",
  ): number {
    if (queue.deleted) return 0;
    for (const consumer of [...queue.consumerList]) consumer.channel.serverCancel(consumer);
    for (const binding of [...queue.inbound]) this.dropBinding(binding);
    const bus = this.sim.bus;
    for (const connection of this.connectionMap.values()) {
      for (const channel of connection.channelMap.values()) {
        for (const delivery of channel.unacked.values()) {
          if (delivery.source !== queue || delivery.entry.state !== ENTRY_UNACKED) continue;
          delivery.entry.state = ENTRY_GONE;
          this.counters.dropped++;
          if (bus.wants("amqp.drop")) {
            bus.emit("amqp.drop", {
              queue: queue.name,
              messageId: delivery.message.id,
              reason: "queue-deleted",
            });
          }
        }
      }
    }
    queue.unackedCount = 0;
    const count = queue.destroy();
    if (this.queueMap.delete(queue.name) && queue.settings.maxLengthBytes >= 0) this.byteLimitedQueues--;
    queue.owner?.exclusiveQueues.delete(queue);
    if (bus.wants("amqp.queue-delete"))
      bus.emit("amqp.queue-delete", { queue: queue.name, reason, messages: count });
    return count;
  }

  /** @internal `x-expires` ran out. */
  expireQueue(queue: AmqpQueue): void {
    this.removeQueue(queue, "expired");
    this.drainDeadLetters();
  }

  /** @internal After a consumer left: an auto-delete queue with no consumers left goes. */
  maybeAutoDelete(queue: AmqpQueue): void {
    if (queue.autoDelete && !queue.deleted && queue.consumerList.length === 0 && queue.hadConsumer) {
      this.removeQueue(queue, "auto-delete");
    }
  }

  /** @internal */
  purgeQueue(owner: AmqpConnection | null, name: string, where: string): number {
    checkShortString(name, "queue name", where);
    this.checkAccess(owner, "read", "queue", name);
    const queue = this.lookupQueue(owner, name);
    const count = queue.purge();
    if (this.sim.bus.wants("amqp.purge")) this.sim.bus.emit("amqp.purge", { queue: name, messages: count });
    return count;
  }

  // ------------------------------------------------------------------ publishing

  /** @internal The body size of `message`, measured once. */
  sizeOf(message: AmqpMessage): number {
    if (message.size < 0) message.size = this.measure(message.content);
    return message.size;
  }

  /**
   * Runs the sizer, refusing what it must not return, and a body it cannot measure (a
   * BigInt or a cycle in a JSON body, or any sizer that throws) with a coded `UNMEASURABLE_BODY`.
   */
  private measure(content: unknown): number {
    let size: unknown;
    try {
      size = this.sizer(content);
    } catch (error) {
      throw new InvalidArgumentError(
        `AmqpBroker: the sizer cannot measure this message body (${describeValue(content)}): ${errorText(error)}. ` +
          "Publish a measurable body (a string, a byte array, or a JSON-serialisable value without BigInts or cycles), or give the broker a sizer option that measures it.",
        "UNMEASURABLE_BODY",
        { cause: error },
      );
    }
    if (typeof size !== "number" || !Number.isFinite(size) || size < 0) {
      throw new InvalidArgumentError(
        `AmqpBroker: the sizer returned ${describeValue(size)} for a message body; it must return a finite number ≥ 0.`,
        "INVALID_SIZE",
      );
    }
    return size;
  }

  /** @internal Checks a publish's options as a client does before sending (throws on bad shapes). */
  checkPublishOptions(options: PublishOptions | undefined, where: string): void {
    this.parser.parse(options, where);
  }

  /**
   * @internal Publishes from `channel` (null: the broker itself). Validates in RabbitMQ's order
   * (404 missing exchange, 403 internal exchange, 406 bad expiration or user id), then routes,
   * enqueues and schedules the return and the confirm. Returns the confirm sequence number, or 0.
   */
  publishFrom(
    channel: AmqpChannel | null,
    exchangeName: string,
    routingKey: string,
    content: unknown,
    options: PublishOptions | undefined,
    where: string,
    outcome: PublishOutcome | null,
    presetSeq?: number,
  ): number {
    const parser = this.parser;
    parser.parse(options, where);
    if (!this.openAccess && channel !== null)
      this.checkAccess(channel.connection, "write", "exchange", exchangeName);
    const exchange = this.exchangeMap.get(exchangeName);
    if (exchange === undefined) throw notFound("exchange", exchangeName);
    if (exchange.internal) {
      throw new AmqpError(
        "ACCESS_REFUSED",
        `cannot publish to internal ${resourceName("exchange", exchangeName)}`,
        {
          reason: "internal-exchange",
          exchange: exchangeName,
        },
      );
    }
    let properties: MessageProperties = parser.properties;
    // RabbitMQ's order: Direct Reply-to, then user_id, then expiration.
    if (properties.replyTo === DIRECT_REPLY_TO)
      properties = { ...properties, replyTo: this.directReplyTo.replyToFor(channel) };
    if (properties.userId !== undefined) {
      const user = channel === null ? "guest" : channel.connection.user;
      if (properties.userId !== user && !this.access.isImpersonator(user)) {
        throw new AmqpError(
          "PRECONDITION_FAILED",
          `user_id property set to '${properties.userId}' but authenticated user was '${user}'`,
          { reason: "user-id" },
        );
      }
    }
    if (parser.problem !== null) {
      throw new AmqpError("PRECONDITION_FAILED", parser.problem, { reason: "invalid-message" });
    }
    const extraKeys = parser.extraKeys;
    const router = this.router;
    const count = router.route(exchange, routingKey, extraKeys, properties.headers);
    const queues = router.queues;
    // Measure before anything changes, so a sizer that throws leaves the broker as it was. A
    // queue that may dead-letter needs the size too while some queue is byte-limited, so that a
    // body the sizer cannot measure is refused here, not lost when it is dead-lettered later.
    let size = -1;
    const mayDeadLetterIntoLimit = this.byteLimitedQueues > 0;
    for (let i = 0; i < count; i++) {
      const queue = queues[i]!;
      if (queue.needsSize || (mayDeadLetterIntoLimit && queue.settings.deadLetterExchange !== null)) {
        size = this.measure(content);
        break;
      }
    }
    const seq = presetSeq ?? (channel?.confirmMode ? channel.nextPublishSeq() : 0);
    const sim = this.sim;
    const bus = sim.bus;
    const message = new AmqpMessage(
      this.nextMessageId(),
      exchangeName,
      routingKey,
      extraKeys,
      content,
      properties,
      sim.now,
      parser.ttl,
    );
    message.size = size;
    // A reply-to name is no queue: routed nowhere (so returned when mandatory), delivered anyway.
    if (exchangeName === "" && routingKey.startsWith(REPLY_TO_PREFIX))
      this.directReplyTo.deliver(routingKey, message);
    const mandatory = parser.mandatory;
    this.counters.published++;
    if (bus.wants("amqp.publish")) {
      bus.emit("amqp.publish", {
        channel: channel === null ? null : channel.id,
        seq,
        messageId: message.id,
        exchange: exchangeName,
        routingKey,
        mandatory,
      });
    }
    if (bus.wants("amqp.route")) {
      bus.emit("amqp.route", {
        messageId: message.id,
        exchange: exchangeName,
        routingKey,
        queues: queues.map((queue) => queue.name),
        deadLetter: false,
      });
    }
    let refused = 0;
    if (count === 0) {
      this.counters.unroutable++;
      if (mandatory) {
        this.counters.returned++;
        if (bus.wants("amqp.return")) {
          bus.emit("amqp.return", {
            channel: channel === null ? null : channel.id,
            messageId: message.id,
            exchange: exchangeName,
            routingKey,
            replyCode: 312,
          });
        }
        if (channel !== null) channel.sendReturn(message);
      }
      this.counters.dropped++;
      if (bus.wants("amqp.drop"))
        bus.emit("amqp.drop", { queue: null, messageId: message.id, reason: "unroutable" });
    } else {
      this.counters.routed++;
      for (let i = 0; i < count; i++) {
        const queue = queues[i]!;
        if (queue.enqueue(message)) outcome?.queues.push(queue.name);
        else {
          refused++;
          outcome?.refused.push(queue.name);
        }
      }
    }
    if (outcome !== null) {
      outcome.messageId = message.id;
      outcome.returned = count === 0 && mandatory;
    }
    if (seq > 0) channel!.sendConfirm(seq, refused === 0);
    this.drainDeadLetters();
    return seq;
  }

  // ------------------------------------------------------------------ dead-lettering

  /**
   * @internal `message` leaves `queue` for `reason`: queued for routing to the queue's dead-letter
   * exchange (at the end of the current operation), or dropped when the queue has none.
   */
  deadLetter(queue: AmqpQueue, message: AmqpMessage, reason: DeadLetterReason): void {
    this.deadLetters.add(queue, message, reason);
  }

  /** @internal Routes every pending dead-letter (and those they cause), unless already doing so. */
  drainDeadLetters(): void {
    if (this.deadLetters.pending > 0) this.deadLetters.drain();
  }

  /** @internal A fresh broker-wide message number. */
  nextMessageId(): number {
    return ++this.messageSeq;
  }
}

function defaultExchangeRefused(): AmqpError {
  return new AmqpError("ACCESS_REFUSED", "operation not permitted on the default exchange", {
    reason: "default-exchange",
  });
}

/** What a thrown value says, for an error message (never throws). */
function errorText(error: unknown): string {
  try {
    if (error instanceof Error) return String(error.message);
  } catch {
    // A hostile error object: name it by its kind below.
  }
  return describeValue(error);
}

/** Whether `value` looks like a {@link Simulation} (its clock, random source and bus). */
function isSimulation(value: unknown): value is Simulation {
  if (value === null || typeof value !== "object") return false;
  const sim = value as Partial<Simulation>;
  return typeof sim.now === "number" && typeof sim.random === "object" && typeof sim.bus === "object";
}
