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

export { type Admin, type AdminConfig, ConfigResourceTypes, ConfigSource, describeGroupOf } from "./admin.js";
export {
  type Assigner,
  AssignerProtocol,
  type MemberAssignment,
  type MemberMetadata,
  type PartitionAssigner,
  PartitionAssigners,
} from "./assigners.js";
export type { Consumer, ConsumerConfig } from "./consumer.js";
export {
  isKafkaJSError,
  isRebalancing,
  KafkaJSAggregateError,
  KafkaJSCreateTopicError,
  KafkaJSDeleteGroupsError,
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSNotImplemented,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSOffsetOutOfRange,
  KafkaJSProtocolError,
  KafkaJSRequestTimeoutError,
  KafkaJSStaleTopicMetadataAssignment,
  KafkaJSTopicMetadataNotLoaded,
  PROTOCOL_ERRORS,
  toKafkaJSError,
} from "./errors.js";
export { ADMIN_EVENTS, CONSUMER_EVENTS, type InstrumentationEvent, PRODUCER_EVENTS } from "./events.js";
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
