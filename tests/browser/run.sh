#!/usr/bin/env bash
# Runs the widget's end-to-end tests in headless Chromium against the real
# binary; each test file starts its own `trustcoach serve --store memory` on
# a free loopback port. Screenshots and server logs go to tests/browser/artifacts/.
#   tests/browser/run.sh [path/to/trustcoach] [extra node --test args]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-${TRUSTCOACH_BIN:-$here/../../build/bin/trustcoach}}
shift || true
bash "$here/../../scripts/setup-browser.sh"
[ -x "$bin" ] || { echo "run.sh: no trustcoach binary at $bin" >&2; exit 1; }
export TRUSTCOACH_BIN=$(realpath "$bin")
cd "$here"
rm -f artifacts/*.log
exec node --test --test-concurrency=1 --test-timeout=180000 "$@" e2e/
