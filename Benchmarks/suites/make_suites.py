#!/usr/bin/env python3
"""Writes the `fsmdecode bench errors` suites: one directory per suite with suite.json (the
tasks), corpus.txt (training text for the n-gram backend: documents separated by blank lines)
and any grammar files. Deterministic (seeded); re-run after editing, commit the output.

    python3 Benchmarks/suites/make_suites.py [--functions ../shared/corpora/tools/functions.json]

The corpora are in-domain but mixed across tasks, so an unconstrained n-gram model writes
plausible text with the usual syntax errors (unbalanced brackets, keys of another task,
wrong types, unknown function names); the constrained runs must have none.
"""
import argparse, json, os, random

here = os.path.dirname(os.path.abspath(__file__))
ap = argparse.ArgumentParser()
ap.add_argument("--functions", default=os.path.join(here, "../../../shared/corpora/tools/functions.json"))
args = ap.parse_args()
rng = random.Random(7)
WORDS = "alpha beta gamma delta red green blue north south river stone cloud paper music tiger".split()
NAMES = ["Ada", "Bob", "Chen", "Dana", "Emil", "Fatima", "Goro", "Hana"]


def write(suite, spec, docs, extra=None):
    d = os.path.join(here, suite)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "suite.json"), "w") as f:
        json.dump(spec, f, indent=1, ensure_ascii=False)
        f.write("\n")
    with open(os.path.join(d, "corpus.txt"), "w") as f:
        f.write("\n\n".join(docs) + "\n")
    for name, text in (extra or {}).items():
        with open(os.path.join(d, name), "w") as f:
            f.write(text)


def compact(v):
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False)


def rand_value(depth=0):
    k = rng.random()
    if depth < 2 and k < 0.3:
        return {rng.choice(WORDS): rand_value(depth + 1) for _ in range(rng.randint(1, 3))}
    if depth < 2 and k < 0.45:
        return [rand_value(depth + 1) for _ in range(rng.randint(1, 3))]
    if k < 0.65:
        return rng.choice(WORDS)
    if k < 0.8:
        return rng.randint(-50, 500)
    if k < 0.9:
        return round(rng.uniform(-10, 10), 2)
    return rng.choice([True, False, None])


# 1. JSON (any value): prompt "json:", documents are random nested objects.
docs = ["json:\n" + compact({rng.choice(WORDS): rand_value(1) for _ in range(rng.randint(1, 4))}) for _ in range(300)]
write("json-any", {"name": "json-any", "check": "json", "corpus": "corpus.txt", "order": 3, "max_tokens": 160,
                   "samples": 8, "whitespace": "compact",
                   "tasks": [{"id": f"any{i}", "prompt": "json:\n"} for i in range(5)]}, docs)

# 2. JSON Schema: five schemas; the corpus mixes their instances.
schemas = {
    "person": {"type": "object", "properties": {"name": {"type": "string", "minLength": 1}, "age": {"type": "integer", "minimum": 0, "maximum": 130},
               "email": {"type": "string", "pattern": "^[a-z]+@[a-z]+\\.com$"}}, "required": ["name", "age"], "additionalProperties": False},
    "order": {"type": "object", "properties": {"id": {"type": "integer"}, "items": {"type": "array", "minItems": 1, "maxItems": 4,
              "items": {"type": "object", "properties": {"sku": {"type": "string"}, "qty": {"type": "integer", "minimum": 1}},
                        "required": ["sku", "qty"], "additionalProperties": False}}, "paid": {"type": "boolean"}},
              "required": ["id", "items", "paid"], "additionalProperties": False},
    "event": {"type": "object", "properties": {"title": {"type": "string"}, "day": {"type": "string", "format": "date"},
              "kind": {"enum": ["talk", "workshop", "party"]}}, "required": ["title", "day", "kind"], "additionalProperties": False},
    "point": {"type": "object", "properties": {"x": {"type": "number"}, "y": {"type": "number"}, "label": {"type": ["string", "null"]}},
              "required": ["x", "y"], "additionalProperties": False},
    "tags": {"type": "array", "items": {"type": "string", "pattern": "^[a-z]{1,12}$"}, "minItems": 1, "maxItems": 5},
}


def instance(name):
    if name == "person":
        d = {"name": rng.choice(NAMES), "age": rng.randint(1, 99)}
        if rng.random() < 0.5:
            d["email"] = d["name"].lower() + "@" + rng.choice(WORDS) + ".com"
        return d
    if name == "order":
        return {"id": rng.randint(1, 9999), "items": [{"sku": rng.choice(WORDS).upper() + str(rng.randint(1, 99)), "qty": rng.randint(1, 5)}
                                                       for _ in range(rng.randint(1, 3))], "paid": rng.random() < 0.5}
    if name == "event":
        return {"title": rng.choice(WORDS) + " " + rng.choice(WORDS), "day": f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                "kind": rng.choice(["talk", "workshop", "party"])}
    if name == "point":
        return {"x": round(rng.uniform(-9, 9), 1), "y": rng.randint(-9, 9), "label": rng.choice([None, rng.choice(WORDS)])}
    return rng.sample(WORDS, rng.randint(1, 4))


docs = [f"{n}:\n" + compact(instance(n)) for _ in range(60) for n in schemas]
rng.shuffle(docs)
write("json-schema", {"name": "json-schema", "check": "schema", "corpus": "corpus.txt", "order": 3, "max_tokens": 160,
                      "samples": 8, "whitespace": "compact",
                      "tasks": [{"id": n, "prompt": f"{n}:\n", "schema": s} for n, s in schemas.items()]}, docs)

# 3. Tool calls (BFCL functions with example arguments): each task offers four tools.
fns = [f for f in json.load(open(args.functions))["functions"] if f.get("example_args")]
fns.sort(key=lambda f: f["name"])
docs, tasks = [], []
for t in range(6):
    tools = rng.sample(fns, 4)
    names = ", ".join(f["name"] for f in tools)
    tasks.append({"id": f"tools{t}", "prompt": f"tools: {names}\ncall:\n",
                  "tools": [{"name": f["name"], "parameters": f["json_schema"]} for f in tools]})
for _ in range(200):
    tools = rng.sample(fns, 4)
    f = rng.choice(tools)
    docs.append(f"tools: {', '.join(x['name'] for x in tools)}\ncall:\n" + compact({"name": f["name"], "arguments": rng.choice(f["example_args"])}))
write("tool-calls", {"name": "tool-calls", "check": "tools", "corpus": "corpus.txt", "order": 3, "max_tokens": 200,
                     "samples": 6, "whitespace": "compact", "tasks": tasks}, docs)

# 4. GBNF C-like: a C subset (identifiers end in a digit, so none is a C keyword), judged by cc.
C_GBNF = r'''# A C subset: every sentence is a syntactically valid C99 translation unit.
# Identifiers end in a digit so that none is a C keyword.
root ::= declaration+
declaration ::= dataType " " identifier "(" parameter? "){\n" statement* "}\n"
dataType ::= "int" | "float" | "char"
identifier ::= [a-z] [a-z_]* [0-9]
parameter ::= dataType " " identifier
statement ::= "  " (decl | assign | call | ret | while | if) "\n"
decl ::= dataType " " identifier " = " expression ";"
assign ::= identifier " = " expression ";"
call ::= identifier "(" argList? ");"
ret ::= "return " expression ";"
while ::= "while (" condition ") { " simple* "}"
if ::= "if (" condition ") { " simple* "}" (" else { " simple* "}")?
simple ::= (assign | call | ret) " "
condition ::= expression " " ("<=" | "<" | "==" | "!=" | ">=" | ">") " " expression
expression ::= term ((" + " | " - ") term)*
term ::= factor ((" * " | " / ") factor)*
factor ::= identifier | [0-9]+ | "-" factor | identifier "(" argList? ")" | "(" expression ")"
argList ::= expression (", " expression)*
'''


def c_ident():
    return rng.choice(["x", "y", "n", "sum", "count", "total", "val", "idx", "f", "g", "calc"]) + str(rng.randint(0, 9))


def c_expr(d=0):
    k = rng.random()
    if d < 2 and k < 0.3:
        return c_expr(d + 1) + rng.choice([" + ", " - ", " * ", " / "]) + c_expr(d + 1)
    if d < 2 and k < 0.4:
        return "(" + c_expr(d + 1) + ")"
    if d < 2 and k < 0.5:
        return c_ident() + "(" + c_expr(d + 1) + ")"
    return c_ident() if k < 0.75 else str(rng.randint(0, 100))


def c_simple():
    k = rng.random()
    if k < 0.6:
        return f"{c_ident()} = {c_expr()};"
    if k < 0.8:
        return f"{c_ident()}({c_expr()});"
    return f"return {c_expr()};"


def c_stmt():
    k = rng.random()
    cond = f"{c_expr()} {rng.choice(['<', '<=', '==', '!=', '>', '>='])} {c_expr()}"
    body = "".join(c_simple() + " " for _ in range(rng.randint(0, 2)))
    if k < 0.3:
        return f"{rng.choice(['int', 'float', 'char'])} {c_ident()} = {c_expr()};"
    if k < 0.5:
        return f"{c_ident()} = {c_expr()};"
    if k < 0.6:
        return f"{c_ident()}({c_expr()});"
    if k < 0.7:
        return f"while ({cond}) {{ {body}}}"
    if k < 0.85:
        return f"if ({cond}) {{ {body}}}" + (f" else {{ {body}}}" if rng.random() < 0.4 else "")
    return f"return {c_expr()};"


def c_program():
    out = ""
    for _ in range(rng.randint(1, 2)):
        p = f"{rng.choice(['int', 'float', 'char'])} {c_ident()}" if rng.random() < 0.6 else ""
        out += f"{rng.choice(['int', 'float', 'char'])} {c_ident()}({p}){{\n" + "".join("  " + c_stmt() + "\n" for _ in range(rng.randint(1, 4))) + "}\n"
    return out


docs = ["/* c */\n" + c_program() for _ in range(300)]
write("gbnf-c", {"name": "gbnf-c", "check": "c-syntax", "corpus": "corpus.txt", "order": 4, "max_tokens": 300, "samples": 8,
                 "tasks": [{"id": f"c{i}", "prompt": "/* c */\n", "grammar": "c-subset.gbnf"} for i in range(4)]},
      docs, {"c-subset.gbnf": C_GBNF})

# 5. Regex: formats with their own prompts; the corpus mixes them.
regexes = {
    "date": ("[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])", lambda: f"20{rng.randint(0, 29):02d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"),
    "phone": ("\\+[1-9][0-9]{0,2} [0-9]{3} [0-9]{3} [0-9]{4}", lambda: f"+{rng.randint(1, 99)} {rng.randint(100, 999)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"),
    "email": ("[a-z]+(\\.[a-z]+)?@[a-z]+\\.(com|org|net)", lambda: f"{rng.choice(NAMES).lower()}.{rng.choice(WORDS)}@{rng.choice(WORDS)}.{rng.choice(['com', 'org', 'net'])}"),
    "ipv4": ("((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])", lambda: ".".join(str(rng.randint(0, 255)) for _ in range(4))),
    "semver": ("(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)(-[a-z]+\\.[0-9]+)?", lambda: f"{rng.randint(0, 12)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}" + (f"-{rng.choice(['rc', 'beta'])}.{rng.randint(1, 5)}" if rng.random() < 0.3 else "")),
    "color": ("#[0-9a-f]{6}", lambda: "#" + "".join(rng.choice("0123456789abcdef") for _ in range(6))),
}
docs = [f"{n}:\n" + g() for _ in range(60) for n, (_, g) in regexes.items()]
rng.shuffle(docs)
write("regex", {"name": "regex", "check": "regex", "corpus": "corpus.txt", "order": 3, "max_tokens": 40, "samples": 8,
                "tasks": [{"id": n, "prompt": f"{n}:\n", "regex": r} for n, (r, _) in regexes.items()]}, docs)
print("suites written to", here)
