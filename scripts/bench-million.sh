#!/usr/bin/env bash
# A million contacts on the product path (issues 20 and 21): the full duplicate scan
# (`cardcrm dedup scan`) and the export (`GET /api/v1/export?format=vcf|csv|xlsx|jsonl`) of
# 1,000,000 stored contacts, with wall time and peak memory, and the contact list's random pages,
# on SQLite and on PostgreSQL.
#
#   python3 scripts/gen-contacts.py --out /tmp/c1m.jsonl --count 1000000 --seed 101   # needs faker
#   scripts/bench-million.sh /tmp/c1m.jsonl            # target/release/cardcrm (scripts/build.sh)
#   BENCH_ONLY=sqlite scripts/bench-million.sh FILE    # one database (sqlite | postgres)
#   BENCH_SKIP=scan,export scripts/bench-million.sh FILE   # leave parts out (scan, export, list)
#   BENCH_LIST=cursor ...                              # the list by cursor only (default: cursor number)
#
# The contacts are bulk-loaded straight into a migrated database by scripts/bench-dedup-load.py
# (as contacts stored before duplicate keys existed: the first scan also computes their keys; the
# second scan is the steady state). Each export runs against a freshly started server, so the
# server's peak RSS (VmHWM) is that export's. Needs /usr/bin/time, curl, python3 (and psql for
# PostgreSQL).
set -euo pipefail
cd "$(dirname "$0")/.."
SRC="${1:?usage: scripts/bench-million.sh CONTACTS.jsonl}"
BIN="${CARDCRM_BIN:-target/release/cardcrm}"
PG_BASE="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}"
PORT="${BENCH_PORT:-3931}"
ONLY="${BENCH_ONLY:-}"
SKIP="${BENCH_SKIP:-}"
[ -x "$BIN" ] || { echo "build the release binary first: scripts/build.sh" >&2; exit 1; }
WORK="$(mktemp -d)"
SERVER=""
cleanup() {
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
export CARDCRM_ADMIN_PASSWORD="quiet harbour 4821" RATE_LIMIT_LOGIN_PER_IP=1000/1m \
  RATE_LIMIT_API_PER_IP=100000/1m RATE_LIMIT_API_PER_USER=100000/1m LEPTOS_SITE_ROOT=target/site \
  LEPTOS_SITE_ADDR="127.0.0.1:$PORT" RUST_LOG=warn

scan() { # label
  /usr/bin/time -f "%e %M" -o "$WORK/time" "$BIN" dedup scan >"$WORK/scan.out" 2>"$WORK/scan.err" ||
    { cat "$WORK/scan.err" >&2; exit 1; }
  read -r secs kb <"$WORK/time"
  printf '  dedup scan (%s): %s s wall, peak RSS %s MB; %s\n' "$1" "$secs" "$((kb / 1024))" \
    "$(tail -c 300 "$WORK/scan.out" | tr -d '\n')"
  # Progress is printed once a second: seconds spent in each phase.
  printf '    seconds per phase: %s\n' "$(awk '{print $3}' "$WORK/scan.err" | uniq -c | awk '{printf "%s %s, ", $2, $1}')"
}

export_one() { # format
  start_server
  local before after
  before=$(awk '/VmHWM/{print $2}' "/proc/$SERVER/status")
  curl -sf -o "$WORK/export.$1" -w '%{time_starttransfer} %{time_total} %{size_download}\n' \
    -H "authorization: Bearer $TOKEN" "127.0.0.1:$PORT/api/v1/export?format=$1" >"$WORK/curl"
  after=$(awk '/VmHWM/{print $2}' "/proc/$SERVER/status")
  read -r first total bytes <"$WORK/curl"
  local lines
  case "$1" in
    vcf) lines=$(grep -c '^BEGIN:VCARD' "$WORK/export.$1") ;;
    csv) lines=$(python3 -c 'import csv,sys; print(sum(1 for _ in csv.reader(open(sys.argv[1], encoding="utf-8-sig"))) - 1)' "$WORK/export.$1") ;;
    jsonl) lines=$(wc -l <"$WORK/export.$1") ;;
    *) lines="(zip)" ;;
  esac
  printf '  export %-5s %8.1f MB in %6.1f s (first byte %.2f s), %s contacts; server peak RSS %s MB (%s MB before the export)\n' \
    "$1" "$(echo "$bytes / 1048576" | bc -l)" "$total" "$first" "$lines" "$((after / 1024))" "$((before / 1024))"
  rm -f "$WORK/export.$1"
  stop_server
}

start_server() {
  "$BIN" serve >"$WORK/server.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 120); do curl -sf "127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.5; done
  TOKEN=$(curl -sf "127.0.0.1:$PORT/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"username\":\"bench\",\"password\":\"$CARDCRM_ADMIN_PASSWORD\"}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
}

stop_server() {
  kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""
}

# The contact list at a million, per sort, 32 connections. Needs wrk (apt-get install wrk).
# - by number: any of the 40,000 pages of 25 at random (so the list cache almost never answers);
#   the database walks past the rows before the page (pages in the back half from the far end).
# - by cursor: the page after 4,000 different contacts drawn at random from the database, as
#   the list's Next button asks for it (`after=` a cursor, read from the sort index at its place).
# Cursors run first: requests wrk gave up on keep running in the database for a while and would
# slow the next run (PostgreSQL's deep pages by number do).
list_pages() {
  command -v wrk >/dev/null || { echo "  list: wrk not installed, skipped"; return; }
  start_server
  local sort out
  for sort in updated_at name company; do
    python3 - "$DATABASE_URL" "$sort" >"$WORK/cursors.txt" <<'PY'
import base64, datetime, json, subprocess, sys
url, sort = sys.argv[1], sys.argv[2]
sql = ("SELECT id, full_name, company, updated_at FROM contacts WHERE deleted_at IS NULL "
       "AND merged_into_id IS NULL ORDER BY random() LIMIT 4000")
if url.startswith("sqlite:"):
    import sqlite3
    rows = sqlite3.connect(url.split("://", 1)[1].split("?")[0]).execute(sql).fetchall()
else:
    out = subprocess.run(["psql", url, "-AtF", "\t", "-c", sql], check=True, capture_output=True, text=True).stdout
    rows = [line.split("\t") for line in out.splitlines()]
desc = sort == "updated_at"
for cid, name, company, updated in rows:
    key = {"name": name, "company": company,
           "updated_at": datetime.datetime.fromisoformat(str(updated)).isoformat()}[sort]
    cur = json.dumps({"s": sort, "d": desc, "k": key, "i": int(cid), "p": 2}, ensure_ascii=False)
    print(base64.urlsafe_b64encode(cur.encode()).decode().rstrip("="))
PY
    for how in ${BENCH_LIST:-cursor number}; do
      cat >"$WORK/pages.lua" <<LUA
math.randomseed(7)
local cursors = {}
for line in io.lines("$WORK/cursors.txt") do cursors[#cursors + 1] = line end
request = function()
  if "$how" == "number" then
    return wrk.format("GET", "/api/v1/contacts?limit=25&sort=$sort&page=" .. math.random(1, 40000))
  end
  return wrk.format("GET", "/api/v1/contacts?limit=25&sort=$sort&after=" .. cursors[math.random(1, #cursors)])
end
LUA
      out=$(wrk -t2 -c32 -d"${BENCH_DURATION:-15s}" --latency -H "Authorization: Bearer $TOKEN" -s "$WORK/pages.lua" \
        "http://127.0.0.1:$PORT")
      printf '  list by %s, sort=%s, 32 connections: %s req/s, p50 %s, p99 %s, %s\n' "$how" "$sort" \
        "$(awk '/Requests\/sec/{print $2}' <<<"$out")" "$(awk '$1=="50%"{print $2}' <<<"$out")" \
        "$(awk '$1=="99%"{print $2}' <<<"$out")" "$(grep -E 'Non-2xx|Socket errors' <<<"$out" | tr -s ' ' | tr '\n' ' ' || true)"
    done
  done
  stop_server
}

skip() { [[ ",$SKIP," == *",$1,"* ]]; }

run() { # name url
  echo "== $1"
  export DATABASE_URL="$2" CARDCRM_DATA_DIR="$WORK/data-$1"
  mkdir -p "$CARDCRM_DATA_DIR"
  "$BIN" migrate >/dev/null
  "$BIN" create-admin --username bench --email bench@example.com >/dev/null
  local load_target="$2"
  [ "$1" = sqlite ] && load_target="$CARDCRM_DATA_DIR/cardcrm.db"
  local t0
  t0=$(date +%s)
  python3 scripts/bench-dedup-load.py "$load_target" "$SRC" | tail -1
  echo "  loaded in $(($(date +%s) - t0)) s; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  if ! skip scan; then
    scan "first: keys computed for every contact"
    scan "again: keys in place"
  fi
  if ! skip export; then
    for f in vcf csv xlsx jsonl; do export_one "$f"; done
  fi
  skip list || list_pages
  echo "  load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
}

if [ -z "$ONLY" ] || [ "$ONLY" = sqlite ]; then
  run sqlite "sqlite://$WORK/data-sqlite/cardcrm.db?mode=rwc"
fi
if { [ -z "$ONLY" ] || [ "$ONLY" = postgres ]; } && (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
  DB="bench_million_$$"
  psql "$PG_BASE/postgres" -qc "CREATE DATABASE $DB" >/dev/null
  run postgres "$PG_BASE/$DB"
  psql "$PG_BASE/postgres" -qc "DROP DATABASE $DB WITH (FORCE)" >/dev/null 2>&1 || true
fi
