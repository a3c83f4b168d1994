import type { Topic } from "../../log/topic.js";
import {
  resolveTopicConfig,
  type TopicConfig,
  type TopicConfigOptions,
  topicConfigFromEntries,
  validateTopicName,
} from "../../log/topic-config.js";
import { jsonShown, stringShown } from "../shown.js";
import type { Admin } from "./admin.js";
import {
  type ConfigEntry,
  ConfigResourceTypes,
  describeTopicConfigs,
  setTopicOverrides,
} from "./admin-configs.js";
import { type ClientContext, clusterBookkeeping, explicitReplicas } from "./context.js";
import {
  invalid,
  KafkaJSAggregateError,
  KafkaJSCreateTopicError,
  KafkaJSNotImplemented,
  KafkaJSProtocolError,
  type ProtocolErrorType,
  toKafkaJSError,
} from "./errors.js";
import type { ITopicConfig, ITopicPartitionConfig } from "./types.js";

/**
 * The admin calls that create and configure topics (kafkajs' `createTopics`, `createPartitions`,
 * `describeConfigs`, `alterConfigs`), answered against the cluster's state at once, with kafkajs'
 * validation and Kafka's per-topic errors. `createAdmin` delegates to them.
 */

function topicOrThrow(ctx: ClientContext, topic: string): Topic {
  if (!ctx.cluster.hasTopic(topic)) {
    throw new KafkaJSProtocolError("UNKNOWN_TOPIC_OR_PARTITION", {
      hint: `topic ${jsonShown(topic)} does not exist`,
      details: { topic },
    });
  }
  return ctx.cluster.topic(topic);
}

function topicConfigOptions(config: TopicConfig): TopicConfigOptions {
  return { ...config };
}

/**
 * kafkajs' `admin.createTopics`: true when created, false when every topic already exists, a
 * `KafkaJSAggregateError` of `KafkaJSCreateTopicError`s otherwise.
 *
 * @example
 * ```ts
 * await createTopicsOn(ctx, { topics: [{ topic: "orders", numPartitions: 3 }] }); // true
 * ```
 */
export async function createTopicsOn(
  ctx: ClientContext,
  options: Parameters<Admin["createTopics"]>[0],
): Promise<boolean> {
  const cluster = ctx.cluster;
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
        fail("INVALID_REQUEST", topic, "give either replicaAssignment or numPartitions/replicationFactor");
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
    setTopicOverrides(
      cluster,
      topic,
      (configEntries ?? []).map((e) => e.name),
    );
    if (replicaAssignment !== undefined && replicaAssignment.length > 0) {
      explicitReplicas.set(
        cluster.topic(topic),
        new Map(replicaAssignment.map((a) => [a.partition, [...a.replicas]])),
      );
    }
  }
  if (errors.length > 0) {
    if ((errors as { type: string }[]).every((e) => e.type === "TOPIC_ALREADY_EXISTS")) return false;
    throw new KafkaJSAggregateError("Topic creation errors", errors);
  }
  return true;
}

/**
 * kafkajs' `admin.createPartitions`, honouring `assignments` (one replica list per new partition,
 * validated as Kafka validates them: INVALID_REPLICA_ASSIGNMENT).
 *
 * @example
 * ```ts
 * await createPartitionsOn(ctx, { topicPartitions: [{ topic: "orders", count: 4, assignments: [[1]] }] });
 * ```
 */
export async function createPartitionsOn(
  ctx: ClientContext,
  options: Parameters<Admin["createPartitions"]>[0],
): Promise<boolean> {
  const cluster = ctx.cluster;
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
  const brokers = await ctx.brokers();
  let first: Error | null = null;
  for (const { topic, count, assignments } of topicPartitions) {
    try {
      const t = topicOrThrow(ctx, topic);
      const current = t.partitionCount;
      if (!Number.isInteger(count) || count <= current) {
        throw new KafkaJSProtocolError("INVALID_PARTITIONS", {
          hint: `Topic currently has ${current} partitions, which is higher than the requested ${String(count)}.`,
        });
      }
      const rf = clusterBookkeeping(cluster).replicationFactors.get(topic) ?? 1;
      const lists =
        assignments === undefined || assignments === null
          ? null
          : checkReplicaAssignment(
              assignments,
              count - current,
              rf,
              brokers.map((b) => b.nodeId),
            );
      if (!validateOnly) {
        cluster.addPartitions(topic, count);
        if (lists !== null) {
          const explicit = explicitReplicas.get(t) ?? new Map<number, number[]>();
          for (const [i, replicas] of lists.entries()) explicit.set(current + i, replicas);
          explicitReplicas.set(t, explicit);
        }
      }
    } catch (error) {
      first ??= toKafkaJSError(error);
    }
  }
  if (first !== null) throw first;
  // kafkajs 2.2.4 resolves createPartitions with undefined although its types say boolean.
  return undefined as unknown as boolean;
}

/**
 * kafkajs' `admin.describeConfigs` for topics (see admin-configs.ts for what each entry says).
 *
 * @example
 * ```ts
 * await describeConfigsOn(ctx, { resources: [{ type: ConfigResourceTypes.TOPIC, name: "orders" }], includeSynonyms: false });
 * ```
 */
export async function describeConfigsOn(
  ctx: ClientContext,
  configs: Parameters<Admin["describeConfigs"]>[0],
): ReturnType<Admin["describeConfigs"]> {
  const cluster = ctx.cluster;
  const { resources, includeSynonyms = false } =
    configs ?? ({} as { resources: []; includeSynonyms: boolean });
  if (!resources || !Array.isArray(resources)) throw invalid(`Invalid resources array ${String(resources)}`);
  if (resources.length === 0) throw invalid("Resources array cannot be empty");
  const validTypes = Object.values(ConfigResourceTypes) as number[];
  const badType = resources.find((r) => !validTypes.includes(r?.type));
  if (badType) throw invalid(`Invalid resource type ${stringShown(badType.type)}: ${jsonShown(badType)}`);
  const badName = resources.find((r) => !r.name || typeof r.name !== "string");
  if (badName) throw invalid(`Invalid resource name ${stringShown(badName.name)}: ${jsonShown(badName)}`);
  const badNames = resources.find((r) => !Array.isArray(r.configNames) && r.configNames != null);
  if (badNames) {
    throw invalid(
      `Invalid resource configNames ${stringShown(badNames.configNames)}: ${jsonShown(badNames)}`,
    );
  }
  return {
    resources: resources.map(({ type, name, configNames }) => {
      if (type !== ConfigResourceTypes.TOPIC) {
        throw new KafkaJSNotImplemented(
          `describeConfigs: only topic resources (ConfigResourceTypes.TOPIC) are modelled; broker configs are not (got type ${String(type)}).`,
        );
      }
      topicOrThrow(ctx, name);
      const configEntries: ConfigEntry[] = describeTopicConfigs(
        cluster,
        name,
        configNames,
        includeSynonyms === true,
      );
      return {
        configEntries,
        errorCode: 0,
        errorMessage: null as unknown as string,
        resourceName: name,
        resourceType: type,
      };
    }),
    throttleTime: 0,
  };
}

/**
 * kafkajs' `admin.alterConfigs` for topics: replaces the topic's overrides (unnamed configs revert
 * to the broker's values), as the non-incremental AlterConfigs does.
 *
 * @example
 * ```ts
 * await alterConfigsOn(ctx, { validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: "orders", configEntries: [{ name: "retention.ms", value: "1000" }] }] });
 * ```
 */
export async function alterConfigsOn(
  ctx: ClientContext,
  configs: Parameters<Admin["alterConfigs"]>[0],
): ReturnType<Admin["alterConfigs"]> {
  const cluster = ctx.cluster;
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
    topicOrThrow(ctx, name);
    try {
      // AlterConfigs (not the incremental API) replaces the topic's overrides: unnamed keys revert to defaults.
      const next = {
        ...topicConfigOptions(cluster.options.topicDefaults),
        ...topicConfigFromEntries(configEntries ?? []),
      };
      resolveTopicConfig(next, cluster.options.topicDefaults, `alterConfigs ${name}`);
      if (!validateOnly) {
        cluster.alterTopicConfig(name, next);
        setTopicOverrides(
          cluster,
          name,
          (configEntries ?? []).map((e) => e.name),
        );
      }
    } catch (error) {
      throw toKafkaJSError(error);
    }
    results.push({ errorCode: 0, errorMessage: null, resourceName: name, resourceType: type });
  }
  return { resources: results, throttleTime: 0 };
}

/**
 * Kafka's checks of createPartitions' `assignments` (INVALID_REPLICA_ASSIGNMENT): one replica list
 * per new partition, none empty, as many replicas as the topic's other partitions, no broker twice
 * in a list, every broker known. Returns the lists (copied).
 */
function checkReplicaAssignment(
  assignments: unknown,
  added: number,
  replicationFactor: number,
  brokerIds: readonly number[],
): number[][] {
  const fail = (hint: string): never => {
    throw new KafkaJSProtocolError("INVALID_REPLICA_ASSIGNMENT", { hint });
  };
  if (!Array.isArray(assignments)) return fail("assignments must be an array of replica lists (broker ids)");
  if (assignments.length !== added) {
    fail(`Increasing the number of partitions by ${added} but ${assignments.length} assignments provided.`);
  }
  return assignments.map((list: unknown, i) => {
    if (!Array.isArray(list) || list.some((id) => !Number.isInteger(id)))
      return fail(`assignment ${i} must be an array of broker ids`);
    if (list.length === 0) return fail("The manual partition assignment includes an empty replica list.");
    if (new Set(list).size !== list.length)
      fail(`Duplicate brokers not allowed in replica assignment: ${list.join(", ")} for partition id ${i}.`);
    const unknown = (list as number[]).filter((id) => !brokerIds.includes(id));
    if (unknown.length > 0) fail(`Unknown broker(s) in replica assignment: ${unknown.join(", ")}.`);
    if (list.length !== replicationFactor) {
      fail(
        `The manual partition assignment includes a partition with ${list.length} replica(s), but this is not consistent with previous partitions, which have ${replicationFactor} replica(s).`,
      );
    }
    return [...(list as number[])];
  });
}
