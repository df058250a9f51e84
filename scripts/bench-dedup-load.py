#!/usr/bin/env python3
"""Bulk-loads gen_contacts.py JSON lines into a migrated cardcrm database WITHOUT duplicate keys
(like contacts stored before the keys existed), for `cardcrm dedup scan` and check-on-create
measurements. search_text is left empty (search is not what is measured).

   scripts/bench-dedup-load.py DB.sqlite contacts.jsonl        (SQLite file, FTS triggers dropped)
   scripts/bench-dedup-load.py postgres://... contacts.jsonl   (CSV through `psql \\copy`)

Migrate the database first (e.g. `cardcrm create-admin`, which also makes the owner user)."""
import csv, json, os, subprocess, sys, tempfile, uuid

db_path, src = sys.argv[1], sys.argv[2]
# As the server writes a time into SQLite (sqlx: RFC 3339, fractions only when there are any),
# so the list's cursors compare equal times equal.
now = "2026-11-26T00:00:00+00:00"


def rows():
    with open(src) as f:
        for line in f:
            c = json.loads(line)
            g = lambda k: (c.get(k) or "")
            yield c["id"], g, c.get("phones") or [], c.get("emails") or []


def load_postgres(url):
    psql = lambda *a, **kw: subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-qAt", *a], check=True, **kw)
    owner = psql("-c", "SELECT id FROM users ORDER BY id LIMIT 1", capture_output=True, text=True).stdout.strip()
    tmp = tempfile.mkdtemp(prefix="cardcrm-load-")
    files = {t: open(os.path.join(tmp, t + ".csv"), "w", newline="") for t in ("contacts", "phones", "emails")}
    w = {t: csv.writer(f, quoting=csv.QUOTE_ALL) for t, f in files.items()}  # "" is text, not NULL
    n = 0
    for cid, g, phones, emails in rows():
        w["contacts"].writerow([cid, str(uuid.UUID(int=cid)), cid, g("first_name"), g("last_name"), g("full_name"),
                                g("company"), g("position"), g("website"), g("address"), "import", "", 1, owner, now, now])
        for i, p in enumerate(phones):
            w["phones"].writerow([cid, "work", p, i])
        for i, e in enumerate(emails):
            w["emails"].writerow([cid, "work", e, e.strip().lower(), i])
        n += 1
    for f in files.values():
        f.close()
    cols = {"contacts": "contacts (id, uid, sequence_number, first_name, last_name, full_name, company, position, "
                        "website, address, source, search_text, version, owner_id, created_at, updated_at)",
            "phones": "contact_phones (contact_id, kind, number, position)",
            "emails": "contact_emails (contact_id, kind, address, normalized, position)"}
    for t in ("contacts", "phones", "emails"):
        psql("-c", f"\\copy {cols[t]} FROM '{os.path.join(tmp, t + '.csv')}' WITH (FORMAT csv)")
        os.remove(os.path.join(tmp, t + ".csv"))
    os.rmdir(tmp)
    psql("-c", "SELECT setval('contacts_id_seq', (SELECT max(id) FROM contacts))")
    psql("-c", "VACUUM ANALYZE")
    print("loaded", n)


def load_sqlite(path):
    import sqlite3
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL"); db.execute("PRAGMA synchronous=OFF")
    # Python's SQLite may lack the trigram tokenizer the FTS table uses: no search index here.
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='trigger' AND sql LIKE '%fts%'").fetchall():
        db.execute(f"DROP TRIGGER {name}")
    owner = db.execute("SELECT id FROM users LIMIT 1").fetchone()[0]
    cur = db.cursor()
    n = 0
    for cid, g, phones, emails in rows():
        cur.execute("INSERT INTO contacts (id, uid, sequence_number, first_name, last_name, full_name, company, position, website, address, source, search_text, version, owner_id, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,'import','',1,?,?,?)",
                    (cid, str(uuid.UUID(int=cid)), cid, g("first_name"), g("last_name"), g("full_name"), g("company"), g("position"), g("website"), g("address"), owner, now, now))
        for i, p in enumerate(phones):
            cur.execute("INSERT INTO contact_phones (contact_id, kind, number, e164, position) VALUES (?,?,?,NULL,?)", (cid, "work", p, i))
        for i, e in enumerate(emails):
            cur.execute("INSERT INTO contact_emails (contact_id, kind, address, normalized, position) VALUES (?,?,?,?,?)", (cid, "work", e, e.strip().lower(), i))
        n += 1
        if n % 100000 == 0:
            db.commit(); print(n, flush=True)
    db.commit()
    print("loaded", n)


if db_path.startswith("postgres"):
    load_postgres(db_path)
else:
    load_sqlite(db_path)
