import type { LogCluster } from "../../log/cluster.js";
import { KAFKA_CONFIG_NAMES, TOPIC_DEFAULTS, type TopicConfig } from "../../log/topic-config.js";

/**
 * DescribeConfigs for topics as a Kafka 3.5 broker answers it: every topic config with its value
 * and where the value comes from. The configs the simulated log models (retention, segments,
 * cleanup, compaction, timestamp type) show the topic's real values — TOPIC_CONFIG when the topic
 * overrides them, STATIC_BROKER_CONFIG when the cluster's `topicDefaults` changed the broker-wide
 * value, DEFAULT_CONFIG otherwise; every other topic config shows Kafka's default (brokerlab does
 * not model it, so it cannot be overridden: createTopics/alterConfigs refuse it with
 * INVALID_CONFIG). With `includeSynonyms`, each entry lists its synonyms in Kafka's order: the
 * topic override, then the broker config names it falls back to (e.g. `retention.ms` →
 * `log.retention.ms`, then `log.retention.hours` = 168 as DEFAULT_CONFIG).
 */

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

const SOURCE = ConfigSource;

/** One topic config: Kafka's default and the broker configs it falls back to (first = the one a broker sets). */
interface ConfigSpec {
  readonly name: string;
  readonly defaultValue: string;
  /** Broker synonyms, highest precedence first, each with its own default when it has one. */
  readonly synonyms: readonly { readonly name: string; readonly defaultValue: string | null }[];
}

const LONG_MAX = "9223372036854775807";
const spec = (name: string, defaultValue: string, ...synonyms: [string, string | null][]): ConfigSpec => ({
  name,
  defaultValue,
  synonyms: synonyms.map(([n, d]) => ({ name: n, defaultValue: d })),
});

/** Kafka 3.5's topic configs (`LogConfig`), sorted by name as brokers list them. */
const TOPIC_CONFIGS: readonly ConfigSpec[] = [
  spec("cleanup.policy", "delete", ["log.cleanup.policy", "delete"]),
  spec("compression.type", "producer", ["compression.type", "producer"]),
  spec("delete.retention.ms", "86400000", ["log.cleaner.delete.retention.ms", "86400000"]),
  spec("file.delete.delay.ms", "60000", ["log.segment.delete.delay.ms", "60000"]),
  spec("flush.messages", LONG_MAX, ["log.flush.interval.messages", LONG_MAX]),
  spec("flush.ms", LONG_MAX, ["log.flush.interval.ms", null], ["log.flush.scheduler.interval.ms", LONG_MAX]),
  spec("follower.replication.throttled.replicas", ""),
  spec("index.interval.bytes", "4096", ["log.index.interval.bytes", "4096"]),
  spec("leader.replication.throttled.replicas", ""),
  spec("max.compaction.lag.ms", LONG_MAX, ["log.cleaner.max.compaction.lag.ms", LONG_MAX]),
  spec("max.message.bytes", "1048588", ["message.max.bytes", "1048588"]),
  spec("message.downconversion.enable", "true", ["log.message.downconversion.enable", "true"]),
  spec("message.format.version", "3.0-IV1", ["log.message.format.version", "3.0-IV1"]),
  spec("message.timestamp.difference.max.ms", LONG_MAX, [
    "log.message.timestamp.difference.max.ms",
    LONG_MAX,
  ]),
  spec("message.timestamp.type", "CreateTime", ["log.message.timestamp.type", "CreateTime"]),
  spec("min.cleanable.dirty.ratio", "0.5", ["log.cleaner.min.cleanable.ratio", "0.5"]),
  spec("min.compaction.lag.ms", "0", ["log.cleaner.min.compaction.lag.ms", "0"]),
  spec("min.insync.replicas", "1", ["min.insync.replicas", "1"]),
  spec("preallocate", "false", ["log.preallocate", "false"]),
  spec("retention.bytes", "-1", ["log.retention.bytes", "-1"]),
  spec(
    "retention.ms",
    "604800000",
    ["log.retention.ms", null],
    ["log.retention.minutes", null],
    ["log.retention.hours", "168"],
  ),
  spec("segment.bytes", "1073741824", ["log.segment.bytes", "1073741824"]),
  spec("segment.index.bytes", "10485760", ["log.index.size.max.bytes", "10485760"]),
  spec("segment.jitter.ms", "0", ["log.roll.jitter.ms", null], ["log.roll.jitter.hours", "0"]),
  spec("segment.ms", "604800000", ["log.roll.ms", null], ["log.roll.hours", "168"]),
  spec("unclean.leader.election.enable", "false", ["unclean.leader.election.enable", "false"]),
];

/** Kafka config name → the simulated topic's config key, for the configs the log models. */
const MODELLED = new Map<string, keyof TopicConfig>(
  (Object.keys(KAFKA_CONFIG_NAMES) as (keyof TopicConfig)[]).map((key) => [KAFKA_CONFIG_NAMES[key], key]),
);

/**
 * A config entry as DescribeConfigs returns it.
 *
 * @example
 * ```ts
 * const e: ConfigEntry = { configName: "retention.ms", configValue: "604800000", isDefault: true, configSource: 5, isSensitive: false, readOnly: false, configSynonyms: [] };
 * ```
 */
export interface ConfigEntry {
  configName: string;
  configValue: string;
  isDefault: boolean;
  configSource: number;
  isSensitive: boolean;
  readOnly: boolean;
  configSynonyms: { configName: string; configValue: string; configSource: number }[];
}

const overrides = new WeakMap<LogCluster, Map<string, Set<string>>>();

/**
 * Records which configs a topic overrides (createTopics `configEntries`, alterConfigs, which
 * replaces the overrides wholesale). Topics created without the facade count as overriding the
 * configs whose value differs from the broker's.
 *
 * @example
 * ```ts
 * setTopicOverrides(cluster, "orders", ["retention.ms"]);
 * ```
 */
export function setTopicOverrides(cluster: LogCluster, topic: string, names: readonly string[]): void {
  let byTopic = overrides.get(cluster);
  if (byTopic === undefined) {
    byTopic = new Map();
    overrides.set(cluster, byTopic);
  }
  if (names.length === 0) byTopic.delete(topic);
  else byTopic.set(topic, new Set(names));
}

function configText(value: unknown): string {
  return String(value);
}

/**
 * The config entries of a topic (all of them, or those named in `configNames`, unknown names
 * ignored as Kafka ignores them).
 *
 * @example
 * ```ts
 * describeTopicConfigs(cluster, "orders", null, false).find((e) => e.configName === "retention.ms")?.configValue; // "604800000"
 * ```
 */
export function describeTopicConfigs(
  cluster: LogCluster,
  topic: string,
  configNames: readonly string[] | null | undefined,
  includeSynonyms: boolean,
): ConfigEntry[] {
  const config = cluster.topic(topic).config;
  const brokerDefaults = cluster.options.topicDefaults;
  const overridden = overrides.get(cluster)?.get(topic);
  const entries: ConfigEntry[] = [];
  for (const { name, defaultValue, synonyms } of TOPIC_CONFIGS) {
    if (configNames !== null && configNames !== undefined && !configNames.includes(name)) continue;
    const key = MODELLED.get(name);
    const value = key === undefined ? defaultValue : configText(config[key]);
    // The broker-wide value: Kafka's default, or what the cluster's topicDefaults set (server.properties).
    const brokerSet = key !== undefined && brokerDefaults[key] !== TOPIC_DEFAULTS[key];
    const brokerValue = key === undefined ? defaultValue : configText(brokerDefaults[key]);
    const isOverride = key !== undefined && (overridden?.has(name) === true || value !== brokerValue);
    const source = isOverride
      ? SOURCE.TOPIC_CONFIG
      : brokerSet
        ? SOURCE.STATIC_BROKER_CONFIG
        : SOURCE.DEFAULT_CONFIG;
    const configSynonyms: ConfigEntry["configSynonyms"] = [];
    if (includeSynonyms) {
      if (isOverride)
        configSynonyms.push({ configName: name, configValue: value, configSource: SOURCE.TOPIC_CONFIG });
      if (brokerSet && synonyms[0] !== undefined) {
        configSynonyms.push({
          configName: synonyms[0].name,
          configValue: brokerValue,
          configSource: SOURCE.STATIC_BROKER_CONFIG,
        });
      }
      for (const s of synonyms) {
        if (s.defaultValue !== null)
          configSynonyms.push({
            configName: s.name,
            configValue: s.defaultValue,
            configSource: SOURCE.DEFAULT_CONFIG,
          });
      }
    }
    entries.push({
      configName: name,
      configValue: value,
      isDefault: source === SOURCE.DEFAULT_CONFIG,
      configSource: source,
      isSensitive: false,
      readOnly: false,
      configSynonyms,
    });
  }
  return entries;
}

/**
 * Names of every Kafka 3.5 topic config (what a full DescribeConfigs lists).
 *
 * @example
 * ```ts
 * TOPIC_CONFIG_NAMES.includes("max.message.bytes"); // true
 * ```
 */
export const TOPIC_CONFIG_NAMES: readonly string[] = Object.freeze(TOPIC_CONFIGS.map((c) => c.name));
