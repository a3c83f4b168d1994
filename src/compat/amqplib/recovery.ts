/**
 * amqplib ≥ 1.1's connection recovery (`connect(url, { recovery })`, options of 2.1/2.2) over
 * simulated connections: when the connection is lost (a broker restart, missed heartbeats across
 * a fault plan's `partition`, its `restart-broker`), the recovering connection emits `'disconnect'`,
 * waits amqplib's backoff in virtual time (exponential from `initialDelay` by `factor`, capped so
 * that base plus jitter stays under `maxDelay`; the jitter drawn from the simulation's seeded
 * random source), reconnects and re-runs `setup`. Same events, options and give-up rules as
 * amqplib's `lib/recovery.js`.
 */
import { InvalidArgumentError } from "../../scheduler/errors.js";
import type { Simulation } from "../../scheduler/simulation.js";
import { CallbackModel } from "./callback/callback-model.js";
import type { Channel } from "./channel.js";
import type { ConfirmChannel } from "./confirm-channel.js";
import { defaultSimulation, connect as promiseConnect, type SocketOptions } from "./connect.js";
import type { ChannelModel } from "./connection.js";
import { AmqplibEmitter } from "./emitter.js";
import type { Options } from "./types.js";

/**
 * amqplib's `RecoveryOptions` (`socketOptions.recovery`, or `recovery: true` for the defaults).
 *
 * @example
 * ```ts
 * const options: RecoveryOptions = { initialDelay: 100, maxDelay: 30_000, setup: async (c) => {} };
 * ```
 */
export interface RecoveryOptions {
  /** Set to false to turn recovery off while keeping the object. */
  enabled?: boolean;
  /** First reconnect delay, ms. Default 100. */
  initialDelay?: number;
  /** Largest reconnect delay, ms. Default 30000. */
  maxDelay?: number;
  /** Backoff multiplier per attempt. Default 2. */
  factor?: number;
  /** Jitter fraction 0–1. Default 0.2. */
  jitter?: number;
  /** Reconnect attempts before giving up. Default Infinity. */
  maxRetries?: number;
  /** Attempts before the first successful connection. Default `maxRetries`. */
  initialMaxRetries?: number;
  /**
   * Run after each successful connection: returns a promise, or (declaring a second parameter)
   * calls `done(err?)`.
   */
  // biome-ignore lint/suspicious/noExplicitAny: the model is a ChannelModel or a CallbackModel.
  setup?: (model: any, done: (err?: Error) => void) => unknown;
  /** When false, `connect` returns at once; `waitForConnect()` awaits the first connection. */
  waitForConnect?: boolean;
  /** A custom delay (ms) for attempt n (from 1). */
  calculateDelay?: (attempt: number) => number;
}

interface Normalised {
  initialDelay: number;
  maxDelay: number;
  factor: number;
  jitter: number;
  maxRetries: number;
  initialMaxRetries: number;
  setup: RecoveryOptions["setup"] | null;
  waitForConnect: boolean;
  calculateDelay: ((attempt: number) => number) | null;
}

/**
 * @internal amqplib's `splitConnectionOptions` + `recoveryEnabled`: null when recovery is off.
 *
 * @example
 * ```ts
 * recoveryOptionsOf({ recovery: true }); // { connectionOptions: {}, recovery: true }
 * ```
 */
export function recoveryOptionsOf(
  options: unknown,
): { connectionOptions: SocketOptions; recovery: RecoveryOptions | true } | null {
  if (!options || typeof options !== "object" || !Object.hasOwn(options, "recovery")) return null;
  const { recovery, ...connectionOptions } = options as SocketOptions & { recovery?: unknown };
  if (!recovery) return null;
  if (recovery !== true && typeof recovery !== "object") {
    throw new InvalidArgumentError(
      `connect: socketOptions.recovery must be true or an options object, got ${typeof recovery}.`,
    );
  }
  if (recovery !== true && (recovery as RecoveryOptions).enabled === false) return null;
  return { connectionOptions, recovery: recovery as RecoveryOptions | true };
}

function finite(value: unknown, fallback: number): number {
  const n = Number(value);
  return Number.isFinite(n) ? n : fallback;
}

function retries(value: unknown, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  if (value === Number.POSITIVE_INFINITY) return value;
  const n = finite(value, fallback);
  return Math.max(n, 0);
}

function normalise(recovery: RecoveryOptions | true): Normalised {
  const o: RecoveryOptions = recovery === true ? {} : recovery;
  const initialDelay = Math.max(0, finite(o.initialDelay, 100));
  const maxRetries = retries(o.maxRetries, Number.POSITIVE_INFINITY);
  return {
    initialDelay,
    maxDelay: Math.max(initialDelay, finite(o.maxDelay, 30_000)),
    factor: Math.max(1, finite(o.factor, 2)),
    jitter: Math.min(1, Math.max(0, finite(o.jitter, 0.2))),
    maxRetries,
    initialMaxRetries: retries(o.initialMaxRetries, maxRetries),
    setup: typeof o.setup === "function" ? o.setup : null,
    waitForConnect: o.waitForConnect !== false,
    calculateDelay: typeof o.calculateDelay === "function" ? o.calculateDelay : null,
  };
}

function toError(err: unknown, fallback: string): Error {
  if (err instanceof Error) return err;
  return new Error(err ? String(err) : fallback);
}

/**
 * amqplib 2.2's delay for attempt `attempt`: the base capped at `maxDelay / (1 + jitter)` so the
 * jittered value never exceeds `maxDelay`; `draw` is a uniform number in [0, 1).
 *
 * @example
 * ```ts
 * recoveryDelay({ initialDelay: 100, maxDelay: 30_000, factor: 2, jitter: 0 }, 3, () => 0.5); // 400
 * ```
 */
export function recoveryDelay(
  o: { initialDelay: number; maxDelay: number; factor: number; jitter: number },
  attempt: number,
  draw: () => number,
): number {
  const base = Math.min(o.maxDelay / (1 + o.jitter), o.initialDelay * o.factor ** (attempt - 1));
  const part = base * o.jitter;
  const offset = part > 0 ? draw() * part * 2 - part : 0;
  return Math.max(0, Math.round(base + offset));
}

function runSetup(setup: Normalised["setup"], model: unknown): Promise<void> {
  if (!setup) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const done = (err?: unknown): void => {
      if (settled) return;
      settled = true;
      if (err) reject(toError(err, "Recovery setup failed"));
      else resolve();
    };
    try {
      if (setup.length >= 2) (setup as (m: unknown, d: (e?: Error) => void) => void)(model, done);
      else Promise.resolve((setup as (m: unknown) => unknown)(model)).then(() => done(), done);
    } catch (err) {
      done(err);
    }
  });
}

type Opened = { model: ChannelModel | CallbackModel; promise: ChannelModel };

const FORWARDED = ["blocked", "unblocked", "update-secret-ok", "handler-error"] as const;

/** amqplib's `RecoveringCore`: one logical connection over successive simulated ones. */
class RecoveringCore extends AmqplibEmitter {
  readonly options: Normalised;
  private current: Opened | null = null;
  private unbind: (() => void) | null = null;
  private waiters: Array<{ resolve: (o: Opened) => void; reject: (e: Error) => void }> = [];
  private connecting = false;
  private stopped = false;
  private failure: Error | null = null;
  private connectedOnce = false;
  private timer: number | null = null;
  private attempt = 0;
  private initialReady = false;
  private resolveInitial!: () => void;
  private rejectInitial!: (e: Error) => void;
  readonly initialWait: Promise<void>;

  constructor(
    private readonly sim: Simulation,
    private readonly open: () => Promise<Opened>,
    recovery: RecoveryOptions | true,
  ) {
    super();
    this.options = normalise(recovery);
    this.initialWait = new Promise<void>((resolve, reject) => {
      this.resolveInitial = resolve;
      this.rejectInitial = reject;
    });
    this.initialWait.catch(() => undefined);
    // amqplib defers the first attempt to the next turn, so listeners can be attached first.
    // The attempt's promise is returned to the simulation, which lets it settle before time moves.
    sim.defer(() => this.connect());
  }

  /** amqplib's core is a plain EventEmitter: a throwing listener propagates (to the model's emit). */
  override reportHandlerError(): boolean {
    return false;
  }

  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== null) {
      this.sim.cancel(this.timer);
      this.timer = null;
    }
    const closed = new Error("Connection closed");
    this.rejectWaiters(closed);
    this.rejectInitialConnection(closed);
    const current = this.current;
    if (current !== null) {
      this.current = null;
      this.unbindModel();
      await closeQuietly(current.promise);
    }
  }

  waitForConnection(): Promise<Opened> {
    if (this.current !== null) return Promise.resolve(this.current);
    if (this.stopped) return Promise.reject(this.failure ?? new Error("Connection closed"));
    return new Promise<Opened>((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private rejectInitialConnection(err: Error): void {
    if (this.initialReady) return;
    this.initialReady = true;
    this.rejectInitial(err);
  }

  private rejectWaiters(err: Error): void {
    for (const waiter of this.waiters.splice(0)) waiter.reject(err);
  }

  private bindModel(opened: Opened): void {
    const model = opened.promise;
    const onClose = (maybeErr: unknown): void => {
      if (this.current !== opened) return;
      this.current = null;
      this.unbindModel();
      if (this.stopped) return;
      const err = toError(maybeErr, "Connection closed");
      this.emit("disconnect", err);
      this.scheduleReconnect(err);
    };
    const onError = (err: Error): void => {
      // Node's EventEmitter throws an 'error' nobody hears; so does amqplib's recovering model.
      if (this.listenerCount("error") === 0) throw err;
      this.emit("error", err);
    };
    const forwards = FORWARDED.map((event) => {
      const fn = (...args: unknown[]) => this.emit(event, ...args);
      model.on(event, fn);
      return [event, fn] as const;
    });
    model.on("close", onClose);
    model.on("error", onError);
    this.unbind = () => {
      model.removeListener("close", onClose);
      model.removeListener("error", onError);
      for (const [event, fn] of forwards) model.removeListener(event, fn);
      model.on("error", () => undefined);
    };
  }

  private unbindModel(): void {
    this.unbind?.();
    this.unbind = null;
  }

  private async connect(): Promise<void> {
    if (this.stopped || this.connecting) return;
    this.connecting = true;
    let opened: Opened | undefined;
    try {
      opened = await this.open();
      if (!this.stopped) await runSetup(this.options.setup, opened.model);
      if (this.stopped) {
        await closeQuietly(opened.promise);
        return;
      }
      this.current = opened;
      this.attempt = 0;
      this.connectedOnce = true;
      this.bindModel(opened);
      if (!this.initialReady) {
        this.initialReady = true;
        this.resolveInitial();
      }
      for (const waiter of this.waiters.splice(0)) waiter.resolve(opened);
      this.emit("connect", opened.model);
    } catch (err) {
      const error = toError(err, "Connection recovery failed");
      if (opened) await closeQuietly(opened.promise);
      this.emit("connect-failed", error);
      this.scheduleReconnect(error);
    } finally {
      this.connecting = false;
    }
  }

  private scheduleReconnect(err: Error): void {
    if (this.stopped || this.timer !== null) return;
    const max = this.connectedOnce ? this.options.maxRetries : this.options.initialMaxRetries;
    if (this.attempt >= max) {
      this.abandon(err);
      return;
    }
    const attempt = this.attempt + 1;
    let delay: number;
    try {
      delay = this.delayFor(attempt);
    } catch (delayErr) {
      this.abandon(toError(delayErr, "calculateDelay failed"));
      return;
    }
    this.attempt = attempt;
    this.emit("reconnect-scheduled", { attempt, delay, error: err });
    this.timer = this.sim.schedule(this.sim.now + delay, () => {
      this.timer = null;
      return this.connect();
    });
  }

  private delayFor(attempt: number): number {
    const custom = this.options.calculateDelay;
    if (custom === null) {
      return recoveryDelay(this.options, attempt, () => this.sim.random.fork("amqplib-recovery").float());
    }
    const value = custom(attempt);
    if (typeof value === "number" && Number.isFinite(value) && value >= 0) return Math.round(value);
    throw new Error(
      `calculateDelay must return a finite, non-negative number of milliseconds (got ${String(value)})`,
    );
  }

  private abandon(err: Error): void {
    this.stopped = true;
    this.failure = err;
    this.rejectInitialConnection(err);
    this.rejectWaiters(err);
    this.emit("reconnect-failed", err);
  }
}

function closeQuietly(model: ChannelModel): Promise<void> {
  if (model.closed || model.closing) return Promise.resolve();
  return model.close().catch(() => undefined);
}

const EVENTS = [
  "connect",
  "disconnect",
  "connect-failed",
  "reconnect-scheduled",
  "reconnect-failed",
  "error",
  ...FORWARDED,
] as const;

function wire(core: RecoveringCore, target: AmqplibEmitter): void {
  for (const event of EVENTS) {
    core.on(event, (...args: unknown[]) => {
      if (event === "error" && target.listenerCount("error") === 0) throw args[0];
      target.emit(event, ...args);
    });
  }
}

function simulationOf(options: SocketOptions): Simulation {
  return options.simulation ?? options.broker?.sim ?? defaultSimulation();
}

/**
 * The promise API's recovering connection (amqplib's `RecoveringPromiseModel`): channel calls
 * wait for a live connection; events `'connect'`, `'disconnect'`, `'connect-failed'`,
 * `'reconnect-scheduled'`, `'reconnect-failed'`, `'error'`, `'blocked'`, `'unblocked'`,
 * `'update-secret-ok'`, `'handler-error'`. Channels are not recovered (as in amqplib): open new
 * ones in `setup` or on `'connect'`.
 *
 * @example
 * ```ts
 * const connection = await connect("amqp://localhost", {
 *   recovery: { setup: async (c) => { const ch = await c.createChannel(); await ch.assertQueue("jobs"); } },
 * });
 * connection.on("disconnect", (err) => console.log("lost", err.message));
 * ```
 */
export class RecoveringChannelModel extends AmqplibEmitter {
  /** @internal */
  readonly core: RecoveringCore;

  /** @internal Created by `connect(url, { recovery })`. */
  constructor(core: RecoveringCore) {
    super();
    this.core = core;
    wire(core, this);
  }

  /** Resolves (to this) once the first connection is up. */
  async waitForConnect(): Promise<this> {
    await this.core.initialWait;
    return this;
  }

  /** Stops recovering and closes the current connection. */
  close(): Promise<void> {
    return this.core.close();
  }

  /** Opens a channel on the current connection (waiting for one). */
  async createChannel(options?: { highWaterMark?: number }): Promise<Channel> {
    return (await this.core.waitForConnection()).promise.createChannel(options);
  }

  /** Opens a confirm channel on the current connection (waiting for one). */
  async createConfirmChannel(options?: { highWaterMark?: number }): Promise<ConfirmChannel> {
    return (await this.core.waitForConnection()).promise.createConfirmChannel(options);
  }

  /** `updateSecret` on the current connection (waiting for one). */
  async updateSecret(newSecret: Uint8Array, reason: string): Promise<void> {
    return (await this.core.waitForConnection()).promise.updateSecret(newSecret, reason);
  }
}

type Callback<T> = (err: Error | null, value?: T) => void;

function settle<T>(promise: Promise<T>, cb: unknown): void {
  const callback = typeof cb === "function" ? (cb as Callback<T>) : () => undefined;
  promise.then(
    (value) => callback(null, value),
    (err) => callback(toError(err, "Operation failed")),
  );
}

/**
 * The callback API's recovering connection (amqplib's `RecoveringCallbackModel`): as
 * {@link RecoveringChannelModel}, with Node-style callbacks; `setup` and `'connect'` get the
 * callback-API connection.
 *
 * @example
 * ```ts
 * const connection = connect("amqp://localhost", { recovery: { waitForConnect: false } });
 * connection.on("connect", () => console.log("up"));
 * connection.createChannel((err, channel) => channel.assertQueue("jobs"));
 * ```
 */
export class RecoveringCallbackModel extends AmqplibEmitter {
  /** @internal */
  readonly core: RecoveringCore;

  /** @internal Created by the callback API's `connect(url, { recovery }, cb)`. */
  constructor(core: RecoveringCore) {
    super();
    this.core = core;
    wire(core, this);
  }

  /** Calls `cb(null, this)` once the first connection is up, `cb(err)` if recovery gave up. */
  waitForConnect(cb?: Callback<RecoveringCallbackModel>): this {
    settle(
      this.core.initialWait.then(() => this),
      cb,
    );
    return this;
  }

  /** Stops recovering and closes the current connection. */
  close(cb?: (err: Error | null) => void): this {
    settle(this.core.close(), cb);
    return this;
  }

  /** `updateSecret` on the current connection (waiting for one). */
  updateSecret(newSecret: Uint8Array, reason: string, cb?: (err: Error | null) => void): this {
    settle(
      this.core.waitForConnection().then((o) => o.promise.updateSecret(newSecret, reason)),
      cb,
    );
    return this;
  }

  /** Opens a channel on the current connection (waiting for one); returns this. */
  createChannel(options?: unknown, cb?: Callback<unknown>): this {
    return this.opening(false, options, cb);
  }

  /** Opens a confirm channel on the current connection (waiting for one); returns this. */
  createConfirmChannel(options?: unknown, cb?: Callback<unknown>): this {
    return this.opening(true, options, cb);
  }

  private opening(confirm: boolean, options: unknown, cb: unknown): this {
    const callback = typeof options === "function" ? options : cb;
    const channel = this.core.waitForConnection().then(
      (o) =>
        new Promise((resolve, reject) => {
          const model = o.model as CallbackModel;
          const done = (err: Error | null, ch?: unknown) => (err ? reject(err) : resolve(ch));
          if (confirm) model.createConfirmChannel(done);
          else model.createChannel(done);
        }),
    );
    settle(channel, callback);
    return this;
  }
}

/**
 * @internal The promise API's `connect(url, { recovery })`.
 *
 * @example
 * ```ts
 * const connection = await recoveringConnect("amqp://localhost", {}, true);
 * ```
 */
export function recoveringConnect(
  url: string | Options.Connect | undefined,
  options: SocketOptions,
  recovery: RecoveryOptions | true,
): Promise<RecoveringChannelModel> {
  const open = async (): Promise<Opened> => {
    const model = await promiseConnect(url, options);
    return { model, promise: model };
  };
  const recovering = new RecoveringChannelModel(new RecoveringCore(simulationOf(options), open, recovery));
  if (!recovering.core.options.waitForConnect) return Promise.resolve(recovering);
  return recovering.waitForConnect();
}

/**
 * @internal The callback API's `connect(url, { recovery }, cb)`.
 *
 * @example
 * ```ts
 * const connection = recoveringCallbackConnect(undefined, {}, true, (err) => {});
 * ```
 */
export function recoveringCallbackConnect(
  url: string | Options.Connect | undefined,
  options: SocketOptions,
  recovery: RecoveryOptions | true,
  cb: Callback<RecoveringCallbackModel> | undefined,
): RecoveringCallbackModel {
  const open = async (): Promise<Opened> => {
    const promise = await promiseConnect(url, options);
    return { model: new CallbackModel(promise), promise };
  };
  const sim = simulationOf(options);
  const recovering = new RecoveringCallbackModel(new RecoveringCore(sim, open, recovery));
  if (recovering.core.options.waitForConnect) recovering.waitForConnect(cb);
  else if (typeof cb === "function") sim.defer(() => cb(null, recovering));
  return recovering;
}
