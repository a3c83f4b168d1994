/**
 * brokerlab: an in-process message-broker simulator on one deterministic virtual clock.
 *
 * This module is the public API; nothing else is public.
 *
 * @example
 * ```ts
 * import { Simulation } from "brokerlab";
 *
 * const sim = new Simulation({ seed: 42 });
 * sim.every(1000, () => console.log("tick", sim.now));
 * sim.after(3500, () => console.log("done"));
 * await sim.run(); // tick 1000, tick 2000, tick 3000, done
 * ```
 */

// Queues and exchanges (RabbitMQ's model).
export {
  AccessControl,
  AccessControlError,
  type AccessState,
  type AddUserOptions,
  Grants,
  type Permission,
  type PermissionSet,
  type UserInfo,
} from "./exchange/access-control.js";
export { AMQP_REPLY_CODES, AmqpError, type AmqpErrorCode } from "./exchange/amqp-error.js";
export { AmqpQueue, type QueuedMessage } from "./exchange/amqp-queue.js";
export type { ExchangeOptions, OverflowMode, QueueOptions, QueueType } from "./exchange/arguments.js";
export {
  AmqpBroker,
  type AmqpBrokerOptions,
  type AmqpConnectOptions,
  type AmqpStats,
  type PublishOutcome,
} from "./exchange/broker.js";
export {
  AmqpChannel,
  type AmqpChannelEvents,
  type ChannelOptions,
  type ConsumeOptions,
  type ReturnedMessage,
} from "./exchange/channel.js";
export { AmqpConnection, type AmqpConnectionEvents, type ConnectionOptions } from "./exchange/connection.js";
export { DIRECT_REPLY_TO } from "./exchange/direct-reply-to.js";
export type { DropReason } from "./exchange/events.js";
export { Binding, EXCHANGE_TYPES, Exchange, type ExchangeType } from "./exchange/exchange.js";
export { headersMatch, type NumericEquality, validateXMatch, type XMatch } from "./exchange/headers-match.js";
export { AmqpMessage, type MessageProperties, type PublishOptions } from "./exchange/message.js";
export { checkRoutingKey, MAX_ROUTING_KEY_BYTES } from "./exchange/routing-key.js";
export { topicMatchesReference } from "./exchange/topic-reference.js";
export { TopicTrie } from "./exchange/topic-trie.js";
export { cooperativeStickyAssignor } from "./log/assignors/cooperative-sticky.js";
export { rangeAssignor } from "./log/assignors/range.js";
export { roundRobinAssignor } from "./log/assignors/roundrobin.js";
export { stickyAssignor } from "./log/assignors/sticky.js";
export type { Assignment, Assignor, AssignorInput, AssignorMember } from "./log/assignors/types.js";
// The partitioned log (Kafka's model).
export {
  AclAuthorizer,
  type AclBinding,
  type AclFilter,
  type AssignorName,
  type CleanupPolicy,
  CONSUMER_DEFAULTS,
  CommitFailedError,
  Consumer,
  type ConsumerOptions,
  type ConsumerRecord,
  clusterAcls,
  type FaultDecision,
  type FaultHook,
  type GroupDescription,
  type GroupLag,
  type GroupPhase,
  type GroupState,
  isLogError,
  KAFKA_ERRORS,
  LogCluster,
  type LogClusterOptions,
  LogError,
  type LogErrorCode,
  type PartitionerChoice,
  type PartitionLag,
  type PartitionOffsets,
  PRODUCER_DEFAULTS,
  Producer,
  type ProducerOptions,
  type ProducerRecord,
  type RebalanceListener,
  type RecordHeaders,
  type RecordKey,
  type RecordMetadata,
  type RequestInfo,
  TOPIC_DEFAULTS,
  type TopicConfig,
  type TopicConfigOptions,
  type TopicPartition,
  type TopicPartitionOffset,
  topicConfigFromEntries,
  validateTopicName,
} from "./log/index.js";
export { murmur2, toPositive } from "./log/murmur2.js";
export { BasicChannel, type BasicConsumeOptions } from "./queue/basic-channel.js";
export type { AnyDelivery, QueueChannel } from "./queue/channel.js";
export {
  type CancelNotice,
  Consumer as AmqpConsumer,
  type ConsumerErrorPolicy,
  type ConsumerHandler,
} from "./queue/consumer.js";
export {
  type DeadLetterReason,
  deadLetterHeaders,
  isDeadLetterCycle,
  type XDeathEntry,
} from "./queue/dead-letter.js";
export { Delivery } from "./queue/delivery.js";
export {
  type BasicQueueHostOptions,
  basicQueueHost,
  type QueueSettingsOptions,
  queueSettings,
} from "./queue/host.js";
export type { QueueMessage, QueueMessageProperties, QueueSettings } from "./queue/message.js";
export {
  ConsumableQueue,
  type NamedQueue,
  type QueueCounters,
  type QueueHost,
  type QueueOptions as ConsumableQueueOptions,
} from "./queue/queue.js";
export { CronSchedule, type CronScheduleOptions, type DayFieldLogic } from "./scheduler/cron-schedule.js";
export {
  BrokerlabError,
  InvalidArgumentError,
  InvalidStateError,
  InvariantError,
  invariant,
} from "./scheduler/errors.js";
export {
  type BrokerlabEvents,
  EventBus,
  type EventTap,
  type EventType,
  type TappedEvent,
} from "./scheduler/event-bus.js";
export {
  CRASH_POINTS,
  type CrashHook,
  type CrashPointInfo,
  type Droppable,
  type ModelCrashPoint,
  type ProcessContext as SimProcessContext,
  type ProcessState as SimProcessState,
  type RestartOptions,
  SimProcess,
  type SpawnOptions as SimSpawnOptions,
} from "./scheduler/process.js";
export { RandomSource } from "./scheduler/random.js";
export { parseRate, type Rate, type RateLike } from "./scheduler/rate.js";
export {
  type CronOptions,
  type DriveMode,
  type PeriodicOptions,
  RepeatingHandle,
  Simulation,
  type SimulationOptions,
  TimerHandle,
  type TimerOptions,
} from "./scheduler/simulation.js";
export type { TimerId } from "./scheduler/timer-queue.js";
export { type Clock, TokenBucket, type TokenBucketOptions } from "./scheduler/token-bucket.js";
export {
  fnv1a64,
  stableStringify,
  type TraceEntry,
  type TraceKeep,
  TraceRecorder,
} from "./scheduler/trace.js";
// Delivery guarantees, verified (histories, checkers, faults, exploration).
export {
  ANOMALY_KINDS,
  type Anomaly,
  type AnomalyKind,
  type CheckCounts,
  type CheckOptions,
  type CheckResult,
  type CrashFault,
  check,
  DedupeStore,
  type DelayFault,
  type DropFault,
  describeFault,
  type Expectation,
  type ExploreOptions,
  type ExploreResult,
  explore,
  FAULT_KINDS,
  type Failure,
  type Fault,
  type FaultKind,
  type FaultPlan,
  FaultProcess,
  type FaultRequestKind,
  type FaultSpace,
  Faults,
  type FaultTargets,
  type FiredFault,
  type Guarantee,
  History,
  historyToMermaid,
  type Operation,
  type OperationType,
  type OperationValue,
  type Ordering,
  type PartitionFault,
  type ProcessContext,
  type ProcessedBy,
  type ProcessState,
  planArbitrary,
  REQUEST_KINDS,
  type RestartBrokerFault,
  type RunOutcome,
  recordHistory,
  renderMarkdown,
  renderText,
  renderTimeline,
  replay,
  runScenario,
  type Scenario,
  type ScenarioContext,
  type SlowFault,
  type SpawnOptions,
  swarmPlan,
  validateFaultPlan,
  validateOperations,
} from "./semantics/index.js";
