import PQueue from "p-queue";
import type { Simulation } from "../../scheduler/simulation.js";
import type { FetchedBatch } from "./batch.js";
import { type ConsumerGroup, NODE_ID } from "./consumer-group.js";
import { isKafkaJSError, isRebalancing, toKafkaJSError } from "./errors.js";
import { CONSUMER_EVENTS, type InstrumentationEmitter } from "./events.js";
import type { Logger } from "./logger.js";
import * as history from "./recording.js";
import type { Retrier } from "./retry.js";
import type { EachBatchPayload, EachMessagePayload, Offsets } from "./types.js";

/**
 * kafkajs' `Runner` (`src/consumer/runner.js`): the loop behind `consumer.run`. It fetches, hands
 * each partition's batch to `eachMessage` or `eachBatch` (up to `partitionsConsumedConcurrently`
 * batches at once, through p-queue), resolves offsets as messages succeed, heartbeats between
 * messages (at most every `heartbeatInterval`), and commits after each batch when `autoCommit` is
 * on — or sooner, by `autoCommitInterval` / `autoCommitThreshold`. A rebalance answered to a
 * heartbeat or commit makes it rejoin; any other error is retried by kafkajs' retrier (fetching
 * again from the last resolved offset, so the failing message is redelivered) and, once retries
 * run out, crashes the consumer, which then restarts as kafkajs' consumer does.
 *
 * Everything waits on the simulation: the loop runs unchanged in auto mode and advances only as
 * the clock is driven in manual mode.
 */

/** What the runner needs from `consumer.run`. */
export interface RunnerOptions {
  eachMessage: ((payload: EachMessagePayload) => Promise<void>) | null;
  eachBatch: ((payload: EachBatchPayload) => Promise<void>) | null;
  eachBatchAutoResolve: boolean;
  autoCommit: boolean;
  concurrency: number;
  heartbeatInterval: number;
  onCrash: (error: Error) => Promise<void>;
}

const noop = () => {};

/**
 * The consume loop of one consumer run.
 *
 * @example
 * ```ts
 * const runner = new Runner(sim, group, emitter, logger, retrier, options);
 * await runner.start();
 * ```
 */
export class Runner {
  running = false;
  private dropped = false;
  private stopped = false;
  private consuming = false;
  private consumingStopped: (() => void)[] = [];
  private readonly queue: PQueue | null;

  constructor(
    private readonly sim: Simulation,
    private readonly group: ConsumerGroup,
    private readonly emitter: InstrumentationEmitter,
    private readonly logger: Logger,
    private readonly retrier: Retrier,
    private readonly options: RunnerOptions,
  ) {
    this.queue = options.concurrency > 1 ? new PQueue({ concurrency: options.concurrency }) : null;
  }

  /** Joins the group, then starts the loop; a failure to join crashes the consumer. */
  async start(): Promise<void> {
    if (this.running) return;
    try {
      await this.group.connect();
      await this.group.joinAndSync();
    } catch (error) {
      await this.options.onCrash(toKafkaJSError(error));
      return;
    }
    if (this.stopped) {
      // stop() came while joining: leave at once rather than start a loop nobody owns.
      await this.group.leave().catch(noop);
      return;
    }
    this.running = true;
    this.scheduleFetchManager();
  }

  /** Stops the loop after the batch in hand, then leaves the group. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (!this.running) return;
    this.running = false;
    this.group.wake();
    try {
      await this.waitForConsumer();
      await this.group.leave();
    } catch {
      // kafkajs ignores errors while stopping
    } finally {
      this.group.close();
    }
  }

  /**
   * Stops at once, as a process crash would: no commit, no LeaveGroup, no more heartbeats or
   * fetches; the handler in hand never hears back. The group notices by session timeout.
   */
  drop(): void {
    this.dropped = true;
    this.stopped = true;
    this.running = false;
    this.group.close();
  }

  private setConsuming(value: boolean): void {
    if (this.consuming === value) return;
    this.consuming = value;
    if (!value) {
      const waiters = this.consumingStopped;
      this.consumingStopped = [];
      for (const w of waiters) w();
    }
  }

  private waitForConsumer(): Promise<void> {
    if (!this.consuming) return Promise.resolve();
    const done = this.sim.deferred<void>();
    this.consumingStopped.push(() => done.resolve());
    return done.promise;
  }

  private scheduleFetchManager(): void {
    if (!this.running) {
      this.setConsuming(false);
      this.logger.info("consumer not running, exiting", { groupId: this.group.groupId });
      return;
    }
    this.setConsuming(true);
    this.retrier(async (bail) => {
      if (!this.running) return;
      try {
        await this.fetchLoop();
      } catch (error) {
        const e = toKafkaJSError(error);
        if (isRebalancing(e)) {
          this.logger.warn("The group is rebalancing, re-joining", {
            groupId: this.group.groupId,
            error: e.message,
          });
          this.emitter.emit(CONSUMER_EVENTS.REBALANCING, {
            groupId: this.group.groupId,
            memberId: this.group.memberId,
          });
          await this.group.joinAndSync();
          return;
        }
        if ((e as { type?: unknown }).type === "UNKNOWN_MEMBER_ID") {
          this.logger.error("The coordinator is not aware of this member, re-joining the group", {
            groupId: this.group.groupId,
          });
          this.group.membership.memberId = null;
          await this.group.joinAndSync();
          return;
        }
        if (e.name === "KafkaJSNotImplemented") {
          bail(e);
          return;
        }
        this.logger.debug("Error while scheduling fetch manager, trying again...", {
          groupId: this.group.groupId,
          error: e.message,
        });
        throw e;
      }
    }).then(
      () => this.scheduleFetchManager(),
      (error: unknown) => {
        // A dropped consumer is dead: nothing of it restarts.
        if (this.dropped) return;
        const crash = this.options.onCrash(toKafkaJSError(error));
        this.setConsuming(false);
        this.running = false;
        crash.catch(noop);
      },
    );
  }

  private async fetchLoop(): Promise<void> {
    while (this.running) {
      const batches = await this.fetch();
      if (!this.running || batches.length === 0) continue;
      if (this.queue === null) {
        for (const batch of batches) await this.handleBatch(batch);
      } else {
        const queue = this.queue;
        const results = await Promise.allSettled(
          batches.map((batch) => queue.add(() => this.handleBatch(batch))),
        );
        const rejected = results.find((r) => r.status === "rejected");
        if (rejected !== undefined) throw (rejected as PromiseRejectedResult).reason;
      }
    }
  }

  private async fetch(): Promise<FetchedBatch[]> {
    if (!this.running) return [];
    const start = this.sim.now;
    this.emitter.emit(CONSUMER_EVENTS.FETCH_START, { nodeId: NODE_ID });
    const batches = await this.group.fetch();
    this.emitter.emit(CONSUMER_EVENTS.FETCH, {
      numberOfBatches: 0,
      duration: this.sim.now - start,
      nodeId: NODE_ID,
    });
    if (batches.length === 0) await this.heartbeat();
    return batches;
  }

  /** kafkajs' runner heartbeat: on a rebalance, commit what is resolved first, then rejoin. */
  private async heartbeat(): Promise<void> {
    try {
      await this.group.heartbeat(this.options.heartbeatInterval);
    } catch (error) {
      if (isRebalancing(error)) await this.autoCommitOffsets();
      throw error;
    }
  }

  private async autoCommitOffsets(): Promise<void> {
    if (this.options.autoCommit) await this.group.commitOffsets();
  }

  private async autoCommitOffsetsIfNecessary(): Promise<void> {
    if (this.options.autoCommit) await this.group.commitOffsetsIfNecessary();
  }

  /**
   * `consumer.commitOffsets`: retried as kafkajs retries it; ignored once the consumer stopped.
   */
  commitOffsets(retrier: Retrier, offsets: Offsets): Promise<void> {
    if (!this.running) {
      this.logger.debug("consumer not running, exiting", { groupId: this.group.groupId });
      return Promise.resolve();
    }
    return retrier(async (bail) => {
      try {
        await this.group.commitOffsets(offsets);
      } catch (error) {
        const e = toKafkaJSError(error);
        if (!this.running) return;
        if (e.name === "KafkaJSNotImplemented") {
          bail(e);
          return;
        }
        throw e;
      }
    });
  }

  private batchPayload(batch: FetchedBatch) {
    return {
      topic: batch.topic,
      partition: batch.partition,
      highWatermark: batch.highWatermark,
      offsetLag: batch.offsetLag(),
      offsetLagLow: batch.offsetLagLow(),
      batchSize: batch.messages.length,
      firstOffset: batch.firstOffset(),
      lastOffset: batch.lastOffset(),
    };
  }

  private async handleBatch(batch: FetchedBatch): Promise<void> {
    if (!this.running) return;
    const start = this.sim.now;
    const wantsEvents =
      this.emitter.wants(CONSUMER_EVENTS.START_BATCH_PROCESS) ||
      this.emitter.wants(CONSUMER_EVENTS.END_BATCH_PROCESS);
    const payload = wantsEvents ? this.batchPayload(batch) : null;
    if (batch.isEmptyDueToFiltering()) {
      // Only records the consumer never sees (transaction markers): move past them all the same.
      this.emitter.emit(CONSUMER_EVENTS.START_BATCH_PROCESS, payload);
      this.group.resolveOffset(batch.topic, batch.partition, Number(batch.lastOffset()));
      await this.autoCommitOffsetsIfNecessary();
      this.emitter.emit(
        CONSUMER_EVENTS.END_BATCH_PROCESS,
        payload && { ...payload, duration: this.sim.now - start },
      );
      await this.heartbeat();
      return;
    }
    if (batch.isEmpty()) {
      await this.heartbeat();
      return;
    }
    this.emitter.emit(CONSUMER_EVENTS.START_BATCH_PROCESS, payload);
    if (this.options.eachMessage !== null) await this.processEachMessage(batch);
    else if (this.options.eachBatch !== null) await this.processEachBatch(batch);
    this.emitter.emit(
      CONSUMER_EVENTS.END_BATCH_PROCESS,
      payload && { ...payload, duration: this.sim.now - start },
    );
    await this.autoCommitOffsets();
    await this.heartbeat();
  }

  private pauseFor(topic: string, partition: number): () => () => void {
    return () => {
      this.group.pause([{ topic, partitions: [partition] }]);
      return () => this.group.resume([{ topic, partitions: [partition] }]);
    };
  }

  private async processEachMessage(batch: FetchedBatch): Promise<void> {
    const { topic, partition } = batch;
    const eachMessage = this.options.eachMessage!;
    const pause = this.pauseFor(topic, partition);
    const heartbeat = () => this.heartbeat();
    for (const message of batch.messages) {
      if (!this.running || this.group.hasSeekOffset(topic, partition)) break;
      // A zero-delay event per message tells the simulation the consumer is still busy, so in
      // manual mode virtual time does not move in the middle of a batch.
      this.sim.defer(noop);
      if (history.recording(this.sim)) {
        history.received(
          this.sim,
          this.group.clientId,
          topic,
          partition,
          message,
          this.group.settings.readCommitted,
        );
      }
      try {
        await eachMessage({ topic, partition, message, heartbeat, pause });
      } catch (error) {
        // The batch is fetched again from the last resolved offset: positions start afresh.
        if (history.recording(this.sim))
          history.event(this.sim, this.group.clientId, "seek", { topic, partition });
        if (!isKafkaJSError(error)) {
          this.logger.error("Error when calling eachMessage", {
            topic,
            partition,
            offset: message.offset,
            error: (error as Error)?.message ?? String(error),
          });
        }
        // Commit what succeeded before the failure (unless autoCommit is off), then fail the batch.
        await this.autoCommitOffsets();
        throw error;
      }
      this.group.resolveOffset(topic, partition, Number(message.offset));
      await this.heartbeat();
      await this.autoCommitOffsetsIfNecessary();
      if (this.group.isPaused(topic, partition)) break;
    }
  }

  private async processEachBatch(batch: FetchedBatch): Promise<void> {
    const { topic, partition } = batch;
    const lastMessage = batch.messages[batch.messages.length - 1];
    if (history.recording(this.sim)) {
      for (const message of batch.messages)
        history.received(
          this.sim,
          this.group.clientId,
          topic,
          partition,
          message,
          this.group.settings.readCommitted,
        );
    }
    try {
      await this.options.eachBatch!({
        batch,
        resolveOffset: (offset: string) => {
          // Resolving the last visible message also moves past invisible records behind it.
          const n = Number(offset);
          const target =
            lastMessage !== undefined && n === Number(lastMessage.offset) ? Number(batch.lastOffset()) : n;
          if (!Number.isSafeInteger(target))
            throw new TypeError(`resolveOffset: invalid offset ${String(offset)}`);
          this.group.resolveOffset(topic, partition, target);
        },
        heartbeat: () => this.heartbeat(),
        pause: this.pauseFor(topic, partition),
        commitOffsetsIfNecessary: async (offsets?: Offsets) => {
          if (offsets) await this.group.commitOffsets(offsets);
          else await this.group.commitOffsetsIfNecessary();
        },
        uncommittedOffsets: () => this.group.uncommittedOffsets(),
        isRunning: () => this.running,
        isStale: () => this.group.hasSeekOffset(topic, partition),
      });
    } catch (error) {
      if (history.recording(this.sim))
        history.event(this.sim, this.group.clientId, "seek", { topic, partition });
      if (!isKafkaJSError(error)) {
        this.logger.error("Error when calling eachBatch", {
          topic,
          partition,
          offset: batch.firstOffset(),
          error: (error as Error)?.message ?? String(error),
        });
      }
      await this.autoCommitOffsets();
      throw error;
    }
    if (this.options.eachBatchAutoResolve) {
      this.group.resolveOffset(topic, partition, Number(batch.lastOffset()));
    }
  }
}
