#!/usr/bin/env bash
# A real CardDAV client against cardcrm: vdirsyncer (PyPI) syncs a local folder of .vcf files with a
# throw-away cardcrm (SQLite, a free port, a temporary data directory) and, as the reference, with
# Radicale (PyPI) — the same scenario against both (scripts/carddav_vdirsyncer.py): first sync both
# ways, create/edit/delete on each side, a conflict on both sides (`conflict_resolution = "b wins"`),
# then 20 syncs with nothing changed that must copy nothing and leave no duplicate. Any difference
# between the two servers is printed. The scenario runs a second time against a group's own address
# book in cardcrm (members only; a card deleted there leaves the group, not cardcrm).
#
#   scripts/carddav-vdirsyncer.sh [PATH/TO/cardcrm]
#
# The binary defaults to target/release/cardcrm, else target/debug/cardcrm (under CARGO_TARGET_DIR
# when set). vdirsyncer and Radicale are installed, pinned, into .venv-carddav (gitignored). Every
# step has a time-out; the whole run (three scenarios) takes about 3 minutes. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

VDIRSYNCER_VERSION=0.21.0
RADICALE_VERSION=3.9.0
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
BIN="${1:-}"
if [ -z "$BIN" ]; then
  for b in "$TARGET_DIR/release/cardcrm" "$TARGET_DIR/debug/cardcrm"; do
    if [ -x "$b" ]; then BIN="$b"; break; fi
  done
fi
[ -n "$BIN" ] && [ -x "$BIN" ] || { echo "carddav-vdirsyncer: no cardcrm binary (build it, or pass its path)"; exit 1; }

VENV=.venv-carddav
if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
  # Debian keeps venv's pip in a separate package.
  SUDO=$([ "$(id -u)" -eq 0 ] || echo sudo)
  echo "carddav-vdirsyncer: installing python3-venv from Debian"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv >/dev/null \
    || { echo "carddav-vdirsyncer: python3 cannot make a venv; install python3-venv"; exit 1; }
fi
if ! "$VENV/bin/vdirsyncer" --version 2>/dev/null | grep -q "$VDIRSYNCER_VERSION" \
   || ! "$VENV/bin/python" -c "import radicale, sys; sys.exit(radicale.VERSION != '$RADICALE_VERSION')" 2>/dev/null; then
  python3 -m venv "$VENV"
  timeout 300 "$VENV/bin/pip" install --quiet --disable-pip-version-check \
    "vdirsyncer==$VDIRSYNCER_VERSION" "radicale==$RADICALE_VERSION" \
    || { echo "carddav-vdirsyncer: could not install vdirsyncer and Radicale from PyPI"; exit 1; }
fi

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for() { # URL SECONDS: until the URL answers at all (any HTTP status)
  python3 - "$1" "$2" <<'PY'
import sys, time, urllib.error, urllib.request
url, deadline = sys.argv[1], time.time() + float(sys.argv[2])
while time.time() < deadline:
    try:
        urllib.request.urlopen(url, timeout=2)
        sys.exit(0)
    except urllib.error.HTTPError:
        sys.exit(0)
    except Exception:
        time.sleep(0.2)
sys.exit(1)
PY
}

# --- cardcrm ---------------------------------------------------------------------------------
PORT=$(free_port)
mkdir -p "$WORK/cardcrm"
export CARDCRM_DATA_DIR="$WORK/cardcrm" DATABASE_URL="sqlite://$WORK/cardcrm/cardcrm.db" LEPTOS_SITE_ADDR="127.0.0.1:$PORT"
export JWT_SECRET="carddav-vdirsyncer-secret-0123456789abcdef" CARDCRM_ADMIN_PASSWORD="carddav test password"
export RATE_LIMIT_API_PER_IP=100000/1m RATE_LIMIT_API_PER_USER=100000/1m RUST_LOG="${RUST_LOG:-warn}"
timeout 60 "$BIN" create-admin --username davtest --email davtest@example.com > "$WORK/create-admin.log" 2>&1 \
  || { cat "$WORK/create-admin.log"; echo "carddav-vdirsyncer: create-admin failed"; exit 1; }
"$BIN" serve > "$WORK/cardcrm.log" 2>&1 &
PIDS+=($!)
wait_for "http://127.0.0.1:$PORT/health" 60 || { tail -30 "$WORK/cardcrm.log"; echo "carddav-vdirsyncer: cardcrm did not start"; exit 1; }

read -r TOKEN APP_PASSWORD < <(python3 - "http://127.0.0.1:$PORT" <<'PY'
import json, sys, urllib.request
base = sys.argv[1]
def call(path, body, token=None):
    h = {"Content-Type": "application/json"}
    if token:
        h["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(base + path, method="POST", data=json.dumps(body).encode(), headers=h)
    with urllib.request.urlopen(req, timeout=20) as r:
        return json.load(r)
token = call("/api/v1/auth/login", {"username": "davtest", "password": "carddav test password"})["access_token"]
pw = call("/api/v1/auth/app-passwords", {"name": "vdirsyncer"}, token)["password"]
print(token, pw)
PY
)
# Discovery as a phone does it: the well-known address leads to /dav/.
LOCATION=$(python3 - "http://127.0.0.1:$PORT/.well-known/carddav" <<'PY'
import http.client, sys, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1])
c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
c.request("GET", u.path)
r = c.getresponse()
print(r.status, r.getheader("Location"))
PY
)
case "$LOCATION" in 30[178]" /dav/") ;; *) echo "carddav-vdirsyncer: /.well-known/carddav answers '$LOCATION'"; exit 1 ;; esac

status=0
timeout 150 "$VENV/bin/python" scripts/carddav_vdirsyncer.py cardcrm "$WORK" "$VENV/bin/vdirsyncer" \
  "http://127.0.0.1:$PORT/dav/addressbooks/davtest/contacts/" davtest "$APP_PASSWORD" \
  "http://127.0.0.1:$PORT" "$TOKEN" | tee "$WORK/cardcrm.out" || status=1
if [ "$status" -ne 0 ]; then echo "--- cardcrm log ---"; tail -40 "$WORK/cardcrm.log"; fi

# --- cardcrm, a group's own address book (the user chose it; no Radicale counterpart) -------------
GROUP_BOOK=$(python3 - "http://127.0.0.1:$PORT" "$TOKEN" <<'PY'
import json, sys, urllib.request
base, token = sys.argv[1], sys.argv[2]
def call(method, path, body):
    req = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=20) as r:
        return json.load(r)
gid = call("POST", "/api/v1/groups", {"name": "vdirsyncer group"})["id"]
books = call("PUT", "/api/v1/auth/carddav/groups", {"group_ids": [gid]})["books"]
print(next(b["url"] for b in books if b["group_id"] == gid))
PY
) || { echo "carddav-vdirsyncer: could not choose a group's book"; exit 1; }
CARDCRM_GROUP="vdirsyncer group" timeout 150 "$VENV/bin/python" scripts/carddav_vdirsyncer.py cardcrm-group "$WORK" \
  "$VENV/bin/vdirsyncer" "$GROUP_BOOK" davtest "$APP_PASSWORD" "http://127.0.0.1:$PORT" "$TOKEN" || status=1
if [ "$status" -ne 0 ]; then echo "--- cardcrm log ---"; tail -40 "$WORK/cardcrm.log"; fi

# --- Radicale, the reference ---------------------------------------------------------------------
RPORT=$(free_port)
mkdir -p "$WORK/radicale/collections"
printf 'davtest:radicale-pass\n' > "$WORK/radicale/users"
cat > "$WORK/radicale/config" <<CONF
[server]
hosts = 127.0.0.1:$RPORT
[auth]
type = htpasswd
htpasswd_filename = $WORK/radicale/users
htpasswd_encryption = plain
[storage]
filesystem_folder = $WORK/radicale/collections
[logging]
level = warning
CONF
"$VENV/bin/python" -m radicale --config "$WORK/radicale/config" > "$WORK/radicale.log" 2>&1 &
PIDS+=($!)
wait_for "http://127.0.0.1:$RPORT/" 30 || { cat "$WORK/radicale.log"; echo "carddav-vdirsyncer: Radicale did not start"; exit 1; }
# Radicale's address book is made by the client (MKCOL), as a phone app would on first use.
python3 - "http://127.0.0.1:$RPORT/davtest/contacts/" <<'PY' || { echo "carddav-vdirsyncer: could not create Radicale's address book"; exit 1; }
import base64, sys, urllib.request
body = ('<?xml version="1.0"?><d:mkcol xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav"><d:set><d:prop>'
        '<d:resourcetype><d:collection/><c:addressbook/></d:resourcetype></d:prop></d:set></d:mkcol>')
req = urllib.request.Request(sys.argv[1], data=body.encode(), method="MKCOL", headers={
    "Content-Type": "application/xml", "Authorization": "Basic " + base64.b64encode(b"davtest:radicale-pass").decode()})
urllib.request.urlopen(req, timeout=20)
PY
rstatus=0
timeout 150 "$VENV/bin/python" scripts/carddav_vdirsyncer.py radicale "$WORK" "$VENV/bin/vdirsyncer" \
  "http://127.0.0.1:$RPORT/davtest/contacts/" davtest radicale-pass | tee "$WORK/radicale.out" || rstatus=1

# --- differences ---------------------------------------------------------------------------------
echo "--- cardcrm vs Radicale (same scenario; timings and notes may differ) ---"
# UIDs are random and timings vary: compare what happened, not which item or how fast.
normalise() { sed -E 's/^\[(cardcrm|radicale)\] //; s/median .*//; s/[0-9A-Fa-f]{8}(-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}/<uid>/g' "$1"; }
diff <(normalise "$WORK/cardcrm.out") <(normalise "$WORK/radicale.out") && echo "no difference in outcome"
if [ "$rstatus" -ne 0 ]; then echo "carddav-vdirsyncer: the scenario failed against Radicale too (the scenario, not cardcrm?)"; fi
exit "$status"
