#!/usr/bin/env python3
"""Word and line statistics for text files."""

import argparse
import re
import sys
from collections import Counter

WORD = re.compile(r"[A-Za-z']+")


def words(text):
    return [w.lower().strip("'") for w in WORD.findall(text) if w.strip("'")]


def stats(text, top=10):
    lines = text.splitlines()
    counted = Counter(words(text))
    longest = max(lines, key=len) if lines else ""
    return {
        "lines": len(lines),
        "blank": sum(1 for line in lines if not line.strip()),
        "words": sum(counted.values()),
        "distinct": len(counted),
        "longest_line": len(longest),
        "top": counted.most_common(top),
    }


def render(name, result):
    out = [f"== {name} =="]
    for key in ("lines", "blank", "words", "distinct", "longest_line"):
        out.append(f"{key:>14}: {result[key]}")
    if result["top"]:
        width = max(len(word) for word, _ in result["top"])
        for word, count in result["top"]:
            bar = "#" * min(count, 40)
            out.append(f"  {word:<{width}} {count:5d} {bar}")
    return "\n".join(out)


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("files", nargs="*", help="files to read (default: standard input)")
    parser.add_argument("--top", type=int, default=10, help="how many frequent words to show")
    parser.add_argument("--quiet", action="store_true")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_arguments(argv)
    sources = args.files or ["-"]
    status = 0
    for name in sources:
        try:
            if name == "-":
                text = sys.stdin.read()
            else:
                with open(name, encoding="utf-8", errors="replace") as handle:
                    text = handle.read()
        except OSError as error:
            print(f"{name}: {error.strerror}", file=sys.stderr)
            status = 1
            continue
        result = stats(text, top=args.top)
        if not args.quiet:
            print(render(name, result))
    return status


if __name__ == "__main__":
    sys.exit(main())
