import { describeValue } from "../scheduler/describe-value.js";
import { InvalidArgumentError } from "../scheduler/errors.js";

/**
 * The AMQP basic properties a message carries, as amqplib names them. All optional; brokerlab keeps
 * them as published (headers are copied at publish, so later changes to the caller's object do not
 * rewrite history) and only reads `headers` (routing, `CC`, dead-lettering) and `expiration` (TTL).
 *
 * @example
 * ```ts
 * const properties: MessageProperties = { contentType: "application/json", headers: { tenant: "eu" } };
 * ```
 */
export interface MessageProperties {
  /** Application headers (an AMQP field table). */
  headers?: Record<string, unknown>;
  /** MIME type, e.g. `"application/json"`. */
  contentType?: string;
  /** MIME encoding, e.g. `"gzip"`. */
  contentEncoding?: string;
  /** 1 = transient, 2 = persistent. */
  deliveryMode?: number;
  /** Message priority 0–255 (brokerlab's queues do not reorder by it). */
  priority?: number;
  /** Correlation id, for RPC replies. */
  correlationId?: string;
  /** Reply-to queue name, for RPC. */
  replyTo?: string;
  /** Per-message TTL in milliseconds, as a string of digits (RabbitMQ's format). */
  expiration?: string;
  /** Application message id. */
  messageId?: string;
  /** Application timestamp (any number; brokerlab does not interpret it). */
  timestamp?: number;
  /** Application message type. */
  type?: string;
  /** Publishing user; RabbitMQ refuses it (406) unless it is the connection's user. */
  userId?: string;
  /** Application id. */
  appId?: string;
  /** Deprecated AMQP field, kept as given. */
  clusterId?: string;
}

/**
 * Options of a publish: the {@link MessageProperties}, plus how to publish it. Defaults match
 * RabbitMQ's: not mandatory, transient, no CC/BCC.
 *
 * @example
 * ```ts
 * channel.publish("orders", "eu.created", { id: 7 }, {
 *   mandatory: true,
 *   expiration: 60_000, // a number is turned into "60000", as amqplib does
 *   CC: ["audit"],
 *   headers: { tenant: "eu" },
 * });
 * ```
 */
export interface PublishOptions extends Omit<MessageProperties, "expiration"> {
  /** Return the message (312 NO_ROUTE) if it reaches no queue. Default false. */
  mandatory?: boolean;
  /** Shorthand for `deliveryMode: 2` (true) or 1 (false). */
  persistent?: boolean;
  /** Per-message TTL in ms: a string of digits, or a number that is stringified. */
  expiration?: string | number;
  /** Extra routing keys, kept in the `CC` header. */
  CC?: string | readonly string[];
  /** Extra routing keys that are not delivered with the message (the `BCC` header is stripped). */
  BCC?: string | readonly string[];
}

/**
 * Every option a publish accepts, for error messages.
 *
 * @example
 * ```ts
 * PUBLISH_OPTION_NAMES.includes("mandatory"); // true
 * ```
 */
export const PUBLISH_OPTION_NAMES: readonly string[] = [
  "mandatory",
  "persistent",
  "expiration",
  "CC",
  "BCC",
  "headers",
  "contentType",
  "contentEncoding",
  "deliveryMode",
  "priority",
  "correlationId",
  "replyTo",
  "messageId",
  "timestamp",
  "type",
  "userId",
  "appId",
  "clusterId",
];

export { defaultSizer, type Sizer } from "../scheduler/sizer.js";

/**
 * The properties of every message published without options (shared and frozen).
 *
 * @example
 * ```ts
 * delivery.properties === NO_PROPERTIES; // true for a plain publish to a classic queue
 * ```
 */
export const NO_PROPERTIES: MessageProperties = Object.freeze({});

/**
 * One published message as the broker stores it: the body and properties shared by every queue it
 * reaches (each queue adds its own position, TTL and redelivery state). Immutable once built;
 * dead-lettering makes a new message.
 *
 * @example
 * ```ts
 * const d = channel.get("jobs");
 * d?.message.id; // broker-wide publish number
 * ```
 */
export class AmqpMessage {
  /** Broker-wide message number, from 1; a dead-lettered copy gets a new one. */
  readonly id: number;
  /** The exchange it was published to (for a dead-lettered copy: the dead-letter exchange). */
  readonly exchange: string;
  /** The routing key it was published with (for a dead-lettered copy: the first dead-letter key). */
  readonly routingKey: string;
  /**
   * RabbitMQ's further routing keys: `CC` then `BCC` values at publish (or the rest of the
   * dead-letter keys), null when none. Routing and dead-lettering use them; BCC is not in the headers.
   */
  readonly extraKeys: readonly string[] | null;
  /** The body, as given (brokerlab never copies or serializes it). */
  readonly content: unknown;
  /** The properties, headers copied at publish. */
  readonly properties: MessageProperties;
  /** Virtual time of publication (or of dead-lettering, for a dead-lettered copy). */
  readonly publishedAt: number;
  /** Per-message TTL in ms from `expiration`, or -1. */
  readonly ttl: number;
  /** @internal Body size in bytes, computed on first need; -1 until then. */
  size: number;

  /** @internal */
  constructor(
    id: number,
    exchange: string,
    routingKey: string,
    extraKeys: readonly string[] | null,
    content: unknown,
    properties: MessageProperties,
    publishedAt: number,
    ttl: number,
  ) {
    this.id = id;
    this.exchange = exchange;
    this.routingKey = routingKey;
    this.extraKeys = extraKeys;
    this.content = content;
    this.properties = properties;
    this.publishedAt = publishedAt;
    this.ttl = ttl;
    this.size = -1;
  }

  /** The application headers, or undefined. */
  get headers(): Record<string, unknown> | undefined {
    return this.properties.headers;
  }
}

/**
 * RabbitMQ's upper bound for TTLs and expirations in ms (`?MAX_EXPIRY_TIMER`, 2^32 − 1).
 *
 * @example
 * ```ts
 * parseExpiration(String(MAX_EXPIRY_MS + 1)); // "{value_too_large,4294967296}"
 * ```
 */
export const MAX_EXPIRY_MS = 4_294_967_295;

/**
 * Parses a per-message `expiration` the way RabbitMQ does (`string:to_integer`): an optional sign
 * and digits, nothing after them, 0 ≤ value ≤ 4 294 967 295. Returns the TTL in ms, or a string
 * describing the problem in RabbitMQ's words (the caller turns it into a 406).
 *
 * @example
 * ```ts
 * parseExpiration("60000"); // 60000
 * parseExpiration("soon"); // "no_integer"
 * parseExpiration("-5"); // "{value_negative,-5}"
 * ```
 */
export function parseExpiration(expiration: string): number | string {
  const match = /^[+-]?\d+/.exec(expiration);
  if (match === null) return "no_integer";
  if (match[0].length !== expiration.length) {
    return `{leftover_string,"${expiration.slice(match[0].length)}"}`;
  }
  const value = Number(match[0]);
  if (value < 0) return `{value_negative,${value}}`;
  if (value > MAX_EXPIRY_MS) return `{value_too_large,${value}}`;
  return value;
}

function describe(value: unknown): string {
  return Array.isArray(value) ? "an array" : describeValue(value);
}

function checkStringProperty(value: unknown, name: string, where: string): void {
  if (value !== undefined && typeof value !== "string") {
    throw new InvalidArgumentError(`${where}: ${name} must be a string, got ${describe(value)}.`);
  }
}

function toKeyList(value: unknown, name: string, where: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "string") return [value];
  if (Array.isArray(value) && value.every((key) => typeof key === "string")) return [...value];
  throw new InvalidArgumentError(
    `${where}: ${name} must be a routing key or an array of routing keys, got ${describe(value)}.`,
  );
}

/**
 * Reads publish options into reusable fields, validating their shapes (wrong types and unknown
 * options are {@link InvalidArgumentError}s). Problems only the broker detects (an unparseable
 * `expiration`, a `CC` header that is not an array) are recorded, not thrown, because RabbitMQ
 * checks them after the exchange exists: the broker throws them in that order.
 *
 * One parser per broker, reused by every publish, so a publish with options allocates only the
 * properties object and the headers copy.
 *
 * @example
 * ```ts
 * const parser = new PublishParser();
 * parser.parse({ mandatory: true, expiration: 500 }, "channel.publish");
 * parser.mandatory; // true
 * parser.ttl; // 500
 * ```
 */
export class PublishParser {
  /** The properties to store. */
  properties: MessageProperties = NO_PROPERTIES;
  /** The `mandatory` flag. */
  mandatory = false;
  /** CC then BCC keys, or null. */
  extraKeys: string[] | null = null;
  /** Parsed per-message TTL, or -1. */
  ttl = -1;
  /** A 406 the broker must raise (RabbitMQ's text after "PRECONDITION_FAILED - "), or null. */
  problem: string | null = null;

  /** Parses `options` (undefined: no options). */
  parse(options: PublishOptions | undefined, where: string): void {
    this.mandatory = false;
    this.extraKeys = null;
    this.ttl = -1;
    this.problem = null;
    if (options === undefined) {
      this.properties = NO_PROPERTIES;
      return;
    }
    if (options === null || typeof options !== "object" || Array.isArray(options)) {
      throw new InvalidArgumentError(`${where}: options must be an object, got ${describe(options)}.`);
    }
    const properties: MessageProperties = {};
    let cc: string[] | undefined;
    let bcc: string[] | undefined;
    let headers: Record<string, unknown> | undefined;
    for (const key in options) {
      if (!Object.hasOwn(options, key)) continue;
      const value = (options as Record<string, unknown>)[key];
      switch (key) {
        case "mandatory":
          if (value !== undefined && typeof value !== "boolean") {
            throw new InvalidArgumentError(`${where}: mandatory must be a boolean, got ${describe(value)}.`);
          }
          this.mandatory = value === true;
          break;
        case "persistent":
          if (value !== undefined && typeof value !== "boolean") {
            throw new InvalidArgumentError(`${where}: persistent must be a boolean, got ${describe(value)}.`);
          }
          if (value !== undefined && properties.deliveryMode === undefined) {
            properties.deliveryMode = value ? 2 : 1;
          }
          break;
        case "deliveryMode":
          if (value !== undefined) {
            if (value !== 1 && value !== 2) {
              throw new InvalidArgumentError(
                `${where}: deliveryMode must be 1 or 2, got ${describe(value)}.`,
              );
            }
            properties.deliveryMode = value;
          }
          break;
        case "priority":
          if (value !== undefined) {
            if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 255) {
              throw new InvalidArgumentError(
                `${where}: priority must be an integer in [0, 255], got ${describe(value)}.`,
              );
            }
            properties.priority = value;
          }
          break;
        case "timestamp":
          if (value !== undefined) {
            if (typeof value !== "number" || !Number.isFinite(value)) {
              throw new InvalidArgumentError(
                `${where}: timestamp must be a finite number, got ${describe(value)}.`,
              );
            }
            properties.timestamp = value;
          }
          break;
        case "expiration":
          if (value !== undefined) {
            if (typeof value !== "string" && (typeof value !== "number" || !Number.isFinite(value))) {
              throw new InvalidArgumentError(
                `${where}: expiration must be a string of digits or a number of milliseconds, got ${describe(value)}.`,
              );
            }
            const text = String(value);
            properties.expiration = text;
            const parsed = parseExpiration(text);
            if (typeof parsed === "number") this.ttl = parsed;
            else this.problem = `invalid expiration '${text}': ${parsed}`;
          }
          break;
        case "headers":
          if (value !== undefined) {
            if (value === null || typeof value !== "object" || Array.isArray(value)) {
              throw new InvalidArgumentError(`${where}: headers must be an object, got ${describe(value)}.`);
            }
            headers = value as Record<string, unknown>;
          }
          break;
        case "CC":
          cc = toKeyList(value, "CC", where);
          break;
        case "BCC":
          bcc = toKeyList(value, "BCC", where);
          break;
        case "contentType":
        case "contentEncoding":
        case "correlationId":
        case "replyTo":
        case "messageId":
        case "type":
        case "userId":
        case "appId":
        case "clusterId":
          checkStringProperty(value, key, where);
          if (value !== undefined) (properties as Record<string, unknown>)[key] = value;
          break;
        default:
          throw new InvalidArgumentError(
            `${where}: unknown option "${key}". Known options: ${PUBLISH_OPTION_NAMES.join(", ")}.`,
            "UNKNOWN_OPTION",
            { option: key },
          );
      }
    }
    if (headers !== undefined || cc !== undefined || bcc !== undefined) {
      // Copy, so the stored message is a snapshot; BCC never travels with the message.
      const copy: Record<string, unknown> = {};
      if (headers !== undefined) {
        for (const name of Object.keys(headers)) {
          if (name !== "BCC") copy[name] = headers[name];
        }
        // The options' CC/BCC win over the same headers, as in amqplib.
        if (cc === undefined && Object.hasOwn(headers, "CC")) cc = this.headerKeys(headers.CC, "CC");
        if (bcc === undefined && Object.hasOwn(headers, "BCC")) bcc = this.headerKeys(headers.BCC, "BCC");
      }
      if (cc !== undefined) copy.CC = cc;
      properties.headers = copy;
      if (cc !== undefined || bcc !== undefined) {
        const keys = [...(cc ?? []), ...(bcc ?? [])];
        this.extraKeys = keys.length > 0 ? keys : null;
      }
    }
    this.properties = properties;
  }

  /** CC/BCC given as headers: RabbitMQ wants an array and routes by its string elements. */
  private headerKeys(value: unknown, name: string): string[] | undefined {
    if (value === undefined) return undefined;
    if (!Array.isArray(value)) {
      const type = typeof value === "string" ? "longstr" : typeof value;
      this.problem ??= `invalid message: {unacceptable_type_in_header,"${name}",${type}}`;
      return undefined;
    }
    return value.filter((key): key is string => typeof key === "string");
  }
}
