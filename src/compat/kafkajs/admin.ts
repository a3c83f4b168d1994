import type { LogCluster } from "../../log/cluster.js";
import { describeValue } from "../../scheduler/describe-value.js";
import { checkOptions } from "../../scheduler/validate.js";
import { jsonShown, stringShown } from "../shown.js";
import {
  type AclEntry,
  type AclEntryFilter,
  createAcls,
  type DeleteAclResponse,
  type DescribeAclResponse,
  deleteAcls,
  describeAcls,
} from "./acl.js";
import { type ConfigEntry, setTopicOverrides } from "./admin-configs.js";
import { alterConfigsOn, createPartitionsOn, createTopicsOn, describeConfigsOn } from "./admin-topics.js";
import { AssignerProtocol } from "./assigners.js";
import { parseLong } from "./codec.js";
import { type ClientContext, clusterBookkeeping, partitionMetadata } from "./context.js";
import {
  invalid,
  KafkaJSDeleteGroupsError,
  type KafkaJSError,
  KafkaJSNotImplemented,
  KafkaJSProtocolError,
  toKafkaJSError,
} from "./errors.js";
import { ADMIN_EVENTS, type AdminEventMap, InstrumentationEmitter, type TypedOn } from "./events.js";
import { instrumentAdmin } from "./instrumentation.js";
import { leaderAssignmentOf, memberMetadataOf } from "./leader-assignment.js";
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
 * Where brokerlab cannot model an API (partition reassignment, broker configs) it refuses
 * with `KafkaJSNotImplemented` (code NOT_SUPPORTED) instead of answering something made up.
 */

/** kafkajs' `AdminConfig`. */
export interface AdminConfig {
  retry?: RetryOptions;
}

export type { ConfigEntry } from "./admin-configs.js";
export { ConfigResourceTypes, ConfigSource } from "./admin-configs.js";

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
  describeAcls(filter: AclEntryFilter): Promise<DescribeAclResponse>;
  deleteAcls(options: { filters: AclEntryFilter[] }): Promise<DeleteAclResponse>;
  createAcls(options: { acl: AclEntry[] }): Promise<boolean>;
  deleteTopicRecords(options: { topic: string; partitions: PartitionOffset[] }): Promise<void>;
  alterPartitionReassignments(request: unknown): Promise<never>;
  listPartitionReassignments(request: unknown): Promise<never>;
  logger(): Logger;
  on: TypedOn<AdminEventMap>;
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
      // Under a custom kafkajs assigner the coordinator holds the bytes members exchanged.
      const custom = d.protocol === null ? undefined : leaderAssignmentOf(cluster, groupId, m.memberId);
      return {
        memberId: m.memberId,
        clientId: m.clientId,
        clientHost: CLIENT_HOST,
        memberMetadata:
          custom === undefined || d.protocol === null
            ? AssignerProtocol.MemberMetadata.encode({ version: 0, topics: m.topics })
            : memberMetadataOf(cluster, groupId, m.memberId, d.protocol),
        memberAssignment: custom ?? AssignerProtocol.MemberAssignment.encode({ version: 0, assignment }),
      };
    }),
  };
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
  const emitter = new InstrumentationEmitter(ctx.sim, Object.values(ADMIN_EVENTS), "admin", logger, ctx);
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
        hint: `topic ${jsonShown(topic)} does not exist`,
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
      throw invalid(`Invalid groupId ${stringShown(groupId)}`, "INVALID_GROUP_ID");
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
  const setOffsets = async (options: { groupId: string; topic: string; partitions: PartitionOffset[] }) => {
    if (options === null || typeof options !== "object") {
      throw invalid(
        `admin.setOffsets: expected { groupId, topic, partitions }, received ${describeValue(options)}`,
      );
    }
    const { groupId, topic, partitions } = options;
    checkGroupId(groupId);
    if (!topic) throw invalid(`Invalid topic ${stringShown(topic)}`);
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
          `setOffsets: partition ${stringShown(partition)} does not exist in topic ${topic} (${count} partitions).`,
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

  return instrumentAdmin(emitter, {
    async connect() {
      emitter.emit(ADMIN_EVENTS.CONNECT, null);
    },
    async disconnect() {
      emitter.emit(ADMIN_EVENTS.DISCONNECT, null);
    },
    async listTopics() {
      return cluster.listTopics();
    },

    createTopics: (options) => createTopicsOn(ctx, options),

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
          setTopicOverrides(cluster, topic, []);
        }
        if (missing.length > 0) {
          throw new KafkaJSProtocolError("UNKNOWN_TOPIC_OR_PARTITION", {
            hint: `cannot delete unknown topic(s) ${missing.join(", ")}`,
          });
        }
      }, ["UNKNOWN_TOPIC_OR_PARTITION"]);
    },

    createPartitions: (options) => createPartitionsOn(ctx, options),

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

    describeConfigs: (options) => describeConfigsOn(ctx, options),

    alterConfigs: (options) => alterConfigsOn(ctx, options),

    async listGroups() {
      return { groups: cluster.listGroups().map((groupId) => ({ groupId, protocolType: "consumer" })) };
    },

    async deleteGroups(groupIds) {
      if (!groupIds || !Array.isArray(groupIds)) throw invalid(`Invalid groupIds array ${String(groupIds)}`);
      if (groupIds.some((g) => typeof g !== "string"))
        throw invalid(`Invalid groupId name: ${jsonShown(groupIds)}`);
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

    describeAcls: (filter) => describeAcls(ctx, filter),
    deleteAcls: (options) => deleteAcls(ctx, options),
    createAcls: (options) => createAcls(ctx, options),
    alterPartitionReassignments: notModelled(
      "alterPartitionReassignments",
      "partition reassignment (one log per partition, no replicas)",
    ),
    listPartitionReassignments: notModelled(
      "listPartitionReassignments",
      "partition reassignment (one log per partition, no replicas)",
    ),
    logger: () => logger,
    on: (eventName: string, listener: (event: never) => unknown) =>
      emitter.on(eventName, listener as (event: unknown) => unknown),
    events: ADMIN_EVENTS,
  });
}

function notModelled(method: string, what: string): (options: unknown) => Promise<never> {
  return async () => {
    throw new KafkaJSNotImplemented(
      `admin.${method}: ${what} are not modelled by brokerlab's simulated cluster.`,
    );
  };
}
