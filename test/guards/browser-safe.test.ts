import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * Browser and Deno guard: the core (src/ outside the facades in src/compat and the CLI in src/cli)
 * names no `Buffer` (bytes are Uint8Array, text goes through TextEncoder/TextDecoder) and reads
 * nothing from Node's `process` (a page has neither; Deno asks for permission to read the
 * environment). The facades keep Buffer where amqplib and kafkajs hand one to the application.
 * test/browser/browser-check.ts runs the core in Chromium; scripts/packaging-check.sh runs it in
 * Deno without --allow-env.
 */
const root = join(import.meta.dirname, "..", "..");
const src = join(root, "src");

const FORBIDDEN: { pattern: RegExp; what: string }[] = [
  { pattern: /(?<![\w$."'`])Buffer\b/, what: "Buffer (use Uint8Array and TextEncoder)" },
  // Members of Node's process; the kernel's own process objects (SimProcess) have none of these.
  {
    pattern:
      /(?<![\w$."'`])process\s*\.\s*(?:env|argv|exit|exitCode|stdout|stderr|stdin|nextTick|hrtime|platform|versions?|cwd|memoryUsage|emitWarning|getActiveResourcesInfo|on|once|pid|uptime)\b/,
    what: "Node's process global",
  },
  { pattern: /\bglobalThis\s*\.\s*(?:process|Buffer)\b/, what: "globalThis.process or globalThis.Buffer" },
];

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

const exempt = (path: string) => /^(compat|cli)\//.test(relative(src, path).split("\\").join("/"));

/** Strips comments and string contents, so that documentation and event names may say "process.exit". */
function code(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, (comment) => comment.replace(/[^\n]/g, ""))
    .replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1")
    .replace(/"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'/g, '""');
}

function violations(path: string, text: string): string[] {
  const found: string[] = [];
  code(text)
    .split("\n")
    .forEach((line, index) => {
      for (const { pattern, what } of FORBIDDEN)
        if (pattern.test(line)) found.push(`${relative(root, path)}:${index + 1} uses ${what}`);
    });
  return found;
}

describe("browser and Deno guard", () => {
  it("finds no Buffer and no process global in src/ outside src/compat and src/cli", () => {
    const files = filesUnder(src).filter((path) => path.endsWith(".ts") && !exempt(path));
    expect(files.length).toBeGreaterThan(100);
    expect(files.flatMap((path) => violations(path, readFileSync(path, "utf8")))).toEqual([]);
  });

  it("would catch each forbidden use (the guard itself can fail)", () => {
    for (const sample of [
      'const bytes = Buffer.from("x");',
      "if (Buffer.isBuffer(value)) return value;",
      "function f(b: Buffer) {}",
      "const mode = process.env.NODE_ENV;",
      "process.nextTick(f);",
      "const p = globalThis.process;",
    ])
      expect(violations("sample.ts", sample), sample).not.toEqual([]);
    for (const sample of [
      "const out = new FetchBuffer();",
      "const view = new ArrayBuffer(8);",
      'this.emit("process.exit", payload);',
      "// kafkajs sends Buffer.from(key); process.env is not read",
      "const process = sim.process(name); process.crash();",
    ])
      expect(violations("sample.ts", sample), sample).toEqual([]);
  });
});
