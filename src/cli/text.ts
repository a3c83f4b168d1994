/**
 * The CLI's plain-text layout, without colour: fitting lines to {@link WIDTH} columns and writing
 * JavaScript literals for replay code. Kept apart from output.ts (which loads picocolors, and
 * picocolors reads the environment when it loads) so the demos `brokerlab/demos` exports run
 * where the environment cannot be read (Deno without --allow-env).
 *
 * @example
 * ```ts
 * paragraph("a long sentence …", 40);
 * ```
 */

/** No text line the CLI prints is wider than this. */
export const WIDTH = 100;

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
