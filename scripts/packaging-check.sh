#!/usr/bin/env bash
# Installs brokerlab as a user does and loads it the ways real code does (CI runs this after
# `npm test`; about 30 s with a warm npm cache). `npm pack`s brokerlab (its prepare script builds dist/:
# ESM, CommonJS, declarations) and the two alias packages in packages/, installs them into two
# scratch projects under $TMPDIR, and runs test/packaging/fixtures there:
#   alias/   amqplib and kafkajs installed as brokerlab-amqplib / brokerlab-kafkajs (what
#            `npm install -D amqplib@npm:brokerlab-amqplib kafkajs@npm:brokerlab-kafkajs` gives)
#   mapper/  only brokerlab installed; jest's moduleNameMapper and vitest's resolve.alias map the
#            names, as docs/install.md shows
# In each: every entry loads through import and through require on Node without require(esm)
# (entries.mjs), one module graph across the CommonJS entries (identity.cjs), unmodified amqplib
# (promise and callback API) and kafkajs programs print what they should and exit by themselves,
# the same app suite passes under jest (CommonJS) and vitest (ESM), and tsc type-checks the
# declarations as Node16 (ESM and CommonJS) and Bundler projects. Deno (the `deno` devDependency)
# runs an app on the installed package with no permissions and no --sloppy-imports (so nothing in
# its import path reads the environment: immer is vendored into dist/ with NODE_ENV fixed, see
# scripts/build.mjs) and prints the same scenario trace hash as Node; and one of the repository's
# examples, which import the package by name, prints under Deno what it prints under tsx. jest,
# vitest, tsc and deno are the repository's own (node_modules/), pointed at the scratch projects.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/brokerlab-packaging.XXXXXX")"
[ "${BROKERLAB_KEEP_SCRATCH:-}" = 1 ] || trap 'rm -rf "$work"' EXIT
fixtures="$repo/test/packaging/fixtures"
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false

step() { echo "[packaging] $*"; }

step "npm pack brokerlab and the alias packages into $work"
(cd "$repo" && npm pack --silent --pack-destination "$work" >/dev/null)
(cd "$repo/packages/brokerlab-amqplib" && npm pack --silent --pack-destination "$work" >/dev/null)
(cd "$repo/packages/brokerlab-kafkajs" && npm pack --silent --pack-destination "$work" >/dev/null)
core="$(ls "$work"/brokerlab-[0-9]*.tgz)"
amqp_alias="$(ls "$work"/brokerlab-amqplib-*.tgz)"
kafka_alias="$(ls "$work"/brokerlab-kafkajs-*.tgz)"

# expect_output <dir> <file> <text>: runs a program with a 60 s limit; it must exit 0 by itself and
# print <text>.
expect_output() {
  local dir="$1" file="$2" text="$3" out
  if ! out="$(cd "$dir" && timeout 60 node --no-experimental-require-module "$file" 2>&1)"; then
    echo "$out"
    step "FAILED: $file did not exit cleanly within 60 s (in $dir)"
    exit 1
  fi
  if ! grep -qF -- "$text" <<<"$out"; then
    echo "$out"
    step "FAILED: $file did not print '$text'"
    exit 1
  fi
  step "ok: $(basename "$dir")/$file printed '$text' and exited"
}

run_suites() {
  local dir="$1"
  cp "$fixtures"/* "$dir/"
  (cd "$dir" && node entries.mjs)
  expect_output "$dir" identity.cjs "identity: one module graph"
  expect_output "$dir" amqp-app.cjs " [x] Received Hello World..."
  expect_output "$dir" amqp-callback-app.cjs " [x] Received Hello World!"
  expect_output "$dir" kafka-app.cjs "kafka app: 2050 of 2050 messages arrived"
  step "jest in $(basename "$dir")"
  (cd "$dir" && node --no-experimental-require-module "$repo/node_modules/jest/bin/jest.js" --rootDir "$dir" --ci)
  step "vitest in $(basename "$dir")"
  (cd "$dir" && node "$repo/node_modules/vitest/vitest.mjs" run --root "$dir" --config "$dir/vitest.config.mjs")
}

step "scratch project alias/: amqplib and kafkajs are the alias packages"
mkdir -p "$work/alias"
cat >"$work/alias/package.json" <<JSON
{ "name": "scratch-alias", "private": true, "version": "1.0.0",
  "dependencies": { "brokerlab": "file:$core", "amqplib": "file:$amqp_alias", "kafkajs": "file:$kafka_alias" },
  "jest": { "testEnvironment": "node" } }
JSON
cat >"$work/alias/vitest.config.mjs" <<'JS'
export default { test: { globals: true, include: ["*.vitest.mjs"] } };
JS
(cd "$work/alias" && npm install --omit=optional --prefer-offline --no-package-lock --loglevel=error)
run_suites "$work/alias"

step "types: tsc --noEmit against the installed declarations (Node16: ESM and CommonJS; Bundler)"
tsc="$repo/node_modules/typescript/bin/tsc"
for resolution in node16 bundler; do
  if [ "$resolution" = node16 ]; then
    compiler='"module": "node16", "moduleResolution": "node16"'
    files='"types-check.mts", "types-check.cts"'
  else
    compiler='"module": "esnext", "moduleResolution": "bundler"'
    files='"types-check.mts"'
  fi
  # No skipLibCheck: brokerlab's declarations must compile under a user's strict settings, with
  # only Node's types (no DOM lib).
  cat >"$work/alias/tsconfig.$resolution.json" <<JSON
{ "compilerOptions": { $compiler, "target": "es2022", "lib": ["es2022"], "strict": true, "noEmit": true,
    "types": ["node"], "typeRoots": ["$repo/node_modules/@types"] },
  "files": [$files] }
JSON
  (cd "$work/alias" && node "$tsc" -p "tsconfig.$resolution.json")
  step "ok: types compile with $resolution resolution"
done

step "no environment read in the installed package's import path (dist/ outside the CLI)"
if grep -rlE "process\.env|process\[" "$work/alias/node_modules/brokerlab/dist" --include='*.js' | grep -v "/dist/cli/"; then
  step "FAILED: the files above read process.env (Deno asks for --allow-env; browsers have no process)"
  exit 1
fi
step "ok: only dist/cli reads process.env"

step "deno: the installed package under deno run, no permissions, no --sloppy-imports"
deno="$repo/node_modules/.bin/deno"
export DENO_NO_UPDATE_CHECK=1 DENO_DIR="$work/deno-cache"
cp "$repo/test/browser/fixtures/scenario.ts" "$work/alias/scenario.mts"
if ! deno_out="$(cd "$work/alias" && timeout 60 "$deno" run --no-prompt --cached-only deno-app.mts 2>&1)"; then
  echo "$deno_out"
  step "FAILED: deno-app.mts did not exit cleanly under deno run (no permissions) within 60 s"
  exit 1
fi
echo "$deno_out"
node_out="$(cd "$work/alias" && timeout 60 node --import "file://$repo/node_modules/tsx/dist/esm/index.mjs" deno-app.mts 2>&1)"
for line in "deno app: amqplib got Hello Deno" "deno app: kafkajs wrote offset 0" "deno app: task add(2, 3) = 5"; do
  grep -qxF -- "$line" <<<"$deno_out" || { step "FAILED: deno-app.mts did not print '$line'"; exit 1; }
done
if [ "$deno_out" != "$node_out" ]; then
  echo "$node_out"
  step "FAILED: Deno and Node print different things for deno-app.mts (Node's output above)"
  exit 1
fi
step "ok: deno-app.mts printed the same lines (and scenario trace hash) under Deno and Node"
(cd "$work/alias" && timeout 120 "$deno" check --cached-only deno-app.mts)
step "ok: deno check: deno-app.mts type-checks against the installed declarations"

# Examples from the repository import "brokerlab…" by name: Deno resolves them through the
# package's exports (dist/), tsx through tsconfig paths (src/); both must print the same.
for example in kernel-basics exactly-once-pipeline; do
  step "deno: examples/$example.ts, importing brokerlab's entries through the package's exports"
  example_deno="$(cd "$repo" && NO_COLOR=1 timeout 60 "$deno" run --no-prompt --cached-only "examples/$example.ts" 2>&1)" || {
    echo "$example_deno"
    step "FAILED: deno run examples/$example.ts"
    exit 1
  }
  example_tsx="$(cd "$repo" && timeout 60 node --import tsx "examples/$example.ts" 2>&1)"
  if [ "$example_deno" != "$example_tsx" ]; then
    diff <(echo "$example_tsx") <(echo "$example_deno") || true
    step "FAILED: examples/$example.ts prints differently under Deno (dist/) and tsx (src/)"
    exit 1
  fi
  step "ok: examples/$example.ts under Deno prints what tsx prints ($(wc -l <<<"$example_deno") lines)"
done

step "scratch project mapper/: only brokerlab; the test runners map the names with the docs' own configs"
mkdir -p "$work/mapper"
cat >"$work/mapper/package.json" <<JSON
{ "name": "scratch-mapper", "private": true, "version": "1.0.0",
  "dependencies": { "brokerlab": "file:$core" } }
JSON
(cd "$work/mapper" && npm install --omit=optional --prefer-offline --no-package-lock --loglevel=error)
cp "$fixtures"/* "$work/mapper/"
# The configuration blocks of docs/install.md and docs/kafkajs.md, verbatim (they are marked
# no-run for test/docs because they only make sense inside a test runner; they run here).
block() { node "$repo/test/packaging/extract-block.mjs" "$repo/$1" "$2"; }
block docs/install.md "a jest configuration file" >"$work/mapper/jest.config.js"
block docs/install.md "a vitest configuration file" >"$work/mapper/vitest.docs.config.ts"
{ block docs/install.md "runs inside a test file"; echo 'test("the docs fragment runs inside jest", () => {});'; } \
  >"$work/mapper/docs-fragment.test.cjs"
block docs/kafkajs.md "works only inside jest" >"$work/mapper/kafkajs-setup.ts"
"$repo/node_modules/.bin/esbuild" "$work/mapper/kafkajs-setup.ts" --format=cjs --log-level=warning \
  --outfile="$work/mapper/kafkajs-setup.cjs"
{ cat "$work/mapper/kafkajs-setup.cjs"; echo 'test("the docs kafkajs jest setup runs inside jest", () => {});'; } \
  >"$work/mapper/docs-kafkajs-setup.test.cjs"
# The docs' vitest config imports vitest/config: the scratch project borrows the repository's vitest.
ln -s "$repo/node_modules/vitest" "$work/mapper/node_modules/vitest"
cat >"$work/mapper/vitest.config.mts" <<'JS'
import { mergeConfig } from "vitest/config";
import docs from "./vitest.docs.config.ts";
// The docs' config (its resolve.alias), plus what this runner needs: globals, these files only.
export default mergeConfig(docs, { test: { globals: true, include: ["*.vitest.mjs"] } });
JS
(cd "$work/mapper" && node entries.mjs)
expect_output "$work/mapper" identity.cjs "identity: one module graph"
step "jest in mapper (docs/install.md's jest.config.js; the docs' setup fragments as test files)"
(cd "$work/mapper" && node --no-experimental-require-module "$repo/node_modules/jest/bin/jest.js" \
  --config "$work/mapper/jest.config.js" --rootDir "$work/mapper" --ci)
step "vitest in mapper (docs/install.md's vitest.config.ts)"
(cd "$work/mapper" && node "$repo/node_modules/vitest/vitest.mjs" run --root "$work/mapper" --config "$work/mapper/vitest.config.mts")
step "all packaging checks passed"
