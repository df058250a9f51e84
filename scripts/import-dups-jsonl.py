#!/usr/bin/env python3
"""The people of scripts/gen-import-files.py (its Google-CSV file: same seed, same rows) as dedup
JSON lines with a ground-truth `cluster`, to measure the duplicate matcher on realistic import
data: many contacts without phone or e-mail, Faker reusing names (namesakes), 5 % repeats.

    scripts/import-dups-jsonl.py --count 20000 --seed 7 --out /tmp/import.jsonl
    cargo run --release -p dedup --example eval -- /tmp/import.jsonl
"""
import argparse
import importlib.util
import json
import random
from pathlib import Path

from faker import Faker

spec = importlib.util.spec_from_file_location("gen", Path(__file__).with_name("gen-import-files.py"))
gen = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gen)


def rows_with_clusters(count, seed, dup_rate):
    """gen.rows, keeping which person each row is (the same random draws, in the same order)."""
    rng = random.Random(seed)
    fakers = []
    for i, loc in enumerate(gen.LOCALES):
        f = Faker(loc)
        f.seed_instance(seed * 10 + i)
        fakers.append(f)
    people, cluster = [], []
    for _ in range(count):
        if people and rng.random() < dup_rate:
            k = rng.choice(range(len(people)))
            people.append(gen.variant(people[k], rng))
            cluster.append(cluster[k])
        else:
            people.append(gen.person(fakers, rng))
            cluster.append(len(people))
    return people, cluster


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--dup-rate", type=float, default=0.05)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    people, cluster = rows_with_clusters(a.count, a.seed, a.dup_rate)
    with open(a.out, "w", encoding="utf-8") as fh:
        for i, (p, c) in enumerate(zip(people, cluster)):
            addr = ", ".join(x for x in (p["street"], p["city"]) if x)
            fh.write(json.dumps({"id": i + 1, "cluster": c, "first_name": p["first"], "last_name": p["last"],
                                 "company": p["company"], "position": p["title"], "emails": p["emails"],
                                 "phones": p["phones"], "website": p["web"], "address": addr},
                                ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
