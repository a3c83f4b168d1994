/**
 * `brokerlab/amqplib/callback_api`: amqplib's callback API (`amqplib/callback_api`) over the
 * same simulated RabbitMQ as `brokerlab/amqplib`. Code written for amqplib's callback API runs
 * unchanged by changing only its import; connections and channels are thin adapters over the
 * promise facade's, so routing, deliveries, errors and events are the same.
 *
 * @example
 * ```ts
 * import amqp from "brokerlab/amqplib/callback_api"; // was: require("amqplib/callback_api")
 *
 * amqp.connect((err, connection) => {
 *   if (err) throw err;
 *   connection.createChannel((err, channel) => {
 *     if (err) throw err;
 *     channel.assertQueue("hello", { durable: false });
 *     channel.consume("hello", (msg) => console.log(msg?.content.toString()), { noAck: true });
 *     channel.sendToQueue("hello", Buffer.from("Hello World!"));
 *   });
 * });
 * ```
 */

import { CallbackModel } from "./callback/callback-model.js";
import { type CallbackError, checkCallback } from "./callback/delegating-emitter.js";
import { credentials, connect as promiseConnect, type SocketOptions } from "./connect.js";
import { IllegalOperationError } from "./errors.js";
import { type RecoveringCallbackModel, recoveringCallbackConnect, recoveryOptionsOf } from "./recovery.js";
import type { Options } from "./types.js";

export {
  CallbackChannel as Channel,
  CallbackConfirmChannel as ConfirmChannel,
} from "./callback/callback-channel.js";
export { CallbackModel, CallbackModel as Connection } from "./callback/callback-model.js";
export { credentials, type SocketOptions } from "./connect.js";
export { IllegalOperationError } from "./errors.js";
export type {
  RecoveringCallbackModel,
  RecoveringCallbackModel as RecoveringConnection,
  RecoveryOptions,
} from "./recovery.js";
export type {
  ConsumeMessage,
  GetMessage,
  Message,
  MessageFields,
  MessageProperties,
  Options,
  Replies,
} from "./types.js";

type ConnectCallback = (err: CallbackError, connection: CallbackModel) => void;

/**
 * amqplib's callback-API `connect`, in the three shapes amqplib takes: `connect(cb)`,
 * `connect(url, cb)` and `connect(url, socketOptions, cb)`. Calls `cb(null, connection)` once
 * connected, `cb(err)` when the connection is refused (a bad URL, `BROKER_DOWN` while the broker
 * restarts, `CONNECTION_REFUSED` across a partition). Socket options as `brokerlab/amqplib`'s
 * `connect` (plus `simulation` and `broker`). With `socketOptions.recovery` (amqplib ≥ 1.1) it
 * returns a recovering connection that reconnects in virtual time and re-runs `setup`.
 *
 * @example
 * ```ts
 * connect("amqp://localhost", { simulation: sim }, (err, connection) => {
 *   if (err) return console.error(err);
 *   connection.createChannel((err, channel) => channel.assertQueue("jobs"));
 * });
 * ```
 */
export function connect(cb: ConnectCallback): void;
export function connect(url: string | Options.Connect | undefined, cb: ConnectCallback): void;
export function connect(
  url: string | Options.Connect | undefined,
  socketOptions: SocketOptions | undefined,
  cb: ConnectCallback,
): void;
export function connect(
  url: string | Options.Connect | undefined,
  socketOptions: SocketOptions & { recovery: unknown },
  cb?: (err: CallbackError, connection: RecoveringCallbackModel) => void,
): RecoveringCallbackModel;
export function connect(
  url?: unknown,
  socketOptions?: unknown,
  cb?: unknown,
): RecoveringCallbackModel | undefined {
  if (typeof url === "function") {
    cb = url;
    url = undefined;
    socketOptions = undefined;
  } else if (typeof socketOptions === "function") {
    cb = socketOptions;
    socketOptions = undefined;
  }
  const recovery = recoveryOptionsOf(socketOptions);
  if (recovery !== null) {
    checkCallback(cb, "connect");
    return recoveringCallbackConnect(
      url as string | Options.Connect | undefined,
      recovery.connectionOptions,
      recovery.recovery,
      cb as ((err: Error | null, connection?: RecoveringCallbackModel) => void) | undefined,
    );
  }
  checkCallback(cb, "connect", true);
  const done = cb as ConnectCallback;
  promiseConnect(
    url as string | Options.Connect | undefined,
    socketOptions as SocketOptions | undefined,
  ).then(
    (model) => done(null, new CallbackModel(model)),
    (err: Error) => (done as (err: Error) => void)(err),
  );
  return undefined;
}

/**
 * The module as amqplib's CommonJS `amqplib/callback_api` export looks: `connect`,
 * `credentials` and `IllegalOperationError`.
 *
 * @example
 * ```ts
 * import amqp from "brokerlab/amqplib/callback_api";
 * amqp.connect((err, connection) => {});
 * ```
 */
const callbackApi = Object.freeze({ connect, credentials, IllegalOperationError });
export default callbackApi;
