#!/usr/bin/env bash
# Lints docs/openapi.yaml with Redocly (pinned in package-lock.json) and checks
# that docs/openapi.json, which the server embeds, is the same document.
#   tests/http/lint_openapi.sh           lint and compare (the ctest)
#   tests/http/lint_openapi.sh --update  lint and rewrite docs/openapi.json
set -euo pipefail
cd "$(dirname "$0")"
docs=../../docs
if [ ! -x node_modules/.bin/redocly ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
node_modules/.bin/redocly lint "$docs/openapi.yaml" --config redocly.yaml --format=stylish
bundled=$(mktemp --suffix=.json)
trap 'rm -f "$bundled"' EXIT
node_modules/.bin/redocly bundle "$docs/openapi.yaml" --config redocly.yaml --ext json \
  --output "$bundled" >/dev/null 2>&1
if [ "${1:-}" = "--update" ]; then
  node -e 'const fs = require("fs");
    fs.writeFileSync(process.argv[2], JSON.stringify(JSON.parse(fs.readFileSync(process.argv[1])), null, 2) + "\n");' \
    "$bundled" "$docs/openapi.json"
  echo "wrote docs/openapi.json"
  exit 0
fi
node -e 'const fs = require("fs"); const assert = require("assert");
  assert.deepStrictEqual(JSON.parse(fs.readFileSync(process.argv[2])),
                         JSON.parse(fs.readFileSync(process.argv[1])));' \
  "$bundled" "$docs/openapi.json" ||
  { echo "docs/openapi.json differs from docs/openapi.yaml: run tests/http/lint_openapi.sh --update"; exit 1; }
echo "docs/openapi.json matches docs/openapi.yaml"
