"""outlines-core on the regex-pattern corpus: Index(regex, Vocabulary) compile time per pattern.

The peer side of MaskBenchmarks.swift (issue 3): same patterns, same tokenizer.
    python3 Benchmarks/peers/outlines_patterns.py [--vocab ../shared/vocab/llama3/tokenizer.json]
        [--patterns ../shared/corpora/regex/patterns.txt] [--timeout 60] [--every N]
Each pattern compiles in a forked child (killed after --timeout s, counted as a timeout).
Needs outlines-core (../shared/tools/peers/setup_peers.sh installs the pinned version).
"""
import argparse
import multiprocessing as mp
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.abspath(os.path.join(HERE, "..", "..", "..", "shared"))
sys.path.insert(0, os.path.join(SHARED, "tools", "peers"))


def _unanchor(p):
    """outlines-core's Index matches the whole output and refuses `^`/`$`; drop outer anchors."""
    if p.startswith("^"):
        p = p[1:]
    if p.endswith("$") and not p.endswith("\\$"):
        p = p[:-1]
    return p


def _compile(oc, vocab, pattern, conn):
    try:
        t = time.perf_counter()
        index = oc.Index(pattern, vocab)
        conn.send(("ok", time.perf_counter() - t, index is not None))
    except Exception as e:  # noqa: BLE001 - report any refusal
        conn.send(("error", 0.0, str(e)[:80]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vocab", default=os.path.join(SHARED, "vocab", "llama3", "tokenizer.json"))
    ap.add_argument("--patterns", default=os.path.join(SHARED, "corpora", "regex", "patterns.txt"))
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--every", type=int, default=1, help="only every N-th pattern (a deterministic sample)")
    args = ap.parse_args()

    import outlines_core as oc
    from peers_common import TokenizerBundle

    tb = TokenizerBundle(args.vocab)
    vmap = {}
    for i, b in enumerate(tb.token_bytes()):
        if b is None or i == tb.eos_id:
            continue
        vmap.setdefault(b, []).append(i)
    vocab = oc.Vocabulary(tb.eos_id, vmap)
    patterns = [p for p in open(args.patterns, encoding="utf-8").read().split("\n") if p][::args.every]
    ctx = mp.get_context("fork")
    times, errors, timeouts = [], 0, 0
    start = time.perf_counter()
    for p in patterns:
        parent, child = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_compile, args=(oc, vocab, _unanchor(p), child))
        proc.start()
        if parent.poll(args.timeout):
            status, secs, _ = parent.recv()
            if status == "ok":
                times.append(secs)
            else:
                errors += 1
        else:
            timeouts += 1
        proc.kill()
        proc.join()
    total = time.perf_counter() - start
    times.sort()

    def pct(q):
        return times[min(len(times) - 1, round((len(times) - 1) * q))] * 1e3 if times else 0.0

    print(f"outlines-core: {len(patterns)} patterns, compiled {len(times)}, refused {errors}, "
          f"timeouts {timeouts} (> {args.timeout:.0f} s)")
    print(f"compile (Index) total {sum(times):.3f} s over compiled patterns; wall {total:.1f} s with forks")
    print(f"per pattern ms: p50 {pct(0.5):.1f} p99 {pct(0.99):.1f} max {times[-1] * 1e3 if times else 0:.1f}")


if __name__ == "__main__":
    main()
