import { utf8ByteLength as utf8Length } from "../scheduler/sizer.js";
import type { RecordHeaders, RecordKey } from "./record.js";

/**
 * Byte sizes of keys, values and headers, for `batch.size`, `segment.bytes`, `retention.bytes` and
 * fetch limits. Bytes count their length, strings their UTF-8 length, null nothing, other values
 * the UTF-8 length of their JSON. A cluster may be given its own sizer.
 */

export { defaultSizer, type Sizer } from "../scheduler/sizer.js";

/** Size of a key. */
export function keySize(key: RecordKey): number {
  if (key === null) return 0;
  return typeof key === "string" ? utf8Length(key) : key.byteLength;
}

/**
 * Size of headers: names and values, as Kafka counts them (without varint overhead).
 *
 * @example
 * ```ts
 * headersSize({ trace: "abc" }); // 8
 * ```
 */
export function headersSize(headers: RecordHeaders | null | undefined): number {
  if (headers === null || headers === undefined) return 0;
  let n = 0;
  for (const name in headers) {
    n += utf8Length(name);
    const value = headers[name]!;
    if (typeof value === "string") n += utf8Length(value);
    else if (value instanceof Uint8Array) n += value.byteLength;
    else for (const v of value) n += typeof v === "string" ? utf8Length(v) : v.byteLength;
  }
  return n;
}
