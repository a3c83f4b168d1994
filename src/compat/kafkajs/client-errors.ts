import {
  KafkaJSError,
  type KafkaJSErrorOptions,
  KafkaJSNonRetriableError,
  KafkaJSProtocolError,
  type ProtocolErrorLike,
  type ProtocolErrorOptions,
  type ProtocolErrorType,
} from "./errors.js";

/**
 * The rest of kafkajs 2.2.4's error classes (`src/errors.js`): connection, broker, codec, lock and
 * admin errors, with kafkajs' names, constructor arguments, `retriable` flags and prototype chains,
 * so `instanceof` and `error.name` checks in application code behave as with kafkajs. Each also
 * carries brokerlab's stable `brokerlabCode` (see errors.ts). The core classes (KafkaJSError,
 * KafkaJSProtocolError, timeouts and metadata errors the facade raises) live in errors.ts.
 */

/**
 * A member must rejoin with the member id the coordinator assigned (MEMBER_ID_REQUIRED).
 *
 * @example
 * ```ts
 * new KafkaJSMemberIdRequired("MEMBER_ID_REQUIRED", { memberId: "m-1" }).memberId; // "m-1"
 * ```
 */
export class KafkaJSMemberIdRequired extends KafkaJSProtocolError {
  override name = "KafkaJSMemberIdRequired";
  readonly memberId: string;

  constructor(
    e: ProtocolErrorType | ProtocolErrorLike | Error | string,
    options: { memberId: string } & ProtocolErrorOptions,
  ) {
    super(e, options);
    this.memberId = options.memberId;
  }
}

/**
 * A connection to a broker failed (retriable). `code` is the socket error's code when given
 * (`"ECONNREFUSED"`), as in kafkajs; otherwise brokerlab's `CONNECTION_ERROR`.
 *
 * @example
 * ```ts
 * new KafkaJSConnectionError("Connection error: ECONNREFUSED", { broker: "kafka:9092", code: "ECONNREFUSED" });
 * ```
 */
export class KafkaJSConnectionError extends KafkaJSError {
  override name = "KafkaJSConnectionError";
  readonly broker: string;

  constructor(e: Error | string, options: { broker?: string; code?: string } & KafkaJSErrorOptions = {}) {
    super(e, options);
    this.broker = options.broker as string;
    if (options.code !== undefined) (this as { code: string | number }).code = options.code;
  }

  protected override defaultCode(): string {
    return "CONNECTION_ERROR";
  }
}

/**
 * The broker closed the connection (`broker` is `host:port`).
 *
 * @example
 * ```ts
 * new KafkaJSConnectionClosedError("Closed connection", { host: "kafka", port: 9092 }).broker; // "kafka:9092"
 * ```
 */
export class KafkaJSConnectionClosedError extends KafkaJSConnectionError {
  override name = "KafkaJSConnectionClosedError";
  readonly host: string;
  readonly port: number;

  constructor(e: Error | string, options: { host?: string; port?: number } = {}) {
    super(e, { broker: `${options.host}:${options.port}`, brokerlabCode: "CONNECTION_CLOSED" });
    this.host = options.host as string;
    this.port = options.port as number;
  }
}

/**
 * The broker does not support an API the client needs (not retriable).
 *
 * @example
 * ```ts
 * new KafkaJSServerDoesNotSupportApiKey("The Kafka server does not support the requested API version", { apiKey: 0, apiName: "Produce" });
 * ```
 */
export class KafkaJSServerDoesNotSupportApiKey extends KafkaJSNonRetriableError {
  override name = "KafkaJSServerDoesNotSupportApiKey";
  readonly apiKey: number;
  readonly apiName: string;

  constructor(e: Error | string, options: { apiKey?: number; apiName?: string } = {}) {
    super(e, { brokerlabCode: "UNSUPPORTED_VERSION" });
    this.apiKey = options.apiKey as number;
    this.apiName = options.apiName as string;
  }
}

/**
 * No broker with the requested node id is known (retriable: metadata is refreshed).
 *
 * @example
 * ```ts
 * new KafkaJSBrokerNotFound("Broker 3 not found in the cached metadata");
 * ```
 */
export class KafkaJSBrokerNotFound extends KafkaJSError {
  override name = "KafkaJSBrokerNotFound";

  protected override defaultCode(): string {
    return "BROKER_NOT_FOUND";
  }
}

/**
 * A response ended mid-message (not retriable).
 *
 * @example
 * ```ts
 * new KafkaJSPartialMessageError("Incomplete message");
 * ```
 */
export class KafkaJSPartialMessageError extends KafkaJSNonRetriableError {
  override name = "KafkaJSPartialMessageError";

  protected override defaultCode(): string {
    return "PARTIAL_MESSAGE";
  }
}

/**
 * SASL authentication failed (not retriable).
 *
 * @example
 * ```ts
 * new KafkaJSSASLAuthenticationError("SASL PLAIN authentication failed");
 * ```
 */
export class KafkaJSSASLAuthenticationError extends KafkaJSNonRetriableError {
  override name = "KafkaJSSASLAuthenticationError";

  protected override defaultCode(): string {
    return "SASL_AUTHENTICATION_FAILED";
  }
}

/**
 * No coordinator could be found for a group (not retriable).
 *
 * @example
 * ```ts
 * new KafkaJSGroupCoordinatorNotFound("Failed to find group coordinator");
 * ```
 */
export class KafkaJSGroupCoordinatorNotFound extends KafkaJSNonRetriableError {
  override name = "KafkaJSGroupCoordinatorNotFound";

  protected override defaultCode(): string {
    return "COORDINATOR_NOT_FOUND";
  }
}

/**
 * A client-side wait ran out (not retriable).
 *
 * @example
 * ```ts
 * new KafkaJSTimeout("Timeout while waiting for the transaction to complete");
 * ```
 */
export class KafkaJSTimeout extends KafkaJSNonRetriableError {
  override name = "KafkaJSTimeout";

  protected override defaultCode(): string {
    return "TIMEOUT";
  }
}

/**
 * A client-side lock was not acquired in time (a {@link KafkaJSTimeout}).
 *
 * @example
 * ```ts
 * new KafkaJSLockTimeout("Timeout while acquiring lock");
 * ```
 */
export class KafkaJSLockTimeout extends KafkaJSTimeout {
  override name = "KafkaJSLockTimeout";

  protected override defaultCode(): string {
    return "LOCK_TIMEOUT";
  }
}

/**
 * A message set used a magic byte kafkajs cannot decode (not retriable).
 *
 * @example
 * ```ts
 * new KafkaJSUnsupportedMagicByteInMessageSet("Unsupported MessageSet message version, magic byte: 3");
 * ```
 */
export class KafkaJSUnsupportedMagicByteInMessageSet extends KafkaJSNonRetriableError {
  override name = "KafkaJSUnsupportedMagicByteInMessageSet";

  protected override defaultCode(): string {
    return "UNSUPPORTED_MAGIC_BYTE";
  }
}

/** One partition's outcome in a {@link KafkaJSDeleteTopicRecordsError}. */
export interface DeleteTopicRecordsPartitionError {
  partition: number;
  offset: string;
  error?: KafkaJSError | null;
}

/**
 * `deleteTopicRecords` failed for some partitions; retriable when every partition's error is.
 *
 * @example
 * ```ts
 * new KafkaJSDeleteTopicRecordsError({ topic: "t", partitions: [{ partition: 0, offset: "5", error }] });
 * ```
 */
export class KafkaJSDeleteTopicRecordsError extends KafkaJSError {
  override name = "KafkaJSDeleteTopicRecordsError";
  readonly partitions: DeleteTopicRecordsPartitionError[];

  constructor(metadata: { topic?: string; partitions: DeleteTopicRecordsPartitionError[] }) {
    const failed = metadata.partitions.filter(({ error }) => error != null);
    super("Error while deleting records", {
      retriable: failed.every(({ error }) => error?.retriable === true),
      brokerlabCode: failed[0]?.error?.brokerlabCode ?? "DELETE_RECORDS_FAILED",
    });
    this.partitions = metadata.partitions;
  }
}

/**
 * An internal invariant broke (a bug; not retriable). kafkajs links its issue tracker in
 * `helpUrl`; brokerlab leaves it unset.
 *
 * @example
 * ```ts
 * new KafkaJSInvariantViolation("Correlation id already exists").message;
 * // "Invariant violated: Correlation id already exists. This is likely a bug and should be reported."
 * ```
 */
export class KafkaJSInvariantViolation extends KafkaJSNonRetriableError {
  override name = "KafkaJSInvariantViolation";

  constructor(e: Error | string) {
    const message = typeof e === "string" ? e : e.message || String(e);
    super(`Invariant violated: ${message}. This is likely a bug and should be reported.`, {
      brokerlabCode: "INVARIANT_VIOLATION",
    });
  }
}

/**
 * A varint did not decode (not retriable). Its `name` is `"KafkaJSNonRetriableError"`, as kafkajs
 * 2.2.4 sets it.
 *
 * @example
 * ```ts
 * new KafkaJSInvalidVarIntError("Malformed varint").name; // "KafkaJSNonRetriableError"
 * ```
 */
export class KafkaJSInvalidVarIntError extends KafkaJSNonRetriableError {
  override name = "KafkaJSNonRetriableError";

  protected override defaultCode(): string {
    return "INVALID_VARINT";
  }
}

/**
 * A 64-bit integer did not decode (not retriable). Its `name` is `"KafkaJSNonRetriableError"`,
 * as kafkajs 2.2.4 sets it.
 *
 * @example
 * ```ts
 * new KafkaJSInvalidLongError("Malformed long").name; // "KafkaJSNonRetriableError"
 * ```
 */
export class KafkaJSInvalidLongError extends KafkaJSNonRetriableError {
  override name = "KafkaJSNonRetriableError";

  protected override defaultCode(): string {
    return "INVALID_LONG";
  }
}

/**
 * A partition reassignment failed for `topic`/`partition`.
 *
 * @example
 * ```ts
 * new KafkaJSAlterPartitionReassignmentsError("INVALID_REPLICA_ASSIGNMENT", "orders", 0).partition; // 0
 * ```
 */
export class KafkaJSAlterPartitionReassignmentsError extends KafkaJSProtocolError {
  override name = "KafkaJSAlterPartitionReassignmentsError";
  readonly topic?: string;
  readonly partition?: number;

  constructor(
    e: ProtocolErrorType | ProtocolErrorLike | Error | string,
    topic?: string,
    partition?: number,
    options: ProtocolErrorOptions = {},
  ) {
    super(e, options);
    if (topic !== undefined) this.topic = topic;
    if (partition !== undefined) this.partition = partition;
  }
}

/**
 * kafkajs' internal signal that a fetcher stopped for a rebalance. A plain `Error` subclass whose
 * `name` stays `"Error"`, as in kafkajs.
 *
 * @example
 * ```ts
 * new KafkaJSFetcherRebalanceError() instanceof Error; // true
 * ```
 */
export class KafkaJSFetcherRebalanceError extends Error {}

/**
 * No broker could be reached (retriable). The message is always kafkajs' `"No broker available"`.
 *
 * @example
 * ```ts
 * new KafkaJSNoBrokerAvailableError().message; // "No broker available"
 * ```
 */
export class KafkaJSNoBrokerAvailableError extends KafkaJSError {
  override name = "KafkaJSNoBrokerAvailableError";

  constructor() {
    super("No broker available", { brokerlabCode: "NO_BROKER_AVAILABLE" });
  }
}
