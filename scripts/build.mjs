#!/usr/bin/env node
// Builds dist/: the ESM build and its declarations with tsc (dist/**), then a CommonJS build of
// the same sources beside it (dist/cjs/**) so that `require("brokerlab")` works on every Node ≥ 20
// and under jest's module loader, neither of which may load ES modules synchronously.
//
// Why per-file and not one bundle per entry: every entry (`brokerlab`, `brokerlab/amqplib`,
// `brokerlab/kafkajs`, …) must share one copy of each module, or a `Simulation` created through
// `require("brokerlab")` would fail the facades' `instanceof` checks. esbuild transpiles each
// source file to its own CommonJS file with every import left as a `require` of the same path, so
// the CommonJS module graph is the ESM one. The one dependency that ships only as ESM (p-queue,
// with p-timeout) is bundled once into dist/cjs/vendor/p-queue.js and the requires are pointed at it.
// immer is vendored into both builds (dist/vendor/immer.js, dist/cjs/vendor/immer.js) with
// `process.env.NODE_ENV` replaced by "production": immer reads that variable when it loads, which
// Deno refuses without --allow-env and which browsers do not have, so no environment read is left
// in the core's import path (scripts/packaging-check.sh greps dist/ and runs the installed package
// under Deno without --allow-env).
// dist/cjs/package.json marks the folder as CommonJS; the declarations are copied next to the
// CommonJS files so TypeScript projects compiled as CommonJS read them as CommonJS (same text,
// one set of types).
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(root, "src");
const dist = join(root, "dist");
const cjs = join(dist, "cjs");
/** Dependencies that the CommonJS build carries in dist/cjs/vendor (p-queue: ESM-only). */
const VENDORED = { "p-queue": "vendor/p-queue.js", immer: "vendor/immer.js" };
/** Dependencies that the ESM build carries in dist/vendor (immer: reads process.env on load). */
const VENDORED_ESM = { immer: "vendor/immer.js" };
/** What the vendored copies see instead of reading the environment. */
const DEFINE = { "process.env.NODE_ENV": '"production"' };
/**
 * Sources the CommonJS build leaves out: the CLI is an ES module program run by `bin`, and the
 * vitest matchers import vitest, which refuses to be required.
 */
const ESM_ONLY = [join(src, "cli") + sep, join(src, "semantics", "vitest.ts")];

function walk(dir, pick) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(path, pick));
    else if (pick(path)) out.push(path);
  }
  return out;
}

const toPosix = (path) => path.split(sep).join("/");

rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"], {
  cwd: root,
  stdio: "inherit",
});

// Point the ESM build's imports of vendored packages at dist/vendor (tsc leaves them bare).
for (const file of walk(dist, (path) => path.endsWith(".js"))) {
  const text = readFileSync(file, "utf8");
  let out = text;
  for (const [name, path] of Object.entries(VENDORED_ESM)) {
    let rel = toPosix(relative(dirname(file), join(dist, path)));
    if (!rel.startsWith(".")) rel = `./${rel}`;
    out = out.replaceAll(`from "${name}";`, `from "${rel}";`);
    if (new RegExp(`(?:from|import)\\s*\\(?\\s*["']${name}["']`).test(out))
      throw new Error(`${relative(root, file)} imports ${name} in a form the build does not rewrite`);
  }
  if (out !== text) writeFileSync(file, out);
}
for (const [name, path] of Object.entries(VENDORED_ESM)) {
  await build({
    entryPoints: [name],
    outfile: join(dist, path),
    bundle: true,
    format: "esm",
    platform: "neutral",
    mainFields: ["module", "main"],
    target: "es2022",
    define: DEFINE,
    logLevel: "warning",
  });
}

const sources = walk(src, (path) => path.endsWith(".ts") && !path.endsWith(".d.ts")).filter(
  (path) => !ESM_ONLY.some((prefix) => path.startsWith(prefix)),
);

/** Keeps every import as a require of the same specifier, except vendored ones. */
const keepImports = {
  name: "keep-imports",
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === "entry-point") return undefined;
      const vendored = VENDORED[args.path];
      if (vendored !== undefined) {
        const fromDir = dirname(relative(src, args.importer));
        let path = toPosix(relative(fromDir, vendored));
        if (!path.startsWith(".")) path = `./${path}`;
        return { path, external: true };
      }
      return { path: args.path, external: true };
    });
  },
};

await build({
  entryPoints: sources,
  outdir: cjs,
  outbase: src,
  bundle: true,
  format: "cjs",
  platform: "neutral",
  target: "es2022",
  sourcemap: true,
  logLevel: "warning",
  plugins: [keepImports],
});

for (const [name, path] of Object.entries(VENDORED)) {
  await build({
    entryPoints: [name],
    outfile: join(cjs, path),
    bundle: true,
    format: "cjs",
    platform: "neutral",
    mainFields: ["module", "main"],
    target: "es2022",
    external: ["eventemitter3"],
    define: DEFINE,
    // The CommonJS sources import p-queue's default export in Node's mode (default =
    // module.exports), so module.exports must be the default export itself, as a CommonJS build of
    // it would be. immer has only named exports.
    footer:
      name === "p-queue"
        ? {
            js: "module.exports = Object.assign(module.exports.default, { default: module.exports.default });",
          }
        : undefined,
    logLevel: "warning",
  });
}

for (const declaration of walk(dist, (path) => path.endsWith(".d.ts"))) {
  const rel = relative(dist, declaration);
  if (rel.startsWith(`cjs${sep}`) || rel.startsWith(`cli${sep}`) || rel.startsWith(`semantics${sep}vitest.`))
    continue;
  const target = join(cjs, rel);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(declaration, target);
}
writeFileSync(
  join(cjs, "package.json"),
  `${JSON.stringify({ type: "commonjs", comment: "CommonJS build of brokerlab (scripts/build.mjs)" }, null, 2)}\n`,
);
console.log(`[build] dist/ (ESM + declarations) and dist/cjs/ (CommonJS, ${sources.length} modules)`);
