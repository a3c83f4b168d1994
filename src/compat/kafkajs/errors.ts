import { KAFKA_ERRORS, LogError } from "../../log/errors.js";
import { BrokerlabError } from "../../scheduler/errors.js";
import type { PartitionMetadata } from "./types.js";

/**
 * kafkajs 2.x's error classes, with the same names, fields and retriable flags, so application code
 * that branches on `instanceof KafkaJSProtocolError`, `error.type` or `error.retriable` behaves as
 * it does against a real broker.
 *
 * brokerlab's stable code: every error the facade throws carries `brokerlabCode` (e.g.
 * `UNKNOWN_TOPIC_OR_PARTITION`, `INVALID_ARGUMENT`, `NOT_SUPPORTED`). On every class but
 * {@link KafkaJSProtocolError} it is also `code`; a protocol error's `code` is Kafka's numeric
 * protocol error code, as in kafkajs, and its `type` Kafka's name. The native brokerlab error that
 * caused a facade error, when there is one, is its `cause`.
 */

/** Options of the facade's error constructors (kafkajs' `KafkaJSErrorMetadata` and brokerlab's extras). */
export interface KafkaJSErrorOptions {
  retriable?: boolean;
  cause?: unknown;
  /** brokerlab's stable code; defaults to the cause's code, else the class's. */
  brokerlabCode?: string;
  details?: Record<string, unknown>;
  /** kafkajs' metadata fields, accepted and ignored as kafkajs ignores them. */
  topic?: string;
  partitionId?: number;
  metadata?: unknown;
}

function codeOf(error: unknown): string | undefined {
  if (error instanceof KafkaJSError) return error.brokerlabCode;
  if (error instanceof BrokerlabError) return error.code;
  return undefined;
}

function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (e === undefined) return "";
  return String(e);
}

/**
 * kafkajs' base error: `retriable` tells kafkajs' retrier whether to try again.
 *
 * @example
 * ```ts
 * try { await producer.send({ topic: "t", messages: [] }); }
 * catch (e) { if (e instanceof KafkaJSError && e.retriable) retryLater(); }
 * ```
 */
export class KafkaJSError extends Error {
  override name = "KafkaJSError";
  readonly retriable: boolean;
  readonly helpUrl?: string;
  /** What caused it (kafkajs types it as an `Error`; a non-Error cause is kept as given). */
  override readonly cause?: Error;
  /** brokerlab's stable code (see the module comment). */
  readonly brokerlabCode: string;
  /** brokerlab's stable code, except on protocol errors where it is Kafka's numeric code. */
  readonly code: string | number;
  /** Facts about the failure, for programs. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(e?: Error | string, options: KafkaJSErrorOptions = {}) {
    super(messageOf(e));
    const cause = options.cause ?? (e instanceof Error ? e : undefined);
    this.retriable = options.retriable ?? true;
    const helpUrl = (e as { helpUrl?: unknown } | undefined)?.helpUrl;
    if (typeof helpUrl === "string") this.helpUrl = helpUrl;
    if (cause !== undefined) this.cause = cause as Error;
    this.brokerlabCode = options.brokerlabCode ?? codeOf(cause) ?? this.defaultCode();
    this.code = this.brokerlabCode;
    this.details = options.details ?? (cause instanceof BrokerlabError ? cause.details : {});
  }

  /** The code used when neither the caller nor a cause gives one. */
  protected defaultCode(): string {
    return "KAFKAJS_ERROR";
  }
}

/**
 * An error kafkajs does not retry.
 *
 * @example
 * ```ts
 * new KafkaJSNonRetriableError("Invalid topic", { brokerlabCode: "INVALID_ARGUMENT" });
 * ```
 */
export class KafkaJSNonRetriableError extends KafkaJSError {
  override name = "KafkaJSNonRetriableError";

  constructor(e?: Error | string, options: Omit<KafkaJSErrorOptions, "retriable"> = {}) {
    super(e, { ...options, retriable: false });
  }

  protected override defaultCode(): string {
    return "KAFKAJS_NON_RETRIABLE";
  }
}

/**
 * Kafka's protocol error table as kafkajs 2.2.4 has it (`src/protocol/error.js`), restricted to the
 * errors the simulator can produce: type → numeric code, retriable, message.
 *
 * @example
 * ```ts
 * PROTOCOL_ERRORS.UNKNOWN_TOPIC_OR_PARTITION.code; // 3
 * ```
 */
export const PROTOCOL_ERRORS = {
  UNKNOWN: {
    code: -1,
    retriable: false,
    message: "The server experienced an unexpected error when processing the request",
  },
  OFFSET_OUT_OF_RANGE: {
    code: 1,
    retriable: false,
    message: "The requested offset is not within the range of offsets maintained by the server",
  },
  UNKNOWN_TOPIC_OR_PARTITION: {
    code: 3,
    retriable: true,
    message: "This server does not host this topic-partition",
  },
  REQUEST_TIMED_OUT: { code: 7, retriable: true, message: "The request timed out" },
  MESSAGE_TOO_LARGE: {
    code: 10,
    retriable: false,
    message: "The request included a message larger than the max message size the server will accept",
  },
  GROUP_COORDINATOR_NOT_AVAILABLE: {
    code: 15,
    retriable: true,
    message: "The group coordinator is not available",
  },
  INVALID_TOPIC_EXCEPTION: {
    code: 17,
    retriable: false,
    message: "The request attempted to perform an operation on an invalid topic",
  },
  ILLEGAL_GENERATION: { code: 22, retriable: false, message: "Specified group generation id is not valid" },
  INCONSISTENT_GROUP_PROTOCOL: {
    code: 23,
    retriable: false,
    message: "The group member's supported protocols are incompatible with those of existing members",
  },
  INVALID_GROUP_ID: { code: 24, retriable: false, message: "The configured groupId is invalid" },
  UNKNOWN_MEMBER_ID: { code: 25, retriable: false, message: "The coordinator is not aware of this member" },
  INVALID_SESSION_TIMEOUT: {
    code: 26,
    retriable: false,
    message:
      "The session timeout is not within the range allowed by the broker (as configured by group.min.session.timeout.ms and group.max.session.timeout.ms)",
  },
  REBALANCE_IN_PROGRESS: {
    code: 27,
    retriable: false,
    message: "The group is rebalancing, so a rejoin is needed",
  },
  TOPIC_ALREADY_EXISTS: { code: 36, retriable: false, message: "Topic with this name already exists" },
  INVALID_PARTITIONS: { code: 37, retriable: false, message: "Number of partitions is invalid" },
  INVALID_REPLICATION_FACTOR: { code: 38, retriable: false, message: "Replication-factor is invalid" },
  INVALID_CONFIG: { code: 40, retriable: false, message: "Configuration is invalid" },
  INVALID_REQUEST: {
    code: 42,
    retriable: false,
    message:
      "This most likely occurs because of a request being malformed by the client library or the message was sent to an incompatible broker. See the broker logs for more details",
  },
  OUT_OF_ORDER_SEQUENCE_NUMBER: {
    code: 45,
    retriable: false,
    message: "The broker received an out of order sequence number",
  },
  INVALID_PRODUCER_EPOCH: {
    code: 47,
    retriable: false,
    message:
      "Producer attempted an operation with an old epoch. Either there is a newer producer with the same transactionalId, or the producer's transaction has been expired by the broker",
  },
  UNKNOWN_PRODUCER_ID: {
    code: 59,
    retriable: false,
    message:
      "This exception is raised by the broker if it could not locate the producer metadata associated with the producerId in question. This could happen if, for instance, the producer's records were deleted because their retention time had elapsed. Once the last records of the producerId are removed, the producer's metadata is removed from the broker, and future appends by the producer will return this exception",
  },
  TOPIC_AUTHORIZATION_FAILED: {
    code: 29,
    retriable: false,
    message: "Not authorized to access topics: [Topic authorization failed]",
  },
  GROUP_AUTHORIZATION_FAILED: {
    code: 30,
    retriable: false,
    message: "Not authorized to access group: Group authorization failed",
  },
  CLUSTER_AUTHORIZATION_FAILED: { code: 31, retriable: false, message: "Cluster authorization failed" },
  INVALID_REPLICA_ASSIGNMENT: { code: 39, retriable: false, message: "Replica assignment is invalid" },
  SECURITY_DISABLED: { code: 54, retriable: false, message: "Security features are disabled" },
  NON_EMPTY_GROUP: { code: 68, retriable: false, message: "The group is not empty" },
  GROUP_ID_NOT_FOUND: { code: 69, retriable: false, message: "The group id was not found" },
  FENCED_INSTANCE_ID: {
    code: 82,
    retriable: false,
    message:
      "The broker rejected this static consumer since another consumer with the same group instance id has registered with a different member id",
  },
  INVALID_RECORD: {
    code: 87,
    retriable: false,
    message: "This record has failed the validation on broker and hence be rejected",
  },
  INVALID_TXN_STATE: {
    code: 48,
    retriable: false,
    message: "The producer attempted a transactional operation in an invalid state",
  },
  INVALID_PRODUCER_ID_MAPPING: {
    code: 49,
    retriable: false,
    message:
      "The producer attempted to use a producer id which is not currently assigned to its transactional id",
  },
  INVALID_TRANSACTION_TIMEOUT: {
    code: 50,
    retriable: false,
    message:
      "The transaction timeout is larger than the maximum value allowed by the broker (as configured by max.transaction.timeout.ms)",
  },
  CONCURRENT_TRANSACTIONS: {
    code: 51,
    retriable: true,
    message:
      "The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing",
  },
  UNSTABLE_OFFSET_COMMIT: {
    code: 88,
    retriable: true,
    message: "There are unstable offsets that need to be cleared",
  },
  /** kafkajs' answer to a Kafka error code its table lacks (PRODUCER_FENCED, 90, in kafkajs 2.2.4). */
  KAFKAJS_UNKNOWN_ERROR_CODE: { code: -99, retriable: false, message: "Unknown error code" },
} as const;

/** A Kafka protocol error type the facade can raise. */
export type ProtocolErrorType = keyof typeof PROTOCOL_ERRORS;

/** brokerlab codes whose Kafka (kafkajs) type has another name. */
const TYPE_OF_CODE: Readonly<Record<string, ProtocolErrorType>> = {
  INVALID_TOPIC_NAME: "INVALID_TOPIC_EXCEPTION",
  COORDINATOR_NOT_AVAILABLE: "GROUP_COORDINATOR_NOT_AVAILABLE",
};
const CODE_OF_TYPE: Readonly<Record<string, string>> = {
  INVALID_TOPIC_EXCEPTION: "INVALID_TOPIC_NAME",
  GROUP_COORDINATOR_NOT_AVAILABLE: "COORDINATOR_NOT_AVAILABLE",
};

/**
 * A Kafka protocol error: `type` is Kafka's name (`"REBALANCE_IN_PROGRESS"`), `code` its number
 * (27), `retriable` as kafkajs' table says. The message is kafkajs' text; brokerlab's explanation,
 * when there is one, follows it in brackets.
 *
 * @example
 * ```ts
 * const e = new KafkaJSProtocolError("UNKNOWN_MEMBER_ID");
 * e.type; // "UNKNOWN_MEMBER_ID"; e.code === 25
 * ```
 */
export class KafkaJSProtocolError extends KafkaJSError {
  override name = "KafkaJSProtocolError";
  readonly type: string;
  declare readonly code: number;

  /**
   * `e` is a protocol error type (`"UNKNOWN_MEMBER_ID"`: kafkajs' message, code and retriable
   * flag), or, as in kafkajs, an error-like `{ type, code, retriable, message }` or a message
   * (then `type` and `code` are whatever `e` carries: undefined for a plain string, as in kafkajs).
   */
  constructor(e: ProtocolErrorType | ProtocolErrorLike | Error | string, options: ProtocolErrorOptions = {}) {
    const entry =
      typeof e === "string" && Object.hasOwn(PROTOCOL_ERRORS, e)
        ? PROTOCOL_ERRORS[e as ProtocolErrorType]
        : null;
    const like = entry === null && typeof e === "object" && e !== null ? (e as ProtocolErrorLike) : {};
    const type = entry !== null ? (e as ProtocolErrorType) : like.type;
    const base =
      entry !== null ? entry.message : typeof e === "object" && e !== null ? (like.message ?? "") : e;
    const text = options.hint === undefined ? base : `${base} [brokerlab: ${options.hint}]`;
    super(text, {
      ...options,
      cause: options.cause ?? (e instanceof Error ? e : undefined),
      retriable:
        options.retriable ??
        entry?.retriable ??
        (typeof like.retriable === "boolean" ? like.retriable : true),
      brokerlabCode:
        options.brokerlabCode ??
        (type === undefined ? "KAFKAJS_PROTOCOL_ERROR" : (CODE_OF_TYPE[type] ?? type)),
    });
    this.type = type as string;
    (this as { code: number }).code = (entry?.code ?? like.code) as number;
  }
}

/** What kafkajs' protocol layer hands a protocol error (`createErrorFromCode`'s result). */
export interface ProtocolErrorLike {
  type?: string;
  code?: number;
  retriable?: boolean;
  message?: string;
}

/** Options of {@link KafkaJSProtocolError} and its subclasses: brokerlab's `hint` follows kafkajs' message. */
export type ProtocolErrorOptions = KafkaJSErrorOptions & { hint?: string };

/**
 * A fetch or seek outside the log: which partition.
 *
 * @example
 * ```ts
 * new KafkaJSOffsetOutOfRange("OFFSET_OUT_OF_RANGE", { topic: "t", partition: 0 });
 * ```
 */
export class KafkaJSOffsetOutOfRange extends KafkaJSProtocolError {
  override name = "KafkaJSOffsetOutOfRange";
  readonly topic: string;
  readonly partition: number;

  constructor(
    e: ProtocolErrorType | ProtocolErrorLike | Error | string,
    where: { topic: string; partition: number },
    options: ProtocolErrorOptions = {},
  ) {
    super(e, options);
    this.topic = where.topic;
    this.partition = where.partition;
  }
}

/**
 * kafkajs' retrier gave up: `cause` is the last error, `retryCount` and `retryTime` where it stopped.
 *
 * @example
 * ```ts
 * catch (e) { if (e instanceof KafkaJSNumberOfRetriesExceeded) console.log(e.retryCount, e.cause); }
 * ```
 */
export class KafkaJSNumberOfRetriesExceeded extends KafkaJSNonRetriableError {
  override name = "KafkaJSNumberOfRetriesExceeded";
  readonly retryCount: number;
  readonly retryTime: number;

  constructor(e: Error | string, options: { retryCount: number; retryTime: number }) {
    super(e, { cause: e });
    this.retryCount = options.retryCount;
    this.retryTime = options.retryTime;
    this.stack = `${this.name}\n  Caused by: ${typeof e === "string" ? undefined : (e.stack ?? e.message)}`;
  }
}

/**
 * A request got no response in time (`requestTimeout`); the broker may or may not have acted.
 *
 * @example
 * ```ts
 * new KafkaJSRequestTimeoutError("Request Produce(key: 0, version: 7) timed out", { broker: "localhost:9092" });
 * ```
 */
export class KafkaJSRequestTimeoutError extends KafkaJSError {
  override name = "KafkaJSRequestTimeoutError";
  readonly broker: string;
  readonly correlationId: number;
  readonly createdAt: number;
  readonly sentAt: number;
  readonly pendingDuration: number;

  constructor(
    e: Error | string,
    options: {
      broker?: string;
      clientId?: string;
      createdAt?: number;
      sentAt?: number;
      pendingDuration?: number;
      cause?: unknown;
      correlationId?: number;
    } = {},
  ) {
    super(e, { cause: options.cause, brokerlabCode: "REQUEST_TIMED_OUT" });
    this.broker = options.broker as string;
    this.correlationId = options.correlationId ?? 0;
    this.createdAt = options.createdAt ?? 0;
    this.sentAt = options.sentAt ?? 0;
    this.pendingDuration = options.pendingDuration ?? 0;
  }
}

/**
 * Cluster metadata is not available yet (kafkajs' `KafkaJSMetadataNotLoaded`, retriable).
 *
 * @example
 * ```ts
 * new KafkaJSMetadataNotLoaded("Metadata not loaded");
 * ```
 */
export class KafkaJSMetadataNotLoaded extends KafkaJSError {
  override name = "KafkaJSMetadataNotLoaded";

  protected override defaultCode(): string {
    return "METADATA_NOT_LOADED";
  }
}

/**
 * Metadata for a topic is not available (kafkajs' `KafkaJSTopicMetadataNotLoaded`).
 *
 * @example
 * ```ts
 * new KafkaJSTopicMetadataNotLoaded("Topic metadata not loaded", { topic: "t" });
 * ```
 */
export class KafkaJSTopicMetadataNotLoaded extends KafkaJSMetadataNotLoaded {
  override name = "KafkaJSTopicMetadataNotLoaded";
  readonly topic: string;

  constructor(e?: Error | string, options: { topic?: string } = {}) {
    super(e, { brokerlabCode: "UNKNOWN_TOPIC_OR_PARTITION" });
    this.topic = options.topic as string;
  }
}

/**
 * Several per-topic errors of one admin request (`createTopics`).
 *
 * @example
 * ```ts
 * catch (e) { if (e instanceof KafkaJSAggregateError) e.errors.map((x) => x.message); }
 * ```
 */
export class KafkaJSAggregateError extends Error {
  override name = "KafkaJSAggregateError";
  readonly errors: Error[];
  readonly brokerlabCode: string;
  readonly code: string;

  constructor(message: Error | string, errors: (Error | string)[]) {
    super(messageOf(message));
    this.errors = errors as Error[];
    this.brokerlabCode = codeOf(errors[0]) ?? "KAFKAJS_AGGREGATE";
    this.code = this.brokerlabCode;
  }
}

/**
 * A topic could not be created (one entry of a {@link KafkaJSAggregateError}).
 *
 * @example
 * ```ts
 * new KafkaJSCreateTopicError("TOPIC_ALREADY_EXISTS", "orders");
 * ```
 */
export class KafkaJSCreateTopicError extends KafkaJSProtocolError {
  override name = "KafkaJSCreateTopicError";
  readonly topic: string;

  constructor(
    e: ProtocolErrorType | ProtocolErrorLike | Error | string,
    topic: string,
    options: ProtocolErrorOptions = {},
  ) {
    super(e, options);
    this.topic = topic;
  }
}

/**
 * Some groups could not be deleted: `groups` lists them with their errors.
 *
 * @example
 * ```ts
 * catch (e) { if (e instanceof KafkaJSDeleteGroupsError) e.groups.map((g) => g.groupId); }
 * ```
 */
export class KafkaJSDeleteGroupsError extends KafkaJSError {
  override name = "KafkaJSDeleteGroupsError";
  readonly groups: { groupId: string; errorCode: number; error: KafkaJSError }[];

  constructor(e: Error | string, groups: { groupId: string; errorCode: number; error: KafkaJSError }[] = []) {
    super(e, { brokerlabCode: groups[0]?.error?.brokerlabCode ?? "KAFKAJS_ERROR" });
    this.groups = groups;
  }
}

/**
 * The operation is part of kafkajs but not of the simulator (yet); the message says what to use.
 *
 * @example
 * ```ts
 * catch (e) { if (e instanceof KafkaJSNotImplemented) console.log(e.brokerlabCode); } // NOT_SUPPORTED
 * ```
 */
export class KafkaJSNotImplemented extends KafkaJSNonRetriableError {
  override name = "KafkaJSNotImplemented";

  constructor(e?: Error | string, options: Omit<KafkaJSErrorOptions, "retriable"> = {}) {
    super(e, { brokerlabCode: "NOT_SUPPORTED", ...options });
  }
}

/**
 * Converts any error the native model threw into the error kafkajs would have raised: a
 * {@link LogError} named after a Kafka protocol error becomes a {@link KafkaJSProtocolError} of
 * that type; other brokerlab errors become {@link KafkaJSNonRetriableError}s (they are refusals of
 * bad input or states that retrying cannot fix); facade errors and foreign errors pass through.
 *
 * @example
 * ```ts
 * try { cluster.createTopic("bad name"); } catch (e) { throw toKafkaJSError(e); } // INVALID_TOPIC_EXCEPTION
 * ```
 */
export function toKafkaJSError(error: unknown): Error {
  if (error instanceof KafkaJSError || error instanceof KafkaJSAggregateError) return error;
  if (error instanceof LogError) {
    const type = (TYPE_OF_CODE[error.code] ?? error.code) as ProtocolErrorType;
    if (type in PROTOCOL_ERRORS) {
      return new KafkaJSProtocolError(type, { cause: error, brokerlabCode: error.code, hint: error.message });
    }
    const kafkaCode = (KAFKA_ERRORS as Record<string, { kafkaCode: number | null }>)[error.code]?.kafkaCode;
    if (typeof kafkaCode === "number") {
      return new KafkaJSProtocolError("KAFKAJS_UNKNOWN_ERROR_CODE", {
        cause: error,
        brokerlabCode: error.code,
        hint: `Kafka error code ${kafkaCode} (${error.code}): ${error.message}`,
      });
    }
    if (error.code === "REQUEST_TIMED_OUT" || error.code === "DELIVERY_TIMEOUT") {
      return new KafkaJSRequestTimeoutError(error.message, { broker: "brokerlab", cause: error });
    }
    return new KafkaJSNonRetriableError(error, { cause: error });
  }
  if (error instanceof BrokerlabError) return new KafkaJSNonRetriableError(error, { cause: error });
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * A refusal of bad input, as kafkajs raises it (`KafkaJSNonRetriableError`), with brokerlab's
 * `INVALID_ARGUMENT` code unless another is given.
 *
 * @example
 * ```ts
 * throw invalid("Invalid topic undefined");
 * ```
 */
export function invalid(message: string, brokerlabCode = "INVALID_ARGUMENT"): KafkaJSNonRetriableError {
  return new KafkaJSNonRetriableError(message, { brokerlabCode });
}

/**
 * kafkajs' `isRebalancing`: the errors after which a member must rejoin its group.
 *
 * @example
 * ```ts
 * isRebalancing(new KafkaJSProtocolError("ILLEGAL_GENERATION")); // true
 * ```
 */
export function isRebalancing(error: unknown): boolean {
  const type = (error as { type?: unknown } | null)?.type;
  return (
    type === "REBALANCE_IN_PROGRESS" || type === "NOT_COORDINATOR_FOR_GROUP" || type === "ILLEGAL_GENERATION"
  );
}

/**
 * kafkajs' `isKafkaJSError`.
 *
 * @example
 * ```ts
 * isKafkaJSError(new Error("x")); // false
 * ```
 */
export function isKafkaJSError(error: unknown): error is KafkaJSError {
  return error instanceof KafkaJSError;
}

/**
 * The partitions of a subscribed topic changed since the assignment was made; the member rejoins.
 *
 * @example
 * ```ts
 * new KafkaJSStaleTopicMetadataAssignment("Topic has been updated", { topic: "t", unknownPartitions: [4, 5] });
 * ```
 */
export class KafkaJSStaleTopicMetadataAssignment extends KafkaJSError {
  override name = "KafkaJSStaleTopicMetadataAssignment";
  readonly topic: string;
  /** The new partitions' ids (kafkajs' runtime value; its types say partition metadata, also accepted). */
  readonly unknownPartitions: number[] | PartitionMetadata[];

  constructor(
    e?: Error | string,
    options: { topic?: string; unknownPartitions?: number[] | PartitionMetadata[] } = {},
  ) {
    super(e, { brokerlabCode: "STALE_ASSIGNMENT" });
    this.topic = options.topic as string;
    this.unknownPartitions = options.unknownPartitions as number[];
  }
}
