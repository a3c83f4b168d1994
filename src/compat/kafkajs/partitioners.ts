import { kafkajsLegacyMurmur2, murmur2, toPositive } from "../../log/murmur2.js";
import { isBytes, utf8Buffer } from "./codec.js";
import type { Message, PartitionMetadata } from "./types.js";

/**
 * kafkajs 2.x's partitioners (`src/producer/partitioners`), line for line: an explicit
 * `message.partition` wins (returned as given, even out of range — the broker refuses it then);
 * a key (anything but null/undefined, so `""` is a key) hashes to
 * `toPositive(murmur2(key)) % partitionCount` over all partitions; keyless messages round-robin
 * over partitions that have a leader, from a per-topic counter that starts at a random 32-bit value.
 * kafkajs draws that start from `crypto`; here it comes from the producer's seeded stream, so a run
 * is reproducible.
 */

/** What a partitioner is called with (kafkajs' `PartitionerArgs`). */
export interface PartitionerArgs {
  topic: string;
  partitionMetadata: PartitionMetadata[];
  message: Message;
}

/** A partitioner instance: one per producer. */
export type Partitioner = (args: PartitionerArgs) => number;

/**
 * kafkajs' `ICustomPartitioner`: a factory called once per producer. The facade passes its
 * built-in partitioners a seeded `pickInt`; custom factories are called with no argument, as
 * kafkajs does.
 */
export type ICustomPartitioner = (options?: { pickInt?: (bound: number) => number }) => Partitioner;

/** Without a seeded source (a partitioner used outside the facade) counters start at 0. */
const fromZero = () => 0;

function kafkajsPartitioner(hash: (bytes: Uint8Array) => number): ICustomPartitioner {
  return (options = {}) => {
    const pickInt = options.pickInt ?? fromZero;
    const counters = new Map<string, number>();
    return ({ topic, partitionMetadata, message }) => {
      let counter = counters.get(topic);
      if (counter === undefined) {
        // kafkajs reads a random uint32; only the low 31 bits survive toPositive.
        counter = pickInt(0x80000000);
        counters.set(topic, counter);
      }
      const numPartitions = partitionMetadata.length;
      if (message.partition !== null && message.partition !== undefined) return message.partition;
      if (message.key !== null && message.key !== undefined) {
        const key = message.key as unknown;
        const bytes = isBytes(key) ? key : utf8Buffer(String(key));
        return toPositive(hash(bytes)) % numPartitions;
      }
      counter += 1;
      counters.set(topic, counter);
      const available = partitionMetadata.filter((p) => p.leader >= 0);
      if (available.length > 0) return available[toPositive(counter) % available.length]!.partitionId;
      return toPositive(counter) % numPartitions;
    };
  };
}

/**
 * kafkajs 2.x's default partitioner (Java-compatible murmur2).
 *
 * @example
 * ```ts
 * kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
 * ```
 */
export const DefaultPartitioner: ICustomPartitioner = kafkajsPartitioner(murmur2);

/**
 * kafkajs' pre-2.0 partitioner, whose murmur2 does not wrap like Java's: keyed messages land on
 * other partitions than a Java producer would choose.
 *
 * @example
 * ```ts
 * kafka.producer({ createPartitioner: Partitioners.LegacyPartitioner });
 * ```
 */
export const LegacyPartitioner: ICustomPartitioner = kafkajsPartitioner(kafkajsLegacyMurmur2);

/**
 * kafkajs' `Partitioners` export (`JavaCompatiblePartitioner` is the deprecated name of the default).
 *
 * @example
 * ```ts
 * const partition = Partitioners.DefaultPartitioner()({ topic: "t", partitionMetadata, message: { key: "k", value: "v" } });
 * ```
 */
export const Partitioners = Object.freeze({
  DefaultPartitioner,
  LegacyPartitioner,
  JavaCompatiblePartitioner: DefaultPartitioner,
});

/**
 * True for the facade's own partitioner factories (they take a seeded source).
 *
 * @example
 * ```ts
 * isBuiltInPartitioner(Partitioners.DefaultPartitioner); // true
 * ```
 */
export function isBuiltInPartitioner(factory: unknown): boolean {
  return factory === DefaultPartitioner || factory === LegacyPartitioner;
}
