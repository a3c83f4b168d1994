import pc from "picocolors";

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

/** No text line the CLI prints is wider than this. */
export const WIDTH = 100;

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

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escapes is the point.
const ANSI = /\x1b\[[0-9;]*m/g;

/**
 * The columns a line takes on screen (ANSI colour codes take none).
 *
 * @example
 * ```ts
 * visibleWidth("\x1b[31mred\x1b[39m"); // 3
 * ```
 */
export function visibleWidth(text: string): number {
  return [...text.replace(ANSI, "")].length;
}

/**
 * Wraps every line wider than `width` at spaces; continuation lines are indented by `hang`
 * spaces (default: the line's own indent plus four; pass the indent itself for prose). A word
 * too long for a line is split.
 *
 * @example
 * ```ts
 * fitText("a ".repeat(80), 40).split("\n").every((l) => l.length <= 40); // true
 * ```
 */
export function fitText(text: string, width = WIDTH, hang?: number): string {
  return text
    .split("\n")
    .map((line) => fitLine(line, width, hang))
    .join("\n");
}

/**
 * Wraps prose to `width`: continuation lines keep the first line's indent.
 *
 * @example
 * ```ts
 * paragraph("  " + "word ".repeat(40), 60);
 * ```
 */
export function paragraph(text: string, width = WIDTH): string {
  return text
    .split("\n")
    .map((line) => fitLine(line, width, /^ */.exec(line)?.[0].length ?? 0))
    .join("\n");
}

function fitLine(line: string, width: number, hangColumns?: number): string {
  if (visibleWidth(line) <= width) return line;
  const indent = /^ */.exec(line)?.[0].length ?? 0;
  const hang = " ".repeat(Math.min(hangColumns ?? indent + 4, Math.floor(width / 2)));
  const out: string[] = [];
  let current = line.slice(0, indent);
  let currentWidth = indent;
  let fresh = true; // nothing but indent on the current line yet
  for (const word of line.slice(indent).split(" ")) {
    const w = visibleWidth(word);
    const need = fresh ? w : w + 1;
    if (currentWidth + need <= width) {
      current += fresh ? word : ` ${word}`;
      currentWidth += need;
      fresh = false;
      continue;
    }
    if (!fresh) {
      out.push(current);
      current = hang;
      currentWidth = hang.length;
    }
    let rest = word;
    // Split words that cannot fit on a line of their own.
    while (visibleWidth(rest) > width - currentWidth) {
      const room = width - currentWidth;
      out.push(current + rest.slice(0, room));
      rest = rest.slice(room);
      current = hang;
      currentWidth = hang.length;
    }
    current += rest;
    currentWidth += visibleWidth(rest);
    fresh = false;
  }
  out.push(current);
  return out.join("\n");
}

/**
 * A JavaScript literal of `value` for code that starts at column `column` of a line indented by
 * `indent`: on one line when it fits in `width`, else one property or element per line.
 *
 * @example
 * ```ts
 * jsLiteral({ seed: 0, plan: [] }); // "{ seed: 0, plan: [] }"
 * ```
 */
export function jsLiteral(value: unknown, indent = 0, column = indent, width = WIDTH): string {
  const flat = oneLine(value);
  if (column + flat.length + 2 <= width || value === null || typeof value !== "object") return flat;
  const pad = " ".repeat(indent + 2);
  const close = " ".repeat(indent);
  if (Array.isArray(value)) {
    const items = value.map((v) => `${pad}${jsLiteral(v, indent + 2, indent + 2, width)},`);
    return `[\n${items.join("\n")}\n${close}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${pad}${key(k)}: ${jsLiteral(v, indent + 2, indent + 4 + key(k).length, width)},`);
  return `{\n${entries.join("\n")}\n${close}}`;
}

function key(k: string): string {
  // `__proto__: v` and `"__proto__": v` in a literal set the prototype; only a computed key
  // defines an own property of that name.
  if (k === "__proto__") return '["__proto__"]';
  return /^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k);
}

function oneLine(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(oneLine).join(", ")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return entries.length === 0
      ? "{}"
      : `{ ${entries.map(([k, v]) => `${key(k)}: ${oneLine(v)}`).join(", ")} }`;
  }
  return value === undefined ? "undefined" : JSON.stringify(value);
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
