/**
 * `brokerlab/amqplib`: amqplib's promise API over brokerlab's simulated RabbitMQ 3.10. Code
 * written for amqplib runs unchanged against a simulation by changing only its import; what it
 * observes (routing, deliveries, `redelivered`, delivery tags, returns, confirms, dead-letter
 * headers, channel errors) is what a real RabbitMQ shows, checked by the conformance suite.
 *
 * @example
 * ```ts
 * import amqp from "brokerlab/amqplib"; // was: import amqp from "amqplib";
 *
 * const connection = await amqp.connect("amqp://localhost");
 * const channel = await connection.createChannel();
 * await channel.assertQueue("tasks");
 * await channel.prefetch(1);
 * await channel.consume("tasks", (msg) => {
 *   if (!msg) return;
 *   console.log("working on", msg.content.toString());
 *   channel.ack(msg);
 * });
 * channel.sendToQueue("tasks", Buffer.from("resize:42"), { persistent: true });
 * ```
 */

import type { SocketOptions } from "./connect.js";
import { credentials, connect as plainConnect } from "./connect.js";
import type { ChannelModel } from "./connection.js";
import { IllegalOperationError } from "./errors.js";
import {
  type RecoveringChannelModel,
  type RecoveryOptions,
  recoveringConnect,
  recoveryOptionsOf,
} from "./recovery.js";
import type { Options } from "./types.js";

export { Channel, type ConfirmCallback } from "./channel.js";
export { ConfirmChannel } from "./confirm-channel.js";
export {
  accessControlFor,
  brokerFor,
  type Credentials,
  credentials,
  defaultSimulation,
  resetDefaultSimulation,
  type SocketOptions,
} from "./connect.js";
export type { ChannelModel as Connection } from "./connection.js";
export { ChannelModel, SERVER_PROPERTIES } from "./connection.js";
export { IllegalOperationError, type ServerCloseError } from "./errors.js";
export {
  RecoveringCallbackModel,
  RecoveringChannelModel,
  type RecoveryOptions,
  recoveryDelay,
} from "./recovery.js";
export type {
  CommonMessageFields,
  ConsumeMessage,
  ConsumeMessageFields,
  GetMessage,
  GetMessageFields,
  Message,
  MessageContent,
  MessageFields,
  MessageProperties,
  MessagePropertyHeaders,
  Options,
  Replies,
  ReturnMessage,
  ReturnMessageFields,
  ServerProperties,
  XDeath,
} from "./types.js";

/**
 * amqplib's `connect`, against a simulated RabbitMQ (see `./connect.ts` for the URL and socket
 * options). With `socketOptions.recovery` (amqplib ≥ 1.1: `true` or {@link RecoveryOptions}) it
 * resolves to a {@link RecoveringChannelModel} that reconnects after a lost connection with
 * amqplib's backoff in virtual time and re-runs `setup`.
 *
 * @example
 * ```ts
 * const connection = await connect("amqp://localhost");
 * const recovering = await connect("amqp://localhost", { recovery: { setup: async (c) => {} } });
 * ```
 */
export function connect(
  url: string | Options.Connect | undefined,
  socketOptions: SocketOptions & { recovery: RecoveryOptions | true },
): Promise<RecoveringChannelModel>;
export function connect(url?: string | Options.Connect, socketOptions?: SocketOptions): Promise<ChannelModel>;
export function connect(
  url?: string | Options.Connect,
  socketOptions?: SocketOptions,
): Promise<ChannelModel | RecoveringChannelModel> {
  let recovery: ReturnType<typeof recoveryOptionsOf>;
  try {
    recovery = recoveryOptionsOf(socketOptions);
  } catch (error) {
    return Promise.reject(error);
  }
  if (recovery === null) return plainConnect(url, socketOptions);
  return recoveringConnect(url, recovery.connectionOptions, recovery.recovery);
}

/**
 * The module as amqplib's CommonJS export looks (`import amqp from "amqplib"`): `connect`,
 * `credentials` and `IllegalOperationError`.
 *
 * @example
 * ```ts
 * import amqp from "brokerlab/amqplib";
 * const connection = await amqp.connect();
 * ```
 */
const amqplib = Object.freeze({ connect, credentials, IllegalOperationError });
export default amqplib;
