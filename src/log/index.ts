/**
 * The partitioned log (Kafka's model): everything `src/index.ts` should re-export from `src/log`,
 * gathered in one place for the facade and for notebooks.
 *
 * @example
 * ```ts
 * import { LogCluster } from "./log/index.js";
 * const cluster = new LogCluster(sim);
 * ```
 */

export {
  type GroupLag,
  LogCluster,
  type LogClusterOptions,
  type PartitionLag,
  type PartitionOffsets,
  type ResolvedClusterOptions,
  type TopicDescription,
} from "./cluster.js";
export { type CompactionResult, compactionKey, compactLog } from "./compaction.js";
export {
  type AssignorName,
  CONSUMER_DEFAULTS,
  Consumer,
  type ConsumerOptions,
  type RebalanceListener,
} from "./consumer.js";
export { CommitFailedError, isLogError, KAFKA_ERRORS, LogError, type LogErrorCode } from "./errors.js";
export type { GroupDescription, JoinRequest, JoinResponse, MemberLink } from "./group-coordinator.js";
export { GroupCoordinator } from "./group-coordinator.js";
export {
  allJoined,
  type CommittedOffset,
  committedOffset,
  committedOffsets,
  emptyGroup,
  type GroupAction,
  type GroupMember,
  type GroupPhase,
  type GroupState,
  reduceGroup,
  selectProtocol,
  validateCommit,
  validateHeartbeat,
} from "./group-state.js";
export { ProducerStateTable, RETAINED_BATCHES } from "./idempotence.js";
export type { FaultDecision, FaultHook, RequestInfo, RequestKind } from "./network.js";
export { Network } from "./network.js";
export { FetchBuffer, PartitionLog } from "./partition-log.js";
export { type PartitionerChoice, PRODUCER_DEFAULTS, Producer, type ProducerOptions } from "./producer.js";
export type {
  ConsumerRecord,
  HeaderValue,
  ProducerRecord,
  RecordHeaders,
  RecordKey,
  RecordMetadata,
  TimestampType,
  TopicPartition,
  TopicPartitionOffset,
} from "./record.js";
export { applyRetention, type RetentionResult } from "./retention.js";
export { defaultSizer, type Sizer } from "./sizer.js";
export { Topic } from "./topic.js";
export {
  type CleanupPolicy,
  KAFKA_CONFIG_NAMES,
  TOPIC_DEFAULTS,
  type TopicConfig,
  type TopicConfigOptions,
  topicConfigFromEntries,
  validateTopicName,
} from "./topic-config.js";
