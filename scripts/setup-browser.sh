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
command -v node >/dev/null || { echo "setup-browser: node (Node.js 20) is needed" >&2; exit 1; }

cd tests/browser
# npm ci again only when the lockfile changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] ||
   [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/@axe-core/playwright ]; then
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
fi
