import { AccessControl } from "../../exchange/access-control.js";
import { AmqpError } from "../../exchange/amqp-error.js";
import { AmqpBroker } from "../../exchange/broker.js";
import { InvalidArgumentError } from "../../scheduler/errors.js";
import { Simulation } from "../../scheduler/simulation.js";
import {
  resetDefaultSimulation as resetSharedDefaultSimulation,
  defaultSimulation as sharedDefaultSimulation,
} from "../default-simulation.js";
import { jsonShown } from "../shown.js";
import { runtimeBuffer } from "./args.js";
import { ChannelModel } from "./connection.js";
import type { Options } from "./types.js";

/**
 * SASL credentials as amqplib's `credentials` helpers build them. The user name and password are
 * checked against the simulated node's users ({@link accessControlFor}), as RabbitMQ checks them.
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
 * (certificate authentication, which a stock RabbitMQ does not offer: `connect` rejects it with
 * amqplib's "SASL mechanism EXTERNAL is not provided by the server").
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
/** The node's users, vhosts and permissions, by simulation (shared by its vhost brokers). */
const accessControls = new WeakMap<Simulation, AccessControl>();

/**
 * The users, virtual hosts and permissions of `sim`'s simulated RabbitMQ node, shared by every
 * broker {@link brokerFor} makes for it (one per virtual host). It starts as a fresh RabbitMQ:
 * user `guest`/`guest` with `.* .* .*` on `/`. Add users and virtual hosts before connecting.
 *
 * @example
 * ```ts
 * const access = accessControlFor(sim);
 * access.addVhost("staging");
 * access.addUser("deploy", "s3cret");
 * access.setPermissions("deploy", "staging", { configure: ".*", write: ".*", read: ".*" });
 * await connect("amqp://deploy:s3cret@localhost/staging", { simulation: sim });
 * ```
 */
export function accessControlFor(sim: Simulation): AccessControl {
  if (!(sim instanceof Simulation)) {
    throw new InvalidArgumentError("accessControlFor: sim must be a Simulation.");
  }
  let access = accessControls.get(sim);
  if (access === undefined) {
    access = brokers.get(sim)?.get("/")?.access ?? new AccessControl();
    accessControls.set(sim, access);
  }
  return access;
}

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
  return sharedDefaultSimulation(); // one default per process, shared with brokerlab/kafkajs
}

/**
 * Forgets the shared default simulation, so the next `connect()` without a `simulation` starts
 * from an empty broker. For test suites that rely on the default. Connections still open keep
 * working on the old simulation, which is returned (close it once they are closed).
 *
 * @example
 * ```ts
 * afterEach(() => resetDefaultSimulation());
 * ```
 */
export function resetDefaultSimulation(): Simulation | null {
  return resetSharedDefaultSimulation(); // open connections stay on the old one (see default-simulation.ts)
}

/**
 * The broker of `sim` for virtual host `vhost`, created (with RabbitMQ 3.10's defaults) on first
 * use; `connect()` uses it unless given a `broker`. Every broker of `sim` shares the node's
 * {@link accessControlFor}; connections to a virtual host other than `/` need it added there
 * first (`addVhost`, `setPermissions`), as on RabbitMQ.
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
    broker = new AmqpBroker(sim, { vhost, access: accessControlFor(sim) });
    byHost.set(vhost, broker);
  }
  return broker;
}

interface Target {
  user: string;
  password: string;
  vhost: string;
}

/** amqplib's `unescape` of URL user names and passwords. */
function unescapeCredential(text: string): string {
  return text.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) =>
    String.fromCharCode(Number.parseInt(hex, 16)),
  );
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
  if (url === undefined || url === null || url === "")
    return { user: "guest", password: "guest", vhost: "/" };
  if (typeof url === "string") {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new InvalidArgumentError(
        `connect: ${jsonShown(url)} is not a URL; expected amqp://host[:port][/vhost].`,
        "INVALID_URL",
      );
    }
    if (parsed.protocol !== "amqp:" && parsed.protocol !== "amqps:") {
      throw new InvalidArgumentError(
        `Expected amqp: or amqps: as the protocol; got ${parsed.protocol}`,
        "INVALID_URL",
      );
    }
    // amqplib: guest/guest only when both are missing; otherwise each as given (unescaped).
    const hasCredentials = parsed.username !== "" || parsed.password !== "";
    const vhost = decode(parsed.pathname.replace(/^\//, ""));
    return {
      user: hasCredentials ? unescapeCredential(parsed.username) : "guest",
      password: hasCredentials ? unescapeCredential(parsed.password) : "guest",
      vhost: vhost === "" ? "/" : vhost,
    };
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
    return {
      user: hasCredentials ? o.username || "" : "guest",
      password: hasCredentials ? o.password || "" : "guest",
      vhost: o.vhost || "/",
    };
  }
  throw new InvalidArgumentError(
    `connect: url must be a string or an object, got ${typeof url}.`,
    "INVALID_URL",
  );
}

interface Login {
  user: string;
  password: string;
  mechanism: string;
}

const PLAIN_DECODER = new TextDecoder();

/** The login `credentials` (else the URL's) make; a mechanism RabbitMQ lacks is refused as amqplib refuses it. */
function loginOf(creds: Credentials | undefined, target: Target): Login {
  if (creds === undefined) return { user: target.user, password: target.password, mechanism: "PLAIN" };
  const mechanism = creds.mechanism;
  if (mechanism !== "PLAIN" && mechanism !== "AMQPLAIN") {
    throw new Error(`SASL mechanism ${String(mechanism)} is not provided by the server`);
  }
  if (typeof creds.username === "string")
    return { user: creds.username, password: String(creds.password ?? ""), mechanism };
  // A hand-made PLAIN response: "\0user\0password".
  const parts = PLAIN_DECODER.decode(creds.response()).split("\u0000");
  return { user: parts[1] ?? "", password: parts[2] ?? "", mechanism };
}

/**
 * amqplib's `connect`, against a simulated RabbitMQ: resolves to an amqplib-shaped connection
 * ({@link ChannelModel}). The URL's host and port are not dialled; its user and password
 * (default `guest`/`guest`, or `socketOptions.credentials`) log in to the simulated node
 * ({@link accessControlFor}) and its path is the virtual host (each virtual host is its own
 * broker). A refused login rejects as amqplib does against RabbitMQ: `Handshake terminated by
 * server: 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - Login was refused using
 * authentication mechanism PLAIN. …"`; an unknown virtual host, or one where the user has no
 * permissions, with `Expected ConnectionOpenOk; got <ConnectionClose channel:0>` (the server's
 * 530 NOT_ALLOWED, in `error.cause`).
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
  // An unknown virtual host gets no broker: the vhost check below refuses the connection.
  if (chosen === undefined && !accessControlFor(sim).state.vhosts.has(target.vhost))
    chosen = brokerFor(sim, "/");
  else if (chosen === undefined) chosen = brokerFor(sim, target.vhost);
  else {
    // Later connections to this simulation and vhost without a broker find this one.
    let byHost = brokers.get(sim);
    if (byHost === undefined) brokers.set(sim, (byHost = new Map()));
    if (!byHost.has(target.vhost)) byHost.set(target.vhost, chosen);
  }
  const login = loginOf(options.credentials, target);
  const name = options.clientProperties?.connection_name;
  // The handshake as RabbitMQ answers it, and as amqplib reports a refusal: the login
  // (connection.start-ok, 403), then the virtual host (connection.open, 530).
  try {
    chosen.access.authenticate(login.user, login.password, login.mechanism);
  } catch (error) {
    if (!(error instanceof AmqpError)) throw error;
    throw new Error(
      `Handshake terminated by server: 403 (ACCESS-REFUSED) with message "${error.replyText}"`,
      {
        cause: error,
      },
    );
  }
  try {
    chosen.access.checkVhostAccess(login.user, target.vhost);
  } catch (error) {
    if (!(error instanceof AmqpError)) throw error;
    throw new Error("Expected ConnectionOpenOk; got <ConnectionClose channel:0>", { cause: error });
  }
  const connectOptions = { user: login.user, password: login.password, mechanism: login.mechanism };
  // Both belong to the process whose code connects (if any): a crash drops the native connection
  // (the broker requeues) and the client model (it hears nothing, and refuses further use).
  const native = chosen.connect(typeof name === "string" ? { name, ...connectOptions } : connectOptions);
  return sim.own(new ChannelModel(sim, chosen, native));
}
