/**
 * What a consumable queue needs from a message, whatever broker published it. The RabbitMQ
 * model's `AmqpMessage` satisfies it; so does the task layer's envelope. `exchange` and
 * `routingKey` are the common envelope's delivery fields (DESIGN.md, "Messages"): a broker without
 * exchanges publishes with `exchange: ""` and the queue's name as the key.
 *
 * @example
 * ```ts
 * const message: QueueMessage = {
 *   id: 1, content: { task: "resize" }, size: 18, ttl: -1, publishedAt: sim.now,
 *   exchange: "", routingKey: "jobs", properties: {},
 * };
 * ```
 */
export interface QueueMessage {
  /** Broker-wide message number. */
  readonly id: number;
  /** The body as published. */
  readonly content: unknown;
  /** Body size in bytes (what `maxLengthBytes` counts); 0 when the queue does not need it. */
  readonly size: number;
  /** The message's own time to live in ms, or -1 for none. */
  readonly ttl: number;
  /** Virtual time it was published. */
  readonly publishedAt: number;
  /** The exchange it was published to (`""` when the broker has none). */
  readonly exchange: string;
  /** The key it was published with. */
  readonly routingKey: string;
  /** Properties; `headers` are the application headers. */
  readonly properties: QueueMessageProperties;
}

/**
 * The part of a message's properties the queue layer reads.
 *
 * @example
 * ```ts
 * const properties: QueueMessageProperties = { headers: { attempt: 1 } };
 * ```
 */
export interface QueueMessageProperties {
  readonly headers?: Record<string, unknown> | undefined;
  /** The publisher's per-message TTL as given (AMQP: a digit string); `ttl` is its parsed value. */
  readonly expiration?: string | undefined;
}

/**
 * What a full queue does with a newcomer: `drop-head` keeps it and drops (dead-letters) the oldest
 * ready messages, `reject-publish` refuses it, `reject-publish-dlx` refuses and dead-letters it.
 *
 * @example
 * ```ts
 * const overflow: OverflowMode = "reject-publish";
 * ```
 */
export type OverflowMode = "drop-head" | "reject-publish" | "reject-publish-dlx";

/**
 * Where a returned message goes: `classic` back to its original position; `quorum` to the tail,
 * or (with a delivery limit) to a returns list served before the tail, counting deliveries.
 *
 * @example
 * ```ts
 * const type: QueueType = "quorum";
 * ```
 */
export type QueueType = "classic" | "quorum";

/**
 * A queue's limits and rules, parsed and validated by whoever creates the queue.
 * Numbers are -1 when unset.
 *
 * @example
 * ```ts
 * const settings: QueueSettings = {
 *   type: "classic", messageTtl: -1, expires: -1, maxLength: 100, maxLengthBytes: -1,
 *   overflow: "drop-head", deliveryLimit: -1, singleActiveConsumer: false,
 * };
 * ```
 */
export interface QueueSettings {
  /** Requeue discipline and delivery counting. */
  readonly type: QueueType;
  /** Per-queue message TTL in ms. */
  readonly messageTtl: number;
  /** Delete the queue after this many ms unused. */
  readonly expires: number;
  /** Most ready messages. */
  readonly maxLength: number;
  /** Most ready body bytes. */
  readonly maxLengthBytes: number;
  /** What a full queue does. */
  readonly overflow: OverflowMode;
  /** `quorum`: deliveries allowed before dead-lettering `delivery_limit`. */
  readonly deliveryLimit: number;
  /** Feed only the first consumer. */
  readonly singleActiveConsumer: boolean;
}
