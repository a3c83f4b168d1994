/**
 * amqplib's argument marshalling (`api_args.js`) and field encoding (`codec.js`, `defs.js`),
 * producing what the native model takes. The rules are amqplib 0.10.9's, because they decide what
 * a real RabbitMQ receives:
 *
 * - defaults are amqplib's, not AMQP's: queues and exchanges are durable unless told otherwise;
 *   flags are coerced by truthiness (`!!options.exclusive`);
 * - named options become `x-` arguments and override the same key in `arguments`; options
 *   amqplib does not know are ignored, as amqplib ignores them (so the simulation behaves like
 *   production would);
 * - tables (headers, arguments) are encoded like amqplib's codec: `undefined` members are
 *   skipped, inherited enumerable members are included (`for…in`), numbers become integer types
 *   or doubles, `{ "!": type, value }` forces a type, and values amqplib cannot encode are refused
 *   with amqplib's message;
 * - short strings (names, keys, string properties) must be strings of at most 255 UTF-8 bytes.
 *
 * Refusals are {@link InvalidArgumentError}s carrying amqplib's own wording, thrown before anything
 * reaches the broker, as amqplib's encoder throws before anything reaches the socket.
 */

import type { ExchangeType } from "../../exchange/exchange.js";
import type { PublishOptions } from "../../exchange/message.js";
import { utf8ByteLength } from "../../exchange/routing-key.js";
import { InvalidArgumentError } from "../../scheduler/errors.js";
import { jsonShown } from "../shown.js";
import { checkTableSize } from "./table-size.js";
import type { Options } from "./types.js";

/** A `Buffer`-like global: present in Node, Bun and Deno's Node mode; absent in browsers. */
interface BufferGlobal {
  isBuffer(value: unknown): boolean;
  from(bytes: Uint8Array): Uint8Array;
}

/**
 * The runtime's `Buffer`, or undefined. Read through `globalThis` so that the module imports
 * nothing from Node and runs unchanged in browsers.
 *
 * @example
 * ```ts
 * const bytes = runtimeBuffer()?.from(new Uint8Array([104, 105])) ?? new Uint8Array([104, 105]);
 * ```
 */
export function runtimeBuffer(): BufferGlobal | undefined {
  return (globalThis as { Buffer?: BufferGlobal }).Buffer;
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null || (typeof value !== "object" && typeof value !== "function")) return String(value);
  if (typeof value === "function") return "a function";
  return Array.isArray(value) ? "an array" : "an object";
}

/**
 * An AMQP short string field, checked as amqplib's encoder checks it: `undefined` becomes
 * `fallback` (or, when there is none, is "Missing value for mandatory field"); anything but a
 * string of at most 255 UTF-8 bytes is refused with amqplib's "wrong type" message.
 *
 * @example
 * ```ts
 * shortString(undefined, "queue", ""); // ""
 * shortString("orders", "exchange"); // "orders"
 * shortString(42, "exchange"); // throws: Field 'exchange' is the wrong type; must be a string (up to 255 chars)
 * ```
 */
export function shortString(value: unknown, field: string, fallback?: string): string {
  if (value === undefined) {
    if (fallback !== undefined) return fallback;
    throw new InvalidArgumentError(`Missing value for mandatory field '${field}'`, "MISSING_FIELD", {
      field,
    });
  }
  if (typeof value !== "string" || (value.length > 85 && utf8ByteLength(value) > 255)) {
    throw new InvalidArgumentError(
      `Field '${field}' is the wrong type; must be a string (up to 255 chars); got ${describe(value)}`,
      "INVALID_FIELD",
      { field },
    );
  }
  return value;
}

/**
 * A numeric AMQP field (delivery tags, counts), checked as amqplib checks it: a number, not NaN.
 *
 * @example
 * ```ts
 * numberField(msg.fields.deliveryTag, "deliveryTag", 0);
 * ```
 */
export function numberField(value: unknown, field: string, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (value === undefined) {
    throw new InvalidArgumentError(`Missing value for mandatory field '${field}'`, "MISSING_FIELD", {
      field,
    });
  }
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new InvalidArgumentError(
      `Field '${field}' is the wrong type; must be a number (but not NaN); got ${describe(value)}`,
      "INVALID_FIELD",
      { field },
    );
  }
  return value;
}

// ------------------------------------------------------------------------------- field tables

/** Integer types amqplib's `{ "!": type }` notation names, with their ranges. */
const INTEGER_TYPES: Readonly<Record<string, readonly [number, number]>> = {
  byte: [-128, 127],
  int8: [-128, 127],
  unsignedbyte: [0, 255],
  uint8: [0, 255],
  short: [-0x8000, 0x7fff],
  int16: [-0x8000, 0x7fff],
  unsignedshort: [0, 0xffff],
  uint16: [0, 0xffff],
  int: [-0x80000000, 0x7fffffff],
  int32: [-0x80000000, 0x7fffffff],
  unsignedint: [0, 0xffffffff],
  uint32: [0, 0xffffffff],
  long: [-(2 ** 63), 2 ** 63 - 1],
  int64: [-(2 ** 63), 2 ** 63 - 1],
  timestamp: [0, 2 ** 64 - 1],
};

const FLOAT_TYPES: ReadonlySet<string> = new Set(["double", "float64", "float"]);

function unencodable(type: string, path: string): InvalidArgumentError {
  return new InvalidArgumentError(
    `Unknown type to encode: ${type} (at ${path}); AMQP tables hold strings, numbers, booleans, null, Buffers, arrays, tables and { "!": type, value } values`,
    "UNENCODABLE_VALUE",
    { path, type },
  );
}

function isTyped(value: object): value is { "!": unknown; value?: unknown } {
  return Object.hasOwn(value, "!");
}

/**
 * Encodes one field-table value the way amqplib's codec would put it on the wire, returning the
 * form the native model stores (and its headers matcher understands): plain strings, booleans,
 * `null`, numbers, byte arrays (copied), arrays, tables, and `{ "!": type, value }` for values
 * whose AMQP type is forced. Throws what amqplib's encoder throws, with the value's path.
 *
 * @example
 * ```ts
 * encodeFieldValue({ "!": "float", value: 1.5 }, "headers.f"); // { "!": "float", value: 1.5 }
 * encodeFieldValue(() => 1, "headers.f"); // throws: Unknown type to encode: function
 * ```
 */
export function encodeFieldValue(value: unknown, path: string): unknown {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      return value;
    case "object": {
      if (value === null) return null;
      if (isTyped(value)) return encodeTyped(String(value["!"]), value.value, path);
      if (Array.isArray(value)) return value.map((item, i) => encodeFieldValue(item, `${path}[${i}]`));
      const buffer = runtimeBuffer();
      if (buffer !== undefined ? buffer.isBuffer(value) : value instanceof Uint8Array) {
        // A copy (Buffer#slice would share memory), as the wire would make one.
        return new Uint8Array(value as Uint8Array);
      }
      return encodeTable(value, path);
    }
    default:
      throw unencodable(typeof value, path);
  }
}

function encodeTyped(type: string, value: unknown, path: string): unknown {
  const range = INTEGER_TYPES[type];
  if (range !== undefined || FLOAT_TYPES.has(type)) {
    if (typeof value !== "number" || Number.isNaN(value)) {
      throw new InvalidArgumentError(
        `${path}: a { "!": "${type}" } value must be a number, got ${describe(value)}`,
        "UNENCODABLE_VALUE",
        { path, type },
      );
    }
    if (range !== undefined && (value < range[0] || value > range[1])) {
      throw new InvalidArgumentError(
        `${path}: ${value} is out of range for ${type} [${range[0]}, ${range[1]}]`,
        "UNENCODABLE_VALUE",
        { path, type },
      );
    }
    return { "!": type, value };
  }
  switch (type) {
    case "decimal": {
      const decimal = value as { places?: unknown; digits?: unknown } | null;
      const places = decimal?.places;
      const digits = decimal?.digits;
      if (
        typeof places !== "number" ||
        !Number.isInteger(places) ||
        places < 0 ||
        places > 255 ||
        typeof digits !== "number" ||
        !Number.isInteger(digits) ||
        digits < 0 ||
        digits > 0xffffffff
      ) {
        throw new InvalidArgumentError(
          `Decimal value must be {'places': 0..255, 'digits': uint32}, got ${jsonShown(value)} (at ${path})`,
          "UNENCODABLE_VALUE",
          { path, type },
        );
      }
      return { "!": "decimal", value: { places, digits } };
    }
    // amqplib's switch handles these like the untyped value (a `number` is re-guessed).
    case "string":
      if (typeof value !== "string") throw unencodable(`string holding ${describe(value)}`, path);
      return value;
    case "boolean":
      return Boolean(value);
    case "number":
      if (typeof value !== "number") throw unencodable(`number holding ${describe(value)}`, path);
      return value;
    case "object":
      if (value === null || typeof value !== "object")
        throw unencodable(`object holding ${describe(value)}`, path);
      return encodeFieldValue(value, path);
    default:
      throw unencodable(type, path);
  }
}

/**
 * Encodes a field table like amqplib's `encodeTable`: every enumerable member, own or inherited
 * (amqplib builds argument tables with `Object.create(options.arguments)`), except `undefined`
 * ones, each value through {@link encodeFieldValue}.
 *
 * @example
 * ```ts
 * encodeTable({ a: 1, b: undefined, c: [true, null] }, "headers"); // { a: 1, c: [true, null] }
 * ```
 */
export function encodeTable(table: object, path: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key in table) {
    const value = (table as Record<string, unknown>)[key];
    if (value !== undefined) out[key] = encodeFieldValue(value, `${path}.${key}`);
  }
  return out;
}

/**
 * A table built the way amqplib builds argument tables: `named` members over those of `base`
 * (amqplib's `Object.create(base)` plus `setIfDefined`), named ones skipped when `undefined`,
 * then encoded; refused past amqplib's 64 KiB table buffer.
 *
 * @example
 * ```ts
 * layeredTable({ "x-message-ttl": 5, other: 1 }, [["x-message-ttl", 100]], "arguments");
 * // { "x-message-ttl": 100, other: 1 }
 * ```
 */
export function layeredTable(
  base: unknown,
  named: ReadonlyArray<readonly [string, unknown]>,
  path: string,
): Record<string, unknown> {
  const layered: Record<string, unknown> = Object.create(
    base !== null && typeof base === "object" ? (base as object) : null,
  );
  // amqplib ≥ 1.0's setIfDefined uses `!== undefined`: a null option is sent (as void), which
  // RabbitMQ refuses with 406 (0.10's `!= undefined` dropped it).
  for (const [key, value] of named) if (value !== undefined) layered[key] = value;
  const encoded = encodeTable(layered, path);
  checkTableSize(encoded); // amqplib 2.3.1: a RangeError past its 64 KiB encoding buffer
  return encoded;
}

function optionsObject<T>(options: T | undefined | null, where: string): Partial<T> {
  if (options === undefined || options === null) return {};
  if (typeof options !== "object") {
    throw new InvalidArgumentError(`${where}: options must be an object, got ${describe(options)}.`);
  }
  return options;
}

// ------------------------------------------------------------------------------- declarations

/**
 * What `assertQueue` sends: amqplib's defaults and its option-to-argument mapping
 * (`messageTtl` → `x-message-ttl`, `expires` → `x-expires`, `deadLetterExchange`,
 * `deadLetterRoutingKey`, `maxLength`, `maxPriority`, `overflow`, `queueMode`).
 *
 * @example
 * ```ts
 * assertQueueArgs("jobs", { messageTtl: 1000 });
 * // { queue: "jobs", durable: true, exclusive: false, autoDelete: false, arguments: { "x-message-ttl": 1000 } }
 * ```
 */
export function assertQueueArgs(
  queue: unknown,
  options: Options.AssertQueue | undefined,
): {
  queue: string;
  durable: boolean;
  exclusive: boolean;
  autoDelete: boolean;
  arguments: Record<string, unknown>;
} {
  const o = optionsObject(options, "assertQueue");
  // amqplib: `queue = queue || ''`.
  const name = shortString(queue || "", "queue", "");
  return {
    queue: name,
    exclusive: !!o.exclusive,
    durable: o.durable === undefined ? true : !!o.durable,
    autoDelete: !!o.autoDelete,
    arguments: layeredTable(
      o.arguments,
      [
        ["x-expires", o.expires],
        ["x-message-ttl", o.messageTtl],
        ["x-dead-letter-exchange", o.deadLetterExchange],
        ["x-dead-letter-routing-key", o.deadLetterRoutingKey],
        ["x-max-length", o.maxLength],
        ["x-max-priority", o.maxPriority],
        ["x-overflow", o.overflow],
        ["x-queue-mode", o.queueMode],
      ],
      "arguments",
    ),
  };
}

/**
 * What `assertExchange` sends: amqplib's defaults (durable, type `direct` when omitted) and
 * `alternateExchange` → `alternate-exchange`.
 *
 * @example
 * ```ts
 * assertExchangeArgs("logs", "fanout", { durable: false });
 * // { exchange: "logs", type: "fanout", durable: false, autoDelete: false, internal: false, arguments: {} }
 * ```
 */
export function assertExchangeArgs(
  exchange: unknown,
  type: unknown,
  options: Options.AssertExchange | undefined,
): {
  exchange: string;
  type: ExchangeType;
  durable: boolean;
  autoDelete: boolean;
  internal: boolean;
  arguments: Record<string, unknown>;
} {
  const o = optionsObject(options, "assertExchange");
  return {
    exchange: shortString(exchange, "exchange"),
    type: shortString(type, "type", "direct") as ExchangeType,
    durable: o.durable === undefined ? true : !!o.durable,
    autoDelete: !!o.autoDelete,
    internal: !!o.internal,
    arguments: layeredTable(o.arguments, [["alternate-exchange", o.alternateExchange]], "arguments"),
  };
}

/**
 * Binding arguments (`bindQueue`, `bindExchange` and their unbinds), encoded as amqplib would.
 *
 * @example
 * ```ts
 * bindingArgs({ "x-match": "any", format: "pdf" }); // { "x-match": "any", format: "pdf" }
 * ```
 */
export function bindingArgs(args: unknown): Record<string, unknown> {
  if (args === undefined || args === null) return {};
  if (typeof args !== "object") {
    throw new InvalidArgumentError(
      `Field 'arguments' is the wrong type; must be an object; got ${describe(args)}`,
      "INVALID_FIELD",
      { field: "arguments" },
    );
  }
  const encoded = encodeTable(args, "arguments");
  checkTableSize(encoded); // amqplib 2.3.1: a RangeError past its 64 KiB encoding buffer
  return encoded;
}

/**
 * What `consume` sends: amqplib's defaults and `priority` → `x-priority`.
 *
 * @example
 * ```ts
 * consumeArgs({ priority: 5, noAck: true });
 * // { consumerTag: "", noAck: true, exclusive: false, arguments: { "x-priority": 5 } }
 * ```
 */
export function consumeArgs(options: Options.Consume | undefined): {
  consumerTag: string;
  noAck: boolean;
  exclusive: boolean;
  arguments: Record<string, unknown>;
} {
  const o = optionsObject(options, "consume");
  return {
    consumerTag: shortString(o.consumerTag || "", "consumerTag", ""),
    noAck: !!o.noAck,
    exclusive: !!o.exclusive,
    arguments: layeredTable(o.arguments, [["x-priority", o.priority]], "arguments"),
  };
}

// ------------------------------------------------------------------------------- publishing

const STRING_PROPERTIES = [
  "contentType",
  "contentEncoding",
  "correlationId",
  "replyTo",
  "messageId",
  "type",
  "userId",
  "appId",
] as const;

/**
 * A publish as amqplib sends it, in the native model's terms: the `mandatory` flag and the
 * message properties. Follows amqplib's `Args.publish`:
 *
 * - `headers` is always present (amqplib always sends a table, possibly empty); `CC` and `BCC`
 *   options become string-array headers ahead of, and overriding, the given headers;
 * - `persistent` decides `deliveryMode` (2 or 1); else a numeric `deliveryMode` is kept and a
 *   truthy one means 2;
 * - `expiration` is stringified; `clusterId` is never sent;
 * - string properties must be short strings, numeric ones numbers (amqplib's encoder checks).
 *
 * @example
 * ```ts
 * publishArgs({ persistent: true, expiration: 60000, CC: "audit" });
 * // { mandatory: false, options: { headers: { CC: ["audit"] }, deliveryMode: 2, expiration: "60000" } }
 * ```
 */
export function publishArgs(options: Options.Publish | undefined): {
  mandatory: boolean;
  options: PublishOptions;
} {
  const o = optionsObject(options, "publish");
  const convertCC = (cc: unknown): string[] | undefined =>
    cc === undefined ? undefined : Array.isArray(cc) ? cc.map(String) : [String(cc)];
  const headers = layeredTable(
    o.headers,
    [
      ["CC", convertCC(o.CC)],
      ["BCC", convertCC(o.BCC)],
    ],
    "headers",
  );
  const out: PublishOptions = { headers };
  for (const name of STRING_PROPERTIES) {
    const value = o[name];
    // amqplib's encoder skips `null` and `undefined` alike (`void 0 != val`).
    if (value !== undefined && value !== null) out[name] = shortString(value, name);
  }
  let deliveryMode: number | undefined;
  if (o.persistent !== undefined) deliveryMode = o.persistent ? 2 : 1;
  else if (typeof o.deliveryMode === "number") deliveryMode = o.deliveryMode;
  else if (o.deliveryMode) deliveryMode = 2;
  if (deliveryMode !== undefined) out.deliveryMode = numberField(deliveryMode, "deliveryMode");
  if (o.priority !== undefined && o.priority !== null) out.priority = numberField(o.priority, "priority");
  if (o.timestamp !== undefined && o.timestamp !== null) {
    out.timestamp = numberField(o.timestamp, "timestamp");
  }
  if (o.expiration !== undefined) {
    if (o.expiration === null) {
      throw new InvalidArgumentError(
        "publish: expiration must be a string of digits or a number of milliseconds, got null",
        "INVALID_FIELD",
        { field: "expiration" },
      );
    }
    out.expiration = shortString(String(o.expiration), "expiration");
  }
  return { mandatory: !!o.mandatory, options: out };
}

/**
 * Checks a message body: amqplib sends `Buffer`s; any `Uint8Array` is accepted here. Returns a
 * copy, so the stored message is what was published even if the caller reuses its buffer.
 *
 * @example
 * ```ts
 * const bytes = contentBytes(Buffer.from("hello"));
 * ```
 */
export function contentBytes(content: unknown): Uint8Array {
  if (!(content instanceof Uint8Array)) {
    throw new InvalidArgumentError(
      `publish: content must be a Buffer (or Uint8Array), got ${describe(content)}; use Buffer.from(text) or Buffer.from(JSON.stringify(value)).`,
      "INVALID_CONTENT",
    );
  }
  // `new Uint8Array(x)` copies; Buffer#slice would return a view of the caller's memory.
  return new Uint8Array(content);
}
