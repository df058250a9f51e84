#!/usr/bin/env python3
"""Writes realistic contact files for the import benchmark (scripts/bench-import.sh).

Distinct people from three locales (en_US, de_DE, ru_RU) in the shapes real exports have:
Google Contacts CSV, Outlook CSV and a vCard 3.0 file from a phone. Like real address books,
many contacts have no phone or no e-mail (about a third each), some only a company, and a share
(--dup-rate, default 5 %) are the same person again with a changed detail (a second phone, a
different spelling of the e-mail's case, a missing company), which the import's duplicate matcher
has to catch.

    gen-import-files.py --count 100000 --seed 7 --out DIR
      → DIR/google.csv, DIR/outlook.csv, DIR/phone.vcf  (each --count rows, different people per seed)
"""
import argparse
import csv
import os
import random

from faker import Faker

LOCALES = ["en_US", "de_DE", "ru_RU"]


def person(fakers, rng):
    f = rng.choice(fakers)
    first, last = f.first_name(), f.last_name()
    company = f.company() if rng.random() < 0.8 else ""
    p = {
        "first": first,
        "last": last,
        "company": company,
        "title": f.job() if company and rng.random() < 0.7 else "",
        "emails": [],
        "phones": [],
        "city": f.city() if rng.random() < 0.4 else "",
        "street": f.street_address() if rng.random() < 0.3 else "",
        "web": "",
        "notes": f.sentence() if rng.random() < 0.1 else "",
        "labels": rng.sample(["Customers", "Partners", "Press", "Suppliers", "VIP"], k=rng.choice([0, 0, 1, 2])),
    }
    if rng.random() < 0.66:
        user = f"{first}.{last}".lower().replace(" ", "")
        user = "".join(ch for ch in user if ch.isascii() and (ch.isalnum() or ch == ".")) or f"user{rng.randrange(10**6)}"
        p["emails"].append(f"{user}{rng.randrange(1000)}@{f.free_email_domain()}")
    if rng.random() < 0.66:
        p["phones"].append(f.phone_number())
    if company and rng.random() < 0.3:
        p["web"] = "https://" + f.domain_name()
    if not (p["first"] or p["company"] or p["emails"] or p["phones"]):
        p["company"] = f.company()
    return p


def variant(p, rng):
    """The same person as another export would have them."""
    q = dict(p, emails=list(p["emails"]), phones=list(p["phones"]), labels=list(p["labels"]))
    r = rng.random()
    if r < 0.3 and q["emails"]:
        q["emails"] = [q["emails"][0].upper()]
    elif r < 0.6:
        q["phones"].append(f"+49 170 {rng.randrange(10**6, 10**7)}")
    else:
        q["company"] = ""
    return q


def rows(count, seed, dup_rate):
    rng = random.Random(seed)
    fakers = []
    for i, loc in enumerate(LOCALES):
        f = Faker(loc)
        f.seed_instance(seed * 10 + i)
        fakers.append(f)
    people = []
    for _ in range(count):
        if people and rng.random() < dup_rate:
            people.append(variant(rng.choice(people), rng))
        else:
            people.append(person(fakers, rng))
    return people


def google(path, people):
    head = ["First Name", "Last Name", "Organization Name", "Organization Title", "Labels",
            "E-mail 1 - Label", "E-mail 1 - Value", "Phone 1 - Label", "Phone 1 - Value",
            "Phone 2 - Label", "Phone 2 - Value", "Address 1 - Label", "Address 1 - Street",
            "Address 1 - City", "Website 1 - Label", "Website 1 - Value", "Notes"]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(head)
        for p in people:
            phones = p["phones"] + ["", ""]
            w.writerow([p["first"], p["last"], p["company"], p["title"],
                        " ::: ".join(["* myContacts"] + p["labels"]),
                        "* Work" if p["emails"] else "", p["emails"][0] if p["emails"] else "",
                        "Mobile" if phones[0] else "", phones[0], "Work" if phones[1] else "", phones[1],
                        "Work" if p["street"] or p["city"] else "", p["street"], p["city"],
                        "Work" if p["web"] else "", p["web"], p["notes"]])


def outlook(path, people):
    head = ["First Name", "Last Name", "Company", "Job Title", "E-mail Address", "Mobile Phone",
            "Business Phone", "Business Street", "Business City", "Web Page", "Categories", "Notes"]
    with open(path, "w", newline="", encoding="utf-16") as fh:
        w = csv.writer(fh)
        w.writerow(head)
        for p in people:
            phones = p["phones"] + ["", ""]
            w.writerow([p["first"], p["last"], p["company"], p["title"], p["emails"][0] if p["emails"] else "",
                        phones[0], phones[1], p["street"], p["city"], p["web"], ";".join(p["labels"]), p["notes"]])


def esc(v):
    return v.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\n", "\\n")


def vcard(path, people, seed):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        for i, p in enumerate(people):
            lines = ["BEGIN:VCARD", "VERSION:3.0", f"UID:bench-{seed}-{i}",
                     f"N:{esc(p['last'])};{esc(p['first'])};;;",
                     f"FN:{esc((p['first'] + ' ' + p['last']).strip() or p['company'])}"]
            if p["company"]:
                lines.append(f"ORG:{esc(p['company'])}")
            if p["title"]:
                lines.append(f"TITLE:{esc(p['title'])}")
            for e in p["emails"]:
                lines.append(f"EMAIL;TYPE=INTERNET,WORK:{e}")
            for j, ph in enumerate(p["phones"]):
                lines.append(f"TEL;TYPE={'CELL' if j == 0 else 'WORK'}:{ph}")
            if p["street"] or p["city"]:
                lines.append(f"ADR;TYPE=WORK:;;{esc(p['street'])};{esc(p['city'])};;;")
            if p["labels"]:
                lines.append("CATEGORIES:" + ",".join(esc(x) for x in p["labels"]))
            if p["notes"]:
                lines.append(f"NOTE:{esc(p['notes'])}")
            lines.append("END:VCARD")
            fh.write("\r\n".join(lines) + "\r\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--dup-rate", type=float, default=0.05)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    people = rows(a.count, a.seed, a.dup_rate)
    google(os.path.join(a.out, "google.csv"), people)
    outlook(os.path.join(a.out, "outlook.csv"), rows(a.count, a.seed + 1000, a.dup_rate))
    vcard(os.path.join(a.out, "phone.vcf"), rows(a.count, a.seed + 2000, a.dup_rate), a.seed)


if __name__ == "__main__":
    main()
