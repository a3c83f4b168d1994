import { AmqpBroker } from "../../exchange/broker.js";
import { InvalidArgumentError } from "../../scheduler/errors.js";
import { Simulation } from "../../scheduler/simulation.js";
import { runtimeBuffer } from "./args.js";
import { ChannelModel } from "./connection.js";
import type { Options } from "./types.js";

/**
 * SASL credentials as amqplib's `credentials` helpers build them. Only the user name matters to
 * the simulation (a publish's `userId` must equal it); passwords are not checked.
 *
 * @example
 * ```ts
 * await connect("amqp://localhost", { credentials: credentials.plain("billing", "secret") });
 * ```
 */
export interface Credentials {
  mechanism: string;
  response(): Uint8Array;
  username?: string;
  password?: string;
}

/**
 * `amqplib.connect`'s second argument: amqplib's socket options (accepted; a simulation has no
 * socket, so `noDelay`, `timeout`, TLS files and the like change nothing) plus where to connect:
 *
 * - `simulation`: the {@link Simulation} to live in; default: one shared, auto-driven simulation
 *   (see {@link defaultSimulation});
 * - `broker`: the {@link AmqpBroker} to connect to; default: the simulation's broker for the
 *   URL's virtual host, created on first use and shared by every later connection.
 *
 * @example
 * ```ts
 * const sim = new Simulation({ seed: 7 });
 * const connection = await connect("amqp://localhost", { simulation: sim });
 * ```
 */
export interface SocketOptions {
  simulation?: Simulation;
  broker?: AmqpBroker;
  credentials?: Credentials;
  clientProperties?: Record<string, unknown>;
  [option: string]: unknown;
}

const TEXT = new TextEncoder();

function bytes(text: string): Uint8Array {
  const encoded = TEXT.encode(text);
  return runtimeBuffer()?.from(encoded) ?? encoded;
}

/**
 * amqplib's credential helpers: `plain` and `amqplain` (user and password) and `external`
 * (certificate authentication, whose user the simulation takes to be `guest`).
 *
 * @example
 * ```ts
 * const creds = credentials.plain("worker", "s3cret");
 * creds.mechanism; // "PLAIN"
 * ```
 */
export const credentials = Object.freeze({
  plain(username: string, password: string): Credentials {
    return {
      mechanism: "PLAIN",
      response: () => bytes(`\u0000${username}\u0000${password}`),
      username,
      password,
    };
  },
  amqplain(username: string, password: string): Credentials {
    return { mechanism: "AMQPLAIN", response: () => bytes(`${username}:${password}`), username, password };
  },
  external(): Credentials {
    return { mechanism: "EXTERNAL", response: () => bytes("") };
  },
});

/** Brokers by simulation, then by virtual host: one RabbitMQ per simulation, isolated vhosts. */
const brokers = new WeakMap<Simulation, Map<string, AmqpBroker>>();
let shared: Simulation | null = null;

/**
 * The simulation `connect()` uses when given none: created on first use in `auto` drive mode
 * (seed 1) and shared by every later `connect()`, so that a publisher and a worker that each open
 * their own connection reach the same broker, as they would reach the same RabbitMQ. Closing it
 * (`sim.close()`) makes the next `connect()` start a fresh one.
 *
 * @example
 * ```ts
 * const connection = await connect();
 * connection.simulation === defaultSimulation(); // true
 * ```
 */
export function defaultSimulation(): Simulation {
  if (shared === null || shared.isClosed) shared = new Simulation({ drive: "auto" });
  return shared;
}

/**
 * Forgets (and closes) the shared default simulation, so the next `connect()` without a
 * `simulation` starts from an empty broker. For test suites that rely on the default.
 *
 * @example
 * ```ts
 * afterEach(() => resetDefaultSimulation());
 * ```
 */
export function resetDefaultSimulation(): void {
  shared?.close();
  shared = null;
}

/**
 * The broker of `sim` for virtual host `vhost`, created (with RabbitMQ 3.10's defaults) on first
 * use; `connect()` uses it unless given a `broker`.
 *
 * @example
 * ```ts
 * const broker = brokerFor(sim);
 * broker.queue("jobs"); // visible to every amqplib-shaped connection on `sim`
 * ```
 */
export function brokerFor(sim: Simulation, vhost = "/"): AmqpBroker {
  if (!(sim instanceof Simulation)) {
    throw new InvalidArgumentError("brokerFor: sim must be a Simulation.");
  }
  let byHost = brokers.get(sim);
  if (byHost === undefined) {
    byHost = new Map();
    brokers.set(sim, byHost);
  }
  let broker = byHost.get(vhost);
  if (broker === undefined) {
    broker = new AmqpBroker(sim);
    byHost.set(vhost, broker);
  }
  return broker;
}

interface Target {
  user: string;
  vhost: string;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The user and virtual host a URL names, read as amqplib reads them. */
function parseTarget(url: unknown): Target {
  if (url === undefined || url === null || url === "") return { user: "guest", vhost: "/" };
  if (typeof url === "string") {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new InvalidArgumentError(
        `connect: ${JSON.stringify(url)} is not a URL; expected amqp://host[:port][/vhost].`,
        "INVALID_URL",
      );
    }
    if (parsed.protocol !== "amqp:" && parsed.protocol !== "amqps:") {
      throw new InvalidArgumentError(
        `Expected amqp: or amqps: as the protocol; got ${parsed.protocol}`,
        "INVALID_URL",
      );
    }
    const hasCredentials = parsed.username !== "" || parsed.password !== "";
    const vhost = decode(parsed.pathname.replace(/^\//, ""));
    return { user: hasCredentials ? decode(parsed.username) : "guest", vhost: vhost === "" ? "/" : vhost };
  }
  if (typeof url === "object") {
    const o = url as Options.Connect;
    const protocol = o.protocol ?? "amqp";
    if (protocol !== "amqp" && protocol !== "amqps") {
      throw new InvalidArgumentError(
        `Expected amqp: or amqps: as the protocol; got ${protocol}:`,
        "INVALID_URL",
      );
    }
    const hasCredentials = o.username !== undefined || o.password !== undefined;
    return { user: hasCredentials ? (o.username ?? "") : "guest", vhost: o.vhost || "/" };
  }
  throw new InvalidArgumentError(
    `connect: url must be a string or an object, got ${typeof url}.`,
    "INVALID_URL",
  );
}

/**
 * amqplib's `connect`, against a simulated RabbitMQ: resolves to an amqplib-shaped connection
 * ({@link ChannelModel}). The URL's host and port are not dialled; its user (default `guest`) is
 * the connection's user and its path the virtual host (each virtual host is its own broker).
 * Without `socketOptions.simulation` it joins the shared auto-driven {@link defaultSimulation},
 * so code written for amqplib runs by changing only the import.
 *
 * Where amqplib's socket would fail with `ECONNREFUSED`, it rejects with a coded `BrokerlabError`:
 * `BROKER_DOWN` while the broker restarts, `CONNECTION_REFUSED` while the request seam cuts the
 * client (named by `clientProperties.connection_name`) off the broker — a fault plan's
 * `partition` — so a reconnect loop can retry both.
 *
 * @example
 * ```ts
 * import amqp from "brokerlab/amqplib";
 *
 * const connection = await amqp.connect("amqp://localhost");
 * const channel = await connection.createChannel();
 * await channel.assertQueue("hello", { durable: false });
 * channel.sendToQueue("hello", Buffer.from("Hello World!"));
 * ```
 */
export async function connect(
  url?: string | Options.Connect,
  socketOptions?: SocketOptions,
): Promise<ChannelModel> {
  const target = parseTarget(url);
  const options = socketOptions ?? {};
  if (typeof options !== "object" || options === null) {
    throw new InvalidArgumentError("connect: socketOptions must be an object.");
  }
  const { simulation, broker } = options;
  if (simulation !== undefined && !(simulation instanceof Simulation)) {
    throw new InvalidArgumentError("connect: socketOptions.simulation must be a brokerlab Simulation.");
  }
  if (broker !== undefined && !(broker instanceof AmqpBroker)) {
    throw new InvalidArgumentError("connect: socketOptions.broker must be a brokerlab AmqpBroker.");
  }
  if (simulation !== undefined && broker !== undefined && broker.sim !== simulation) {
    throw new InvalidArgumentError(
      "connect: socketOptions.broker belongs to another simulation than socketOptions.simulation; pass one of them.",
    );
  }
  const sim = simulation ?? broker?.sim ?? defaultSimulation();
  let chosen = broker;
  if (chosen === undefined) chosen = brokerFor(sim, target.vhost);
  else {
    // Later connections to this simulation and vhost without a broker find this one.
    let byHost = brokers.get(sim);
    if (byHost === undefined) brokers.set(sim, (byHost = new Map()));
    if (!byHost.has(target.vhost)) byHost.set(target.vhost, chosen);
  }
  const creds = options.credentials;
  const user = creds?.username ?? (creds?.mechanism === "EXTERNAL" ? "guest" : target.user);
  const name = options.clientProperties?.connection_name;
  // Both belong to the process whose code connects (if any): a crash drops the native connection
  // (the broker requeues) and the client model (it hears nothing, and refuses further use).
  const native = chosen.connect(typeof name === "string" ? { name, user } : { user });
  return sim.own(new ChannelModel(sim, chosen, native));
}
