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

import { connect, credentials } from "./connect.js";
import { IllegalOperationError } from "./errors.js";

export { Channel, type ConfirmCallback } from "./channel.js";
export { ConfirmChannel } from "./confirm-channel.js";
export {
  brokerFor,
  type Credentials,
  connect,
  credentials,
  defaultSimulation,
  resetDefaultSimulation,
  type SocketOptions,
} from "./connect.js";
export type { ChannelModel as Connection } from "./connection.js";
export { ChannelModel, SERVER_PROPERTIES } from "./connection.js";
export { IllegalOperationError, type ServerCloseError } from "./errors.js";
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
