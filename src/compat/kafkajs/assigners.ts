import { kafkajsRoundRobinAssignor } from "../../log/assignors/kafkajs-roundrobin.js";
import type { Assignor } from "../../log/assignors/types.js";
import { ProtocolReader, ProtocolWriter } from "./codec.js";
import { KafkaJSNotImplemented } from "./errors.js";
import type { Logger } from "./logger.js";
import type { PartitionMetadata } from "./types.js";

/**
 * kafkajs' partition assigners and the consumer protocol's wire structures. The group coordinator
 * of the simulated cluster runs the assignment on the leader's behalf (synchronously), so the
 * facade maps kafkajs' `roundRobin` to the native `kafkajsRoundRobinAssignor`, which reproduces
 * kafkajs' algorithm exactly (members sorted by id, the leader's topics in its subscription order,
 * one counter over all partitions, nobody skipped).
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
 * The native assignors the simulated coordinator runs for a consumer's `partitionAssigners`. Only
 * kafkajs' built-in round robin is available: custom kafkajs assigners are asynchronous and the
 * coordinator assigns synchronously, so they are refused with NOT_SUPPORTED rather than ignored.
 *
 * @example
 * ```ts
 * nativeAssignors([PartitionAssigners.roundRobin]); // [kafkajsRoundRobinAssignor]
 * ```
 */
export function nativeAssignors(list: readonly unknown[]): Assignor[] {
  return list.map((assigner, i) => {
    if (assigner === roundRobin) return kafkajsRoundRobinAssignor;
    throw new KafkaJSNotImplemented(
      `consumer: partitionAssigners[${i}] is a custom assigner; the simulated coordinator runs assignments synchronously and supports only PartitionAssigners.roundRobin (kafkajs' default). Use the native brokerlab consumer with a custom Assignor for other strategies.`,
    );
  });
}
