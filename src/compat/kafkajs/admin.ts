import type { LogCluster } from "../../log/cluster.js";
import {
  KAFKA_CONFIG_NAMES,
  resolveTopicConfig,
  type TopicConfig,
  type TopicConfigOptions,
  topicConfigFromEntries,
  validateTopicName,
} from "../../log/topic-config.js";
import { checkOptions } from "../../scheduler/validate.js";
import { AssignerProtocol } from "./assigners.js";
import { parseLong } from "./codec.js";
import { type ClientContext, clusterBookkeeping, partitionMetadata } from "./context.js";
import {
  invalid,
  KafkaJSAggregateError,
  KafkaJSCreateTopicError,
  KafkaJSDeleteGroupsError,
  type KafkaJSError,
  KafkaJSNotImplemented,
  KafkaJSProtocolError,
  type ProtocolErrorType,
  toKafkaJSError,
} from "./errors.js";
import { ADMIN_EVENTS, InstrumentationEmitter } from "./events.js";
import type { Logger } from "./logger.js";
import { checkRetryOptions, createRetry, type RetryOptions } from "./retry.js";
import type {
  DeleteGroupsResult,
  FetchOffsetsPartition,
  GroupDescription,
  GroupDescriptions,
  GroupOverview,
  ITopicConfig,
  ITopicMetadata,
  ITopicPartitionConfig,
  PartitionOffset,
} from "./types.js";

/**
 * kafkajs' admin client (`src/admin/index.js`) over a simulated cluster. Requests are answered
 * against the cluster's state at once (admin requests are not subject to network latency or the
 * fault hook); errors and retries follow kafkajs: per-topic creation errors come as a
 * `KafkaJSAggregateError` (all "already exists" reads as `false`), unknown topics on offset
 * look-ups are retried until retries run out, groups with members refuse `setOffsets`.
 *
 * Where brokerlab cannot model an API (ACLs, partition reassignment, broker configs) it refuses
 * with `KafkaJSNotImplemented` (code NOT_SUPPORTED) instead of answering something made up.
 */

/** kafkajs' `AdminConfig`. */
export interface AdminConfig {
  retry?: RetryOptions;
}

/**
 * `describeConfigs` / `alterConfigs` resource types (kafkajs' `ConfigResourceTypes`).
 *
 * @example
 * ```ts
 * await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: "orders" }], includeSynonyms: false });
 * ```
 */
export const ConfigResourceTypes = Object.freeze({
  UNKNOWN: 0,
  TOPIC: 2,
  BROKER: 4,
  BROKER_LOGGER: 8,
} as const);

/**
 * Where a config value comes from (kafkajs' `ConfigSource`).
 *
 * @example
 * ```ts
 * entry.configSource === ConfigSource.DEFAULT_CONFIG; // the topic does not override it
 * ```
 */
export const ConfigSource = Object.freeze({
  UNKNOWN: 0,
  TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
} as const);

/** A config entry as DescribeConfigs returns it. */
export interface ConfigEntry {
  configName: string;
  configValue: string;
  isDefault: boolean;
  configSource: number;
  isSensitive: boolean;
  readOnly: boolean;
  configSynonyms: { configName: string; configValue: string; configSource: number }[];
}

/**
 * kafkajs' `Admin`.
 *
 * @example
 * ```ts
 * const admin = kafka.admin();
 * await admin.connect();
 * await admin.createTopics({ topics: [{ topic: "orders", numPartitions: 3 }] }); // true
 * await admin.fetchTopicOffsets("orders"); // [{ partition: 0, offset: "0", high: "0", low: "0" }, …]
 * ```
 */
export interface Admin {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  listTopics(): Promise<string[]>;
  createTopics(options: {
    validateOnly?: boolean;
    waitForLeaders?: boolean;
    timeout?: number;
    topics: ITopicConfig[];
  }): Promise<boolean>;
  deleteTopics(options: { topics: string[]; timeout?: number }): Promise<void>;
  createPartitions(options: {
    validateOnly?: boolean;
    timeout?: number;
    topicPartitions: ITopicPartitionConfig[];
  }): Promise<boolean>;
  fetchTopicMetadata(options?: { topics: string[] }): Promise<{ topics: ITopicMetadata[] }>;
  fetchOffsets(options: {
    groupId: string;
    topics?: string[];
    resolveOffsets?: boolean;
  }): Promise<{ topic: string; partitions: FetchOffsetsPartition[] }[]>;
  fetchTopicOffsets(topic: string): Promise<(PartitionOffset & { high: string; low: string })[]>;
  fetchTopicOffsetsByTimestamp(topic: string, timestamp?: number): Promise<PartitionOffset[]>;
  describeCluster(): Promise<{
    brokers: { nodeId: number; host: string; port: number }[];
    controller: number | null;
    clusterId: string;
  }>;
  setOffsets(options: { groupId: string; topic: string; partitions: PartitionOffset[] }): Promise<void>;
  resetOffsets(options: { groupId: string; topic: string; earliest: boolean }): Promise<void>;
  describeConfigs(configs: {
    resources: { type: number; name: string; configNames?: string[] }[];
    includeSynonyms: boolean;
  }): Promise<{
    resources: {
      configEntries: ConfigEntry[];
      errorCode: number;
      errorMessage: string;
      resourceName: string;
      resourceType: number;
    }[];
    throttleTime: number;
  }>;
  alterConfigs(configs: {
    validateOnly: boolean;
    resources: { type: number; name: string; configEntries: { name: string; value: string }[] }[];
  }): Promise<{
    resources: {
      errorCode: number;
      errorMessage: string | null;
      resourceName: string;
      resourceType: number;
    }[];
    throttleTime: number;
  }>;
  listGroups(): Promise<{ groups: GroupOverview[] }>;
  deleteGroups(groupIds: string[]): Promise<DeleteGroupsResult[]>;
  describeGroups(groupIds: string[]): Promise<GroupDescriptions>;
  describeAcls(options: unknown): Promise<never>;
  deleteAcls(options: unknown): Promise<never>;
  createAcls(options: unknown): Promise<never>;
  deleteTopicRecords(options: { topic: string; partitions: PartitionOffset[] }): Promise<void>;
  alterPartitionReassignments(request: unknown): Promise<never>;
  listPartitionReassignments(request: unknown): Promise<never>;
  logger(): Logger;
  on(eventName: string, listener: (event: never) => unknown): () => void;
  readonly events: typeof ADMIN_EVENTS;
}

/** The host a simulated member appears to connect from. */
const CLIENT_HOST = "/127.0.0.1";

/**
 * A group as DescribeGroups reports it, with kafkajs' encodings of member metadata and
 * assignments. Unknown groups read as state "Dead" without members, as in Kafka.
 *
 * @example
 * ```ts
 * (await describeGroupOf(cluster, "billing")).state; // "Stable"
 * ```
 */
export function describeGroupOf(cluster: LogCluster, groupId: string): GroupDescription {
  const d = cluster.describeGroup(groupId);
  const known = cluster.coordinator.state(groupId) !== undefined;
  return {
    errorCode: 0,
    groupId,
    state: d.state,
    protocolType: known ? "consumer" : "",
    protocol: d.protocol ?? "",
    members: d.members.map((m) => {
      const assignment: Record<string, number[]> = {};
      for (const { topic, partition } of m.assignment) (assignment[topic] ??= []).push(partition);
      return {
        memberId: m.memberId,
        clientId: m.clientId,
        clientHost: CLIENT_HOST,
        memberMetadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics: m.topics }),
        memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 0, assignment }),
      };
    }),
  };
}

function topicConfigOptions(config: TopicConfig): TopicConfigOptions {
  return { ...config };
}

/**
 * Creates an admin client for a `Kafka` instance (use `kafka.admin(config)`).
 *
 * @example
 * ```ts
 * const admin = createAdmin(kafka.context);
 * ```
 */
export function createAdmin(ctx: ClientContext, config: AdminConfig = {}): Admin {
  try {
    checkOptions(config, ["retry"], "admin");
  } catch (error) {
    throw toKafkaJSError(error);
  }
  const retry: RetryOptions = { ...ctx.retry, ...checkRetryOptions(config.retry, "admin") };
  const cluster = ctx.cluster;
  const logger = ctx.logger.namespace("Admin");
  const emitter = new InstrumentationEmitter(ctx.sim, Object.values(ADMIN_EVENTS), "admin", logger);
  const random = ctx.random("admin");
  let calls = 0;

  /** Runs `fn` with kafkajs' retrier: retriable errors are tried again in virtual time. */
  const withRetry = <T>(name: string, fn: () => T, retriableTypes?: readonly string[]): Promise<T> =>
    createRetry(
      ctx.sim,
      random.fork(`${name}:${calls++}`),
      retry,
    )(async (bail) => {
      try {
        return fn();
      } catch (error) {
        const e = toKafkaJSError(error);
        const type = (e as { type?: unknown }).type;
        const retriable =
          retriableTypes === undefined
            ? (e as KafkaJSError).retriable === true
            : retriableTypes.includes(String(type));
        if (retriable) throw e;
        bail(e);
        return undefined as T;
      }
    });

  const topicOrThrow = (topic: string) => {
    if (!cluster.hasTopic(topic)) {
      throw new KafkaJSProtocolError("UNKNOWN_TOPIC_OR_PARTITION", {
        hint: `topic ${JSON.stringify(topic)} does not exist`,
        details: { topic },
      });
    }
    return cluster.topic(topic);
  };

  /** Partition numbers of a topic as kafkajs lists them (`.sort()`, string order). */
  const partitionsOf = (topic: string): number[] =>
    Array.from({ length: topicOrThrow(topic).partitionCount }, (_, i) => i).sort();

  const endOffset = (topic: string, partition: number): number =>
    cluster.partition(topic, partition).lastStableOffset;

  const checkGroupId = (groupId: unknown): string => {
    if (!groupId || typeof groupId !== "string")
      throw invalid(`Invalid groupId ${String(groupId)}`, "INVALID_GROUP_ID");
    return groupId;
  };

  const fetchTopicOffsets = async (topic: string) => {
    if (!topic || typeof topic !== "string") throw invalid(`Invalid topic ${String(topic)}`);
    return withRetry("fetchTopicOffsets", () =>
      partitionsOf(topic).map((partition) => {
        const high = String(endOffset(topic, partition));
        return {
          partition,
          offset: high,
          high,
          low: String(cluster.partition(topic, partition).logStartOffset),
        };
      }),
    );
  };

  /** Commits offsets from outside the group (member-less), as kafkajs' setOffsets ends up doing. */
  const setOffsets = async ({
    groupId,
    topic,
    partitions,
  }: {
    groupId: string;
    topic: string;
    partitions: PartitionOffset[];
  }) => {
    checkGroupId(groupId);
    if (!topic) throw invalid(`Invalid topic ${String(topic)}`);
    if (!partitions || !Array.isArray(partitions) || partitions.length === 0)
      throw invalid("Invalid partitions");
    const state = cluster.describeGroup(groupId).state;
    if (state !== "Empty" && state !== "Dead") {
      throw invalid(
        `The consumer group must have no running instances, current state: ${state}`,
        "NON_EMPTY_GROUP",
      );
    }
    const count = topicOrThrow(topic).partitionCount;
    const offsets: { topic: string; partition: number; offset: number }[] = [];
    const cleared: { topic: string; partition: number }[] = [];
    for (const entry of partitions) {
      const partition = entry?.partition;
      if (
        typeof partition !== "number" ||
        !Number.isInteger(partition) ||
        partition < 0 ||
        partition >= count
      ) {
        throw invalid(
          `setOffsets: partition ${String(partition)} does not exist in topic ${topic} (${count} partitions).`,
        );
      }
      const offset = parseLong(entry.offset, "offset", "setOffsets");
      // kafkajs commits -1/-2 as they are; they read back as "no valid offset", which a deleted
      // commit reads as too.
      if (offset < 0) cleared.push({ topic, partition });
      else offsets.push({ topic, partition, offset });
    }
    try {
      if (offsets.length > 0) cluster.setGroupOffsets(groupId, offsets);
      if (cleared.length > 0) {
        if (cluster.coordinator.state(groupId) === undefined) cluster.setGroupOffsets(groupId, []);
        cluster.coordinator.deleteOffsets(groupId, cleared);
      }
    } catch (error) {
      throw toKafkaJSError(error);
    }
  };

  return {
    async connect() {
      emitter.emit(ADMIN_EVENTS.CONNECT, null);
    },
    async disconnect() {
      emitter.emit(ADMIN_EVENTS.DISCONNECT, null);
    },
    async listTopics() {
      return cluster.listTopics();
    },

    async createTopics(options) {
      const {
        topics,
        validateOnly = false,
        waitForLeaders = true,
        timeout,
      } = options ?? ({} as { topics: ITopicConfig[] });
      if (!topics || !Array.isArray(topics)) throw invalid(`Invalid topics array ${String(topics)}`);
      if (topics.some((t) => typeof t?.topic !== "string")) {
        throw invalid("Invalid topics array, the topic names have to be a valid string");
      }
      if (new Set(topics.map((t) => t.topic)).size < topics.length) {
        throw invalid("Invalid topics array, it cannot have multiple entries for the same topic");
      }
      for (const { topic, configEntries } of topics) {
        if (configEntries === undefined || configEntries === null) continue;
        if (!Array.isArray(configEntries))
          throw invalid(`Invalid configEntries for topic "${topic}", must be an array`);
        configEntries.forEach((entry, index) => {
          if (typeof entry !== "object" || entry === null) {
            throw invalid(`Invalid configEntries for topic "${topic}". Entry ${index} must be an object`);
          }
          for (const prop of ["name", "value"] as const) {
            if (typeof entry[prop] !== "string") {
              throw invalid(
                `Invalid configEntries for topic "${topic}". Entry ${index} must have a valid "${prop}" property`,
              );
            }
          }
        });
      }
      if (typeof validateOnly !== "boolean" || typeof waitForLeaders !== "boolean") {
        throw invalid("createTopics: validateOnly and waitForLeaders must be booleans.");
      }
      if (timeout !== undefined && (typeof timeout !== "number" || !(timeout >= 0))) {
        throw invalid("createTopics: timeout must be a number ≥ 0.");
      }
      const brokers = await ctx.brokers();
      const errors: KafkaJSCreateTopicError[] = [];
      const fail = (type: ProtocolErrorType, topic: string, hint: string) =>
        errors.push(new KafkaJSCreateTopicError(type, topic, { hint, details: { topic } }));
      for (const spec of topics) {
        const { topic, numPartitions = -1, replicationFactor = -1, replicaAssignment, configEntries } = spec;
        try {
          validateTopicName(topic, "createTopics");
        } catch (error) {
          fail("INVALID_TOPIC_EXCEPTION", topic, (error as Error).message);
          continue;
        }
        if (cluster.hasTopic(topic)) {
          fail("TOPIC_ALREADY_EXISTS", topic, `Topic '${topic}' already exists.`);
          continue;
        }
        let partitions = numPartitions === -1 ? cluster.options.defaultPartitions : numPartitions;
        let rf = replicationFactor === -1 ? 1 : replicationFactor;
        if (replicaAssignment !== undefined && replicaAssignment.length > 0) {
          if (numPartitions !== -1 || replicationFactor !== -1) {
            fail(
              "INVALID_REQUEST",
              topic,
              "give either replicaAssignment or numPartitions/replicationFactor",
            );
            continue;
          }
          partitions = replicaAssignment.length;
          rf = replicaAssignment[0]?.replicas.length ?? 1;
        }
        if (!Number.isInteger(partitions) || partitions < 1) {
          fail(
            "INVALID_PARTITIONS",
            topic,
            `Number of partitions must be larger than 0, got ${String(numPartitions)}.`,
          );
          continue;
        }
        if (!Number.isInteger(rf) || rf < 1 || rf > brokers.length) {
          fail(
            "INVALID_REPLICATION_FACTOR",
            topic,
            `Replication factor: ${String(rf)} larger than available brokers: ${brokers.length} (the simulated cluster has as many brokers as the client's \`brokers\` list).`,
          );
          continue;
        }
        let configOptions: TopicConfigOptions | undefined;
        try {
          configOptions = configEntries?.length ? topicConfigFromEntries(configEntries) : undefined;
          resolveTopicConfig(configOptions, cluster.options.topicDefaults, `createTopics ${topic}`);
        } catch (error) {
          fail("INVALID_CONFIG", topic, (error as Error).message);
          continue;
        }
        if (validateOnly) continue;
        cluster.createTopic(
          topic,
          configOptions === undefined ? { partitions } : { partitions, config: configOptions },
        );
        clusterBookkeeping(cluster).replicationFactors.set(topic, rf);
      }
      if (errors.length > 0) {
        if ((errors as { type: string }[]).every((e) => e.type === "TOPIC_ALREADY_EXISTS")) return false;
        throw new KafkaJSAggregateError("Topic creation errors", errors);
      }
      return true;
    },

    async deleteTopics(options) {
      const { topics } = options ?? ({} as { topics: string[] });
      if (!topics || !Array.isArray(topics)) throw invalid(`Invalid topics array ${String(topics)}`);
      if (topics.some((t) => typeof t !== "string"))
        throw invalid("Invalid topics array, the names must be a valid string");
      await withRetry("deleteTopics", () => {
        const missing = topics.filter((t) => !cluster.hasTopic(t));
        for (const topic of topics) {
          if (!cluster.hasTopic(topic)) continue;
          cluster.deleteTopic(topic);
          clusterBookkeeping(cluster).replicationFactors.delete(topic);
        }
        if (missing.length > 0) {
          throw new KafkaJSProtocolError("UNKNOWN_TOPIC_OR_PARTITION", {
            hint: `cannot delete unknown topic(s) ${missing.join(", ")}`,
          });
        }
      }, ["UNKNOWN_TOPIC_OR_PARTITION"]);
    },

    async createPartitions(options) {
      const { topicPartitions, validateOnly = false } =
        options ?? ({} as { topicPartitions: ITopicPartitionConfig[] });
      if (!topicPartitions || !Array.isArray(topicPartitions)) {
        throw invalid(`Invalid topic partitions array ${String(topicPartitions)}`);
      }
      if (topicPartitions.length === 0) throw invalid("Empty topic partitions array");
      if (topicPartitions.some((t) => typeof t?.topic !== "string")) {
        throw invalid("Invalid topic partitions array, the topic names have to be a valid string");
      }
      if (new Set(topicPartitions.map((t) => t.topic)).size < topicPartitions.length) {
        throw invalid("Invalid topic partitions array, it cannot have multiple entries for the same topic");
      }
      let first: Error | null = null;
      for (const { topic, count } of topicPartitions) {
        try {
          const current = topicOrThrow(topic).partitionCount;
          if (!Number.isInteger(count) || count <= current) {
            throw new KafkaJSProtocolError("INVALID_PARTITIONS", {
              hint: `Topic currently has ${current} partitions, which is higher than the requested ${String(count)}.`,
            });
          }
          if (!validateOnly) cluster.addPartitions(topic, count);
        } catch (error) {
          first ??= toKafkaJSError(error);
        }
      }
      if (first !== null) throw first;
      // kafkajs 2.2.4 resolves createPartitions with undefined although its types say boolean.
      return undefined as unknown as boolean;
    },

    async fetchTopicMetadata(options = { topics: [] }) {
      const topics = options?.topics ?? [];
      if (!Array.isArray(topics))
        throw invalid("fetchTopicMetadata: topics must be an array of topic names.");
      for (const t of topics) if (!t || typeof t !== "string") throw invalid(`Invalid topic ${String(t)}`);
      const brokers = await ctx.brokers();
      const names = topics.length === 0 ? cluster.listTopics() : topics;
      return {
        topics: names.map((name) => ({
          name,
          partitions: partitionMetadata(
            topicOrThrow(name),
            brokers,
            clusterBookkeeping(cluster).replicationFactors.get(name) ?? 1,
          ),
        })),
      };
    },

    async fetchOffsets(options) {
      const { groupId, resolveOffsets = false } = options ?? ({} as { groupId: string });
      checkGroupId(groupId);
      const topics = options.topics ?? [];
      if (!Array.isArray(topics)) throw invalid("Expected topics array to be set");
      let result: { topic: string; partitions: FetchOffsetsPartition[] }[];
      if (topics.length === 0) {
        // No topics: everything the group has committed (OffsetFetch with all topics).
        const byTopic = new Map<string, FetchOffsetsPartition[]>();
        const committed =
          cluster.coordinator.state(groupId) === undefined ? [] : cluster.groupOffsets(groupId);
        for (const c of committed) {
          const list = byTopic.get(c.topic) ?? [];
          list.push({ partition: c.partition, offset: String(c.offset), metadata: c.metadata || null });
          byTopic.set(c.topic, list);
        }
        result = [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
      } else {
        result = topics.map((topic) => ({
          topic,
          partitions: partitionsOf(topic).map((partition) => {
            const c = cluster.coordinator.committed(groupId, topic, partition);
            return { partition, offset: c === null ? "-1" : String(c.offset), metadata: c?.metadata || null };
          }),
        }));
      }
      if (resolveOffsets) {
        for (const entry of result) {
          const offsets = await fetchTopicOffsets(entry.topic);
          for (const p of entry.partitions) {
            const o = offsets.find((x) => x.partition === p.partition);
            if (o === undefined) continue;
            if (Number(p.offset) === -2) p.offset = o.low;
            if (Number(p.offset) === -1) p.offset = o.high;
          }
          await setOffsets({ groupId, topic: entry.topic, partitions: entry.partitions });
        }
      }
      return result;
    },

    fetchTopicOffsets,

    async fetchTopicOffsetsByTimestamp(topic, timestamp) {
      if (!topic || typeof topic !== "string") throw invalid(`Invalid topic ${String(topic)}`);
      if (
        timestamp !== undefined &&
        timestamp !== null &&
        (typeof timestamp !== "number" || !Number.isFinite(timestamp))
      ) {
        throw invalid(
          "fetchTopicOffsetsByTimestamp: timestamp must be a number (ms since the epoch, virtual).",
        );
      }
      return withRetry("fetchTopicOffsetsByTimestamp", () =>
        partitionsOf(topic).map((partition) => {
          const high = endOffset(topic, partition);
          // No timestamp: kafkajs asks for the latest offset. A timestamp past every record: the high watermark.
          const found =
            timestamp === undefined || timestamp === null
              ? null
              : cluster.offsetForTimestamp(topic, partition, Math.max(0, timestamp));
          return { partition, offset: String(found === null || found > high ? high : found) };
        }),
      );
    },

    async describeCluster() {
      const brokers = await ctx.brokers();
      return {
        brokers: brokers.map(({ nodeId, host, port }) => ({ nodeId, host, port })),
        controller: brokers[0]?.nodeId ?? null,
        clusterId: "brokerlab",
      };
    },

    setOffsets,

    async resetOffsets(options) {
      const {
        groupId,
        topic,
        earliest = false,
      } = options ?? ({} as { groupId: string; topic: string; earliest: boolean });
      checkGroupId(groupId);
      if (!topic) throw invalid(`Invalid topic ${String(topic)}`);
      // kafkajs sets kafkajs' "default offset" (-2 earliest / -1 latest): the consumers then start
      // by their own fromBeginning setting.
      const special = earliest ? "-2" : "-1";
      await setOffsets({
        groupId,
        topic,
        partitions: partitionsOf(topic).map((partition) => ({ partition, offset: special })),
      });
    },

    async describeConfigs(configs) {
      const { resources } = configs ?? ({} as { resources: [] });
      if (!Array.isArray(resources))
        throw invalid("describeConfigs: resources must be an array of { type, name, configNames? }.");
      return {
        resources: resources.map(({ type, name, configNames }) => {
          if (type !== ConfigResourceTypes.TOPIC) {
            throw new KafkaJSNotImplemented(
              `describeConfigs: only topic resources (ConfigResourceTypes.TOPIC) are modelled; broker configs are not (got type ${String(type)}).`,
            );
          }
          const config = topicOrThrow(name).config;
          const defaults = cluster.options.topicDefaults;
          const entries: ConfigEntry[] = [];
          for (const key of Object.keys(KAFKA_CONFIG_NAMES) as (keyof TopicConfig)[]) {
            const configName = KAFKA_CONFIG_NAMES[key];
            if (configNames !== undefined && configNames !== null && !configNames.includes(configName))
              continue;
            const isDefault = config[key] === defaults[key];
            entries.push({
              configName,
              configValue: String(config[key]),
              isDefault,
              configSource: isDefault ? ConfigSource.DEFAULT_CONFIG : ConfigSource.TOPIC_CONFIG,
              isSensitive: false,
              readOnly: false,
              configSynonyms: [],
            });
          }
          return {
            configEntries: entries,
            errorCode: 0,
            errorMessage: null as unknown as string,
            resourceName: name,
            resourceType: type,
          };
        }),
        throttleTime: 0,
      };
    },

    async alterConfigs(configs) {
      const { resources, validateOnly = false } = configs ?? ({} as { resources: []; validateOnly: boolean });
      if (!Array.isArray(resources))
        throw invalid("alterConfigs: resources must be an array of { type, name, configEntries }.");
      const results = [];
      for (const { type, name, configEntries } of resources) {
        if (type !== ConfigResourceTypes.TOPIC) {
          throw new KafkaJSNotImplemented(
            `alterConfigs: only topic resources are modelled (got type ${String(type)}).`,
          );
        }
        topicOrThrow(name);
        try {
          // AlterConfigs (not the incremental API) replaces the topic's overrides: unnamed keys revert to defaults.
          const next = {
            ...topicConfigOptions(cluster.options.topicDefaults),
            ...topicConfigFromEntries(configEntries ?? []),
          };
          resolveTopicConfig(next, cluster.options.topicDefaults, `alterConfigs ${name}`);
          if (!validateOnly) cluster.alterTopicConfig(name, next);
        } catch (error) {
          throw toKafkaJSError(error);
        }
        results.push({ errorCode: 0, errorMessage: null, resourceName: name, resourceType: type });
      }
      return { resources: results, throttleTime: 0 };
    },

    async listGroups() {
      return { groups: cluster.listGroups().map((groupId) => ({ groupId, protocolType: "consumer" })) };
    },

    async deleteGroups(groupIds) {
      if (!groupIds || !Array.isArray(groupIds)) throw invalid(`Invalid groupIds array ${String(groupIds)}`);
      if (groupIds.some((g) => typeof g !== "string"))
        throw invalid(`Invalid groupId name: ${JSON.stringify(groupIds)}`);
      const results: DeleteGroupsResult[] = [];
      const failures: { groupId: string; errorCode: number; error: KafkaJSProtocolError }[] = [];
      for (const groupId of groupIds) {
        try {
          cluster.deleteGroup(groupId);
          results.push({ groupId, errorCode: 0 });
        } catch (error) {
          const e = toKafkaJSError(error);
          if (!(e instanceof KafkaJSProtocolError)) throw e;
          failures.push({ groupId, errorCode: e.code, error: e });
        }
      }
      if (failures.length > 0) throw new KafkaJSDeleteGroupsError("Error in DeleteGroups", failures);
      return results;
    },

    async describeGroups(groupIds) {
      if (!Array.isArray(groupIds) || groupIds.some((g) => typeof g !== "string")) {
        throw invalid("describeGroups: expected an array of group ids.");
      }
      return { groups: groupIds.map((groupId) => describeGroupOf(cluster, groupId)) };
    },

    async deleteTopicRecords(options) {
      const { topic, partitions } = options ?? ({} as { topic: string; partitions: PartitionOffset[] });
      if (!topic || typeof topic !== "string") throw invalid(`Invalid topic "${String(topic)}"`);
      if (!partitions || !Array.isArray(partitions) || partitions.length === 0)
        throw invalid("Invalid partitions");
      const count = topicOrThrow(topic).partitionCount;
      for (const { partition, offset } of partitions) {
        if (!Number.isInteger(partition) || partition < 0 || partition >= count) {
          throw new KafkaJSProtocolError("UNKNOWN_TOPIC_OR_PARTITION", {
            hint: `partition ${String(partition)} of ${topic}`,
          });
        }
        const o = parseLong(offset, "offset", "deleteTopicRecords");
        // "-1" deletes everything up to the high watermark, as in kafkajs.
        const target = o === -1 ? cluster.partition(topic, partition).highWatermark : o;
        try {
          cluster.deleteRecords(topic, partition, target);
        } catch (error) {
          throw toKafkaJSError(error);
        }
      }
    },

    describeAcls: notModelled("describeAcls", "ACLs"),
    deleteAcls: notModelled("deleteAcls", "ACLs"),
    createAcls: notModelled("createAcls", "ACLs"),
    alterPartitionReassignments: notModelled(
      "alterPartitionReassignments",
      "partition reassignment (one log per partition, no replicas)",
    ),
    listPartitionReassignments: notModelled(
      "listPartitionReassignments",
      "partition reassignment (one log per partition, no replicas)",
    ),
    logger: () => logger,
    on: (eventName, listener) => emitter.on(eventName, listener as (event: unknown) => unknown),
    events: ADMIN_EVENTS,
  };
}

function notModelled(method: string, what: string): (options: unknown) => Promise<never> {
  return async () => {
    throw new KafkaJSNotImplemented(
      `admin.${method}: ${what} are not modelled by brokerlab's simulated cluster.`,
    );
  };
}
