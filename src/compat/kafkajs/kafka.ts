import { LogCluster, type LogClusterOptions } from "../../log/cluster.js";
import { Simulation } from "../../scheduler/simulation.js";
import { checkOptions } from "../../scheduler/validate.js";
import { defaultSimulation } from "../default-simulation.js";
import { jsonShown } from "../shown.js";
import { type Admin, type AdminConfig, createAdmin } from "./admin.js";
import { type Consumer, type ConsumerConfig, createConsumer } from "./consumer.js";
import { type BrokerInfo, type ClientContext, clusterBookkeeping } from "./context.js";
import { invalid, toKafkaJSError } from "./errors.js";
import {
  checkLogLevel,
  consoleLogCreator,
  createLogger,
  type LogCreator,
  type Logger,
  type LogLevel,
  logLevel,
} from "./logger.js";
import { createProducer, type Producer, type ProducerConfig } from "./producer.js";
import { checkRetryOptions, type RetryOptions } from "./retry.js";

/**
 * kafkajs' `Kafka` client, backed by a simulated cluster instead of a network. Code written for
 * kafkajs runs unchanged by swapping the import: every `new Kafka({ clientId, brokers })` that names
 * no `simulation` joins the process's default simulation (auto-driven: virtual time jumps ahead
 * whenever the program is idle; shared with brokerlab/amqplib, see `defaultSimulation`) and its one
 * shared cluster, so a producer module and a consumer module that each create their own `Kafka`
 * reach the same brokers, as they would in production. The cluster is configured as a fresh Kafka
 * broker looks to kafkajs users — topics auto-created with `num.partitions` 1, a 3 s initial
 * rebalance delay, any committed offset accepted. Pass `simulation` (for instance a manual one that
 * a test drives) and/or `cluster` to control them.
 */

/** Connection-level options kafkajs accepts that a simulation has no use for; accepted, validated, ignored. */
const CONNECTION_OPTIONS = [
  "ssl",
  "sasl",
  "connectionTimeout",
  "authenticationTimeout",
  "reauthenticationThreshold",
  "enforceRequestTimeout",
  "socketFactory",
];
const SASL_MECHANISMS = ["plain", "scram-sha-256", "scram-sha-512", "aws", "oauthbearer"];

/**
 * kafkajs' `KafkaConfig`, plus brokerlab's `simulation` and `cluster`.
 *
 * @example
 * ```ts
 * new Kafka({ clientId: "app", brokers: ["localhost:9092"], cluster: { defaultPartitions: 4 } });
 * ```
 */
export interface KafkaConfig {
  brokers: string[] | (() => string[] | Promise<string[]>);
  clientId?: string;
  ssl?: unknown;
  sasl?: unknown;
  connectionTimeout?: number;
  authenticationTimeout?: number;
  reauthenticationThreshold?: number;
  /** Request timeout in ms (produce, commit, heartbeat). Default 30000. */
  requestTimeout?: number;
  enforceRequestTimeout?: boolean;
  retry?: RetryOptions;
  socketFactory?: unknown;
  logLevel?: LogLevel;
  logCreator?: LogCreator;
  /**
   * The simulation to live in. Default: the process's shared default simulation
   * (`defaultSimulation()`, `drive: "auto"`, seed 1, start 2025-01-01T00:00:00Z), the same one
   * brokerlab/amqplib's `connect()` uses. `resetDefaultSimulation()` starts a fresh one.
   */
  simulation?: Simulation;
  /**
   * The cluster to talk to, or options for the one to create. Default: the simulation's shared
   * facade cluster (created by the first `Kafka` on it) with kafkajs-facing defaults:
   * `autoCreateTopics: true`, `defaultPartitions: 1`, `validateCommitOffsets: false`.
   */
  cluster?: LogCluster | LogClusterOptions;
}

const CONFIG_KEYS = [
  "brokers",
  "clientId",
  "requestTimeout",
  "retry",
  "logLevel",
  "logCreator",
  "simulation",
  "cluster",
  ...CONNECTION_OPTIONS,
];

/** The cluster every `Kafka` without an explicit `cluster` uses, per simulation. */
const sharedClusters = new WeakMap<Simulation, LogCluster>();

/**
 * Cluster options a kafkajs user would expect from a fresh broker: `auto.create.topics.enable`
 * true (Kafka's default; the native model defaults to false), any committed offset accepted.
 *
 * @example
 * ```ts
 * new LogCluster(sim, { ...KAFKAJS_CLUSTER_DEFAULTS, defaultPartitions: 4 });
 * ```
 */
export const KAFKAJS_CLUSTER_DEFAULTS: Readonly<LogClusterOptions> = Object.freeze({
  autoCreateTopics: true,
  defaultPartitions: 1,
  validateCommitOffsets: false,
});

function parseBroker(address: unknown, index: number): BrokerInfo {
  if (typeof address !== "string" || address.length === 0) {
    throw invalid(`Kafka: brokers[${index}] must be a "host:port" string, got ${String(address)}.`);
  }
  const colon = address.lastIndexOf(":");
  const host = colon > 0 ? address.slice(0, colon) : address;
  const port = colon > 0 ? Number(address.slice(colon + 1)) : 9092;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw invalid(`Kafka: brokers[${index}] ${jsonShown(address)} has no valid port.`);
  }
  return { nodeId: index, host, port };
}

function checkBrokerList(list: unknown): BrokerInfo[] {
  if (!Array.isArray(list) || list.length === 0) {
    throw invalid("Failed to connect: expected brokers array and got nothing", "INVALID_ARGUMENT");
  }
  return list.map(parseBroker);
}

function checkConnectionOptions(config: KafkaConfig): void {
  const { ssl, sasl } = config;
  if (ssl !== undefined && typeof ssl !== "boolean" && (ssl === null || typeof ssl !== "object")) {
    throw invalid("Kafka: ssl must be a boolean or TLS connection options.");
  }
  if (sasl !== undefined) {
    const mechanism = (sasl as { mechanism?: unknown } | null)?.mechanism;
    const custom =
      typeof (sasl as { authenticationProvider?: unknown }).authenticationProvider === "function";
    if (typeof mechanism !== "string" || (!custom && !SASL_MECHANISMS.includes(mechanism.toLowerCase()))) {
      throw invalid(
        `Kafka: sasl.mechanism must be one of ${SASL_MECHANISMS.join(", ")} (or a custom mechanism with authenticationProvider), got ${String(mechanism)}.`,
      );
    }
  }
  for (const key of [
    "connectionTimeout",
    "authenticationTimeout",
    "reauthenticationThreshold",
    "requestTimeout",
  ] as const) {
    const v = config[key];
    if (v !== undefined && (typeof v !== "number" || !(v > 0)))
      throw invalid(`Kafka: ${key} must be a number > 0.`);
  }
  if (config.enforceRequestTimeout !== undefined && typeof config.enforceRequestTimeout !== "boolean") {
    throw invalid("Kafka: enforceRequestTimeout must be a boolean.");
  }
  if (config.socketFactory !== undefined && typeof config.socketFactory !== "function") {
    throw invalid("Kafka: socketFactory must be a function.");
  }
}

/**
 * kafkajs' `Kafka` class over a brokerlab simulation.
 *
 * @example
 * ```ts
 * import { Kafka } from "brokerlab/kafkajs";
 * const kafka = new Kafka({ clientId: "app", brokers: ["localhost:9092"] });
 * const producer = kafka.producer();
 * await producer.connect();
 * await producer.send({ topic: "orders", messages: [{ value: "hello" }] });
 * ```
 */
export class Kafka {
  /** The simulation the clients live in (its clock is kafkajs' clock). */
  readonly simulation: Simulation;
  /** The simulated cluster behind `brokers`. */
  readonly cluster: LogCluster;
  /** @internal What the clients of this instance share. */
  readonly context: ClientContext;
  private readonly rootLogger: Logger;

  constructor(config: KafkaConfig) {
    if (config === null || typeof config !== "object")
      throw invalid("Kafka: expected a config object { clientId, brokers }.");
    try {
      checkOptions(config, CONFIG_KEYS, "Kafka");
    } catch (error) {
      throw toKafkaJSError(error);
    }
    const { brokers } = config;
    let brokerList: BrokerInfo[] | null = null;
    if (typeof brokers === "function") brokerList = null;
    else brokerList = checkBrokerList(brokers);
    checkConnectionOptions(config);
    const clientId = config.clientId ?? "kafkajs";
    if (typeof clientId !== "string" || clientId.length === 0)
      throw invalid("Kafka: clientId must be a non-empty string.");
    const level = config.logLevel ?? logLevel.INFO;
    try {
      checkLogLevel(level, "Kafka");
    } catch (error) {
      throw toKafkaJSError(error);
    }
    if (config.logCreator !== undefined && typeof config.logCreator !== "function") {
      throw invalid("Kafka: logCreator must be a function (logLevel) => (entry) => void.");
    }
    const retry = checkRetryOptions(config.retry, "Kafka");
    const requestTimeout = config.requestTimeout ?? 30_000;

    const given = config.simulation;
    if (given !== undefined && !(given instanceof Simulation))
      throw invalid("Kafka: simulation must be a brokerlab Simulation.");
    let cluster: LogCluster;
    if (config.cluster instanceof LogCluster) {
      if (given !== undefined && config.cluster.sim !== given) {
        throw invalid("Kafka: the cluster belongs to another simulation than `simulation`.");
      }
      cluster = config.cluster;
    } else {
      const sim = given ?? defaultSimulation();
      const shared = config.cluster === undefined ? sharedClusters.get(sim) : undefined;
      if (shared !== undefined) cluster = shared;
      else {
        try {
          cluster = new LogCluster(sim, { ...KAFKAJS_CLUSTER_DEFAULTS, ...(config.cluster ?? {}) });
        } catch (error) {
          throw toKafkaJSError(error);
        }
        if (config.cluster === undefined) sharedClusters.set(sim, cluster);
      }
    }
    this.simulation = cluster.sim;
    this.cluster = cluster;
    const sim = cluster.sim;
    this.rootLogger = createLogger({
      level,
      logCreator: config.logCreator ?? consoleLogCreator,
      clock: () => sim.now,
    });
    const bookkeeping = clusterBookkeeping(cluster);
    const brokerSource = brokers;
    this.context = {
      sim,
      cluster,
      clientId,
      logger: this.rootLogger,
      retry,
      requestTimeout,
      principal: saslPrincipal(config.sasl),
      async brokers() {
        if (brokerList === null)
          brokerList = checkBrokerList(await (brokerSource as () => string[] | Promise<string[]>)());
        return brokerList;
      },
      brokerAddress(nodeId) {
        const broker = brokerList === null ? undefined : (brokerList[nodeId] ?? brokerList[0]);
        return broker === undefined ? "unresolved:9092" : `${broker.host}:${broker.port}`;
      },
      random(kind) {
        return sim.random.fork(`kafkajs:${clientId}:${kind}:${bookkeeping.clients++}`);
      },
    };
  }

  /**
   * A producer (kafkajs' `kafka.producer(config)`).
   *
   * @example
   * ```ts
   * const producer = kafka.producer({ allowAutoTopicCreation: false });
   * ```
   */
  producer(config?: ProducerConfig): Producer {
    return createProducer(this.context, config);
  }

  /**
   * A consumer (kafkajs' `kafka.consumer(config)`); `groupId` is required.
   *
   * @example
   * ```ts
   * const consumer = kafka.consumer({ groupId: "billing" });
   * ```
   */
  consumer(config: ConsumerConfig): Consumer {
    return createConsumer(this.context, config);
  }

  /**
   * An admin client (kafkajs' `kafka.admin(config)`).
   *
   * @example
   * ```ts
   * const admin = kafka.admin();
   * ```
   */
  admin(config?: AdminConfig): Admin {
    return createAdmin(this.context, config);
  }

  /**
   * The root logger.
   *
   * @example
   * ```ts
   * kafka.logger().info("hello");
   * ```
   */
  logger(): Logger {
    return this.rootLogger;
  }
}

/** The ACL principal of a client: `User:<sasl.username>`, else Kafka's `User:ANONYMOUS`. */
function saslPrincipal(sasl: unknown): string {
  const username = (sasl as { username?: unknown } | null | undefined)?.username;
  return typeof username === "string" && username.length > 0 ? `User:${username}` : "User:ANONYMOUS";
}
