#!/usr/bin/env python3
"""Deterministic mutation fuzzer for fsmdecode's input front-ends, driven through the CLI.

Crashes inside the library kill an in-process test run, so this script finds them first: it
mutates seed inputs (shipped grammars, the shared corpora, schemas, tool lists), runs
`fsmdecode validate` on each mutant under a timeout, and classifies the outcome:

  crash    the process died by a signal (Swift trap, stack overflow): always a bug
  hang     it ran past --timeout seconds: a bug (every input must be bounded)
  unclear  exit status other than 0/1, or a failure whose stderr is not one
           `fsmdecode: error: …` / `fsmdecode: no match: …` line naming a location

Reproducers are written to OUT/<kind>/<class>-<hash>.<ext> with a one-line .txt summary.

  scripts/fuzz-frontends.py --bin .build/debug/fsmdecode --cases 2000 --seed 1 --out /tmp/fuzz
"""
import argparse
import glob
import hashlib
import os
import random
import re
import subprocess
import sys
import time

SHARED = os.environ.get("FSMDECODE_SHARED", os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
REPO = os.path.join(os.path.dirname(__file__), "..")

# Snippets that have broken parsers before, or that probe a limit.
HOSTILE_COMMON = [
    b"(" * 300, b")" * 10, b"((((", b"\x00", b"\xff\xfe", b"\xc3", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
    b"\\", b"\"", b"'", b"\n", b"\r\n", b"\r", b"\t", b"|||", b"{2,1}", b"{1000000}", b"{99999999999}",
    b"{0,99999999999999999999}", b"{100000}", b"{99999,100000}", b"[^]", b"[]", b"[z-a]", b"[\\x00-\\U0010FFFF]",
    b".", b"*", b"+?", b"??", b"**", b"\\u{110000}", b"\\uD800", b"\\UFFFFFFFF", b"\\x", b"\\u12",
    b"x" * 4096, b"#", b"\xef\xbb\xbf", b"0" * 40, b"-1", b"9223372036854775807", b"18446744073709551616",
]
HOSTILE = {
    "gbnf": HOSTILE_COMMON + [b"::=", b"root ::= root", b"a ::= a a | ", b"<[4294967296]>", b"<[99999999999]>",
                              b"!<x>", b"<|eot_id|>", b"<", b"!", b"(a*)*", b"x{10000}{10000}", b"(\"\"*)*",
                              b"root ::= (\"a\"{100000}){100000}", b"\"\\U0010FFFF\"", b"[\\-]", b"[a-]"],
    "lark": HOSTILE_COMMON + [b"->", b"%import common.WS", b"%import common (", b"%ignore WS", b"%ignore",
                              b"/", b"/(?i:a)/", b"/(a*)*b/", b"/a{10000}{10000}/", b"/(?P<x>a)(?P=x)/", b"\"\"i",
                              b"%declare X", b"%override start: \"a\"", b"%extend start: \"b\"", b"?start",
                              b"!start", b"_TERM", b"TERM.9999999999", b"start.-5", b"~ 1000000", b"~ 5..2",
                              b"~ 99999999999..999999999999", b"\"a\"..\"z\"", b"\"z\"..\"a\"", b"/[/", b"/\\p{L}/",
                              b"(a|b", b"[x]*", b"x: x", b"%import .missing", b"/(?x) a # c\n/"],
    "regex": HOSTILE_COMMON + [b"(a*)*", b"(a|a)*b", b"a{10000}{10000}", b"(?:", b"(?<n>", b"(?P<", b"(?=",
                               b"\\b", b"\\p{L}", b"[[:alpha:]]", b"^", b"$", b"a$b", b"(^a)*", b"\\1", b"{,5}",
                               b"[\\d-z]", b"\\c", b"\\k<n>", b"(?i)", b"[^\\s\\S]", b"a{0}", b"(?:a{0,10000}){0,10000}"],
    "json": HOSTILE_COMMON + [b"[" * 600, b"{\"a\":" * 600, b"{\"$ref\":\"#\"}", b"\"$ref\":\"#/definitions/../..\"",
                              b"\"pattern\":\"(a*)*\"", b"\"pattern\":\"(\"", b"\"minLength\":99999999999",
                              b"\"maxLength\":-1", b"\"maxItems\":1e308", b"\"minimum\":-1e400",
                              b"\"multipleOf\":0", b"\"multipleOf\":1e-300", b"\"minItems\":4294967296",
                              b"\"enum\":[]", b"\"format\":\"date-time\"", b"\"\\u0000\"", b"\"\\ud800\"",
                              b"\"type\":[]", b"\"type\":\"nope\"", b"\"allOf\":[{},{\"not\":{}}]",
                              b"\"items\":false", b"\"additionalProperties\":{\"$ref\":\"#\"}", b",", b":", b"{}", b"[]",
                              b"\"minProperties\":999999", b"\"required\":[\"a\",\"a\"]", b"\"const\":1e999",
                              b"\"pattern\":\"a{10000}{10000}\"", b"\"exclusiveMinimum\":true", b"\"$defs\":{\"a\":{\"$ref\":\"#/$defs/a\"}}"],
}
EXT = {"gbnf": ".gbnf", "lark": ".lark", "regex": ".re", "schema": ".json", "tools": ".json"}


def seeds():
    """(kind, name, bytes) for every seed input, in a stable order."""
    out = []
    def add(kind, paths):
        for p in sorted(paths):
            try:
                with open(p, "rb") as f:
                    out.append((kind, os.path.relpath(p, REPO), f.read()))
            except OSError:
                pass
    add("gbnf", glob.glob(os.path.join(REPO, "Grammars", "**", "*.gbnf"), recursive=True)
        + glob.glob(os.path.join(SHARED, "corpora", "gbnf", "grammars", "*.gbnf")))
    add("lark", glob.glob(os.path.join(REPO, "Grammars", "**", "*.lark"), recursive=True)
        + glob.glob(os.path.join(SHARED, "corpora", "lark", "**", "*.lark"), recursive=True))
    add("schema", glob.glob(os.path.join(REPO, "Grammars", "**", "*.schema.json"), recursive=True)
        + sorted(glob.glob(os.path.join(SHARED, "corpora", "jsonschemabench-dev", "*", "*.json")))[::40])
    add("tools", glob.glob(os.path.join(REPO, "Grammars", "tools", "*.json")))
    pat = os.path.join(SHARED, "corpora", "regex", "patterns.txt")
    if os.path.exists(pat):
        with open(pat, "rb") as f:
            for i, line in enumerate(f.read().split(b"\n")):
                if line:
                    out.append(("regex", f"patterns.txt:{i + 1}", line))
    return out


def mutate(rng, data, kind, pool):
    hostile = HOSTILE["json" if kind in ("schema", "tools") else kind]
    b = bytearray(data)
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        op = rng.randrange(8)
        n = len(b)
        if op == 0 and n:  # bit flips
            for _ in range(rng.randint(1, 4)):
                i = rng.randrange(n)
                b[i] ^= 1 << rng.randrange(8)
        elif op == 1 and n:  # truncation
            del b[rng.randrange(n):]
        elif op == 2 and n:  # duplicate a span (possibly many times)
            i = rng.randrange(n); j = min(n, i + rng.randint(1, 64))
            b[i:i] = bytes(b[i:j]) * rng.choice([1, 2, 8, 100])
        elif op == 3 and n:  # delete a span
            i = rng.randrange(n); del b[i:i + rng.randint(1, 32)]
        elif op in (4, 5):  # hostile snippet
            b[rng.randrange(n + 1):0] = b""
            i = rng.randrange(n + 1)
            b[i:i] = rng.choice(hostile)
        elif op == 6:  # blow up a number
            nums = [m.span() for m in re.finditer(rb"\d+", bytes(b))]
            if nums:
                s, e = rng.choice(nums)
                b[s:e] = rng.choice([b"0", b"99999999999", b"100000", b"10001", b"4294967296", b"-1", b"1e400"])
        elif op == 7 and pool:  # splice from another seed of the same kind
            other = rng.choice(pool)
            if other:
                i = rng.randrange(len(other)); j = min(len(other), i + rng.randint(1, 200))
                k = rng.randrange(n + 1)
                b[k:k] = other[i:j]
    return bytes(b)


LOCATION = re.compile(rb"(:\d+:\d+|offset \d+|#/|at \d|line \d|byte \d|\$|/\S*\.(json|gbnf|lark|txt))")


def classify(kind, rc, err, elapsed, timeout):
    if rc is None:
        return "hang"
    if rc < 0 or rc >= 128:
        return "crash"
    if rc == 0:
        return "ok"
    lines = [l for l in err.split(b"\n") if l and not l.startswith(b"fsmdecode: warning:")]
    if rc == 1 and len(lines) == 1 and (lines[0].startswith(b"fsmdecode: error: ") or lines[0].startswith(b"fsmdecode: no match: ")):
        if lines[0].startswith(b"fsmdecode: error: ") and not LOCATION.search(lines[0]):
            return "noloc"
        return "error"
    return "unclear"


def command(binary, kind, path, data, text_file):
    """`validate` on the mutant; the text is a small file (an empty --text is not accepted)."""
    text = {"schema": b"{}", "tools": b"{\"name\":\"x\",\"arguments\":{}}", "regex": b"a"}.get(kind, b"")
    with open(text_file, "wb") as f:
        f.write(text)
    if kind == "regex":
        # argv cannot carry NUL; the regex's own escape for it is tested instead.
        return [binary, "validate", b"--regex=" + data.replace(b"\x00", b"\\0"), "--file", text_file]
    flag = {"gbnf": "--grammar", "lark": "--lark", "schema": "--json-schema", "tools": "--tools"}[kind]
    return [binary, "validate", flag, path, "--file", text_file]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(REPO, ".build", "debug", "fsmdecode"))
    ap.add_argument("--cases", type=int, default=1000, help="mutants in total")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=10)
    ap.add_argument("--kinds", default="gbnf,lark,regex,schema,tools")
    ap.add_argument("--out", default="/tmp/fsmdecode-fuzz")
    args = ap.parse_args()
    kinds = args.kinds.split(",")
    rng = random.Random(args.seed)
    all_seeds = [s for s in seeds() if s[0] in kinds]
    if not all_seeds:
        sys.exit("no seeds found")
    kinds = [k for k in kinds if any(s[0] == k for s in all_seeds)]
    by_kind = {k: [s for s in all_seeds if s[0] == k] for k in kinds}
    pools = {k: [d for (_, _, d) in by_kind[k]] for k in kinds}
    os.makedirs(args.out, exist_ok=True)
    work = os.path.join(args.out, "work")
    os.makedirs(work, exist_ok=True)
    counts = {}
    slowest = (0.0, None)
    t_start = time.time()
    for n in range(args.cases):
        # Kinds are drawn evenly (the regex corpus alone has hundreds of seeds).
        kind = kinds[n % len(kinds)]
        _, name, data = rng.choice(by_kind[kind])
        mutant = mutate(rng, data, kind, pools[kind])
        if kind == "regex" and not mutant:
            mutant = b"a"  # argv cannot carry an empty option value
        path = os.path.join(work, "case" + EXT[kind])
        with open(path, "wb") as f:
            f.write(mutant)
        t0 = time.time()
        try:
            p = subprocess.run(command(args.bin, kind, path, mutant, os.path.join(work, "text")),
                               capture_output=True, timeout=args.timeout)
            rc, err = p.returncode, p.stderr
        except subprocess.TimeoutExpired:
            rc, err = None, b""
        elapsed = time.time() - t0
        cls = classify(kind, rc, err, elapsed, args.timeout)
        counts[(kind, cls)] = counts.get((kind, cls), 0) + 1
        if elapsed > slowest[0]:
            slowest = (elapsed, f"{kind} from {name}")
        if cls in ("crash", "hang", "unclear", "noloc"):
            h = hashlib.sha1(mutant).hexdigest()[:10]
            d = os.path.join(args.out, kind)
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, f"{cls}-{h}{EXT[kind]}"), "wb") as f:
                f.write(mutant)
            last = err.strip().split(b"\n")[-1][:300].decode("utf-8", "replace") if err else ""
            with open(os.path.join(d, f"{cls}-{h}.txt"), "w") as f:
                f.write(f"case {n} seed {args.seed} from {name}: rc={rc} {elapsed:.2f}s: {last}\n")
            print(f"[{n}] {cls} {kind} from {name}: rc={rc} {elapsed:.2f}s {last[:160]}", flush=True)
    total = time.time() - t_start
    print(f"{args.cases} cases in {total:.0f}s; slowest {slowest[0]:.2f}s ({slowest[1]})")
    for (k, c), v in sorted(counts.items()):
        print(f"  {k:7} {c:8} {v}")


if __name__ == "__main__":
    main()
