// Every code block of README.md and docs/*.md runs as written.
//
// Conventions (apply them when you write a block):
// - Every ```ts, ```typescript and ```js block is runnable: pasted into a file of its own, with
//   the "brokerlab…" imports pointing at the sources, it must exit 0 by itself within 20 s
//   (`node --import tsx block.ts`). A block that `require`s and does not `import` runs as CommonJS.
// - What it prints: either `// → line` comments, each one line of stdout in order (trailing a
//   statement or on a line of their own, e.g. after a loop), and then stdout must be exactly those
//   lines; or the flag `expect=next` on the fence (```ts expect=next), and then stdout must be
//   exactly the next fenced ```text block. Inside an `<!-- output: … mask="regex" -->` region the
//   mask's matches (wall-clock figures) are ignored on both sides. A block that claims nothing
//   only has to exit 0.
// - ```ts vitest: the block is a vitest test file; it runs with vitest (all of them in one run).
// - ```ts no-run: <reason>: not runnable on purpose (a config file, a fragment that continues an
//   earlier block, a real server); the reason is required. Shell, text and JSON blocks are not run.
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import { beforeAll, describe, expect, it } from "vitest";
import { type Block, docFiles, extractBlocks, normalize, ROOT, RUNNABLE, resolveImports } from "./blocks.js";

const DIR = join(ROOT, "test", "docs", ".blocks");
const TIMEOUT_MS = 20_000;

const all = docFiles().flatMap(extractBlocks);
const runnable = all.filter((b) => RUNNABLE.has(b.lang));
const marked = runnable.filter((b) => /^no-run\b/.test(b.flags));
const vitestBlocks = runnable.filter((b) => /^vitest\b/.test(b.flags));
const plain = runnable.filter((b) => !marked.includes(b) && !vitestBlocks.includes(b));

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

const name = (b: Block) => `${b.file.replace(/[/.]/g, "_")}_L${b.line}`;
const label = (b: Block) => `${b.file}:${b.line}`;

function run(cmd: string, args: string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: undefined },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, TIMEOUT_MS);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

const outcomes = new Map<Block, Outcome>();
let vitestReport: { testResults: { name: string; status: string; message: string }[] } | null = null;
let vitestRun: Outcome | null = null;
let tscRun: Outcome | null = null;

async function pool<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: width }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
    }),
  );
}

beforeAll(async () => {
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  const files = new Map<Block, string>();
  for (const b of plain) {
    const file = join(DIR, `${name(b)}.ts`);
    writeFileSync(file, `${resolveImports(b.code)}\n`);
    if (/\brequire\s*\(/.test(b.code) && !/^\s*import\s/m.test(b.code)) {
      // CommonJS: bundled as the CommonJS build is (tsx cannot require the ES module sources).
      const bundle = join(DIR, `${name(b)}.cjs`);
      await build({
        entryPoints: [file],
        outfile: bundle,
        bundle: true,
        platform: "node",
        format: "cjs",
        logLevel: "error",
      });
      files.set(b, bundle);
    } else files.set(b, file);
  }
  for (const b of vitestBlocks)
    writeFileSync(join(DIR, `${name(b)}.vitest.ts`), `${resolveImports(b.code)}\n`);
  // The ```ts blocks also type-check (with the project's compiler options).
  const typed = [...plain, ...vitestBlocks].filter((b) => b.lang !== "js");
  writeFileSync(
    join(DIR, "tsconfig.json"),
    JSON.stringify({
      extends: "../../../tsconfig.json",
      compilerOptions: { allowImportingTsExtensions: true, noEmit: true },
      include: [],
      files: typed.map((b) => `${name(b)}${vitestBlocks.includes(b) ? ".vitest" : ""}.ts`),
    }),
  );
  type Job = Block | "vitest" | "tsc";
  const jobs: Job[] = ["tsc", ...(vitestBlocks.length > 0 ? ["vitest" as const] : []), ...plain];
  await pool(jobs, 2, async (job) => {
    if (job === "tsc") {
      tscRun = await run(process.execPath, [
        join(ROOT, "node_modules", "typescript", "bin", "tsc"),
        "-p",
        join(DIR, "tsconfig.json"),
      ]);
      return;
    }
    if (job === "vitest") {
      const out = join(DIR, "vitest-report.json");
      vitestRun = await run(process.execPath, [
        join(ROOT, "node_modules", "vitest", "vitest.mjs"),
        "run",
        "--config",
        join(ROOT, "test", "docs", "blocks.vitest.config.ts"),
        "--reporter=json",
        `--outputFile=${out}`,
      ]);
      try {
        vitestReport = JSON.parse(readFileSync(out, "utf8"));
      } catch {
        vitestReport = null;
      }
      return;
    }
    const file = files.get(job) as string;
    const args = file.endsWith(".cjs") ? [file] : ["--import", "tsx", file];
    outcomes.set(job, await run(process.execPath, args));
  });
  console.log(
    `doc code blocks: ${plain.length + vitestBlocks.length} ran (${vitestBlocks.length} under vitest), ` +
      `${marked.length} marked no-run, of ${runnable.length} ts/js blocks in ${docFiles().length} files`,
  );
}, 180_000);

describe("doc code blocks", () => {
  it("marks every block it does not run with a reason", () => {
    for (const b of marked) expect(b.flags, label(b)).toMatch(/^no-run:\s*\S/);
    expect(plain.length).toBeGreaterThan(0);
  });

  it.each(plain.map((b) => [label(b), b] as const))("%s runs as written", (_, b) => {
    const o = outcomes.get(b) as Outcome;
    const detail = `${label(b)}\n--- stdout\n${o.stdout}\n--- stderr\n${o.stderr}`;
    expect(o.timedOut, `${detail}\ntimed out after ${TIMEOUT_MS} ms`).toBe(false);
    expect(o.code, detail).toBe(0);
    if (b.expected) {
      expect(normalize(o.stdout.split("\n"), b.masks), detail).toEqual(normalize(b.expected, b.masks));
    }
  });

  it("type-checks every ```ts block", () => {
    const errors = (tscRun?.stdout ?? "")
      .split("\n")
      .filter((l) => l.includes(".blocks/") || l.startsWith(".blocks") || /^\w+_md_L\d+/.test(l));
    expect(tscRun, "tsc did not run").not.toBeNull();
    expect(errors, errors.join("\n")).toEqual([]);
  });

  it.each(vitestBlocks.map((b) => [label(b), b] as const))("%s passes under vitest", (_, b) => {
    const run = vitestRun as Outcome | null;
    const detail = `${run?.stdout ?? ""}\n${run?.stderr ?? ""}`;
    const result = vitestReport?.testResults.find((r) => r.name.endsWith(`${name(b)}.vitest.ts`));
    expect(result, `${label(b)}: no vitest result\n${detail}`).toBeDefined();
    expect(result?.status, `${label(b)}\n${result?.message}\n${detail}`).toBe("passed");
  });
});
