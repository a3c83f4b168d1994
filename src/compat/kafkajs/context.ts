import type { LogCluster } from "../../log/cluster.js";
import type { Topic } from "../../log/topic.js";
import type { RandomSource } from "../../scheduler/random.js";
import type { Simulation } from "../../scheduler/simulation.js";
import { jsonShown } from "../shown.js";
import { KafkaJSProtocolError, toKafkaJSError } from "./errors.js";
import type { Logger } from "./logger.js";
import type { RetryOptions } from "./retry.js";
import type { PartitionMetadata } from "./types.js";

/**
 * What every facade client (producer, consumer, admin) of one `Kafka` instance shares: the
 * simulation and cluster, the client id, the logger, retry and timeout settings, and the broker
 * list the metadata reports. Also the facade's per-cluster bookkeeping that the native model does
 * not keep (replication factors of topics).
 */

/** A broker as metadata reports it. */
export interface BrokerInfo {
  nodeId: number;
  host: string;
  port: number;
}

/**
 * The shared context of one `Kafka` instance.
 *
 * @example
 * ```ts
 * const ctx = kafka.context; ctx.cluster.listTopics();
 * ```
 */
export interface ClientContext {
  readonly sim: Simulation;
  readonly cluster: LogCluster;
  readonly clientId: string;
  readonly logger: Logger;
  /** `retry` of the Kafka config (clients merge their own over it). */
  readonly retry: RetryOptions | undefined;
  /** `requestTimeout` of the Kafka config (default 30000). */
  readonly requestTimeout: number;
  /** Brokers as listed in `brokers`, numbered from 0 (resolved lazily when `brokers` is a function). */
  brokers(): Promise<BrokerInfo[]>;
  /**
   * `host:port` of broker `nodeId` (instrumentation events name brokers so); before a `brokers`
   * function has resolved, `"unresolved:9092"`.
   */
  brokerAddress(nodeId: number): string;
  /**
   * The principal the broker authenticates this client as (ACLs): `User:<sasl.username>`, or
   * Kafka's `User:ANONYMOUS` without SASL. Absent reads as anonymous.
   */
  readonly principal?: string;
  /** A seeded random stream unique to one client of this context. */
  random(kind: string): RandomSource;
}

interface ClusterBookkeeping {
  /** Replication factors of topics created through the facade (others read as 1). */
  readonly replicationFactors: Map<string, number>;
  /** Counts clients, to give each a distinct random stream. */
  clients: number;
}

const bookkeeping = new WeakMap<LogCluster, ClusterBookkeeping>();

/**
 * The facade's bookkeeping for a cluster.
 *
 * @example
 * ```ts
 * clusterBookkeeping(cluster).replicationFactors.get("orders"); // 3
 * ```
 */
export function clusterBookkeeping(cluster: LogCluster): ClusterBookkeeping {
  let state = bookkeeping.get(cluster);
  if (state === undefined) {
    state = { replicationFactors: new Map(), clients: 0 };
    bookkeeping.set(cluster, state);
  }
  return state;
}

/**
 * Replica lists given explicitly (createTopics' `replicaAssignment`, createPartitions'
 * `assignments`), per topic object (a re-created topic starts without any) and partition.
 *
 * @example
 * ```ts
 * explicitReplicas.get(cluster.topic("orders"))?.get(3); // [2, 0]
 * ```
 */
export const explicitReplicas = new WeakMap<Topic, Map<number, number[]>>();

/**
 * Partition metadata of a topic as a Metadata response gives it: leaders spread over the brokers
 * (partition i led by broker i mod n), `replicationFactor` replicas, all in sync — or the replica
 * list given explicitly (its first broker leads).
 *
 * @example
 * ```ts
 * partitionMetadata(topic, brokers, 1)[0]; // { partitionErrorCode: 0, partitionId: 0, leader: 0, replicas: [0], isr: [0], offlineReplicas: [] }
 * ```
 */
export function partitionMetadata(
  topic: Topic,
  brokers: readonly BrokerInfo[],
  replicationFactor: number,
): PartitionMetadata[] {
  const n = Math.max(1, brokers.length);
  const out: PartitionMetadata[] = [];
  for (let p = 0; p < topic.partitionCount; p++) {
    const replicas: number[] = [];
    const explicit = explicitReplicas.get(topic)?.get(p);
    if (explicit !== undefined) replicas.push(...explicit);
    else
      for (let r = 0; r < Math.min(replicationFactor, n); r++)
        replicas.push(brokers[(p + r) % n]?.nodeId ?? 0);
    out.push({
      partitionErrorCode: 0,
      partitionId: p,
      leader: replicas[0] ?? 0,
      replicas,
      isr: [...replicas],
      offlineReplicas: [],
    });
  }
  return out;
}

/**
 * The topic, created on the fly when the broker auto-creates topics and the client allows it
 * (kafkajs' metadata request with `allowAutoTopicCreation`); otherwise a retriable
 * UNKNOWN_TOPIC_OR_PARTITION, which kafkajs' retrier retries until the topic appears or retries
 * run out.
 *
 * @example
 * ```ts
 * const topic = ensureTopic(ctx.cluster, "orders", true);
 * ```
 */
export function ensureTopic(cluster: LogCluster, name: string, allowAutoTopicCreation: boolean): Topic {
  if (cluster.hasTopic(name)) return cluster.topic(name);
  if (allowAutoTopicCreation && cluster.options.autoCreateTopics) {
    try {
      cluster.createTopic(name);
    } catch (error) {
      throw toKafkaJSError(error);
    }
    return cluster.topic(name);
  }
  throw new KafkaJSProtocolError("UNKNOWN_TOPIC_OR_PARTITION", {
    hint: `topic ${jsonShown(name)} does not exist${cluster.options.autoCreateTopics ? " and this client does not allow auto-creation (allowAutoTopicCreation: false)" : " and the simulated broker does not auto-create topics"}; create it with admin.createTopics`,
    details: { topic: name },
  });
}
