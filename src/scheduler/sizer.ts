/**
 * Byte sizes of message bodies, shared by every model: queue length limits in bytes, log
 * segments, retention and batch sizes all count the same way, so a value weighs the same on a
 * queue and on a partition.
 */

/**
 * Measures a value in bytes. Models accept their own, e.g. to weigh domain objects by a field.
 *
 * @example
 * ```ts
 * const sizer: Sizer = (value) => (value as { weight: number }).weight;
 * new AmqpBroker(sim, { sizer });
 * ```
 */
export type Sizer = (value: unknown) => number;

/**
 * UTF-8 length of a string without encoding it. A lone surrogate counts 3 bytes, as the
 * replacement character it becomes when encoded (what Node's `Buffer.byteLength` says too).
 *
 * @example
 * ```ts
 * utf8ByteLength("é€"); // 5
 * utf8ByteLength("😀"); // 4
 * ```
 */
export function utf8ByteLength(s: string): number {
  let bytes = 0;
  const length = s.length;
  for (let i = 0; i < length; i++) {
    const unit = s.charCodeAt(i);
    if (unit < 0x80) {
      bytes += 1;
    } else if (unit < 0x800) {
      bytes += 2;
    } else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < length) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else {
        bytes += 3;
      }
    } else {
      bytes += 3;
    }
  }
  return bytes;
}

/**
 * The default {@link Sizer}: byte arrays (any typed array or `ArrayBuffer`) by their length,
 * strings by their UTF-8 length, `null`/`undefined` as empty, anything else by the UTF-8 length
 * of its JSON.
 *
 * @example
 * ```ts
 * defaultSizer(new Uint8Array(100)); // 100
 * defaultSizer("é"); // 2
 * defaultSizer({ a: 1 }); // 7, the length of '{"a":1}'
 * ```
 */
export function defaultSizer(value: unknown): number {
  if (typeof value === "string") return utf8ByteLength(value);
  if (value === null || value === undefined) return 0;
  if (ArrayBuffer.isView(value)) return value.byteLength;
  if (value instanceof ArrayBuffer) return value.byteLength;
  const json = JSON.stringify(value);
  return json === undefined ? 0 : utf8ByteLength(json);
}
