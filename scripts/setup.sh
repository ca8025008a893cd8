#!/usr/bin/env bash
# Create .venv (if missing) and install corpuskit with its test/lint tools and the bundled plugins.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
args=(-e ".[test,lint]")
for p in plugins/corpuskit-*/; do
  [ -f "$p/pyproject.toml" ] && args+=(-e "$p")
done
.venv/bin/python -m pip install -q "${args[@]}"
