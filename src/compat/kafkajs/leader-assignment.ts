import type { LogCluster } from "../../log/cluster.js";
import { LogError } from "../../log/errors.js";
import { backgroundAt } from "../../log/timers.js";
import type { Simulation } from "../../scheduler/simulation.js";
import { type Assigner, AssignerProtocol } from "./assigners.js";
import { copyBytes, isBytes } from "./codec.js";
import { KafkaJSNonRetriableError, toKafkaJSError } from "./errors.js";

/**
 * Custom kafkajs assigners, run on the group leader's client as kafkajs runs them
 * (`consumerGroup.js` [SYNC]): each member's JoinGroup carries its assigners' protocol metadata
 * (`assigner.protocol({ topics })`); the coordinator picks the group protocol (Kafka's vote among
 * the protocols every member supports) and names a leader; the leader's client runs
 * `assigner.assign({ members, topics })` over every member's metadata and sends the result with
 * its SyncGroup, one network latency later; every member's SyncGroup is answered with its share
 * (empty bytes when the leader gave it nothing, which kafkajs decodes as no partitions).
 *
 * The simulated coordinator keeps group membership and generations; the bytes members exchange
 * through it (metadata up, assignments down) travel here, per cluster and group. A member waiting
 * for the leader's assignment gets REBALANCE_IN_PROGRESS when the group moves to another
 * generation first (the leader crashed or left), as Kafka answers a pending SyncGroup.
 */

interface GroupExchange {
  /** memberId → protocol name → metadata bytes (the member's latest JoinGroup). */
  readonly metadata: Map<string, Map<string, Buffer>>;
  /** generation → memberId → assignment bytes (the leader's SyncGroup). */
  readonly assignments: Map<number, Map<string, Buffer>>;
  /** Members waiting for a generation's assignment. */
  readonly waiters: Set<() => void>;
}

const exchanges = new WeakMap<LogCluster, Map<string, GroupExchange>>();

function exchangeOf(cluster: LogCluster, groupId: string): GroupExchange {
  let groups = exchanges.get(cluster);
  if (groups === undefined) {
    groups = new Map();
    exchanges.set(cluster, groups);
  }
  let exchange = groups.get(groupId);
  if (exchange === undefined) {
    exchange = { metadata: new Map(), assignments: new Map(), waiters: new Set() };
    groups.set(groupId, exchange);
  }
  return exchange;
}

/**
 * Records the protocol metadata a member sent with its JoinGroup.
 *
 * @example
 * ```ts
 * publishMetadata(cluster, "g", memberId, new Map([["MyAssigner", metadata]]));
 * ```
 */
export function publishMetadata(
  cluster: LogCluster,
  groupId: string,
  memberId: string,
  protocols: ReadonlyMap<string, Buffer>,
): void {
  exchangeOf(cluster, groupId).metadata.set(memberId, new Map(protocols));
}

/**
 * The member metadata the coordinator holds for a member and protocol: what its JoinGroup carried,
 * else (a member that never sent any, such as a native consumer) its subscription in the standard
 * encoding.
 *
 * @example
 * ```ts
 * AssignerProtocol.MemberMetadata.decode(memberMetadataOf(cluster, "g", id, "MyAssigner")).topics;
 * ```
 */
export function memberMetadataOf(
  cluster: LogCluster,
  groupId: string,
  memberId: string,
  protocol: string,
): Buffer {
  const bytes = exchangeOf(cluster, groupId).metadata.get(memberId)?.get(protocol);
  if (bytes !== undefined) return bytes;
  const topics = cluster.coordinator.state(groupId)?.members.get(memberId)?.topics ?? [];
  return AssignerProtocol.MemberMetadata.encode({ version: 0, topics: [...topics] });
}

/**
 * The assignment bytes the leader sent for a member in the group's current generation, or
 * undefined (no custom assigner ran for it).
 *
 * @example
 * ```ts
 * leaderAssignmentOf(cluster, "g", memberId); // <Buffer 00 00 …>
 * ```
 */
export function leaderAssignmentOf(
  cluster: LogCluster,
  groupId: string,
  memberId: string,
): Buffer | undefined {
  const generation = cluster.coordinator.state(groupId)?.generation;
  if (generation === undefined) return undefined;
  return exchangeOf(cluster, groupId).assignments.get(generation)?.get(memberId);
}

/**
 * The leader's part of SyncGroup: runs the kafkajs assigner over the generation's members and,
 * one network latency later (its SyncGroup reaching the coordinator), makes the result every
 * member's answer. A throwing assigner or a malformed result rejects (the consumer crashes, as a
 * kafkajs consumer whose assigner throws does).
 *
 * `alive` says whether the leader's client is still running when its SyncGroup would leave.
 *
 * @example
 * ```ts
 * await runLeaderAssignment(sim, cluster, "g", generation, assigner, ["orders"]);
 * ```
 */
export async function runLeaderAssignment(
  sim: Simulation,
  cluster: LogCluster,
  groupId: string,
  generation: number,
  assigner: Assigner,
  topics: readonly string[],
  alive: () => boolean = () => true,
): Promise<void> {
  // The other members' JoinGroup responses, sent at the same instant as the leader's, are handled
  // before this event: their metadata is in place.
  await sim.sleep(0);
  const state = cluster.coordinator.state(groupId);
  if (state === undefined || state.generation !== generation) return;
  // Members that left no longer need their metadata kept.
  const exchangeNow = exchangeOf(cluster, groupId);
  for (const id of [...exchangeNow.metadata.keys()])
    if (!state.members.has(id)) exchangeNow.metadata.delete(id);
  const members = state.joinOrder
    .filter((id) => state.members.has(id))
    .map((memberId) => ({
      memberId,
      memberMetadata: memberMetadataOf(cluster, groupId, memberId, assigner.name),
    }));
  let result: unknown;
  try {
    result = await assigner.assign({ members, topics: [...topics] });
  } catch (error) {
    throw toKafkaJSError(error);
  }
  const shares = new Map<string, Buffer>();
  if (!Array.isArray(result)) {
    throw new KafkaJSNonRetriableError(
      `Assigner ${assigner.name}: assign() must resolve with [{ memberId, memberAssignment }] (memberAssignment from AssignerProtocol.MemberAssignment.encode), got ${typeof result}.`,
      { brokerlabCode: "INVALID_ARGUMENT" },
    );
  }
  for (const entry of result as { memberId?: unknown; memberAssignment?: unknown }[]) {
    if (typeof entry?.memberId !== "string" || !isBytes(entry.memberAssignment)) {
      throw new KafkaJSNonRetriableError(
        `Assigner ${assigner.name}: every entry of assign()'s result must be { memberId: string, memberAssignment: Buffer }.`,
        { brokerlabCode: "INVALID_ARGUMENT" },
      );
    }
    shares.set(entry.memberId, copyBytes(entry.memberAssignment));
  }
  await sim.sleep(cluster.network.latencyMs);
  // A leader that crashed or stopped meanwhile sends nothing; an answer for a generation the group
  // has left behind is refused by the coordinator (and must not replace the current one).
  if (!alive() || cluster.coordinator.state(groupId)?.generation !== generation) return;
  const exchange = exchangeOf(cluster, groupId);
  // Only the latest generation's answers are kept: older ones can no longer be asked for.
  exchange.assignments.clear();
  exchange.assignments.set(generation, shares);
  for (const wake of [...exchange.waiters]) wake();
}

/**
 * A member's SyncGroup answer under a custom assigner: its share of the leader's assignment for
 * `generation`, decoded (topic → partitions; nothing when the leader gave it no bytes, as kafkajs
 * decodes empty bytes). Waits for the leader; rejects with REBALANCE_IN_PROGRESS if the group moves
 * to another generation first.
 *
 * @example
 * ```ts
 * await awaitLeaderAssignment(sim, cluster, "g", generation, memberId); // { orders: [0, 1] }
 * ```
 */
export function awaitLeaderAssignment(
  sim: Simulation,
  cluster: LogCluster,
  groupId: string,
  generation: number,
  memberId: string,
): Promise<{ [topic: string]: number[] }> {
  const exchange = exchangeOf(cluster, groupId);
  const done = sim.deferred<{ [topic: string]: number[] }>();
  let timer: { stop(): void } | null = null;
  const check = (): boolean => {
    const shares = exchange.assignments.get(generation);
    if (shares !== undefined) {
      const bytes = shares.get(memberId);
      const decoded =
        bytes === undefined || bytes.length === 0 ? null : AssignerProtocol.MemberAssignment.decode(bytes);
      done.resolve(decoded?.assignment ?? {});
      return true;
    }
    const state = cluster.coordinator.state(groupId);
    if (state === undefined || state.generation !== generation || !state.members.has(memberId)) {
      done.reject(
        toKafkaJSError(
          new LogError(
            "REBALANCE_IN_PROGRESS",
            `group ${groupId} moved past generation ${generation} before its leader sent the assignment`,
          ),
        ),
      );
      return true;
    }
    return false;
  };
  if (check()) return done.promise;
  // The group moving on is noticed on a slow background poll (a pending SyncGroup is not work).
  const wake = () => {
    if (!check()) return;
    exchange.waiters.delete(wake);
    timer?.stop();
  };
  exchange.waiters.add(wake);
  const poll = () => {
    wake();
    if (exchange.waiters.has(wake))
      timer = backgroundAt(sim, sim.now + 100, poll, `kafkajs sync wait ${memberId}`);
  };
  timer = backgroundAt(sim, sim.now + 100, poll, `kafkajs sync wait ${memberId}`);
  return done.promise;
}

/**
 * The metadata of a member's custom assigners' protocols for its JoinGroup
 * (`assigner.protocol({ topics })` of each), or null without custom assigners. A `protocol()` that
 * returns no bytes is refused with INVALID_ARGUMENT.
 *
 * @example
 * ```ts
 * protocolMetadataOf(new Map([["MyAssigner", assigner]]), ["orders"])?.get("MyAssigner");
 * ```
 */
export function protocolMetadataOf(
  assigners: ReadonlyMap<string, Assigner>,
  topics: readonly string[],
): Map<string, Buffer> | null {
  if (assigners.size === 0) return null;
  const out = new Map<string, Buffer>();
  for (const [name, assigner] of assigners) {
    const { metadata } = assigner.protocol({ topics: [...topics] });
    if (!isBytes(metadata)) {
      throw new KafkaJSNonRetriableError(
        `Assigner ${name}: protocol() must return { name, metadata } with metadata from AssignerProtocol.MemberMetadata.encode.`,
        { brokerlabCode: "INVALID_ARGUMENT" },
      );
    }
    out.set(name, copyBytes(metadata));
  }
  return out;
}
