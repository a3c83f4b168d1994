/**
 * Native deliveries and returns as amqplib hands them to applications: `{ fields, properties,
 * content }` with amqplib's field order, its "every property key present, `undefined` when unset"
 * convention, `content` as a fresh `Buffer` (a `Uint8Array` where the runtime has no `Buffer`),
 * and header values decoded the way amqplib's codec decodes what RabbitMQ sends: typed numbers
 * become plain numbers (floats rounded to 32 bits), timestamps and decimals stay
 * `{ "!": type, value }`, byte arrays become `Buffer`s, and the broker's `x-death` times (kept as
 * seconds by the model) become AMQP timestamps.
 */
import type { ReturnedMessage } from "../../exchange/channel.js";
import type { MessageProperties as NativeProperties } from "../../exchange/message.js";
import type { Delivery } from "../../queue/delivery.js";
import { runtimeBuffer } from "./args.js";
import type {
  ConsumeMessage,
  GetMessage,
  MessageContent,
  MessageProperties,
  ReturnMessage,
} from "./types.js";

const TEXT = new TextEncoder();

/**
 * A message body as amqplib would deliver it: a new `Buffer` (or `Uint8Array`) holding the bytes.
 * Bodies published through the native API as other values are serialised: strings as UTF-8,
 * `null`/`undefined` as empty, anything else as its JSON text.
 *
 * @example
 * ```ts
 * toContent(new Uint8Array([104, 105])).toString(); // "hi" (in Node)
 * ```
 */
export function toContent(body: unknown): MessageContent {
  let bytes: Uint8Array;
  if (body instanceof Uint8Array) bytes = body;
  else if (ArrayBuffer.isView(body)) bytes = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  else if (body instanceof ArrayBuffer) bytes = new Uint8Array(body);
  else if (typeof body === "string") bytes = TEXT.encode(body);
  else if (body === null || body === undefined) bytes = new Uint8Array(0);
  else bytes = TEXT.encode(JSON.stringify(body) ?? "");
  const buffer = runtimeBuffer();
  // Always a copy: each delivery owns its bytes, as each amqplib delivery owns its frame.
  return (buffer !== undefined ? buffer.from(bytes) : bytes.slice()) as MessageContent;
}

const INTEGER_TYPES: ReadonlySet<string> = new Set([
  "byte",
  "int8",
  "unsignedbyte",
  "uint8",
  "short",
  "int16",
  "unsignedshort",
  "uint16",
  "int",
  "int32",
  "unsignedint",
  "uint32",
  "long",
  "int64",
]);

/**
 * A stored field-table value as amqplib decodes it after a trip through RabbitMQ.
 *
 * @example
 * ```ts
 * decodeFieldValue({ "!": "float", value: 0.1 }); // 0.10000000149011612
 * decodeFieldValue({ "!": "timestamp", value: 5 }); // { "!": "timestamp", value: 5 }
 * ```
 */
export function decodeFieldValue(value: unknown): unknown {
  switch (typeof value) {
    case "string":
    case "boolean":
    case "number":
      return value;
    case "bigint":
      // A native-API publisher's bigint travels as a long, which amqplib decodes as a number.
      return Number(value);
    case "object": {
      if (value === null) return null;
      if (value instanceof Uint8Array) return toContent(value);
      if (Array.isArray(value)) return value.map(decodeFieldValue);
      if (Object.hasOwn(value, "!")) {
        const typed = value as { "!": string; value: unknown };
        const type = typed["!"];
        if (type === "float") return Math.fround(Number(typed.value));
        if (type === "double" || type === "float64") return Number(typed.value);
        if (INTEGER_TYPES.has(type)) return Math.trunc(Number(typed.value));
        if (type === "timestamp") return { "!": "timestamp", value: Math.trunc(Number(typed.value)) };
        if (type === "decimal") {
          const decimal = typed.value as { places: number; digits: number };
          return { "!": "decimal", value: { places: decimal.places, digits: decimal.digits } };
        }
      }
      return decodeTable(value as Record<string, unknown>);
    }
    default:
      // Functions and the like cannot come from the wire; a native-API publisher's ones vanish.
      return undefined;
  }
}

/**
 * A stored field table as amqplib decodes it (own members; `undefined` ones do not exist on the
 * wire).
 *
 * @example
 * ```ts
 * decodeTable({ n: { "!": "long", value: 1 }, s: "x" }); // { n: 1, s: "x" }
 * ```
 */
export function decodeTable(table: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(table)) {
    const decoded = decodeFieldValue(table[key]);
    if (decoded !== undefined) out[key] = decoded;
  }
  return out;
}

/**
 * Headers as amqplib decodes them; the broker's `x-death` entries get their `time` as an AMQP
 * timestamp (`{ "!": "timestamp", value: seconds }`), which is how RabbitMQ sends it.
 *
 * @example
 * ```ts
 * decodeHeaders({ "x-death": [{ count: 1, queue: "q", reason: "expired", time: 12 }] });
 * // { "x-death": [{ count: 1, queue: "q", reason: "expired", time: { "!": "timestamp", value: 12 } }] }
 * ```
 */
export function decodeHeaders(headers: Record<string, unknown>): Record<string, unknown> {
  const out = decodeTable(headers);
  const deaths = out["x-death"];
  if (Array.isArray(deaths)) {
    for (const entry of deaths) {
      if (
        entry !== null &&
        typeof entry === "object" &&
        typeof (entry as { time?: unknown }).time === "number"
      ) {
        const record = entry as Record<string, unknown>;
        record.time = { "!": "timestamp", value: record.time };
      }
    }
  }
  return out;
}

const PROPERTY_NAMES = [
  "contentType",
  "contentEncoding",
  "headers",
  "deliveryMode",
  "priority",
  "correlationId",
  "replyTo",
  "expiration",
  "messageId",
  "timestamp",
  "type",
  "userId",
  "appId",
  "clusterId",
] as const;

/**
 * Message properties as amqplib decodes them: all fourteen keys in AMQP order, `undefined` where
 * absent; `{}` when the message carries no property at all (amqplib's decoder returns an empty
 * object when no property flag is set).
 *
 * @example
 * ```ts
 * toProperties({ contentType: "text/plain", headers: {} }).deliveryMode; // undefined
 * toProperties({}); // {}
 * ```
 */
export function toProperties(properties: NativeProperties): MessageProperties {
  let present = false;
  for (const name of PROPERTY_NAMES) {
    if (properties[name] !== undefined) {
      present = true;
      break;
    }
  }
  if (!present) return {} as MessageProperties;
  return {
    contentType: properties.contentType,
    contentEncoding: properties.contentEncoding,
    headers: properties.headers === undefined ? undefined : decodeHeaders(properties.headers),
    deliveryMode: properties.deliveryMode,
    priority: properties.priority,
    correlationId: properties.correlationId,
    replyTo: properties.replyTo,
    expiration: properties.expiration,
    messageId: properties.messageId,
    timestamp: properties.timestamp,
    type: properties.type,
    userId: properties.userId,
    appId: properties.appId,
    clusterId: properties.clusterId,
  };
}

/**
 * A consumer delivery as amqplib's `basic.deliver` handling builds it.
 *
 * @example
 * ```ts
 * const msg = toConsumeMessage(delivery);
 * msg.fields; // { consumerTag, deliveryTag, redelivered, exchange, routingKey }
 * ```
 */
export function toConsumeMessage(delivery: Delivery): ConsumeMessage {
  return {
    fields: {
      consumerTag: delivery.consumerTag ?? "",
      deliveryTag: delivery.deliveryTag,
      redelivered: delivery.redelivered,
      exchange: delivery.exchange,
      routingKey: delivery.routingKey,
    },
    properties: toProperties(delivery.properties),
    content: toContent(delivery.content),
  };
}

/**
 * A `basic.get` result as amqplib's `get` resolves it.
 *
 * @example
 * ```ts
 * toGetMessage(delivery).fields.messageCount; // ready messages left
 * ```
 */
export function toGetMessage(delivery: Delivery): GetMessage {
  return {
    fields: {
      deliveryTag: delivery.deliveryTag,
      redelivered: delivery.redelivered,
      exchange: delivery.exchange,
      routingKey: delivery.routingKey,
      messageCount: delivery.messageCount,
    },
    properties: toProperties(delivery.properties),
    content: toContent(delivery.content),
  };
}

/**
 * A returned message as amqplib emits it on `'return'`.
 *
 * @example
 * ```ts
 * toReturnMessage(returned).fields; // { replyCode: 312, replyText: "NO_ROUTE", exchange, routingKey }
 * ```
 */
export function toReturnMessage(returned: ReturnedMessage): ReturnMessage {
  return {
    fields: {
      replyCode: returned.replyCode,
      replyText: returned.replyText,
      exchange: returned.exchange,
      routingKey: returned.routingKey,
    },
    properties: toProperties(returned.properties),
    content: toContent(returned.content),
  };
}
