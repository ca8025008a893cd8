#!/usr/bin/env bash
# Set up, then run the core tests and every bundled plugin's tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
plugin_tests=()
for p in plugins/corpuskit-*/tests; do
  [ -d "$p" ] && [ "$p" != plugins/corpuskit-ray/tests ] && plugin_tests+=("$p")
done
.venv/bin/python -m pytest -q tests "${plugin_tests[@]}" "$@"
# The Ray plugin's tests start a real local Ray instance, in a pytest process of their own:
# once in a clean-clone CI run that process died without a word mid-way (not reproduced in
# four runs since), so a failed run is retried once; a deterministic failure fails both times.
if [ -d plugins/corpuskit-ray/tests ]; then
  if ! .venv/bin/python -m pytest -q plugins/corpuskit-ray/tests "$@"; then
    echo "ray plugin tests failed; running them once more" >&2
    .venv/bin/python -m pytest -q plugins/corpuskit-ray/tests "$@"
  fi
fi
