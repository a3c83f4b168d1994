import { describeValue } from "../scheduler/describe-value.js";
import { InvalidArgumentError } from "../scheduler/errors.js";
import { checkOptions } from "../scheduler/validate.js";
import { LogError } from "./errors.js";
import type { TimestampType } from "./record.js";

/**
 * Topic names and topic-level configuration, with Kafka's rules and defaults.
 */

/** `cleanup.policy`. */
export type CleanupPolicy = "delete" | "compact" | "compact,delete";

/**
 * Topic configuration (camel-cased Kafka topic configs). Defaults are Kafka 3.x broker defaults.
 *
 * @example
 * ```ts
 * cluster.createTopic("users", { partitions: 3, config: { cleanupPolicy: "compact", segmentMs: 60_000 } });
 * ```
 */
export interface TopicConfig {
  /** `retention.ms`: delete segments whose newest record is older; -1 = forever. Default 604800000 (7 days). */
  retentionMs: number;
  /** `retention.bytes`: per partition; -1 = unlimited (default). */
  retentionBytes: number;
  /** `segment.bytes`: roll the active segment past this size. Default 1073741824 (1 GiB). */
  segmentBytes: number;
  /** `segment.ms`: roll the active segment this long after its first record. Default 604800000 (7 days). */
  segmentMs: number;
  /** `cleanup.policy`. Default "delete". */
  cleanupPolicy: CleanupPolicy;
  /** `delete.retention.ms`: how long a tombstone survives after the cleaner first sees it. Default 86400000 (1 day). */
  deleteRetentionMs: number;
  /** `min.cleanable.dirty.ratio`: compact when dirty bytes / cleanable bytes reach this. Default 0.5. */
  minCleanableDirtyRatio: number;
  /** `min.compaction.lag.ms`: records younger than this are not compacted. Default 0. */
  minCompactionLagMs: number;
  /** `message.timestamp.type`. Default "CreateTime". */
  messageTimestampType: TimestampType;
}

/** Partial topic configuration as callers pass it. */
export type TopicConfigOptions = Partial<TopicConfig>;

/**
 * Kafka's defaults for topic configuration.
 *
 * @example
 * ```ts
 * TOPIC_DEFAULTS.retentionMs; // 604800000
 * ```
 */
export const TOPIC_DEFAULTS: Readonly<TopicConfig> = Object.freeze({
  retentionMs: 604_800_000,
  retentionBytes: -1,
  segmentBytes: 1_073_741_824,
  segmentMs: 604_800_000,
  cleanupPolicy: "delete",
  deleteRetentionMs: 86_400_000,
  minCleanableDirtyRatio: 0.5,
  minCompactionLagMs: 0,
  messageTimestampType: "CreateTime",
});

const CONFIG_KEYS = Object.keys(TOPIC_DEFAULTS);

/** Kafka's dotted names for each config key. */
export const KAFKA_CONFIG_NAMES: Readonly<Record<keyof TopicConfig, string>> = Object.freeze({
  retentionMs: "retention.ms",
  retentionBytes: "retention.bytes",
  segmentBytes: "segment.bytes",
  segmentMs: "segment.ms",
  cleanupPolicy: "cleanup.policy",
  deleteRetentionMs: "delete.retention.ms",
  minCleanableDirtyRatio: "min.cleanable.dirty.ratio",
  minCompactionLagMs: "min.compaction.lag.ms",
  messageTimestampType: "message.timestamp.type",
});

function invalidConfig(where: string, message: string, name: string, value: unknown): never {
  throw new LogError("INVALID_CONFIG", `${where}: ${message}`, { config: name, value });
}

function checkNumber(
  value: unknown,
  key: keyof TopicConfig,
  where: string,
  min: number,
  allowMinusOne: boolean,
): void {
  const ok =
    typeof value === "number" &&
    Number.isFinite(value) &&
    (value >= min || (allowMinusOne && value === -1)) &&
    (key === "minCleanableDirtyRatio" || Number.isInteger(value));
  if (!ok) {
    invalidConfig(
      where,
      `${key} (${KAFKA_CONFIG_NAMES[key]}) must be ${key === "minCleanableDirtyRatio" ? "a number" : "an integer"} ≥ ${min}${allowMinusOne ? " or -1" : ""}, got ${String(value)}.`,
      KAFKA_CONFIG_NAMES[key],
      value,
    );
  }
}

/**
 * Validates partial topic configuration and merges it over `base`. Unknown keys are
 * `UNKNOWN_OPTION`; bad values are `INVALID_CONFIG` (Kafka's `InvalidConfigurationException`).
 *
 * @example
 * ```ts
 * resolveTopicConfig({ retentionMs: 1000 }, TOPIC_DEFAULTS, "createTopic");
 * ```
 */
export function resolveTopicConfig(
  options: TopicConfigOptions | undefined,
  base: Readonly<TopicConfig>,
  where: string,
): TopicConfig {
  checkOptions(options, CONFIG_KEYS, where);
  const merged: TopicConfig = { ...base, ...(options ?? {}) };
  checkNumber(merged.retentionMs, "retentionMs", where, 0, true);
  checkNumber(merged.retentionBytes, "retentionBytes", where, 0, true);
  checkNumber(merged.segmentBytes, "segmentBytes", where, 1, false);
  checkNumber(merged.segmentMs, "segmentMs", where, 1, false);
  checkNumber(merged.deleteRetentionMs, "deleteRetentionMs", where, 0, false);
  checkNumber(merged.minCompactionLagMs, "minCompactionLagMs", where, 0, false);
  checkNumber(merged.minCleanableDirtyRatio, "minCleanableDirtyRatio", where, 0, false);
  if (merged.minCleanableDirtyRatio > 1) {
    invalidConfig(
      where,
      "minCleanableDirtyRatio must be within [0, 1].",
      "min.cleanable.dirty.ratio",
      merged.minCleanableDirtyRatio,
    );
  }
  if (!["delete", "compact", "compact,delete"].includes(merged.cleanupPolicy)) {
    invalidConfig(
      where,
      `cleanupPolicy must be "delete", "compact" or "compact,delete", got ${describeValue(merged.cleanupPolicy)}.`,
      "cleanup.policy",
      merged.cleanupPolicy,
    );
  }
  if (merged.messageTimestampType !== "CreateTime" && merged.messageTimestampType !== "LogAppendTime") {
    invalidConfig(
      where,
      `messageTimestampType must be "CreateTime" or "LogAppendTime", got ${describeValue(merged.messageTimestampType)}.`,
      "message.timestamp.type",
      merged.messageTimestampType,
    );
  }
  return merged;
}

/**
 * Reads Kafka's dotted config entries (as admin clients send them, values as strings) into
 * {@link TopicConfigOptions}. `"delete,compact"` is accepted as `"compact,delete"`.
 *
 * @example
 * ```ts
 * topicConfigFromEntries([{ name: "cleanup.policy", value: "compact" }]); // { cleanupPolicy: "compact" }
 * ```
 */
export function topicConfigFromEntries(
  entries: readonly { name: string; value: string | number | null }[],
): TopicConfigOptions {
  if (!Array.isArray(entries)) {
    throw new InvalidArgumentError("topicConfigFromEntries: entries must be an array of { name, value }.");
  }
  const byName = new Map<string, keyof TopicConfig>();
  for (const key of CONFIG_KEYS as (keyof TopicConfig)[]) byName.set(KAFKA_CONFIG_NAMES[key], key);
  const result: Record<string, unknown> = {};
  for (const entry of entries) {
    const key = byName.get(entry?.name);
    if (key === undefined) {
      throw new LogError(
        "INVALID_CONFIG",
        `Unsupported topic config ${describeValue(entry?.name)}; brokerlab models ${[...byName.keys()].join(", ")}.`,
        { config: entry?.name },
      );
    }
    const raw = entry.value;
    if (key === "cleanupPolicy") {
      const parts = String(raw)
        .split(",")
        .map((p) => p.trim())
        .sort();
      result[key] = parts.join(",") === "compact,delete" ? "compact,delete" : parts.join(",");
    } else if (key === "messageTimestampType") {
      result[key] = String(raw);
    } else {
      const n = typeof raw === "number" ? raw : Number(raw);
      result[key] = Number.isNaN(n) ? raw : n;
    }
  }
  return result as TopicConfigOptions;
}

const TOPIC_NAME = /^[a-zA-Z0-9._-]+$/;

/**
 * Kafka's topic-name rule (`Topic.validate`): 1–249 characters of `[a-zA-Z0-9._-]`, and not "." or
 * "..". Throws `INVALID_TOPIC_NAME` (Kafka: `INVALID_TOPIC_EXCEPTION`).
 *
 * @example
 * ```ts
 * validateTopicName("orders.v2"); // ok
 * validateTopicName("a/b");       // throws INVALID_TOPIC_NAME
 * ```
 */
export function validateTopicName(name: unknown, where = "createTopic"): asserts name is string {
  let problem: string | null = null;
  if (typeof name !== "string") problem = `must be a string, got ${name === null ? "null" : typeof name}`;
  else if (name.length === 0) problem = "must not be empty";
  else if (name === "." || name === "..") problem = 'cannot be "." or ".."';
  else if (name.length > 249) problem = `is ${name.length} characters long; the maximum is 249`;
  else if (!TOPIC_NAME.test(name)) problem = "may contain only ASCII letters, digits, '.', '_' and '-'";
  if (problem !== null) {
    throw new LogError("INVALID_TOPIC_NAME", `${where}: topic name ${describeValue(name)} ${problem}.`, {
      topic: name,
    });
  }
}

/** Validates a partition count for create/add: an integer ≥ 1. Throws `INVALID_PARTITIONS`. */
export function validatePartitionCount(count: unknown, where: string): asserts count is number {
  if (typeof count !== "number" || !Number.isInteger(count) || count < 1 || count > 1_000_000) {
    throw new LogError(
      "INVALID_PARTITIONS",
      `${where}: the number of partitions must be an integer ≥ 1, got ${String(count)}.`,
      { partitions: count },
    );
  }
}
