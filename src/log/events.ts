import type { TopicPartition } from "./assignors/types.js";

/**
 * Events of the log model on `sim.bus`. Every payload is plain JSON-friendly data, built only
 * when `sim.bus.wants(type)` says someone listens.
 *
 * @example
 * ```ts
 * sim.bus.on("group.rebalance", ({ groupId, generation, reason }) => console.log(groupId, generation, reason));
 * ```
 */
declare module "../scheduler/event-bus.js" {
  interface BrokerlabEvents {
    /** A topic was created. */
    "log.topic-created": { topic: string; partitions: number };
    /** A topic was deleted with all its records. */
    "log.topic-deleted": { topic: string };
    /** Partitions were added to a topic (keys now hash differently). */
    "log.partitions-added": { topic: string; from: number; to: number };
    /** Records were appended to a partition: offsets `baseOffset .. baseOffset + count - 1`. */
    "log.append": {
      topic: string;
      partition: number;
      baseOffset: number;
      count: number;
      producerId: number;
      sequence: number;
    };
    /** An idempotent producer's retry was recognized as a duplicate and answered with the original offsets. */
    "log.duplicate": {
      topic: string;
      partition: number;
      producerId: number;
      sequence: number;
      baseOffset: number;
    };
    /** The broker refused a produce batch. */
    "log.append-rejected": { topic: string; partition: number; producerId: number; code: string };
    /** The active segment was rolled. */
    "log.segment-rolled": { topic: string; partition: number; baseOffset: number };
    /** Retention deleted whole segments; `logStartOffset` is the new start. */
    "log.retention": {
      topic: string;
      partition: number;
      segments: number;
      records: number;
      logStartOffset: number;
    };
    /** The cleaner compacted a partition. */
    "log.compaction": { topic: string; partition: number; removed: number; tombstonesRemoved: number };
    /** A consumer read records. */
    "log.fetch": {
      clientId: string;
      groupId: string | null;
      topic: string;
      partition: number;
      fromOffset: number;
      count: number;
      nextOffset: number;
    };
    /** A consumer's position was reset by `auto.offset.reset`. */
    "log.offset-reset": {
      clientId: string;
      topic: string;
      partition: number;
      offset: number;
      policy: string;
      reason: "no-committed-offset" | "out-of-range";
    };
    /** A consumer seeked. */
    "log.seek": { clientId: string; topic: string; partition: number; offset: number };
    /** Offsets were committed for a group. */
    "log.commit": {
      groupId: string;
      memberId: string;
      generation: number;
      offsets: { topic: string; partition: number; offset: number }[];
      auto: boolean;
    };
    /** The coordinator refused a commit. */
    "log.commit-failed": {
      groupId: string;
      memberId: string;
      generation: number;
      code: string;
      auto: boolean;
    };
    /** A producer accepted a record into its accumulator. */
    "producer.send": { clientId: string; topic: string; partition: number };
    /** A produce request left the producer. */
    "producer.request": {
      clientId: string;
      requestId: number;
      batches: { topic: string; partition: number; count: number; sequence: number; attempt: number }[];
    };
    /** A produce batch will be retried. */
    "producer.retry": {
      clientId: string;
      topic: string;
      partition: number;
      attempt: number;
      reason: string;
      sequence: number;
    };
    /** A produce request got no response within `request.timeout.ms`; its outcome is unknown. */
    "producer.timeout": { clientId: string; requestId: number; partitions: TopicPartition[] };
    /** A produce batch was acknowledged. */
    "producer.ack": { clientId: string; topic: string; partition: number; baseOffset: number; count: number };
    /** A produce batch failed for good. */
    "producer.error": { clientId: string; topic: string; partition: number; count: number; code: string };
    /** An idempotent producer bumped its epoch after a sequence could not be resolved. */
    "producer.epoch-bump": { clientId: string; producerId: number; epoch: number };
    /** A request met an injected fault. */
    "network.fault": { kind: string; requestId: number; clientId: string; action: string };
    /** A member (re)joined or started joining a group. */
    "group.join": { groupId: string; memberId: string; groupInstanceId: string | null; topics: string[] };
    /** A rebalance started (`PreparingRebalance`). */
    "group.rebalance": { groupId: string; generation: number; reason: string };
    /** A join phase completed: new generation, leader, protocol. */
    "group.generation": {
      groupId: string;
      generation: number;
      protocol: string | null;
      leaderId: string | null;
      members: string[];
    };
    /** The coordinator's assignment for one member in a generation. */
    "group.assign": { groupId: string; generation: number; memberId: string; partitions: TopicPartition[] };
    /** The group reached `Stable`. */
    "group.stable": { groupId: string; generation: number };
    /** A member left or was removed. */
    "group.member-removed": {
      groupId: string;
      memberId: string;
      reason: "leave" | "session-timeout" | "poll-timeout" | "rebalance-timeout" | "fenced";
    };
    /** A transactional id's coordinator state changed (Kafka's TransactionMetadata transitions). */
    "txn.transition": {
      transactionalId: string;
      producerId: number;
      epoch: number;
      from: string;
      to: string;
      reason: string;
    };
    /** A transaction marker (control record) took an offset in a partition. */
    "txn.marker": {
      transactionalId: string;
      producerId: number;
      topic: string;
      partition: number;
      offset: number;
      result: "commit" | "abort";
    };
    /** The coordinator (or a broker verifying a transactional produce) refused a request. */
    "txn.rejected": {
      transactionalId: string;
      request: string;
      producerId: number;
      epoch: number;
      code: string;
    };
    /** Consumed offsets were added to a transaction; they count as committed only if it commits. */
    "txn.offsets": {
      transactionalId: string;
      groupId: string;
      producerId: number;
      offsets: { topic: string; partition: number; offset: number }[];
    };
    /** An epoch bump fenced every older incarnation of a transactional id. */
    "txn.fenced": {
      transactionalId: string;
      producerId: number;
      epoch: number;
      reason: "init" | "timeout" | "bump";
    };
    /** A transactional producer crashed at an injected fault point. */
    "producer.crash-point": {
      clientId: string;
      transactionalId: string;
      point: string;
      transaction: number;
      send: number;
    };
    /** A consumer invoked its rebalance listener. */
    "consumer.rebalance-callback": {
      clientId: string;
      groupId: string;
      memberId: string;
      kind: "revoked" | "assigned" | "lost";
      partitions: TopicPartition[];
    };
  }
}
