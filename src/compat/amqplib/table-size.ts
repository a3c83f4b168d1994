import { utf8ByteLength } from "../../exchange/routing-key.js";

/**
 * amqplib 2.3.1's field-table size limit: it encodes every headers or arguments table into one
 * 64 KiB scratch buffer and throws a `RangeError` from the call (`publish`, `assertQueue`, …)
 * when the encoded table would not fit, before anything is sent.
 */

/**
 * amqplib's scratch buffer: `Buffer.alloc(65536)` in `defs.js`.
 *
 * @example
 * ```ts
 * tableBytes(headers) <= TABLE_BUFFER_BYTES; // what publish accepts
 * ```
 */
export const TABLE_BUFFER_BYTES = 65_536;

/** Bytes of a forced-type `{ "!": type, value }` value after its tag, by type. */
const TYPED_BYTES: Readonly<Record<string, number>> = {
  double: 8,
  float64: 8,
  byte: 1,
  int8: 1,
  unsignedbyte: 1,
  uint8: 1,
  short: 2,
  int16: 2,
  unsignedshort: 2,
  uint16: 2,
  int: 4,
  int32: 4,
  unsignedint: 4,
  uint32: 4,
  long: 8,
  int64: 8,
  timestamp: 8,
  float: 4,
  decimal: 5,
};

function numberBytes(n: number): number {
  // amqplib's isFloatingPoint and integer-width guess (codec.js).
  if (n >= 0x8000000000000000 || (Math.abs(n) < 0x4000000000000 && Math.floor(n) !== n)) return 8;
  if (n < 128 && n >= -128) return 1;
  if (n >= -0x8000 && n < 0x8000) return 2;
  if (n >= -0x80000000 && n < 0x80000000) return 4;
  return 8;
}

/** Encoded bytes of one value (tag included), in the form `encodeFieldValue` returns. */
function valueBytes(value: unknown): number {
  switch (typeof value) {
    case "string":
      return 5 + utf8ByteLength(value);
    case "boolean":
      return 2;
    case "number":
      return 1 + numberBytes(value);
    case "object": {
      if (value === null) return 1;
      if (value instanceof Uint8Array) return 5 + value.length;
      if (Array.isArray(value)) {
        let size = 5;
        for (const item of value) size += valueBytes(item);
        return size;
      }
      const typed = value as { "!"?: unknown; value?: unknown };
      if (Object.hasOwn(typed, "!")) {
        const type = String(typed["!"]);
        return 1 + (TYPED_BYTES[type] ?? valueBytes(typed.value) - 1);
      }
      return 1 + tableBytes(value as Record<string, unknown>);
    }
    default:
      return 0;
  }
}

/**
 * The bytes amqplib's `encodeTable` writes for `table` (its 4-byte length included), for a table
 * as `encodeTable` in `args.ts` returns it.
 *
 * @example
 * ```ts
 * tableBytes({ a: "xy" }); // 4 + (1 + 1) + (1 + 4 + 2) = 13
 * ```
 */
export function tableBytes(table: Record<string, unknown>): number {
  let size = 4;
  for (const key in table) {
    const value = table[key];
    if (value !== undefined) size += 1 + utf8ByteLength(key) + valueBytes(value);
  }
  return size;
}

/**
 * Throws amqplib 2.3.1's `RangeError` (with `code` `TABLE_TOO_LARGE`) when `table` would not fit
 * its 64 KiB encoding buffer.
 *
 * @example
 * ```ts
 * checkTableSize({ big: "x".repeat(70_000) }); // throws RangeError
 * ```
 */
export function checkTableSize(table: Record<string, unknown>): void {
  if (tableBytes(table) <= TABLE_BUFFER_BYTES) return;
  const error = new RangeError(
    `Encoded field table (headers or arguments) exceeds the ${TABLE_BUFFER_BYTES} byte encoding buffer`,
  ) as RangeError & { code: string };
  error.code = "TABLE_TOO_LARGE";
  throw error;
}
