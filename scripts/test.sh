#!/usr/bin/env bash
# Set up, then run the core tests and every bundled plugin's tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
plugin_tests=()
for p in plugins/corpuskit-*/tests; do
  [ -d "$p" ] && plugin_tests+=("$p")
done
.venv/bin/python -m pytest -q tests "${plugin_tests[@]}" "$@"
