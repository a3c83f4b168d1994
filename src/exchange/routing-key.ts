import { InvalidArgumentError } from "../scheduler/errors.js";

/**
 * The longest routing or binding key RabbitMQ accepts, in UTF-8 bytes: both travel as AMQP
 * `shortstr`, whose length prefix is a single octet.
 *
 * @example
 * ```ts
 * utf8ByteLength(key) <= MAX_ROUTING_KEY_BYTES; // the condition checkRoutingKey enforces
 * ```
 */
export const MAX_ROUTING_KEY_BYTES = 255;

/**
 * The number of bytes `s` occupies in UTF-8, counted from its UTF-16 code units so that checking
 * a key on every publish allocates nothing. A lone surrogate counts 3 bytes, the size of the
 * U+FFFD replacement character that `TextEncoder` and Node's `Buffer` write in its place.
 *
 * @example
 * ```ts
 * utf8ByteLength("abc"); // 3
 * utf8ByteLength("é"); // 2
 * utf8ByteLength("€"); // 3
 * utf8ByteLength("😀"); // 4 (one surrogate pair)
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
 * Asserts that `key` can be a routing key (or a binding key): a string of at most
 * {@link MAX_ROUTING_KEY_BYTES} UTF-8 bytes. Anything else throws an {@link InvalidArgumentError}
 * with code `INVALID_ROUTING_KEY`, whose message gives the limit and the measured length, so a
 * publish that RabbitMQ would refuse is refused here too, before any state changes.
 *
 * `where` names the caller in the message (for example `"channel.publish"`).
 *
 * @example
 * ```ts
 * checkRoutingKey("orders.eu.created", "channel.publish"); // passes
 * checkRoutingKey("x".repeat(256), "channel.publish");
 * // throws INVALID_ROUTING_KEY: "channel.publish: routing key is 256 bytes in UTF-8; the limit is 255 bytes ..."
 * ```
 */
export function checkRoutingKey(key: unknown, where: string): asserts key is string {
  if (typeof key !== "string") {
    const got = key === null ? "null" : Array.isArray(key) ? "an array" : typeof key;
    throw new InvalidArgumentError(
      `${where}: routing key must be a string of at most ${MAX_ROUTING_KEY_BYTES} UTF-8 bytes, got ${got}.`,
      "INVALID_ROUTING_KEY",
      { limitBytes: MAX_ROUTING_KEY_BYTES, received: got },
    );
  }
  const lengthBytes = utf8ByteLength(key);
  if (lengthBytes > MAX_ROUTING_KEY_BYTES) {
    throw new InvalidArgumentError(
      `${where}: routing key is ${lengthBytes} bytes in UTF-8; the limit is ${MAX_ROUTING_KEY_BYTES} bytes ` +
        "(an AMQP short string). Shorten the key, or carry the extra data in a header.",
      "INVALID_ROUTING_KEY",
      { limitBytes: MAX_ROUTING_KEY_BYTES, lengthBytes },
    );
  }
}
