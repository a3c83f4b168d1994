/**
 * amqplib's public type vocabulary (`Options`, `Replies`, message shapes), mirrored from
 * `@types/amqplib` 0.10 so that `import type { Channel, ConsumeMessage, Options } from
 * "brokerlab/amqplib"` replaces the same import from `"amqplib"`. Where amqplib 0.10.9 accepts more
 * than those typings say (`overflow`, `queueMode`), the extra options are listed too.
 */

/**
 * The bytes of a message: a Node `Buffer` where the runtime has one (so `content.toString()`
 * decodes UTF-8 as users expect), otherwise a `Uint8Array`. The type follows the same rule: it
 * is `Buffer` when Node's types are loaded.
 *
 * @example
 * ```ts
 * const text = msg.content.toString(); // "hello"
 * ```
 */
export type MessageContent = typeof globalThis extends { Buffer: { prototype: infer B } } ? B : Uint8Array;

/**
 * amqplib's option types, by operation.
 *
 * @example
 * ```ts
 * const options: Options.AssertQueue = { durable: true, deadLetterExchange: "dlx" };
 * ```
 */
export declare namespace Options {
  /** A connection URL as an object (`amqplib.connect({ hostname, port, username, … })`). */
  interface Connect {
    protocol?: string | undefined;
    hostname?: string | undefined;
    port?: number | undefined;
    username?: string | undefined;
    password?: string | undefined;
    locale?: string | undefined;
    frameMax?: number | undefined;
    heartbeat?: number | undefined;
    vhost?: string | undefined;
  }

  /** `assertQueue` options; each named one becomes an `x-` argument and overrides `arguments`. */
  interface AssertQueue {
    /** Default false. */
    exclusive?: boolean | undefined;
    /** Default true (amqplib's default, not AMQP's). */
    durable?: boolean | undefined;
    /** Default false. */
    autoDelete?: boolean | undefined;
    /** Raw `x-` arguments. */
    // biome-ignore lint/suspicious/noExplicitAny: amqplib types arguments as any.
    arguments?: any;
    /** `x-message-ttl`, ms. */
    messageTtl?: number | undefined;
    /** `x-expires`, ms. */
    expires?: number | undefined;
    /** `x-dead-letter-exchange`. */
    deadLetterExchange?: string | undefined;
    /** `x-dead-letter-routing-key`. */
    deadLetterRoutingKey?: string | undefined;
    /** `x-max-length`. */
    maxLength?: number | undefined;
    /** `x-max-priority`: priority queues are not modelled; declaring one is refused. */
    maxPriority?: number | undefined;
    /** `x-overflow`: `drop-head`, `reject-publish` or `reject-publish-dlx`. */
    overflow?: string | undefined;
    /** `x-queue-mode`: `default` or `lazy` (lazy changes only memory use, so it is accepted). */
    queueMode?: string | undefined;
  }

  /** `deleteQueue` options. */
  interface DeleteQueue {
    ifUnused?: boolean | undefined;
    ifEmpty?: boolean | undefined;
  }

  /** `assertExchange` options. */
  interface AssertExchange {
    /** Default true (amqplib's default). */
    durable?: boolean | undefined;
    internal?: boolean | undefined;
    autoDelete?: boolean | undefined;
    /** `alternate-exchange`. */
    alternateExchange?: string | undefined;
    // biome-ignore lint/suspicious/noExplicitAny: amqplib types arguments as any.
    arguments?: any;
  }

  /** `deleteExchange` options. */
  interface DeleteExchange {
    ifUnused?: boolean | undefined;
  }

  /** `publish` / `sendToQueue` options: message properties plus routing flags. */
  interface Publish {
    /** Per-message TTL in ms; a number is stringified. */
    expiration?: string | number | undefined;
    /** Must equal the connection's user, or the broker closes the channel (406). */
    userId?: string | undefined;
    /** Extra routing keys, kept in the `CC` header. */
    CC?: string | string[] | undefined;
    /** Return the message (312 NO_ROUTE) when it reaches no queue. */
    mandatory?: boolean | undefined;
    /** `deliveryMode` 2 (true) or 1 (false). */
    persistent?: boolean | undefined;
    deliveryMode?: boolean | number | undefined;
    /** Extra routing keys that do not travel with the message. */
    BCC?: string | string[] | undefined;
    contentType?: string | undefined;
    contentEncoding?: string | undefined;
    // biome-ignore lint/suspicious/noExplicitAny: amqplib types headers as any.
    headers?: any;
    priority?: number | undefined;
    correlationId?: string | undefined;
    replyTo?: string | undefined;
    messageId?: string | undefined;
    timestamp?: number | undefined;
    type?: string | undefined;
    appId?: string | undefined;
  }

  /** `consume` options. */
  interface Consume {
    /** Default: a server-generated `amq.ctag-…`. */
    consumerTag?: string | undefined;
    /** RabbitMQ ignores it, and so does brokerlab. */
    noLocal?: boolean | undefined;
    noAck?: boolean | undefined;
    exclusive?: boolean | undefined;
    /** `x-priority`. */
    priority?: number | undefined;
    // biome-ignore lint/suspicious/noExplicitAny: amqplib types arguments as any.
    arguments?: any;
  }

  /** `get` options. */
  interface Get {
    noAck?: boolean | undefined;
  }
}

/**
 * What amqplib's operations resolve to (the fields of the server's reply).
 *
 * @example
 * ```ts
 * const { queue, messageCount }: Replies.AssertQueue = await channel.assertQueue("jobs");
 * ```
 */
export declare namespace Replies {
  // biome-ignore lint/complexity/noBannedTypes: amqplib's empty reply is an empty object.
  type Empty = {};
  interface AssertQueue {
    queue: string;
    messageCount: number;
    consumerCount: number;
  }
  interface PurgeQueue {
    messageCount: number;
  }
  interface DeleteQueue {
    messageCount: number;
  }
  interface AssertExchange {
    exchange: string;
  }
  interface Consume {
    consumerTag: string;
  }
  /** `cancel`'s reply (amqplib ≥ 2.2.1 resolves to it). */
  interface Cancel {
    consumerTag: string;
  }
}

/**
 * Routing fields every delivered or fetched message has.
 *
 * @example
 * ```ts
 * const { deliveryTag, redelivered }: CommonMessageFields = msg.fields;
 * ```
 */
export interface CommonMessageFields {
  deliveryTag: number;
  redelivered: boolean;
  exchange: string;
  routingKey: string;
}

/**
 * Fields of any message (consumed, fetched or returned).
 *
 * @example
 * ```ts
 * const fields: MessageFields = msg.fields;
 * ```
 */
export interface MessageFields extends CommonMessageFields {
  messageCount?: number | undefined;
  consumerTag?: string | undefined;
}

/**
 * Fields of a message from `get`: `messageCount` is what stays ready in the queue.
 *
 * @example
 * ```ts
 * const msg = await channel.get("jobs");
 * if (msg) msg.fields.messageCount;
 * ```
 */
export interface GetMessageFields extends CommonMessageFields {
  messageCount: number;
}

/**
 * Fields of a message delivered to a consumer.
 *
 * @example
 * ```ts
 * channel.consume("jobs", (msg) => msg?.fields.consumerTag);
 * ```
 */
export interface ConsumeMessageFields extends CommonMessageFields {
  consumerTag: string;
}

/**
 * Fields of a returned (unroutable mandatory) message.
 *
 * @example
 * ```ts
 * channel.on("return", (msg) => msg.fields.replyText); // "NO_ROUTE"
 * ```
 */
export interface ReturnMessageFields {
  replyCode: number;
  replyText: string;
  exchange: string;
  routingKey: string;
}

/**
 * One `x-death` header entry as amqplib decodes it.
 *
 * @example
 * ```ts
 * const [latest] = msg.properties.headers?.["x-death"] ?? [];
 * latest?.count; // 3
 * ```
 */
export interface XDeath {
  count: number;
  reason: "rejected" | "expired" | "maxlen" | "delivery_limit";
  queue: string;
  time: { "!": "timestamp"; value: number };
  exchange: string;
  // biome-ignore lint/suspicious/noExplicitAny: amqplib types it as any.
  "original-expiration"?: any;
  "routing-keys": string[];
}

/**
 * Application headers as amqplib decodes them.
 *
 * @example
 * ```ts
 * msg.properties.headers?.["x-first-death-reason"]; // "rejected"
 * ```
 */
export interface MessagePropertyHeaders {
  "x-first-death-exchange"?: string | undefined;
  "x-first-death-queue"?: string | undefined;
  "x-first-death-reason"?: string | undefined;
  "x-death"?: XDeath[] | undefined;
  // biome-ignore lint/suspicious/noExplicitAny: header values are any field-table value.
  [key: string]: any;
}

/**
 * Message properties as amqplib decodes them: every key present, `undefined` where the publisher
 * set nothing (and `{}` for a message with no properties at all).
 *
 * @example
 * ```ts
 * msg.properties.contentType; // "application/json" or undefined
 * ```
 */
export interface MessageProperties {
  // biome-ignore-start lint/suspicious/noExplicitAny: amqplib types properties as any.
  contentType: any | undefined;
  contentEncoding: any | undefined;
  headers: MessagePropertyHeaders | undefined;
  deliveryMode: any | undefined;
  priority: any | undefined;
  correlationId: any | undefined;
  replyTo: any | undefined;
  expiration: any | undefined;
  messageId: any | undefined;
  timestamp: any | undefined;
  type: any | undefined;
  userId: any | undefined;
  appId: any | undefined;
  clusterId: any | undefined;
  // biome-ignore-end lint/suspicious/noExplicitAny: amqplib types properties as any.
}

/**
 * A message as amqplib hands it over: `{ fields, properties, content }`.
 *
 * @example
 * ```ts
 * channel.consume("jobs", (msg) => {
 *   if (msg) console.log(msg.content.toString(), msg.fields.routingKey, msg.properties.headers);
 * });
 * ```
 */
export interface Message {
  content: MessageContent;
  fields: MessageFields;
  properties: MessageProperties;
}

/**
 * A message from `get`.
 *
 * @example
 * ```ts
 * const msg: GetMessage | false = await channel.get("jobs");
 * ```
 */
export interface GetMessage extends Message {
  fields: GetMessageFields;
}

/**
 * A message delivered to a consumer.
 *
 * @example
 * ```ts
 * const onMessage = (msg: ConsumeMessage | null) => msg && channel.ack(msg);
 * ```
 */
export interface ConsumeMessage extends Message {
  fields: ConsumeMessageFields;
}

/**
 * A returned message (`'return'` event).
 *
 * @example
 * ```ts
 * channel.on("return", (msg: ReturnMessage) => console.log(msg.fields.replyCode)); // 312
 * ```
 */
export interface ReturnMessage {
  content: MessageContent;
  fields: ReturnMessageFields;
  properties: MessageProperties;
}

/**
 * What the server says about itself (`connection.connection.serverProperties`).
 *
 * @example
 * ```ts
 * connection.connection.serverProperties.product; // "RabbitMQ (brokerlab simulation)"
 * ```
 */
export interface ServerProperties {
  host: string;
  product: string;
  version: string;
  platform: string;
  copyright?: string | undefined;
  information: string;
  // biome-ignore lint/suspicious/noExplicitAny: capabilities is a table.
  [key: string]: any;
}
