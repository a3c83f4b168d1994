/**
 * The errors amqplib's promise API produces, rebuilt from brokerlab's {@link AmqpError}s so that
 * code inspecting `err.code`, `err.message` or `err instanceof IllegalOperationError` behaves as
 * against a real RabbitMQ. The texts are amqplib 0.10's (`channel.js`, `format.js`,
 * `connection.js`), the reply texts RabbitMQ 3.10's (the native model already writes those).
 */
import { AmqpError } from "../../exchange/amqp-error.js";

/**
 * What amqplib throws for an operation on a closed (or closing) channel or connection:
 * `"Channel closed"`, `"Channel closing"`, `"Connection closing"`, `"Connection closed (by client)"`.
 * Same name and fields as amqplib's own class.
 *
 * @example
 * ```ts
 * await channel.close();
 * try {
 *   channel.publish("orders", "eu", Buffer.from("x"));
 * } catch (error) {
 *   error instanceof IllegalOperationError; // true
 *   (error as Error).message; // "Channel closed"
 * }
 * ```
 */
export class IllegalOperationError extends Error {
  /** Where the channel or connection changed state; amqplib fills it with a stack capture. */
  readonly stackAtStateChange: string;

  constructor(message: string, stackAtStateChange = "") {
    super(message);
    this.name = "IllegalOperationError";
    this.stackAtStateChange = stackAtStateChange;
  }
}

/**
 * The AMQP methods the facade sends, with their class and method ids (AMQP 0-9-1). A server
 * close names the method that caused it; amqplib compares it with the method an operation was
 * waiting on to word its error ("Operation failed: QueueDeclare; …").
 *
 * @example
 * ```ts
 * AMQP_METHODS.QueueDeclare; // [50, 10]
 * ```
 */
export const AMQP_METHODS = {
  ExchangeDeclare: [40, 10],
  ExchangeDelete: [40, 20],
  ExchangeBind: [40, 30],
  ExchangeUnbind: [40, 40],
  QueueDeclare: [50, 10],
  QueueBind: [50, 20],
  QueuePurge: [50, 30],
  QueueDelete: [50, 40],
  QueueUnbind: [50, 50],
  BasicQos: [60, 10],
  BasicConsume: [60, 20],
  BasicCancel: [60, 30],
  BasicPublish: [60, 40],
  BasicGet: [60, 70],
  BasicAck: [60, 80],
  BasicReject: [60, 90],
  BasicRecover: [60, 110],
  BasicNack: [60, 120],
} as const satisfies Record<string, readonly [number, number]>;

/**
 * The name of an AMQP method the facade sends.
 *
 * @example
 * ```ts
 * const method: AmqpMethod = "BasicPublish";
 * ```
 */
export type AmqpMethod = keyof typeof AMQP_METHODS;

/** amqplib's `defs.constant_strs` for the reply codes a server close can carry. */
const CONSTANT_NAMES: Readonly<Record<number, string>> = {
  200: "REPLY-SUCCESS",
  311: "CONTENT-TOO-LARGE",
  312: "NO-ROUTE",
  313: "NO-CONSUMERS",
  320: "CONNECTION-FORCED",
  402: "INVALID-PATH",
  403: "ACCESS-REFUSED",
  404: "NOT-FOUND",
  405: "RESOURCE-LOCKED",
  406: "PRECONDITION-FAILED",
  501: "FRAME-ERROR",
  502: "SYNTAX-ERROR",
  503: "COMMAND-INVALID",
  504: "CHANNEL-ERROR",
  505: "UNEXPECTED-FRAME",
  506: "RESOURCE-ERROR",
  530: "NOT-ALLOWED",
  540: "NOT-IMPLEMENTED",
  541: "INTERNAL-ERROR",
};

/** amqplib's `defs.ChannelClose`: the id of a `channel.close` frame (class 20, method 40). */
export const CHANNEL_CLOSE_ID = (20 << 16) + 40;

/**
 * The fields of a server's `channel.close` or `connection.close`, as amqplib decodes them.
 *
 * @example
 * ```ts
 * const fields: CloseFields = { replyCode: 404, replyText: "NOT_FOUND - no queue 'q' in vhost '/'", classId: 50, methodId: 10 };
 * ```
 */
export interface CloseFields {
  replyCode: number;
  replyText: string;
  classId: number;
  methodId: number;
}

/**
 * The close frame RabbitMQ would send for `error`, naming `method` as its cause (class and method
 * 0 when the broker closed on its own, e.g. a consumer timeout).
 *
 * @example
 * ```ts
 * closeFields(notFound("queue", "q"), "QueueDeclare"); // { replyCode: 404, …, classId: 50, methodId: 10 }
 * ```
 */
export function closeFields(error: AmqpError, method: AmqpMethod | null): CloseFields {
  const [classId, methodId] = method === null ? [0, 0] : AMQP_METHODS[method];
  return { replyCode: error.replyCode, replyText: error.replyText, classId, methodId };
}

/**
 * amqplib's `closeMessage`: `404 (NOT-FOUND) with message "NOT_FOUND - no queue 'q' in vhost '/'"`.
 *
 * @example
 * ```ts
 * closeMessage({ replyCode: 406, replyText: "PRECONDITION_FAILED - unknown delivery tag 9", classId: 60, methodId: 80 });
 * ```
 */
export function closeMessage(fields: CloseFields): string {
  return `${fields.replyCode} (${CONSTANT_NAMES[fields.replyCode] ?? "undefined"}) with message "${fields.replyText}"`;
}

/**
 * An amqplib server-close error: an `Error` with numeric `code`, `classId` and `methodId`.
 *
 * @example
 * ```ts
 * const error = serverError("Channel closed by server: ", fields);
 * error.code; // 404
 * ```
 */
export interface ServerCloseError extends Error {
  code: number;
  classId: number;
  methodId: number;
}

function withFields(message: string, fields: CloseFields): ServerCloseError {
  const error = new Error(message) as ServerCloseError;
  error.code = fields.replyCode;
  error.classId = fields.classId;
  error.methodId = fields.methodId;
  return error;
}

/**
 * The error a channel emits as `'error'` when the server closes it:
 * `Channel closed by server: 404 (NOT-FOUND) with message "…"`.
 *
 * @example
 * ```ts
 * channelClosedByServer(fields).message; // "Channel closed by server: 404 (NOT-FOUND) with message \"NOT_FOUND - …\""
 * ```
 */
export function channelClosedByServer(fields: CloseFields): ServerCloseError {
  return withFields(`Channel closed by server: ${closeMessage(fields)}`, fields);
}

/**
 * The error an operation awaiting a reply is rejected with when the server closes its channel:
 * `Operation failed: QueueDeclare; 404 (NOT-FOUND) …` when the close names that very method,
 * else the same text as {@link channelClosedByServer}.
 *
 * @example
 * ```ts
 * operationFailed("QueueDeclare", fields).message; // "Operation failed: QueueDeclare; 404 (NOT-FOUND) with message …"
 * ```
 */
export function operationFailed(method: AmqpMethod, fields: CloseFields): ServerCloseError {
  const [classId, methodId] = AMQP_METHODS[method];
  const same = classId === fields.classId && methodId === fields.methodId;
  return same
    ? withFields(`Operation failed: ${method}; ${closeMessage(fields)}`, fields)
    : channelClosedByServer(fields);
}

/**
 * The error a connection emits as `'error'` (and passes to `'close'`) when the server closes it
 * with a hard error: `Connection closed: 503 (COMMAND-INVALID) with message "…"`.
 *
 * @example
 * ```ts
 * connectionClosedByServer(error).code; // 503
 * ```
 */
export function connectionClosedByServer(error: AmqpError): Error & { code: number } {
  const fields = closeFields(error, null);
  const out = new Error(`Connection closed: ${closeMessage(fields)}`) as Error & { code: number };
  out.code = fields.replyCode;
  return out;
}

/**
 * What operations still awaiting a reply are rejected with once their channel is gone.
 *
 * @example
 * ```ts
 * channelEnded().message; // "Channel ended, no reply will be forthcoming"
 * ```
 */
export function channelEnded(): Error {
  return new Error("Channel ended, no reply will be forthcoming");
}

/**
 * What a confirm callback receives for a publish the broker nacked.
 *
 * @example
 * ```ts
 * channel.publish("x", "k", body, {}, (err) => err?.message); // "message nacked"
 * ```
 */
export function messageNacked(): Error {
  return new Error("message nacked");
}

/**
 * What a confirm callback receives when its channel closes before the confirm arrived.
 *
 * @example
 * ```ts
 * channelClosedForConfirm().message; // "channel closed"
 * ```
 */
export function channelClosedForConfirm(): Error {
  return new Error("channel closed");
}

/**
 * What a consumer callback's exception becomes (amqplib's `acceptMessageFrame`): the channel
 * closes with 541 INTERNAL_ERROR and emits the exception itself with `code` 541; a thrown string
 * becomes an `Error` with code 505 UNEXPECTED_FRAME; anything else an `Error` of its text, 541.
 *
 * @example
 * ```ts
 * consumerCrashError(new Error("boom")).code; // 541
 * ```
 */
export function consumerCrashError(thrown: unknown): Error & { code: number } {
  let error: Error & { code: number };
  let code = 541;
  if (typeof thrown === "string") {
    error = new Error(thrown) as Error & { code: number };
    code = 505;
  } else if (thrown instanceof Error) {
    error = thrown as Error & { code: number };
  } else {
    error = new Error(String(thrown)) as Error & { code: number };
  }
  // amqplib sets the code on the callback's own error object; so do we.
  error.code = code;
  return error;
}

/**
 * True for an error the native model raises as a broker refusal (which closes a channel), as
 * opposed to a malformed argument (which changes nothing).
 *
 * @example
 * ```ts
 * isBrokerError(notFound("queue", "q")); // true
 * ```
 */
export function isBrokerError(error: unknown): error is AmqpError {
  return error instanceof AmqpError;
}
