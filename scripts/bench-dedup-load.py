#!/usr/bin/env python3
"""Bulk-loads gen_contacts.py JSON lines into a migrated cardcrm SQLite database WITHOUT duplicate
keys (like contacts stored before the keys existed), for `cardcrm dedup scan` and check-on-create
measurements. search_text is left empty (search is not what is measured)."""
import json, sqlite3, sys, uuid
db_path, src = sys.argv[1], sys.argv[2]
db = sqlite3.connect(db_path)
db.execute("PRAGMA journal_mode=WAL"); db.execute("PRAGMA synchronous=OFF")
now = "2026-11-26T00:00:00.000000000+00:00"
owner = db.execute("SELECT id FROM users LIMIT 1").fetchone()[0]
cur = db.cursor()
n = 0
with open(src) as f:
    for line in f:
        c = json.loads(line)
        cid = c["id"]
        g = lambda k: (c.get(k) or "")
        cur.execute("INSERT INTO contacts (id, uid, sequence_number, first_name, last_name, full_name, company, position, website, address, source, search_text, version, owner_id, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,'import','',1,?,?,?)",
                    (cid, str(uuid.UUID(int=cid)), cid, g("first_name"), g("last_name"), g("full_name"), g("company"), g("position"), g("website"), g("address"), owner, now, now))
        for i, p in enumerate(c.get("phones") or []):
            cur.execute("INSERT INTO contact_phones (contact_id, kind, number, e164, position) VALUES (?,?,?,NULL,?)", (cid, "work", p, i))
        for i, e in enumerate(c.get("emails") or []):
            cur.execute("INSERT INTO contact_emails (contact_id, kind, address, normalized, position) VALUES (?,?,?,?,?)", (cid, "work", e, e.strip().lower(), i))
        n += 1
        if n % 100000 == 0:
            db.commit(); print(n, flush=True)
db.commit()
print("loaded", n)
