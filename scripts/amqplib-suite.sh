#!/usr/bin/env bash
# Development aid, not part of CI (CI reaches no GitHub, and amqplib's npm package ships no tests):
# runs amqplib's own API test suites (test/channel_api.test.js and test/callback_api.test.js of an
# amqplib checkout) unchanged against brokerlab's facades. The two files and their helpers are
# copied into a scratch folder whose ../channel_api and ../callback_api are brokerlab/amqplib and
# brokerlab/amqplib/callback_api (the CommonJS build, so run `npm run build` first); amqplib's own
# lib/ (for the helpers) comes from node_modules. Prints node:test's summary per file.
#
#   scripts/amqplib-suite.sh <amqplib checkout, or its git directory>
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
source="${1:?usage: scripts/amqplib-suite.sh <amqplib checkout or git directory>}"
[ -f "$repo/dist/cjs/compat/amqplib/index.js" ] || { echo "run npm run build first" >&2; exit 2; }
work="$(mktemp -d "${TMPDIR:-/tmp}/amqplib-suite.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/test/lib"
for file in test/channel_api.test.js test/callback_api.test.js test/lib/util.js test/lib/data.js; do
  if [ -f "$source/$file" ]; then cp "$source/$file" "$work/$file"
  else git --git-dir "$source" show "HEAD:$file" >"$work/$file"; fi
done
cp -r "$repo/node_modules/amqplib/lib" "$work/lib"
echo "module.exports = require(\"$repo/dist/cjs/compat/amqplib/index.js\");" >"$work/channel_api.js"
echo "module.exports = require(\"$repo/dist/cjs/compat/amqplib/callback_api.js\");" >"$work/callback_api.js"
status=0
for suite in channel_api callback_api; do
  echo "== amqplib's test/$suite.test.js against brokerlab"
  if ! (cd "$work" && node --test --test-timeout=1000 "test/$suite.test.js" >"$work/$suite.log" 2>&1); then status=1; fi
  grep -E "^# (tests|pass|fail|cancelled)" "$work/$suite.log"
  grep -E "^\s+not ok" "$work/$suite.log" || true
done
exit "$status"
