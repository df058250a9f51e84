#!/usr/bin/env python3
"""Generate a contact list with labelled duplicates, for duplicate-detection tests and benchmarks.

    pip install faker
    python3 scripts/gen-contacts.py --out contacts.jsonl --count 10000 --dup-rate 0.2 --seed 1

Each line is one contact:
  {"id", "cluster", "full_name", "first_name", "last_name", "company", "position",
   "emails": [...], "phones": [...], "website", "address"}
Contacts that share "cluster" are the same person; every other pair is distinct.
Duplicates carry the noise that business-card intake produces: OCR confusions
(0/O, 1/l, rn/m), dropped fields, name order swapped, nicknames, Cyrillic written
in Latin letters, phones in national or international form, company suffix changes,
e-mail case. Distinct people sharing a surname, company or first name are common
on purpose, so a matcher cannot win by one field alone.
"""
import argparse, json, random

from faker import Faker

NICK = {"Robert": "Bob", "William": "Bill", "Elizabeth": "Liz", "Michael": "Mike", "Katherine": "Kate",
        "Alexander": "Alex", "Jennifer": "Jen", "Thomas": "Tom", "Christopher": "Chris", "Daniel": "Dan",
        "Александр": "Саша", "Дмитрий": "Дима", "Екатерина": "Катя", "Михаил": "Миша"}
OCR = [("0", "O"), ("O", "0"), ("1", "l"), ("l", "1"), ("rn", "m"), ("m", "rn"), ("5", "S"), ("e", "c")]
SUFFIX = [(" Inc", " Inc."), (" LLC", ""), (" GmbH", " GmbH & Co. KG"), (" Ltd", " Limited"), ("ООО ", "")]
TRANSLIT = str.maketrans({"а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
                          "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
                          "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
                          "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
                          "я": "ya"})
CC = {"en_US": "1", "de_DE": "49", "ru_RU": "7", "en_GB": "44", "fr_FR": "33"}


def translit(s):
    out = s.lower().translate(TRANSLIT)
    return " ".join(w.capitalize() for w in out.split())


def email_for(first, last, company, used):
    """first.last@company-domain, numbered like a mail system would when the address is taken."""
    user = translit(first).lower().replace(" ", "") + "." + translit(last).lower().replace(" ", "")
    domain = "".join(ch for ch in translit(company).lower() if ch.isalnum())[:12] or "mail"
    address, n = f"{user}@{domain}.com", 1
    while address in used:
        n += 1
        address = f"{user}{n}@{domain}.com"
    used.add(address)
    return address, domain


def base_person(rng, fk, loc, used):
    first, last = fk.first_name(), fk.last_name()
    company = fk.company()
    email, domain = email_for(first, last, company, used)
    digits = "".join(rng.choice("0123456789") for _ in range(10))
    return {"first_name": first, "last_name": last, "full_name": f"{first} {last}", "company": company,
            "position": fk.job()[:40], "emails": [email],
            "phones": [f"+{CC[loc]}{digits}"], "website": f"www.{domain}.com",
            "address": fk.address().replace("\n", ", "), "locale": loc}


def ocr_noise(rng, s):
    for _ in range(rng.randint(1, 2)):
        a, b = rng.choice(OCR)
        if a in s:
            i = rng.choice([k for k in range(len(s)) if s.startswith(a, k)])
            s = s[:i] + b + s[i + len(a):]
    return s


def national(e164, loc):
    d = e164[len(CC[loc]) + 1:]
    return {"ru_RU": f"8 ({d[:3]}) {d[3:6]}-{d[6:8]}-{d[8:]}", "en_US": f"({d[:3]}) {d[3:6]}-{d[6:]}"}.get(
        loc, f"0{d[:3]} {d[3:]}")


def variant(rng, p):
    q = json.loads(json.dumps(p))
    ops = rng.sample(["ocr_name", "nick", "swap", "translit", "drop_email", "drop_phone", "phone_fmt",
                      "suffix", "email_case", "ocr_email", "drop_company", "position"], rng.randint(1, 4))
    for op in ops:
        if op == "ocr_name":
            q["last_name"] = ocr_noise(rng, q["last_name"])
        elif op == "nick" and q["first_name"] in NICK:
            q["first_name"] = NICK[q["first_name"]]
        elif op == "translit" and p["locale"] == "ru_RU":
            q["first_name"], q["last_name"] = translit(q["first_name"]), translit(q["last_name"])
        elif op == "drop_email" and q["phones"]:
            q["emails"] = []
        elif op == "drop_phone" and q["emails"]:
            q["phones"] = []
        elif op == "phone_fmt" and q["phones"]:
            q["phones"] = [national(q["phones"][0], p["locale"])]
        elif op == "suffix":
            for a, b in SUFFIX:
                if a in q["company"]:
                    q["company"] = q["company"].replace(a, b)
                    break
        elif op == "email_case" and q["emails"]:
            q["emails"] = [q["emails"][0].capitalize()]
        elif op == "ocr_email" and q["emails"]:
            q["emails"] = [ocr_noise(rng, q["emails"][0])]
        elif op == "drop_company":
            q["company"] = ""
        elif op == "position":
            q["position"] = ""
    q["full_name"] = f"{q['last_name']} {q['first_name']}" if "swap" in ops else f"{q['first_name']} {q['last_name']}"
    return q


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--dup-rate", type=float, default=0.2, help="share of records that are extra copies")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--locales", default="en_US,de_DE,ru_RU,en_GB,fr_FR")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    Faker.seed(a.seed)
    locs = a.locales.split(",")
    fk = {loc: Faker(loc) for loc in locs}
    originals = int(a.count * (1 - a.dup_rate))
    people, used = [], set()
    for i in range(originals):
        loc = locs[i % len(locs)]
        p = base_person(rng, fk[loc], loc, used)
        if people and rng.random() < 0.15:  # a namesake or a colleague: distinct but alike
            other = rng.choice(people)
            if other["locale"] == loc:
                p["last_name"] = other["last_name"] if rng.random() < 0.5 else p["last_name"]
                p["company"] = other["company"] if rng.random() < 0.5 else p["company"]
                p["full_name"] = f"{p['first_name']} {p['last_name']}"
                used.discard(p["emails"][0])
                p["emails"] = [email_for(p["first_name"], p["last_name"], p["company"], used)[0]]
                p["website"] = other["website"] if p["company"] == other["company"] else p["website"]
        people.append(p)
    rows = [dict(p, cluster=i) for i, p in enumerate(people)]
    while len(rows) < a.count:
        c = rng.randrange(originals)
        rows.append(dict(variant(rng, people[c]), cluster=c))
    rng.shuffle(rows)
    with open(a.out, "w", encoding="utf-8") as f:
        for i, r in enumerate(rows):
            r["id"] = i + 1
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    pairs = sum(n * (n - 1) // 2 for n in __import__("collections").Counter(r["cluster"] for r in rows).values())
    print(f"{len(rows)} contacts, {originals} people, {pairs} true duplicate pairs -> {a.out}")


if __name__ == "__main__":
    main()
