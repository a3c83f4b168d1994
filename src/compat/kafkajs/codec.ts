import { InvalidArgumentError } from "../../scheduler/errors.js";

/**
 * Bytes and numbers the way kafkajs hands them to applications: keys, values and header values
 * are Node `Buffer`s (plain `Uint8Array`s where the host has no `Buffer`, as in browsers), offsets
 * and timestamps are decimal strings, and consumer-protocol metadata is Kafka's big-endian wire
 * encoding. Everything here is pure; nothing keeps state.
 */

/** The `Buffer` constructor when the host has one (Node, Bun), else undefined. */
const HostBuffer: typeof Buffer | undefined = (globalThis as { Buffer?: typeof Buffer }).Buffer;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Wraps bytes as a `Buffer` without copying when the host has one. */
function asBuffer(bytes: Uint8Array): Buffer {
  if (HostBuffer === undefined) return bytes as Buffer;
  return HostBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * The UTF-8 bytes of a string as a `Buffer`.
 *
 * @example
 * ```ts
 * utf8Buffer("héllo").length; // 6
 * ```
 */
export function utf8Buffer(text: string): Buffer {
  return HostBuffer === undefined ? (encoder.encode(text) as Buffer) : HostBuffer.from(text, "utf8");
}

/**
 * Decodes UTF-8 bytes to a string.
 *
 * @example
 * ```ts
 * utf8Text(utf8Buffer("abc")); // "abc"
 * ```
 */
export function utf8Text(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/**
 * What kafkajs puts on the wire for a key, value or header value: null stays null, bytes are
 * copied (so the application may reuse its buffer after `send`), anything else becomes the UTF-8
 * bytes of `String(value)` — kafkajs' `writeVarIntBytes`, which is why a number value 5 arrives as
 * the string "5".
 *
 * @example
 * ```ts
 * wireBytes("a"); // <Buffer 61>
 * wireBytes(null); // null
 * ```
 */
export function wireBytes(value: unknown): Buffer | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Uint8Array) return copyBytes(value);
  return utf8Buffer(String(value));
}

/**
 * A fresh copy of bytes, as a `Buffer`. Consumers get their own copy of every key and value, as
 * kafkajs decodes fresh buffers from each fetch response, so one consumer mutating a message
 * cannot change what another one reads.
 *
 * @example
 * ```ts
 * const a = copyBytes(new Uint8Array([1])); a[0] = 9; // the source is unchanged
 * ```
 */
export function copyBytes(bytes: Uint8Array): Buffer {
  return HostBuffer === undefined ? (bytes.slice() as Buffer) : HostBuffer.from(bytes);
}

/**
 * How a stored record value (or key) reads through the facade: bytes are copied, strings become
 * their UTF-8 bytes, null stays null, and any other JS value (written by a native brokerlab
 * producer, which stores values as they are) becomes its JSON text.
 *
 * @example
 * ```ts
 * readBytes({ total: 3 }); // <Buffer '{"total":3}'>
 * ```
 */
export function readBytes(stored: unknown): Buffer | null {
  if (stored === null || stored === undefined) return null;
  if (stored instanceof Uint8Array) return copyBytes(stored);
  if (typeof stored === "string") return utf8Buffer(stored);
  return utf8Buffer(JSON.stringify(stored));
}

/**
 * True for a Node Buffer or any Uint8Array.
 *
 * @example
 * ```ts
 * isBytes(Buffer.from("a")); // true
 * ```
 */
export function isBytes(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array;
}

/**
 * Reads a Kafka offset or timestamp as kafkajs accepts it (a decimal string, a number, a bigint,
 * or a `Long`-like object with `toString()`), returning a safe integer. Throws INVALID_ARGUMENT
 * naming `what` otherwise.
 *
 * @example
 * ```ts
 * parseLong("42", "offset", "seek"); // 42
 * ```
 */
export function parseLong(value: unknown, what: string, where: string): number {
  let n: number;
  if (typeof value === "number") n = value;
  else if (typeof value === "bigint") n = Number(value);
  else if (typeof value === "string" && /^\s*-?\d+\s*$/.test(value)) n = Number(value);
  else if (
    value !== null &&
    typeof value === "object" &&
    typeof (value as { toString?: unknown }).toString === "function" &&
    /^-?\d+$/.test(String(value))
  )
    n = Number(String(value));
  else n = Number.NaN;
  if (!Number.isSafeInteger(n)) {
    throw new InvalidArgumentError(
      `${where}: ${what} must be an integer (kafkajs takes offsets as decimal strings such as "42"), got ${describe(value)}.`,
    );
  }
  return n;
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null || value === undefined || typeof value !== "object") return String(value);
  return Array.isArray(value) ? "an array" : "an object";
}

/**
 * Big-endian writer for Kafka's consumer-protocol structures (`MemberMetadata`,
 * `MemberAssignment`): int16, int32, strings with an int16 length, arrays with an int32 count,
 * bytes with an int32 length.
 *
 * @example
 * ```ts
 * new ProtocolWriter().int16(0).stringArray(["t"]).bytes(null).toBuffer();
 * ```
 */
export class ProtocolWriter {
  private bytesOut: number[] = [];

  /** Appends a signed 16-bit integer. */
  int16(value: number): this {
    this.bytesOut.push((value >> 8) & 0xff, value & 0xff);
    return this;
  }

  /** Appends a signed 32-bit integer. */
  int32(value: number): this {
    this.bytesOut.push((value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
    return this;
  }

  /** Appends a string with an int16 byte length. */
  string(value: string): this {
    const bytes = encoder.encode(value);
    this.int16(bytes.length);
    for (const b of bytes) this.bytesOut.push(b);
    return this;
  }

  /** Appends an array of strings (int32 count). */
  stringArray(values: readonly string[]): this {
    this.int32(values.length);
    for (const v of values) this.string(v);
    return this;
  }

  /** Appends an array of int32 (int32 count). */
  int32Array(values: readonly number[]): this {
    this.int32(values.length);
    for (const v of values) this.int32(v);
    return this;
  }

  /** Appends bytes with an int32 length (-1 for null). */
  bytes(value: Uint8Array | null): this {
    if (value === null) return this.int32(-1);
    this.int32(value.length);
    for (const b of value) this.bytesOut.push(b);
    return this;
  }

  /** The encoded bytes. */
  toBuffer(): Buffer {
    return asBuffer(Uint8Array.from(this.bytesOut));
  }
}

/**
 * Big-endian reader matching {@link ProtocolWriter}; reading past the end throws INVALID_ARGUMENT.
 *
 * @example
 * ```ts
 * const r = new ProtocolReader(buffer); r.int16(); r.stringArray();
 * ```
 */
export class ProtocolReader {
  private offset = 0;
  private readonly view: DataView;

  constructor(private readonly data: Uint8Array) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }

  /** True when at least `n` more bytes can be read. */
  canRead(n: number): boolean {
    return this.offset + n <= this.data.length;
  }

  /** Reads a signed 16-bit integer. */
  int16(): number {
    this.need(2);
    const v = this.view.getInt16(this.offset);
    this.offset += 2;
    return v;
  }

  /** Reads a signed 32-bit integer. */
  int32(): number {
    this.need(4);
    const v = this.view.getInt32(this.offset);
    this.offset += 4;
    return v;
  }

  /** Reads a string with an int16 length. */
  string(): string {
    const n = this.int16();
    this.need(n);
    const text = decoder.decode(this.data.subarray(this.offset, this.offset + n));
    this.offset += n;
    return text;
  }

  /** Reads an array with an int32 count. */
  array<T>(item: (reader: ProtocolReader) => T): T[] {
    const n = this.int32();
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(item(this));
    return out;
  }

  /** Reads bytes with an int32 length (null for -1, empty when nothing is left). */
  bytes(): Buffer | null {
    if (!this.canRead(4)) return asBuffer(new Uint8Array(0));
    const n = this.int32();
    if (n < 0) return null;
    this.need(n);
    const out = copyBytes(this.data.subarray(this.offset, this.offset + n));
    this.offset += n;
    return out;
  }

  private need(n: number): void {
    if (!this.canRead(n)) {
      throw new InvalidArgumentError(
        `ProtocolReader: truncated data (need ${n} more bytes at offset ${this.offset} of ${this.data.length}).`,
      );
    }
  }
}
