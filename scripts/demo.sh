#!/usr/bin/env bash
# `make demo`: the main job on an embedded default. Uses the vocabulary in $FSMDECODE_VOCAB when
# set, else the small byte-level BPE vocabulary shipped in Grammars/demo/ (trained by this
# project: `fsmdecode train-vocab --corpus Grammars/demo/corpus.txt --size 1024 --out Grammars/demo`).
set -euo pipefail
bin="$1"
cd "$(dirname "$0")/.."
vocab="${FSMDECODE_VOCAB:-Grammars/demo/tokenizer.json}"
echo "== fsmdecode vocab $vocab"
"$bin" vocab "$vocab"
echo
echo "== fsmdecode tokenize --vocab $vocab '{\"name\": \"Ada\", \"age\": 42}'"
"$bin" tokenize --vocab "$vocab" '{"name": "Ada", "age": 42}'
