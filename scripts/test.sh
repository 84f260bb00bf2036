#!/usr/bin/env bash
# The README's test command: set up, build, and run the whole test suite with CTest.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/build.sh
cd build
ctest --output-on-failure --timeout 900 -j "$(nproc)" "$@"  # 900 s: a hung test fails instead of stalling CI
