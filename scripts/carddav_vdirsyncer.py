#!/usr/bin/env python3
"""One vdirsyncer scenario against one CardDAV server (run by scripts/carddav-vdirsyncer.sh).

    carddav_vdirsyncer.py NAME WORKDIR VDIRSYNCER BOOK_URL USER PASSWORD [cardcrm API_BASE TOKEN]

A local folder of .vcf files is synced with the server's address book:
  1. the server holds A, B, C; the first sync brings them down; a card made locally (D) goes up;
  2. changes on each side: the server edits A, deletes C and gets E; locally B is edited, D deleted
     and F made; one sync brings both sides to A', B', E, F;
  3. a conflict: A edited on both sides; `conflict_resolution = "b wins"` keeps the server's;
  4. 20 more syncs with nothing changed must copy, update and delete nothing.
After each step both sides are compared: the same UIDs and names, no UID twice on either side.
Server-side edits go through cardcrm's REST API when API_BASE is given (a real cardcrm edit), else
through CardDAV itself (Radicale). With CARDCRM_GROUP set, BOOK_URL is that group's own address book:
the server's new contacts are made in the group, and at the end every card on both sides must be a
member while the card deleted locally (D) must have left the group but not cardcrm.
Prints one line per check; exits non-zero at the first failure.
Standard library only.
"""

import base64
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
import xml.etree.ElementTree as ET

NAME, WORK, VDIRSYNCER, BOOK, USER, PASSWORD = sys.argv[1:7]
API = sys.argv[7] if len(sys.argv) > 7 and sys.argv[7] != "-" else None
TOKEN = sys.argv[8] if len(sys.argv) > 8 else None
GROUP = os.environ.get("CARDCRM_GROUP") or None
LOCAL = os.path.join(WORK, f"local-{NAME}")
CONFIG = os.path.join(WORK, f"vdirsyncer-{NAME}.conf")
AUTH = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
D, C = "{DAV:}", "{urn:ietf:params:xml:ns:carddav}"
STEP_TIMEOUT = 45
notes = []


def fail(msg):
    print(f"[{NAME}] FAIL: {msg}")
    sys.exit(1)


def ok(msg):
    print(f"[{NAME}] ok: {msg}")


def dav(method, url, body=None, headers=None):
    h = {"Authorization": AUTH}
    h.update(headers or {})
    req = urllib.request.Request(url, data=body.encode() if isinstance(body, str) else body, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode(errors="replace")


def absolute(href):
    if href.startswith("http"):
        return href
    base = BOOK.split("/", 3)
    return f"{base[0]}//{base[2]}{href}"


def server_cards():
    """{uid: (href, etag, FN)} of every card on the server, through PROPFIND and multiget."""
    body = '<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:getetag/><d:resourcetype/></d:prop></d:propfind>'
    status, _, text = dav("PROPFIND", BOOK, body, {"Depth": "1", "Content-Type": "application/xml"})
    if status != 207:
        fail(f"PROPFIND {BOOK}: {status} {text[:300]}")
    hrefs = []
    for r in ET.fromstring(text).iter(D + "response"):
        href = r.find(D + "href").text
        if r.find(f".//{D}resourcetype/{D}collection") is None:
            hrefs.append(href)
    if not hrefs:
        return {}
    body = ('<?xml version="1.0"?><c:addressbook-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav">'
            "<d:prop><d:getetag/><c:address-data/></d:prop>"
            + "".join(f"<d:href>{h}</d:href>" for h in hrefs) + "</c:addressbook-multiget>")
    status, _, text = dav("REPORT", BOOK, body, {"Depth": "1", "Content-Type": "application/xml"})
    if status != 207:
        fail(f"multiget: {status} {text[:300]}")
    out = {}
    for r in ET.fromstring(text).iter(D + "response"):
        data = r.find(f".//{C}address-data")
        if data is None:
            continue
        card = parse(data.text or "")
        if card["UID"] in out:
            fail(f"the server holds UID {card['UID']} twice")
        out[card["UID"]] = (r.find(D + "href").text, r.find(f".//{D}getetag").text, card["FN"])
    return out


def parse(text):
    unfolded = text.replace("\r\n ", "").replace("\n ", "")
    props = {}
    for line in unfolded.splitlines():
        key, _, value = line.partition(":")
        name = key.split(";")[0].split(".")[-1].upper()
        if name in ("UID", "FN") and name not in props:
            props[name] = value.strip()
    return {"UID": props.get("UID", ""), "FN": props.get("FN", "")}


def local_cards():
    out = {}
    for f in sorted(os.listdir(LOCAL)):
        with open(os.path.join(LOCAL, f), encoding="utf-8") as fh:
            card = parse(fh.read())
        if card["UID"] in out:
            fail(f"the local folder holds UID {card['UID']} twice ({f})")
        out[card["UID"]] = (f, card["FN"])
    return out


def vcard(uid, fn):
    given, _, family = fn.partition(" ")
    return (f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{fn}\r\nN:{family};{given};;;\r\n"
            f"EMAIL;TYPE=INTERNET:{uid}@example.com\r\nEND:VCARD\r\n")


def write_local(uid, fn):
    with open(os.path.join(LOCAL, f"{uid}.vcf"), "w", encoding="utf-8", newline="") as fh:
        fh.write(vcard(uid, fn))


def edit_local(uid, fn):
    path = os.path.join(LOCAL, local_cards()[uid][0])
    with open(path, encoding="utf-8", newline="") as fh:
        text = fh.read()
    old = parse(text)["FN"]
    given, _, family = fn.partition(" ")
    lines = []
    for line in text.replace("\r\n ", "").replace("\n ", "").splitlines():
        prop = line.split(":")[0].split(";")[0].upper()
        if prop == "FN":
            line = f"FN:{fn}"
        elif prop == "N":
            line = f"N:{family};{given};;;"
        lines.append(line)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("\r\n".join(lines) + "\r\n")
    assert old != fn


def delete_local(uid):
    os.remove(os.path.join(LOCAL, local_cards()[uid][0]))


# Server-side changes: cardcrm's REST API when given, else CardDAV.
def api(method, path, body=None):
    req = urllib.request.Request(API + path, method=method, data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=20) as r:
        text = r.read().decode()
        return json.loads(text) if text else None


def api_find(uid):
    for page in range(1, 50):
        got = api("GET", f"/api/v1/contacts?limit=200&page={page}")
        for c in got["items"]:
            if c["uid"] == uid:
                return c
        if page >= got["pages"]:
            break
    fail(f"no contact with uid {uid} in cardcrm")


def server_create(fn):
    if API:
        given, _, family = fn.partition(" ")
        c = api("POST", "/api/v1/contacts", {"first_name": given, "last_name": family,
                                              "emails": [{"kind": "work", "address": f"{given.lower()}@example.com"}],
                                              "groups": [GROUP] if GROUP else []})
        return c["uid"]
    uid = str(uuid.uuid4())
    status, _, text = dav("PUT", BOOK + f"{uid}.vcf", vcard(uid, fn), {"If-None-Match": "*", "Content-Type": "text/vcard"})
    if status not in (201, 204):
        fail(f"PUT new card: {status} {text[:200]}")
    return uid


def server_edit(uid, fn):
    if API:
        c = api_find(uid)
        given, _, family = fn.partition(" ")
        c.update({"first_name": given, "last_name": family, "full_name": fn,
                  "groups": [g["name"] for g in c["groups"]], "tags": [t["name"] for t in c["tags"]]})
        api("PUT", f"/api/v1/contacts/{c['id']}", c)
        return
    href, etag, _ = server_cards()[uid]
    status, _, text = dav("PUT", absolute(href), vcard(uid, fn), {"If-Match": etag, "Content-Type": "text/vcard"})
    if status not in (200, 201, 204):
        fail(f"PUT edit: {status} {text[:200]}")


def server_delete(uid):
    if API:
        api("DELETE", f"/api/v1/contacts/{api_find(uid)['id']}")
        return
    href, etag, _ = server_cards()[uid]
    status, _, text = dav("DELETE", absolute(href), None, {"If-Match": etag})
    if status not in (200, 204):
        fail(f"DELETE: {status} {text[:200]}")


def sync(expect_quiet=False):
    started = time.time()
    try:
        p = subprocess.run([VDIRSYNCER, "-c", CONFIG, "sync"], capture_output=True, text=True, timeout=STEP_TIMEOUT)
    except subprocess.TimeoutExpired:
        fail(f"vdirsyncer sync took more than {STEP_TIMEOUT} s")
    out = (p.stdout + p.stderr).strip()
    if p.returncode != 0:
        fail(f"vdirsyncer sync exited {p.returncode}:\n{out}")
    actions = [l for l in out.splitlines() if any(w in l for w in ("Copying", "Updating", "Deleting", "conflict"))]
    if expect_quiet and actions:
        fail("a sync with nothing changed did something:\n" + "\n".join(actions))
    return actions, time.time() - started


def same(expected_names, what):
    server = server_cards()
    local = local_cards()
    s_names = sorted(v[2] for v in server.values())
    l_names = sorted(v[1] for v in local.values())
    if sorted(server) != sorted(local):
        fail(f"{what}: the UIDs differ\n  server: {sorted(server)}\n  local:  {sorted(local)}")
    if s_names != l_names:
        fail(f"{what}: the names differ\n  server: {s_names}\n  local:  {l_names}")
    if sorted(expected_names) != s_names:
        fail(f"{what}: expected {sorted(expected_names)}, both sides have {s_names}")
    ok(f"{what}: both sides hold {s_names}")
    return server


def main():
    os.makedirs(LOCAL, exist_ok=True)
    with open(CONFIG, "w") as fh:
        fh.write(f"""[general]
status_path = "{WORK}/status-{NAME}/"

[pair phone]
a = "phone_local"
b = "phone_remote"
collections = null
conflict_resolution = "b wins"

[storage phone_local]
type = "filesystem"
path = "{LOCAL}/"
fileext = ".vcf"

[storage phone_remote]
type = "carddav"
url = "{BOOK}"
username = "{USER}"
password = "{PASSWORD}"
""")
    p = subprocess.run([VDIRSYNCER, "-c", CONFIG, "discover"], input="y\n" * 5, capture_output=True, text=True,
                       timeout=STEP_TIMEOUT)
    if p.returncode != 0:
        fail(f"vdirsyncer discover: {p.stdout}{p.stderr}")

    a, b, c = server_create("Anna Petrova"), server_create("Boris Ivanov"), server_create("Clara Schmidt")
    sync()
    same(["Anna Petrova", "Boris Ivanov", "Clara Schmidt"], "first sync down")
    d = str(uuid.uuid4()).upper()
    write_local(d, "Dmitri Orlov")
    sync()
    server = same(["Anna Petrova", "Boris Ivanov", "Clara Schmidt", "Dmitri Orlov"], "a local card uploaded")
    if not server[d][0].endswith(f"{d}.vcf"):
        notes.append(f"the uploaded card lives at {server[d][0]}")
    if GROUP:
        # A card made in a group's book comes back with the group (X-CARDCRM-GROUPS): a change on the
        # server, which vdirsyncer takes on the next sync. Deleting it before then would be "deleted
        # here, changed there", and vdirsyncer rightly keeps the server's copy.
        actions, _ = sync()
        ok("the uploaded card came back as the server keeps it: " + ("; ".join(actions) or "nothing copied"))

    server_edit(a, "Anna Petrova-Berg")
    server_delete(c)
    e = server_create("Eva Lind")
    edit_local(b, "Boris Ivanov-Shaw")
    delete_local(d)
    f = str(uuid.uuid4())
    write_local(f, "Fiona Walsh")
    sync()
    same(["Anna Petrova-Berg", "Boris Ivanov-Shaw", "Eva Lind", "Fiona Walsh"], "changes on each side")
    if GROUP:
        for uid in server_cards():
            if GROUP not in [g["name"] for g in api_find(uid)["groups"]]:
                fail(f"{uid} is in the group's book but not in the group")
        gone = api_find(d)
        if GROUP in [g["name"] for g in gone["groups"]] or gone.get("deleted_at"):
            fail(f"the card deleted in the group's book should have left the group only: {gone}")
        ok("the group's book holds members only; a card deleted there left the group, not cardcrm")

    server_edit(a, "Anna Server-Side")
    edit_local(a, "Anna Local-Side")
    actions, _ = sync()
    same(["Anna Server-Side", "Boris Ivanov-Shaw", "Eva Lind", "Fiona Walsh"], "a conflict, the server wins")
    ok("conflict sync: " + ("; ".join(actions) or "nothing reported"))

    before = server_cards()
    took = []
    for _ in range(20):
        _, t = sync(expect_quiet=True)
        took.append(t)
    after = same(["Anna Server-Side", "Boris Ivanov-Shaw", "Eva Lind", "Fiona Walsh"], "20 syncs without a change")
    if before != after:
        fail(f"the server's cards or ETags moved during syncs without a change:\n{before}\n{after}")
    ok(f"20 quiet syncs: nothing copied, updated or deleted; ETags unchanged; "
       f"median {sorted(took)[10]:.2f} s, slowest {max(took):.2f} s")
    for n in notes:
        print(f"[{NAME}] note: {n}")
    print(f"[{NAME}] PASS")


main()
