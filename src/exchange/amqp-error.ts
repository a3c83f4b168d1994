import { BrokerlabError, InvalidStateError } from "../scheduler/errors.js";

/**
 * The AMQP 0-9-1 reply codes brokerlab's RabbitMQ model raises, by their constant names. Each is
 * also the `code` of the {@link AmqpError} that carries it.
 *
 * @example
 * ```ts
 * AMQP_REPLY_CODES.PRECONDITION_FAILED; // 406
 * ```
 */
export const AMQP_REPLY_CODES = {
  /** 312: a `basic.return` reason, never an error. */
  NO_ROUTE: 312,
  /** 320: the broker closed the connection (a restart or shutdown; a missed-heartbeats timeout). */
  CONNECTION_FORCED: 320,
  /** 403: default-exchange bindings, reserved `amq.*` names, internal exchanges, exclusive consumers. */
  ACCESS_REFUSED: 403,
  /** 404: a missing queue or exchange. */
  NOT_FOUND: 404,
  /** 405: another connection's exclusive queue. */
  RESOURCE_LOCKED: 405,
  /** 406: inequivalent redeclaration, bad delivery tag, invalid arguments, unmet `ifUnused`/`ifEmpty`. */
  PRECONDITION_FAILED: 406,
  /** 503: an unknown exchange type (a connection error). */
  COMMAND_INVALID: 503,
  /** 530: reusing a consumer tag on one channel (a connection error). */
  NOT_ALLOWED: 530,
  /** 540: a feature the queue type lacks, such as global QoS on a quorum queue (a connection error). */
  NOT_IMPLEMENTED: 540,
} as const;

/**
 * The name of an AMQP error constant brokerlab raises (the keys of {@link AMQP_REPLY_CODES} but
 * `NO_ROUTE`).
 *
 * @example
 * ```ts
 * const code: AmqpErrorCode = "NOT_FOUND";
 * ```
 */
export type AmqpErrorCode = Exclude<keyof typeof AMQP_REPLY_CODES, "NO_ROUTE">;

/** Reply codes that close the whole connection in AMQP 0-9-1 ("hard errors"). */
const CONNECTION_LEVEL: ReadonlySet<AmqpErrorCode> = new Set<AmqpErrorCode>([
  "CONNECTION_FORCED",
  "COMMAND_INVALID",
  "NOT_ALLOWED",
  "NOT_IMPLEMENTED",
]);

/**
 * What the broker refused, the way RabbitMQ refuses it: `code` is the AMQP constant name
 * (`NOT_FOUND`, `ACCESS_REFUSED`, `RESOURCE_LOCKED`, `PRECONDITION_FAILED`, …), `details.replyCode`
 * the numeric reply code (404, 403, 405, 406, …) and `details.replyText` RabbitMQ's reply text
 * (`"NOT_FOUND - no queue 'jobs' in vhost '/'"`), so an amqplib-shaped facade can print exactly
 * what amqplib prints. `details.reason` names the specific rule (for example `"unknown-delivery-tag"`
 * or `"inequivalent-arg"`), and other details name the resources involved.
 *
 * On a channel, an `AmqpError` closes the channel (or, for the connection-level codes 503, 530
 * and 540, the connection): its unacked messages are requeued and later calls fail with
 * `CHANNEL_CLOSED`. Argument-shape mistakes (a number where a string belongs, an unknown option, a
 * routing key over 255 bytes) are {@link InvalidArgumentError}s instead and close nothing: a real
 * client refuses them before anything reaches the broker.
 *
 * @example
 * ```ts
 * try {
 *   channel.get("missing");
 * } catch (error) {
 *   if (error instanceof AmqpError && error.code === "NOT_FOUND") {
 *     error.replyCode; // 404
 *     channel.closed; // true
 *   }
 * }
 * ```
 */
export class AmqpError extends BrokerlabError {
  /** The AMQP constant name; same as `code`. */
  declare readonly code: AmqpErrorCode;

  constructor(code: AmqpErrorCode, text: string, details: Record<string, unknown> = {}) {
    const replyText = `${code} - ${text}`;
    super(code, replyText, { replyCode: AMQP_REPLY_CODES[code], replyText, ...details });
  }

  /** The numeric AMQP reply code, e.g. 404. */
  get replyCode(): number {
    return AMQP_REPLY_CODES[this.code];
  }

  /** RabbitMQ's reply text, e.g. `"NOT_FOUND - no exchange 'x' in vhost '/'"`. */
  get replyText(): string {
    return this.message;
  }

  /** True for hard errors (320, 503, 530, 540) that close the connection rather than the channel. */
  get connectionLevel(): boolean {
    return CONNECTION_LEVEL.has(this.code);
  }
}

/**
 * Renders a resource the way RabbitMQ's `rabbit_misc:rs/1` does: `queue 'jobs' in vhost '/'`.
 * brokerlab has no virtual hosts; every resource lives in `/`.
 *
 * @example
 * ```ts
 * resourceName("exchange", "orders"); // "exchange 'orders' in vhost '/'"
 * ```
 */
export function resourceName(kind: "queue" | "exchange", name: string): string {
  return `${kind} '${name}' in vhost '/'`;
}

/**
 * The 404 for a missing queue or exchange.
 *
 * @example
 * ```ts
 * throw notFound("queue", "jobs"); // NOT_FOUND - no queue 'jobs' in vhost '/'
 * ```
 */
export function notFound(kind: "queue" | "exchange", name: string): AmqpError {
  return new AmqpError("NOT_FOUND", `no ${resourceName(kind, name)}`, {
    reason: `no-such-${kind}`,
    [kind]: name,
  });
}

/**
 * The 405 for another connection's exclusive queue (RabbitMQ's text, verbatim).
 *
 * @example
 * ```ts
 * throw resourceLocked("private-q");
 * ```
 */
export function resourceLocked(queue: string): AmqpError {
  return new AmqpError(
    "RESOURCE_LOCKED",
    `cannot obtain exclusive access to locked ${resourceName("queue", queue)}. It could be originally ` +
      "declared on another connection or the exclusive property value does not match that of the original declaration.",
    { reason: "exclusive-queue", queue },
  );
}

/**
 * The 406 for settling a delivery tag the channel does not hold (unknown, already settled, or
 * belonging to another channel).
 *
 * @example
 * ```ts
 * throw unknownDeliveryTag(99); // PRECONDITION_FAILED - unknown delivery tag 99
 * ```
 */
export function unknownDeliveryTag(tag: number, extra: Record<string, unknown> = {}): AmqpError {
  return new AmqpError("PRECONDITION_FAILED", `unknown delivery tag ${tag}`, {
    reason: "unknown-delivery-tag",
    deliveryTag: tag,
    ...extra,
  });
}

/**
 * The error every call on a closed channel or connection throws: code `CHANNEL_CLOSED` or
 * `CONNECTION_CLOSED`, with the error that closed it (if any) in `details.cause`.
 *
 * @example
 * ```ts
 * throw closedError("channel", 3, null);
 * ```
 */
export function closedError(what: "channel" | "connection", id: number, cause: unknown): InvalidStateError {
  const why =
    cause === null || cause === undefined
      ? "it was closed"
      : cause instanceof AmqpError
        ? `the broker closed it: ${cause.message}`
        : `its consumer crashed: ${cause instanceof Error ? cause.message : String(cause)}`;
  return new InvalidStateError(
    `${what} ${id} is closed (${why}); open a new ${what} to continue.`,
    what === "channel" ? "CHANNEL_CLOSED" : "CONNECTION_CLOSED",
    cause === null || cause === undefined ? { [what]: id } : { [what]: id, cause },
  );
}
