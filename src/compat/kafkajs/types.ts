/**
 * kafkajs 2.x's public data shapes (`types/index.d.ts`), as the facade produces and accepts them.
 * Offsets and timestamps are decimal strings; keys, values and header values are `Buffer`s when
 * read (plain `Uint8Array`s on hosts without `Buffer`).
 *
 * @example
 * ```ts
 * const message: Message = { key: "customer-7", value: JSON.stringify({ total: 3 }), headers: { trace: "t-1" } };
 * ```
 */

/** Record headers as sent: a value, or a list of values for a repeated header. */
export interface IHeaders {
  [key: string]: Buffer | string | (Buffer | string)[] | undefined;
}

/** A message to send. */
export interface Message {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  partition?: number;
  headers?: IHeaders;
  /** CreateTime in ms since the epoch (virtual), as a string; default: the send's virtual time. */
  timestamp?: string;
}

/** Partition metadata (Metadata API v5+). */
export interface PartitionMetadata {
  partitionErrorCode: number;
  partitionId: number;
  leader: number;
  replicas: number[];
  isr: number[];
  offlineReplicas?: number[];
}

/** What `send` and `sendBatch` resolve to: one entry per partition written (none with acks 0). */
export interface RecordMetadata {
  topicName: string;
  partition: number;
  errorCode: number;
  offset?: string;
  timestamp?: string;
  baseOffset?: string;
  logAppendTime?: string;
  logStartOffset?: string;
}

/** `producer.send` argument. */
export interface ProducerRecord {
  topic: string;
  messages: Message[];
  acks?: number;
  timeout?: number;
  compression?: number;
}

/** One topic's messages in `sendBatch`. */
export interface TopicMessages {
  topic: string;
  messages: Message[];
}

/** `producer.sendBatch` argument. */
export interface ProducerBatch {
  acks?: number;
  timeout?: number;
  compression?: number;
  topicMessages?: TopicMessages[];
}

/** A consumed message (kafkajs' record-batch entry). */
export interface KafkaMessage {
  key: Buffer | null;
  value: Buffer | null;
  timestamp: string;
  attributes: number;
  offset: string;
  headers: IHeaders;
  size?: never;
  magicByte?: number;
  isControlRecord?: boolean;
}

/** A partition and its offset. */
export interface PartitionOffset {
  partition: number;
  offset: string;
}

/** Offsets of some partitions of one topic. */
export interface TopicOffsets {
  topic: string;
  partitions: PartitionOffset[];
}

/** Offsets of several topics. */
export interface Offsets {
  topics: TopicOffsets[];
}

/** Partitions of one topic. */
export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

/** One partition. */
export interface TopicPartition {
  topic: string;
  partition: number;
}

/** One partition's offset. */
export interface TopicPartitionOffset extends TopicPartition {
  offset: string;
}

/** An offset to commit, with optional metadata. */
export interface TopicPartitionOffsetAndMetadata extends TopicPartitionOffset {
  metadata?: string | null;
}

/** What `fetchOffsets` returns per partition. */
export interface FetchOffsetsPartition extends PartitionOffset {
  metadata: string | null;
}

/** A batch of one partition's messages from one fetch. */
export interface Batch {
  topic: string;
  partition: number;
  highWatermark: string;
  messages: KafkaMessage[];
  isEmpty(): boolean;
  firstOffset(): string | null;
  lastOffset(): string;
  offsetLag(): string;
  offsetLagLow(): string;
}

/** `eachMessage`'s argument. */
export interface EachMessagePayload {
  topic: string;
  partition: number;
  message: KafkaMessage;
  heartbeat(): Promise<void>;
  pause(): () => void;
}

/** `eachBatch`'s argument. */
export interface EachBatchPayload {
  batch: Batch;
  resolveOffset(offset: string): void;
  heartbeat(): Promise<void>;
  pause(): () => void;
  commitOffsetsIfNecessary(offsets?: Offsets): Promise<void>;
  uncommittedOffsets(): Offsets;
  isRunning(): boolean;
  isStale(): boolean;
}

/** kafkajs' alias of {@link EachMessagePayload} (kept for @types/kafkajs users). */
export type ConsumerEachMessagePayload = EachMessagePayload;
/** kafkajs' alias of {@link EachBatchPayload}. */
export type ConsumerEachBatchPayload = EachBatchPayload;
/** What `uncommittedOffsets()` returns (kafkajs' name for {@link Offsets}). */
export type OffsetsByTopicPartition = Offsets;
/** A seek target (kafkajs' `SeekEntry`). */
export type SeekEntry = PartitionOffset;
/** A member's assignment as GROUP_JOIN reports it: topic → partitions. */
export interface IMemberAssignment {
  [key: string]: number[];
}

/** `consumer.run`'s `eachBatch`. */
export type EachBatchHandler = (payload: EachBatchPayload) => Promise<void>;
/** `consumer.run`'s `eachMessage`. */
export type EachMessageHandler = (payload: EachMessagePayload) => Promise<void>;

/** `consumer.run` options. */
export interface ConsumerRunConfig {
  autoCommit?: boolean;
  autoCommitInterval?: number | null;
  autoCommitThreshold?: number | null;
  eachBatchAutoResolve?: boolean;
  partitionsConsumedConcurrently?: number;
  eachBatch?: EachBatchHandler;
  eachMessage?: EachMessageHandler;
}

/** `consumer.subscribe` argument: topics by name or pattern. */
export interface ConsumerSubscribeTopics {
  topics: (string | RegExp)[];
  fromBeginning?: boolean;
}

/** `consumer.subscribe`'s older one-topic form (deprecated in kafkajs, still accepted). */
export interface ConsumerSubscribeTopic {
  topic: string | RegExp;
  fromBeginning?: boolean;
}

/** A group member as DescribeGroups reports it. */
export interface MemberDescription {
  clientHost: string;
  clientId: string;
  memberId: string;
  memberAssignment: Buffer;
  memberMetadata: Buffer;
}

/** Kafka's group states. */
export type ConsumerGroupState =
  | "Unknown"
  | "PreparingRebalance"
  | "CompletingRebalance"
  | "Stable"
  | "Dead"
  | "Empty";

/** A group as DescribeGroups reports it. */
export interface GroupDescription {
  groupId: string;
  members: MemberDescription[];
  protocol: string;
  protocolType: string;
  state: ConsumerGroupState;
  errorCode?: number;
}

/** `admin.describeGroups` result. */
export interface GroupDescriptions {
  groups: GroupDescription[];
}

/** `admin.listGroups` entry. */
export interface GroupOverview {
  groupId: string;
  protocolType: string;
}

/** `admin.deleteGroups` entry. */
export interface DeleteGroupsResult {
  groupId: string;
  errorCode?: number;
}

/** A topic to create. */
export interface ITopicConfig {
  topic: string;
  numPartitions?: number;
  replicationFactor?: number;
  replicaAssignment?: { partition: number; replicas: number[] }[];
  configEntries?: { name: string; value: string }[];
}

/** Partitions to add to a topic. */
export interface ITopicPartitionConfig {
  topic: string;
  count: number;
  assignments?: number[][];
}

/** A topic's metadata. */
export interface ITopicMetadata {
  name: string;
  partitions: PartitionMetadata[];
}
