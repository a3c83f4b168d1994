import type { Producer as NativeProducer } from "../../log/producer.js";
import type { RecordMetadata as NativeRecordMetadata, RecordHeaders } from "../../log/record.js";
import { releaseOwnership } from "../../scheduler/process.js";
import { checkOptions } from "../../scheduler/validate.js";
import { jsonShown, stringShown } from "../shown.js";
import { authorizeOrThrow } from "./acl.js";
import { AclOperationTypes, AclResourceTypes } from "./acl-types.js";
import { parseLong, wireBytes } from "./codec.js";
import { type ClientContext, clusterBookkeeping, ensureTopic, partitionMetadata } from "./context.js";
import {
  invalid,
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  toKafkaJSError,
} from "./errors.js";
import {
  type InstrumentationEmitter as Emitter,
  InstrumentationEmitter,
  PRODUCER_EVENTS,
  type ProducerEventMap,
  type TypedOn,
} from "./events.js";
import { produceResponseSize } from "./instrumentation.js";
import type { Logger } from "./logger.js";
import {
  DefaultPartitioner,
  type ICustomPartitioner,
  isBuiltInPartitioner,
  type Partitioner,
} from "./partitioners.js";
import * as history from "./recording.js";
import { checkRetryOptions, createRetry, type Retrier, type RetryOptions } from "./retry.js";
import { type Transaction, Transactions } from "./transaction.js";
import type {
  IHeaders,
  Message,
  ProducerBatch,
  ProducerRecord,
  RecordMetadata,
  TopicMessages,
} from "./types.js";

/**
 * kafkajs' producer over a simulated cluster. A `send` is one produce request: its messages are
 * partitioned by kafkajs' partitioner, grouped per partition, appended through the native
 * producer's network model (latency, the fault hook, request timeouts), and answered with one
 * `RecordMetadata` per partition, offsets as strings. Failed requests are retried as kafkajs
 * retries them: the whole send again, with jittered exponential backoff in virtual time, so a
 * request timeout whose append did happen produces a duplicate unless the producer is idempotent.
 * With a `transactionalId`, `transaction()` sends the same way through a native transactional
 * producer (see `transaction.ts`); `send` outside a transaction stays non-transactional.
 */

/**
 * kafkajs' `ProducerConfig`.
 *
 * @example
 * ```ts
 * kafka.producer({ idempotent: true, createPartitioner: Partitioners.DefaultPartitioner });
 * ```
 */
export interface ProducerConfig {
  createPartitioner?: ICustomPartitioner;
  retry?: RetryOptions;
  metadataMaxAge?: number;
  /** Default true: sending to a missing topic creates it (when the broker auto-creates topics). */
  allowAutoTopicCreation?: boolean;
  /** Default false. Needs `acks: -1` on every send. */
  idempotent?: boolean;
  /**
   * Makes `transaction()` available; registered with the transaction coordinator (fencing older
   * producers with the same id) on the first `transaction()`, as kafkajs does.
   */
  transactionalId?: string;
  /** `transaction.timeout.ms` in ms: the coordinator aborts a transaction open longer. Default 60000. */
  transactionTimeout?: number;
  /** Default: unlimited (1 for idempotent producers, which kafkajs serialises per broker). */
  maxInFlightRequests?: number | null;
}

/**
 * kafkajs' `Producer`.
 *
 * @example
 * ```ts
 * const producer = kafka.producer();
 * await producer.connect();
 * const [meta] = await producer.send({ topic: "orders", messages: [{ key: "c-1", value: "hello" }] });
 * meta.baseOffset; // "0"
 * ```
 */
export interface Producer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  isIdempotent(): boolean;
  readonly events: typeof PRODUCER_EVENTS;
  on: TypedOn<ProducerEventMap>;
  send(record: ProducerRecord): Promise<RecordMetadata[]>;
  sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]>;
  transaction(): Promise<Transaction>;
  logger(): Logger;
  /**
   * brokerlab only: drops the producer as a crashed process would: requests in flight are never
   * answered, nothing more is sent, an open transaction stays open until the coordinator's timeout
   * or a new incarnation's initTransactions aborts it.
   */
  drop(): void;
}

const CONFIG_KEYS = [
  "createPartitioner",
  "retry",
  "metadataMaxAge",
  "allowAutoTopicCreation",
  "idempotent",
  "transactionalId",
  "transactionTimeout",
  "maxInFlightRequests",
];
const SEND_KEYS = ["topic", "messages", "acks", "timeout", "compression"];
const BATCH_KEYS = ["topicMessages", "acks", "timeout", "compression"];
const MESSAGE_KEYS = ["key", "value", "partition", "headers", "timestamp"];
/** kafkajs' CompressionTypes: None, GZIP, Snappy, LZ4, ZSTD. */
const COMPRESSION_TYPES = [0, 1, 2, 3, 4];
/** "Unlimited" for the native producer's integer options. */
const UNLIMITED = 1 << 30;
const LONGEST_TIMEOUT = 2_147_483_647;

/** A message after validation, ready for the native producer. */
interface Prepared {
  readonly message: Message;
  /** Set by the partitioner once the topic's metadata is known. */
  partition: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: RecordHeaders | null;
  timestamp: number;
}

/** Which native producer a send goes through, and whether it is idempotent. */
interface SendPath {
  readonly idempotent: boolean;
  native(acks: 0 | -1): NativeProducer;
  /** The open transaction's history id (transactional path only). */
  txn?(): string | null;
}

/** Runs a validation step, turning brokerlab's refusals into kafkajs-shaped ones. */
function checked<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw toKafkaJSError(error);
  }
}

function checkBoolean(value: unknown, name: string, where: string): void {
  if (value !== undefined && typeof value !== "boolean")
    throw invalid(`${where}: ${name} must be a boolean.`);
}

function checkNumber(value: unknown, name: string, where: string, min: number): void {
  if (
    value !== undefined &&
    value !== null &&
    (typeof value !== "number" || !Number.isInteger(value) || value < min)
  ) {
    throw invalid(`${where}: ${name} must be an integer ≥ ${min}, got ${String(value)}.`);
  }
}

function headerBytes(headers: IHeaders | undefined, where: string): RecordHeaders | null {
  if (headers === undefined || headers === null) return null;
  if (typeof headers !== "object" || Array.isArray(headers)) {
    throw invalid(`${where}: headers must be an object of name → Buffer | string | (Buffer | string)[].`);
  }
  const out: Record<string, Uint8Array | Uint8Array[]> = {};
  let any = false;
  for (const name of Object.keys(headers)) {
    const raw = headers[name];
    const one = (v: unknown): Uint8Array => {
      if (v === null || v === undefined) {
        // kafkajs crashes with a TypeError here (Buffer.byteLength(undefined)); say so instead.
        throw invalid(
          `${where}: header ${jsonShown(name)} has no value; kafkajs cannot encode null or undefined header values.`,
        );
      }
      return wireBytes(v)!;
    };
    out[name] = Array.isArray(raw) ? raw.map(one) : one(raw);
    any = true;
  }
  return any ? out : null;
}

/**
 * Creates a producer for a `Kafka` instance (use `kafka.producer(config)`).
 *
 * @example
 * ```ts
 * const producer = createProducer(kafka.context, { idempotent: true });
 * ```
 */
export function createProducer(ctx: ClientContext, config: ProducerConfig = {}): Producer {
  const where = "producer";
  checked(() => checkOptions(config, CONFIG_KEYS, where));
  const retry = { ...ctx.retry, ...checkRetryOptions(config.retry, where) };
  const idempotent = config.idempotent ?? false;
  checkBoolean(config.idempotent, "idempotent", where);
  checkBoolean(config.allowAutoTopicCreation, "allowAutoTopicCreation", where);
  checkNumber(config.metadataMaxAge, "metadataMaxAge", where, 0);
  checkNumber(config.maxInFlightRequests, "maxInFlightRequests", where, 1);
  checkNumber(config.transactionTimeout, "transactionTimeout", where, 1);
  if (
    config.transactionalId !== undefined &&
    (typeof config.transactionalId !== "string" || config.transactionalId === "")
  ) {
    throw invalid(`${where}: transactionalId must be a non-empty string.`);
  }
  const retries = retry.retries ?? 5;
  if (idempotent && retries < 1) {
    throw invalid(
      "Idempotent producer must allow retries to protect against transient errors",
      "INVALID_CONFIG",
    );
  }
  const createPartitioner = config.createPartitioner ?? DefaultPartitioner;
  if (typeof createPartitioner !== "function") {
    throw invalid(
      `${where}: createPartitioner must be a function returning a partitioner (e.g. Partitioners.DefaultPartitioner).`,
    );
  }
  const random = ctx.random("producer");
  const partitioner: Partitioner = isBuiltInPartitioner(createPartitioner)
    ? createPartitioner({ pickInt: (bound) => random.int(0, bound - 1) })
    : (createPartitioner as () => Partitioner)();
  if (typeof partitioner !== "function")
    throw invalid(`${where}: createPartitioner() must return a function.`);
  const allowAutoTopicCreation = config.allowAutoTopicCreation ?? true;
  const metadataMaxAge = config.metadataMaxAge ?? 300_000;
  // kafkajs partitions with the metadata it has, refreshed after metadataMaxAge: partitions added
  // to a topic are used (and keys move) only once the producer's metadata shows them.
  const knownPartitions = new Map<string, { count: number; at: number }>();
  const partitionCountSeen = (topic: string, current: number): number => {
    const known = knownPartitions.get(topic);
    if (known !== undefined && ctx.sim.now < known.at + metadataMaxAge && known.count <= current)
      return known.count;
    knownPartitions.set(topic, { count: current, at: ctx.sim.now });
    return current;
  };
  const logger = ctx.logger.namespace("Producer");
  const emitter: Emitter = new InstrumentationEmitter(
    ctx.sim,
    Object.values(PRODUCER_EVENTS),
    "producer",
    logger,
    ctx,
  );
  const retrier: Retrier = createRetry(ctx.sim, random.fork("retry"), retry);
  let status: "disconnected" | "connected" | "disconnecting" = "disconnected";

  // One native producer per acks mode: kafkajs sets acks per request, the native model per
  // producer. acks 1 and -1 behave alike on a single-log partition, so they share one.
  const natives = new Map<0 | -1, NativeProducer>();
  const nativeFor = (acks: 0 | -1): NativeProducer => {
    let native = natives.get(acks);
    if (native === undefined) {
      native = checked(() =>
        ctx.cluster.producer({
          clientId: ctx.clientId,
          acks,
          lingerMs: 0,
          // One record batch per partition per send, as kafkajs builds its requests.
          batchSize: UNLIMITED,
          maxRequestSize: UNLIMITED,
          // kafkajs retries whole sends itself; only idempotent sends are retried inside the
          // native producer, which keeps their sequence numbers so the broker can drop duplicates.
          retries: idempotent ? Math.min(retries, 2_147_483_647) : 0,
          retryBackoffMs: retry.initialRetryTime ?? 300,
          requestTimeoutMs: ctx.requestTimeout,
          deliveryTimeoutMs: idempotent ? LONGEST_TIMEOUT : ctx.requestTimeout,
          maxInFlightRequestsPerConnection: idempotent ? 1 : (config.maxInFlightRequests ?? UNLIMITED),
          enableIdempotence: idempotent,
        }),
      );
      // This producer owns its natives (its drop crashes them), not whichever process runs now.
      releaseOwnership(ctx.sim, native);
      natives.set(acks, native);
    }
    return native;
  };
  if (idempotent) nativeFor(-1); // allocates the producer id, as kafkajs' InitProducerId on connect

  // The transactional producer, created on the first transaction(): kafkajs sends transactional
  // records through its own idempotent producer with the transactional id, apart from the one
  // plain sends use.
  let transactional: NativeProducer | null = null;
  const transactionalNative = (): NativeProducer => {
    if (transactional === null) {
      transactional = checked(() =>
        ctx.cluster.producer({
          clientId: ctx.clientId,
          transactionalId: config.transactionalId!,
          transactionTimeoutMs: config.transactionTimeout ?? 60_000,
          acks: -1,
          lingerMs: 0,
          batchSize: UNLIMITED,
          maxRequestSize: UNLIMITED,
          // Transactional sends are idempotent in kafkajs whatever `idempotent` says.
          retries: Math.max(1, Math.min(retries, 2_147_483_647)),
          retryBackoffMs: retry.initialRetryTime ?? 300,
          requestTimeoutMs: ctx.requestTimeout,
          deliveryTimeoutMs: LONGEST_TIMEOUT,
          maxInFlightRequestsPerConnection: 1,
          enableIdempotence: true,
        }),
      );
      releaseOwnership(ctx.sim, transactional);
    }
    return transactional;
  };

  const plainPath: SendPath = { idempotent, native: nativeFor };
  const transactionalPath: SendPath = {
    idempotent: true,
    native: transactionalNative,
    txn: () => transactions?.currentTxn ?? null,
  };

  /** Converts and checks every message before anything is resolved or sent. */
  const prepare = (topicName: string, messages: readonly Message[], now: number): Prepared[] =>
    messages.map((message, i) => {
      const at = `producer.send: topic ${jsonShown(topicName)} message ${i}`;
      checked(() => checkOptions(message, MESSAGE_KEYS, at));
      const key = message.key;
      const timestamp =
        message.timestamp === undefined || message.timestamp === null
          ? now
          : checked(() => parseLong(message.timestamp, "timestamp", at));
      return {
        message,
        partition: -1,
        key: key === null || key === undefined ? null : wireBytes(key),
        value: wireBytes(message.value),
        headers: headerBytes(message.headers, at),
        timestamp,
      };
    });

  /** kafkajs' partitioner for each message; a partition the topic does not have is the broker's error. */
  const assignPartitions = (
    topicName: string,
    prepared: Prepared[],
    metadata: ReturnType<typeof partitionMetadata>,
  ) => {
    const count = metadata.length;
    prepared.forEach((p, i) => {
      const partition = partitioner({ topic: topicName, partitionMetadata: metadata, message: p.message });
      if (
        typeof partition !== "number" ||
        !Number.isInteger(partition) ||
        partition < 0 ||
        partition >= count
      ) {
        // As kafkajs does after a stale-metadata error: refresh, so a retry sees added partitions.
        // (kafkajs itself silently leaves out messages for partitions its metadata lacks.)
        knownPartitions.delete(topicName);
        throw new KafkaJSProtocolError("UNKNOWN_TOPIC_OR_PARTITION", {
          hint: `message ${i} to topic ${topicName} goes to partition ${String(partition)}, but the topic has ${count} partition(s)`,
          details: { topic: topicName, partition },
        });
      }
      p.partition = partition;
    });
  };

  /** History: the send's invocation now, its outcome when the ack settles. */
  const recordSend = (
    path: SendPath,
    topic: string,
    message: Message,
    ack: Promise<NativeRecordMetadata>,
  ) => {
    const txn = path.txn?.() ?? null;
    history.sendInvoked(ctx.sim, ctx.clientId, topic, message, txn);
    ack.then(
      (meta) =>
        history.sendCompleted(ctx.sim, ctx.clientId, topic, message, txn, {
          partition: meta.partition,
          offset: meta.offset,
        }),
      (error: unknown) => history.sendCompleted(ctx.sim, ctx.clientId, topic, message, txn, { error }),
    );
  };

  /** One produce request: every message appended, one RecordMetadata per partition. */
  const produce = async (
    path: SendPath,
    acks: number,
    topicMessages: TopicMessages[],
  ): Promise<RecordMetadata[]> => {
    const native = path.native(acks === 0 ? 0 : -1);
    const now = ctx.sim.now;
    const pending: { topic: string; partition: number; acks: Promise<NativeRecordMetadata>[] }[] = [];
    const brokers = await ctx.brokers();
    const converted = topicMessages.map(({ topic, messages }) => ({
      topic,
      prepared: prepare(topic, messages, now),
    }));
    const plans = converted.map(({ topic, prepared }) => {
      authorizeOrThrow(
        ctx,
        AclOperationTypes.WRITE,
        AclResourceTypes.TOPIC,
        [topic],
        "TOPIC_AUTHORIZATION_FAILED",
      );
      const t = ensureTopic(ctx.cluster, topic, allowAutoTopicCreation);
      const rf = clusterBookkeeping(ctx.cluster).replicationFactors.get(topic) ?? 1;
      const seen = partitionCountSeen(topic, t.partitionCount);
      assignPartitions(topic, prepared, partitionMetadata(t, brokers, rf).slice(0, seen));
      const byPartition = new Map<number, Prepared[]>();
      for (const p of prepared) {
        const list = byPartition.get(p.partition);
        if (list === undefined) byPartition.set(p.partition, [p]);
        else list.push(p);
      }
      return { topic, byPartition };
    });
    // Validation done for every topic before anything is sent: a refused send writes nothing.
    for (const { topic, byPartition } of plans) {
      for (const partition of [...byPartition.keys()].sort((a, b) => a - b)) {
        const list = byPartition.get(partition)!;
        const acksOfPartition = checked(() =>
          list.map((m) => {
            const ack = native.send({
              topic,
              partition,
              key: m.key,
              value: m.value,
              headers: m.headers,
              timestamp: m.timestamp,
            });
            if (history.recording(ctx.sim)) recordSend(path, topic, m.message, ack);
            return ack;
          }),
        );
        pending.push({ topic, partition, acks: acksOfPartition });
      }
    }
    const results: RecordMetadata[] = [];
    for (const { topic, partition, acks: list } of pending) {
      const metas = await Promise.all(list);
      if (acks === 0) continue;
      let base = Number.POSITIVE_INFINITY;
      for (const m of metas) if (m.offset < base) base = m.offset;
      const log = ctx.cluster.hasTopic(topic) ? ctx.cluster.partition(topic, partition) : null;
      const logAppend = log?.config.messageTimestampType === "LogAppendTime";
      results.push({
        topicName: topic,
        partition,
        errorCode: 0,
        baseOffset: String(base),
        // Kafka answers -1 for CreateTime topics and the append time for LogAppendTime ones.
        logAppendTime: logAppend ? String(metas[0]!.timestamp) : "-1",
        logStartOffset: String(log?.logStartOffset ?? 0),
      });
    }
    return results;
  };

  const sendBatch = async (path: SendPath, batch: ProducerBatch): Promise<RecordMetadata[]> => {
    const at = "producer.sendBatch";
    const { idempotent } = path;
    if (batch === null || typeof batch !== "object")
      throw invalid(`${at}: expected { topicMessages, acks?, timeout?, compression? }.`);
    checked(() => checkOptions(batch, BATCH_KEYS, at));
    const { acks = -1, timeout, compression, topicMessages = [] } = batch;
    if (!Array.isArray(topicMessages))
      throw invalid(`${at}: topicMessages must be an array of { topic, messages }.`);
    if (topicMessages.some((tm) => !tm?.topic)) throw invalid("Invalid topic");
    if (acks !== -1 && acks !== 0 && acks !== 1) {
      throw new KafkaJSProtocolError("UNKNOWN", {
        retriable: false,
        brokerlabCode: "INVALID_REQUIRED_ACKS",
        hint: `acks must be -1 (all), 0 or 1, got ${String(acks)}`,
      });
    }
    if (idempotent && acks !== -1) {
      throw invalid(
        "Not requiring ack for all messages invalidates the idempotent producer's EoS guarantees",
        "INVALID_CONFIG",
      );
    }
    checkNumber(timeout, "timeout", at, 0);
    if (compression !== undefined && !COMPRESSION_TYPES.includes(compression)) {
      throw invalid(`${at}: compression must be one of CompressionTypes (0..4), got ${String(compression)}.`);
    }
    for (const { topic, messages } of topicMessages) {
      if (!messages || !Array.isArray(messages)) {
        throw invalid(`Invalid messages array [${String(messages)}] for topic "${topic}"`);
      }
      const withoutValue = messages.find((m) => m === null || typeof m !== "object" || m.value === undefined);
      if (withoutValue !== undefined) {
        throw invalid(
          `Invalid message without value for topic "${stringShown(topic)}": ${jsonShown(withoutValue)}`,
        );
      }
    }
    if (status === "disconnecting") {
      throw new KafkaJSNonRetriableError(
        "The producer is disconnecting; therefore, it can't safely accept messages anymore",
        {
          brokerlabCode: "PRODUCER_CLOSED",
        },
      );
    }
    if (status === "disconnected")
      throw new KafkaJSError("The producer is disconnected", { brokerlabCode: "PRODUCER_DISCONNECTED" });
    const merged: TopicMessages[] = [];
    for (const { topic, messages } of topicMessages) {
      const existing = merged.find((m) => m.topic === topic);
      // Recording gives every message an id header (on a copy) before the first attempt, so
      // retries carry the same id.
      const list = history.recording(ctx.sim) ? history.withIds(ctx.sim, ctx.clientId, messages) : messages;
      if (existing === undefined) merged.push({ topic, messages: [...list] });
      else existing.messages.push(...list);
    }
    return retrier(async (bail, retryCount, retryTime) => {
      try {
        return await emitter.request("Produce", () => produce(path, acks, merged), {
          size: produceResponseSize,
          maxInFlight: path.idempotent ? 1 : config.maxInFlightRequests,
        });
      } catch (error) {
        const e = toKafkaJSError(error);
        const delivery = error instanceof Error && !(error instanceof KafkaJSError);
        if (idempotent && delivery && (e as KafkaJSError).retriable) {
          // The native producer already retried this batch with its sequence numbers; a new
          // attempt would get new ones and could duplicate. Give up as kafkajs' retrier would.
          bail(new KafkaJSNumberOfRetriesExceeded(e, { retryCount: retries, retryTime }));
          return [];
        }
        logger.error(e.message, { retryCount, retryTime });
        if ((e as KafkaJSError).retriable) throw e;
        bail(e);
        return [];
      }
    });
  };

  const send = (path: SendPath, record: ProducerRecord): Promise<RecordMetadata[]> => {
    if (record === null || typeof record !== "object") {
      return Promise.reject(
        invalid("producer.send: expected { topic, messages, acks?, timeout?, compression? }."),
      );
    }
    try {
      checked(() => checkOptions(record, SEND_KEYS, "producer.send"));
    } catch (error) {
      return Promise.reject(error);
    }
    const { topic, messages, acks, timeout, compression } = record;
    return sendBatch(path, { acks, timeout, compression, topicMessages: [{ topic, messages }] });
  };

  const transactions =
    config.transactionalId === undefined
      ? null
      : new Transactions({
          transactionalId: config.transactionalId,
          sim: ctx.sim,
          clientId: ctx.clientId,
          native: transactionalNative,
          send: (record) => send(transactionalPath, record),
          sendBatch: (batch) => sendBatch(transactionalPath, batch),
        });

  const producer = {
    async connect() {
      status = "connected";
      emitter.emit(PRODUCER_EVENTS.CONNECT, null);
    },
    async disconnect() {
      // Nothing to drain: sends already handed to the native producer complete on their own.
      status = "disconnected";
      emitter.emit(PRODUCER_EVENTS.DISCONNECT, null);
    },
    isIdempotent: () => idempotent,
    events: PRODUCER_EVENTS,
    on: (eventName: string, listener: (event: never) => unknown) =>
      emitter.on(eventName, listener as (event: unknown) => unknown),
    send: (record) => send(plainPath, record),
    sendBatch: (batch) => sendBatch(plainPath, batch),
    async transaction() {
      if (transactions === null) {
        throw invalid("Must provide transactional id for transactional producer", "INVALID_CONFIG");
      }
      return transactions.begin();
    },
    logger: () => logger,
  } as Omit<Producer, "drop"> as Producer;
  // Not enumerable: the object keeps exactly kafkajs' own methods.
  Object.defineProperty(producer, "drop", {
    value() {
      status = "disconnected";
      for (const native of natives.values()) native.crash();
      transactional?.crash();
    },
  });
  // Created by a process's code, the producer dies with it: a crash drops it (no goodbye; an open
  // transaction waits for the next incarnation's first transaction(), or its timeout, to abort it).
  ctx.sim.own(producer);
  return producer;
}
