import { describeValue } from "../scheduler/describe-value.js";
import { InvalidArgumentError } from "../scheduler/errors.js";
import { checkOneOf, checkOptions } from "../scheduler/validate.js";

/**
 * The `x-match` modes a headers-exchange binding may ask for. `all` and `any` ignore binding
 * arguments whose name starts with `x-`; the `-with-x` variants compare them too.
 *
 * @example
 * ```ts
 * const mode: XMatch = "any-with-x";
 * ```
 */
export type XMatch = "all" | "any" | "all-with-x" | "any-with-x";

/**
 * Every accepted `x-match` value, in the order error messages list them.
 *
 * @example
 * ```ts
 * X_MATCH_VALUES.includes("any"); // true
 * ```
 */
export const X_MATCH_VALUES: readonly XMatch[] = ["all", "any", "all-with-x", "any-with-x"];

/**
 * How numbers compare. `"erlang-3.10"` follows RabbitMQ 3.10, which compared decoded values with
 * Erlang `==`: an integer and a float with the same value are equal. `"exact"` follows later
 * releases, which behave like Erlang `=:=`: an integer never equals a float.
 *
 * @example
 * ```ts
 * const options = { numericEquality: "exact" } satisfies HeadersMatchOptions;
 * ```
 */
export type NumericEquality = "erlang-3.10" | "exact";

/**
 * Options of {@link headersMatch}.
 *
 * @example
 * ```ts
 * headersMatch(args, headers, { numericEquality: "exact" });
 * ```
 */
export interface HeadersMatchOptions {
  /** Defaults to `"erlang-3.10"`. */
  numericEquality?: NumericEquality;
}

const NUMERIC_EQUALITY_MODES: readonly NumericEquality[] = ["erlang-3.10", "exact"];

/**
 * Parses a binding's `x-match` argument, refusing what RabbitMQ refuses at bind time. Absent
 * (`undefined`) means `all`. Anything but one of {@link X_MATCH_VALUES} (a non-string included)
 * throws an {@link InvalidArgumentError} with code `PRECONDITION_FAILED`, RabbitMQ's 406, naming
 * the bad value and the four accepted ones.
 *
 * @example
 * ```ts
 * validateXMatch(undefined); // "all"
 * validateXMatch("any-with-x"); // "any-with-x"
 * validateXMatch("some"); // throws PRECONDITION_FAILED
 * ```
 */
export function validateXMatch(value: unknown): XMatch {
  if (value === undefined) return "all";
  if (typeof value === "string" && (X_MATCH_VALUES as readonly string[]).includes(value)) {
    return value as XMatch;
  }
  const shown =
    typeof value === "string"
      ? JSON.stringify(value)
      : value === null
        ? "null (void, not a string)"
        : Array.isArray(value)
          ? "an array (not a string)"
          : typeof value === "object"
            ? "a table (not a string)"
            : `${String(value)} (a ${typeof value}, not a string)`;
  throw new InvalidArgumentError(
    `headers binding: invalid x-match value ${shown}; expected one of ${X_MATCH_VALUES.map((v) =>
      JSON.stringify(v),
    ).join(", ")}, or no x-match at all (meaning "all").`,
    "PRECONDITION_FAILED",
    { argument: "x-match", received: value },
  );
}

/**
 * Whether a message with `headers` matches a headers-exchange binding with arguments
 * `bindingArgs`, as RabbitMQ's `rabbit_exchange_type_headers` decides it.
 *
 * Which arguments take part:
 * - `x-match` never does; other arguments named `x-…` (case-sensitive) only in the `-with-x`
 *   modes; arguments whose value is `undefined` never do (amqplib does not send them).
 *
 * How they decide:
 * - an argument whose value is `null` (AMQP void) is satisfied by the header being present,
 *   whatever its value; any other argument needs the header present and equal;
 * - `all`/`all-with-x` need every taking-part argument satisfied, `any`/`any-with-x` need one;
 *   with none taking part, `all` matches every message (even one without headers) and `any`
 *   matches none. A header that is `undefined` counts as absent.
 *
 * Equality is Erlang's on RabbitMQ's decoded values, with each JS value typed the way amqplib
 * encodes it (amqplib's `{ "!": type, value }` notation gives an explicit type):
 * - a string never equals a number or a boolean; booleans equal only booleans;
 * - numbers: a JS number is an integer when `Number.isInteger` says so (amqplib sends those as
 *   integer types) and a float otherwise; a `bigint` is an integer; `{ "!": "double" | "float",
 *   value }` is a float and `{ "!": "long" | "int" | … | "timestamp", value }` an integer. In
 *   `"erlang-3.10"` mode numbers are equal when their values are; in `"exact"` mode they must also
 *   both be integers or both floats. Limitation: JS cannot tell `1` from `1.0`, so plain numbers
 *   compare the same in both modes; only explicitly typed values reveal the difference;
 * - a string and a byte array (`Uint8Array`, hence `Buffer`) are equal when the string's UTF-8
 *   bytes are the array's bytes (both decode to an Erlang binary); byte arrays compare bytewise;
 * - arrays compare element-wise and tables (plain objects) key by key, recursively. Nested values
 *   keep their type tags in RabbitMQ's decoded form, so inside an array or table a value must
 *   also have the same AMQP type: there `1` (a byte) differs from `{ "!": "long", value: 1 }`
 *   and a string differs from a byte array, in both modes. Tables compare regardless of key
 *   order (RabbitMQ compares nested tables as lists in wire order; a JS object's key order is not
 *   a reliable stand-in for that);
 * - `NaN` equals nothing (RabbitMQ cannot decode it).
 *
 * An invalid `x-match` throws `PRECONDITION_FAILED` (see {@link validateXMatch}).
 *
 * @example
 * ```ts
 * headersMatch({ "x-match": "all", format: "pdf", type: "report" }, { format: "pdf", type: "report" }); // true
 * headersMatch({ "x-match": "any", format: "pdf", type: "log" }, { format: "pdf" }); // true
 * headersMatch({ format: null }, { format: "zip" }); // true: null only asks for presence
 * headersMatch({ n: "1" }, { n: 1 }); // false: a string never equals a number
 * headersMatch({ n: { "!": "double", value: 1 } }, { n: 1 }); // true in erlang-3.10 mode
 * headersMatch({ n: { "!": "double", value: 1 } }, { n: 1 }, { numericEquality: "exact" }); // false
 * ```
 */
export function headersMatch(
  bindingArgs: Record<string, unknown>,
  headers: Record<string, unknown> | undefined,
  options?: HeadersMatchOptions,
): boolean {
  // Type checks only (this runs per binding per routed message).
  if (bindingArgs === null || typeof bindingArgs !== "object" || Array.isArray(bindingArgs)) {
    throw new InvalidArgumentError(
      `headersMatch: bindingArgs must be an object (the binding's arguments), got ${describeValue(bindingArgs)}.`,
    );
  }
  if (headers !== undefined && (headers === null || typeof headers !== "object" || Array.isArray(headers))) {
    throw new InvalidArgumentError(
      `headersMatch: headers must be an object or undefined (the message's headers), got ${describeValue(headers)}.`,
    );
  }
  let exact = false;
  if (options !== undefined) {
    checkOptions(options, ["numericEquality"], "headersMatch");
    const mode = options.numericEquality ?? "erlang-3.10";
    checkOneOf(mode, NUMERIC_EQUALITY_MODES, "numericEquality", "headersMatch");
    exact = mode === "exact";
  }
  const xMatch = validateXMatch(bindingArgs["x-match"]);
  const needsAll = xMatch === "all" || xMatch === "all-with-x";
  const withX = xMatch === "all-with-x" || xMatch === "any-with-x";
  for (const name of Object.keys(bindingArgs)) {
    if (name === "x-match" || (!withX && name.startsWith("x-"))) continue;
    const expected = bindingArgs[name];
    if (expected === undefined) continue;
    // Own properties only: a header named "constructor" must not find Object.prototype's.
    const actual = headers !== undefined && Object.hasOwn(headers, name) ? headers[name] : undefined;
    const satisfied = actual !== undefined && (expected === null || untaggedEqual(expected, actual, exact));
    if (needsAll && !satisfied) return false;
    if (!needsAll && satisfied) return true;
  }
  return needsAll;
}

/** RabbitMQ's names for the AMQP field types, which nested comparisons must agree on. */
type FieldType =
  | "longstr"
  | "void"
  | "bool"
  | "byte"
  | "unsignedbyte"
  | "short"
  | "unsignedshort"
  | "signedint"
  | "unsignedint"
  | "long"
  | "timestamp"
  | "double"
  | "float"
  | "decimal"
  | "binary"
  | "array"
  | "table"
  | "unencodable";

// amqplib's names for explicit types ({ "!": name, value }) and the AMQP type each one sends.
const EXPLICIT_TYPES: Readonly<Record<string, FieldType>> = {
  double: "double",
  float64: "double",
  float: "float",
  byte: "byte",
  int8: "byte",
  unsignedbyte: "unsignedbyte",
  uint8: "unsignedbyte",
  short: "short",
  int16: "short",
  unsignedshort: "unsignedshort",
  uint16: "unsignedshort",
  int: "signedint",
  int32: "signedint",
  unsignedint: "unsignedint",
  uint32: "unsignedint",
  long: "long",
  int64: "long",
  timestamp: "timestamp",
  decimal: "decimal",
};

const INTEGER_TYPES: ReadonlySet<FieldType> = new Set<FieldType>([
  "byte",
  "unsignedbyte",
  "short",
  "unsignedshort",
  "signedint",
  "unsignedint",
  "long",
  "timestamp",
]);

const utf8 = new TextEncoder();

function isExplicitlyTyped(value: object): value is { "!": unknown; value?: unknown } {
  return Object.hasOwn(value, "!");
}

/** The AMQP type amqplib would send `value` as. */
function fieldType(value: unknown): FieldType {
  switch (typeof value) {
    case "string":
      return "longstr";
    case "boolean":
      return "bool";
    case "bigint":
      return "long";
    case "number":
      return numberType(value);
    case "object": {
      if (value === null) return "void";
      if (Array.isArray(value)) return "array";
      if (value instanceof Uint8Array) return "binary";
      if (isExplicitlyTyped(value)) return explicitType(value);
      return "table";
    }
    default:
      return "unencodable";
  }
}

// amqplib sends whole numbers as the smallest signed integer type that holds them, others as double.
function numberType(n: number): FieldType {
  if (!Number.isInteger(n) || n >= 2 ** 63 || n < -(2 ** 63)) return "double";
  if (n >= -128 && n < 128) return "byte";
  if (n >= -0x8000 && n < 0x8000) return "short";
  if (n >= -0x80000000 && n < 0x80000000) return "signedint";
  return "long";
}

// amqplib dispatches on the "!" name, which may also be a typeof name ("string", "number", …).
function explicitType(typed: { "!": unknown; value?: unknown }): FieldType {
  const name = typed["!"];
  if (typeof name !== "string") return "table";
  const explicit = EXPLICIT_TYPES[name];
  if (explicit !== undefined) return explicit;
  if (name === typeof typed.value && name !== "bigint" && name !== "undefined") return fieldType(typed.value);
  // amqplib would refuse to encode it; comparing it as the table it is keeps matching total.
  return "table";
}

/** The decoded value without its type tag: the payload of an explicitly typed value. */
function fieldPayload(value: unknown, type: FieldType): unknown {
  if (type === "table" || typeof value !== "object" || value === null) return value;
  return isExplicitlyTyped(value) ? value.value : value;
}

/** Erlang `==` (or `=:=` when `exact`) on decoded values, ignoring the top-level type tags. */
function untaggedEqual(a: unknown, b: unknown, exact: boolean): boolean {
  const typeA = fieldType(a);
  const typeB = fieldType(b);
  return payloadsEqual(typeA, fieldPayload(a, typeA), typeB, fieldPayload(b, typeB), exact);
}

/** Equality of values nested in an array or table, where the type tags are part of the value. */
function taggedEqual(a: unknown, b: unknown, exact: boolean): boolean {
  const typeA = fieldType(a);
  const typeB = fieldType(b);
  return (
    typeA === typeB && payloadsEqual(typeA, fieldPayload(a, typeA), typeB, fieldPayload(b, typeB), exact)
  );
}

function payloadsEqual(typeA: FieldType, a: unknown, typeB: FieldType, b: unknown, exact: boolean): boolean {
  const numericA = INTEGER_TYPES.has(typeA) || typeA === "double" || typeA === "float";
  const numericB = INTEGER_TYPES.has(typeB) || typeB === "double" || typeB === "float";
  if (numericA || numericB) {
    if (!(numericA && numericB)) return false;
    if (exact && INTEGER_TYPES.has(typeA) !== INTEGER_TYPES.has(typeB)) return false;
    return numbersEqual(a, b);
  }
  const bytesA = typeA === "longstr" || typeA === "binary";
  const bytesB = typeB === "longstr" || typeB === "binary";
  if (bytesA && bytesB) return binariesEqual(a, b);
  if (typeA !== typeB) return false;
  switch (typeA) {
    case "bool":
      return a === b;
    case "void":
      return true;
    case "decimal":
      return decimalsEqual(a, b);
    case "array":
      return arraysEqual(a, b, exact);
    case "table":
      return tablesEqual(a, b, exact);
    default:
      return false;
  }
}

function numbersEqual(a: unknown, b: unknown): boolean {
  if (typeof a === "number" && typeof b === "number") return a === b;
  if (typeof a === "bigint" && typeof b === "bigint") return a === b;
  if (typeof a === "bigint" && typeof b === "number") return Number.isInteger(b) && BigInt(b) === a;
  if (typeof a === "number" && typeof b === "bigint") return Number.isInteger(a) && BigInt(a) === b;
  return false;
}

function binariesEqual(a: unknown, b: unknown): boolean {
  if (typeof a === "string" && typeof b === "string") return a === b;
  const bytesA = typeof a === "string" ? utf8.encode(a) : a;
  const bytesB = typeof b === "string" ? utf8.encode(b) : b;
  if (!(bytesA instanceof Uint8Array) || !(bytesB instanceof Uint8Array)) return false;
  if (bytesA.length !== bytesB.length) return false;
  for (let i = 0; i < bytesA.length; i++) if (bytesA[i] !== bytesB[i]) return false;
  return true;
}

function decimalsEqual(a: unknown, b: unknown): boolean {
  if (typeof a !== "object" || a === null || typeof b !== "object" || b === null) return false;
  const da = a as { places?: unknown; digits?: unknown };
  const db = b as { places?: unknown; digits?: unknown };
  return numbersEqual(da.places, db.places) && numbersEqual(da.digits, db.digits);
}

function arraysEqual(a: unknown, b: unknown, exact: boolean): boolean {
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!taggedEqual(a[i], b[i], exact)) return false;
  return true;
}

// Fields set to undefined are not sent by amqplib, so they count as absent on both sides.
function tablesEqual(a: unknown, b: unknown, exact: boolean): boolean {
  if (typeof a !== "object" || a === null || typeof b !== "object" || b === null) return false;
  const tableA = a as Record<string, unknown>;
  const tableB = b as Record<string, unknown>;
  let fieldsA = 0;
  for (const name of Object.keys(tableA)) {
    const valueA = tableA[name];
    if (valueA === undefined) continue;
    fieldsA++;
    if (!Object.hasOwn(tableB, name)) return false;
    const valueB = tableB[name];
    if (valueB === undefined || !taggedEqual(valueA, valueB, exact)) return false;
  }
  let fieldsB = 0;
  for (const name of Object.keys(tableB)) if (tableB[name] !== undefined) fieldsB++;
  return fieldsA === fieldsB;
}
