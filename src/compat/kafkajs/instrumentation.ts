import type { Admin } from "./admin.js";
import { PROTOCOL_ERRORS } from "./errors.js";
import type { InstrumentationEmitter } from "./events.js";
import type { RecordMetadata } from "./types.js";

/**
 * kafkajs' network instrumentation (`src/network/requestQueue`): every request a client sends
 * reports `<kind>.network.request` when its response arrives, `<kind>.network.request_timeout`
 * when it times out, and `<kind>.network.request_queue_size` when it has to wait for an in-flight
 * slot on its broker connection. The facade has no sockets; its clients call
 * {@link InstrumentationEmitter.request} around each simulated request attempt, and this module
 * gives those events kafkajs' payloads: API key, name and version (the newest version kafkajs
 * 2.2.4 implements, which a current broker supports), the broker's `host:port`, the client id, a
 * correlation id counting from 0 per broker connection, and virtual `createdAt`, `sentAt`,
 * `pendingDuration` and `duration`.
 */

/**
 * kafkajs' API keys and the version it uses against a current broker (`src/protocol/requests`).
 *
 * @example
 * ```ts
 * KAFKA_APIS.Produce; // { apiKey: 0, apiVersion: 7 }
 * ```
 */
export const KAFKA_APIS = Object.freeze({
  Produce: { apiKey: 0, apiVersion: 7 },
  Fetch: { apiKey: 1, apiVersion: 11 },
  ListOffsets: { apiKey: 2, apiVersion: 3 },
  Metadata: { apiKey: 3, apiVersion: 6 },
  OffsetCommit: { apiKey: 8, apiVersion: 5 },
  OffsetFetch: { apiKey: 9, apiVersion: 4 },
  GroupCoordinator: { apiKey: 10, apiVersion: 2 },
  JoinGroup: { apiKey: 11, apiVersion: 5 },
  Heartbeat: { apiKey: 12, apiVersion: 3 },
  LeaveGroup: { apiKey: 13, apiVersion: 3 },
  SyncGroup: { apiKey: 14, apiVersion: 3 },
  DescribeGroups: { apiKey: 15, apiVersion: 2 },
  ListGroups: { apiKey: 16, apiVersion: 2 },
  SaslHandshake: { apiKey: 17, apiVersion: 1 },
  ApiVersions: { apiKey: 18, apiVersion: 2 },
  CreateTopics: { apiKey: 19, apiVersion: 3 },
  DeleteTopics: { apiKey: 20, apiVersion: 1 },
  DeleteRecords: { apiKey: 21, apiVersion: 1 },
  InitProducerId: { apiKey: 22, apiVersion: 1 },
  AddPartitionsToTxn: { apiKey: 24, apiVersion: 1 },
  AddOffsetsToTxn: { apiKey: 25, apiVersion: 1 },
  EndTxn: { apiKey: 26, apiVersion: 1 },
  TxnOffsetCommit: { apiKey: 28, apiVersion: 1 },
  DescribeAcls: { apiKey: 29, apiVersion: 1 },
  CreateAcls: { apiKey: 30, apiVersion: 1 },
  DeleteAcls: { apiKey: 31, apiVersion: 1 },
  DescribeConfigs: { apiKey: 32, apiVersion: 2 },
  AlterConfigs: { apiKey: 33, apiVersion: 1 },
  SaslAuthenticate: { apiKey: 36, apiVersion: 1 },
  CreatePartitions: { apiKey: 37, apiVersion: 1 },
  DeleteGroups: { apiKey: 42, apiVersion: 1 },
  AlterPartitionReassignments: { apiKey: 45, apiVersion: 0 },
  ListPartitionReassignments: { apiKey: 46, apiVersion: 0 },
} as const);

/** A Kafka API kafkajs sends (kafkajs' `apiName`; FindCoordinator is `GroupCoordinator` there). */
export type ApiName = keyof typeof KAFKA_APIS;

/** What the tracker needs from the client: its id and the address of a broker by node id. */
export interface RequestClient {
  readonly clientId: string;
  brokerAddress(nodeId: number): string;
}

/**
 * Per-request options of {@link RequestTracker.run}.
 *
 * @example
 * ```ts
 * emitter.request("Fetch", () => fetchOnce(), { nodeId: 0, size: (batches) => bytesOf(batches) });
 * ```
 */
export interface RequestOptions<R> {
  /** The broker the request goes to (default 0, the first in `brokers`). */
  nodeId?: number;
  /** The response's size in bytes, estimated from the result (default 0). */
  size?: (result: R) => number;
  /**
   * The connection's in-flight limit (kafkajs' `maxInFlightRequests`; unlimited when absent). A
   * request started while that many are in flight is counted as queued until one completes, and
   * REQUEST_QUEUE_SIZE reports the queue as kafkajs' request queue does.
   */
  maxInFlight?: number | null;
}

interface Span {
  readonly api: ApiName;
  readonly broker: string;
  readonly correlationId: number;
  readonly createdAt: number;
  sentAt: number;
  pendingDuration: number;
}

interface Connection {
  nextCorrelationId: number;
  inFlight: number;
  readonly pending: Span[];
}

const NO_CLIENT: RequestClient = { clientId: "kafkajs", brokerAddress: () => "localhost:9092" };

function isTimeout(error: unknown): boolean {
  if (error === null || typeof error !== "object") return false;
  const e = error as { name?: unknown; type?: unknown; brokerlabCode?: unknown; code?: unknown };
  return (
    e.name === "KafkaJSRequestTimeoutError" ||
    e.type === "REQUEST_TIMED_OUT" ||
    e.brokerlabCode === "REQUEST_TIMED_OUT" ||
    e.code === "REQUEST_TIMED_OUT"
  );
}

/**
 * A rejection that still means a response arrived (an error response): kafkajs' protocol errors,
 * and the native model's errors named after a Kafka protocol error.
 */
function isResponse(error: unknown): boolean {
  if (error === null || typeof error !== "object") return false;
  const { type, code } = error as { type?: unknown; code?: unknown };
  return typeof type === "string" || (typeof code === "string" && Object.hasOwn(PROTOCOL_ERRORS, code));
}

/**
 * One client's request bookkeeping: correlation ids and in-flight counts per broker connection,
 * and the REQUEST / REQUEST_TIMEOUT / REQUEST_QUEUE_SIZE events.
 *
 * @example
 * ```ts
 * const tracker = new RequestTracker(emitter, ctx);
 * await tracker.run("Heartbeat", () => coordinatorHeartbeat());
 * ```
 */
export class RequestTracker {
  private readonly connections = new Map<string, Connection>();
  private readonly names: { request: string; timeout: string; queueSize: string };

  constructor(
    private readonly emitter: InstrumentationEmitter,
    private readonly client: RequestClient = NO_CLIENT,
  ) {
    const prefix = `${emitter.kind}.network.`;
    this.names = {
      request: `${prefix}request`,
      timeout: `${prefix}request_timeout`,
      queueSize: `${prefix}request_queue_size`,
    };
  }

  /**
   * Runs one request attempt. `run` may return a value or a promise; its outcome is passed on
   * unchanged (a synchronous throw stays synchronous). REQUEST is emitted when it resolves or
   * rejects with a protocol error (an error response), REQUEST_TIMEOUT when it rejects with a
   * request timeout; a refusal before anything was sent (any other error) emits nothing. With
   * nobody listening to any of the three events it only advances the correlation id.
   */
  run<T>(api: ApiName, run: () => T, options: RequestOptions<Awaited<T>> = {}): T {
    const broker = this.client.brokerAddress(options.nodeId ?? 0);
    const connection = this.connection(broker);
    const correlationId = connection.nextCorrelationId++;
    const { emitter, names } = this;
    if (!emitter.wants(names.request) && !emitter.wants(names.timeout) && !emitter.wants(names.queueSize)) {
      return run();
    }
    const now = emitter.sim.now;
    const span: Span = { api, broker, correlationId, createdAt: now, sentAt: now, pendingDuration: 0 };
    const limit = options.maxInFlight;
    if (typeof limit === "number" && connection.inFlight >= limit) {
      connection.pending.push(span);
      this.queueSize(connection, broker);
    }
    connection.inFlight++;
    let result: T;
    try {
      result = run();
    } catch (error) {
      this.settle(connection, span, error, true, undefined);
      throw error;
    }
    if (
      result !== null &&
      typeof result === "object" &&
      typeof (result as { then?: unknown }).then === "function"
    ) {
      return (result as unknown as Promise<Awaited<T>>).then(
        (value) => {
          this.settle(connection, span, undefined, false, options.size?.(value) ?? 0);
          return value;
        },
        (error: unknown) => {
          this.settle(connection, span, error, true, undefined);
          throw error;
        },
      ) as T;
    }
    this.settle(connection, span, undefined, false, options.size?.(result as Awaited<T>) ?? 0);
    return result;
  }

  private connection(broker: string): Connection {
    let c = this.connections.get(broker);
    if (c === undefined) {
      c = { nextCorrelationId: 0, inFlight: 0, pending: [] };
      this.connections.set(broker, c);
    }
    return c;
  }

  private settle(
    connection: Connection,
    span: Span,
    error: unknown,
    failed: boolean,
    size: number | undefined,
  ) {
    connection.inFlight--;
    const now = this.emitter.sim.now;
    const queued = connection.pending.indexOf(span);
    if (queued >= 0) connection.pending.splice(queued, 1);
    // The next queued request leaves the queue now: it is "sent" when a slot frees up.
    if (connection.pending.length > 0 && queued < 0) {
      const next = connection.pending.shift()!;
      next.sentAt = now;
      next.pendingDuration = now - next.createdAt;
      this.queueSize(connection, span.broker);
    }
    const { apiKey, apiVersion } = KAFKA_APIS[span.api];
    const base = {
      broker: span.broker,
      clientId: this.client.clientId,
      correlationId: span.correlationId,
      createdAt: span.createdAt,
      sentAt: span.sentAt,
      pendingDuration: span.pendingDuration,
    };
    if (failed && isTimeout(error)) {
      this.emitter.emit(this.names.timeout, { ...base, apiName: span.api, apiKey, apiVersion });
    } else if (!failed || isResponse(error)) {
      this.emitter.emit(this.names.request, {
        ...base,
        size: size ?? 0,
        duration: now - span.sentAt,
        apiName: span.api,
        apiKey,
        apiVersion,
      });
    }
  }

  private queueSize(connection: Connection, broker: string): void {
    this.emitter.emit(this.names.queueSize, {
      broker,
      clientId: this.client.clientId,
      queueSize: connection.pending.length,
    });
  }
}

/**
 * The size in bytes of a Produce v7 response for `results` (one entry per partition written):
 * what kafkajs' REQUEST event reports as `size` for a send.
 *
 * @example
 * ```ts
 * emitter.request("Produce", () => produce(), { size: produceResponseSize });
 * ```
 */
export function produceResponseSize(results: readonly RecordMetadata[]): number {
  // correlation id, topic array length, throttle time; per topic: name and partition array
  // length; per partition: partition, error code, base offset, log append time, log start offset.
  let size = 4 + 4 + 4;
  const topics = new Set<string>();
  for (const r of results) {
    if (!topics.has(r.topicName)) {
      topics.add(r.topicName);
      size += 2 + utf8Length(r.topicName) + 4;
    }
    size += 4 + 2 + 8 + 8 + 8;
  }
  return size;
}

/**
 * An estimate of a Fetch response's size: its batches' record bytes (keys, values, headers) plus
 * a fixed overhead per batch. kafkajs reports the exact wire size; the simulator has no wire.
 *
 * @example
 * ```ts
 * emitter.request("Fetch", () => brokerFetch(requests), { size: fetchResponseSize });
 * ```
 */
export function fetchResponseSize(
  batches: readonly {
    topic: string;
    messages: readonly {
      key: Uint8Array | null;
      value: Uint8Array | null;
      headers?: Record<string, unknown>;
    }[];
  }[],
): number {
  let size = 4 + 4 + 2 + 4 + 4;
  for (const batch of batches) {
    size += 2 + utf8Length(batch.topic) + 4 + 4 + 2 + 8 + 8 + 8 + 4 + 4 + 61;
    for (const m of batch.messages) {
      size += 20 + (m.key?.length ?? 0) + (m.value?.length ?? 0);
      for (const [name, value] of Object.entries(m.headers ?? {})) {
        size += 2 + utf8Length(name);
        if (value instanceof Uint8Array) size += value.length;
        else if (typeof value === "string") size += utf8Length(value);
      }
    }
  }
  return size;
}

function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** The Kafka request each admin method sends (kafkajs sends a Metadata request first for some). */
const ADMIN_APIS: Readonly<Partial<Record<keyof Admin, ApiName>>> = {
  listTopics: "Metadata",
  createTopics: "CreateTopics",
  deleteTopics: "DeleteTopics",
  createPartitions: "CreatePartitions",
  fetchTopicMetadata: "Metadata",
  fetchOffsets: "OffsetFetch",
  fetchTopicOffsets: "ListOffsets",
  fetchTopicOffsetsByTimestamp: "ListOffsets",
  describeCluster: "Metadata",
  setOffsets: "OffsetCommit",
  resetOffsets: "OffsetCommit",
  describeConfigs: "DescribeConfigs",
  alterConfigs: "AlterConfigs",
  listGroups: "ListGroups",
  deleteGroups: "DeleteGroups",
  describeGroups: "DescribeGroups",
  describeAcls: "DescribeAcls",
  createAcls: "CreateAcls",
  deleteAcls: "DeleteAcls",
  deleteTopicRecords: "DeleteRecords",
  alterPartitionReassignments: "AlterPartitionReassignments",
  listPartitionReassignments: "ListPartitionReassignments",
};

/**
 * Wraps each of an admin client's request methods so that a call is one tracked request of its
 * Kafka API (REQUEST when answered, also with an error response; nothing when the facade refuses
 * the arguments before sending). Methods without a request (`connect`, `on`, `logger`) are left
 * as they are.
 *
 * @example
 * ```ts
 * return instrumentAdmin(emitter, { listTopics: async () => cluster.listTopics(), … });
 * ```
 */
export function instrumentAdmin(emitter: InstrumentationEmitter, admin: Admin): Admin {
  const wrapped = { ...admin } as Record<string, unknown>;
  for (const [method, api] of Object.entries(ADMIN_APIS) as [keyof Admin, ApiName][]) {
    const original = admin[method];
    if (typeof original !== "function") continue;
    wrapped[method] = (...args: unknown[]) =>
      emitter.request(api, () => (original as (...a: unknown[]) => unknown).apply(admin, args));
  }
  return wrapped as unknown as Admin;
}
