#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite, ending with meson's summary.
#   scripts/test.sh [extra `meson test` arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --tests
meson test -C build --print-errorlogs --num-processes 2 "$@"
