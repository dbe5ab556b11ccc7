#!/usr/bin/env python3
"""Writes Grammars/demo/corpus.txt: JSON documents and tool calls the built-in n-gram model
trains on for `make demo` (deterministic; re-run to regenerate). Documents are separated by
blank lines. Usage: python3 scripts/make_demo_corpus.py [OUT]"""
import json, random, sys

rng = random.Random(20261129)
first = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Niklaus", "Frances", "Ken", "Dennis",
         "Margaret", "John", "Radia", "Leslie", "Tony", "Shafi", "Yukihiro", "Guido", "Bjarne", "Anders"]
last = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Wirth", "Allen", "Thompson",
        "Ritchie", "Hamilton", "McCarthy", "Perlman", "Lamport", "Hoare", "Goldwasser", "Matsumoto"]
cities = ["Paris", "Tokyo", "Lagos", "Lima", "Oslo", "Cairo", "Seoul", "Austin", "Zürich", "Kraków", "São Paulo"]
words = ["fast", "exact", "grammar", "token", "mask", "parser", "schema", "model", "decode", "state",
         "vector", "cache", "stream", "batch", "lexer", "automaton", "weather", "invoice", "order"]
tools = {
    "get_weather": {"city": lambda: rng.choice(cities), "unit": lambda: rng.choice(["celsius", "fahrenheit"])},
    "search_web": {"query": lambda: " ".join(rng.sample(words, 3)), "max_results": lambda: rng.randint(1, 20)},
    "send_email": {"to": lambda: rng.choice(first).lower() + "@example.com", "subject": lambda: rng.choice(words).title(),
                    "body": lambda: " ".join(rng.sample(words, 6))},
    "create_event": {"title": lambda: rng.choice(words).title() + " review", "date": lambda: f"2026-{rng.randint(1,12):02d}-{rng.randint(1,28):02d}",
                     "attendees": lambda: [rng.choice(first) for _ in range(rng.randint(1, 3))]},
}

def person():
    p = {"name": f"{rng.choice(first)} {rng.choice(last)}", "age": rng.randint(18, 90),
         "email": rng.choice(first).lower() + "@example.org", "city": rng.choice(cities),
         "active": rng.choice([True, False]), "tags": rng.sample(words, rng.randint(0, 4))}
    if rng.random() < 0.3: p["score"] = round(rng.uniform(0, 100), 2)
    if rng.random() < 0.2: p["manager"] = None
    return p

def order():
    return {"id": rng.randint(1000, 99999), "customer": person()["name"],
            "items": [{"sku": f"SKU-{rng.randint(100, 999)}", "qty": rng.randint(1, 5), "price": round(rng.uniform(1, 500), 2)}
                      for _ in range(rng.randint(1, 4))],
            "status": rng.choice(["pending", "shipped", "delivered", "cancelled"])}

def call():
    name = rng.choice(sorted(tools))
    return {"name": name, "arguments": {k: f() for k, f in tools[name].items()}}

docs = []
for i in range(1500):
    kind = rng.random()
    obj = person() if kind < 0.4 else order() if kind < 0.65 else call()
    style = rng.random()
    if kind >= 0.65 and style < 0.3:
        docs.append("<tool_call>\n" + json.dumps(obj, ensure_ascii=False) + "\n</tool_call>")
    elif style < 0.5:
        docs.append(json.dumps(obj, ensure_ascii=False))
    elif style < 0.8:
        docs.append(json.dumps(obj, ensure_ascii=False, indent=2))
    else:
        docs.append(json.dumps(obj, ensure_ascii=False, separators=(",", ":")))
out = sys.argv[1] if len(sys.argv) > 1 else "Grammars/demo/corpus.txt"
with open(out, "w", encoding="utf-8") as f:
    f.write("\n\n".join(docs) + "\n")
print(f"wrote {out}: {len(docs)} documents")
