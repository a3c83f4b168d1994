/**
 * `brokerlab/kafkajs`: a kafkajs 2.x-shaped client over a brokerlab simulation. Swap the import
 * and application code written for kafkajs runs on a deterministic, simulated Kafka cluster.
 *
 * @example
 * ```ts
 * import { Kafka, logLevel } from "brokerlab/kafkajs";
 *
 * const kafka = new Kafka({ clientId: "app", brokers: ["localhost:9092"], logLevel: logLevel.ERROR });
 * const consumer = kafka.consumer({ groupId: "billing" });
 * await consumer.connect();
 * await consumer.subscribe({ topics: ["orders"], fromBeginning: true });
 * await consumer.run({ eachMessage: async ({ message }) => console.log(message.value?.toString()) });
 * ```
 */

import {
  AclOperationTypes as AclOperationTypesEnum,
  AclPermissionTypes as AclPermissionTypesEnum,
  AclResourceTypes as AclResourceTypesEnum,
  ResourcePatternTypes as ResourcePatternTypesEnum,
} from "./acl-types.js";
import { ConfigResourceTypes as ConfigResourceTypesEnum, ConfigSource as ConfigSourceEnum } from "./admin.js";

export { defaultSimulation, resetDefaultSimulation } from "../default-simulation.js";
export { type Admin, type AdminConfig, describeGroupOf } from "./admin.js";
export {
  type Assigner,
  AssignerProtocol,
  type MemberAssignment,
  type MemberMetadata,
  type PartitionAssigner,
  PartitionAssigners,
} from "./assigners.js";
export {
  type DeleteTopicRecordsPartitionError,
  KafkaJSAlterPartitionReassignmentsError,
  KafkaJSBrokerNotFound,
  KafkaJSConnectionClosedError,
  KafkaJSConnectionError,
  KafkaJSDeleteTopicRecordsError,
  KafkaJSFetcherRebalanceError,
  KafkaJSGroupCoordinatorNotFound,
  KafkaJSInvalidLongError,
  KafkaJSInvalidVarIntError,
  KafkaJSInvariantViolation,
  KafkaJSLockTimeout,
  KafkaJSMemberIdRequired,
  KafkaJSNoBrokerAvailableError,
  KafkaJSPartialMessageError,
  KafkaJSSASLAuthenticationError,
  KafkaJSServerDoesNotSupportApiKey,
  KafkaJSTimeout,
  KafkaJSUnsupportedMagicByteInMessageSet,
} from "./client-errors.js";
export type { Consumer, ConsumerConfig } from "./consumer.js";
export {
  isKafkaJSError,
  isRebalancing,
  KafkaJSAggregateError,
  KafkaJSCreateTopicError,
  KafkaJSDeleteGroupsError,
  KafkaJSError,
  type KafkaJSErrorOptions,
  KafkaJSMetadataNotLoaded,
  KafkaJSNonRetriableError,
  KafkaJSNotImplemented,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSOffsetOutOfRange,
  KafkaJSProtocolError,
  KafkaJSRequestTimeoutError,
  KafkaJSStaleTopicMetadataAssignment,
  KafkaJSTopicMetadataNotLoaded,
  PROTOCOL_ERRORS,
  type ProtocolErrorLike,
  toKafkaJSError,
} from "./errors.js";
export {
  ADMIN_EVENTS,
  type AdminEventMap,
  type AdminEvents,
  CONSUMER_EVENTS,
  type ConnectEvent,
  type ConsumerCommitOffsetsEvent,
  type ConsumerCrashEvent,
  type ConsumerEndBatchProcessEvent,
  type ConsumerEventMap,
  type ConsumerEvents,
  type ConsumerFetchEvent,
  type ConsumerFetchStartEvent,
  type ConsumerGroupJoinEvent,
  type ConsumerHeartbeatEvent,
  type ConsumerRebalancingEvent,
  type ConsumerReceivedUnsubcribedTopicsEvent,
  type ConsumerStartBatchProcessEvent,
  type DisconnectEvent,
  type IBatchProcessEvent,
  type InstrumentationEvent,
  PRODUCER_EVENTS,
  type ProducerEventMap,
  type ProducerEvents,
  type RemoveInstrumentationEventListener,
  type RequestEvent,
  type RequestQueueSizeEvent,
  type RequestTimeoutEvent,
  type TypedOn,
} from "./events.js";
export { type ApiName, KAFKA_APIS } from "./instrumentation.js";
export { KAFKAJS_CLUSTER_DEFAULTS, Kafka, type KafkaConfig } from "./kafka.js";
export { type LogCreator, type LogEntry, type Logger, type LogLevel, logLevel } from "./logger.js";
export { type ICustomPartitioner, type PartitionerArgs, Partitioners } from "./partitioners.js";
export type { Producer, ProducerConfig } from "./producer.js";
export type { RetryOptions } from "./retry.js";
export type { Transaction } from "./transaction.js";
export type * from "./types.js";

/**
 * kafkajs' compression codecs. Compression does not change what a simulated consumer reads, so
 * every type is accepted; sizes (retention.bytes, fetch limits) count uncompressed bytes.
 *
 * @example
 * ```ts
 * await producer.send({ topic: "t", compression: CompressionTypes.GZIP, messages: [{ value: "x" }] });
 * ```
 */
export const CompressionTypes = Object.freeze({ None: 0, GZIP: 1, Snappy: 2, LZ4: 3, ZSTD: 4 } as const);
/** One of {@link CompressionTypes}' values (kafkajs' enum used as a type). */
export type CompressionTypes = (typeof CompressionTypes)[keyof typeof CompressionTypes];

/**
 * kafkajs' codec registry, kept for code that registers codecs (`CompressionCodecs[CompressionTypes.Snappy] = …`).
 * The simulator never calls them.
 *
 * @example
 * ```ts
 * CompressionCodecs[CompressionTypes.Snappy] = () => snappyCodec;
 * ```
 */
export const CompressionCodecs: Record<number, () => unknown> = {};

/**
 * `describeConfigs` / `alterConfigs` resource types (kafkajs' `ConfigResourceTypes`: UNKNOWN 0,
 * TOPIC 2, BROKER 4, BROKER_LOGGER 8).
 *
 * @example
 * ```ts
 * await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: "orders" }], includeSynonyms: false });
 * ```
 */
export const ConfigResourceTypes = ConfigResourceTypesEnum;
/** One of {@link ConfigResourceTypes}' values. */
export type ConfigResourceTypes = (typeof ConfigResourceTypes)[keyof typeof ConfigResourceTypes];

/**
 * Where a config value comes from (kafkajs' `ConfigSource`).
 *
 * @example
 * ```ts
 * entry.configSource === ConfigSource.DEFAULT_CONFIG; // the topic does not override it
 * ```
 */
export const ConfigSource = ConfigSourceEnum;
/** One of {@link ConfigSource}'s values. */
export type ConfigSource = (typeof ConfigSource)[keyof typeof ConfigSource];

/**
 * kafkajs' `AclResourceTypes` (Kafka's wire codes: UNKNOWN 0, ANY 1, TOPIC 2, GROUP 3, CLUSTER 4,
 * TRANSACTIONAL_ID 5, DELEGATION_TOKEN 6).
 *
 * @example
 * ```ts
 * await admin.describeAcls({ resourceType: AclResourceTypes.TOPIC, resourceName: "orders", resourcePatternType: ResourcePatternTypes.LITERAL, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY });
 * ```
 */
export const AclResourceTypes = AclResourceTypesEnum;
/** One of {@link AclResourceTypes}' values. */
export type AclResourceTypes = (typeof AclResourceTypes)[keyof typeof AclResourceTypes];

/**
 * kafkajs' `AclOperationTypes` (UNKNOWN 0, ANY 1, ALL 2, READ 3, WRITE 4, CREATE 5, DELETE 6,
 * ALTER 7, DESCRIBE 8, CLUSTER_ACTION 9, DESCRIBE_CONFIGS 10, ALTER_CONFIGS 11, IDEMPOTENT_WRITE 12).
 *
 * @example
 * ```ts
 * AclOperationTypes.READ; // 3
 * ```
 */
export const AclOperationTypes = AclOperationTypesEnum;
/** One of {@link AclOperationTypes}' values. */
export type AclOperationTypes = (typeof AclOperationTypes)[keyof typeof AclOperationTypes];

/**
 * kafkajs' `AclPermissionTypes` (UNKNOWN 0, ANY 1, DENY 2, ALLOW 3).
 *
 * @example
 * ```ts
 * AclPermissionTypes.ALLOW; // 3
 * ```
 */
export const AclPermissionTypes = AclPermissionTypesEnum;
/** One of {@link AclPermissionTypes}' values. */
export type AclPermissionTypes = (typeof AclPermissionTypes)[keyof typeof AclPermissionTypes];

/**
 * kafkajs' `ResourcePatternTypes` (UNKNOWN 0, ANY 1, MATCH 2, LITERAL 3, PREFIXED 4).
 *
 * @example
 * ```ts
 * ResourcePatternTypes.PREFIXED; // 4
 * ```
 */
export const ResourcePatternTypes = ResourcePatternTypesEnum;
/** One of {@link ResourcePatternTypes}' values. */
export type ResourcePatternTypes = (typeof ResourcePatternTypes)[keyof typeof ResourcePatternTypes];

import * as facade from "./index.js";

/**
 * The module as kafkajs' CommonJS export looks, for code that imports it whole
 * (`import kafkajs from "kafkajs"; const { Kafka } = kafkajs;`): the 44 names kafkajs 2.2.4's
 * `module.exports` holds, in its order.
 *
 * @example
 * ```ts
 * import kafkajs from "brokerlab/kafkajs";
 * const kafka = new kafkajs.Kafka({ brokers: ["localhost:9092"] });
 * ```
 */
const kafkajs = Object.freeze({
  Kafka: facade.Kafka,
  PartitionAssigners: facade.PartitionAssigners,
  AssignerProtocol: facade.AssignerProtocol,
  Partitioners: facade.Partitioners,
  logLevel: facade.logLevel,
  CompressionTypes: facade.CompressionTypes,
  CompressionCodecs: facade.CompressionCodecs,
  ConfigResourceTypes: facade.ConfigResourceTypes,
  AclResourceTypes: facade.AclResourceTypes,
  AclOperationTypes: facade.AclOperationTypes,
  AclPermissionTypes: facade.AclPermissionTypes,
  ResourcePatternTypes: facade.ResourcePatternTypes,
  ConfigSource: facade.ConfigSource,
  KafkaJSError: facade.KafkaJSError,
  KafkaJSNonRetriableError: facade.KafkaJSNonRetriableError,
  KafkaJSPartialMessageError: facade.KafkaJSPartialMessageError,
  KafkaJSBrokerNotFound: facade.KafkaJSBrokerNotFound,
  KafkaJSProtocolError: facade.KafkaJSProtocolError,
  KafkaJSConnectionError: facade.KafkaJSConnectionError,
  KafkaJSConnectionClosedError: facade.KafkaJSConnectionClosedError,
  KafkaJSRequestTimeoutError: facade.KafkaJSRequestTimeoutError,
  KafkaJSSASLAuthenticationError: facade.KafkaJSSASLAuthenticationError,
  KafkaJSNumberOfRetriesExceeded: facade.KafkaJSNumberOfRetriesExceeded,
  KafkaJSOffsetOutOfRange: facade.KafkaJSOffsetOutOfRange,
  KafkaJSMemberIdRequired: facade.KafkaJSMemberIdRequired,
  KafkaJSGroupCoordinatorNotFound: facade.KafkaJSGroupCoordinatorNotFound,
  KafkaJSNotImplemented: facade.KafkaJSNotImplemented,
  KafkaJSMetadataNotLoaded: facade.KafkaJSMetadataNotLoaded,
  KafkaJSTopicMetadataNotLoaded: facade.KafkaJSTopicMetadataNotLoaded,
  KafkaJSStaleTopicMetadataAssignment: facade.KafkaJSStaleTopicMetadataAssignment,
  KafkaJSDeleteGroupsError: facade.KafkaJSDeleteGroupsError,
  KafkaJSTimeout: facade.KafkaJSTimeout,
  KafkaJSLockTimeout: facade.KafkaJSLockTimeout,
  KafkaJSServerDoesNotSupportApiKey: facade.KafkaJSServerDoesNotSupportApiKey,
  KafkaJSUnsupportedMagicByteInMessageSet: facade.KafkaJSUnsupportedMagicByteInMessageSet,
  KafkaJSDeleteTopicRecordsError: facade.KafkaJSDeleteTopicRecordsError,
  KafkaJSInvariantViolation: facade.KafkaJSInvariantViolation,
  KafkaJSInvalidVarIntError: facade.KafkaJSInvalidVarIntError,
  KafkaJSInvalidLongError: facade.KafkaJSInvalidLongError,
  KafkaJSCreateTopicError: facade.KafkaJSCreateTopicError,
  KafkaJSAggregateError: facade.KafkaJSAggregateError,
  KafkaJSFetcherRebalanceError: facade.KafkaJSFetcherRebalanceError,
  KafkaJSNoBrokerAvailableError: facade.KafkaJSNoBrokerAvailableError,
  KafkaJSAlterPartitionReassignmentsError: facade.KafkaJSAlterPartitionReassignmentsError,
});
export default kafkajs;
