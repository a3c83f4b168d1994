/**
 * kafkajs' `SubscriptionState` (`src/consumer/subscriptionState.js`): the partitions assigned to a
 * consumer and which of them the application paused. Pausing a whole topic (`partitions`
 * omitted) and resuming single partitions of it combine as in kafkajs. Partition lists are sorted
 * the way kafkajs sorts them, with `Array.prototype.sort`'s default (string) order, so partition 10
 * comes before 2 in events such as GROUP_JOIN's `memberAssignment`.
 */

import type { TopicPartitions } from "./types.js";

interface PauseState {
  paused: Set<number>;
  pauseAll: boolean;
  resumed: Set<number>;
}

/**
 * Assigned and paused partitions of one consumer.
 *
 * @example
 * ```ts
 * const state = new SubscriptionState();
 * state.assign([{ topic: "t", partitions: [0, 1] }]);
 * state.pause([{ topic: "t", partitions: [1] }]);
 * state.active(); // [{ topic: "t", partitions: [0] }]
 * ```
 */
export class SubscriptionState {
  private assignedByTopic = new Map<string, number[]>();
  private readonly pauses = new Map<string, PauseState>();

  /** Replaces the assignment (pauses are kept, as in kafkajs). */
  assign(topicPartitions: readonly TopicPartitions[]): void {
    this.assignedByTopic = new Map(topicPartitions.map(({ topic, partitions }) => [topic, [...partitions]]));
  }

  /** Pauses partitions, or whole topics when `partitions` is omitted. */
  pause(topicPartitions: readonly { topic: string; partitions?: number[] }[]): void {
    for (const { topic, partitions } of topicPartitions) {
      const state = this.stateOf(topic);
      if (partitions === undefined) {
        state.paused.clear();
        state.resumed.clear();
        state.pauseAll = true;
      } else {
        for (const p of partitions) {
          state.paused.add(p);
          state.resumed.delete(p);
        }
        state.pauseAll = false;
      }
    }
  }

  /** Resumes partitions, or whole topics when `partitions` is omitted. */
  resume(topicPartitions: readonly { topic: string; partitions?: number[] }[]): void {
    for (const { topic, partitions } of topicPartitions) {
      const state = this.stateOf(topic);
      if (partitions === undefined) {
        state.paused.clear();
        state.resumed.clear();
        state.pauseAll = false;
      } else {
        for (const p of partitions) {
          state.paused.delete(p);
          if (state.pauseAll) state.resumed.add(p);
        }
      }
    }
  }

  /** Assigned partitions by topic. */
  assigned(): TopicPartitions[] {
    return [...this.assignedByTopic].map(([topic, partitions]) => ({
      topic,
      partitions: [...partitions].sort(),
    }));
  }

  /** Assigned partitions that are not paused. */
  active(): TopicPartitions[] {
    return [...this.assignedByTopic].map(([topic, partitions]) => ({
      topic,
      partitions: partitions.filter((p) => !this.isPaused(topic, p)).sort(),
    }));
  }

  /** Assigned partitions that are paused (topics without any are left out). */
  paused(): TopicPartitions[] {
    return [...this.assignedByTopic]
      .map(([topic, partitions]) => ({
        topic,
        partitions: partitions.filter((p) => this.isPaused(topic, p)).sort(),
      }))
      .filter(({ partitions }) => partitions.length > 0);
  }

  /** Whether a partition is paused (assigned or not). */
  isPaused(topic: string, partition: number): boolean {
    const state = this.pauses.get(topic);
    if (state === undefined) return false;
    return (state.pauseAll && !state.resumed.has(partition)) || state.paused.has(partition);
  }

  private stateOf(topic: string): PauseState {
    let state = this.pauses.get(topic);
    if (state === undefined) {
      state = { paused: new Set(), pauseAll: false, resumed: new Set() };
      this.pauses.set(topic, state);
    }
    return state;
  }
}
