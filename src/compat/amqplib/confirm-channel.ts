import { Channel, type ConfirmCallback } from "./channel.js";
import { channelClosedForConfirm } from "./errors.js";
import type { Options } from "./types.js";

/**
 * An amqplib-shaped confirm channel: every publish is numbered and confirmed by the broker.
 * `publish` and `sendToQueue` take a callback called with `null` when the broker acked the
 * message (it reached its queues, or was unroutable) and with an `Error` when it nacked it (a
 * queue refused it: `x-overflow: reject-publish*`) or the channel closed first.
 * `waitForConfirms()` resolves once every publish so far is acked and rejects if one was nacked.
 * Returns come before their publish's confirm, as RabbitMQ sends them, and confirms are coalesced
 * as RabbitMQ coalesces them: the publishes of one burst are acked by one `'ack'` with
 * `multiple: true` (see `src/exchange/confirms.ts`). After `close()` no confirm is taken any more:
 * the callbacks still waiting get `Error("channel closed")`.
 *
 * @example
 * ```ts
 * const channel = await connection.createConfirmChannel();
 * channel.sendToQueue("jobs", Buffer.from("a"), {}, (err) => {
 *   if (err) console.error("not stored", err.message);
 * });
 * await channel.waitForConfirms();
 * ```
 */
export class ConfirmChannel extends Channel {
  /**
   * Publishes, with `callback(err)` called when the broker confirms it.
   *
   * @example
   * ```ts
   * channel.publish("orders", "eu.created", body, { persistent: true }, (err) => done(err));
   * ```
   */
  override publish(
    exchange: string,
    routingKey: string,
    content: Uint8Array,
    options?: Options.Publish,
    callback?: ConfirmCallback,
  ): boolean {
    return this.send(exchange, routingKey, content, options, true, callback);
  }

  /**
   * Publishes to the default exchange (the queue named `queue`), with a confirm callback.
   *
   * @example
   * ```ts
   * channel.sendToQueue("jobs", Buffer.from("x"), {}, (err) => err && retry());
   * ```
   */
  override sendToQueue(
    queue: string,
    content: Uint8Array,
    options?: Options.Publish,
    callback?: ConfirmCallback,
  ): boolean {
    return this.publish("", queue, content, options, callback);
  }

  /**
   * Resolves once every publish made so far has been confirmed; rejects with the first nack's
   * error (`message nacked`) or with `channel closed` — at once if the channel already closed with
   * publishes unconfirmed (amqplib 2.3). The resolved value is an array with one `undefined` per
   * publish waited for, as amqplib's `Promise.all`.
   *
   * @example
   * ```ts
   * for (const order of orders) channel.publish("orders", order.region, encode(order));
   * await channel.waitForConfirms();
   * ```
   */
  waitForConfirms(): Promise<void> {
    if (this.closedWithUnconfirmed) return Promise.reject(channelClosedForConfirm());
    const awaiting: Promise<void>[] = [];
    const unconfirmed = this.unconfirmed;
    unconfirmed.forEach((callback, index) => {
      if (callback === null) return;
      awaiting.push(
        new Promise<void>((resolve, reject) => {
          unconfirmed[index] = (err) => {
            if (callback) callback(err);
            if (err === null) resolve();
            else reject(err);
          };
        }),
      );
    });
    return Promise.all(awaiting) as unknown as Promise<void>;
  }
}
