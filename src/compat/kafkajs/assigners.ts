import { kafkajsRoundRobinAssignor } from "../../log/assignors/kafkajs-roundrobin.js";
import type { Assignor } from "../../log/assignors/types.js";
import { jsonShown } from "../shown.js";
import { ProtocolReader, ProtocolWriter } from "./codec.js";
import { type BrokerInfo, type ClientContext, clusterBookkeeping, partitionMetadata } from "./context.js";
import { KafkaJSNonRetriableError } from "./errors.js";
import type { Logger } from "./logger.js";
import type { PartitionMetadata } from "./types.js";

/**
 * kafkajs' partition assigners and the consumer protocol's wire structures. kafkajs' `roundRobin`
 * maps to the native `kafkajsRoundRobinAssignor`, which the simulated coordinator runs and which
 * reproduces kafkajs' algorithm exactly (members sorted by id, the leader's topics in its
 * subscription order, one counter over all partitions, nobody skipped). Custom assigners run where
 * kafkajs runs them: on the group leader's client (see leader-assignment.ts).
 */

/** `MemberMetadata` of the consumer protocol. */
export interface MemberMetadata {
  version: number;
  topics: string[];
  userData: Buffer;
}

/** `MemberAssignment` of the consumer protocol: topic → partitions. */
export interface MemberAssignment {
  version: number;
  assignment: { [topic: string]: number[] };
  userData: Buffer;
}

/**
 * kafkajs' `AssignerProtocol`: encoders for the structures members exchange through the
 * coordinator, byte-compatible with Kafka's consumer protocol v0.
 *
 * @example
 * ```ts
 * const bytes = AssignerProtocol.MemberAssignment.encode({ version: 0, assignment: { orders: [0, 2] } });
 * AssignerProtocol.MemberAssignment.decode(bytes)?.assignment; // { orders: [0, 2] }
 * ```
 */
export const AssignerProtocol = Object.freeze({
  MemberMetadata: {
    encode({
      version,
      topics,
      userData,
    }: {
      version: number;
      topics: string[];
      userData?: Uint8Array;
    }): Buffer {
      return new ProtocolWriter()
        .int16(version)
        .stringArray(topics)
        .bytes(userData ?? new Uint8Array(0))
        .toBuffer();
    },
    decode(buffer: Uint8Array): MemberMetadata {
      const r = new ProtocolReader(buffer);
      const version = r.int16();
      const topics = r.array((x) => x.string());
      return { version, topics, userData: r.bytes() ?? new ProtocolWriter().toBuffer() };
    },
  },
  MemberAssignment: {
    encode({
      version,
      assignment,
      userData,
    }: {
      version: number;
      assignment: { [topic: string]: number[] };
      userData?: Uint8Array;
    }): Buffer {
      const w = new ProtocolWriter().int16(version);
      const topics = Object.keys(assignment);
      w.int32(topics.length);
      for (const topic of topics) w.string(topic).int32Array(assignment[topic] ?? []);
      return w.bytes(userData ?? new Uint8Array(0)).toBuffer();
    },
    decode(buffer: Uint8Array): MemberAssignment | null {
      const r = new ProtocolReader(buffer);
      if (!r.canRead(2)) return null;
      const version = r.int16();
      const assignment: { [topic: string]: number[] } = {};
      for (const { topic, partitions } of r.array((x) => ({
        topic: x.string(),
        partitions: x.array((y) => y.int32()),
      })))
        assignment[topic] = partitions;
      return { version, assignment, userData: r.bytes() ?? new ProtocolWriter().toBuffer() };
    },
  },
});

/** The slice of kafkajs' cluster that an assigner uses. */
export interface AssignerCluster {
  findTopicPartitionMetadata(topic: string): PartitionMetadata[];
}

/** A kafkajs assigner (what a `PartitionAssigner` factory returns). */
export interface Assigner {
  name: string;
  version: number;
  assign(group: {
    members: { memberId: string; memberMetadata: Buffer }[];
    topics: string[];
  }): Promise<{ memberId: string; memberAssignment: Buffer }[]>;
  protocol(subscription: { topics: string[] }): { name: string; metadata: Buffer };
}

/** kafkajs' `PartitionAssigner`: a factory of assigners. */
export type PartitionAssigner = (config: {
  cluster: AssignerCluster;
  groupId: string;
  logger: Logger;
}) => Assigner;

/**
 * kafkajs' `RoundRobinAssigner`, as kafkajs writes it; usable on its own (give it a cluster that
 * knows partition metadata). Consumers of the facade that list it get the equivalent native
 * assignor, run by the simulated coordinator.
 *
 * @example
 * ```ts
 * kafka.consumer({ groupId: "g", partitionAssigners: [PartitionAssigners.roundRobin] });
 * ```
 */
export const roundRobin: PartitionAssigner = ({ cluster }) => ({
  name: "RoundRobinAssigner",
  version: 0,
  async assign({ members, topics }) {
    const sortedMembers = members.map(({ memberId }) => memberId).sort();
    const assignment: Record<string, Record<string, number[]>> = {};
    const topicsPartitions = topics.flatMap((topic) =>
      cluster.findTopicPartitionMetadata(topic).map((m) => ({ topic, partitionId: m.partitionId })),
    );
    topicsPartitions.forEach(({ topic, partitionId }, i) => {
      const assignee = sortedMembers[i % sortedMembers.length]!;
      const byTopic = (assignment[assignee] ??= Object.create(null) as Record<string, number[]>);
      (byTopic[topic] ??= []).push(partitionId);
    });
    return Object.keys(assignment).map((memberId) => ({
      memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({
        version: 0,
        assignment: assignment[memberId]!,
      }),
    }));
  },
  protocol({ topics }) {
    return {
      name: "RoundRobinAssigner",
      metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics }),
    };
  },
});

/**
 * kafkajs' `PartitionAssigners` export.
 *
 * @example
 * ```ts
 * kafka.consumer({ groupId: "g", partitionAssigners: [PartitionAssigners.roundRobin] });
 * ```
 */
export const PartitionAssigners = Object.freeze({ roundRobin });

/**
 * kafkajs' `cluster` argument of an assigner factory, over the simulated cluster: partition
 * metadata as a Metadata response gives it (the broker list is the one kafkajs resolved at its
 * last metadata refresh, which the leader makes before assigning, as kafkajs does).
 *
 * @example
 * ```ts
 * const cluster = assignerCluster(ctx); await cluster.refreshMetadata();
 * cluster.findTopicPartitionMetadata("orders").length; // 3
 * ```
 */
export function assignerCluster(ctx: ClientContext): AssignerCluster & {
  refreshMetadata(): Promise<void>;
  refreshMetadataIfNecessary(): Promise<void>;
} {
  let brokers: BrokerInfo[] | null = null;
  const refreshMetadata = async () => {
    brokers = await ctx.brokers();
  };
  return {
    refreshMetadata,
    refreshMetadataIfNecessary: refreshMetadata,
    findTopicPartitionMetadata(topic: string): PartitionMetadata[] {
      if (brokers === null) {
        throw new KafkaJSNonRetriableError("Topic metadata not loaded", {
          brokerlabCode: "ILLEGAL_STATE",
          details: { topic },
        });
      }
      const cluster = ctx.cluster;
      if (!cluster.hasTopic(topic)) return [];
      const rf = clusterBookkeeping(cluster).replicationFactors.get(topic) ?? 1;
      return partitionMetadata(cluster.topic(topic), brokers, rf);
    },
  };
}

/**
 * A consumer's assigners: what the coordinator runs, and the kafkajs assigners the leader runs.
 *
 * @example
 * ```ts
 * const { assignors, leaderSide } = consumerAssigners([myAssigner], { cluster, groupId: "g", logger });
 * ```
 */
export interface ConsumerAssigners {
  /** Native assignors in preference order (the coordinator selects the group's protocol among them). */
  readonly assignors: Assignor[];
  /** Custom kafkajs assigners by protocol name, run by the leader's client (absent for roundRobin). */
  readonly leaderSide: ReadonlyMap<string, Assigner>;
}

/**
 * A stand-in the coordinator "runs" for a custom kafkajs assigner: it gives nobody anything, as a
 * Kafka broker computes nothing itself — the leader's client runs the kafkajs assigner and sends
 * the assignment with its SyncGroup (see leader-assignment.ts).
 */
function leaderSideAssignor(name: string): Assignor {
  return {
    name,
    rebalanceProtocol: "eager",
    assign: ({ members }) => new Map(members.map((m) => [m.memberId, []])),
  };
}

/**
 * Instantiates a consumer's `partitionAssigners` as kafkajs does (`createAssigner({ cluster,
 * groupId, logger })`). kafkajs' built-in round robin runs natively in the coordinator (the same
 * algorithm); any other assigner runs on the group leader's client, asynchronously, as in kafkajs.
 * An assigner factory that does not return `{ name, version, protocol, assign }` is refused with
 * INVALID_ARGUMENT, as are two assigners with the same name.
 *
 * @example
 * ```ts
 * consumerAssigners([PartitionAssigners.roundRobin], { cluster, groupId: "g", logger }).assignors; // [kafkajsRoundRobinAssignor]
 * ```
 */
export function consumerAssigners(
  list: readonly unknown[],
  config: { cluster: AssignerCluster; groupId: string; logger: Logger },
): ConsumerAssigners {
  const assignors: Assignor[] = [];
  const leaderSide = new Map<string, Assigner>();
  list.forEach((factory, i) => {
    if (factory === roundRobin) {
      assignors.push(kafkajsRoundRobinAssignor);
      return;
    }
    if (typeof factory !== "function") {
      throw new KafkaJSNonRetriableError(
        `consumer: partitionAssigners[${i}] must be an assigner factory ({ cluster, groupId, logger }) => assigner.`,
        { brokerlabCode: "INVALID_ARGUMENT" },
      );
    }
    const assigner = (factory as PartitionAssigner)(config) as Partial<Assigner> | null | undefined;
    if (
      assigner === null ||
      typeof assigner !== "object" ||
      typeof assigner.name !== "string" ||
      assigner.name.length === 0 ||
      typeof assigner.protocol !== "function" ||
      typeof assigner.assign !== "function"
    ) {
      throw new KafkaJSNonRetriableError(
        `consumer: partitionAssigners[${i}] returned no assigner; a kafkajs assigner is { name, version, protocol({ topics }), assign({ members, topics }) }.`,
        { brokerlabCode: "INVALID_ARGUMENT" },
      );
    }
    if (assignors.some((a) => a.name === assigner.name)) {
      throw new KafkaJSNonRetriableError(
        `consumer: two partitionAssigners are named ${jsonShown(assigner.name)}; protocol names must be unique.`,
        { brokerlabCode: "INVALID_ARGUMENT" },
      );
    }
    leaderSide.set(assigner.name, assigner as Assigner);
    assignors.push(leaderSideAssignor(assigner.name));
  });
  return { assignors, leaderSide };
}
