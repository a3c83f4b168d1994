/**
 * Shared vocabulary of the RabbitMQ conformance scenarios: the context a scenario runs in, the shape
 * of what it observes, and a {@link Session} that opens channels, records what the client sees and
 * deletes everything the scenario declared.
 *
 * Scenarios are written against amqplib's promise API and never import amqplib's runtime: the
 * connection comes from {@link ScenarioContext.connect}, so the same script runs against a real
 * broker (see `real.ts`) and, later, against brokerlab's amqplib-shaped facade.
 */
import type { Channel, ChannelModel, ConfirmChannel, Message, Options } from "amqplib";

/** The part of amqplib's promise-API connection (`ChannelModel`) that scenarios use. */
export type AmqpConnection = Pick<ChannelModel, "createChannel" | "createConfirmChannel" | "close">;

/** Everything a scenario may use from the outside world. */
export interface ScenarioContext {
  /** Opens a new connection (amqplib's `connect(url)` on the real side). */
  connect(): Promise<AmqpConnection>;
  /**
   * Opens a connection as another user, maybe to another virtual host (rejects as amqplib does
   * when the broker refuses the login or the vhost). The users are those of `users.ts`.
   */
  connectAs?(login: Login): Promise<AmqpConnection>;
  /** Waits `ms` milliseconds (wall clock on the real side, virtual time on the simulated one). */
  sleep(ms: number): Promise<void>;
  /**
   * Turns a base name into a name unique to this run, by adding a prefix; `name("")` is the prefix
   * itself. {@link runScenario} strips the prefix from the observation, so results never show it.
   */
  name(base: string): string;
}

/** A user name, password and virtual host (default `/`) to connect with. */
export interface Login {
  username: string;
  password: string;
  vhost?: string;
}

/** A JSON value (object members that are `undefined` are dropped when serialised). */
export type Json = null | boolean | number | string | Json[] | JsonObject;

/** A JSON object. */
export interface JsonObject {
  [key: string]: Json | undefined;
}

/** A plain, JSON-able record of what a client observed; compared field by field across brokers. */
export type Observation = JsonObject;

/** One conformance scenario: a script against amqplib's API that reports what it observed. */
export interface Scenario {
  /** File-name-safe identifier; also the golden file name. */
  name: string;
  /** One line on what the scenario pins down. */
  description: string;
  /** Runs the scenario, deleting what it declared before returning. */
  run(ctx: ScenarioContext): Promise<Observation>;
}

/**
 * `assertQueue` options as amqplib 0.10.9 accepts them: @types/amqplib lacks `overflow`
 * (→ `x-overflow`) and `queueMode` (→ `x-queue-mode`), which amqplib maps like the others.
 */
export type QueueOptions = Options.AssertQueue & {
  /** `drop-head`, `reject-publish` or `reject-publish-dlx`. */
  overflow?: string;
  queueMode?: string;
};

/** A message as a scenario reports it: content, routing fields, properties that matter, headers. */
export interface MessageObservation {
  [key: string]: Json | undefined;
  queue?: string;
  content: string;
  redelivered: boolean;
  exchange: string;
  routingKey: string;
  deliveryTag?: number;
  /** `basic.get` only: ready messages left in the queue. */
  messageCount?: number;
  expiration?: string;
  /** All headers; `x-death` entries lose their `time`, timestamps become `"<timestamp>"`. */
  headers?: JsonObject;
}

/** A `basic.return`, as the publisher saw it. */
export interface ReturnObservation {
  [key: string]: Json;
  replyCode: number;
  replyText: string;
  exchange: string;
  routingKey: string;
  content: string;
}

/** A channel closed by the server: the AMQP reply code and its constant name (e.g. `NOT_FOUND`). */
export interface ChannelErrorObservation {
  [key: string]: Json;
  code: number | null;
  name: string | null;
}

/** How long polling helpers wait for something that should happen soon, before reporting what is. */
export const SETTLE_TIMEOUT_MS = 5_000;
/** Polling interval of the helpers. */
export const POLL_INTERVAL_MS = 10;

/**
 * Runs a scenario and returns its observation as plain JSON with the run's name prefix removed
 * from every string (keys included), so observations from different runs and brokers compare equal.
 */
export async function runScenario(scenario: Scenario, ctx: ScenarioContext): Promise<Observation> {
  const prefix = ctx.name("");
  const observation = await scenario.run(ctx);
  return stripPrefix(JSON.parse(JSON.stringify(observation)) as Json, prefix) as Observation;
}

function stripPrefix(value: Json, prefix: string): Json {
  if (prefix === "") return value;
  if (typeof value === "string") return value.split(prefix).join("");
  if (Array.isArray(value)) return value.map((item) => stripPrefix(item, prefix));
  if (value !== null && typeof value === "object") {
    const out: JsonObject = {};
    for (const [key, item] of Object.entries(value)) {
      if (item !== undefined) out[key.split(prefix).join("")] = stripPrefix(item, prefix);
    }
    return out;
  }
  return value;
}

/** A plain-data value as {@link Json} (a JSON round trip: `undefined` members vanish). */
export function asJson(value: unknown): Json {
  return JSON.parse(JSON.stringify(value ?? null)) as Json;
}

/** Serialises JSON with object keys sorted at every level (arrays keep their order), two-space indent. */
export function stableStringify(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

/** Summarises a delivered, fetched or dead-lettered message; `queue` names where it was taken from. */
export function observeMessage(msg: Message, queue?: string): MessageObservation {
  const fields = msg.fields as Message["fields"] & { messageCount?: number };
  const out: MessageObservation = {
    content: msg.content.toString("utf8"),
    redelivered: fields.redelivered,
    exchange: fields.exchange,
    routingKey: fields.routingKey,
    deliveryTag: fields.deliveryTag,
  };
  if (queue !== undefined) out.queue = queue;
  if (typeof fields.messageCount === "number") out.messageCount = fields.messageCount;
  const expiration: unknown = msg.properties.expiration;
  if (expiration !== undefined && expiration !== null) out.expiration = String(expiration);
  const headers = msg.properties.headers as Record<string, unknown> | undefined;
  if (headers && Object.keys(headers).length > 0) {
    const summary: JsonObject = {};
    for (const [key, value] of Object.entries(headers)) {
      summary[key] = key === "x-death" && Array.isArray(value) ? value.map(summariseDeath) : toJson(value);
    }
    out.headers = summary;
  }
  return out;
}

/** One `x-death` entry without its `time`, with its fields in a fixed shape. */
function summariseDeath(entry: unknown): Json {
  const death = (entry ?? {}) as Record<string, unknown>;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(death)) {
    if (key !== "time") out[key] = toJson(value);
  }
  return out;
}

/** Converts a decoded AMQP table value to JSON: Buffers to text, typed values to their value. */
function toJson(value: unknown): Json {
  if (value === undefined || value === null) return null;
  if (typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  if (Buffer.isBuffer(value)) return value.toString("utf8");
  if (Array.isArray(value)) return value.map(toJson);
  if (typeof value === "object") {
    const typed = value as { "!"?: unknown; value?: unknown };
    if (typed["!"] === "timestamp") return "<timestamp>";
    if (typeof typed["!"] === "string") return { type: typed["!"], value: toJson(typed.value) };
    const out: JsonObject = {};
    for (const [key, item] of Object.entries(value)) out[key] = toJson(item);
    return out;
  }
  return String(value);
}

/** Turns an error from amqplib into a {@link ChannelErrorObservation}. */
export function observeError(error: unknown): ChannelErrorObservation {
  const err = error as { code?: unknown; message?: unknown };
  const message = typeof err.message === "string" ? err.message : "";
  // amqplib: `Channel closed by server: 404 (NOT-FOUND) with message "NOT_FOUND - no exchange ..."`
  const match = /with message "([A-Z_]+) - /.exec(message) ?? /\d{3} \(([A-Z-]+)\)/.exec(message);
  return {
    code: typeof err.code === "number" ? err.code : null,
    name: match?.[1] ? match[1].replace(/-/g, "_") : null,
  };
}

/**
 * A channel plus what the client saw on it: channel errors, returns, and (confirm channels) the
 * settlement of each publish, numbered from 1 in publish order.
 */
export class ObservedChannel<C extends Channel = Channel> {
  /** Errors the channel emitted (server closes), in order. */
  readonly errors: ChannelErrorObservation[] = [];
  /** Returned messages, in arrival order. */
  readonly returns: ReturnObservation[] = [];
  /** Confirm channels: outcome per publish sequence number (index 0 is sequence 1). */
  readonly confirms: Array<"ack" | "nack" | "pending"> = [];
  /** Arrival order of returns and confirms: `return:<content>`, `ack:<seq>`, `nack:<seq>`. */
  readonly events: string[] = [];
  private closedFlag = false;
  private readonly closedPromise: Promise<void>;

  constructor(
    readonly raw: C,
    private readonly confirm: boolean,
  ) {
    raw.on("error", (error: unknown) => this.errors.push(observeError(error)));
    raw.on("return", (msg: Message) => {
      const fields = msg.fields as Message["fields"] & { replyCode: number; replyText: string };
      const content = msg.content.toString("utf8");
      this.returns.push({
        replyCode: fields.replyCode,
        replyText: fields.replyText,
        exchange: fields.exchange,
        routingKey: fields.routingKey,
        content,
      });
      this.events.push(`return:${content}`);
    });
    this.closedPromise = new Promise((resolve) =>
      raw.once("close", () => {
        this.closedFlag = true;
        resolve();
      }),
    );
  }

  /** True once the channel has closed, by either side. */
  get closed(): boolean {
    return this.closedFlag;
  }

  /**
   * Publishes a text message. On a confirm channel, returns the publish sequence number whose
   * outcome lands in {@link confirms}; on a plain channel, returns 0.
   */
  publish(exchange: string, routingKey: string, content: string, options?: Options.Publish): number {
    const body = Buffer.from(content, "utf8");
    if (!this.confirm) {
      this.raw.publish(exchange, routingKey, body, options);
      return 0;
    }
    this.confirms.push("pending");
    const seq = this.confirms.length;
    (this.raw as unknown as ConfirmChannel).publish(exchange, routingKey, body, options, (err: unknown) => {
      this.confirms[seq - 1] = err ? "nack" : "ack";
      this.events.push(`${err ? "nack" : "ack"}:${seq}`);
    });
    return seq;
  }

  /** `sendToQueue` counterpart of {@link publish}. */
  sendToQueue(queue: string, content: string, options?: Options.Publish): number {
    return this.publish("", queue, content, options);
  }

  /** Confirm channels: waits until every publish so far is acked or nacked (nacks do not throw). */
  async settled(): Promise<void> {
    if (!this.confirm) return;
    try {
      await (this.raw as unknown as ConfirmChannel).waitForConfirms();
    } catch {
      // A nack rejects waitForConfirms; the per-publish outcome is already in `confirms`.
    }
  }

  /** Resolves when the channel has closed, or after `timeoutMs` (then `closed` stays false). */
  async waitClosed(ctx: ScenarioContext, timeoutMs = SETTLE_TIMEOUT_MS): Promise<boolean> {
    await waitFor(ctx, () => this.closedFlag, timeoutMs);
    if (this.closedFlag) await this.closedPromise;
    return this.closedFlag;
  }

  /** Closes the channel, ignoring the error of an already closed one. */
  async close(): Promise<void> {
    if (this.closedFlag) return;
    try {
      await this.raw.close();
    } catch {
      // already closed by the server
    }
  }
}

/** Polls `condition` every {@link POLL_INTERVAL_MS} until it holds or `timeoutMs` passes; says which. */
export async function waitFor(
  ctx: ScenarioContext,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = SETTLE_TIMEOUT_MS,
): Promise<boolean> {
  for (let waited = 0; ; waited += POLL_INTERVAL_MS) {
    if (await condition()) return true;
    if (waited >= timeoutMs) return false;
    await ctx.sleep(POLL_INTERVAL_MS);
  }
}

/**
 * One scenario's resources. Declares queues and exchanges through {@link queue} and
 * {@link exchange} so {@link cleanup} can delete them, and opens observed channels.
 */
export class Session {
  private readonly connections: AmqpConnection[] = [];
  private readonly queues: string[] = [];
  private readonly exchanges: string[] = [];
  private mainConnection: AmqpConnection | undefined;
  private adminChannel: ObservedChannel | undefined;

  constructor(readonly ctx: ScenarioContext) {}

  /** The run-unique name for `base`. */
  name(base: string): string {
    return this.ctx.name(base);
  }

  /** Opens another connection (the first one is shared by channel helpers by default). */
  async connect(): Promise<AmqpConnection> {
    const connection = await this.ctx.connect();
    this.connections.push(connection);
    return connection;
  }

  private async main(): Promise<AmqpConnection> {
    this.mainConnection ??= await this.connect();
    return this.mainConnection;
  }

  /** Opens an observed plain channel on `connection` (default: the session's first connection). */
  async channel(connection?: AmqpConnection): Promise<ObservedChannel<Channel>> {
    const conn = connection ?? (await this.main());
    return new ObservedChannel(await conn.createChannel(), false);
  }

  /** Opens an observed confirm channel on `connection` (default: the session's first connection). */
  async confirmChannel(connection?: AmqpConnection): Promise<ObservedChannel<ConfirmChannel>> {
    const conn = connection ?? (await this.main());
    return new ObservedChannel(await conn.createConfirmChannel(), true);
  }

  /** A healthy channel for declarations and inspection, reopened if a server error closed it. */
  async admin(): Promise<ObservedChannel<Channel>> {
    if (!this.adminChannel || this.adminChannel.closed) this.adminChannel = await this.channel();
    return this.adminChannel;
  }

  /** Declares queue `base` (run-unique name) and returns its full name; deleted by {@link cleanup}. */
  async queue(base: string, options?: QueueOptions): Promise<string> {
    const name = this.name(base);
    this.queues.push(name);
    await (await this.admin()).raw.assertQueue(name, options);
    return name;
  }

  /** Declares exchange `base` (run-unique name) and returns its full name; deleted by {@link cleanup}. */
  async exchange(base: string, type: string, options?: Options.AssertExchange): Promise<string> {
    const name = this.name(base);
    this.exchanges.push(name);
    await (await this.admin()).raw.assertExchange(name, type, options);
    return name;
  }

  /** Remembers a name declared some other way (e.g. in an error case) so cleanup deletes it. */
  track(kind: "queue" | "exchange", fullName: string): void {
    (kind === "queue" ? this.queues : this.exchanges).push(fullName);
  }

  /** `bindQueue` on the admin channel. */
  async bindQueue(
    queue: string,
    exchange: string,
    key: string,
    args?: Record<string, unknown>,
  ): Promise<void> {
    await (await this.admin()).raw.bindQueue(queue, exchange, key, args);
  }

  /** `bindExchange` on the admin channel. */
  async bindExchange(destination: string, source: string, key: string, args?: Record<string, unknown>) {
    await (await this.admin()).raw.bindExchange(destination, source, key, args);
  }

  /** Ready-message count of `queue` (`checkQueue`). */
  async readyCount(queue: string): Promise<number> {
    return (await (await this.admin()).raw.checkQueue(queue)).messageCount;
  }

  /** Polls until `queue` holds at least `count` ready messages (bounded); returns the last count. */
  async waitForReady(queue: string, count: number, timeoutMs = SETTLE_TIMEOUT_MS): Promise<number> {
    let last = 0;
    await waitFor(
      this.ctx,
      async () => {
        last = await this.readyCount(queue);
        return last >= count;
      },
      timeoutMs,
    );
    return last;
  }

  /**
   * Takes every ready message of `queue` with `basic.get` and reports them in order. `settle`
   * decides what happens to each: `ack` (default), or `keep` to leave them unacked on `channel`;
   * `collect` receives the raw messages (to settle them later).
   */
  async drain(
    queue: string,
    options: { channel?: ObservedChannel; settle?: "ack" | "keep"; limit?: number; collect?: Message[] } = {},
  ): Promise<MessageObservation[]> {
    const channel = options.channel ?? (await this.admin());
    const out: MessageObservation[] = [];
    for (let i = 0; i < (options.limit ?? 1000); i++) {
      const msg = await channel.raw.get(queue);
      if (msg === false) break;
      out.push(observeMessage(msg, queue));
      options.collect?.push(msg);
      if ((options.settle ?? "ack") === "ack") channel.raw.ack(msg);
    }
    return out;
  }

  /**
   * Runs `action` on a fresh channel that is expected to be closed by the server, and reports the
   * error code; waits at most `timeoutMs` for the close. The error is the one the channel emitted,
   * else the one the action threw; `closed: false` means the server did not object.
   */
  async expectChannelError(
    action: (channel: ObservedChannel<Channel>) => Promise<unknown> | unknown,
    channel?: ObservedChannel<Channel>,
    timeoutMs = SETTLE_TIMEOUT_MS,
  ): Promise<JsonObject> {
    const ch = channel ?? (await this.channel());
    let rejected: ChannelErrorObservation | null = null;
    try {
      await action(ch);
    } catch (error) {
      rejected = observeError(error);
    }
    const closed = await ch.waitClosed(this.ctx, timeoutMs);
    const emitted = ch.errors[0] ?? null;
    return { closed, error: emitted ?? rejected };
  }

  /** Deletes everything declared (queues first, then exchanges) and closes every connection. */
  async cleanup(): Promise<void> {
    for (const queue of [...new Set(this.queues)].reverse()) {
      try {
        await (await this.admin()).raw.deleteQueue(queue);
      } catch {
        // closed channel or missing queue: the next delete reopens the admin channel
      }
    }
    for (const exchange of [...new Set(this.exchanges)].reverse()) {
      try {
        await (await this.admin()).raw.deleteExchange(exchange);
      } catch {
        // as above
      }
    }
    for (const connection of this.connections.reverse()) {
      try {
        await connection.close();
      } catch {
        // already closed
      }
    }
  }
}

/** Runs `body` with a fresh {@link Session} and always cleans it up afterwards. */
export async function withSession<T>(
  ctx: ScenarioContext,
  body: (session: Session) => Promise<T>,
): Promise<T> {
  const session = new Session(ctx);
  try {
    return await body(session);
  } finally {
    await session.cleanup();
  }
}
