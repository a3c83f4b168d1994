import { InvalidArgumentError } from "../scheduler/errors.js";
import { utf8ByteLength } from "../scheduler/sizer.js";

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

export { utf8ByteLength } from "../scheduler/sizer.js";

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
