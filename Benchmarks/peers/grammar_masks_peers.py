#!/usr/bin/env python3
"""Per-token mask time of XGrammar (builtin JSON grammar) and llguidance (Lark JSON) on the
token sequences the Swift `grammar-masks` benchmark wrote (results/grammar-masks-tokens.json),
and of llguidance (Lark) and XGrammar (EBNF) on its C-like programs
(results/grammar-masks-c-like-tokens.json), Llama-3 vocabulary, single thread. Uses ../shared/tools/peers/engines.py (no torch).

Run from Benchmarks/:  python3 peers/grammar_masks_peers.py [--shared ../../shared]
"""
import argparse, json, os, sys, time

ap = argparse.ArgumentParser()
ap.add_argument("--shared", default=None)
ap.add_argument("--tokens", default="results/grammar-masks-tokens.json")
ap.add_argument("--dump", metavar="PREFIX",
                help="write each JSON-suite mask's time (µs, last pass, token order) to PREFIX-ENGINE.txt, one per line, "
                     "as FSMDECODE_BENCH_DUMP does for fsmdecode: min_of_runs.py takes the least over several runs")
ap.add_argument("--json-only", action="store_true",
                help="the JSON suite only, printed (no C-like programs, results/grammar-masks-peers.json left as is)")
args = ap.parse_args()
shared = args.shared or next(p for p in ["../../shared", "../shared", "/work/shared"] if os.path.isdir(p))
sys.path.insert(0, os.path.join(shared, "tools/peers"))
import numpy as np  # noqa: E402
import engines, peers_common as pc  # noqa: E402

LARK_JSON = r"""
start: value
?value: object | array | STRING | NUMBER | "true" | "false" | "null"
object: "{" [pair ("," pair)*] "}"
pair: STRING ":" value
array: "[" [value ("," value)*] "]"
STRING: /"([^"\\\x00-\x1f]|\\["\\\/bfnrt]|\\u[0-9a-fA-F]{4})*"/
NUMBER: /-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?/
%ignore /[ \t\n\r]+/
"""


def time_masks(eng, compiled, docs, bm, label, passes=2):
    """`passes` passes over `docs`, a fresh matcher per document; per token one timed mask
    fill, then accept. Returns the last pass's fill times (s) and the rejected tokens."""
    times, rejected = [], []
    for rep in range(passes):
        for d in docs:
            m = eng.new_matcher(compiled)
            for t in d["tokens"]:
                s = time.perf_counter()
                eng.fill(m, bm)
                e = time.perf_counter() - s
                if rep == passes - 1:
                    times.append(e)
                if not eng.accept(m, t):
                    rejected.append(f"{d['name']}: token {t}")
                    print(f"{label}: {d['name']}: token {t} rejected"); break
    return times, rejected


def stats(times, compile_ms):
    times = sorted(times)
    pct = lambda q: times[min(len(times) - 1, int(q * len(times)))] * 1e6
    return dict(compile_ms=round(compile_ms, 1), n=len(times), mean_us=round(sum(times) / len(times) * 1e6, 1),
                p50_us=round(pct(0.5), 1), p99_us=round(pct(0.99), 1), max_us=round(times[-1] * 1e6, 1))


docs = json.load(open(args.tokens))
tb = pc.TokenizerBundle(os.path.join(shared, "vocab/llama3/tokenizer.json"))
words = (tb.vocab_size + 31) // 32
results = {}
for name in ["xgrammar", "llguidance"]:
    eng = engines.make_engine(name)
    eng.setup(tb)
    t0 = time.perf_counter()
    if name == "xgrammar":
        compiled = eng.compiler.compile_builtin_json_grammar()
    else:
        grm = eng.llg.grammar_from("lark", LARK_JSON)
        compiled = eng.llg.LLMatcher(eng.tok, grm, log_level=0)
    compile_ms = (time.perf_counter() - t0) * 1e3
    bm = np.zeros((1, words), dtype=np.int32) if name == "xgrammar" else np.zeros(words, dtype=np.int32)
    times, _ = time_masks(eng, compiled, docs, bm, name)
    results[name] = stats(times, compile_ms)
    if args.dump:
        with open(f"{args.dump}-{name}.txt", "w") as f:
            f.writelines(f"{t * 1e6:.3f}\n" for t in times)
    print(name, results[name])

# C-like programs (Benchmarks/data/c-like). llguidance: Grammars/c-like.lark without the
# NAME priority (llguidance has no terminal priorities: it lexes a keyword both ways and lets the
# parser choose, the same language on these programs). XGrammar: peers/c-like.ebnf, the same
# grammar with whitespace and comments written out (no lexer); one pass only, its masks take
# ~50-170 ms each on this grammar (measured), two passes would take ~10 minutes.
c_tokens = "results/grammar-masks-c-like-tokens.json"
if args.json_only:
    sys.exit(0)
if os.path.exists(c_tokens):
    grammars = next(p for p in ["../Grammars", "Grammars"] if os.path.isdir(p))
    c_docs = json.load(open(c_tokens))
    lark = open(os.path.join(grammars, "c-like.lark")).read().replace("NAME.-1:", "NAME:")
    ebnf = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "c-like.ebnf")).read()
    for name in ["llguidance", "xgrammar"]:
        key = name + "_c_like"
        eng = engines.make_engine(name)
        eng.setup(tb)
        try:
            t0 = time.perf_counter()
            if name == "llguidance":
                compiled = eng.llg.LLMatcher(eng.tok, eng.llg.grammar_from("lark", lark), log_level=0)
            else:
                compiled = eng.compiler.compile_grammar(ebnf)
            compile_ms = (time.perf_counter() - t0) * 1e3
            bm = np.zeros((1, words), dtype=np.int32) if name == "xgrammar" else np.zeros(words, dtype=np.int32)
            passes = 2 if name == "llguidance" else 1
            times, rejected = time_masks(eng, compiled, c_docs, bm, key, passes=passes)
            if rejected:
                raise RuntimeError("rejected valid programs (" + "; ".join(sorted(set(rejected))) + ")")
            results[key] = dict(stats(times, compile_ms), passes=passes)
            print(key, results[key])
        except Exception as e:  # report, do not hide
            print(key + ": failed:", e)
            results[key] = dict(error=str(e))
json.dump(results, open("results/grammar-masks-peers.json", "w"), indent=1)
