import { BrokerlabError } from "../scheduler/errors.js";

/**
 * Stable error codes of the log model, named after Kafka's protocol errors (`Errors.java`) where
 * Kafka has one, and after the Java client's exception otherwise. The table gives, for each code,
 * Kafka's own name, its protocol error number (null for client-side exceptions) and whether a
 * Kafka client would retry it.
 *
 * @example
 * ```ts
 * KAFKA_ERRORS.INVALID_TOPIC_NAME.kafkaName; // "INVALID_TOPIC_EXCEPTION"
 * ```
 */
export const KAFKA_ERRORS = {
  OFFSET_OUT_OF_RANGE: { kafkaName: "OFFSET_OUT_OF_RANGE", kafkaCode: 1, retriable: false },
  UNKNOWN_TOPIC_OR_PARTITION: { kafkaName: "UNKNOWN_TOPIC_OR_PARTITION", kafkaCode: 3, retriable: true },
  REQUEST_TIMED_OUT: { kafkaName: "REQUEST_TIMED_OUT", kafkaCode: 7, retriable: true },
  MESSAGE_TOO_LARGE: { kafkaName: "MESSAGE_TOO_LARGE", kafkaCode: 10, retriable: false },
  COORDINATOR_NOT_AVAILABLE: { kafkaName: "COORDINATOR_NOT_AVAILABLE", kafkaCode: 15, retriable: true },
  INVALID_TOPIC_NAME: { kafkaName: "INVALID_TOPIC_EXCEPTION", kafkaCode: 17, retriable: false },
  ILLEGAL_GENERATION: { kafkaName: "ILLEGAL_GENERATION", kafkaCode: 22, retriable: false },
  INCONSISTENT_GROUP_PROTOCOL: { kafkaName: "INCONSISTENT_GROUP_PROTOCOL", kafkaCode: 23, retriable: false },
  INVALID_GROUP_ID: { kafkaName: "INVALID_GROUP_ID", kafkaCode: 24, retriable: false },
  UNKNOWN_MEMBER_ID: { kafkaName: "UNKNOWN_MEMBER_ID", kafkaCode: 25, retriable: false },
  INVALID_SESSION_TIMEOUT: { kafkaName: "INVALID_SESSION_TIMEOUT", kafkaCode: 26, retriable: false },
  REBALANCE_IN_PROGRESS: { kafkaName: "REBALANCE_IN_PROGRESS", kafkaCode: 27, retriable: false },
  TOPIC_ALREADY_EXISTS: { kafkaName: "TOPIC_ALREADY_EXISTS", kafkaCode: 36, retriable: false },
  INVALID_PARTITIONS: { kafkaName: "INVALID_PARTITIONS", kafkaCode: 37, retriable: false },
  INVALID_CONFIG: { kafkaName: "INVALID_CONFIG", kafkaCode: 40, retriable: false },
  OUT_OF_ORDER_SEQUENCE_NUMBER: {
    kafkaName: "OUT_OF_ORDER_SEQUENCE_NUMBER",
    kafkaCode: 45,
    retriable: false,
  },
  INVALID_PRODUCER_EPOCH: { kafkaName: "INVALID_PRODUCER_EPOCH", kafkaCode: 47, retriable: false },
  INVALID_TXN_STATE: { kafkaName: "INVALID_TXN_STATE", kafkaCode: 48, retriable: false },
  INVALID_PRODUCER_ID_MAPPING: { kafkaName: "INVALID_PRODUCER_ID_MAPPING", kafkaCode: 49, retriable: false },
  INVALID_TRANSACTION_TIMEOUT: { kafkaName: "INVALID_TRANSACTION_TIMEOUT", kafkaCode: 50, retriable: false },
  CONCURRENT_TRANSACTIONS: { kafkaName: "CONCURRENT_TRANSACTIONS", kafkaCode: 51, retriable: true },
  UNKNOWN_PRODUCER_ID: { kafkaName: "UNKNOWN_PRODUCER_ID", kafkaCode: 59, retriable: false },
  NON_EMPTY_GROUP: { kafkaName: "NON_EMPTY_GROUP", kafkaCode: 68, retriable: false },
  GROUP_ID_NOT_FOUND: { kafkaName: "GROUP_ID_NOT_FOUND", kafkaCode: 69, retriable: false },
  FENCED_INSTANCE_ID: { kafkaName: "FENCED_INSTANCE_ID", kafkaCode: 82, retriable: false },
  INVALID_RECORD: { kafkaName: "INVALID_RECORD", kafkaCode: 87, retriable: false },
  UNSTABLE_OFFSET_COMMIT: { kafkaName: "UNSTABLE_OFFSET_COMMIT", kafkaCode: 88, retriable: true },
  PRODUCER_FENCED: { kafkaName: "PRODUCER_FENCED", kafkaCode: 90, retriable: false },
  NO_OFFSET_FOR_PARTITION: { kafkaName: "NoOffsetForPartitionException", kafkaCode: null, retriable: false },
  DELIVERY_TIMEOUT: { kafkaName: "TimeoutException", kafkaCode: null, retriable: false },
  TRANSACTION_ABORTED: { kafkaName: "TransactionAbortedException", kafkaCode: null, retriable: false },
  PRODUCER_CLOSED: { kafkaName: "IllegalStateException", kafkaCode: null, retriable: false },
  CONSUMER_CLOSED: { kafkaName: "IllegalStateException", kafkaCode: null, retriable: false },
  ILLEGAL_STATE: { kafkaName: "IllegalStateException", kafkaCode: null, retriable: false },
  NOT_SUPPORTED: { kafkaName: "UnsupportedOperationException", kafkaCode: null, retriable: false },
} as const;

/** A stable code of the log model; see {@link KAFKA_ERRORS}. */
export type LogErrorCode = keyof typeof KAFKA_ERRORS;

/**
 * An error of the log model: a stable `code` (see {@link KAFKA_ERRORS}), Kafka's name for it in
 * `details.kafkaName` and `kafkaName`, and whether a Kafka client would retry it.
 *
 * @example
 * ```ts
 * try { cluster.createTopic("bad name"); }
 * catch (e) { if (e instanceof LogError) console.log(e.code, e.kafkaName); } // INVALID_TOPIC_NAME INVALID_TOPIC_EXCEPTION
 * ```
 */
export class LogError extends BrokerlabError {
  /** Kafka's name for this error (protocol error or Java exception). */
  readonly kafkaName: string;
  /** True when a Kafka client would retry the request on its own. */
  readonly retriable: boolean;

  constructor(code: LogErrorCode, message: string, details: Record<string, unknown> = {}) {
    const info = KAFKA_ERRORS[code];
    super(code, message, { kafkaName: info.kafkaName, ...details });
    this.kafkaName = info.kafkaName;
    this.retriable = info.retriable;
  }

  /** Narrowed code. */
  get logCode(): LogErrorCode {
    return this.code as LogErrorCode;
  }
}

/**
 * A refused offset commit, as the Java client's `CommitFailedException`: `code` is the
 * coordinator's reason (`UNKNOWN_MEMBER_ID` after the member was removed, `ILLEGAL_GENERATION` for
 * a stale generation, `REBALANCE_IN_PROGRESS` while the group is completing a rebalance).
 *
 * @example
 * ```ts
 * try { consumer.commitSync(); }
 * catch (e) { if (e instanceof CommitFailedError) consumer.poll(); } // rejoin; records will be redelivered
 * ```
 */
export class CommitFailedError extends LogError {
  constructor(code: LogErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, message, { commitFailed: true, ...details });
  }
}

/** True when `error` is a {@link LogError} with this code. */
export function isLogError(error: unknown, code?: LogErrorCode): error is LogError {
  return error instanceof LogError && (code === undefined || error.code === code);
}
