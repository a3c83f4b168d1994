import type { RecordHeaders, RecordKey } from "./record.js";

/**
 * Byte sizes of keys, values and headers, for `batch.size`, `segment.bytes`, `retention.bytes` and
 * fetch limits. Bytes count their length, strings their UTF-8 length, null nothing, other values
 * the UTF-8 length of their JSON. A cluster may be given its own sizer.
 */

/** Returns the byte size of a value. */
export type Sizer = (value: unknown) => number;

/**
 * UTF-8 length of a string without encoding it.
 *
 * @example
 * ```ts
 * utf8Length("é€"); // 5
 * ```
 */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 2; // a surrogate pair: 2 UTF-16 units, 4 bytes
        i++;
      } else n += 2;
    } else n += 2;
  }
  return n;
}

/**
 * The default sizer.
 *
 * @example
 * ```ts
 * defaultSizer(new Uint8Array(100)); // 100
 * defaultSizer({ a: 1 }); // 7
 * ```
 */
export const defaultSizer: Sizer = (value) => {
  if (value === null || value === undefined) return 0;
  if (value instanceof Uint8Array) return value.byteLength;
  if (typeof value === "string") return utf8Length(value);
  if (value instanceof ArrayBuffer) return value.byteLength;
  const json = JSON.stringify(value);
  return json === undefined ? 0 : utf8Length(json);
};

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
