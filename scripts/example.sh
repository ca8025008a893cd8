#!/usr/bin/env bash
# Set up, then clean the bundled example corpus into examples/corpus.clean/ and explain one file.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/corpuskit clean examples/corpus -o examples/corpus.clean --force -c examples/corpuskit.toml
