import { describeValue } from "../scheduler/describe-value.js";
import { InvalidArgumentError, invariant } from "../scheduler/errors.js";
import { CRASH_POINTS, type Droppable, neverSettles } from "../scheduler/process.js";
import {
  checkInteger,
  checkNonNegative,
  checkOneOf,
  checkOptions,
  checkString,
} from "../scheduler/validate.js";
import { cooperativeStickyAssignor } from "./assignors/cooperative-sticky.js";
import { kafkajsRoundRobinAssignor } from "./assignors/kafkajs-roundrobin.js";
import { rangeAssignor } from "./assignors/range.js";
import { roundRobinAssignor } from "./assignors/roundrobin.js";
import { stickyAssignor } from "./assignors/sticky.js";
import type { Assignor } from "./assignors/types.js";
import type { LogCluster } from "./cluster.js";
import { LogError } from "./errors.js";
import type { ConsumerGroupMetadata } from "./group-state.js";
import { GroupMembership } from "./membership.js";
import { FetchBuffer, type PartitionLog } from "./partition-log.js";
import {
  type ConsumerRecord,
  checkOffsetList,
  checkPartitionList,
  checkTopicPartitionArg,
  sortPartitions,
  type TopicPartition,
  type TopicPartitionOffset,
  tpKey,
  tpName,
} from "./record.js";
import { validateTopicName } from "./topic-config.js";
import "./events.js";

/** Built-in assignors by protocol name. */
export type AssignorName = "range" | "roundrobin" | "sticky" | "cooperative-sticky" | "kafkajs-roundrobin";

/**
 * Consumer options: Kafka's consumer configs, camel-cased, with the Java client 3.x defaults.
 * kafkajs differs (session 30000, rebalance timeout 60000, its round-robin assigner, no
 * `max.poll.records`); the kafkajs facade passes its own.
 *
 * @example
 * ```ts
 * cluster.consumer({ groupId: "billing", autoOffsetReset: "earliest", maxPollRecords: 100 });
 * ```
 */
export interface ConsumerOptions {
  /** `group.id`; null for a group-less consumer (assign only, no commits). Default null. */
  groupId?: string | null;
  /** `client.id`. Default `consumer-N`. */
  clientId?: string;
  /** `group.instance.id` (static membership). Default null. */
  groupInstanceId?: string | null;
  /** `auto.offset.reset`: where to start without a committed offset, or after an out-of-range one. Default "latest". */
  autoOffsetReset?: "earliest" | "latest" | "none";
  /** `enable.auto.commit`. Default true with a group id (false without). */
  enableAutoCommit?: boolean;
  /** `auto.commit.interval.ms`. Default 5000. */
  autoCommitIntervalMs?: number;
  /** `max.poll.records`. Default 500. */
  maxPollRecords?: number;
  /** `max.poll.interval.ms`: a member that does not poll this long leaves the group. Default 300000. */
  maxPollIntervalMs?: number;
  /** `session.timeout.ms`. Default 45000 (Kafka 3.x; kafkajs 30000). */
  sessionTimeoutMs?: number;
  /** `heartbeat.interval.ms`. Default 3000; must be below the session timeout. */
  heartbeatIntervalMs?: number;
  /** Rebalance timeout sent with JoinGroup. Default: `maxPollIntervalMs`, as the Java client does (kafkajs: 60000). */
  rebalanceTimeoutMs?: number;
  /** `partition.assignment.strategy`, in preference order. Default ["range", "cooperative-sticky"] (Java 3.x). */
  partitionAssignmentStrategy?: readonly (AssignorName | Assignor)[];
  /** `max.partition.fetch.bytes`. Default 1048576. */
  maxPartitionFetchBytes?: number;
  /** `fetch.max.bytes`. Default 52428800. */
  fetchMaxBytes?: number;
  /** `fetch.max.wait.ms`: longest a long poll sleeps between checks. Default 500. */
  fetchMaxWaitMs?: number;
  /** `isolation.level`. Default "read_uncommitted"; without transactions both levels read the same. */
  isolationLevel?: "read_uncommitted" | "read_committed";
  /** `metadata.max.age.ms`: how often pattern subscriptions and partition counts are re-read. Default 300000. */
  metadataMaxAgeMs?: number;
  /**
   * `request.timeout.ms`: how long an asynchronous commit or a fetch waits for a response the
   * network lost (see `Network`); a lost fetch is sent again after it. Default 30000.
   */
  requestTimeoutMs?: number;
}

/**
 * Kafka's consumer defaults (Java client 3.x).
 *
 * @example
 * ```ts
 * CONSUMER_DEFAULTS.sessionTimeoutMs; // 45000
 * ```
 */
export const CONSUMER_DEFAULTS = Object.freeze({
  autoOffsetReset: "latest" as const,
  autoCommitIntervalMs: 5000,
  maxPollRecords: 500,
  maxPollIntervalMs: 300_000,
  sessionTimeoutMs: 45_000,
  heartbeatIntervalMs: 3000,
  partitionAssignmentStrategy: ["range", "cooperative-sticky"] as const,
  maxPartitionFetchBytes: 1_048_576,
  fetchMaxBytes: 52_428_800,
  fetchMaxWaitMs: 500,
  isolationLevel: "read_uncommitted" as const,
  metadataMaxAgeMs: 300_000,
  requestTimeoutMs: 30_000,
});

const OPTION_KEYS = [
  "groupId",
  "clientId",
  "groupInstanceId",
  "autoOffsetReset",
  "enableAutoCommit",
  "autoCommitIntervalMs",
  "maxPollRecords",
  "maxPollIntervalMs",
  "sessionTimeoutMs",
  "heartbeatIntervalMs",
  "rebalanceTimeoutMs",
  "partitionAssignmentStrategy",
  "maxPartitionFetchBytes",
  "fetchMaxBytes",
  "fetchMaxWaitMs",
  "isolationLevel",
  "metadataMaxAgeMs",
  "requestTimeoutMs",
];

const ASSIGNORS: Record<AssignorName, Assignor> = {
  range: rangeAssignor,
  roundrobin: roundRobinAssignor,
  sticky: stickyAssignor,
  "cooperative-sticky": cooperativeStickyAssignor,
  "kafkajs-roundrobin": kafkajsRoundRobinAssignor,
};

/**
 * Rebalance callbacks (Java's `ConsumerRebalanceListener`), run inside `poll()`. `revoked` runs
 * while the partitions are still assigned, so it may commit them; `lost` replaces `revoked` when
 * the membership was lost and the partitions may already belong to someone else (no commit is
 * possible then).
 *
 * @example
 * ```ts
 * consumer.subscribe(["orders"], { onPartitionsRevoked: () => consumer.commitSync() });
 * ```
 */
export interface RebalanceListener {
  onPartitionsRevoked?(partitions: TopicPartition[]): void;
  onPartitionsAssigned?(partitions: TopicPartition[]): void;
  onPartitionsLost?(partitions: TopicPartition[]): void;
}

/** Fetch state of one assigned partition. */
interface Assigned {
  readonly topic: string;
  readonly partition: number;
  /** Next offset to return; null until resolved from the committed offset or the reset policy. */
  position: number | null;
  /** A pending seekToBeginning / seekToEnd, resolved at the next fetch. */
  resetTo: "earliest" | "latest" | null;
  paused: boolean;
}

/**
 * A Kafka consumer: `subscribe` (names or a RegExp, with a consumer group) or `assign`
 * (explicit partitions), then `poll` for records. Positions advance as poll returns records;
 * the committed offset (next offset to read) moves only by `commitSync`/`commitAsync` or
 * auto-commit, which — as in Kafka — commits at the start of a later poll what earlier polls
 * returned, every `autoCommitIntervalMs`, and before rebalances and on close.
 *
 * Group membership runs on virtual time: joining takes `group.initial.rebalance.delay.ms` for a
 * new group, heartbeats keep the session alive, and rebalance callbacks run inside `poll()`.
 * Drive the simulation between polls (`await sim.runFor(ms)`), or use {@link pollAsync} from
 * code the simulation drives.
 *
 * @example
 * ```ts
 * const consumer = cluster.consumer({ groupId: "billing", autoOffsetReset: "earliest" });
 * consumer.subscribe(["orders"]);
 * consumer.poll();                 // sends JoinGroup; nothing assigned yet
 * await sim.runFor(3000);          // initial rebalance delay
 * const records = consumer.poll(); // assignment applied, records fetched
 * consumer.commitSync();
 * ```
 */
export class Consumer implements Droppable {
  readonly clientId: string;
  readonly groupId: string | null;
  readonly cluster: LogCluster;
  /** Resolved options. */
  readonly config: Readonly<{
    groupInstanceId: string | null;
    autoOffsetReset: "earliest" | "latest" | "none";
    enableAutoCommit: boolean;
    autoCommitIntervalMs: number;
    maxPollRecords: number;
    maxPollIntervalMs: number;
    sessionTimeoutMs: number;
    heartbeatIntervalMs: number;
    rebalanceTimeoutMs: number;
    assignors: readonly Assignor[];
    rebalanceProtocol: "eager" | "cooperative";
    maxPartitionFetchBytes: number;
    fetchMaxBytes: number;
    fetchMaxWaitMs: number;
    isolationLevel: "read_uncommitted" | "read_committed";
    metadataMaxAgeMs: number;
    requestTimeoutMs: number;
  }>;
  /** Group membership (null without a group or before `subscribe`). */
  membership: GroupMembership | null = null;
  private mode: "none" | "subscribe" | "assign" = "none";
  private topics: string[] = [];
  private pattern: RegExp | null = null;
  private listener: RebalanceListener | null = null;
  private readonly assigned = new Map<string, Assigned>();
  private order: Assigned[] = [];
  private fetchCursor = 0;
  private readonly buffer = new FetchBuffer();
  private nextAutoCommitAt: number;
  private lastMetadataRefresh = Number.NEGATIVE_INFINITY;
  private seenMetadataVersion = -1;
  private joinedSignature = "";
  private closed = false;
  /** Dropped by a crashing process: its async calls never settle. */
  private dropped = false;
  private callbackError: unknown = null;
  /**
   * Network faults: a fetch request is in flight until this virtual time (lost: it times out then;
   * delayed: its response arrives then). Polls before it fetch nothing.
   */
  private fetchHeldUntil = Number.NEGATIVE_INFINITY;
  /** Network faults: whether the fetch in flight answers at {@link fetchHeldUntil} (false: it times out). */
  private fetchAnswers = false;
  /**
   * @internal Whether polls send their fetches through the network's fault hook (`kind: "fetch"`).
   * The kafkajs facade turns it off: it reads through this consumer after its own fetch request
   * went through the hook.
   */
  fetchThroughNetwork = true;

  /** @internal Use `cluster.consumer(options)`. */
  constructor(cluster: LogCluster, options: ConsumerOptions = {}) {
    const where = "Consumer";
    checkOptions(options, OPTION_KEYS, where);
    const groupId = options.groupId ?? null;
    if (groupId !== null) checkString(groupId, "groupId", where, true);
    const clientId = options.clientId ?? cluster.clientId("consumer");
    checkString(clientId, "clientId", where, true);
    const groupInstanceId = options.groupInstanceId ?? null;
    if (groupInstanceId !== null) checkString(groupInstanceId, "groupInstanceId", where, true);
    const autoOffsetReset = options.autoOffsetReset ?? CONSUMER_DEFAULTS.autoOffsetReset;
    checkOneOf(autoOffsetReset, ["earliest", "latest", "none"], "autoOffsetReset", where);
    if (options.enableAutoCommit !== undefined && typeof options.enableAutoCommit !== "boolean") {
      throw new InvalidArgumentError(`${where}: enableAutoCommit must be a boolean.`);
    }
    if (options.enableAutoCommit === true && groupId === null) {
      throw new LogError(
        "INVALID_CONFIG",
        `${where}: enableAutoCommit needs a groupId (Kafka: "enable.auto.commit cannot be set to true when group.id is null").`,
        {
          config: "enable.auto.commit",
        },
      );
    }
    const maxPollIntervalMs = options.maxPollIntervalMs ?? CONSUMER_DEFAULTS.maxPollIntervalMs;
    const sessionTimeoutMs = options.sessionTimeoutMs ?? CONSUMER_DEFAULTS.sessionTimeoutMs;
    const heartbeatIntervalMs = options.heartbeatIntervalMs ?? CONSUMER_DEFAULTS.heartbeatIntervalMs;
    const config = {
      groupInstanceId,
      autoOffsetReset,
      enableAutoCommit: options.enableAutoCommit ?? groupId !== null,
      autoCommitIntervalMs: options.autoCommitIntervalMs ?? CONSUMER_DEFAULTS.autoCommitIntervalMs,
      maxPollRecords: options.maxPollRecords ?? CONSUMER_DEFAULTS.maxPollRecords,
      maxPollIntervalMs,
      sessionTimeoutMs,
      heartbeatIntervalMs,
      rebalanceTimeoutMs: options.rebalanceTimeoutMs ?? maxPollIntervalMs,
      assignors: resolveAssignors(
        options.partitionAssignmentStrategy ?? CONSUMER_DEFAULTS.partitionAssignmentStrategy,
        where,
      ),
      rebalanceProtocol: "eager" as "eager" | "cooperative",
      maxPartitionFetchBytes: options.maxPartitionFetchBytes ?? CONSUMER_DEFAULTS.maxPartitionFetchBytes,
      fetchMaxBytes: options.fetchMaxBytes ?? CONSUMER_DEFAULTS.fetchMaxBytes,
      fetchMaxWaitMs: options.fetchMaxWaitMs ?? CONSUMER_DEFAULTS.fetchMaxWaitMs,
      isolationLevel: options.isolationLevel ?? CONSUMER_DEFAULTS.isolationLevel,
      metadataMaxAgeMs: options.metadataMaxAgeMs ?? CONSUMER_DEFAULTS.metadataMaxAgeMs,
      requestTimeoutMs: options.requestTimeoutMs ?? CONSUMER_DEFAULTS.requestTimeoutMs,
    };
    checkInteger(config.autoCommitIntervalMs, "autoCommitIntervalMs", where, 1);
    checkInteger(config.maxPollRecords, "maxPollRecords", where, 1);
    checkInteger(config.maxPollIntervalMs, "maxPollIntervalMs", where, 1);
    checkInteger(config.sessionTimeoutMs, "sessionTimeoutMs", where, 1);
    checkInteger(config.heartbeatIntervalMs, "heartbeatIntervalMs", where, 1);
    checkInteger(config.rebalanceTimeoutMs, "rebalanceTimeoutMs", where, 1);
    checkInteger(config.maxPartitionFetchBytes, "maxPartitionFetchBytes", where, 1);
    checkInteger(config.fetchMaxBytes, "fetchMaxBytes", where, 1);
    checkNonNegative(config.fetchMaxWaitMs, "fetchMaxWaitMs", where);
    checkOneOf(config.isolationLevel, ["read_uncommitted", "read_committed"], "isolationLevel", where);
    checkNonNegative(config.metadataMaxAgeMs, "metadataMaxAgeMs", where);
    checkInteger(config.requestTimeoutMs, "requestTimeoutMs", where, 1);
    if (config.heartbeatIntervalMs >= config.sessionTimeoutMs) {
      throw new LogError(
        "INVALID_CONFIG",
        `${where}: heartbeatIntervalMs (${config.heartbeatIntervalMs}) must be lower than sessionTimeoutMs (${config.sessionTimeoutMs}).`,
        {
          config: "heartbeat.interval.ms",
        },
      );
    }
    // Java: a consumer is cooperative only when every configured assignor supports it.
    config.rebalanceProtocol = config.assignors.every((a) => a.rebalanceProtocol === "cooperative")
      ? "cooperative"
      : "eager";
    this.config = Object.freeze(config);
    this.clientId = clientId;
    this.groupId = groupId;
    this.cluster = cluster;
    this.nextAutoCommitAt = cluster.sim.now + config.autoCommitIntervalMs;
    // Created by a process's code, it dies with that process (see drop).
    cluster.sim.own(this);
  }

  // ---------------------------------------------------------------- subscription

  /**
   * Subscribes to topics by name, or to every topic matching a RegExp (re-evaluated on each
   * metadata refresh, so new topics join the subscription). Needs a group id. Replaces any previous
   * subscription; mutually exclusive with `assign`.
   *
   * @example
   * ```ts
   * consumer.subscribe(/^orders\./, { onPartitionsAssigned: (ps) => console.log(ps) });
   * ```
   */
  subscribe(topics: readonly string[] | RegExp, listener: RebalanceListener | null = null): void {
    const where = "Consumer.subscribe";
    this.checkOpen(where);
    if (this.groupId === null) {
      throw new LogError(
        "INVALID_GROUP_ID",
        `${where}: subscribing needs a groupId (consumer groups assign the partitions); use assign() without a group.`,
      );
    }
    if (this.mode === "assign") {
      throw new LogError(
        "ILLEGAL_STATE",
        `${where}: this consumer uses assign(); subscribe and assign are mutually exclusive (call unsubscribe() first).`,
      );
    }
    checkListener(listener, where);
    if (topics instanceof RegExp) {
      this.pattern = new RegExp(topics.source, topics.flags.replace("g", "").replace("y", ""));
      this.topics = [];
    } else {
      if (!Array.isArray(topics) || topics.length === 0) {
        throw new InvalidArgumentError(
          `${where}: topics must be a non-empty array of topic names or a RegExp.`,
        );
      }
      for (const t of topics) validateTopicName(t, where);
      this.pattern = null;
      this.topics = [...new Set(topics)];
    }
    this.listener = listener;
    this.mode = "subscribe";
    if (this.membership === null) {
      this.membership = new GroupMembership(this.cluster, {
        groupId: this.groupId,
        clientId: this.clientId,
        groupInstanceId: this.config.groupInstanceId,
        sessionTimeoutMs: this.config.sessionTimeoutMs,
        heartbeatIntervalMs: this.config.heartbeatIntervalMs,
        maxPollIntervalMs: this.config.maxPollIntervalMs,
        rebalanceTimeoutMs: this.config.rebalanceTimeoutMs,
        assignors: this.config.assignors,
      });
    }
    this.membership.rejoinNeeded = true;
    this.lastMetadataRefresh = Number.NEGATIVE_INFINITY;
  }

  /**
   * Assigns partitions explicitly (no group membership). Partitions kept from the previous
   * assignment keep their positions. Unknown topics or partitions: UNKNOWN_TOPIC_OR_PARTITION.
   *
   * @example
   * ```ts
   * consumer.assign([{ topic: "orders", partition: 0 }]);
   * ```
   */
  assign(partitions: readonly TopicPartition[]): void {
    const where = "Consumer.assign";
    this.checkOpen(where);
    if (this.mode === "subscribe") {
      throw new LogError(
        "ILLEGAL_STATE",
        `${where}: this consumer is subscribed; subscribe and assign are mutually exclusive (call unsubscribe() first).`,
      );
    }
    const list = checkPartitionList(partitions, "partitions", where);
    for (const tp of list) this.cluster.partition(tp.topic, tp.partition, where);
    this.mode = list.length === 0 ? "none" : "assign";
    this.setAssignment(list);
  }

  /**
   * Drops the subscription or assignment; a group member revokes its partitions (committing first
   * with auto-commit) and leaves the group.
   *
   * @example
   * ```ts
   * consumer.unsubscribe();
   * ```
   */
  unsubscribe(): void {
    this.checkOpen("Consumer.unsubscribe");
    if (this.mode === "subscribe") this.leaveGroup();
    else if (this.mode === "assign" && this.config.enableAutoCommit) this.autoCommitSync();
    this.setAssignment([]);
    this.mode = "none";
    this.topics = [];
    this.pattern = null;
  }

  /** Currently assigned partitions, sorted. */
  assignment(): TopicPartition[] {
    return sortPartitions(this.order.map((a) => ({ topic: a.topic, partition: a.partition })));
  }

  /** Subscribed topics (for a pattern: the topics it currently matches). */
  subscription(): string[] {
    return this.mode === "subscribe" ? this.resolveTopics() : [];
  }

  // ---------------------------------------------------------------- polling

  /**
   * Returns up to `maxPollRecords` records available now, without waiting. First, for a group
   * member: applies what the group protocol delivered (rebalance callbacks run here), rejoins if a
   * rebalance is under way, and auto-commits what earlier polls returned when the interval is
   * due. Then fetches from assigned, unpaused partitions, resolving positions from committed
   * offsets or `autoOffsetReset`.
   *
   * With a network fault hook installed, the fetch is a request the hook sees (`kind: "fetch"`):
   * while a lost fetch waits out `requestTimeoutMs`, or a delayed one its response, polls return
   * nothing (a later poll sends the fetch again, from the same positions).
   *
   * @example
   * ```ts
   * for (const record of consumer.poll()) handle(record);
   * ```
   */
  poll(): ConsumerRecord[] {
    const where = "Consumer.poll";
    this.checkOpen(where);
    if (this.mode === "none") {
      throw new LogError(
        "ILLEGAL_STATE",
        `${where}: the consumer is not subscribed to any topics or assigned any partitions.`,
      );
    }
    if (this.membership !== null && this.mode === "subscribe") {
      this.membership.polled();
      this.maintainGroup();
    }
    // The process died at the auto-commit's crash point: it fetches nothing more.
    if (this.maybeAutoCommit()) return [];
    const records = this.fetch();
    if (this.callbackError !== null) {
      const error = this.callbackError;
      this.callbackError = null;
      throw error;
    }
    return records;
  }

  /**
   * Polls, and if nothing is available waits (in virtual time) until records arrive on an assigned
   * partition, the group protocol delivers something, or `timeoutMs` passes, polling again on each
   * wake-up (at least every `fetchMaxWaitMs`, which also keeps `max.poll.interval.ms` satisfied,
   * as Java's poll loop does). Needs the simulation to be driven meanwhile: call it from code the
   * simulation runs (a handler, or any code in `drive: "auto"` mode).
   *
   * @example
   * ```ts
   * sim.after(0, async () => {
   *   const records = await consumer.pollAsync(10_000);
   * });
   * await sim.run();
   * ```
   */
  async pollAsync(timeoutMs = 1000): Promise<ConsumerRecord[]> {
    checkNonNegative(timeoutMs, "timeoutMs", "Consumer.pollAsync");
    const sim = this.cluster.sim;
    const deadline = sim.now + timeoutMs;
    for (;;) {
      const records = this.poll();
      // A process that died inside poll never gets an answer.
      if (this.dropped) return neverSettles();
      if (records.length > 0 || sim.now >= deadline) return records;
      await this.waitForWork(Math.min(deadline, sim.now + Math.max(this.config.fetchMaxWaitMs, 1)));
    }
  }

  // ---------------------------------------------------------------- offsets

  /**
   * Commits offsets synchronously: the given ones, or the current position of every assigned
   * partition (what poll has returned so far). Errors: CommitFailedError (UNKNOWN_MEMBER_ID,
   * ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS), OFFSET_OUT_OF_RANGE beyond the log end,
   * INVALID_GROUP_ID without a group, REQUEST_TIMED_OUT when the fault hook drops the request or
   * its response (in the latter case the commit did happen).
   *
   * @example
   * ```ts
   * consumer.commitSync([{ topic: "orders", partition: 0, offset: lastProcessed + 1 }]);
   * ```
   */
  commitSync(offsets?: readonly TopicPartitionOffset[]): void {
    const where = "Consumer.commitSync";
    this.checkOpen(where);
    const list = offsets === undefined ? this.positions() : checkOffsetList(offsets, "offsets", where);
    const groupId = this.requireGroup(where);
    if (list.length === 0) return;
    if (this.commitPoint(CRASH_POINTS.beforeCommit, groupId, list, false)) return;
    const network = this.cluster.network;
    const fault = network.decide({
      kind: "commit",
      requestId: network.requestId(),
      clientId: this.clientId,
      sentAt: this.cluster.sim.now,
      partitions: list,
      attempt: 0,
      groupId,
    });
    if (fault.dropRequest) throw this.commitTimeout(groupId, false);
    this.cluster.coordinator.commit(groupId, this.identity(), list, false);
    if (fault.dropResponse) throw this.commitTimeout(groupId, true);
    this.commitPoint(CRASH_POINTS.afterCommit, groupId, list, false);
  }

  /**
   * Commits offsets asynchronously (one network round trip): the given ones or the current
   * positions. The promise (pre-handled: ignoring it is safe) and the optional callback report the
   * outcome.
   *
   * @example
   * ```ts
   * consumer.commitAsync(undefined, (error) => error && console.log("commit failed", error.code));
   * ```
   */
  commitAsync(
    offsets?: readonly TopicPartitionOffset[],
    callback?: (error: LogError | null) => void,
  ): Promise<void> {
    const where = "Consumer.commitAsync";
    this.checkOpen(where);
    const list = offsets === undefined ? this.positions() : checkOffsetList(offsets, "offsets", where);
    const groupId = this.requireGroup(where);
    if (callback !== undefined && typeof callback !== "function") {
      throw new InvalidArgumentError(`${where}: callback must be a function.`);
    }
    if (this.cluster.sim.currentProcess === null)
      return this.sendCommit(groupId, list, false, callback ?? null);
    if (list.length > 0 && this.commitPoint(CRASH_POINTS.beforeCommit, groupId, list, false))
      return neverSettles();
    const sent = this.sendCommit(groupId, list, false, callback ?? null);
    if (list.length === 0) return sent;
    // The response settles as the process (the deferred was created by it): the after-commit
    // point is reached there, and a process that dies at it never sees the commit resolve.
    const acknowledged = sent.then(() => {
      if (this.commitPoint(CRASH_POINTS.afterCommit, groupId, list, false)) return neverSettles<void>();
      return undefined;
    });
    acknowledged.catch(() => {});
    return acknowledged;
  }

  /**
   * Committed offsets of partitions for this consumer's group (null where none).
   *
   * @example
   * ```ts
   * consumer.committed([{ topic: "orders", partition: 0 }]); // [{ topic, partition, offset: 42 }]
   * ```
   */
  committed(
    partitions: readonly TopicPartition[],
  ): { topic: string; partition: number; offset: number | null }[] {
    const where = "Consumer.committed";
    this.checkOpen(where);
    const list = checkPartitionList(partitions, "partitions", where);
    const groupId = this.requireGroup(where);
    return list.map((tp) => ({
      ...tp,
      offset: this.cluster.coordinator.committed(groupId, tp.topic, tp.partition)?.offset ?? null,
    }));
  }

  /**
   * The next offset poll will return for an assigned partition (resolving it from the committed
   * offset or the reset policy if needed).
   *
   * @example
   * ```ts
   * consumer.position({ topic: "orders", partition: 0 }); // 17
   * ```
   */
  position(partition: TopicPartition): number {
    this.checkOpen("Consumer.position");
    const a = this.assignedEntry(partition, "Consumer.position");
    const log = this.cluster.partition(a.topic, a.partition, "Consumer.position");
    this.resolvePosition(a, log);
    if (a.position === null) {
      throw new LogError(
        "UNSTABLE_OFFSET_COMMIT",
        `Consumer.position: a transaction that sent offsets for ${tpName(a)} is still open, so the committed offset is not stable yet; poll again once it completes.`,
        { topic: a.topic, partition: a.partition },
      );
    }
    return a.position;
  }

  /**
   * Sets the next offset to fetch for an assigned partition. An offset outside the log is
   * resolved by `autoOffsetReset` at the next fetch, as in Kafka.
   *
   * @example
   * ```ts
   * consumer.seek({ topic: "orders", partition: 0 }, 100);
   * ```
   */
  seek(partition: TopicPartition, offset: number): void {
    const where = "Consumer.seek";
    this.checkOpen(where);
    const a = this.assignedEntry(partition, where);
    checkInteger(offset, "offset", where, 0);
    a.position = offset;
    a.resetTo = null;
    const bus = this.cluster.sim.bus;
    if (bus.wants("log.seek"))
      bus.emit("log.seek", { clientId: this.clientId, topic: a.topic, partition: a.partition, offset });
  }

  /** Seeks to the log start of the given (default: all assigned) partitions, evaluated at the next fetch. */
  seekToBeginning(partitions?: readonly TopicPartition[]): void {
    this.lazySeek(partitions, "earliest", "Consumer.seekToBeginning");
  }

  /** Seeks to the log end of the given (default: all assigned) partitions, evaluated at the next fetch. */
  seekToEnd(partitions?: readonly TopicPartition[]): void {
    this.lazySeek(partitions, "latest", "Consumer.seekToEnd");
  }

  /**
   * Stops fetching from partitions; they stay assigned (no rebalance).
   *
   * @example
   * ```ts
   * consumer.pause([{ topic: "orders", partition: 0 }]);
   * ```
   */
  pause(partitions: readonly TopicPartition[]): void {
    this.setPaused(partitions, true, "Consumer.pause");
  }

  /** Resumes fetching from paused partitions. */
  resume(partitions: readonly TopicPartition[]): void {
    this.setPaused(partitions, false, "Consumer.resume");
  }

  /** Pauses or resumes every listed partition, or none when one of them is not assigned. */
  private setPaused(partitions: readonly TopicPartition[], paused: boolean, where: string): void {
    this.checkOpen(where);
    const entries = checkPartitionList(partitions, "partitions", where).map((tp) =>
      this.assignedEntry(tp, where),
    );
    for (const a of entries) a.paused = paused;
  }

  /** Paused partitions, sorted. */
  paused(): TopicPartition[] {
    return sortPartitions(
      this.order.filter((a) => a.paused).map((a) => ({ topic: a.topic, partition: a.partition })),
    );
  }

  /** Log end offsets (the last stable offset under read_committed) of partitions. */
  endOffsets(partitions: readonly TopicPartition[]): TopicPartitionOffset[] {
    this.checkOpen("Consumer.endOffsets");
    return checkPartitionList(partitions, "partitions", "Consumer.endOffsets").map((tp) => {
      const log = this.cluster.partition(tp.topic, tp.partition, "Consumer.endOffsets");
      return {
        ...tp,
        offset: this.config.isolationLevel === "read_committed" ? log.lastStableOffset : log.highWatermark,
      };
    });
  }

  /** Log start offsets of partitions. */
  beginningOffsets(partitions: readonly TopicPartition[]): TopicPartitionOffset[] {
    this.checkOpen("Consumer.beginningOffsets");
    return checkPartitionList(partitions, "partitions", "Consumer.beginningOffsets").map((tp) => ({
      ...tp,
      offset: this.cluster.partition(tp.topic, tp.partition, "Consumer.beginningOffsets").logStartOffset,
    }));
  }

  /**
   * How far this consumer's position trails the log end (the last stable offset under
   * read_committed) of an assigned partition (null before its position is known).
   *
   * @example
   * ```ts
   * consumer.currentLag({ topic: "orders", partition: 0 }); // 120
   * ```
   */
  currentLag(partition: TopicPartition): number | null {
    this.checkOpen("Consumer.currentLag");
    const a = this.assignedEntry(partition, "Consumer.currentLag");
    if (a.position === null) return null;
    return Math.max(0, this.endOf(this.cluster.partition(a.topic, a.partition)) - a.position);
  }

  /**
   * The group metadata Kafka's `sendOffsetsToTransaction` takes: group, generation, member.
   *
   * @example
   * ```ts
   * await producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
   * ```
   */
  groupMetadata(): ConsumerGroupMetadata {
    return {
      groupId: this.groupId,
      generationId: this.membership?.generation ?? -1,
      memberId: this.membership?.memberId ?? "",
      groupInstanceId: this.config.groupInstanceId,
    };
  }

  /** This member's id in its group ("" before joining). */
  get memberId(): string {
    return this.membership?.memberId ?? "";
  }

  /** The generation this consumer's assignment belongs to (-1 outside a group). */
  get generation(): number {
    return this.membership?.generation ?? -1;
  }

  /** True once closed or crashed. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Asks for a rebalance at the next poll (Java's `enforceRebalance`). */
  enforceRebalance(): void {
    this.checkOpen("Consumer.enforceRebalance");
    if (this.membership !== null && this.mode === "subscribe") {
      this.membership.rejoinNeeded = true;
      if (this.groupId !== null)
        this.cluster.coordinator.requestRebalance(
          this.groupId,
          `member ${this.memberId} asked for a rebalance`,
        );
    }
  }

  /**
   * Closes the consumer: auto-commits (if enabled), revokes its partitions (running the listener)
   * and leaves its group, so the others rebalance at once rather than after the session timeout.
   *
   * @example
   * ```ts
   * consumer.close();
   * ```
   */
  close(): void {
    if (this.closed) return;
    if (this.mode === "subscribe") this.leaveGroup();
    else if (this.mode === "assign" && this.config.enableAutoCommit) this.autoCommitSync();
    this.closed = true;
    this.membership?.stop();
    this.cluster.forget(this);
  }

  /**
   * Stops the consumer as a process crash would: no commit, no LeaveGroup, no more heartbeats.
   * The coordinator notices after `session.timeout.ms`; uncommitted records are redelivered to
   * whoever gets the partitions.
   *
   * @example
   * ```ts
   * consumer.crash();
   * await sim.runFor(45_000); // session timeout: the group rebalances
   * ```
   */
  crash(): void {
    if (this.closed) return;
    this.closed = true;
    this.membership?.stop();
    this.cluster.forget(this);
  }

  /**
   * Vanishes as a crashed process's consumer does — {@link crash}, and a `pollAsync` in progress
   * never returns. A process that crashes drops the consumers it created by itself.
   *
   * @example
   * ```ts
   * const p = sim.spawn("worker", async () => {
   *   const consumer = cluster.consumer({ groupId: "billing" }); // owned by "worker"
   *   consumer.subscribe(["orders"]);
   *   for (;;) await consumer.pollAsync(1000);
   * });
   * sim.after(5000, () => p.crash()); // no LeaveGroup: evicted after session.timeout.ms
   * ```
   */
  drop(): void {
    this.dropped = true;
    this.crash();
  }

  /** Asserts consumer invariants. */
  checkInvariants(): void {
    invariant(
      this.order.length === this.assigned.size,
      () => `consumer ${this.clientId}: assignment bookkeeping out of step`,
    );
    for (const a of this.order) {
      invariant(
        this.assigned.get(tpKey(a.topic, a.partition)) === a,
        () => `consumer ${this.clientId}: ${a.topic}-${a.partition} tracked twice`,
      );
      invariant(
        a.position === null || (Number.isInteger(a.position) && a.position >= 0),
        () => `consumer ${this.clientId}: bad position ${a.position}`,
      );
    }
  }

  // ---------------------------------------------------------------- group maintenance

  private maintainGroup(): void {
    const m = this.membership!;
    if (m.fatal !== null) throw m.fatal;
    this.refreshMetadata();
    if (m.lost) {
      const owned = this.assignment();
      if (owned.length > 0) this.invoke("lost", owned);
      this.setAssignment([]);
      m.reset();
    }
    if (m.pendingAssignment !== null) {
      const { partitions } = m.pendingAssignment;
      m.pendingAssignment = null;
      this.applyAssignment(partitions);
    }
    if (m.rejoinNeeded && m.joinState !== "joining") {
      const owned = this.assignment();
      if (m.generation >= 0 && this.config.enableAutoCommit) this.autoCommitSync();
      if (this.config.rebalanceProtocol === "eager" && owned.length > 0) {
        this.invoke("revoked", owned);
        this.setAssignment([]);
      }
      const topics = this.resolveTopics();
      this.joinedSignature = this.signature(topics);
      // Eager members report their last assignment too, so sticky assignors can honour it.
      m.join(topics, owned, m.generation);
    }
  }

  private applyAssignment(partitions: readonly TopicPartition[]): void {
    const next = new Set(partitions.map((tp) => tpKey(tp.topic, tp.partition)));
    if (this.config.rebalanceProtocol === "cooperative") {
      const revoked = this.order
        .filter((a) => !next.has(tpKey(a.topic, a.partition)))
        .map((a) => ({ topic: a.topic, partition: a.partition }));
      if (revoked.length > 0) {
        if (this.config.enableAutoCommit) this.autoCommitSync(revoked);
        this.invoke("revoked", sortPartitions(revoked));
        this.membership!.rejoinNeeded = true;
      }
    }
    const added = partitions.filter((tp) => !this.assigned.has(tpKey(tp.topic, tp.partition)));
    this.setAssignment(partitions);
    this.invoke("assigned", sortPartitions(added));
  }

  private leaveGroup(): void {
    const m = this.membership;
    if (m === null) return;
    const owned = this.assignment();
    if (m.inGroup) {
      if (this.config.enableAutoCommit) this.autoCommitSync();
      if (owned.length > 0) this.invoke("revoked", owned);
    } else if (owned.length > 0) this.invoke("lost", owned);
    m.leave("leave");
    m.stop();
    this.membership = null;
    this.setAssignment([]);
    const error = this.callbackError;
    this.callbackError = null;
    if (error !== null) throw error;
  }

  private refreshMetadata(): void {
    const now = this.cluster.sim.now;
    if (now < this.lastMetadataRefresh + this.config.metadataMaxAgeMs) return;
    this.lastMetadataRefresh = now;
    if (this.cluster.metadataVersion === this.seenMetadataVersion) return;
    this.seenMetadataVersion = this.cluster.metadataVersion;
    const m = this.membership!;
    if (m.joinState !== "unjoined" && this.signature(this.resolveTopics()) !== this.joinedSignature)
      m.rejoinNeeded = true;
  }

  private resolveTopics(): string[] {
    if (this.pattern !== null) {
      const pattern = this.pattern;
      return this.cluster.listTopics().filter((t) => pattern.test(t));
    }
    return [...this.topics];
  }

  private signature(topics: readonly string[]): string {
    return topics
      .map((t) => `${t}/${this.cluster.hasTopic(t) ? this.cluster.topic(t).partitionCount : 0}`)
      .join(",");
  }

  private invoke(kind: "revoked" | "assigned" | "lost", partitions: TopicPartition[]): void {
    const bus = this.cluster.sim.bus;
    if (bus.wants("consumer.rebalance-callback")) {
      bus.emit("consumer.rebalance-callback", {
        clientId: this.clientId,
        groupId: this.groupId ?? "",
        memberId: this.memberId,
        kind,
        partitions: partitions.map((tp) => ({ ...tp })),
      });
    }
    const listener = this.listener;
    if (listener === null) return;
    const fn =
      kind === "revoked"
        ? listener.onPartitionsRevoked
        : kind === "assigned"
          ? listener.onPartitionsAssigned
          : (listener.onPartitionsLost ?? listener.onPartitionsRevoked);
    if (fn === undefined) return;
    try {
      fn.call(listener, partitions);
    } catch (error) {
      // Like Java: finish the rebalance step, then throw the listener's error from poll.
      if (this.callbackError === null) this.callbackError = error;
    }
  }

  private setAssignment(partitions: readonly TopicPartition[]): void {
    const next = new Map<string, Assigned>();
    for (const tp of sortPartitions(partitions)) {
      const key = tpKey(tp.topic, tp.partition);
      next.set(
        key,
        this.assigned.get(key) ?? {
          topic: tp.topic,
          partition: tp.partition,
          position: null,
          resetTo: null,
          paused: false,
        },
      );
    }
    this.assigned.clear();
    for (const [k, v] of next) this.assigned.set(k, v);
    this.order = [...next.values()];
    this.fetchCursor = 0;
  }

  // ---------------------------------------------------------------- fetching

  private fetch(): ConsumerRecord[] {
    const records: ConsumerRecord[] = [];
    const n = this.order.length;
    if (n === 0) return records;
    if (this.fetchThroughNetwork && this.cluster.network.hasFaultHook && !this.fetchRequest()) return records;
    let remaining = this.config.maxPollRecords;
    let bytesLeft = this.config.fetchMaxBytes;
    const start = this.fetchCursor % n;
    const bus = this.cluster.sim.bus;
    const buffer = this.buffer;
    for (let k = 0; k < n && remaining > 0 && bytesLeft > 0; k++) {
      const a = this.order[(start + k) % n]!;
      if (a.paused) continue;
      const log = this.logOf(a);
      if (log === null) continue;
      this.resolvePosition(a, log);
      if (a.position === null) continue; // committed offset unstable: retry at the next poll
      let position = a.position;
      if (position < log.logStartOffset || position > log.logEndOffset) {
        this.reset(a, log, "out-of-range");
        position = a.position!;
      }
      const readCommitted = this.config.isolationLevel === "read_committed";
      if (position >= (readCommitted ? log.lastStableOffset : log.logEndOffset)) continue;
      const count = log.readInto(
        position,
        remaining,
        Math.min(this.config.maxPartitionFetchBytes, bytesLeft),
        buffer,
        readCommitted,
      );
      buffer.pushRecords(count, a.topic, a.partition, log.config.messageTimestampType, records);
      a.position = buffer.nextOffset;
      remaining -= count;
      bytesLeft -= buffer.bytes;
      if (bus.wants("log.fetch")) {
        bus.emit("log.fetch", {
          clientId: this.clientId,
          groupId: this.groupId,
          topic: a.topic,
          partition: a.partition,
          fromOffset: position,
          count,
          nextOffset: buffer.nextOffset,
        });
      }
      if (remaining === 0 || bytesLeft <= 0) this.fetchCursor = (start + k + 1) % n;
    }
    return records;
  }

  /**
   * A fetch request through the fault hook (only while one is installed): true when the records
   * may be read now — the request was delivered, or a delayed one's response has arrived. A lost
   * request or response (or a delay of at least `requestTimeoutMs`) keeps the fetch in flight
   * until the request timeout, a delay until its response arrives; polls meanwhile fetch nothing,
   * so positions stay where they were and the fetch that follows reads from them: nothing is
   * consumed, lost or skipped. The records come from the log as it is when the response arrives.
   */
  private fetchRequest(): boolean {
    const now = this.cluster.sim.now;
    if (now < this.fetchHeldUntil) return false;
    if (this.fetchHeldUntil !== Number.NEGATIVE_INFINITY) {
      this.fetchHeldUntil = Number.NEGATIVE_INFINITY;
      // A delayed response is here; a timed-out fetch is sent again below.
      if (this.fetchAnswers) return true;
    }
    const partitions: TopicPartition[] = [];
    for (const a of this.order) if (!a.paused) partitions.push({ topic: a.topic, partition: a.partition });
    if (partitions.length === 0) return true;
    const network = this.cluster.network;
    const fault = network.decide({
      kind: "fetch",
      requestId: network.requestId(),
      clientId: this.clientId,
      sentAt: now,
      partitions,
      attempt: 0,
      groupId: this.groupId,
    });
    const timeout = this.config.requestTimeoutMs;
    const delay = fault.requestDelayMs + fault.responseDelayMs;
    if (fault.dropRequest || fault.dropResponse || delay >= timeout) {
      this.fetchHeldUntil = now + timeout;
      this.fetchAnswers = false;
      return false;
    }
    if (delay <= 0) return true;
    this.fetchHeldUntil = now + delay;
    this.fetchAnswers = true;
    return false;
  }

  /** The log of an assigned partition, null for a deleted topic of a subscription (a rebalance follows). */
  private logOf(a: Assigned): PartitionLog | null {
    const topic = this.cluster.hasTopic(a.topic) ? this.cluster.topic(a.topic) : null;
    const log = topic?.partitions[a.partition];
    if (log !== undefined) return log;
    if (this.mode === "assign") {
      throw new LogError(
        "UNKNOWN_TOPIC_OR_PARTITION",
        `Consumer ${this.clientId}: assigned partition ${a.topic}-${a.partition} does not exist (the topic was deleted?). Reassign or unsubscribe.`,
        {
          topic: a.topic,
          partition: a.partition,
        },
      );
    }
    if (this.membership !== null) this.membership.rejoinNeeded = true;
    return null;
  }

  private resolvePosition(a: Assigned, log: PartitionLog): void {
    if (a.resetTo !== null) {
      a.position = a.resetTo === "earliest" ? log.logStartOffset : this.endOf(log);
      a.resetTo = null;
      return;
    }
    if (a.position !== null) return;
    // Java's read_committed consumers fetch offsets with requireStable: while a transaction that
    // sent offsets for this partition is incomplete, the answer is UNSTABLE_OFFSET_COMMIT and the
    // consumer retries, rather than starting from an offset that is about to change.
    if (
      this.groupId !== null &&
      this.config.isolationLevel === "read_committed" &&
      this.cluster.coordinator.hasPendingTxnOffset(this.groupId, a.topic, a.partition)
    )
      return;
    const committed =
      this.groupId === null ? null : this.cluster.coordinator.committed(this.groupId, a.topic, a.partition);
    if (committed !== null) a.position = committed.offset;
    else this.reset(a, log, "no-committed-offset");
  }

  private reset(a: Assigned, log: PartitionLog, reason: "no-committed-offset" | "out-of-range"): void {
    const policy = this.config.autoOffsetReset;
    if (policy === "none") {
      const tp = tpName(a);
      if (reason === "no-committed-offset") {
        throw new LogError(
          "NO_OFFSET_FOR_PARTITION",
          `Consumer ${this.clientId}: no committed offset for ${tp} and autoOffsetReset is "none". Commit or seek first, or use "earliest"/"latest".`,
          {
            topic: a.topic,
            partition: a.partition,
          },
        );
      }
      throw new LogError(
        "OFFSET_OUT_OF_RANGE",
        `Consumer ${this.clientId}: position ${a.position} of ${tp} is outside [${log.logStartOffset}, ${log.logEndOffset}] (retention may have deleted it) and autoOffsetReset is "none". Seek to a valid offset.`,
        {
          topic: a.topic,
          partition: a.partition,
          offset: a.position,
          logStartOffset: log.logStartOffset,
          logEndOffset: log.logEndOffset,
        },
      );
    }
    a.position = policy === "earliest" ? log.logStartOffset : this.endOf(log);
    const bus = this.cluster.sim.bus;
    if (bus.wants("log.offset-reset")) {
      bus.emit("log.offset-reset", {
        clientId: this.clientId,
        topic: a.topic,
        partition: a.partition,
        offset: a.position,
        policy,
        reason,
      });
    }
  }

  private endOf(log: PartitionLog): number {
    return this.config.isolationLevel === "read_committed" ? log.lastStableOffset : log.highWatermark;
  }

  private waitForWork(until: number): Promise<void> {
    const sim = this.cluster.sim;
    const deferred = sim.deferred<void>();
    const cancels: (() => void)[] = [];
    let done = false;
    const wake = () => {
      if (done) return;
      done = true;
      for (const cancel of cancels) cancel();
      if (this.membership !== null) this.membership.onChange = null;
      deferred.resolve();
    };
    for (const a of this.order) {
      if (a.paused) continue;
      const log = this.cluster.hasTopic(a.topic)
        ? this.cluster.topic(a.topic).partitions[a.partition]
        : undefined;
      if (log !== undefined) cancels.push(log.onNextAppend(wake));
    }
    if (this.membership !== null) this.membership.onChange = wake;
    // A fetch in flight (network faults) times out or answers at its own time.
    const held = this.fetchHeldUntil;
    const wakeAt = held > sim.now && held < until ? held : until;
    const timer = sim.schedule(Math.max(wakeAt, sim.now), wake);
    cancels.push(() => sim.cancel(timer));
    return deferred.promise;
  }

  // ---------------------------------------------------------------- commits

  private positions(): TopicPartitionOffset[] {
    return this.order
      .filter((a) => a.position !== null)
      .map((a) => ({ topic: a.topic, partition: a.partition, offset: a.position! }));
  }

  private identity() {
    const m = this.membership;
    if (this.mode === "subscribe" && m !== null) {
      return { memberId: m.memberId, generation: m.generation, groupInstanceId: this.config.groupInstanceId };
    }
    return { memberId: "", generation: -1, groupInstanceId: null };
  }

  /** The periodic auto-commit at the start of a poll; true when the process died at its crash point. */
  private maybeAutoCommit(): boolean {
    if (!this.config.enableAutoCommit || this.groupId === null) return false;
    const now = this.cluster.sim.now;
    if (now < this.nextAutoCommitAt) return false;
    this.nextAutoCommitAt = now + this.config.autoCommitIntervalMs;
    if (this.mode === "subscribe" && (this.membership === null || !this.membership.inGroup)) return false;
    const list = this.positions();
    if (list.length === 0) return false;
    if (this.commitPoint(CRASH_POINTS.beforeCommit, this.groupId, list, true)) return true;
    this.sendCommit(this.groupId, list, true, null);
    return false;
  }

  /** A commit crash point; true when the process whose code runs now died there (one check outside processes). */
  private commitPoint(
    point: string,
    groupId: string,
    offsets: readonly TopicPartitionOffset[],
    auto: boolean,
  ): boolean {
    const sim = this.cluster.sim;
    if (sim.currentProcess === null) return false;
    return sim.crashPoint(point, { groupId, offsets: offsets.map((o) => ({ ...o })), auto });
  }

  /** Auto-commit before a rebalance or on close: synchronous; failures only reported as events. */
  private autoCommitSync(only?: readonly TopicPartition[]): void {
    if (this.groupId === null) return;
    let list = this.positions();
    if (only !== undefined) {
      const keys = new Set(only.map((tp) => tpKey(tp.topic, tp.partition)));
      list = list.filter((o) => keys.has(tpKey(o.topic, o.partition)));
    }
    if (list.length === 0) return;
    try {
      this.cluster.coordinator.commit(this.groupId, this.identity(), list, true);
    } catch (error) {
      if (!(error instanceof LogError)) throw error;
    }
  }

  private sendCommit(
    groupId: string,
    list: TopicPartitionOffset[],
    auto: boolean,
    callback: ((error: LogError | null) => void) | null,
  ): Promise<void> {
    const sim = this.cluster.sim;
    const network = this.cluster.network;
    const deferred = sim.deferred<void>();
    deferred.promise.catch(() => {});
    const who = this.identity();
    const fault = network.decide({
      kind: "commit",
      requestId: network.requestId(),
      clientId: this.clientId,
      sentAt: sim.now,
      partitions: list,
      attempt: 0,
      groupId,
    });
    let settled = false;
    const settle = (error: LogError | null) => {
      if (settled) return;
      settled = true;
      if (error === null) deferred.resolve();
      else deferred.reject(error);
      callback?.(error);
    };
    const timeout = sim.schedule(sim.now + this.config.requestTimeoutMs, () =>
      settle(this.commitTimeout(groupId, false)),
    );
    if (!fault.dropRequest) {
      sim.schedule(sim.now + network.latencyMs + fault.requestDelayMs, () => {
        let error: LogError | null = null;
        try {
          this.cluster.coordinator.commit(groupId, who, list, auto);
        } catch (e) {
          if (!(e instanceof LogError)) throw e;
          error = e;
        }
        if (fault.dropResponse) return;
        sim.schedule(sim.now + network.latencyMs + fault.responseDelayMs, () => {
          sim.cancel(timeout);
          settle(error);
        });
      });
    }
    return deferred.promise;
  }

  private commitTimeout(groupId: string, happened: boolean): LogError {
    return new LogError(
      "REQUEST_TIMED_OUT",
      `Consumer ${this.clientId}: the offset commit for group ${groupId} got no response; ${happened ? "it was applied" : "it may not have been applied"} (the caller cannot know).`,
      { groupId },
    );
  }

  // ---------------------------------------------------------------- helpers

  private lazySeek(
    partitions: readonly TopicPartition[] | undefined,
    to: "earliest" | "latest",
    where: string,
  ): void {
    this.checkOpen(where);
    const list =
      partitions === undefined
        ? this.order
        : checkPartitionList(partitions, "partitions", where).map((tp) => this.assignedEntry(tp, where));
    for (const a of list) {
      a.resetTo = to;
      a.position = null;
    }
  }

  private assignedEntry(partition: TopicPartition, where: string): Assigned {
    const tp = checkTopicPartitionArg(partition, "partition", where);
    const a = this.assigned.get(tpKey(tp.topic, tp.partition));
    if (a === undefined) {
      throw new LogError(
        "ILLEGAL_STATE",
        `${where}: no current assignment for partition ${tpName(tp)}. Assigned: ${this.order.map((x) => tpName(x)).join(", ") || "none"}.`,
        {
          topic: tp.topic,
          partition: tp.partition,
        },
      );
    }
    return a;
  }

  private requireGroup(where: string): string {
    if (this.groupId === null) {
      throw new LogError(
        "INVALID_GROUP_ID",
        `${where}: committing offsets needs a groupId; this consumer has none.`,
      );
    }
    return this.groupId;
  }

  private checkOpen(where: string): void {
    if (this.closed) throw new LogError("CONSUMER_CLOSED", `${where}: consumer ${this.clientId} is closed.`);
  }
}

function resolveAssignors(list: readonly (AssignorName | Assignor)[], where: string): Assignor[] {
  if (!Array.isArray(list) || list.length === 0) {
    throw new InvalidArgumentError(
      `${where}: partitionAssignmentStrategy must be a non-empty array of assignor names or Assignor objects.`,
    );
  }
  return list.map((item) => {
    if (typeof item === "string") {
      const assignor = ASSIGNORS[item as AssignorName];
      if (assignor === undefined) {
        throw new InvalidArgumentError(
          `${where}: unknown assignor ${describeValue(item)}; known: ${Object.keys(ASSIGNORS).join(", ")}.`,
        );
      }
      return assignor;
    }
    if (
      item === null ||
      typeof item !== "object" ||
      typeof item.name !== "string" ||
      typeof item.assign !== "function" ||
      (item.rebalanceProtocol !== "eager" && item.rebalanceProtocol !== "cooperative")
    ) {
      throw new InvalidArgumentError(
        `${where}: a custom assignor must be { name, rebalanceProtocol: "eager" | "cooperative", assign(input) }.`,
      );
    }
    return item;
  });
}

function checkListener(listener: unknown, where: string): void {
  if (listener === null || listener === undefined) return;
  if (typeof listener !== "object")
    throw new InvalidArgumentError(
      `${where}: listener must be an object with onPartitionsRevoked/Assigned/Lost.`,
    );
  checkOptions(listener, ["onPartitionsRevoked", "onPartitionsAssigned", "onPartitionsLost"], where);
  for (const [name, fn] of Object.entries(listener)) {
    if (fn !== undefined && typeof fn !== "function")
      throw new InvalidArgumentError(`${where}: listener.${name} must be a function.`);
  }
}
