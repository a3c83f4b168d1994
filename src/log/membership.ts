import type { RepeatingHandle } from "../scheduler/simulation.js";
import type { Assignor, TopicPartition } from "./assignors/types.js";
import type { LogCluster } from "./cluster.js";
import { LogError, type LogErrorCode } from "./errors.js";
import type { JoinResponse, MemberLink } from "./group-coordinator.js";
import { backgroundAt } from "./timers.js";
import "./events.js";

/**
 * The client half of the group protocol for one consumer (Kafka's `AbstractCoordinator` /
 * `ConsumerCoordinator` plus the heartbeat thread): sends JoinGroup, receives the join and sync
 * responses in the background, heartbeats every `heartbeat.interval.ms`, and notices when the
 * application stopped polling for `max.poll.interval.ms` (then a dynamic member leaves the group,
 * as Java's heartbeat thread does). It only records what happened; the consumer acts on it at its
 * next poll (rebalance callbacks run inside poll, as in Java).
 */

/** Settings the membership needs from its consumer. */
export interface MembershipSettings {
  readonly groupId: string;
  readonly clientId: string;
  readonly groupInstanceId: string | null;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly maxPollIntervalMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly assignors: readonly Assignor[];
}

/**
 * Where the member is in the protocol. `joining` covers both halves of a rebalance: the JoinGroup
 * in flight, then (once its response arrived, see {@link GroupMembership.awaitingSync}) the
 * SyncGroup.
 */
export type JoinState = "unjoined" | "joining" | "stable";

/**
 * Group membership of one consumer.
 *
 * @example
 * ```ts
 * consumer.membership?.memberId; // "consumer-1-1"
 * ```
 */
export class GroupMembership implements MemberLink {
  readonly settings: MembershipSettings;
  private readonly cluster: LogCluster;
  memberId = "";
  generation = -1;
  protocol: string | null = null;
  joinState: JoinState = "unjoined";
  /**
   * Joining, the JoinGroup response received, the SyncGroup not yet answered (Java's
   * COMPLETING_REBALANCE). Heartbeats run meanwhile, as Java's heartbeat thread does.
   */
  awaitingSync = false;
  /** The consumer must (re)join at its next poll. */
  rejoinNeeded = true;
  /** The member lost its membership (removed by the coordinator, or left after a poll timeout). */
  lost = false;
  /** Why the membership was lost, for error messages. */
  lostReason: string | null = null;
  /** An assignment received but not yet applied by poll. */
  pendingAssignment: { generation: number; partitions: readonly TopicPartition[] } | null = null;
  /** A fatal error to throw from the next poll (fenced instance, inconsistent protocol, …). */
  fatal: LogError | null = null;
  /** Called whenever something arrives that the next poll must act on (wakes long polls). */
  onChange: (() => void) | null = null;
  private heartbeatTimer: RepeatingHandle | null = null;
  private pollTimer: RepeatingHandle | null = null;
  private lastPollAt: number;
  private stopped = false;

  constructor(cluster: LogCluster, settings: MembershipSettings) {
    this.cluster = cluster;
    this.settings = settings;
    this.lastPollAt = cluster.sim.now;
  }

  /** True while the member holds a generation the coordinator may still accept. */
  get inGroup(): boolean {
    return this.joinState === "stable" && !this.lost;
  }

  /** Records a poll: resets the `max.poll.interval.ms` timer. */
  polled(): void {
    const sim = this.cluster.sim;
    this.lastPollAt = sim.now;
    if (this.pollTimer === null || !this.pollTimer.active) this.armPollTimer();
  }

  /** Sends a JoinGroup; the coordinator sees it one latency later. */
  join(topics: readonly string[], owned: readonly TopicPartition[], ownedGeneration: number): void {
    const sim = this.cluster.sim;
    this.joinState = "joining";
    this.awaitingSync = false;
    this.rejoinNeeded = false;
    const request = {
      memberId: this.memberId,
      groupInstanceId: this.settings.groupInstanceId,
      clientId: this.settings.clientId,
      assignors: this.settings.assignors,
      topics: [...topics],
      ownedPartitions: owned.map((tp) => ({ topic: tp.topic, partition: tp.partition })),
      ownedGeneration,
      sessionTimeoutMs: this.settings.sessionTimeoutMs,
      rebalanceTimeoutMs: this.settings.rebalanceTimeoutMs,
    };
    sim.schedule(sim.now + this.cluster.network.latencyMs, () => {
      if (!this.stopped) this.cluster.coordinator.join(this.settings.groupId, request, this);
    });
    if (this.heartbeatTimer !== null && !this.heartbeatTimer.active) this.heartbeatTimer.resume();
    if (this.heartbeatTimer === null) {
      this.heartbeatTimer = sim.every(this.settings.heartbeatIntervalMs, () => this.heartbeat(), {
        label: `heartbeat ${this.settings.groupId}/${this.settings.clientId}`,
      });
    }
  }

  /** @internal JoinGroup response. */
  onJoinResponse(response: JoinResponse): void {
    if (this.stopped) return;
    if (response.error !== null) {
      if (response.error === "UNKNOWN_MEMBER_ID") {
        this.memberId = "";
        this.generation = -1;
        this.joinState = "unjoined";
        this.rejoinNeeded = true;
      } else {
        this.joinState = "unjoined";
        this.fatal = new LogError(
          response.error,
          `Consumer ${this.settings.clientId} could not join group ${this.settings.groupId}: ${response.message}`,
          {
            groupId: this.settings.groupId,
          },
        );
      }
      this.changed();
      return;
    }
    this.memberId = response.memberId;
    this.generation = response.generation;
    this.protocol = response.protocol;
    this.awaitingSync = this.joinState === "joining";
  }

  /** @internal SyncGroup response: the assignment for `generation`. */
  onSyncResponse(generation: number, assignment: readonly TopicPartition[], protocol: string | null): void {
    if (this.stopped || generation !== this.generation || !this.awaitingSync) return;
    this.protocol = protocol;
    this.joinState = "stable";
    this.awaitingSync = false;
    this.pendingAssignment = { generation, partitions: assignment };
    this.changed();
  }

  /**
   * @internal SyncGroup refused (Java's `SyncGroupResponseHandler`): the group began another
   * rebalance, or the member lost its generation or membership. Rejoin at the next poll; keep the
   * generation on REBALANCE_IN_PROGRESS (owned partitions stay valid), lose the membership on
   * ILLEGAL_GENERATION / UNKNOWN_MEMBER_ID, give up when fenced.
   */
  onSyncError(generation: number, error: LogErrorCode, message: string): void {
    if (this.stopped || generation !== this.generation || !this.awaitingSync) return;
    this.awaitingSync = false;
    this.joinState = "unjoined";
    this.rejoinNeeded = true;
    if (error === "UNKNOWN_MEMBER_ID" || error === "ILLEGAL_GENERATION") {
      this.lost = true;
      this.lostReason = `the coordinator refused its SyncGroup: ${message}`;
    } else if (error === "FENCED_INSTANCE_ID") {
      this.fatal = new LogError("FENCED_INSTANCE_ID", `Consumer ${this.settings.clientId}: ${message}`, {
        groupId: this.settings.groupId,
      });
    }
    this.changed();
  }

  /** Leaves the group (LeaveGroup; static members do not send it). */
  leave(reason: "leave" | "poll-timeout"): void {
    if (this.memberId === "" || this.settings.groupInstanceId !== null) return;
    const sim = this.cluster.sim;
    const memberId = this.memberId;
    sim.schedule(sim.now + this.cluster.network.latencyMs, () =>
      this.cluster.coordinator.leave(this.settings.groupId, memberId, reason),
    );
  }

  /** Forgets the membership after it was lost; the next join is as a new member (static members keep their instance id). */
  reset(): void {
    this.memberId = "";
    this.generation = -1;
    this.joinState = "unjoined";
    this.awaitingSync = false;
    this.lost = false;
    this.lostReason = null;
    this.pendingAssignment = null;
    this.rejoinNeeded = true;
  }

  /** Stops heartbeats and timers (close, crash). */
  stop(): void {
    this.stopped = true;
    this.heartbeatTimer?.stop();
    this.pollTimer?.stop();
  }

  private heartbeat(): void {
    if (this.stopped || (this.joinState !== "stable" && !this.awaitingSync) || this.lost) return;
    const sim = this.cluster.sim;
    const network = this.cluster.network;
    const groupId = this.settings.groupId;
    const who = {
      memberId: this.memberId,
      generation: this.generation,
      groupInstanceId: this.settings.groupInstanceId,
    };
    const fault = network.decide({
      kind: "heartbeat",
      requestId: network.requestId(),
      clientId: this.settings.clientId,
      sentAt: sim.now,
      partitions: [],
      attempt: 0,
      groupId,
    });
    if (fault.dropRequest) return;
    sim.schedule(sim.now + network.latencyMs + fault.requestDelayMs, () => {
      const error = this.cluster.coordinator.heartbeat(groupId, who);
      if (fault.dropResponse) return;
      sim.schedule(sim.now + network.latencyMs + fault.responseDelayMs, () =>
        this.onHeartbeatResponse(error, who.generation),
      );
    });
  }

  private onHeartbeatResponse(error: string | null, generation: number): void {
    if (this.stopped || error === null || generation !== this.generation) return;
    if (error === "REBALANCE_IN_PROGRESS") {
      // A JoinGroup already on its way takes part in that rebalance: nothing to do.
      if (this.joinState === "joining" && !this.awaitingSync) return;
      if (this.awaitingSync) {
        // The group moved on before the SyncGroup completed (its answer says the same): rejoin.
        this.awaitingSync = false;
        this.joinState = "unjoined";
      }
      this.rejoinNeeded = true;
    } else if (error === "UNKNOWN_MEMBER_ID" || error === "ILLEGAL_GENERATION") {
      this.lost = true;
      this.lostReason = `the coordinator answered a heartbeat with ${error} (the member was removed from the group)`;
    } else if (error === "FENCED_INSTANCE_ID") {
      this.fatal = new LogError(
        "FENCED_INSTANCE_ID",
        `Consumer ${this.settings.clientId}: another consumer joined group ${this.settings.groupId} with group.instance.id ${this.settings.groupInstanceId}; this one is fenced.`,
        {
          groupId: this.settings.groupId,
        },
      );
    }
    this.changed();
  }

  private armPollTimer(): void {
    const sim = this.cluster.sim;
    this.pollTimer = backgroundAt(
      sim,
      this.lastPollAt + this.settings.maxPollIntervalMs,
      () => this.checkPollInterval(),
      `max.poll.interval ${this.settings.clientId}`,
    );
  }

  private checkPollInterval(): void {
    if (this.stopped) return;
    const now = this.cluster.sim.now;
    if (now - this.lastPollAt < this.settings.maxPollIntervalMs) {
      this.armPollTimer();
      return;
    }
    if (this.joinState === "unjoined" || this.lost) return;
    // Java's heartbeat thread: the application is stuck, so leave and let others take over.
    this.lost = true;
    this.lostReason = `the consumer did not poll within max.poll.interval.ms (${this.settings.maxPollIntervalMs} ms) and left the group`;
    if (this.settings.groupInstanceId === null) this.leave("poll-timeout");
    else this.heartbeatTimer?.stop(); // static members go by session timeout
    this.changed();
  }

  private changed(): void {
    this.onChange?.();
  }
}
