import type { EventBus } from "../scheduler/event-bus.js";
import { PartitionLog } from "./partition-log.js";
import type { Sizer } from "./sizer.js";
import type { TopicConfig } from "./topic-config.js";

/**
 * A topic: a name, a configuration shared by its partitions, and the partitions themselves.
 * Partitions can be added, never removed; a deleted topic's partitions refuse reads and writes.
 *
 * @example
 * ```ts
 * const topic = cluster.topic("orders");
 * topic.partitionCount; // 3
 * topic.partitions[0].logEndOffset;
 * ```
 */
export class Topic {
  readonly name: string;
  /** A stable id per cluster (Kafka's topic id), distinguishing a recreated topic from the old one. */
  readonly id: number;
  /** Live configuration; replaced wholesale by `alterTopicConfig`. */
  config: TopicConfig;
  readonly partitions: PartitionLog[] = [];
  /** Virtual time of creation. */
  readonly createdAt: number;
  private readonly clock: () => number;
  private readonly bus: EventBus | null;
  private readonly sizer: Sizer | undefined;

  /** @internal Created by the cluster. */
  constructor(
    name: string,
    id: number,
    partitions: number,
    config: TopicConfig,
    clock: () => number,
    bus: EventBus | null,
    sizer?: Sizer,
  ) {
    this.name = name;
    this.id = id;
    this.config = config;
    this.clock = clock;
    this.bus = bus;
    this.sizer = sizer;
    this.createdAt = clock();
    this.grow(partitions);
  }

  /** Number of partitions. */
  get partitionCount(): number {
    return this.partitions.length;
  }

  /** @internal Adds partitions up to `total`. */
  grow(total: number): void {
    for (let p = this.partitions.length; p < total; p++) {
      this.partitions.push(
        new PartitionLog(this.name, p, this.config, {
          clock: this.clock,
          bus: this.bus,
          ...(this.sizer === undefined ? {} : { sizer: this.sizer }),
        }),
      );
    }
  }

  /** @internal Replaces the configuration of the topic and all its partitions. */
  setConfig(config: TopicConfig): void {
    this.config = config;
    for (const partition of this.partitions) partition.config = config;
  }

  /** @internal Marks every partition deleted. */
  markDeleted(): void {
    for (const partition of this.partitions) partition.deleted = true;
  }
}
