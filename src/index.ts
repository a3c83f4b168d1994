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

export { cooperativeStickyAssignor } from "./log/assignors/cooperative-sticky.js";
export { rangeAssignor } from "./log/assignors/range.js";
export { roundRobinAssignor } from "./log/assignors/roundrobin.js";
export { stickyAssignor } from "./log/assignors/sticky.js";
export type { Assignment, Assignor, AssignorInput, AssignorMember } from "./log/assignors/types.js";
// The partitioned log (Kafka's model).
export {
  type AssignorName,
  type CleanupPolicy,
  CONSUMER_DEFAULTS,
  CommitFailedError,
  Consumer,
  type ConsumerOptions,
  type ConsumerRecord,
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
export { fnv1a64, stableStringify, type TraceEntry, TraceRecorder } from "./scheduler/trace.js";
