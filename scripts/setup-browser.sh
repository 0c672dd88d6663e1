#!/usr/bin/env bash
# Installs what the browser tests need, only what is missing: Debian's
# chromium (never a browser download of a test tool) and the npm packages
# pinned in tests/browser/package-lock.json (playwright-core, @axe-core/playwright).
#   scripts/setup-browser.sh
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(chromium fonts-dejavu-core fonts-liberation2)
source scripts/lib/packages.sh
install_missing setup-browser "${packages[@]}"
# The suite uses node:test's describe/before/after and global fetch as Node 20
# has them; Debian 12's own nodejs is 18.
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "setup-browser: Node.js 20 or later is needed for the browser tests;" \
    "found ${node_major/#0/none} ($(command -v node || echo 'no node on PATH'))." \
    "Install it from https://nodejs.org/ or NodeSource's Debian packages." >&2
  exit 1
fi

cd tests/browser
# npm ci again only when the lockfile changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] ||
   [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/@axe-core/playwright ]; then
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
fi
