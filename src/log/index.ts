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

export { type AbortedTxn, AbortedTxnIndex } from "./aborted-index.js";
export {
  ACL_OPERATION_TYPES,
  ACL_PERMISSION_TYPES,
  ACL_RESOURCE_TYPES,
  AclAuthorizer,
  type AclBinding,
  type AclFilter,
  type AuthorizerOptions,
  clusterAcls,
  RESOURCE_PATTERN_TYPES,
} from "./acl.js";
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
export {
  CONTROL_RECORD_SIZE,
  type ControlRecordType,
  type ControlRecordValue,
  controlAttributes,
  controlRecordValue,
  controlType,
  type LogEntry,
} from "./control-records.js";
export { CommitFailedError, isLogError, KAFKA_ERRORS, LogError, type LogErrorCode } from "./errors.js";
export type { GroupDescription, JoinRequest, JoinResponse, MemberLink } from "./group-coordinator.js";
export { GroupCoordinator } from "./group-coordinator.js";
export {
  allJoined,
  type CommittedOffset,
  type ConsumerGroupMetadata,
  committedOffset,
  committedOffsets,
  emptyGroup,
  type GroupAction,
  type GroupMember,
  type GroupPhase,
  type GroupState,
  hasPendingTxnOffset,
  reduceGroup,
  selectProtocol,
  validateCommit,
  validateHeartbeat,
  validateTxnOffsetCommit,
} from "./group-state.js";
export { ProducerStateTable, RETAINED_BATCHES } from "./idempotence.js";
export type { FaultDecision, FaultHook, RequestInfo, RequestKind } from "./network.js";
export { Network } from "./network.js";
export { FetchBuffer, PartitionLog } from "./partition-log.js";
export { PartitionTransactions } from "./partition-transactions.js";
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
export {
  TransactionCoordinator,
  type TransactionCoordinatorContext,
  type TransactionDescription,
  type TxnOffsetCommitRequest,
  type TxnResponse,
} from "./transaction-coordinator.js";
export {
  normalizeGroupMetadata,
  TransactionManager,
  TXN_CLIENT_TRANSITIONS,
  TXN_CRASH_POINTS,
  type TxnClientState,
  type TxnCrashHook,
  type TxnCrashInfo,
  type TxnCrashPoint,
} from "./transaction-manager.js";
export {
  bumpedIdentity,
  canTransition,
  checkProducer,
  isCompleting,
  isEndTxnRetry,
  isTransactionOpen,
  MAX_PRODUCER_EPOCH,
  newTxnMetadata,
  type ProducerIdentity,
  reduceTxn,
  type TransactionProtocol,
  TXN_PREDECESSORS,
  type TxnAction,
  type TxnMetadata,
  type TxnPhase,
  type TxnResult,
  targetPhase,
} from "./transaction-state.js";
