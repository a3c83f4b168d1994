import { AmqpError } from "../../exchange/amqp-error.js";
import type { AmqpBroker } from "../../exchange/broker.js";
import type { AmqpConnection } from "../../exchange/connection.js";
import { InvalidArgumentError } from "../../scheduler/errors.js";
import type { Simulation } from "../../scheduler/simulation.js";
import { Channel } from "./channel.js";
import { ConfirmChannel } from "./confirm-channel.js";
import { AmqplibEmitter } from "./emitter.js";
import { connectionClosedByServer, IllegalOperationError } from "./errors.js";
import type { ServerProperties } from "./types.js";

/**
 * What the simulated server tells clients about itself (RabbitMQ's capability table, with the
 * features the model has).
 *
 * @example
 * ```ts
 * SERVER_PROPERTIES.capabilities.publisher_confirms; // true
 * ```
 */
export const SERVER_PROPERTIES: Readonly<ServerProperties> = Object.freeze({
  host: "brokerlab",
  product: "RabbitMQ (brokerlab simulation)",
  version: "3.10.8",
  platform: "brokerlab",
  information: "An in-process simulation of RabbitMQ 3.10 classic and quorum queues",
  capabilities: Object.freeze({
    publisher_confirms: true,
    exchange_exchange_bindings: true,
    "basic.nack": true,
    consumer_cancel_notify: true,
    "connection.blocked": true,
    consumer_priorities: true,
    authentication_failure_close: true,
    per_consumer_qos: true,
    direct_reply_to: true,
  }),
});

const UTF8 = new TextEncoder();

/**
 * @internal amqplib's `encodeConnectionUpdateSecret` checks, refused before anything is sent.
 *
 * @example
 * ```ts
 * checkUpdateSecret(Buffer.from("token"), "refresh"); // passes
 * ```
 */
export function checkUpdateSecret(newSecret: unknown, reason: unknown): void {
  if (newSecret === undefined)
    throw new InvalidArgumentError("Missing value for mandatory field 'newSecret'", "MISSING_FIELD");
  if (!(newSecret instanceof Uint8Array)) {
    throw new InvalidArgumentError("Field 'newSecret' is the wrong type; must be a Buffer", "INVALID_FIELD");
  }
  if (reason === undefined)
    throw new InvalidArgumentError("Missing value for mandatory field 'reason'", "MISSING_FIELD");
  if (typeof reason !== "string" || UTF8.encode(reason).length >= 256) {
    throw new InvalidArgumentError(
      "Field 'reason' is the wrong type; must be a string (up to 255 chars)",
      "INVALID_FIELD",
    );
  }
}

/**
 * What amqplib exposes of its underlying connection on `model.connection` and
 * `channel.connection`.
 *
 * @example
 * ```ts
 * connection.connection.serverProperties.version; // "3.10.8"
 * channel.connection.close((error) => console.log("closed", error));
 * ```
 */
export interface UnderlyingConnection {
  readonly serverProperties: Readonly<ServerProperties>;
  /** Closes the whole connection; `callback(null)` once closed, `callback(error)` if it already was. */
  close(callback?: (error: Error | null) => void): void;
}

/**
 * An amqplib-shaped connection (amqplib's promise-API `ChannelModel`) to a simulated RabbitMQ,
 * as {@link connect} returns it. It opens channels and closes; it emits `'error'` (a server
 * close with a hard error, or a channel error nobody listened to) and `'close'`; `'blocked'`
 * (reason) and `'unblocked'` when a broker resource alarm blocks it (`broker.raiseAlarm`).
 *
 * Beyond amqplib: `simulation` is the simulation it lives in, `broker` the simulated broker, and
 * `native` brokerlab's own connection object.
 *
 * @example
 * ```ts
 * const connection = await connect("amqp://localhost");
 * connection.on("error", (err) => console.error("connection lost", err.message));
 * const channel = await connection.createChannel();
 * // …
 * await connection.close();
 * ```
 */
export class ChannelModel extends AmqplibEmitter {
  /** The simulation the broker lives in; drive it in manual mode, or let it drive itself (auto). */
  readonly simulation: Simulation;
  /** The simulated broker (one virtual host). */
  readonly broker: AmqpBroker;
  /** brokerlab's native connection. */
  readonly native: AmqpConnection;
  /**
   * amqplib's underlying-connection object (`model.connection`, `channel.connection`): its
   * `serverProperties` and its callback-style `close(cb)`, which closes the whole connection as
   * {@link close} does (amqplib's own callback API tests close through it).
   */
  readonly connection: UnderlyingConnection;

  private state: "open" | "closing" | "closed" = "open";
  private closedText = "Connection closed (by client)";
  private readonly channels = new Set<Channel>();
  private readonly closeWaiters: Array<() => void> = [];

  /** @internal Created by {@link connect}. */
  constructor(simulation: Simulation, broker: AmqpBroker, native: AmqpConnection) {
    super();
    this.simulation = simulation;
    this.broker = broker;
    this.native = native;
    this.connection = Object.freeze({
      serverProperties: SERVER_PROPERTIES,
      close: (callback?: (error: Error | null) => void) => {
        if (callback !== undefined && typeof callback !== "function") {
          throw new TypeError("connection.close: the callback must be a function when given.");
        }
        this.close().then(
          () => callback?.(null),
          (error: Error) => callback?.(error),
        );
      },
    });
    native.on("close", (error) => this.onNativeClose(error));
    // connection.blocked / connection.unblocked (a broker resource alarm), as amqplib emits them.
    native.on("blocked", (reason) => {
      this.emit("blocked", reason);
      this.progress();
    });
    native.on("unblocked", () => {
      this.emit("unblocked");
      this.progress();
    });
  }

  /** True once closed. */
  get closed(): boolean {
    return this.state === "closed";
  }

  /** @internal True while a client close is under way. */
  get closing(): boolean {
    return this.state === "closing";
  }

  /**
   * Opens a channel. `options.highWaterMark` is amqplib's write-buffer size in chunks (default
   * 1024): `publish` returns false at 2·highWaterMark − 1 buffered.
   *
   * @example
   * ```ts
   * const channel = await connection.createChannel();
   * ```
   */
  createChannel(options?: { highWaterMark?: number }): Promise<Channel> {
    return new Promise<Channel>((resolve) => resolve(this.openChannel(false, options)));
  }

  /**
   * @internal Opens a channel at once (the callback API returns it from `createChannel`);
   * throws `IllegalOperationError` on a closed or closing connection.
   */
  openChannel(confirm: false, options?: { highWaterMark?: number }): Channel;
  openChannel(confirm: true, options?: { highWaterMark?: number }): ConfirmChannel;
  openChannel(confirm: boolean, options?: { highWaterMark?: number }): Channel {
    this.assertOpen();
    const highWaterMark = options?.highWaterMark;
    const channel = confirm
      ? new ConfirmChannel(this, this.native.channel({ confirm: true }), highWaterMark)
      : new Channel(this, this.native.channel(), highWaterMark);
    this.channels.add(channel);
    return channel;
  }

  /**
   * Opens a channel in confirm mode.
   *
   * @example
   * ```ts
   * const channel = await connection.createConfirmChannel();
   * channel.publish("orders", "eu", body, {}, (err) => console.log(err ? "nacked" : "acked"));
   * ```
   */
  createConfirmChannel(options?: { highWaterMark?: number }): Promise<ConfirmChannel> {
    return new Promise<ConfirmChannel>((resolve) => resolve(this.openChannel(true, options)));
  }

  /**
   * Closes the connection: every channel closes (unacked messages requeued) and exclusive queues
   * are deleted. As in amqplib, every channel and then the connection emit `'close'` before the
   * promise resolves, as a simulation event; in manual mode it resolves at once and the events
   * follow when the test drives the simulation.
   *
   * @example
   * ```ts
   * await connection.close();
   * ```
   */
  close(): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.state === "closed") throw new IllegalOperationError(this.closedText);
      if (this.state === "closing") throw new IllegalOperationError("Connection closing");
      this.state = "closing";
      this.native.close();
      if (this.settlesNow()) resolve();
      else this.closeWaiters.push(resolve);
    });
  }

  /**
   * brokerlab only: the client process died — the socket is gone without a goodbye. The broker
   * closes the connection (unacked messages requeue, exclusive queues go); the dead client hears
   * nothing.
   *
   * @example
   * ```ts
   * connection.drop();
   * ```
   */
  drop(): void {
    if (this.state === "closed") return;
    this.state = "closed";
    this.closedText = "Connection dropped (the client process crashed)";
    if (!this.native.closed) this.native.close();
  }

  /**
   * amqplib's `updateSecret` (OAuth token refresh): accepted (the simulation checks no secrets).
   * As in amqplib ≥ 1.0.7 the connection emits `'update-secret-ok'` when the broker answers, and
   * then the promise resolves, as a simulation event; in manual mode it resolves at once and the
   * event follows when the test drives the simulation. `newSecret` must be a `Buffer` and
   * `reason` a string of at most 255 bytes, as amqplib's encoder demands.
   *
   * @example
   * ```ts
   * connection.on("update-secret-ok", () => console.log("token refreshed"));
   * await connection.updateSecret(Buffer.from(token), "refresh");
   * ```
   */
  updateSecret(newSecret: Uint8Array, reason: string): Promise<void> {
    return new Promise<void>((resolve) => {
      this.assertOpen();
      checkUpdateSecret(newSecret, reason);
      const answer = (): void => {
        if (this.state !== "open") return; // the connection went first: no reply comes
        this.emit("update-secret-ok");
        resolve();
      };
      if (this.settlesNow()) {
        resolve();
        this.simulation.defer(() => {
          if (this.state === "open") this.emit("update-secret-ok");
        });
      } else this.simulation.defer(answer);
    });
  }

  // ------------------------------------------------------------------------- internals

  /** @internal Throws what amqplib throws for a call on a closed or closing connection. */
  assertOpen(): void {
    if (this.state === "closed") throw new IllegalOperationError(this.closedText);
    if (this.state === "closing") throw new IllegalOperationError("Connection closing");
  }

  /**
   * @internal Whether the connection, not the channel, finishes a channel close with `cause`:
   * when the connection is closing or closed, or the cause is a hard (connection-level) error.
   */
  closesChannelsFor(cause: unknown): boolean {
    return this.state !== "open" || (cause instanceof AmqpError && cause.connectionLevel);
  }

  /**
   * @internal True when no runner drives the simulation (manual mode, or a closed simulation), so
   * a reply must not wait for a simulation event: nothing would ever deliver it.
   */
  settlesNow(): boolean {
    return this.simulation.drive === "manual" || this.simulation.isClosed;
  }

  /** @internal A channel closed. */
  forget(channel: Channel): void {
    this.channels.delete(channel);
  }

  /**
   * @internal Tells the simulation that client code may have promise continuations to run, so
   * it lets them settle before virtual time moves (as the kernel does for its own promises).
   */
  progress(): void {
    this.simulation.deferred<undefined>().resolve(undefined);
  }

  /**
   * @internal A channel error nobody listened to: amqplib's channel `emit('error')` throws inside
   * frame handling, which kills the socket. The broker sees the client vanish (everything
   * requeued); the client emits `'error'` on the connection, then `'close'` everywhere. Unless
   * `fatal` is false (a rejected consumer promise), an `'error'` nobody hears then fails the
   * simulation; otherwise the connection's `'close'` carries it.
   */
  fail(error: Error, fatal = true): void {
    if (this.state === "closed") return;
    if (!this.native.closed) this.native.close();
    this.finish(error, true, fatal);
  }

  private onNativeClose(error: AmqpError | null): void {
    if (this.state === "closed") return;
    // amqplib's isFatalError: a server close with 320 CONNECTION_FORCED (a broker restart, an
    // operator's close) is not an 'error', only a 'close' carrying the error.
    this.finish(
      error === null ? undefined : connectionClosedByServer(error),
      error !== null && error.replyCode !== 320,
    );
  }

  /** amqplib's `toClosed`: `'error'` (if any), every channel's `'close'`, then the connection's. */
  private finish(error: Error | undefined, emitError: boolean, fatal = true): void {
    this.state = "closed";
    if (error !== undefined) this.closedText = `Connection closed (${String(error)})`;
    // amqplib resolves `close()` just before it closes the channels and emits 'close'.
    for (const resolve of this.closeWaiters.splice(0)) resolve();
    let unheard: Error | undefined;
    if (emitError && error !== undefined) {
      if (this.listenerCount("error") > 0) this.emit("error", error);
      else unheard = error;
    }
    for (const channel of [...this.channels]) channel.closeClientSide();
    this.emit("close", error);
    this.progress();
    // An 'error' with no listener is fatal in Node, and so in amqplib: fail the simulation.
    if (unheard !== undefined && fatal) throw unheard;
  }
}
