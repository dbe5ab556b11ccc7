#!/usr/bin/env bash
# The full MaskBench run, ours and the peers', in one command (issue 7):
#   1. release build of fsmdecode (copied aside, so a rebuild during the run cannot break it);
#   2. `fsmdecode bench masks` over the maskbench-dev corpus with per-file records and the
#      work set dumped (schemas, instance texts, token ids);
#   3. XGrammar, llguidance and outlines-core on that same work set (Benchmarks/peers/run_peers.py,
#      which creates Benchmarks/peers/.venv and pip installs the pinned peers on first use);
#   4. Benchmarks/results/$NAME.{md,json,png}; per-file records under Benchmarks/results/$NAME-work/.
#
# Environment (defaults in brackets):
#   CORPUS [../shared/corpora/maskbench-dev]   VOCAB [../shared/vocab/llama3/tokenizer.json]
#   EVERY [1]: only every Nth file   LIMIT: only the first N files (after EVERY)
#   NAME [maskbench-dev-full, or maskbench-dev-sample when EVERY/LIMIT is set]
#   JOBS [1]: fsmdecode worker processes (each file is timed single-threaded; more jobs on a
#             small machine disturb the timings)
#   TIMEOUT [60]: seconds per schema and engine   WHITESPACE [flexible]: fsmdecode's JSON
#             whitespace policy (the peers' defaults are flexible)
#   ENGINES [xgrammar,llguidance,outlines_core]
#   OUTLINES_EVERY [50], OUTLINES_LIMIT: outlines-core's sample (~20 s per schema)
#   PYTHON: an interpreter that already has the pinned peers (skips the venv; offline machines)
#   COLD=1: fsmdecode empties its cache shared across constraints (terminal DFAs) before
#           each schema; default: kept, as in a server
#   REPEAT=N (needs COLD=1): every engine measures each schema N times, each run cold, and
#           keeps per mask and per TTFM the least time (drops a shared machine's preemptions)
#   INTERLEAVE=1: time fsmdecode again beside the peers, schema by schema, taking turns (a slow
#           spell of a shared machine then falls on every engine alike; outlines-core still after)
#   REUSE_WORK=1: keep step 2's output from the last run with this NAME and rerun the peers only
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
CORPUS=$(realpath "${CORPUS:-$root/../shared/corpora/maskbench-dev}")
VOCAB=$(realpath "${VOCAB:-$root/../shared/vocab/llama3/tokenizer.json}")
EVERY=${EVERY:-1}
if [[ -z "${NAME:-}" ]]; then
  if [[ "$EVERY" != 1 || -n "${LIMIT:-}" ]]; then NAME=maskbench-dev-sample; else NAME=maskbench-dev-full; fi
fi
out=$root/Benchmarks/results
started=$(date +%s)

echo "== build (release)" >&2
swift build -c release --product fsmdecode >&2
bin=$(mktemp -d)/fsmdecode
cp .build/release/fsmdecode "$bin"
trap 'rm -rf "$(dirname "$bin")"' EXIT

echo "== fsmdecode bench masks + peers on $CORPUS (every ${EVERY}th${LIMIT:+, first $LIMIT})" >&2
args=(--vocab "$VOCAB" --out "$out" --name "$NAME" --fsmdecode "$bin"
      --jobs "${JOBS:-1}" --timeout "${TIMEOUT:-60}" --whitespace "${WHITESPACE:-flexible}" --every "$EVERY"
      --engines "${ENGINES:-xgrammar,llguidance,outlines_core}" --outlines-every "${OUTLINES_EVERY:-50}")
[[ -n "${LIMIT:-}" ]] && args+=(--limit "$LIMIT")
[[ -n "${OUTLINES_LIMIT:-}" ]] && args+=(--outlines-limit "$OUTLINES_LIMIT")
[[ -n "${PYTHON:-}" ]] && args+=(--python "$PYTHON")
[[ "${REUSE_WORK:-}" == 1 ]] && args+=(--reuse-work)
[[ "${COLD:-}" == 1 ]] && args+=(--cold)
[[ -n "${REPEAT:-}" ]] && args+=(--repeat "$REPEAT")
[[ "${INTERLEAVE:-}" == 1 ]] && args+=(--interleave)
python3 Benchmarks/peers/run_peers.py "${args[@]}" "$CORPUS"

echo "== wrote $out/$NAME.{md,json,png} in $(( $(date +%s) - started )) s" >&2
