import pc from "picocolors";
import { fitText, WIDTH } from "./text.js";

/**
 * How the CLI writes: colour decided per stream, every text line fitted to {@link WIDTH} columns
 * (wrapped at spaces, continuation lines indented), and the three output formats.
 *
 * @example
 * ```ts
 * const out = writer(process.stdout, process.env, "text");
 * out.line(out.color.bold("brokerlab demo"));
 * ```
 */

/** The output formats every command offers. */
export type Format = "text" | "json" | "markdown";

/** The formats, in help order. */
export const FORMATS: readonly Format[] = ["text", "json", "markdown"];

export { fitText, jsLiteral, paragraph, visibleWidth, WIDTH } from "./text.js";

/** picocolors' functions (identity functions when colour is off). */
export type Colors = ReturnType<typeof pc.createColors>;

/** What the CLI needs from a stream. */
export interface OutStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/**
 * Whether to colour a stream: `NO_COLOR` (non-empty) turns colour off, `FORCE_COLOR` (anything but
 * `0`/`false`) turns it on, otherwise only a terminal (not `TERM=dumb`) gets colour. picocolors'
 * own default also colours whenever `CI` is set, even into a pipe, which would put escapes in
 * piped output; hence this decision, with picocolors only making the escapes.
 *
 * @example
 * ```ts
 * colorEnabled({ isTTY: false }, {}); // false: piped
 * colorEnabled({ isTTY: false }, { FORCE_COLOR: "1" }); // true
 * ```
 */
export function colorEnabled(
  stream: { readonly isTTY?: boolean },
  env: Readonly<Record<string, string | undefined>>,
): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== "0" && env.FORCE_COLOR !== "false";
  return stream.isTTY === true && env.TERM !== "dumb";
}

/**
 * picocolors' functions for a stream.
 *
 * @example
 * ```ts
 * colorsFor(process.stderr, process.env).red("error");
 * ```
 */
export function colorsFor(
  stream: { readonly isTTY?: boolean },
  env: Readonly<Record<string, string | undefined>>,
): Colors {
  return pc.createColors(colorEnabled(stream, env));
}

/** Writes one format to a stream: text fitted to {@link WIDTH}, JSON pretty-printed. */
export interface Writer {
  readonly format: Format;
  readonly color: Colors;
  /** Writes text (fitted to the width in text mode) and a newline. */
  line(text?: string): void;
  /** Writes a value as JSON (json format only). */
  json(value: unknown): void;
}

/**
 * A {@link Writer} on a stream.
 *
 * @example
 * ```ts
 * writer(process.stdout, process.env, "json").json({ ok: true });
 * ```
 */
export function writer(
  stream: OutStream,
  env: Readonly<Record<string, string | undefined>>,
  format: Format,
): Writer {
  const color = format === "text" ? colorsFor(stream, env) : pc.createColors(false);
  return {
    format,
    color,
    line(text = "") {
      stream.write(`${format === "text" ? fitText(text) : text}\n`);
    },
    json(value: unknown) {
      stream.write(`${JSON.stringify(value, null, 2)}\n`);
    },
  };
}
