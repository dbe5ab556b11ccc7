#!/usr/bin/env python3
"""fsmdecode vs XGrammar, llguidance and outlines-core on the same MaskBench work, in one run.

    python3 Benchmarks/peers/run_peers.py --vocab ../shared/vocab/llama3/tokenizer.json \
        [--out Benchmarks/results] [--name bench-masks-peers] ../shared/corpora/maskbench-dev [--limit N]
    (Benchmarks/run_maskbench.sh wraps this for the full maskbench-dev run.)

1. Creates Benchmarks/peers/.venv (once) and pip installs the pinned peers there, without
   torch: xgrammar with --no-deps plus the few modules it needs at import; torch and
   transformers are replaced by placeholder modules at import time (xgrammar's matcher and
   bitmask fill are C++ and take a numpy array; no torch path is ever called).
   `--python PY` uses an interpreter that already has them instead (offline machines).
2. Runs `fsmdecode bench masks --dump-work SCRATCH/work --records …` on the inputs: our
   numbers, and the work set (schemas, instance texts, token ids, stop token) every peer
   then runs (`--reuse-work`: take both from an earlier run's SCRATCH).
3. Runs each peer in one persistent worker process (it loads the vocabulary once and takes
   schema after schema over a pipe) over exactly those token ids: per schema
   TTFM = compile + fresh matcher + first mask; per valid instance one timed bitmask fill
   per token (TBM) then accept, then the stop token; invalid instances must be rejected.
   A schema past --timeout kills the worker (timeout) and a fresh one goes on; an engine
   error is counted as the engine reports it (compile_error, crash), never dropped.
   outlines-core can be sampled (`--outlines-every N`, `--outlines-limit M`: it compiles for
   ~20 s per schema); the table then says so and puts fsmdecode's numbers on the same files
   beside it.
4. Writes OUT/NAME.json, OUT/NAME.md (one table, our ratio to each engine) and OUT/NAME.png
   (TBM and TTFM percentile curves per engine); per-file records stay in SCRATCH
   (default OUT/NAME-work).
"""
from __future__ import annotations

import argparse, json, os, platform, resource, select, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
PINS = ["xgrammar==0.2.9", "apache-tvm-ffi==0.1.15.post2", "llguidance==1.9.1", "outlines-core==0.2.14"]
DEPS = ["tokenizers==0.23.3", "numpy", "matplotlib", "pydantic", "typing-extensions"]
ENGINES = ["xgrammar", "llguidance", "outlines_core"]


# --------------------------------------------------------------------------- environment
def ensure_venv(args) -> str:
    if args.python:
        return args.python
    venv = os.path.join(HERE, ".venv")
    py = os.path.join(venv, "bin", "python")
    if not os.path.exists(os.path.join(venv, ".installed")):
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        subprocess.run([py, "-m", "pip", "install", "-q"] + DEPS, check=True)
        # --no-deps keeps xgrammar from pulling torch, transformers and CUDA wheels.
        subprocess.run([py, "-m", "pip", "install", "-q", "--no-deps"] + PINS, check=True)
        open(os.path.join(venv, ".installed"), "w").write("\n".join(PINS + DEPS) + "\n")
    return py


def import_xgrammar():
    """xgrammar 0.2.x imports torch/transformers at module level; stub them when absent."""
    import importlib.machinery, importlib.util, types
    try:
        import tvm_ffi  # noqa: F401  (must see the real absence of torch first)
    except ImportError:
        pass
    stubbed = []
    for name in ("torch", "transformers"):
        if name in sys.modules or importlib.util.find_spec(name) is not None:
            continue
        mod = types.ModuleType(name)
        mod.__spec__ = importlib.machinery.ModuleSpec(name, None)
        mod.__path__ = []

        class Placeholder:
            def __init__(self, *a, **k): pass
            def __call__(self, *a, **k): return Placeholder()
            def __getattr__(self, n):
                if n.startswith("__"):
                    raise AttributeError(n)
                return Placeholder()

        classes: dict = {}

        def getattr_(attr, _classes=classes, _name=name):
            if attr.startswith("__"):
                raise AttributeError(attr)
            return _classes.setdefault(attr, type(attr, (Placeholder,), {"__module__": _name}))

        mod.__getattr__ = getattr_
        mod.__version__ = "0+placeholder"
        sys.modules[name] = mod
        stubbed.append(name)
    import xgrammar
    return xgrammar, stubbed


# --------------------------------------------------------------------------- tokenizer
def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b); cs.append(256 + n); n += 1
    return {chr(c): b for b, c in zip(bs, cs)}


class Vocab:
    """id -> token string (as in tokenizer.json) and id -> bytes, for the manifest's tokenizer."""

    def __init__(self, manifest):
        from tokenizers import Tokenizer
        t = manifest["tokenizer"]
        self.path = t["tokenizer_json"]
        self.json_str = open(self.path, encoding="utf-8").read()
        self.size = t["vocab_size"]
        self.eos = t["eos_token_id"]
        tk = Tokenizer.from_file(self.path)
        self.id_to_str = [""] * self.size
        for s, i in tk.get_vocab(with_added_tokens=True).items():
            if i < self.size:
                self.id_to_str[i] = s
        spec = json.loads(self.json_str)
        self.special = {a["id"] for a in spec.get("added_tokens", []) if a.get("special")}
        model = spec.get("model", {})
        self.byte_level = "ByteLevel" in json.dumps(spec.get("pre_tokenizer")) or "ByteLevel" in json.dumps(spec.get("decoder"))
        self.byte_fallback = bool(model.get("byte_fallback"))

    def token_bytes(self):
        inv = bytes_to_unicode()
        out = []
        for i, s in enumerate(self.id_to_str):
            if not s or i in self.special:
                out.append(None)
            elif self.byte_level:
                out.append(bytes(inv[c] for c in s) if all(c in inv for c in s) else s.encode())
            elif self.byte_fallback and len(s) == 6 and s.startswith("<0x") and s.endswith(">"):
                out.append(bytes([int(s[3:5], 16)]))
            else:
                out.append(s.replace("\u2581", " ").encode())
        return out


# --------------------------------------------------------------------------- engines
class XGrammarEngine:
    def __init__(self, vocab):
        self.xgr, stubbed = import_xgrammar()
        meta = self.xgr.TokenizerInfo._detect_metadata_from_hf(vocab.json_str)
        info = self.xgr.TokenizerInfo(vocab.id_to_str, vocab_type=meta["vocab_type"], vocab_size=vocab.size,
                                      stop_token_ids=[vocab.eos], add_prefix_space=meta["add_prefix_space"])
        self.compiler = self.xgr.GrammarCompiler(info, max_threads=1, cache_enabled=False)
        self.notes = ["compile_json_schema defaults (any_whitespace, strict_mode)", "max_threads=1", "cache off"] + \
                     (["placeholder modules: " + ",".join(stubbed)] if stubbed else [])

    def compile(self, kind, text):
        if kind != "json_schema":
            raise RuntimeError(f"kind {kind} not run on this engine")
        return self.compiler.compile_json_schema(text)

    def matcher(self, c): return self.xgr.GrammarMatcher(c)
    def fill(self, m, bm): m.fill_next_token_bitmask(bm)
    def accept(self, m, t): return bool(m.accept_token(t))
    def accept_stop(self, m, eos): return bool(m.accept_token(eos)) and m.is_terminated()
    def bitmask(self, np, words): return np.zeros((1, words), dtype=np.int32)


class LLGuidanceEngine:
    def __init__(self, vocab):
        import llguidance
        self.llg = llguidance
        self.tok = llguidance.LLTokenizer(vocab.json_str, n_vocab=vocab.size, eos_token=vocab.eos)
        self.notes = ["grammar_from_json_schema defaults", "mask via LLMatcher.unsafe_compute_mask_ptr"]

    def compile(self, kind, text):
        if kind == "json_schema":
            grm = self.llg.LLMatcher.grammar_from_json_schema(text)
        elif kind in ("lark", "regex"):
            grm = self.llg.grammar_from(kind, text)
        else:
            raise RuntimeError(f"kind {kind} not run on this engine")
        m = self.llg.LLMatcher(self.tok, grm, log_level=0)
        if m.is_error():
            raise RuntimeError(m.get_error())
        return m

    def matcher(self, c): return c.deep_copy()
    def fill(self, m, bm): m.unsafe_compute_mask_ptr(bm.ctypes.data, bm.nbytes)
    def accept(self, m, t): return bool(m.consume_token(t))
    def accept_stop(self, m, eos): return bool(m.consume_token(eos)) and m.is_stopped()
    def bitmask(self, np, words): return np.zeros(words, dtype=np.int32)


class OutlinesEngine:
    def __init__(self, vocab):
        import outlines_core
        self.oc = outlines_core
        by_bytes: dict = {}
        for i, b in enumerate(vocab.token_bytes()):
            if b is not None and i != vocab.eos:
                by_bytes.setdefault(b, []).append(i)
        self.vocab = outlines_core.Vocabulary(vocab.eos, by_bytes)
        self.notes = ["json_schema.build_regex_from_schema defaults (whitespace '[ ]?', recursion depth 3)",
                      "Index + Guide.write_mask_into"]

    def compile(self, kind, text):
        if kind == "json_schema":
            rx = self.oc.json_schema.build_regex_from_schema(text)
        elif kind == "regex":
            rx = text
        else:
            raise RuntimeError(f"kind {kind} not run on this engine")
        return self.oc.Index(rx, self.vocab)

    def matcher(self, c): return self.oc.Guide(c)
    def fill(self, m, bm): m.write_mask_into(bm.ctypes.data, bm.size, 4)

    def accept(self, m, t):
        try:
            m.advance(t, return_tokens=False)
            return True
        except Exception:
            return False

    def accept_stop(self, m, eos): return m.is_finished()
    def bitmask(self, np, words): return np.zeros(words, dtype=np.int32)


# --------------------------------------------------------------------------- worker
def worker(engine_name, work, repeat=1):
    """Reads grammar indices on stdin; answers one JSON line per grammar on stdout. With
    `repeat` > 1 each grammar is measured that many times (compile included) and every time
    (TTFM, each mask) is the least over the runs."""
    import gc
    import numpy as np
    manifest = json.load(open(os.path.join(work, "manifest.json")))
    vocab = Vocab(manifest)
    eng = {"xgrammar": XGrammarEngine, "llguidance": LLGuidanceEngine, "outlines_core": OutlinesEngine}[engine_name](vocab)
    words = (vocab.size + 31) // 32
    bm = eng.bitmask(np, words)
    flat = bm.reshape(-1)
    cases_by_grammar: dict = {}
    for c in manifest["cases"]:
        cases_by_grammar.setdefault(c["grammar"], []).append(c)
    gc.freeze()
    print(json.dumps({"ready": True, "notes": eng.notes}), flush=True)
    clock = time.perf_counter_ns

    def measure(g, text, least):
        """One run over grammar `g`; `least`: an earlier run's record, whose times bound this one's."""
        rec = {"grammar": g["id"], "status": "ok", "ttfm_us": None, "tbm_us": [], "tokens": 0, "error": None, "case_us": []}
        gc.disable()
        t0 = clock()
        try:
            compiled = eng.compile(g["kind"], text)
            m = eng.matcher(compiled)
            eng.fill(m, bm)
            rec["ttfm_us"] = rec["own_ttfm_us"] = (clock() - t0) / 1000
            if least and least["ttfm_us"] is not None:
                rec["ttfm_us"] = min(rec["ttfm_us"], least["ttfm_us"])
        except Exception as e:  # the engine's own refusal
            rec["status"], rec["error"] = "compile_error", f"{type(e).__name__}: {e}"[:300]
        if rec["ttfm_us"] is not None:
            for n, c in enumerate(cases_by_grammar.get(g["id"], [])):
                ids = [int(x) for x in open(os.path.join(work, c["tokens"])).read().split()] + [vocab.eos]
                m = eng.matcher(compiled)
                ok = True
                times = []
                for i, t in enumerate(ids):
                    s = clock()
                    eng.fill(m, bm)
                    times.append((clock() - s) / 1000)
                    if not (int(flat[t >> 5]) >> (t & 31)) & 1:
                        ok = False; break
                    if i == len(ids) - 1:
                        ok = eng.accept_stop(m, t)
                    elif not eng.accept(m, t):
                        ok = False; break
                if least and n < len(least["case_us"]) and len(least["case_us"][n]) == len(times):
                    times = [min(a, b) for a, b in zip(times, least["case_us"][n])]
                rec["case_us"].append(times)
                if c.get("valid", True):
                    rec["tbm_us"] += times
                    rec["tokens"] += len(ids)
                    if not ok and rec["status"] == "ok":
                        rec["status"], rec["error"] = "validation_error", f"{c['id']}: rejected at token {len(times) - 1} of {len(ids)}"
                elif ok and rec["status"] == "ok":
                    rec["status"], rec["error"] = "invalidation_error", f"{c['id']}: invalid instance accepted"
        gc.enable()
        return rec

    for line in sys.stdin:
        g = manifest["grammars"][int(line)]
        text = open(os.path.join(work, g["schema"]), encoding="utf-8").read()
        rec = None
        ttfm_runs = []
        for _ in range(max(1, repeat)):
            rec = measure(g, text, rec)
            ttfm_runs.append(rec.pop("own_ttfm_us", None))
        del rec["case_us"]
        if repeat > 1:
            rec["ttfm_runs_us"] = ttfm_runs  # each run's own: shows whether a later run met a cache
        rec["rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps(rec), flush=True)


# --------------------------------------------------------------------------- driver
class Pool:
    """One persistent worker process, `cmd`, fed one request line per grammar."""
    def __init__(self, cmd):
        self.cmd = cmd
        self.proc = None
        self.notes = []

    @staticmethod
    def peer(py, engine, work, repeat=1):
        return Pool([py, os.path.abspath(__file__), "--worker", engine, "--work", work, "--repeat", str(repeat)])

    def request(self, index):
        return f"{index}\n"

    def start(self):
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1)
        line = self.readline(600)
        if not line:
            raise RuntimeError(f"worker did not start: {' '.join(self.cmd)}")
        self.notes = json.loads(line)["notes"] if line.startswith("{") else []

    def readline(self, timeout):
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.proc.stdout], [], [], left)
            if r:
                return self.proc.stdout.readline() or None

    def run(self, index, gid, timeout):
        if self.proc is None:
            self.start()
        try:
            self.proc.stdin.write(self.request(index)); self.proc.stdin.flush()
        except BrokenPipeError:
            pass
        line = self.readline(timeout)
        if line:
            return json.loads(line)
        alive = self.proc.poll() is None
        self.kill()
        return {"grammar": gid, "status": "timeout" if alive else "crash", "ttfm_us": None, "tbm_us": [], "tokens": 0,
                "error": f"no result within {timeout} s" if alive else "worker died"}

    def kill(self):
        if self.proc:
            self.proc.kill(); self.proc.wait(); self.proc = None

    def close(self):
        if self.proc:
            self.proc.stdin.close(); self.proc.wait(); self.proc = None


class OursPool(Pool):
    """fsmdecode's own `bench worker` (what `bench masks` runs), for --interleave: it answers
    "ready", then per grammar a record with every valid mask's time. Each work-set grammar's
    request line is the `unit` bench masks recorded in the manifest."""
    def __init__(self, cmd, grammars):
        super().__init__(cmd)
        self.units = [g.get("unit") for g in grammars]
        if None in self.units:
            raise SystemExit("--interleave: the work set has no request line per grammar (written by an older "
                             "fsmdecode); rerun without --reuse-work")

    def request(self, index):
        return self.units[index] + "\n"


def pct(xs, q):
    if not xs:
        return None
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, int(-(-q * len(s) // 1)) - 1))]


def summarize(recs):
    tbm = [x for r in recs for x in r["tbm_us"]]
    ttfm = [r["ttfm_us"] for r in recs if r["ttfm_us"] is not None]
    out = {"files": len(recs)}
    for k in ["ok", "compile_error", "validation_error", "invalidation_error", "timeout", "crash"]:
        out["passing" if k == "ok" else k] = sum(1 for r in recs if r["status"] == k)
    out["tokens"] = sum(r["tokens"] for r in recs)
    out["ttfm_us"] = {q: pct(ttfm, p) for q, p in [("p50", .5), ("p95", .95), ("max", 1)]}
    out["tbm_us"] = {q: pct(tbm, p) for q, p in [("p50", .5), ("p90", .9), ("p99", .99), ("max", 1)]}
    out["tbm_us"]["avg"] = sum(tbm) / len(tbm) if tbm else None
    rss = [r.get("rss_kb") or 0 for r in recs]
    out["peak_rss_mb"] = round(max(rss) / 1024, 1) if any(rss) else None
    return out, tbm, ttfm


def ours_records(work, records_path):
    """Our per-unit records (from bench masks --records) with per-token times from the dump."""
    by_grammar: dict = {}
    for line in open(os.path.join(work, "fsmdecode.jsonl")):
        if line.strip():
            c = json.loads(line)
            if c.get("valid", True):
                by_grammar.setdefault(c["grammar"], []).extend(c["mask_us"])
    recs = []
    for line in open(records_path):
        r = json.loads(line)
        gid = os.path.basename(r["file"])[:-5] if r["file"].endswith(".json") else r["file"]
        recs.append({"grammar": gid, "status": r["status"], "ttfm_us": r["ttfm_us"], "tbm_us": by_grammar.get(gid, []),
                     "tokens": r["tokens"], "error": r["error"]})
    return recs


def fmt(x):
    return "—" if x is None else (f"{x:,.0f}" if x >= 100 else f"{x:.1f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("paths", nargs="*")
    ap.add_argument("--vocab")
    ap.add_argument("--out", default=os.path.join(HERE, "..", "results"),
                    help="results directory (NAME.md, NAME.json, NAME.png go there)")
    ap.add_argument("--name", default="bench-masks-peers", help="base name of the results files")
    ap.add_argument("--scratch", help="work set, per-file records and logs (default OUT/NAME-work; large, not for committing)")
    ap.add_argument("--fsmdecode", default=None, help="fsmdecode binary (default: .build/release/fsmdecode)")
    ap.add_argument("--python", help="an interpreter that already has the pinned peers (skips the venv)")
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--timeout", type=float, default=60, help="seconds per schema and engine")
    ap.add_argument("--jobs", type=int, default=1, help="fsmdecode worker processes")
    ap.add_argument("--every", type=int, default=1, help="only every Nth input file (bench masks --every)")
    ap.add_argument("--limit", type=int, help="only the first N input files (after --every)")
    ap.add_argument("--outlines-every", type=int, default=1,
                    help="outlines-core runs only every Nth schema of the work set (it compiles for ~20 s per schema); "
                         "reported as a sample, with fsmdecode's numbers on the same sample beside it")
    ap.add_argument("--outlines-limit", type=int, help="outlines-core runs at most N schemas (after --outlines-every)")
    ap.add_argument("--reuse-work", action="store_true",
                    help="skip the fsmdecode run: reuse the work set and records already in --scratch (to rerun the peers)")
    ap.add_argument("--whitespace", default="flexible", help="fsmdecode's JSON whitespace policy (peers' defaults are flexible)")
    ap.add_argument("--cold", action="store_true",
                    help="fsmdecode empties its cross-constraint caches before each schema (bench masks --cold)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="measure each schema N times, every run cold (needs --cold), and keep per mask and per TTFM "
                         "the least time, for fsmdecode and every peer alike: drops a shared machine's preemptions "
                         "from the percentiles; --timeout is per run")
    ap.add_argument("--interleave", action="store_true",
                    help="time fsmdecode again beside the peers, schema by schema (ours and each peer on one schema, "
                         "taking turns to go first, then the next schema), so a slow spell of a shared machine falls on "
                         "every engine alike; bench masks' own run then only checks outcomes and writes the work set. "
                         "outlines-core, sampled, still runs after")
    ap.add_argument("--worker"), ap.add_argument("--work")
    args = ap.parse_args()
    if args.worker:
        return worker(args.worker, args.work, args.repeat)
    if not args.vocab or not args.paths:
        ap.error("give --vocab and input paths")
    if args.repeat < 1 or (args.repeat > 1 and not args.cold):
        ap.error("--repeat N needs N >= 1, and --cold when N > 1 (a repeated schema would find fsmdecode's caches warm)")
    os.makedirs(args.out, exist_ok=True)
    scratch = os.path.abspath(args.scratch or os.path.join(args.out, args.name + "-work"))
    os.makedirs(scratch, exist_ok=True)
    work = os.path.join(scratch, "work")
    records = os.path.join(scratch, "fsmdecode-records.jsonl")
    ours_summary_path = os.path.join(scratch, "fsmdecode-summary.json")
    root = os.path.abspath(os.path.join(HERE, "..", ".."))
    binary = args.fsmdecode or os.path.join(root, ".build", "release", "fsmdecode")
    py = ensure_venv(args)
    cmd = [binary, "bench", "masks", "--vocab", args.vocab, "--dump-work", work, "--records", records, "--json",
           "--timeout", str(args.timeout), "--jobs", str(args.jobs), "--whitespace", args.whitespace,
           "--every", str(args.every)] + (["--limit", str(args.limit)] if args.limit else []) \
        + (["--cold"] if args.cold else []) + (["--repeat", str(args.repeat)] if args.repeat > 1 and not args.interleave else []) + args.paths
    if args.reuse_work:
        saved = json.load(open(ours_summary_path))
    else:
        print("$", " ".join(cmd), file=sys.stderr)
        t0 = time.monotonic()
        # stderr passes through: progress lines and the reasons of a failed run.
        summary = json.loads(subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout)
        saved = {"summary": summary, "wall_s": round(time.monotonic() - t0, 1), "command": cmd}
        json.dump(saved, open(ours_summary_path, "w"), indent=1)
    ours_summary = saved["summary"]
    wall = {"fsmdecode": saved["wall_s"]}
    manifest = json.load(open(os.path.join(work, "manifest.json")))
    grammars = manifest["grammars"]
    results = {"fsmdecode": {"notes": [f"bench masks --whitespace {args.whitespace}" + (" --cold" if args.cold else ""),
                                       "single-threaded per schema",
                                       f"--jobs {args.jobs} worker processes"]}}
    recs = {"fsmdecode": ours_records(work, records)}
    samples = {}
    engines = args.engines.split(",")
    if args.interleave:
        together = [e for e in engines if e != "outlines_core"]
        ours_cmd = [binary, "bench", "worker", "--vocab", args.vocab, "--whitespace", args.whitespace, "--format", "maskbench"] \
            + (["--cold"] if args.cold else []) + (["--repeat", str(args.repeat)] if args.repeat > 1 else [])
        pools = {"fsmdecode": OursPool(ours_cmd, grammars)}
        pools.update({e: Pool.peer(py, e, work, args.repeat) for e in together})
        out = {e: [] for e in pools}
        order = list(pools)
        t0 = time.monotonic()
        for i, g in enumerate(grammars):
            turn = order[i % len(order):] + order[:i % len(order)]
            for e in turn:
                r = pools[e].run(i, g["id"], args.timeout * args.repeat)
                if e == "fsmdecode":
                    r = {"grammar": g["id"], "status": r["status"], "ttfm_us": r.get("ttfm_us"), "tbm_us": r.get("tbm_us") or [],
                         "tokens": r.get("tokens", 0), "error": r.get("error"), "ttfm_runs_us": r.get("ttfm_runs_us")}
                out[e].append(r)
            if (i + 1) % 100 == 0 or i + 1 == len(grammars):
                print(f"interleaved ({', '.join(order)}): {i + 1}/{len(grammars)}, {time.monotonic() - t0:.0f} s", file=sys.stderr)
        for e, pool in pools.items():
            pool.close()
            wall[e] = round(time.monotonic() - t0, 1)
            if e != "fsmdecode":
                results[e] = {"notes": pool.notes}
        first = {r["grammar"]: r["status"] for r in recs["fsmdecode"]}
        changed = [r["grammar"] for r in out["fsmdecode"] if first.get(r["grammar"]) != r["status"]]
        if changed:
            print(f"warning: {len(changed)} files changed outcome between bench masks and the interleaved run, e.g. {changed[0]}", file=sys.stderr)
        recs.update(out)
        results["fsmdecode"]["notes"].append("timed interleaved with " + ", ".join(together) + ", schema by schema")
        for e in pools:
            with open(os.path.join(scratch, f"{e}.jsonl" if e != "fsmdecode" else "fsmdecode-interleaved.jsonl"), "w") as f:
                for r in out[e]:
                    f.write(json.dumps(r) + "\n")
        engines = [e for e in engines if e not in together]
    for engine in engines:
        chosen = list(range(len(grammars)))
        if engine == "outlines_core" and (args.outlines_every > 1 or args.outlines_limit):
            chosen = chosen[::args.outlines_every][:args.outlines_limit]
            samples[engine] = {"every": args.outlines_every, "limit": args.outlines_limit, "files": len(chosen), "of": len(grammars),
                               "grammars": [grammars[i]["id"] for i in chosen]}
        pool = Pool.peer(py, engine, work, args.repeat)
        out = []
        t0 = time.monotonic()
        for n, i in enumerate(chosen):
            out.append(pool.run(i, grammars[i]["id"], args.timeout * args.repeat))
            if sys.stderr.isatty():
                print(f"\r{engine}: {n + 1}/{len(chosen)}", end="", file=sys.stderr)
            elif (n + 1) % 100 == 0 or n + 1 == len(chosen):
                print(f"{engine}: {n + 1}/{len(chosen)}, {time.monotonic() - t0:.0f} s", file=sys.stderr)
        wall[engine] = round(time.monotonic() - t0, 1)
        print(f"  {engine}: {wall[engine]:.0f} s", file=sys.stderr)
        pool.close()
        recs[engine] = out
        results[engine] = {"notes": pool.notes}
        with open(os.path.join(scratch, f"{engine}.jsonl"), "w") as f:
            for r in out:
                f.write(json.dumps(r) + "\n")
    dists = {}
    for e, rs in recs.items():
        results[e]["summary"], tbm, ttfm = summarize(rs)
        results[e]["wall_s"] = wall[e]
        dists[e + (f" (sample: every {samples[e]['every']}th)" if e in samples else "")] = (tbm, ttfm)
    results["fsmdecode"]["summary"]["peak_rss_mb"] = float(ours_summary["peak_rss_mb"])
    results["fsmdecode"]["bench_masks_summary"] = ours_summary
    for e, smp in samples.items():
        # fsmdecode on exactly the sampled files, so the sampled engine's ratios compare like with like.
        ids = set(smp["grammars"])
        results[e]["sample"] = smp
        results[e]["fsmdecode_on_sample"], _, _ = summarize([r for r in recs["fsmdecode"] if r["grammar"] in ids])
    meta = {"machine": f"{platform.machine()} {platform.processor() or ''} {os.cpu_count()} cores, {platform.system()} {platform.release()}".strip(),
            "cpu": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?") if os.path.exists("/proc/cpuinfo") else "?",
            "vocab": args.vocab, "inputs": args.paths, "every": args.every, "limit": args.limit, "timeout_s": args.timeout,
            "whitespace": args.whitespace, "jobs": args.jobs, "repeat": args.repeat, "interleave": args.interleave, "date": time.strftime("%Y-%m-%d %H:%M"), "versions": versions(py),
            "command": " ".join(sys.argv)}
    base = os.path.join(args.out, args.name)
    json.dump({"meta": meta, "engines": results}, open(base + ".json", "w"), indent=1)
    write_table(base + ".md", meta, results)
    plot(base, py, dists)
    print(open(base + ".md").read())


def versions(py):
    code = "import importlib.metadata as m\nfor d in ('xgrammar','llguidance','outlines_core'):\n  print(d, m.version(d))"
    try:
        return dict(l.split() for l in subprocess.run([py, "-c", code], capture_output=True, text=True).stdout.splitlines())
    except Exception:
        return {}


def write_table(path, meta, results):
    engines = list(results)
    ours = results["fsmdecode"]["summary"]
    rows = [("TBM p50 µs", "tbm_us", "p50"), ("TBM p90 µs", "tbm_us", "p90"), ("TBM p99 µs", "tbm_us", "p99"),
            ("TBM avg µs", "tbm_us", "avg"), ("TBM max µs", "tbm_us", "max"),
            ("TTFM p50 µs", "ttfm_us", "p50"), ("TTFM p95 µs", "ttfm_us", "p95"), ("TTFM max µs", "ttfm_us", "max")]
    sampled = [e for e in engines if "sample" in results[e]]
    # A sampled engine gets fsmdecode's numbers on the same files beside it; its ratios use those.
    cols = []
    for e in engines:
        if e in sampled:
            cols.append((f"fsmdecode on {e}'s sample", results[e]["fsmdecode_on_sample"], None))
        cols.append((e, results[e]["summary"], None if e == "fsmdecode" else results[e].get("fsmdecode_on_sample", ours)))
    sel = f"every {meta['every']}th file" if meta.get("every", 1) > 1 else "all files"
    if meta.get("limit"):
        sel += f", first {meta['limit']}"
    lines = [f"Machine: {meta['cpu']} ({meta['machine']}); {meta['date']}; vocab {meta['vocab']}; inputs {' '.join(meta['inputs'])} ({sel}); "
             f"timeout {meta['timeout_s']} s per schema; fsmdecode --whitespace {meta['whitespace']}, --jobs {meta['jobs']}.",
             f"Versions: {', '.join(f'{k} {v}' for k, v in meta['versions'].items())}. Ratio = engine / fsmdecode (>1: fsmdecode faster).", ""]
    if meta.get("interleave"):
        lines[2:2] = ["", "fsmdecode and the peers (outlines-core apart) were timed in turns, schema by schema, so a slow "
                          "spell of the machine falls on all of them alike; wall s is then the interleaved run's."]
    if meta.get("repeat", 1) > 1:
        lines[2:2] = ["", f"Every engine measured each schema {meta['repeat']} times, compile included (fsmdecode emptying its "
                        "caches before each run; a peer may keep what its library caches); each time below (TTFM, every mask) is "
                        "the least over those runs. Each record's ttfm_runs_us shows what the later runs gained."]
    for e in sampled:
        smp = results[e]["sample"]
        lines.append(f"**{e} is a sample**: every {smp['every']}th schema of the work set" + (f", at most {smp['limit']}" if smp["limit"] else "")
                     + f" — {smp['files']} of {smp['of']} files; its ratios are against fsmdecode on the same {smp['files']} files (column beside it).")
    if sampled:
        lines.append("")
    lines += ["| metric | " + " | ".join(c[0] for c in cols) + " |", "|---|" + "---:|" * len(cols)]
    for label, k, q in rows:
        cells = []
        for _, summ, base in cols:
            v = summ[k][q]
            o = base[k][q] if base else None
            cells.append(fmt(v) + ("" if v is None or not o else f" ({v / o:.1f}×)"))
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    for k in ["files", "passing", "compile_error", "validation_error", "invalidation_error", "timeout", "crash", "tokens", "peak_rss_mb"]:
        lines.append(f"| {k} | " + " | ".join("—" if c[1].get(k) is None else str(c[1][k]) for c in cols) + " |")
    lines.append("| wall s | " + " | ".join(str(results[c[0]]["wall_s"]) if c[0] in results else "" for c in cols) + " |")
    lines += ["", "Notes:"] + [f"- {e}: {'; '.join(results[e]['notes'])}" for e in engines]
    ob = results["fsmdecode"].get("bench_masks_summary", {})
    if ob:
        lines.append(f"- fsmdecode: {ob.get('reordered')} valid instances accepted only in schema key order; "
                     f"{ob.get('valid_instances')} valid / {ob.get('invalid_instances')} invalid instances.")
    open(path, "w").write("\n".join(lines) + "\n")


def plot(base, py, dists):
    """BASE.png: TBM and TTFM percentile curves per engine (data left in BASE-distributions.json if it fails)."""
    data = base + "-distributions.json"
    json.dump({e: {"tbm": t, "ttfm": f} for e, (t, f) in dists.items()}, open(data, "w"))
    code = f"""
import json, matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
d = json.load(open({data!r}))
fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
for ax, key, title in [(axes[0], "tbm", "time between masks (TBM)"), (axes[1], "ttfm", "time to first mask (TTFM)")]:
    for e, v in d.items():
        xs = sorted(x for x in v[key] if x and x > 0)
        if xs:
            ax.plot([100 * (i + 1) / len(xs) for i in range(len(xs))], xs, label=f"{{e}} (n={{len(xs)}})")
    ax.set_yscale("log"); ax.set_xlabel("percentile"); ax.set_ylabel("µs (log)"); ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3); ax.legend()
fig.tight_layout(); fig.savefig({base + '.png'!r}, dpi=110)
"""
    r = subprocess.run([py, "-c", code])
    if r.returncode != 0:
        print(f"warning: no plot (matplotlib missing in {py}?); data kept in {data}", file=sys.stderr)
    else:
        os.remove(data)


if __name__ == "__main__":
    main()
