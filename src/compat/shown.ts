import { describeValue } from "../scheduler/describe-value.js";

/**
 * A received value as the wrapped libraries print it in an error message (`JSON.stringify`, as
 * amqplib and kafkajs do), falling back to {@link describeValue} when JSON cannot show it (a
 * BigInt, a circular object, a Symbol, `undefined`, a throwing `toJSON`): never throws, so that a
 * coded refusal never turns into a TypeError while its message is built.
 *
 * @example
 * ```ts
 * jsonShown({ key: "k" }); // '{"key":"k"}'
 * jsonShown({ n: 5n }); // "an object"
 * ```
 */
export function jsonShown(value: unknown): string {
  try {
    const text = JSON.stringify(value);
    if (typeof text === "string") return text;
  } catch {
    // not JSON-printable: described instead
  }
  return describeValue(value);
}

/**
 * A received value as `String(value)` prints it (the libraries' own wording), or, when that throws
 * (an object without a usable `toString`), as {@link describeValue} does.
 *
 * @example
 * ```ts
 * stringShown(undefined); // "undefined"
 * stringShown(Object.create(null)); // "an object"
 * ```
 */
export function stringShown(value: unknown): string {
  try {
    return String(value);
  } catch {
    return describeValue(value);
  }
}
