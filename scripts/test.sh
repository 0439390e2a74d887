#!/usr/bin/env bash
# README command 2: install, build and run every test (ctest). Exits non-zero
# on any failure. Tests that need root say so when they skip; as root they run.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
cd "${BUILD_DIR:-$root/build}"
ctest --output-on-failure --timeout 900
