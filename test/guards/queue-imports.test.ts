import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * Layering guard: src/queue is the broker-agnostic consumable queue, so nothing under it imports
 * from src/exchange (or any model above it). Type-only imports count too: a type cycle is still a
 * cycle in the design.
 */
const root = join(import.meta.dirname, "..", "..");
const queueDir = join(root, "src", "queue");
const ALLOWED = [join(root, "src", "queue"), join(root, "src", "scheduler")];

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

function imports(text: string): string[] {
  const out: string[] = [];
  const pattern =
    /(?:^|[\s;])(?:import|export)\s[^"';]*?from\s*["']([^"']+)["']|import\s*\(\s*["']([^"']+)["']/g;
  for (const match of text.matchAll(pattern)) out.push((match[1] ?? match[2])!);
  return out;
}

describe("src/queue layering", () => {
  const files = filesUnder(queueDir).filter((f) => f.endsWith(".ts"));

  it("has files to check", () => {
    expect(files.length).toBeGreaterThan(5);
  });

  it("imports only from src/queue, src/scheduler and packages", () => {
    const offending: string[] = [];
    for (const file of files) {
      for (const spec of imports(readFileSync(file, "utf8"))) {
        if (!spec.startsWith(".")) continue;
        const target = resolve(file, "..", spec);
        if (!ALLOWED.some((dir) => target === dir || target.startsWith(`${dir}/`))) {
          offending.push(`${relative(root, file)} imports ${spec}`);
        }
      }
    }
    expect(offending).toEqual([]);
  });

  it("the import scanner sees type-only and re-export imports", () => {
    expect(imports('import type { A } from "../exchange/a.js";\nexport { B } from "./b.js";')).toEqual([
      "../exchange/a.js",
      "./b.js",
    ]);
  });
});
