/**
 * Type-level compatibility with amqplib 2.3.1's own declarations (node_modules/amqplib: index.d.ts
 * and callback_api.d.ts): application code typed against amqplib accepts the facade's connections
 * and channels, and amqplib-typed options and replies go through unchanged. `npm run typecheck`
 * compiles this file; a mismatch is a type error. Nothing here runs.
 *
 * The one known difference is on purpose: RabbitMQ 3.10's quorum queues dead-letter with
 * `x-death` reason `"delivery_limit"`, which amqplib's `XDeath` type does not list, so the
 * facade's message types are checked apart from that one field, and the difference is pinned.
 */
import type * as A from "amqplib";
import type * as AC from "amqplib/callback_api";
import * as FC from "../../../src/compat/amqplib/callback_api.js";
import * as F from "../../../src/compat/amqplib/index.js";

declare const connectOptions: A.Options.Connect;
declare const queueOptions: A.Options.AssertQueue;
declare const exchangeOptions: A.Options.AssertExchange;
declare const publishOptions: A.Options.Publish;
declare const consumeOptions: A.Options.Consume;

/**
 * Left out of the whole-object checks and checked on their own: the methods that hand over
 * messages, and the emitter methods, whose `this` result is the whole amqplib type again.
 */
type MessageMethods =
  | "consume"
  | "get"
  | "on"
  | "once"
  | "off"
  | "addListener"
  | "removeListener"
  | "removeAllListeners"
  | "prependListener"
  | "prependOnceListener"
  | "setMaxListeners";

/** A message type apart from its `x-death` header. */
type WithoutDeath<M extends { properties: { headers?: unknown } }> = Omit<M, "properties"> & {
  properties: Omit<M["properties"], "headers"> & {
    headers?: Omit<NonNullable<M["properties"]["headers"]>, "x-death">;
  };
};

type Same<X, Y> = [X] extends [Y] ? ([Y] extends [X] ? true : false) : false;

export async function promiseApiLinesUp(): Promise<void> {
  const model = await F.connect(connectOptions);
  const typedModel: Omit<A.ChannelModel, MessageMethods | "createChannel" | "createConfirmChannel"> = model;
  const channel: Omit<A.Channel, MessageMethods | "connection"> = await model.createChannel();
  const confirm: Omit<A.ConfirmChannel, MessageMethods | "connection"> = await model.createConfirmChannel();
  const q: A.Replies.AssertQueue = await channel.assertQueue("q", queueOptions);
  const x: A.Replies.AssertExchange = await channel.assertExchange("x", "topic", exchangeOptions);
  const sent: boolean = channel.publish("x", "k", Buffer.from("v"), publishOptions);
  const live = await model.createChannel();
  const consumer: A.Replies.Consume = await live.consume(
    "q",
    (msg) => {
      const typed: WithoutDeath<A.ConsumeMessage> | null = msg;
      if (msg !== null) live.ack(msg);
      void typed;
    },
    consumeOptions,
  );
  const got = await live.get("q");
  const typedGot: WithoutDeath<A.GetMessage> | false = got;
  confirm.sendToQueue("q", Buffer.from("v"), {}, (err: unknown) => void err);
  await confirm.waitForConfirms();
  void [typedModel, q, x, sent, consumer, typedGot];
}

/** The pinned difference: the facade's x-death reasons are amqplib's plus "delivery_limit". */
export const deathReasons: Same<Exclude<F.XDeath["reason"], A.XDeath["reason"]>, "delivery_limit"> = true;
export const deathRest: Same<Omit<F.XDeath, "reason">, Omit<A.XDeath, "reason">> = true;

export function callbackApiLinesUp(): void {
  FC.connect("amqp://localhost", (err: unknown, connection?: FC.Connection) => {
    if (err || connection === undefined) return;
    const typed: Omit<AC.Connection, MessageMethods | "createChannel" | "createConfirmChannel"> = connection;
    connection.createChannel((error, channel) => {
      if (error || channel === undefined) return;
      const typedChannel: Omit<AC.Channel, MessageMethods | "connection"> = channel;
      typedChannel.assertQueue("q", {}, (e: unknown, ok: A.Replies.AssertQueue) => void [e, ok]);
      // Callbacks annotated as amqplib's declarations type them, on the facade's own channel.
      channel.checkQueue("q", (e: Error, ok: A.Replies.AssertQueue) => void [e, ok.messageCount]);
      channel.close((e: Error) => void e);
    });
    connection.createConfirmChannel((error: Error, confirm: FC.ConfirmChannel) => {
      if (error) return;
      confirm.sendToQueue("q", Buffer.from("v"), {}, (e: Error, ok: A.Replies.Empty) => void [e, ok]);
      confirm.waitForConfirms((e?: Error) => void e);
    });
    void typed;
  });
}
