/**
 * Shared vocabulary of the Kafka conformance suite: the context a scenario runs in, the scenario
 * shape, and helpers that scenarios use to observe a kafkajs-shaped client deterministically.
 *
 * Everything here talks to the client only through the kafkajs API (`producer`, `consumer`,
 * `admin`, consumer instrumentation events), and waits only through `ctx.sleep`, so the same
 * scenario runs unchanged against a real broker (real.ts) or a simulated facade on a virtual clock.
 */
import type { Admin, Consumer, IHeaders, Kafka, KafkaMessage, RecordMetadata } from "kafkajs";

/** The part of kafkajs' `Kafka` class that scenarios use; a simulated facade must provide it. */
export type KafkaLike = Pick<Kafka, "producer" | "consumer" | "admin">;

/** A JSON value: what a scenario observes and what golden files hold. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** What a scenario reports: plain JSON, no names that differ between runs. */
export type Observation = { [key: string]: Json };

/** The environment a scenario runs in. */
export interface ScenarioContext {
  /** A client connected to the broker under test; `clientId` defaults to a fixed one. */
  kafka(clientId?: string): KafkaLike;
  /** Waits `ms` milliseconds (real or virtual time). All waiting in scenarios goes through this. */
  sleep(ms: number): Promise<void>;
  /**
   * A topic or group name unique to this run, derived from `base`. The runner replaces it by
   * `base` in the observation, so scenarios may record names freely.
   */
  name(base: string): string;
}

/** One conformance scenario: a kafkajs script and what it observed. */
export interface Scenario {
  /** Stable identifier, also the golden file's name. */
  readonly name: string;
  /** One-line description of the behaviour covered. */
  readonly description: string;
  run(ctx: ScenarioContext): Promise<Observation>;
}

/**
 * Consumer settings shared by all scenarios. Short timings keep the suite fast; 6000 ms is the
 * smallest session timeout a real Kafka broker accepts (`group.min.session.timeout.ms`).
 */
export const CONSUMER_TIMINGS = {
  sessionTimeout: 6000,
  rebalanceTimeout: 10_000,
  heartbeatInterval: 500,
  maxWaitTimeInMs: 100,
} as const;

/** Upper bound for a consumer group's first join (the broker delays it about 3 s). */
export const JOIN_TIMEOUT_MS = 20_000;
/** Upper bound for receiving messages that are known to be in the log. */
export const RECEIVE_TIMEOUT_MS = 15_000;
/** How long a consumer keeps listening after the expected count, to catch unexpected extras. */
export const SETTLE_MS = 600;

/** Polls `predicate` every `stepMs` through `ctx.sleep` until it holds; throws after `timeoutMs`. */
export async function waitUntil(
  ctx: ScenarioContext,
  predicate: () => boolean,
  what: string,
  timeoutMs: number,
  stepMs = 20,
): Promise<void> {
  const steps = Math.ceil(timeoutMs / stepMs);
  for (let i = 0; i < steps; i++) {
    if (predicate()) return;
    await ctx.sleep(stepMs);
  }
  if (predicate()) return;
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** A consumed message reduced to what is deterministic across runs. */
export interface ReceivedMessage {
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  /** The record's timestamp (CreateTime: the producer's, when it set one). */
  timestamp: string;
  headers?: Record<string, string>;
}

function bufferText(value: Buffer | string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === "string" ? value : value.toString("utf8");
}

function headerText(headers: IHeaders | undefined): Record<string, string> | undefined {
  if (!headers) return undefined;
  const names = Object.keys(headers).sort();
  if (names.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const name of names) {
    const raw = headers[name];
    out[name] = Array.isArray(raw) ? raw.map((part) => bufferText(part)).join(",") : (bufferText(raw) ?? "");
  }
  return out;
}

/** Converts a kafkajs message to a {@link ReceivedMessage}. */
export function received(partition: number, message: KafkaMessage): ReceivedMessage {
  const out: ReceivedMessage = {
    partition,
    offset: message.offset,
    key: bufferText(message.key),
    value: bufferText(message.value),
    timestamp: message.timestamp,
  };
  const headers = headerText(message.headers);
  if (headers) out.headers = headers;
  return out;
}

/**
 * Groups messages by partition, keeping arrival order within each partition (which Kafka defines)
 * and dropping the interleaving across partitions (which it does not). Timestamps are included
 * only on request, for scenarios that set them explicitly.
 */
export function byPartition(
  messages: readonly ReceivedMessage[],
  options: { timestamps?: boolean } = {},
): Record<string, Json> {
  const groups: Record<string, Json[]> = {};
  for (const { partition, ...rest } of messages) {
    const entry: Record<string, Json> = { offset: rest.offset, key: rest.key, value: rest.value };
    if (options.timestamps) entry.timestamp = rest.timestamp;
    if (rest.headers) entry.headers = rest.headers;
    const list = groups[String(partition)] ?? [];
    list.push(entry);
    groups[String(partition)] = list;
  }
  return groups;
}

/** Send results sorted by topic and partition, without fields that the broker fills arbitrarily. */
export function sendResults(results: readonly RecordMetadata[]): Json[] {
  return [...results]
    .sort((a, b) => a.topicName.localeCompare(b.topicName) || a.partition - b.partition)
    .map((r) => {
      // logAppendTime is left out: librdkafka's mock answers 1234 where Kafka answers -1 for
      // CreateTime topics.
      const out: Record<string, Json> = {
        topicName: r.topicName,
        partition: r.partition,
        errorCode: r.errorCode,
      };
      if (r.baseOffset !== undefined) out.baseOffset = r.baseOffset;
      if (r.logStartOffset !== undefined) out.logStartOffset = r.logStartOffset;
      return out;
    });
}

/** Committed offsets of a group for one topic, by partition (`"-1"` when nothing is committed). */
export async function committedOffsets(
  admin: Admin,
  groupId: string,
  topic: string,
): Promise<Record<string, Json>> {
  const topics = await admin.fetchOffsets({ groupId, topics: [topic] });
  const out: Record<string, Json> = {};
  for (const entry of topics) {
    for (const p of [...entry.partitions].sort((a, b) => a.partition - b.partition)) {
      // metadata is left out: the mock answers null where Kafka answers "".
      out[String(p.partition)] = p.offset;
    }
  }
  return out;
}

/** Low and high watermarks of a topic, by partition. */
export async function watermarks(admin: Admin, topic: string): Promise<Record<string, Json>> {
  const offsets = await admin.fetchTopicOffsets(topic);
  const out: Record<string, Json> = {};
  for (const p of [...offsets].sort((a, b) => a.partition - b.partition)) {
    out[String(p.partition)] = { low: p.low, high: p.high };
  }
  return out;
}

/** Options for {@link startConsumer}. */
export interface StartConsumerOptions {
  groupId: string;
  topic: string;
  fromBeginning: boolean;
  autoCommit: boolean;
  clientId?: string;
}

/** A running consumer that records what it receives and which partitions it was assigned. */
export interface RunningConsumer {
  readonly consumer: Consumer;
  /** Messages in arrival order. */
  readonly messages: ReceivedMessage[];
  /** Partitions of the latest assignment (from the latest GROUP_JOIN), sorted. */
  assignment(): number[];
  /** Number of GROUP_JOIN events seen. */
  joins(): number;
  /**
   * Resolves once the consumer has joined its group and completed a fetch after joining, so its
   * starting positions are resolved: anything produced afterwards is at or beyond them.
   */
  ready(): Promise<void>;
  /** Waits until at least `count` messages arrived, then `SETTLE_MS` more to catch extras. */
  receive(count: number): Promise<ReceivedMessage[]>;
  /** Disconnects (for a group member: leaves the group). */
  stop(): Promise<void>;
}

/**
 * Connects a consumer, subscribes it to one topic and starts it with `eachMessage`. kafkajs'
 * `run` resolves only once the group is joined, so it is not awaited here: several consumers can
 * be started together and join the same generation. `ready()` waits for it.
 */
export async function startConsumer(
  ctx: ScenarioContext,
  kafka: KafkaLike,
  options: StartConsumerOptions,
): Promise<RunningConsumer> {
  const consumer = kafka.consumer({ groupId: options.groupId, ...CONSUMER_TIMINGS });
  const messages: ReceivedMessage[] = [];
  let joinCount = 0;
  let fetchesSinceJoin = 0;
  let assigned: number[] = [];
  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    joinCount++;
    fetchesSinceJoin = 0;
    assigned = [...(event.payload.memberAssignment[options.topic] ?? [])].sort((a, b) => a - b);
  });
  consumer.on(consumer.events.FETCH, () => {
    fetchesSinceJoin++;
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [options.topic], fromBeginning: options.fromBeginning });
  let runError: unknown;
  const running = consumer
    .run({
      autoCommit: options.autoCommit,
      eachMessage: async ({ partition, message }) => {
        messages.push(received(partition, message));
      },
    })
    .catch((error: unknown) => {
      runError = error ?? new Error("consumer.run failed");
    });
  const check = () => {
    if (runError !== undefined) throw runError;
  };
  let stopped = false;
  return {
    consumer,
    messages,
    assignment: () => assigned,
    joins: () => joinCount,
    async ready() {
      await running;
      check();
      await waitUntil(
        ctx,
        () => joinCount > 0 && fetchesSinceJoin > 0,
        `${options.groupId} to join and fetch`,
        JOIN_TIMEOUT_MS,
      );
    },
    async receive(count) {
      await waitUntil(
        ctx,
        () => messages.length >= count,
        `${count} messages on ${options.topic} (have ${messages.length})`,
        RECEIVE_TIMEOUT_MS,
      );
      await ctx.sleep(SETTLE_MS);
      check();
      return [...messages];
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await running;
      await consumer.disconnect();
    },
  };
}

/** `count` keyed messages `${prefix}-${i}` with keys `key-${i}`. */
export function keyedMessages(
  prefix: string,
  count: number,
  firstIndex = 0,
): { key: string; value: string }[] {
  return Array.from({ length: count }, (_, i) => ({
    key: `key-${firstIndex + i}`,
    value: `${prefix}-${firstIndex + i}`,
  }));
}
