#!/usr/bin/env bash
# Builds trustcoach if needed and starts the server with the web widget demo,
# the shipped dialogs and the SQLite store in the default data folder.
#   scripts/run.sh [trustcoach serve options...]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh -DTRUSTCOACH_BUILD_TESTS=OFF
exec build/bin/trustcoach serve "$@"
