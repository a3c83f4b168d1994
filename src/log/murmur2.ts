import { describeValue } from "../scheduler/describe-value.js";
import { InvalidArgumentError } from "../scheduler/errors.js";
import { checkString } from "../scheduler/validate.js";

/**
 * Kafka's key hash: 32-bit murmur2 exactly as Java's `org.apache.kafka.common.utils.Utils.murmur2`
 * computes it (seed `0x9747b28c`), and as kafkajs 2.x's `DefaultPartitioner` does.
 */

const SEED = 0x9747b28c;
const M = 0x5bd1e995;
const R = 24;

function checkBytes(bytes: unknown, where: string): asserts bytes is Uint8Array {
  if (!(bytes instanceof Uint8Array)) {
    throw new InvalidArgumentError(
      `${where}: bytes must be a Uint8Array (encode strings with utf8Bytes first), got ${bytes === null ? "null" : typeof bytes}.`,
    );
  }
}

/**
 * murmur2 of `bytes` as a signed 32-bit integer, bit for bit what Java's `Utils.murmur2` returns.
 * `Math.imul` gives Java's wrapping `int` multiply, so no BigInt is needed.
 *
 * @example
 * ```ts
 * murmur2(utf8Bytes("foobar")); // -790332482
 * toPositive(murmur2(utf8Bytes("foobar"))) % 10; // 6: where Kafka puts key "foobar" among 10 partitions
 * ```
 */
export function murmur2(bytes: Uint8Array): number {
  checkBytes(bytes, "murmur2");
  const length = bytes.length;
  let h = SEED ^ length;
  const blocks = length >>> 2;
  for (let i = 0; i < blocks; i++) {
    const i4 = i << 2;
    let k = bytes[i4]! | (bytes[i4 + 1]! << 8) | (bytes[i4 + 2]! << 16) | (bytes[i4 + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> R;
    k = Math.imul(k, M);
    h = Math.imul(h, M);
    h ^= k;
  }
  // Java's switch falls through 3 → 2 → 1; the ifs below are that fall-through spelled out.
  const tail = length & ~3;
  const rest = length & 3;
  if (rest === 3) h ^= bytes[tail + 2]! << 16;
  if (rest >= 2) h ^= bytes[tail + 1]! << 8;
  if (rest >= 1) {
    h ^= bytes[tail]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/**
 * The non-negative hash Kafka takes a modulo of: `n & 0x7fffffff`. A mask, not `Math.abs`, so
 * that `-2147483648` maps to 0 instead of staying negative.
 *
 * @example
 * ```ts
 * toPositive(-790332482); // 1357151166
 * ```
 */
export function toPositive(n: number): number {
  if (typeof n !== "number") {
    throw new InvalidArgumentError(
      `toPositive: expected a number (a murmur2 hash), got ${describeValue(n)}.`,
    );
  }
  return n & 0x7fffffff;
}

/**
 * kafkajs 2.x's `LegacyPartitioner` hash (the default before kafkajs 2.0). It is murmur2 written
 * with plain JavaScript `*`, which rounds instead of wrapping, and with a block count of
 * `length / 4` that is not floored, so a ragged tail is also read as a zero-padded block. It
 * therefore disagrees with Java for almost every key; it is reproduced here, quirks included, so
 * that a simulation can stand in for producers still configured with the legacy partitioner.
 *
 * @example
 * ```ts
 * kafkajsLegacyMurmur2(utf8Bytes("21")); // -595812486 (Java's murmur2 gives -973932308)
 * ```
 */
export function kafkajsLegacyMurmur2(bytes: Uint8Array): number {
  checkBytes(bytes, "kafkajsLegacyMurmur2");
  const length = bytes.length;
  // Out-of-range reads are `undefined` in kafkajs, and `undefined & 0xff` is 0: `?? 0` is that.
  const at = (i: number): number => (bytes[i] ?? 0) & 0xff;
  let h = SEED ^ length;
  const blocks = length / 4;
  for (let i = 0; i < blocks; i++) {
    const i4 = i * 4;
    let k = at(i4) + (at(i4 + 1) << 8) + (at(i4 + 2) << 16) + (at(i4 + 3) << 24);
    k *= M;
    k ^= k >>> R;
    k *= M;
    h *= M;
    h ^= k;
  }
  const tail = length & ~3;
  const rest = length % 4;
  if (rest === 3) h ^= at(tail + 2) << 16;
  if (rest >= 2) h ^= at(tail + 1) << 8;
  if (rest >= 1) {
    h ^= at(tail);
    h *= M;
  }
  h ^= h >>> 13;
  h *= M;
  h ^= h >>> 15;
  return h;
}

const encoder = new TextEncoder();

/**
 * UTF-8 bytes of a string, as Kafka's `StringSerializer` and kafkajs (`Buffer.from(key)`) produce
 * them for well-formed strings. Uses `TextEncoder`, present in Node, Deno, Bun and browsers.
 * A lone surrogate becomes U+FFFD (`EF BF BD`), as in kafkajs; Java's encoder writes `?` instead,
 * so keys containing broken surrogate pairs hash differently from a Java producer.
 *
 * @example
 * ```ts
 * utf8Bytes("é"); // Uint8Array [0xc3, 0xa9]
 * ```
 */
export function utf8Bytes(s: string): Uint8Array {
  checkString(s, "s", "utf8Bytes");
  return encoder.encode(s);
}
