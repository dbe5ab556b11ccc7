#!/usr/bin/env bash
# `make demo`: the main job on an embedded default. Uses ../shared's Llama-3 vocabulary when
# present (or $FSMDECODE_VOCAB), else the small vocabulary shipped in Grammars/.
set -euo pipefail
bin="$1"
cd "$(dirname "$0")/.."
vocab="${FSMDECODE_VOCAB:-}"
if [ -z "$vocab" ] && [ -f ../shared/vocab/llama3/tokenizer.json ]; then vocab=../shared/vocab/llama3/tokenizer.json; fi
if [ -z "$vocab" ]; then
  echo "no vocabulary: set FSMDECODE_VOCAB=path/to/tokenizer.json"; exit 1
fi
echo "== fsmdecode vocab $vocab"
"$bin" vocab "$vocab"
