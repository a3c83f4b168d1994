// Extracts the fenced code blocks of README.md and docs/*.md for test/docs/code-blocks.test.ts.
// The conventions are described at the top of that test.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const ROOT = join(import.meta.dirname, "..", "..");

/** One fenced block of a Markdown file. */
export interface Block {
  file: string; // relative to the repository root
  line: number; // 1-based line of the opening fence
  lang: string; // first word of the info string
  flags: string; // the rest of the info string
  code: string;
  /** For a runnable block: the lines it must print, or null when it claims nothing. */
  expected: string[] | null;
  /** Regular expressions whose matches are ignored when comparing (wall-clock figures). */
  masks: RegExp[];
}

export const RUNNABLE = new Set(["ts", "js", "typescript"]);

/** The Markdown files whose blocks the suite runs. */
export function docFiles(): string[] {
  const docs = readdirSync(join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => `docs/${f}`);
  return ["README.md", ...docs];
}

const FENCE = /^(`{3,}|~{3,})\s*(\S*)\s*(.*)$/;
const MASK = /mask="([^"]+)"/g;

/** Every fenced block of one file, with the output it claims. */
export function extractBlocks(file: string): Block[] {
  const lines = readFileSync(join(ROOT, file), "utf8").split("\n");
  const raw: { line: number; lang: string; flags: string; code: string; masks: RegExp[] }[] = [];
  let masks: RegExp[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    if (/^<!--\s*output:.*-->\s*$/.test(line))
      masks = [...line.matchAll(MASK)].map((m) => new RegExp(m[1] ?? "", "g"));
    if (/^<!--\s*\/output\s*-->/.test(line)) masks = [];
    const open = FENCE.exec(line);
    if (!open) continue;
    const fence = open[1] ?? "```";
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !(lines[j] ?? "").startsWith(fence); j++) body.push(lines[j] ?? "");
    raw.push({ line: i + 1, lang: open[2] ?? "", flags: open[3] ?? "", code: body.join("\n"), masks });
    i = j;
  }
  return raw.map((b, k) => {
    let expected: string[] | null = null;
    let blockMasks: RegExp[] = [];
    if (RUNNABLE.has(b.lang)) {
      if (/\bexpect=next\b/.test(b.flags)) {
        const next = raw[k + 1];
        if (!next || !(next.lang === "text" || next.lang === ""))
          throw new Error(`${file}:${b.line}: expect=next but no text block follows`);
        expected = next.code.split("\n");
        blockMasks = next.masks;
      } else {
        const arrows = [...b.code.matchAll(/\/\/ → (.*)$/gm)].map((m) => m[1] ?? "");
        if (arrows.length > 0) expected = arrows;
      }
    }
    return { file, ...b, expected, masks: blockMasks };
  });
}

/** The entry points a block may import, mapped to the sources. */
export const ENTRIES: Record<string, string> = {
  brokerlab: "src/index.ts",
  "brokerlab/amqplib": "src/compat/amqplib/index.ts",
  "brokerlab/amqplib/callback_api": "src/compat/amqplib/callback_api.ts",
  "brokerlab/kafkajs": "src/compat/kafkajs/index.ts",
  "brokerlab/tasks": "src/tasks/index.ts",
  "brokerlab/timers": "src/timers.ts",
  "brokerlab/vitest": "src/semantics/vitest.ts",
};

/** Rewrites `"brokerlab…"` specifiers (import, export, require) to absolute source paths. */
export function resolveImports(code: string): string {
  return code.replace(
    /(from\s+|import\s*\(\s*|require\s*\(\s*|import\s+)"(brokerlab(?:\/[\w/]+)?)"/g,
    (_whole, lead: string, spec: string) => {
      const target = ENTRIES[spec];
      if (!target) throw new Error(`unknown entry point ${spec}`);
      return `${lead}${JSON.stringify(join(ROOT, target))}`;
    },
  );
}

/** Applies masks and trims trailing blank lines, for comparing printed output. */
export function normalize(lines: string[], masks: RegExp[]): string[] {
  const out = lines.map((l) => masks.reduce((s, m) => s.replace(m, "…"), l.trimEnd()));
  while (out.length > 0 && out[out.length - 1] === "") out.pop();
  return out;
}
