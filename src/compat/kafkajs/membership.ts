import type { Assignor, TopicPartition } from "../../log/assignors/types.js";
import type { LogCluster } from "../../log/cluster.js";
import { LogError, type LogErrorCode } from "../../log/errors.js";
import type { JoinResponse, MemberLink } from "../../log/group-coordinator.js";
import type { RequestKind } from "../../log/network.js";
import type { Simulation } from "../../scheduler/simulation.js";
import { KafkaJSProtocolError, KafkaJSRequestTimeoutError, toKafkaJSError } from "./errors.js";
import { publishMetadata } from "./leader-assignment.js";
import type { PartitionOffset, TopicOffsets } from "./types.js";

/**
 * A kafkajs member's conversation with the simulated group coordinator: JoinGroup, SyncGroup,
 * Heartbeat, OffsetCommit and LeaveGroup, each a request that travels one network latency each
 * way. Commits and heartbeats pass the cluster's fault hook (dropped requests or responses time out
 * after `requestTimeout`, as on a real connection). Unlike the Java client (the native consumer),
 * kafkajs has no heartbeat thread: this client heartbeats only when the run loop asks, which is
 * why a kafkajs consumer stuck in `eachMessage` longer than the session timeout loses its
 * membership.
 */

/** Settings of one member. */
export interface MembershipSettings {
  readonly groupId: string;
  readonly clientId: string;
  readonly sessionTimeout: number;
  readonly rebalanceTimeout: number;
  readonly assignors: readonly Assignor[];
  readonly requestTimeout: number;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

const noop = () => {};

/** A tracked deferred whose rejection nobody has to handle (the caller may have gone away). */
function deferred<T>(sim: Simulation): Deferred<T> {
  const d = sim.deferred<T>();
  d.promise.catch(noop);
  return d;
}

function protocolError(code: LogErrorCode, message: string): Error {
  return toKafkaJSError(new LogError(code, message));
}

/**
 * One kafkajs member of a group (one generation after another).
 *
 * @example
 * ```ts
 * const member = new GroupMembershipClient(sim, cluster, settings);
 * await member.joinGroup(["orders"]);
 * const assignment = await member.syncGroup();
 * ```
 */
export class GroupMembershipClient implements MemberLink {
  memberId: string | null = null;
  generationId = -1;
  leaderId = "";
  groupProtocol = "";
  /**
   * Protocol name → metadata bytes this member's JoinGroup carries for custom kafkajs assigners
   * (`assigner.protocol({ topics })`); the leader's client reads them (leader-assignment.ts).
   */
  protocolMetadata: ReadonlyMap<string, Buffer> | null = null;
  private pendingJoin: Deferred<void> | null = null;
  private sync: {
    generation: number;
    assignment: readonly TopicPartition[] | null;
    error: Error | null;
    waiter: Deferred<readonly TopicPartition[]> | null;
  } | null = null;
  private closed = false;

  constructor(
    private readonly sim: Simulation,
    private readonly cluster: LogCluster,
    readonly settings: MembershipSettings,
  ) {}

  /** The group id. */
  get groupId(): string {
    return this.settings.groupId;
  }

  /** True when this member leads the group (it computed the assignment). */
  isLeader(): boolean {
    return this.memberId !== null && this.memberId === this.leaderId;
  }

  /** Sends JoinGroup; resolves when the join phase completes, rejects with the coordinator's error. */
  joinGroup(topics: readonly string[]): Promise<void> {
    const pending = deferred<void>(this.sim);
    this.pendingJoin?.reject(protocolError("REBALANCE_IN_PROGRESS", "superseded by a new JoinGroup"));
    this.pendingJoin = pending;
    this.sync = null;
    const request = {
      memberId: this.memberId ?? "",
      groupInstanceId: null,
      clientId: this.settings.clientId,
      assignors: this.settings.assignors,
      topics: [...topics],
      // kafkajs' protocol is eager and its metadata carries no owned partitions.
      ownedPartitions: [],
      ownedGeneration: -1,
      sessionTimeoutMs: this.settings.sessionTimeout,
      rebalanceTimeoutMs: this.settings.rebalanceTimeout,
    };
    this.sim.schedule(this.sim.now + this.cluster.network.latencyMs, () => {
      if (!this.closed) this.cluster.coordinator.join(this.settings.groupId, request, this);
    });
    return pending.promise;
  }

  /** Resolves with this member's assignment for the generation just joined. */
  syncGroup(): Promise<readonly TopicPartition[]> {
    const state = this.sync;
    if (state === null) {
      return Promise.reject(protocolError("UNKNOWN_MEMBER_ID", "SyncGroup without a completed JoinGroup"));
    }
    if (state.error !== null) return Promise.reject(state.error);
    if (state.assignment !== null) return Promise.resolve(state.assignment);
    const waiter = deferred<readonly TopicPartition[]>(this.sim);
    state.waiter = waiter;
    return waiter.promise;
  }

  /** @internal JoinGroup response from the coordinator. */
  onJoinResponse(response: JoinResponse): void {
    const pending = this.pendingJoin;
    if (pending === null || this.closed) return;
    this.pendingJoin = null;
    if (response.error !== null) {
      if (response.error === "UNKNOWN_MEMBER_ID") this.memberId = null;
      pending.reject(protocolError(response.error, response.message));
      return;
    }
    this.memberId = response.memberId;
    this.generationId = response.generation;
    this.leaderId = response.leaderId ?? "";
    this.groupProtocol = response.protocol ?? "";
    if (this.protocolMetadata !== null)
      publishMetadata(this.cluster, this.settings.groupId, response.memberId, this.protocolMetadata);
    const generation = response.generation;
    this.sync = { generation, assignment: null, error: null, waiter: null };
    // The SyncGroup request reaches the coordinator one latency later. The simulated coordinator
    // completes the sync itself; if the group moved on meanwhile (a member joined or left), Kafka
    // would answer this member's SyncGroup with an error, so do the same.
    this.sim.schedule(this.sim.now + this.cluster.network.latencyMs, () => this.checkSync(generation));
    pending.resolve();
  }

  /** @internal SyncGroup response: the assignment for `generation`. */
  onSyncResponse(generation: number, assignment: readonly TopicPartition[]): void {
    const state = this.sync;
    if (this.closed || state === null || state.generation !== generation || state.error !== null) return;
    state.assignment = assignment;
    state.waiter?.resolve(assignment);
    state.waiter = null;
  }

  private checkSync(generation: number): void {
    const state = this.sync;
    if (state === null || state.generation !== generation || state.assignment !== null) return;
    const group = this.cluster.coordinator.state(this.settings.groupId);
    let error: LogErrorCode | null = null;
    if (group === undefined || this.memberId === null || !group.members.has(this.memberId))
      error = "UNKNOWN_MEMBER_ID";
    else if (group.generation !== generation) error = "ILLEGAL_GENERATION";
    else if (group.phase === "PreparingRebalance") error = "REBALANCE_IN_PROGRESS";
    if (error === null) return;
    const failure = protocolError(
      error,
      `SyncGroup for generation ${generation} of group ${this.settings.groupId}`,
    );
    this.sim.schedule(this.sim.now + this.cluster.network.latencyMs, () => {
      if (this.sync !== state || state.assignment !== null) return;
      state.error = failure;
      state.waiter?.reject(failure);
      state.waiter = null;
    });
  }

  /**
   * Sends a heartbeat; rejects with REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, …
   * Its round trip is background: an idle member's heartbeats are not work (`run()` returns, an
   * auto runner parks), but a rebalance they reveal is (the rejoin is foreground).
   */
  heartbeat(): Promise<void> {
    const who = this.identity();
    return this.request("heartbeat", [], () => {
      const error = this.cluster.coordinator.heartbeat(this.settings.groupId, who);
      if (error !== null)
        throw new LogError(error, `Heartbeat of member ${who.memberId} in group ${this.settings.groupId}`);
    });
  }

  /**
   * Commits offsets with this member's identity (OffsetCommit). Negative offsets (kafkajs' -1/-2
   * "default offsets") cannot be stored by the native coordinator; they clear the committed offset
   * instead, which consumers read back the same way: as no valid offset.
   */
  commit(topics: readonly TopicOffsets[]): Promise<void> {
    const who = this.identity();
    const offsets: { topic: string; partition: number; offset: number; metadata?: string }[] = [];
    const cleared: TopicPartition[] = [];
    for (const { topic, partitions } of topics) {
      for (const { partition, offset, metadata } of partitions as (PartitionOffset & {
        metadata?: string | null;
      })[]) {
        const n = Number(offset);
        if (n < 0) cleared.push({ topic, partition });
        else if (typeof metadata === "string") offsets.push({ topic, partition, offset: n, metadata });
        else offsets.push({ topic, partition, offset: n });
      }
    }
    return this.request("commit", [...offsets, ...cleared], () => {
      this.cluster.coordinator.commit(this.settings.groupId, who, offsets);
      if (cleared.length > 0) this.cluster.coordinator.deleteOffsets(this.settings.groupId, cleared);
    });
  }

  /** Sends LeaveGroup and forgets the member id; resolves after the round trip. */
  async leave(): Promise<void> {
    const memberId = this.memberId;
    if (memberId === null) return;
    this.memberId = null;
    await this.request(null, [], () =>
      this.cluster.coordinator.leave(this.settings.groupId, memberId, "leave"),
    );
  }

  /** Stops answering: late responses are ignored. */
  close(): void {
    this.closed = true;
    this.pendingJoin = null;
    this.sync = null;
  }

  private identity() {
    return { memberId: this.memberId ?? "", generation: this.generationId, groupInstanceId: null };
  }

  /**
   * One request/response round trip. The broker side runs when the request arrives; its error (a
   * thrown LogError) becomes the response's error. Requests the fault hook drops time out after
   * `requestTimeout` with KafkaJSRequestTimeoutError.
   */
  private request(kind: RequestKind | null, partitions: TopicPartition[], broker: () => void): Promise<void> {
    const sim = this.sim;
    const network = this.cluster.network;
    const done = deferred<void>(sim);
    const sentAt = sim.now;
    const fault =
      kind === null
        ? null
        : network.decide({
            kind,
            requestId: network.requestId(),
            clientId: this.settings.clientId,
            sentAt,
            partitions,
            attempt: 0,
            groupId: this.settings.groupId,
          });
    // Heartbeats are an idle loop's requests: background timers. Everything else is work.
    const background = kind === "heartbeat";
    const at = (time: number, fn: () => void): number =>
      background ? sim.scheduleBackground(time, fn) : sim.schedule(time, fn);
    const timeout = at(sentAt + this.settings.requestTimeout, () =>
      done.reject(
        new KafkaJSRequestTimeoutError(`Request ${kind ?? "LeaveGroup"} timed out`, {
          broker: "brokerlab:0",
          createdAt: sentAt,
          sentAt,
        }),
      ),
    );
    if (fault?.dropRequest) return done.promise;
    at(sim.now + network.latencyMs + (fault?.requestDelayMs ?? 0), () => {
      let error: unknown = null;
      try {
        broker();
      } catch (e) {
        error = e;
      }
      if (fault?.dropResponse) return;
      at(sim.now + network.latencyMs + (fault?.responseDelayMs ?? 0), () => {
        sim.cancel(timeout);
        if (error === null) done.resolve();
        else done.reject(error instanceof KafkaJSProtocolError ? error : toKafkaJSError(error));
      });
    });
    return done.promise;
  }
}
