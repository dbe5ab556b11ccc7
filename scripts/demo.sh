#!/usr/bin/env bash
# `make demo`: the main job on an embedded default. Uses the vocabulary in $FSMDECODE_VOCAB when
# set, else the small byte-level BPE vocabulary shipped in Grammars/demo/ (trained by this
# project: `fsmdecode train-vocab --corpus Grammars/demo/corpus.txt --size 1024 --out Grammars/demo`).
# The model is the built-in n-gram backend trained on Grammars/demo/corpus.txt: left alone it
# writes JSON-ish text with syntax errors; constrained, every output is valid.
set -euo pipefail
bin="$1"
cd "$(dirname "$0")/.."
vocab="${FSMDECODE_VOCAB:-Grammars/demo/tokenizer.json}"
corpus=Grammars/demo/corpus.txt

echo "== the vocabulary: fsmdecode vocab $vocab"
"$bin" vocab "$vocab"
echo
echo "== a tokenization"
"$bin" tokenize --vocab "$vocab" '{"name": "Ada", "age": 42}'
echo
regex='\{"name": "[A-Z][a-z]+ [A-Z][a-z]+", "city": "[A-Z][a-z]+", "age": (1[89]|[2-9][0-9])\}'
echo "== generate 5 samples with the n-gram model, unconstrained and constrained by the regex"
echo "   $regex"
"$bin" generate --vocab "$vocab" --backend ngram --corpus "$corpus" --regex "$regex" -n 5 --compare --seed 7 --max-tokens 80
echo
echo "== the same, constrained by a JSON Schema (Grammars/schemas/person.schema.json, compact whitespace)"
"$bin" compile --vocab "$vocab" --json-schema Grammars/schemas/person.schema.json --whitespace compact
"$bin" generate --vocab "$vocab" --backend ngram --corpus "$corpus" --json-schema Grammars/schemas/person.schema.json \
  --whitespace compact -n 5 --compare --seed 11 --max-tokens 200 --repetition-penalty 1.3
echo
echo "== tool calls: Grammars/tools/weather-tools.json (4 functions), OpenAI format, compact JSON"
echo "   unconstrained, the n-gram model writes JSON-ish text; constrained, only declared functions with valid arguments"
"$bin" compile --vocab "$vocab" --tools Grammars/tools/weather-tools.json --tool-format openai --whitespace compact
"$bin" generate --vocab "$vocab" --backend ngram --corpus "$corpus" --tools Grammars/tools/weather-tools.json \
  --tool-format openai --whitespace compact -n 5 --compare --seed 1 --max-tokens 256 --repetition-penalty 1.3
