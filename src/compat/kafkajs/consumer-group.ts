import type { Assignor } from "../../log/assignors/types.js";
import type { Consumer as NativeConsumer } from "../../log/consumer.js";
import type { PartitionLog } from "../../log/partition-log.js";
import { type ConsumerRecord, tpKey } from "../../log/record.js";
import { backgroundAt } from "../../log/timers.js";
import type { Simulation } from "../../scheduler/simulation.js";
import { authorizeOrThrow } from "./acl.js";
import { AclOperationTypes, AclResourceTypes } from "./acl-types.js";
import type { Assigner } from "./assigners.js";
import { FetchedBatch, toKafkaMessage } from "./batch.js";
import type { ClientContext } from "./context.js";
import {
  isRebalancing,
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSOffsetOutOfRange,
  KafkaJSProtocolError,
  KafkaJSRequestTimeoutError,
  KafkaJSStaleTopicMetadataAssignment,
  toKafkaJSError,
} from "./errors.js";
import { CONSUMER_EVENTS, type InstrumentationEmitter } from "./events.js";
import { fetchResponseSize } from "./instrumentation.js";
import { awaitLeaderAssignment, protocolMetadataOf, runLeaderAssignment } from "./leader-assignment.js";
import type { Logger } from "./logger.js";
import { GroupMembershipClient } from "./membership.js";
import { type CommitSettings, OffsetManager } from "./offset-manager.js";
import * as history from "./recording.js";
import { createRetry, type Retrier, type RetryOptions } from "./retry.js";
import { SubscriptionState } from "./subscription-state.js";
import type { Offsets, TopicPartitions } from "./types.js";

/**
 * kafkajs' `ConsumerGroup` (`src/consumer/consumerGroup.js`): one run of a consumer in its group —
 * join and sync, the assignment and its offsets, pending seeks and pauses, heartbeats, and fetches.
 * Fetches read through a native brokerlab consumer in assign mode, pointed at exactly the
 * partitions and offsets kafkajs would request, so isolation level, compaction gaps and fetch size
 * limits follow the native log model. A fetch long-polls in virtual time until data arrives on a
 * requested partition or `maxWaitTimeInMs` passes; idle waits are background timers, so a
 * simulation with nothing but idle consumers counts as quiescent (`sim.run()` returns, auto mode
 * parks).
 *
 * Each fetch is a request the cluster's network fault hook sees (`kind: "fetch"`, when one is
 * installed). A lost request or response — or a delay of at least `requestTimeout` — fails the
 * fetch after `requestTimeout` with {@link KafkaJSRequestTimeoutError}, which kafkajs' runner
 * retries (with backoff; once its retries are used up the consumer crashes and restarts, as
 * kafkajs' does). Nothing was read, so the retried fetch asks for the same offsets. A shorter
 * delay answers later.
 */

/** Settings of one consumer run. */
export interface ConsumerGroupSettings extends CommitSettings {
  groupId: string;
  topics: string[];
  topicConfigurations: ReadonlyMap<string, { fromBeginning: boolean }>;
  sessionTimeout: number;
  rebalanceTimeout: number;
  maxBytesPerPartition: number;
  minBytes: number;
  maxBytes: number;
  maxWaitTimeInMs: number;
  readCommitted: boolean;
  metadataMaxAge: number;
  assignors: Assignor[];
  /** Custom kafkajs assigners by protocol name: run by this client when it leads the group. */
  leaderSide: ReadonlyMap<string, Assigner>;
  /** The `cluster` those assigners were created with (refreshed before the leader assigns). */
  assignerCluster: { refreshMetadata(): Promise<void> };
  retry: RetryOptions;
}

/** A partition to fetch and where. */
interface FetchRequest {
  topic: string;
  partition: number;
  offset: number;
  log: PartitionLog;
}

const READ = AclOperationTypes.READ;
const STALE_METADATA = ["LEADER_NOT_AVAILABLE", "NOT_LEADER_FOR_PARTITION", "UNKNOWN_TOPIC_OR_PARTITION"];
/**
 * The node every fetch goes to: the simulated cluster is one log per partition (metadata may list
 * more brokers).
 *
 * @example
 * ```ts
 * consumer.on(consumer.events.FETCH, (e) => e.payload.nodeId === NODE_ID);
 * ```
 */
export const NODE_ID = 0;

/**
 * One run of a kafkajs consumer in its group.
 *
 * @example
 * ```ts
 * const group = new ConsumerGroup(ctx, emitter, logger, settings);
 * await group.joinAndSync();
 * const batches = await group.fetch();
 * ```
 */
export class ConsumerGroup {
  readonly membership: GroupMembershipClient;
  readonly subscriptionState = new SubscriptionState();
  offsetManager: OffsetManager | null = null;
  private readonly sim: Simulation;
  private readonly seekOffsets = new Map<string, { topic: string; partition: number; offset: number }>();
  private readonly native: NativeConsumer;
  private readonly retrier: Retrier;
  private lastRequest: number;
  private heartbeatInFlight: Promise<void> | null = null;
  private partitionsAtSync = new Map<string, number>();
  private metadataRefreshedAt: number;
  private interrupt: (() => void) | null = null;
  private closed = false;
  /** Set by {@link wake}: the run is stopping, so no fetch waits for data any more. */
  private stopping = false;

  constructor(
    private readonly ctx: ClientContext,
    private readonly emitter: InstrumentationEmitter,
    private readonly logger: Logger,
    readonly settings: ConsumerGroupSettings,
    random: ReturnType<ClientContext["random"]>,
  ) {
    this.sim = ctx.sim;
    this.membership = new GroupMembershipClient(ctx.sim, ctx.cluster, {
      groupId: settings.groupId,
      clientId: ctx.clientId,
      sessionTimeout: settings.sessionTimeout,
      rebalanceTimeout: settings.rebalanceTimeout,
      assignors: settings.assignors,
      requestTimeout: ctx.requestTimeout,
    });
    this.native = ctx.cluster.consumer({
      clientId: ctx.clientId,
      groupId: null,
      enableAutoCommit: false,
      autoOffsetReset: "earliest",
      maxPollRecords: 1 << 30,
      maxPartitionFetchBytes: settings.maxBytesPerPartition,
      fetchMaxBytes: settings.maxBytes,
      isolationLevel: settings.readCommitted ? "read_committed" : "read_uncommitted",
    });
    // The fetch request goes through the network here (brokerFetch); the native reads are local.
    this.native.fetchThroughNetwork = false;
    this.retrier = createRetry(ctx.sim, random, settings.retry);
    this.lastRequest = ctx.sim.now;
    this.metadataRefreshedAt = ctx.sim.now;
  }

  /** The client id (what history operations are recorded under). */
  get clientId(): string {
    return this.ctx.clientId;
  }

  /** The group id. */
  get groupId(): string {
    return this.settings.groupId;
  }

  /** This member's id (null before joining and after leaving). */
  get memberId(): string | null {
    return this.membership.memberId;
  }

  /** kafkajs' ConsumerGroup.connect: emits CONNECT (kafkajs emits it here too). */
  async connect(): Promise<void> {
    this.emitter.emit(CONSUMER_EVENTS.CONNECT, null);
  }

  /** Joins (or rejoins) the group and takes the assignment; retried as kafkajs retries it. */
  joinAndSync(): Promise<void> {
    const startJoin = this.sim.now;
    return this.retrier(async (bail) => {
      try {
        // JoinGroup needs READ on the group (Kafka answers GROUP_AUTHORIZATION_FAILED otherwise).
        authorizeOrThrow(
          this.ctx,
          READ,
          AclResourceTypes.GROUP,
          [this.groupId],
          "GROUP_AUTHORIZATION_FAILED",
        );
        this.membership.protocolMetadata = protocolMetadataOf(this.settings.leaderSide, this.settings.topics);
        await this.emitter.request("JoinGroup", () => this.membership.joinGroup(this.settings.topics));
        const custom = await this.assignAsLeader();
        await this.sync(custom);
        const memberAssignment: Record<string, number[]> = {};
        for (const { topic, partitions } of this.assigned()) memberAssignment[topic] = partitions;
        const payload = {
          groupId: this.groupId,
          memberId: this.membership.memberId,
          leaderId: this.membership.leaderId,
          isLeader: this.membership.isLeader(),
          memberAssignment,
          groupProtocol: this.membership.groupProtocol,
          duration: this.sim.now - startJoin,
        };
        this.emitter.emit(CONSUMER_EVENTS.GROUP_JOIN, payload);
        if (history.recording(this.sim)) {
          history.event(this.sim, this.ctx.clientId, "rebalance", {
            group: this.groupId,
            generation: this.membership.generationId,
            assignment: JSON.stringify(memberAssignment),
          });
        }
        this.logger.info("Consumer has joined the group", payload);
      } catch (error) {
        const e = toKafkaJSError(error);
        // Rebalance errors are not retriable protocol errors, but the join must simply start over.
        if (isRebalancing(e)) throw new KafkaJSError(e);
        if ((e as { type?: unknown }).type === "UNKNOWN_MEMBER_ID") {
          this.membership.memberId = null;
          throw new KafkaJSError(e);
        }
        bail(e);
      }
    });
  }

  /**
   * kafkajs' leader step of SyncGroup: when the group's protocol is one of this member's custom
   * assigners and this member leads, runs it (after a metadata refresh, as kafkajs does) and sends
   * the result. Returns the custom assigner in use for this generation, if any.
   */
  private async assignAsLeader(): Promise<Assigner | undefined> {
    const protocol = this.membership.groupProtocol;
    const custom = this.settings.leaderSide.get(protocol);
    if (!this.membership.isLeader()) return custom;
    if (custom === undefined && !this.settings.assignors.some((a) => a.name === protocol)) {
      throw new KafkaJSNonRetriableError(
        `Unsupported partition assigner "${protocol}", the assigner wasn't found in the assigners list`,
      );
    }
    if (custom !== undefined) {
      this.logger.debug("Chosen as group leader", {
        groupId: this.groupId,
        generationId: this.membership.generationId,
        memberId: this.membership.memberId,
      });
      await this.settings.assignerCluster.refreshMetadata();
      await runLeaderAssignment(
        this.sim,
        this.ctx.cluster,
        this.groupId,
        this.membership.generationId,
        custom,
        this.settings.topics,
        () => !this.closed,
      );
    }
    return custom;
  }

  private async sync(custom: Assigner | undefined): Promise<void> {
    const assignment = await this.emitter.request("SyncGroup", () => this.membership.syncGroup());
    const byTopic = new Map<string, number[]>();
    if (custom === undefined) {
      for (const { topic, partition } of assignment) {
        const list = byTopic.get(topic);
        if (list === undefined) byTopic.set(topic, [partition]);
        else list.push(partition);
      }
    } else {
      const share = await awaitLeaderAssignment(
        this.sim,
        this.ctx.cluster,
        this.groupId,
        this.membership.generationId,
        this.membership.memberId ?? "",
      );
      for (const [topic, partitions] of Object.entries(share)) byTopic.set(topic, partitions);
    }
    const subscribed = this.settings.topics;
    const assignedTopics = [...byTopic.keys()];
    const notSubscribed = assignedTopics.filter((t) => !subscribed.includes(t));
    if (notSubscribed.length > 0) {
      const payload = {
        groupId: this.groupId,
        generationId: this.membership.generationId,
        memberId: this.membership.memberId,
        assignedTopics,
        topicsSubscribed: subscribed,
        topicsNotSubscribed: notSubscribed,
      };
      this.emitter.emit(CONSUMER_EVENTS.RECEIVED_UNSUBSCRIBED_TOPICS, payload);
      this.logger.warn("Consumer group received unsubscribed topics", payload);
    }
    const current: TopicPartitions[] = assignedTopics
      .filter((t) => subscribed.includes(t))
      .map((topic) => ({ topic, partitions: byTopic.get(topic)! }));
    this.subscriptionState.assign(current);
    this.partitionsAtSync = this.partitionCounts();
    this.metadataRefreshedAt = this.sim.now;
    this.offsetManager = new OffsetManager(
      this.sim,
      this.ctx.cluster,
      this.membership,
      this.emitter,
      new Map(current.map(({ topic, partitions }) => [topic, partitions])),
      this.settings.topicConfigurations,
      this.settings,
      this.settings.readCommitted,
    );
  }

  /** Sends LeaveGroup (when a member), then stops answering and releases the native consumer. */
  async leave(): Promise<void> {
    try {
      await this.membership.leave();
    } finally {
      this.close();
    }
  }

  /** Releases resources without leaving (a crash leaves through `leave`, as kafkajs' disconnect does). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.interrupt?.();
    this.membership.close();
    this.native.close();
  }

  /**
   * Wakes a fetch that is waiting for data and makes it return what it has, so a stopping consumer
   * does not wait out `maxWaitTimeInMs` (in auto mode, while virtual time follows the wall clock,
   * that would be seconds of real time per disconnect).
   */
  wake(): void {
    this.stopping = true;
    this.interrupt?.();
  }

  /** kafkajs' seek: applied before the next fetch of the partition. */
  seek(topic: string, partition: number, offset: number): void {
    this.seekOffsets.set(tpKey(topic, partition), { topic, partition, offset });
    if (history.recording(this.sim))
      history.event(this.sim, this.ctx.clientId, "seek", { topic, partition, offset });
  }

  /** True while a seek of the partition waits to be applied (the batch in hand is stale). */
  hasSeekOffset(topic: string, partition: number): boolean {
    return this.seekOffsets.has(tpKey(topic, partition));
  }

  /** Pauses partitions or topics. */
  pause(topicPartitions: readonly { topic: string; partitions?: number[] }[]): void {
    this.logger.info(`Pausing fetching from ${topicPartitions.length} topics`, { topicPartitions });
    this.subscriptionState.pause(topicPartitions);
  }

  /**
   * Resumes partitions or topics. Schedules nothing (the next fetch picks them up, as in kafkajs),
   * but nudges the simulation: resumed from outside its events (a real timer's callback), it would
   * otherwise leave a parked auto runner asleep with the resumed messages never fetched.
   */
  resume(topicPartitions: readonly { topic: string; partitions?: number[] }[]): void {
    this.logger.info(`Resuming fetching from ${topicPartitions.length} topics`, { topicPartitions });
    this.subscriptionState.resume(topicPartitions);
    this.sim.nudge();
  }

  /** Assigned partitions by topic. */
  assigned(): TopicPartitions[] {
    return this.subscriptionState.assigned();
  }

  /** Paused assigned partitions by topic. */
  paused(): TopicPartitions[] {
    return this.subscriptionState.paused();
  }

  /** Whether a partition is paused. */
  isPaused(topic: string, partition: number): boolean {
    return this.subscriptionState.isPaused(topic, partition);
  }

  /** Marks a message processed. */
  resolveOffset(topic: string, partition: number, offset: number): void {
    this.offsetManager?.resolveOffset(topic, partition, offset);
  }

  /** Commits given or resolved offsets. */
  async commitOffsets(offsets?: Partial<Offsets>): Promise<void> {
    if (this.offsetManager === null || !history.recording(this.sim)) {
      await this.offsetManager?.commitOffsets(offsets);
      return;
    }
    const topics = offsets?.topics ?? this.offsetManager.uncommittedOffsets().topics;
    if (topics.length === 0) {
      await this.offsetManager.commitOffsets(offsets);
      return;
    }
    const value = { group: this.groupId, offsets: history.offsetsString(topics) };
    history.step(this.sim, this.ctx.clientId, "invoke", "commit", value);
    try {
      await this.offsetManager.commitOffsets(offsets);
    } catch (error) {
      history.step(this.sim, this.ctx.clientId, history.outcomeOf(error), "commit", value);
      throw error;
    }
    history.step(this.sim, this.ctx.clientId, "ok", "commit", value);
  }

  /** Commits if the interval or threshold says so. */
  async commitOffsetsIfNecessary(): Promise<void> {
    await this.offsetManager?.commitOffsetsIfNecessary();
  }

  /** Resolved offsets not yet committed. */
  uncommittedOffsets(): Offsets {
    return this.offsetManager?.uncommittedOffsets() ?? { topics: [] };
  }

  /**
   * Heartbeats if `interval` has passed since the last one (kafkajs' shared heartbeat: concurrent
   * callers share one request). Rejects with the coordinator's answer (REBALANCE_IN_PROGRESS, …).
   */
  heartbeat(interval: number): Promise<void> {
    if (this.heartbeatInFlight !== null) return this.heartbeatInFlight;
    const { memberId } = this.membership;
    if (memberId === null || this.sim.now < this.lastRequest + interval) return Promise.resolve();
    const payload = { groupId: this.groupId, memberId, groupGenerationId: this.membership.generationId };
    const run = this.emitter
      .request("Heartbeat", () => this.membership.heartbeat())
      .then(() => {
        this.emitter.emit(CONSUMER_EVENTS.HEARTBEAT, payload);
        this.lastRequest = this.sim.now;
      });
    this.heartbeatInFlight = run.finally(() => {
      this.heartbeatInFlight = null;
    });
    return this.heartbeatInFlight;
  }

  /**
   * One fetch: applies pending seeks, resolves starting offsets, then asks the broker for every
   * active partition and waits (virtual time) for data. Returns non-empty batches (and batches that
   * only moved past invisible records); errors kafkajs recovers from (stale metadata, offset out of
   * range) are handled here and yield no batches.
   */
  async fetch(): Promise<FetchedBatch[]> {
    try {
      this.checkForStaleAssignment();
      const manager = this.offsetManager;
      if (manager === null) return [];
      for (const { topic, partitions } of this.subscriptionState.assigned()) {
        for (const partition of partitions) {
          const key = tpKey(topic, partition);
          const entry = this.seekOffsets.get(key);
          if (entry === undefined) continue;
          this.seekOffsets.delete(key);
          await manager.seek(topic, partition, entry.offset);
        }
      }
      await manager.resolveOffsets();
      const requests: FetchRequest[] = [];
      for (const { topic, partitions } of this.subscriptionState.active()) {
        for (const partition of partitions) {
          if (manager.committedOffset(topic, partition) === undefined) continue;
          requests.push({
            topic,
            partition,
            offset: manager.nextOffset(topic, partition),
            log: this.logOf(topic, partition),
          });
        }
      }
      if (requests.length === 0) {
        await this.waitFor([], this.sim.now + this.settings.maxWaitTimeInMs);
        return [];
      }
      const topics = [...new Set(requests.map((r) => r.topic))];
      authorizeOrThrow(this.ctx, READ, AclResourceTypes.TOPIC, topics, "TOPIC_AUTHORIZATION_FAILED");
      const batches = await this.emitter.request("Fetch", () => this.brokerFetch(requests), {
        size: fetchResponseSize,
      });
      return batches.filter(
        (b) => !this.hasSeekOffset(b.topic, b.partition) && !this.isPaused(b.topic, b.partition),
      );
    } catch (error) {
      await this.recoverFromFetch(error);
      return [];
    }
  }

  private logOf(topic: string, partition: number): PartitionLog {
    const cluster = this.ctx.cluster;
    if (!cluster.hasTopic(topic) || partition >= cluster.topic(topic).partitionCount) {
      throw new KafkaJSProtocolError("UNKNOWN_TOPIC_OR_PARTITION", {
        hint: `assigned partition ${topic}-${partition} no longer exists; the member rejoins`,
        details: { topic, partition },
      });
    }
    return cluster.partition(topic, partition);
  }

  private async brokerFetch(requests: FetchRequest[]): Promise<FetchedBatch[]> {
    const sim = this.sim;
    const network = this.ctx.cluster.network;
    const latency = network.latencyMs;
    let responseDelay = 0;
    if (network.hasFaultHook) {
      const sentAt = sim.now;
      const fault = network.decide({
        kind: "fetch",
        requestId: network.requestId(),
        clientId: this.ctx.clientId,
        sentAt,
        partitions: requests.map((r) => ({ topic: r.topic, partition: r.partition })),
        attempt: 0,
        groupId: this.groupId,
      });
      const timeout = this.ctx.requestTimeout;
      if (
        fault.dropRequest ||
        fault.dropResponse ||
        2 * latency + fault.requestDelayMs + fault.responseDelayMs >= timeout
      ) {
        return this.fetchTimedOut(sentAt, timeout);
      }
      if (fault.requestDelayMs > 0) await sim.sleep(fault.requestDelayMs);
      if (this.closed) return [];
      responseDelay = fault.responseDelayMs;
    }
    // The request is its own event even at zero latency, so a consumer that refetches the same
    // messages forever (kafkajs does, when nothing resolves them) spins the simulation — which
    // reports a runaway schedule — rather than the host's microtask queue. A fetch with data to
    // return is work; an idle poll (nothing past the requested offsets) is background, like its
    // long-poll wait, so an idle consumer lets `run()` return and an auto runner park.
    if (this.hasDataFor(requests)) await sim.sleep(latency);
    else await sim.backgroundSleep(latency);
    if (this.closed) return [];
    for (const r of requests) {
      r.log = this.logOf(r.topic, r.partition);
      if (r.offset < r.log.logStartOffset || r.offset > r.log.logEndOffset) {
        throw new KafkaJSOffsetOutOfRange(
          "OFFSET_OUT_OF_RANGE",
          { topic: r.topic, partition: r.partition },
          {
            hint: `offset ${r.offset} of ${r.topic}-${r.partition} is outside [${r.log.logStartOffset}, ${r.log.logEndOffset}]`,
          },
        );
      }
    }
    const deadline = sim.now + this.settings.maxWaitTimeInMs;
    let records = this.read(requests);
    while (!this.closed && !this.stopping && sim.now < deadline && !this.enough(requests, records)) {
      await this.waitFor(
        requests.map((r) => r.log),
        deadline,
      );
      if (this.closed) return [];
      records = this.read(requests);
    }
    const byPartition = new Map<string, ConsumerRecord[]>();
    for (const record of records) {
      const key = tpKey(record.topic, record.partition);
      const list = byPartition.get(key);
      if (list === undefined) byPartition.set(key, [record]);
      else list.push(record);
    }
    const batches: FetchedBatch[] = [];
    for (const r of requests) {
      const list = byPartition.get(tpKey(r.topic, r.partition)) ?? [];
      const position = this.native.position({ topic: r.topic, partition: r.partition });
      if (list.length === 0 && position <= r.offset) continue;
      const end = this.settings.readCommitted ? r.log.lastStableOffset : r.log.highWatermark;
      batches.push(
        new FetchedBatch(r.topic, r.partition, r.offset, end, list.map(toKafkaMessage), position - 1),
      );
    }
    if (batches.length > 0) await sim.sleep(latency + responseDelay);
    else await sim.backgroundSleep(latency + responseDelay);
    return batches;
  }

  /**
   * A fetch whose request or response the network lost: no answer until `requestTimeout`, then
   * kafkajs' request timeout error (the runner retries). The wait is work, not background, so that
   * a driven simulation reaches the retry; a consumer that stops or closes meanwhile returns
   * nothing instead.
   */
  private async fetchTimedOut(sentAt: number, timeout: number): Promise<FetchedBatch[]> {
    await this.waitFor([], sentAt + timeout, false);
    if (this.closed || this.stopping) return [];
    throw new KafkaJSRequestTimeoutError("Request Fetch(key: 1, version: 11) timed out", {
      broker: "brokerlab:0",
      createdAt: sentAt,
      sentAt,
    });
  }

  /** Whether a partition has records this consumer may read past its requested offset. */
  private hasDataFor(requests: readonly FetchRequest[]): boolean {
    const committed = this.settings.readCommitted;
    for (const r of requests) {
      if ((committed ? r.log.lastStableOffset : r.log.highWatermark) > r.offset) return true;
    }
    return false;
  }

  /** Points the native consumer at exactly the requested partitions and offsets, and polls. */
  private read(requests: readonly FetchRequest[]): ConsumerRecord[] {
    this.native.assign(requests.map((r) => ({ topic: r.topic, partition: r.partition })));
    for (const r of requests) this.native.seek({ topic: r.topic, partition: r.partition }, r.offset);
    return this.native.poll();
  }

  /** Whether a fetch response would go out now (`minBytes` reached, or the read moved at all). */
  private enough(requests: readonly FetchRequest[], records: readonly ConsumerRecord[]): boolean {
    if (records.length === 0) {
      return requests.some(
        (r) => this.native.position({ topic: r.topic, partition: r.partition }) > r.offset,
      );
    }
    if (this.settings.minBytes <= 1) return true;
    let bytes = 0;
    for (const record of records) {
      bytes += this.ctx.cluster
        .partition(record.topic, record.partition)
        .recordSize(record.key, record.value, record.headers);
    }
    return bytes >= this.settings.minBytes;
  }

  /**
   * Waits until one of `logs` is appended to, `until` passes, or the consumer stops. The timer is
   * a background one unless `background` is false: an idle long poll is not work that keeps a
   * simulation running.
   */
  private waitFor(logs: readonly PartitionLog[], until: number, background = true): Promise<void> {
    const sim = this.sim;
    const done = sim.deferred<void>();
    const cancels: (() => void)[] = [];
    let woken = false;
    const wake = () => {
      if (woken) return;
      woken = true;
      for (const cancel of cancels) cancel();
      if (this.interrupt === wake) this.interrupt = null;
      done.resolve();
    };
    if (this.closed || this.stopping) {
      wake();
      return done.promise;
    }
    for (const log of logs) cancels.push(log.onNextAppend(wake));
    if (background) {
      const timer = backgroundAt(
        sim,
        Math.max(until, sim.now),
        wake,
        `kafkajs fetch wait ${this.ctx.clientId}`,
      );
      cancels.push(() => timer.stop());
    } else {
      const timer = sim.schedule(Math.max(until, sim.now), wake);
      cancels.push(() => sim.cancel(timer));
    }
    this.interrupt = wake;
    return done.promise;
  }

  private partitionCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const topic of this.settings.topics) {
      if (this.ctx.cluster.hasTopic(topic)) counts.set(topic, this.ctx.cluster.topic(topic).partitionCount);
    }
    return counts;
  }

  /** kafkajs notices added partitions when its metadata (at most `metadataMaxAge` old) shows them. */
  private checkForStaleAssignment(): void {
    if (this.sim.now < this.metadataRefreshedAt + this.settings.metadataMaxAge) return;
    this.metadataRefreshedAt = this.sim.now;
    for (const [topic, count] of this.partitionCounts()) {
      const before = this.partitionsAtSync.get(topic) ?? 0;
      if (count > before) {
        throw new KafkaJSStaleTopicMetadataAssignment("Topic has been updated", {
          topic,
          unknownPartitions: Array.from({ length: count - before }, (_, i) => before + i),
        });
      }
    }
  }

  private async recoverFromFetch(error: unknown): Promise<void> {
    const e = toKafkaJSError(error);
    if (STALE_METADATA.includes(String((e as { type?: unknown }).type))) {
      this.logger.debug("Stale cluster metadata, refreshing...", { groupId: this.groupId, error: e.message });
      await this.joinAndSync();
      return;
    }
    if (e instanceof KafkaJSStaleTopicMetadataAssignment) {
      this.logger.warn(`${e.message}, resync group`, { groupId: this.groupId, topic: e.topic });
      await this.joinAndSync();
      return;
    }
    if (e instanceof KafkaJSOffsetOutOfRange) {
      this.logger.error("Offset out of range, resetting to default offset", {
        topic: e.topic,
        partition: e.partition,
        groupId: this.groupId,
      });
      await this.offsetManager?.setDefaultOffset(e.topic, e.partition);
      return;
    }
    throw e;
  }
}
