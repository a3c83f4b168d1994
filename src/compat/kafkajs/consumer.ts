import { describeValue } from "../../scheduler/describe-value.js";
import { BrokerlabError } from "../../scheduler/errors.js";
import type { TimerHandle } from "../../scheduler/simulation.js";
import { checkOptions } from "../../scheduler/validate.js";
import { stringShown } from "../shown.js";
import { describeGroupOf } from "./admin.js";
import { assignerCluster, consumerAssigners, type PartitionAssigner, roundRobin } from "./assigners.js";
import { parseLong } from "./codec.js";
import { ConsumerGroup } from "./consumer-group.js";
import { type ClientContext, ensureTopic } from "./context.js";
import { invalid, type KafkaJSError, toKafkaJSError } from "./errors.js";
import { CONSUMER_EVENTS, type ConsumerEventMap, InstrumentationEmitter, type TypedOn } from "./events.js";
import type { Logger } from "./logger.js";
import { checkRetryOptions, createRetry, RETRY_DEFAULTS, type RetryOptions } from "./retry.js";
import { Runner } from "./runner.js";
import type {
  ConsumerRunConfig,
  ConsumerSubscribeTopic,
  ConsumerSubscribeTopics,
  GroupDescription,
  TopicOffsets,
  TopicPartitionOffset,
  TopicPartitionOffsetAndMetadata,
  TopicPartitions,
} from "./types.js";

/**
 * kafkajs' consumer (`src/consumer/index.js`) over a simulated cluster: subscribe, then `run` a
 * loop that joins the group with kafkajs' round-robin assigner, fetches, calls `eachMessage` or
 * `eachBatch`, and commits. Defaults are kafkajs' (session 30 s, rebalance 60 s, heartbeat 3 s,
 * `maxWaitTimeInMs` 5 s, read_committed, `fromBeginning: false`), not the Java client's. A crash
 * (retries exhausted) disconnects, emits CRASH and, when the error is retriable, restarts the
 * consumer after the retry time, as kafkajs does — uncommitted messages are then redelivered.
 */

/**
 * kafkajs' `ConsumerConfig`.
 *
 * @example
 * ```ts
 * kafka.consumer({ groupId: "billing", sessionTimeout: 10_000, heartbeatInterval: 1000 });
 * ```
 */
export interface ConsumerConfig {
  groupId: string;
  /**
   * Default `[PartitionAssigners.roundRobin]` (run by the simulated coordinator). Custom kafkajs
   * assigners run on the group leader's client, as in kafkajs. Typed loosely so configs typed with
   * kafkajs' own `PartitionAssigner` pass.
   */
  partitionAssigners?: readonly (PartitionAssigner | ((config: never) => unknown))[];
  metadataMaxAge?: number;
  sessionTimeout?: number;
  rebalanceTimeout?: number;
  heartbeatInterval?: number;
  maxBytesPerPartition?: number;
  minBytes?: number;
  maxBytes?: number;
  maxWaitTimeInMs?: number;
  retry?: RetryOptions & { restartOnFailure?: (err: Error) => Promise<boolean> };
  allowAutoTopicCreation?: boolean;
  maxInFlightRequests?: number;
  readUncommitted?: boolean;
  rackId?: string;
}

/**
 * kafkajs' `Consumer`.
 *
 * @example
 * ```ts
 * const consumer = kafka.consumer({ groupId: "billing" });
 * await consumer.connect();
 * await consumer.subscribe({ topics: ["orders"], fromBeginning: true });
 * await consumer.run({ eachMessage: async ({ message }) => handle(message.value) });
 * ```
 */
export interface Consumer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  subscribe(subscription: ConsumerSubscribeTopics | ConsumerSubscribeTopic): Promise<void>;
  stop(): Promise<void>;
  run(config?: ConsumerRunConfig): Promise<void>;
  commitOffsets(topicPartitions: TopicPartitionOffsetAndMetadata[]): Promise<void>;
  seek(topicPartitionOffset: TopicPartitionOffset): void;
  describeGroup(): Promise<GroupDescription>;
  pause(topics: { topic: string; partitions?: number[] }[]): void;
  paused(): TopicPartitions[];
  resume(topics: { topic: string; partitions?: number[] }[]): void;
  on: TypedOn<ConsumerEventMap>;
  logger(): Logger;
  readonly events: typeof CONSUMER_EVENTS;
  /**
   * brokerlab only: drops the consumer as a crashed process would (no commit, no LeaveGroup, no
   * restart); the group rebalances after the session timeout.
   */
  drop(): void;
}

const CONFIG_KEYS = [
  "groupId",
  "partitionAssigners",
  "metadataMaxAge",
  "sessionTimeout",
  "rebalanceTimeout",
  "heartbeatInterval",
  "maxBytesPerPartition",
  "minBytes",
  "maxBytes",
  "maxWaitTimeInMs",
  "retry",
  "allowAutoTopicCreation",
  "maxInFlightRequests",
  "readUncommitted",
  "rackId",
];
const RUN_KEYS = [
  "autoCommit",
  "autoCommitInterval",
  "autoCommitThreshold",
  "eachBatchAutoResolve",
  "partitionsConsumedConcurrently",
  "eachBatch",
  "eachMessage",
];
/** kafkajs' special seek offsets: EARLIEST_OFFSET (-2) and LATEST_OFFSET (-1). */
const SPECIAL_OFFSETS = [-2, -1];
const NOT_RUNNING = "Consumer group was not initialized, consumer#run must be called first";

function checkNumber(value: unknown, name: string, min: number): void {
  if (value !== undefined && (typeof value !== "number" || !Number.isInteger(value) || value < min)) {
    throw invalid(`consumer: ${name} must be an integer ≥ ${min}, got ${String(value)}.`);
  }
}

function checkTopicPartitionsArg(list: unknown, what: string): { topic: string; partitions?: number[] }[] {
  if (!Array.isArray(list)) throw invalid(`consumer.${what}: expected an array of { topic, partitions? }.`);
  for (const tp of list as { topic?: unknown; partitions?: unknown }[]) {
    if (!tp?.topic) throw invalid(`Invalid topic ${String(tp?.topic || tp)}`);
    if (
      tp.partitions !== undefined &&
      (!Array.isArray(tp.partitions) || tp.partitions.some((p) => typeof p !== "number" || Number.isNaN(p)))
    ) {
      throw invalid(
        `Array of valid partitions required to ${what} specific partitions instead of ${String(tp.partitions)}`,
      );
    }
  }
  return list as { topic: string; partitions?: number[] }[];
}

/**
 * kafkajs' `getOriginalCause`: the end of the `cause` chain, which decides whether a crashed
 * consumer restarts. The chain stops at brokerlab's native errors, which kafkajs would not have.
 */
function originalCause(error: Error): { retriable?: unknown } {
  let current: Error = error;
  for (;;) {
    const cause = (current as { cause?: unknown }).cause;
    if (!(cause instanceof Error) || cause instanceof BrokerlabError)
      return current as { retriable?: unknown };
    current = cause;
  }
}

/**
 * Creates a consumer for a `Kafka` instance (use `kafka.consumer(config)`).
 *
 * @example
 * ```ts
 * const consumer = createConsumer(kafka.context, { groupId: "g" });
 * ```
 */
export function createConsumer(ctx: ClientContext, config: ConsumerConfig): Consumer {
  if (config === null || typeof config !== "object")
    throw invalid("Consumer groupId must be a non-empty string.");
  try {
    checkOptions(config, CONFIG_KEYS, "consumer");
  } catch (error) {
    throw toKafkaJSError(error);
  }
  const { groupId } = config;
  if (!groupId || typeof groupId !== "string")
    throw invalid("Consumer groupId must be a non-empty string.", "INVALID_GROUP_ID");
  const sessionTimeout = config.sessionTimeout ?? 30_000;
  const rebalanceTimeout = config.rebalanceTimeout ?? 60_000;
  const heartbeatInterval = config.heartbeatInterval ?? 3000;
  const maxBytesPerPartition = config.maxBytesPerPartition ?? 1_048_576;
  const minBytes = config.minBytes ?? 1;
  const maxBytes = config.maxBytes ?? 10_485_760;
  const maxWaitTimeInMs = config.maxWaitTimeInMs ?? 5000;
  const metadataMaxAge = config.metadataMaxAge ?? 300_000;
  checkNumber(config.sessionTimeout, "sessionTimeout", 1);
  checkNumber(config.rebalanceTimeout, "rebalanceTimeout", 1);
  checkNumber(config.heartbeatInterval, "heartbeatInterval", 1);
  checkNumber(config.maxBytesPerPartition, "maxBytesPerPartition", 1);
  checkNumber(config.minBytes, "minBytes", 1);
  checkNumber(config.maxBytes, "maxBytes", 1);
  checkNumber(config.maxWaitTimeInMs, "maxWaitTimeInMs", 0);
  checkNumber(config.metadataMaxAge, "metadataMaxAge", 0);
  checkNumber(config.maxInFlightRequests, "maxInFlightRequests", 1);
  for (const key of ["allowAutoTopicCreation", "readUncommitted"] as const) {
    if (config[key] !== undefined && typeof config[key] !== "boolean")
      throw invalid(`consumer: ${key} must be a boolean.`);
  }
  if (config.rackId !== undefined && typeof config.rackId !== "string")
    throw invalid("consumer: rackId must be a string.");
  if (heartbeatInterval >= sessionTimeout) {
    throw invalid(
      `Consumer heartbeatInterval (${heartbeatInterval}) must be lower than sessionTimeout (${sessionTimeout}). It is recommended to set heartbeatInterval to approximately a third of the sessionTimeout.`,
      "INVALID_CONFIG",
    );
  }
  const retry: RetryOptions = {
    ...ctx.retry,
    ...(checkRetryOptions(config.retry, "consumer") ?? { retries: 5 }),
  };
  const partitionAssigners = config.partitionAssigners ?? [roundRobin];
  if (!Array.isArray(partitionAssigners) || partitionAssigners.length === 0) {
    throw invalid(
      "consumer: partitionAssigners must be a non-empty array (default [PartitionAssigners.roundRobin]).",
    );
  }
  // kafkajs creates its assigners once per consumer, with the consumer's cluster, group and logger.
  const assignersCluster = assignerCluster(ctx);
  const { assignors, leaderSide } = consumerAssigners(partitionAssigners, {
    cluster: assignersCluster,
    groupId,
    logger: ctx.logger.namespace("Consumer"),
  });
  const allowAutoTopicCreation = config.allowAutoTopicCreation ?? true;
  const readCommitted = !(config.readUncommitted ?? false);
  const logger = ctx.logger.namespace("Consumer");
  const emitter = new InstrumentationEmitter(
    ctx.sim,
    Object.values(CONSUMER_EVENTS),
    "consumer",
    logger,
    ctx,
  );
  const random = ctx.random(`consumer:${groupId}`);
  const topics = new Map<string, { fromBeginning: boolean }>();
  let runner: Runner | null = null;
  let consumerGroup: ConsumerGroup | null = null;
  let restartTimer: TimerHandle | null = null;
  let stopping: Promise<void> | null = null;
  let runs = 0;

  const stop = (): Promise<void> => {
    if (stopping !== null) return stopping;
    stopping = (async () => {
      if (runner !== null) {
        await runner.stop();
        runner = null;
        consumerGroup = null;
        emitter.emit(CONSUMER_EVENTS.STOP, null);
      }
      restartTimer?.cancel();
      restartTimer = null;
      logger.info("Stopped", { groupId });
    })().finally(() => {
      stopping = null;
    });
    return stopping;
  };

  const disconnect = async (): Promise<void> => {
    await stop();
    emitter.emit(CONSUMER_EVENTS.DISCONNECT, null);
  };

  const run = async (runConfig: ConsumerRunConfig = {}): Promise<void> => {
    if (consumerGroup !== null) {
      logger.warn("consumer#run was called, but the consumer is already running", { groupId });
      return;
    }
    try {
      checkOptions(runConfig, RUN_KEYS, "consumer.run");
    } catch (error) {
      throw toKafkaJSError(error);
    }
    const {
      autoCommit = true,
      autoCommitInterval = null,
      autoCommitThreshold = null,
      eachBatchAutoResolve = true,
      partitionsConsumedConcurrently = 1,
      eachBatch = null,
      eachMessage = null,
    } = runConfig;
    if (typeof eachMessage !== "function" && typeof eachBatch !== "function") {
      throw invalid(
        "consumer.run: give eachMessage or eachBatch (a consumer without a handler would consume nothing).",
      );
    }
    if (typeof autoCommit !== "boolean") throw invalid("consumer.run: autoCommit must be a boolean.");
    if (typeof eachBatchAutoResolve !== "boolean")
      throw invalid("consumer.run: eachBatchAutoResolve must be a boolean.");
    if (
      autoCommitInterval !== null &&
      (typeof autoCommitInterval !== "number" || !(autoCommitInterval >= 0))
    ) {
      throw invalid("consumer.run: autoCommitInterval must be a number ≥ 0 or null.");
    }
    if (
      autoCommitThreshold !== null &&
      (typeof autoCommitThreshold !== "number" || !(autoCommitThreshold >= 0))
    ) {
      throw invalid("consumer.run: autoCommitThreshold must be a number ≥ 0 or null.");
    }
    if (!Number.isInteger(partitionsConsumedConcurrently) || partitionsConsumedConcurrently < 1) {
      throw invalid("consumer.run: partitionsConsumedConcurrently must be an integer ≥ 1.");
    }
    if (topics.size === 0) {
      throw invalid("consumer.run: subscribe to at least one topic first.", "ILLEGAL_STATE");
    }

    const start = async (onCrash: (e: Error) => Promise<void>): Promise<void> => {
      logger.info("Starting", { groupId });
      runs++;
      const group = new ConsumerGroup(
        ctx,
        emitter,
        ctx.logger.namespace("ConsumerGroup"),
        {
          groupId,
          topics: [...topics.keys()],
          topicConfigurations: new Map(topics),
          sessionTimeout,
          rebalanceTimeout,
          maxBytesPerPartition,
          minBytes,
          maxBytes,
          maxWaitTimeInMs,
          readCommitted,
          metadataMaxAge,
          assignors,
          leaderSide,
          assignerCluster: assignersCluster,
          retry,
          autoCommit,
          autoCommitInterval,
          autoCommitThreshold,
        },
        random.fork(`join:${runs}`),
      );
      consumerGroup = group;
      runner = new Runner(
        ctx.sim,
        group,
        emitter,
        ctx.logger.namespace("Runner"),
        createRetry(ctx.sim, random.fork(`run:${runs}`), retry),
        {
          eachMessage: typeof eachMessage === "function" ? eachMessage : null,
          eachBatch: typeof eachBatch === "function" ? eachBatch : null,
          eachBatchAutoResolve,
          autoCommit,
          concurrency: partitionsConsumedConcurrently,
          heartbeatInterval,
          onCrash,
        },
      );
      await runner.start();
    };

    const onCrash = async (e: Error): Promise<void> => {
      logger.error(`Crash: ${e.name}: ${e.message}`, {
        groupId,
        retryCount: (e as { retryCount?: number }).retryCount,
        stack: e.stack,
      });
      await disconnect();
      const isErrorRetriable =
        e.name === "KafkaJSNumberOfRetriesExceeded" || originalCause(e).retriable === true;
      let shouldRestart = isErrorRetriable;
      if (shouldRestart && retry.restartOnFailure !== undefined) {
        shouldRestart = await retry.restartOnFailure(e).then(
          (answer) => answer !== false,
          (error: unknown) => {
            logger.error(
              'Caught error when invoking user-provided "restartOnFailure" callback. Defaulting to restarting.',
              {
                error: (error as Error)?.message ?? String(error),
                cause: e.message,
                groupId,
              },
            );
            return true;
          },
        );
      }
      emitter.emit(CONSUMER_EVENTS.CRASH, { error: e, groupId, restart: shouldRestart });
      if (shouldRestart) {
        const retryTime =
          (e as { retryTime?: number }).retryTime ||
          retry.initialRetryTime ||
          RETRY_DEFAULTS.initialRetryTime;
        logger.error(`Restarting the consumer in ${retryTime}ms`, { groupId, retryTime });
        restartTimer = ctx.sim.after(
          retryTime,
          () => {
            restartTimer = null;
            // Returned, so the drive settles the restart's continuations at this instant.
            return start(onCrash).catch((error: unknown) =>
              logger.error(`Restart failed: ${String(error)}`, { groupId }),
            );
          },
          { label: `kafkajs consumer restart ${groupId}` },
        );
      }
    };

    await start(onCrash);
  };

  const subscribe = async (subscription: ConsumerSubscribeTopics | ConsumerSubscribeTopic): Promise<void> => {
    if (consumerGroup !== null)
      throw invalid("Cannot subscribe to topic while consumer is running", "ILLEGAL_STATE");
    if (subscription === null || typeof subscription !== "object")
      throw invalid('Missing required argument "topics"');
    try {
      checkOptions(subscription, ["topic", "topics", "fromBeginning"], "consumer.subscribe");
    } catch (error) {
      throw toKafkaJSError(error);
    }
    const {
      topic,
      topics: list,
      fromBeginning = false,
    } = subscription as {
      topic?: string | RegExp;
      topics?: (string | RegExp)[];
      fromBeginning?: boolean;
    };
    if (!topic && !list) throw invalid('Missing required argument "topics"');
    if (list !== undefined && list !== null && !Array.isArray(list))
      throw invalid('Argument "topics" must be an array');
    if (typeof fromBeginning !== "boolean")
      throw invalid("consumer.subscribe: fromBeginning must be a boolean.");
    const subscriptions = list ?? [topic!];
    for (const s of subscriptions) {
      if (typeof s !== "string" && !(s instanceof RegExp)) {
        throw invalid(
          `Invalid topic ${String(s)} (${typeof s}), the topic name has to be a String or a RegExp`,
        );
      }
    }
    // kafkajs resolves patterns once, against the topics that exist now.
    const existing = ctx.cluster.listTopics();
    const names: string[] = [];
    for (const s of subscriptions) {
      if (s instanceof RegExp) {
        const pattern = new RegExp(s.source, s.flags.replace("g", "").replace("y", ""));
        names.push(...existing.filter((t) => pattern.test(t)));
      } else names.push(s);
    }
    // The metadata request behind subscribe creates missing topics when allowed.
    const retrier = createRetry(ctx.sim, random.fork("subscribe"), retry);
    await retrier(async (bail) => {
      try {
        for (const name of names) ensureTopic(ctx.cluster, name, allowAutoTopicCreation);
      } catch (error) {
        const e = toKafkaJSError(error) as KafkaJSError;
        if (e.retriable) throw e;
        bail(e);
      }
    });
    for (const name of names) topics.set(name, { fromBeginning });
  };

  const commitOffsets = async (topicPartitions: TopicPartitionOffsetAndMetadata[] = []): Promise<void> => {
    if (!Array.isArray(topicPartitions))
      throw invalid("consumer.commitOffsets: expected an array of { topic, partition, offset }.");
    const byTopic = new Map<string, { partition: number; offset: string; metadata?: string }[]>();
    for (const entry of topicPartitions) {
      const { topic, partition, offset, metadata = null } = entry ?? ({} as TopicPartitionOffsetAndMetadata);
      if (!topic) throw invalid(`Invalid topic ${String(topic)}`);
      if (typeof partition !== "number" || Number.isNaN(partition)) {
        throw invalid(`Invalid partition, expected a number received ${String(partition)}`);
      }
      let n: number;
      try {
        n = parseLong(offset, "offset", "consumer.commitOffsets");
      } catch {
        throw invalid(`Invalid offset, expected a long received ${String(offset)}`);
      }
      if (n < 0) throw invalid("Offset must not be a negative number");
      if (metadata !== null && typeof metadata !== "string") {
        throw invalid(`Invalid offset metadata, expected string or null, received ${String(metadata)}`);
      }
      const list = byTopic.get(topic) ?? [];
      list.push(
        metadata === null ? { partition, offset: String(n) } : { partition, offset: String(n), metadata },
      );
      byTopic.set(topic, list);
    }
    if (consumerGroup === null || runner === null) throw invalid(NOT_RUNNING, "ILLEGAL_STATE");
    const offsets: TopicOffsets[] = [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
    await runner.commitOffsets(createRetry(ctx.sim, random.fork("commit"), retry), { topics: offsets });
  };

  const seek = (topicPartitionOffset: TopicPartitionOffset): void => {
    if (topicPartitionOffset === null || typeof topicPartitionOffset !== "object") {
      throw invalid(
        `consumer.seek: expected { topic, partition, offset }, received ${describeValue(topicPartitionOffset)}`,
      );
    }
    const { topic, partition, offset } = topicPartitionOffset;
    if (!topic) throw invalid(`Invalid topic ${stringShown(topic)}`);
    if (typeof partition !== "number" || Number.isNaN(partition)) {
      throw invalid(`Invalid partition, expected a number received ${stringShown(partition)}`);
    }
    let n: number;
    try {
      n = parseLong(offset, "offset", "consumer.seek");
    } catch {
      throw invalid(`Invalid offset, expected a long received ${stringShown(offset)}`);
    }
    if (n < 0 && !SPECIAL_OFFSETS.includes(n)) throw invalid("Offset must not be a negative number");
    if (consumerGroup === null) throw invalid(NOT_RUNNING, "ILLEGAL_STATE");
    consumerGroup.seek(topic, partition, n);
  };

  const consumer = {
    async connect() {
      emitter.emit(CONSUMER_EVENTS.CONNECT, null);
    },
    disconnect,
    subscribe,
    stop,
    run,
    commitOffsets,
    seek,
    async describeGroup() {
      return describeGroupOf(ctx.cluster, groupId);
    },
    pause(list) {
      const checked = checkTopicPartitionsArg(list, "pause");
      if (consumerGroup === null) throw invalid(NOT_RUNNING, "ILLEGAL_STATE");
      consumerGroup.pause(checked);
    },
    paused() {
      return consumerGroup === null ? [] : consumerGroup.paused();
    },
    resume(list) {
      const checked = checkTopicPartitionsArg(list, "resume");
      if (consumerGroup === null) throw invalid(NOT_RUNNING, "ILLEGAL_STATE");
      consumerGroup.resume(checked);
    },
    on: (eventName: string, listener: (event: never) => unknown) =>
      emitter.on(eventName, listener as (event: unknown) => unknown),
    logger: () => logger,
    events: CONSUMER_EVENTS,
  } as Omit<Consumer, "drop"> as Consumer;
  // Not enumerable: the object keeps exactly kafkajs' own methods.
  Object.defineProperty(consumer, "drop", {
    value() {
      restartTimer?.cancel();
      restartTimer = null;
      runner?.drop();
      runner = null;
      consumerGroup = null;
    },
  });
  // Created by a process's code, the consumer dies with it: a crash drops it (no commit, no
  // LeaveGroup; its run loop, which waits only on the process's simulation promises, stops there).
  ctx.sim.own(consumer);
  return consumer;
}
