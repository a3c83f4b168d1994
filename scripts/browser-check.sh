#!/usr/bin/env bash
# Browser check (.ci/run runs it after the packaging check): the core runs in a page. Bundles
# test/browser/fixtures/page.ts with esbuild against dist/, runs it in Debian's Chromium
# (/usr/bin/chromium, or $CHROMIUM) through playwright-core and requires its trace hash to equal
# Node's (test/browser/browser-check.ts). Installs the chromium package with apt-get when it is
# missing (as root; CI is root). Needs dist/ (npm ci's prepare builds it; built here if absent).
set -euo pipefail
cd "$(dirname "$0")/.."
log() { echo "[browser] $*"; }

chromium="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium" ]; then
  [ "$(id -u)" = 0 ] || { log "no Chromium at $chromium: apt-get install chromium (as root), or set CHROMIUM"; exit 1; }
  log "chromium is not installed; installing it with apt-get"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null ||
    { log "install failed; running apt-get update and retrying once" &&
      apt-get update -q >/dev/null &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; }
  log "installed: $(dpkg-query -W -f='${Package} ${Version}' chromium)"
fi
[ -f dist/index.js ] || node scripts/build.mjs
CHROMIUM="$chromium" exec node --import tsx test/browser/browser-check.ts
