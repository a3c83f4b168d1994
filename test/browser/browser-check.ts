// Browser check (scripts/browser-check.sh; CI runs it, `npm test` does not): bundles
// test/browser/fixtures/page.ts with esbuild for the browser against the built package (dist/,
// what a bundler gets from npm), opens it in Debian's Chromium through playwright-core, and
// requires the trace hash it shows to equal the one Node computes from the same scenario and the
// same dist/. The page bundle must also carry no Buffer and no process.env reads: a page has
// neither.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build, type Plugin } from "esbuild";
import { chromium } from "playwright-core";

const root = join(import.meta.dirname, "..", "..");
const fixtures = join(import.meta.dirname, "fixtures");
const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const step = (text: string) => console.log(`[browser] ${text}`);

if (!existsSync(join(root, "dist", "index.js")))
  throw new Error("dist/ is missing: run `npm run build` first");
if (!existsSync(executablePath))
  throw new Error(`no Chromium at ${executablePath}: apt-get install -y chromium (or set CHROMIUM)`);

/** "brokerlab" → dist/index.js: the built package, not the sources tsconfig's paths point at. */
const builtPackage: Plugin = {
  name: "built-package",
  setup(b) {
    b.onResolve({ filter: /^brokerlab$/ }, () => ({ path: join(root, "dist", "index.js") }));
  },
};

const work = mkdtempSync(join(tmpdir(), "brokerlab-browser-"));
try {
  const started = performance.now();
  const bundle = async (entry: string, platform: "browser" | "node", outfile: string) =>
    build({
      entryPoints: [join(fixtures, entry)],
      outfile,
      bundle: true,
      platform,
      format: platform === "browser" ? "iife" : "esm",
      target: "es2022",
      plugins: [builtPackage],
      logLevel: "warning",
    });
  await bundle("page.ts", "browser", join(work, "page.js"));
  await bundle("node-run.ts", "node", join(work, "node-run.mjs"));
  const pageCode = readFileSync(join(work, "page.js"), "utf8");
  for (const [pattern, what] of [
    [/\bBuffer\b/, "Buffer"],
    [/\bprocess\.env\b/, "process.env"],
    [/\brequire\(/, "require("],
  ] as const) {
    if (pattern.test(pageCode)) throw new Error(`the page bundle references ${what}: a browser has none`);
  }
  step(`bundled page.js (${Math.round(pageCode.length / 1024)} KiB, no Buffer/process.env/require)`);

  const nodeOut = execFileSync(process.execPath, [join(work, "node-run.mjs")], { encoding: "utf8" }).trim();
  const expected = JSON.parse(nodeOut.split("\n").at(-1) ?? "{}") as { hash?: string };
  step(`node: ${nodeOut}`);

  writeFileSync(
    join(work, "index.html"),
    '<!doctype html><meta charset="utf-8"><title>brokerlab</title><pre id="out">running</pre><script src="page.js"></script>\n',
  );
  const browser = await chromium.launch({ executablePath, headless: true });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(String(error)));
    await page.goto(pathToFileURL(join(work, "index.html")).href);
    await page.waitForFunction(
      () => window.brokerlabResult !== undefined || window.brokerlabError !== undefined,
      null,
      {
        timeout: 60_000,
      },
    );
    const { result, error } = await page.evaluate(() => ({
      result: window.brokerlabResult,
      error: window.brokerlabError,
    }));
    if (error !== undefined || errors.length > 0)
      throw new Error(`the page failed: ${error ?? errors.join("\n")}`);
    step(`chromium (${browser.version()}): ${JSON.stringify(result)}`);
    const shown = await page.textContent("#out");
    if (JSON.stringify(result) !== JSON.stringify(expected))
      throw new Error(
        `Chromium and Node disagree:\n  chromium ${JSON.stringify(result)}\n  node     ${nodeOut}`,
      );
    if (!shown?.includes(String(expected.hash))) throw new Error(`the page shows "${shown}", not the hash`);
    step(
      `ok: trace hash ${expected.hash} in Chromium equals Node's (${Math.round(performance.now() - started)} ms)`,
    );
  } finally {
    await browser.close();
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
