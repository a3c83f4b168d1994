/**
 * A received value as an error message shows it: never throws, whatever the value (a BigInt, a
 * Symbol, a circular object, a revoked proxy), so that a coded refusal never turns into a
 * TypeError while its message is built. Strings are quoted, numbers and the like printed, other
 * values named by their kind.
 *
 * @example
 * ```ts
 * describeValue(5n); // "5n (a bigint)"
 * describeValue(Symbol("x")); // "Symbol(x)"
 * describeValue({}); // "an object"
 * ```
 */
export function describeValue(value: unknown): string {
  try {
    switch (typeof value) {
      case "string":
        return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
      case "number":
      case "boolean":
      case "undefined":
        return String(value);
      case "bigint":
        return `${value}n (a bigint)`;
      case "symbol":
        return value.toString();
      case "function":
        return "a function";
      default:
        if (value === null) return "null";
        if (Array.isArray(value)) return "an array";
        return "an object";
    }
  } catch {
    return "an unprintable value";
  }
}
