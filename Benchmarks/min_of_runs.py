#!/usr/bin/env python3
"""Per-mask least time over several grammar-masks runs (FSMDECODE_BENCH_DUMP files).

A p99 over the JSON headline's 2,690 warm masks is its 27th slowest mask, and on a shared
machine one run's preemptions move it by ±0.4 µs. The least of N runs per mask (the same
masks in the same order each run) keeps each mask's own cost and drops most of that noise;
it compares builds, it is not a figure to report beside the peers'.

    for i in 1 2 3 4; do FSMDECODE_BENCH_DUMP=/tmp/run-$i.txt FSMDECODE_BENCH_GRAMMAR=json.gbnf \\
        .build/release/fsmdecode-benchmarks grammar-masks --repetitions 2; done
    python3 min_of_runs.py /tmp/run-*.txt [--show N] [--over US]
"""
import argparse


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+")
    ap.add_argument("--show", type=int, default=0, help="list the N slowest masks with their places")
    ap.add_argument("--over", type=float, default=6.4, help="count the masks slower than this many µs")
    args = ap.parse_args()
    runs = []
    for path in args.files:
        with open(path) as f:
            runs.append([line.rstrip("\n").split("\t", 1) for line in f if line.strip()])
    n = len(runs[0])
    if any(len(r) != n for r in runs):
        raise SystemExit("the runs differ in their number of masks: not the same documents")
    least = [min(float(r[i][0]) for r in runs) for i in range(n)]
    s = sorted(least)
    pct = lambda q: s[min(n - 1, int(q * n))]
    print(f"{n} masks, least of {len(runs)} runs: mean {sum(s) / n:.2f} µs  p50 {pct(0.5):.2f}  p99 {pct(0.99):.2f}  "
          f"max {s[-1]:.1f}  over {args.over} µs: {sum(1 for x in s if x > args.over)}")
    for t, i in sorted(((t, i) for i, t in enumerate(least)), reverse=True)[:args.show]:
        print(f"{t:7.2f}  {runs[0][i][1] if len(runs[0][i]) > 1 else ''}")


if __name__ == "__main__":
    main()
