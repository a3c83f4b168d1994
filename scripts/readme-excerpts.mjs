#!/usr/bin/env node
// Regenerates the output excerpts in README.md and docs/*.md from the examples that print them.
//
//   node scripts/readme-excerpts.mjs           rewrite every excerpt that is out of date
//   node scripts/readme-excerpts.mjs --check   exit 1 (listing them) when an excerpt is out of date
//
// An excerpt is the fenced block between two HTML comments:
//
//   <!-- output: examples/consumer-group-rebalance.ts grep="regex" mask="regex" -->
//   ```text
//   …what `node --import tsx examples/consumer-group-rebalance.ts` prints…
//   ```
//   <!-- /output -->
//
// `grep` (optional) keeps only the lines that match; `mask` (optional, repeatable) names figures
// that change from run to run (wall-clock timings): they are ignored when checking, and a rewrite
// keeps the excerpt as it is when only they differ. test/docs/excerpts.test.ts runs the check.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const check = process.argv.includes("--check");
const OPEN = /^<!--\s*output:\s*(\S+)(.*?)-->\s*$/;
const CLOSE = /^<!--\s*\/output\s*-->\s*$/;

function docFiles() {
  const docs = readdirSync(join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => `docs/${f}`);
  return ["README.md", ...docs];
}

function attributes(text) {
  const grep = /grep="([^"]+)"/.exec(text);
  const masks = [...text.matchAll(/mask="([^"]+)"/g)].map((m) => new RegExp(m[1], "g"));
  return { grep: grep ? new RegExp(grep[1]) : null, masks };
}

/** Every excerpt region: its file, the line range of its fenced block, and its attributes. */
function regions(file) {
  const lines = readFileSync(join(ROOT, file), "utf8").split("\n");
  const found = [];
  for (let i = 0; i < lines.length; i++) {
    const open = OPEN.exec(lines[i]);
    if (!open) continue;
    let end = i + 1;
    while (end < lines.length && !CLOSE.test(lines[end])) end++;
    if (end === lines.length)
      throw new Error(`${file}:${i + 1}: <!-- output: … --> without <!-- /output -->`);
    const fence = lines.slice(i + 1, end);
    if (fence.length < 2 || !/^```/.test(fence[0]) || !/^```\s*$/.test(fence[fence.length - 1]))
      throw new Error(`${file}:${i + 1}: an output region must hold exactly one fenced block`);
    found.push({
      file,
      line: i + 1,
      start: i + 1,
      end,
      example: open[1],
      ...attributes(open[2]),
      current: fence.slice(1, -1),
    });
    i = end;
  }
  return found;
}

function run(example) {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, NO_COLOR: "1" };
    delete env.FORCE_COLOR;
    const child = spawn(process.execPath, ["--import", "tsx", example], { cwd: ROOT, env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${example} exited with ${code}\n${stderr}`));
    });
  });
}

const trimEnd = (lines) => {
  const out = lines.map((l) => l.trimEnd());
  while (out.length > 0 && out[out.length - 1] === "") out.pop();
  return out;
};
const masked = (lines, masks) => lines.map((l) => masks.reduce((s, m) => s.replace(m, "…"), l)).join("\n");

const all = docFiles().flatMap(regions);
const examples = [...new Set(all.map((r) => r.example))];
const outputs = new Map();
const queue = [...examples];
await Promise.all(
  [0, 1].map(async () => {
    for (let ex = queue.shift(); ex !== undefined; ex = queue.shift()) outputs.set(ex, await run(ex));
  }),
);

const stale = [];
const edits = new Map(); // file -> regions to rewrite
for (const r of all) {
  const printed = trimEnd((outputs.get(r.example) ?? "").split("\n")).filter(
    (l) => !r.grep || r.grep.test(l),
  );
  const wanted = trimEnd(printed);
  if (masked(wanted, r.masks) === masked(trimEnd(r.current), r.masks)) continue;
  stale.push(`${r.file}:${r.line} (${r.example})`);
  if (!edits.has(r.file)) edits.set(r.file, []);
  edits.get(r.file).push({ ...r, wanted });
}

if (check) {
  if (stale.length > 0) {
    console.error(`out of date (run node scripts/readme-excerpts.mjs):\n  ${stale.join("\n  ")}`);
    process.exit(1);
  }
  console.log(`${all.length} excerpt(s) from ${examples.length} example(s) are up to date`);
} else {
  for (const [file, rs] of edits) {
    const lines = readFileSync(join(ROOT, file), "utf8").split("\n");
    // Bottom-up, so earlier line numbers stay valid.
    for (const r of rs.sort((a, b) => b.start - a.start))
      lines.splice(r.start + 1, r.end - r.start - 2, ...r.wanted);
    writeFileSync(join(ROOT, file), lines.join("\n"));
  }
  console.log(
    stale.length > 0 ? `rewrote:\n  ${stale.join("\n  ")}` : `${all.length} excerpt(s) already up to date`,
  );
}
