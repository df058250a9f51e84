#!/usr/bin/env python3
"""Write a search query mix drawn from a contacts file, for the search benchmarks.

    python3 scripts/gen-contacts.py --out contacts.jsonl --count 100000 --seed 11
    python3 scripts/gen-search-queries.py contacts.jsonl --out queries.tsv --count 4000 --seed 7
    python3 scripts/gen-search-queries.py contacts.jsonl --kinds surname --count 2113 --out surnames.tsv

Input: the project's contact generator's JSON lines (full_name, first_name, last_name, company,
emails, phones, ...). Output: one query per line, `kind<TAB>query<TAB>target`, all queries
distinct, the same for the same input and seed. `target` is the word the query was made from
(the surname for surname, typo and transliteration queries), so a benchmark can check that the
contact it came from is found; it is empty where that does not apply.

Kinds (shares of the default mix in parentheses; about 30 % typos, like issue 21's load):
  surname (18)        a last name as written
  first_name (7)      a first name as written
  company_word (10)   a word of a company name (3+ letters)
  email_local (6)     the local part of an e-mail address
  phone_digits (6)    4 to 7 consecutive digits of a phone number
  prefix (13)         the first 3..len-1 letters of a surname, as typed letter by letter
  typo_drop (10)      a surname with one letter dropped
  typo_swap (10)      a surname with two neighbouring letters swapped
  typo_replace (10)   a surname with one letter replaced by a neighbour on the keyboard
  cyr2lat (6)         a Cyrillic surname typed in Latin (the service's transliteration)
  lat2cyr (4)         a Latin surname typed in Cyrillic (one that spells back the same way)
Typos are made only in surnames of 5+ letters (the index allows one typo from 4 letters).
"""

import argparse
import json
import random
import re
import sys
import unicodedata

MIX = [
    ("surname", 18),
    ("first_name", 7),
    ("company_word", 10),
    ("email_local", 6),
    ("phone_digits", 6),
    ("prefix", 13),
    ("typo_drop", 10),
    ("typo_swap", 10),
    ("typo_replace", 10),
    ("cyr2lat", 6),
    ("lat2cyr", 4),
]

# The same table as dedup::normalize::cyr_translit (and search/src/text.rs).
CYR = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
    "і": "i", "ї": "yi", "є": "ye", "ґ": "g", "ў": "u",
}
# Latin typed on a Russian keyboard by sound, longest spellings first.
LAT = [
    ("shch", "щ"), ("zh", "ж"), ("kh", "х"), ("ts", "ц"), ("ch", "ч"), ("sh", "ш"), ("yu", "ю"),
    ("ya", "я"), ("a", "а"), ("b", "б"), ("v", "в"), ("g", "г"), ("d", "д"), ("e", "е"),
    ("z", "з"), ("i", "и"), ("y", "ы"), ("k", "к"), ("l", "л"), ("m", "м"), ("n", "н"),
    ("o", "о"), ("p", "п"), ("r", "р"), ("s", "с"), ("t", "т"), ("u", "у"), ("f", "ф"),
]
KEYBOARD = ["qwertyuiop", "asdfghjkl", "zxcvbnm", "йцукенгшщзхъ", "фывапролджэ", "ячсмитьбю"]


def has_cyrillic(s):
    return any("\u0400" <= c <= "\u04ff" for c in s)


def translit(s):
    out = []
    for c in s.lower():
        if c in CYR:
            out.append(CYR[c])
        else:
            out.append("".join(d for d in unicodedata.normalize("NFD", c) if not unicodedata.combining(d)))
    return "".join(out)


def to_cyrillic(s):
    """Latin spelled in Cyrillic, or None when some letter has no spelling here."""
    s = s.lower()
    out, i = [], 0
    while i < len(s):
        for lat, cyr in LAT:
            if s.startswith(lat, i):
                out.append(cyr)
                i += len(lat)
                break
        else:
            return None
    return "".join(out)


def neighbour(c, rnd):
    for row in KEYBOARD:
        i = row.find(c)
        if i >= 0:
            options = [row[j] for j in (i - 1, i + 1) if 0 <= j < len(row)]
            return rnd.choice(options)
    return None


def typo(word, kind, rnd):
    w = word.lower()
    n = len(w)
    if kind == "typo_drop":
        i = rnd.randrange(1, n)  # keep the first letter, as people usually do
        return w[:i] + w[i + 1:]
    if kind == "typo_swap":
        i = rnd.randrange(1, n - 1)
        if w[i] == w[i + 1]:
            return None
        return w[:i] + w[i + 1] + w[i] + w[i + 2:]
    i = rnd.randrange(1, n)
    c = neighbour(w[i], rnd)
    if c is None:
        return None
    return w[:i] + c + w[i + 1:]


def words(s):
    return [w for w in re.split(r"[^\w]+", s) if w]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("contacts", help="contacts JSON lines (gen_contacts.py)")
    ap.add_argument("--out", default="-", help="output file (default: stdout)")
    ap.add_argument("--count", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--kinds", default="", help="comma-separated kinds to keep (default: the whole mix)")
    args = ap.parse_args()

    rnd = random.Random(args.seed)
    contacts = []
    with open(args.contacts, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                contacts.append(json.loads(line))
    if not contacts:
        sys.exit("no contacts")

    surnames = sorted({c["last_name"] for c in contacts if c.get("last_name") and len(c["last_name"]) >= 2})
    long_surnames = [s for s in surnames if len(s) >= 5 and s.isalpha()]
    cyr_surnames = [s for s in surnames if has_cyrillic(s)]
    lat_back = []
    for s in surnames:
        if not has_cyrillic(s) and s.isalpha() and s.isascii():
            c = to_cyrillic(s)
            if c and translit(c) == s.lower():
                lat_back.append((s, c))
    # prefer Russian surnames written in Latin (the generator's transliterated duplicates)
    cyr_set = {s.lower() for s in cyr_surnames}
    lat_back = [x for x in lat_back if x[1] in cyr_set] or lat_back
    first_names = sorted({c["first_name"] for c in contacts if c.get("first_name")})
    company_words = sorted({w for c in contacts for w in words(c.get("company") or "") if len(w) >= 3 and w.isalpha()})
    locals_ = sorted({e.split("@")[0] for c in contacts for e in c.get("emails") or [] if "@" in e})
    phones = sorted({re.sub(r"\D", "", p) for c in contacts for p in c.get("phones") or []})
    phones = [p for p in phones if len(p) >= 7]

    def make(kind):
        """(query, target) or None."""
        if kind == "surname":
            s = rnd.choice(surnames)
            return s, s
        if kind == "first_name":
            return rnd.choice(first_names), ""
        if kind == "company_word":
            return rnd.choice(company_words), ""
        if kind == "email_local":
            return (rnd.choice(locals_), "") if locals_ else None
        if kind == "phone_digits":
            p = rnd.choice(phones)
            n = rnd.randint(4, 7)
            i = rnd.randrange(0, len(p) - n + 1)
            return p[i:i + n], ""
        if kind == "prefix":
            s = rnd.choice(long_surnames or surnames)
            if len(s) < 4:
                return None
            n = rnd.randint(3, len(s) - 1)
            return s[:n].lower(), s
        if kind.startswith("typo_"):
            s = rnd.choice(long_surnames)
            t = typo(s, kind, rnd)
            return (t, s) if t and t != s.lower() else None
        if kind == "cyr2lat":
            if not cyr_surnames:
                return None
            s = rnd.choice(cyr_surnames)
            return translit(s), s
        if kind == "lat2cyr":
            if not lat_back:
                return None
            s, c = rnd.choice(lat_back)
            return c, s
        raise ValueError(kind)

    keep = {k for k in args.kinds.split(",") if k}
    unknown = keep - {k for k, _ in MIX}
    if unknown:
        sys.exit(f"unknown kinds: {', '.join(sorted(unknown))}")
    kinds = [k for k, w in MIX for _ in range(w) if not keep or k in keep]
    seen = set()
    out = []
    tries = 0
    while len(out) < args.count and tries < args.count * 50:
        tries += 1
        kind = rnd.choice(kinds)
        made = make(kind)
        if not made:
            continue
        q, target = made
        q = q.strip()
        if not q or q.lower() in seen:
            continue
        seen.add(q.lower())
        out.append((kind, q, target))
    if len(out) < args.count:
        print(f"only {len(out)} distinct queries found", file=sys.stderr)
    dst = sys.stdout if args.out == "-" else open(args.out, "w", encoding="utf-8")
    for kind, q, target in out:
        dst.write(f"{kind}\t{q}\t{target}\n")
    if dst is not sys.stdout:
        dst.close()
        counts = {}
        for kind, _, _ in out:
            counts[kind] = counts.get(kind, 0) + 1
        print(f"{len(out)} queries -> {args.out}: " + ", ".join(f"{k} {counts.get(k, 0)}" for k, _ in MIX), file=sys.stderr)


if __name__ == "__main__":
    main()
