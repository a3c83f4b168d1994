import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * Determinism and portability guard: library code under src/ reads no wall clock, draws no
 * unseeded randomness, arms no real timer and imports no node: module. Only the CLI (src/cli/) and
 * the auto/realtime runners (files named *-runner.ts) may.
 */
const root = join(import.meta.dirname, "..", "..");
const src = join(root, "src");

const FORBIDDEN: { pattern: RegExp; what: string }[] = [
  { pattern: /\bMath\.random\s*\(/, what: "Math.random()" },
  { pattern: /\bDate\.now\s*\(/, what: "Date.now()" },
  { pattern: /\bnew\s+Date\s*\(\s*\)/, what: "new Date() without an argument" },
  { pattern: /\bperformance\.now\s*\(/, what: "performance.now()" },
  { pattern: /\bsetTimeout\s*\(/, what: "setTimeout()" },
  { pattern: /\bsetInterval\s*\(/, what: "setInterval()" },
  { pattern: /\bsetImmediate\b/, what: "setImmediate" },
  { pattern: /\bfrom\s+["']node:/, what: "an import from a node: module" },
  { pattern: /\bimport\s*\(\s*["']node:/, what: "a dynamic import of a node: module" },
  { pattern: /\brequire\s*\(\s*["']node:/, what: "a require of a node: module" },
];

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

function exempt(path: string): boolean {
  const rel = relative(src, path).split("\\").join("/");
  return rel.startsWith("cli/") || /-runner\.ts$/.test(rel);
}

/** Strips comments so that documentation may mention the forbidden names. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
}

function violations(files: string[]): string[] {
  const found: string[] = [];
  for (const path of files) {
    if (!/\.(ts|js|mjs)$/.test(path) || exempt(path)) continue;
    const lines = code(readFileSync(path, "utf8")).split("\n");
    lines.forEach((line, index) => {
      for (const { pattern, what } of FORBIDDEN) {
        if (pattern.test(line)) found.push(`${relative(root, path)}:${index + 1} uses ${what}`);
      }
    });
  }
  return found;
}

describe("determinism and portability guard", () => {
  it("finds no wall clock, Math.random, real timers or node: imports under src/ outside the CLI and runners", () => {
    expect(violations(filesUnder(src))).toEqual([]);
  });

  it("would catch each forbidden use (the guard itself can fail)", () => {
    const samples = [
      "const x = Math.random();",
      "const t = Date.now();",
      "const d = new Date();",
      "const p = performance.now();",
      "setTimeout(() => {}, 1);",
      "setInterval(f, 5);",
      "setImmediate(f);",
      'import { readFileSync } from "node:fs";',
      'const fs = await import("node:fs");',
    ];
    for (const sample of samples) {
      expect(FORBIDDEN.some(({ pattern }) => pattern.test(code(sample)))).toBe(true);
    }
    expect(FORBIDDEN.some(({ pattern }) => pattern.test(code("new Date(sim.now)")))).toBe(false);
    expect(FORBIDDEN.some(({ pattern }) => pattern.test(code("// never call Date.now() here")))).toBe(false);
  });

  it("keeps @sinonjs/fake-timers out of the core's import path (only brokerlab/timers loads it)", () => {
    const importsOf = (file: string) =>
      [...code(readFileSync(file, "utf8")).matchAll(/\b(?:from|import)\s*\(?\s*["']([^"']+)["']/g)].map(
        (m) => m[1]!,
      );
    const reachable = (entry: string): Set<string> => {
      const seen = new Set<string>();
      const stack = [entry];
      while (stack.length > 0) {
        const file = stack.pop()!;
        if (seen.has(file)) continue;
        seen.add(file);
        for (const spec of importsOf(file)) {
          if (spec.startsWith(".")) stack.push(resolve(dirname(file), spec.replace(/\.js$/, ".ts")));
          else seen.add(spec);
        }
      }
      return seen;
    };
    for (const entry of [
      "index.ts",
      "compat/amqplib/index.ts",
      "compat/kafkajs/index.ts",
      "tasks/index.ts",
    ]) {
      const graph = reachable(join(src, entry));
      expect(graph.size).toBeGreaterThan(5);
      expect([...graph].filter((spec) => spec.startsWith("@sinonjs"))).toEqual([]);
    }
    expect(reachable(join(src, "timers.ts")).has("@sinonjs/fake-timers")).toBe(true);
  });
});
