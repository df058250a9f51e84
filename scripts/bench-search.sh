#!/usr/bin/env bash
# Search-box benchmark on issue 21's loads, through HTTP on the full server (wrk on loopback):
#   1. 2,113 distinct surnames, one connection        (aim p95 <= 2 ms)
#   2. 2,113 surnames with a letter dropped, one conn. (aim p95 <= 3 ms)
#   3. 4,000 distinct queries of the mix (30 % typos, prefixes, phone digits, e-mail parts,
#      Cyrillic<->Latin), 32 connections              (aim >= 3,000 req/s, p95 <= 30 ms)
#   4. the same mix, 256 connections                   (aim p95 <= 150 ms)
# Every request is a different query from the files (drawn from the data by
# scripts/gen-search-queries.py), the search-box answer cache is off (CARDCRM_SEARCH_CACHE_MS=0),
# so every request is answered by the index or the database, never by a cache. After the loads,
# recall: the share of surname/typo/transliteration queries whose contact is in the 10 hits.
#
#   scripts/bench-search.sh CONTACTS.jsonl     (e.g. scripts/gen-contacts.py --count 20000 --seed 11)
#   BENCH_ENGINES="index database"   which answers to measure: the embedded index (as shipped) and/or
#                                    the database search alone (CARDCRM_SEARCH_INDEX=off)
#   BENCH_DURATION=15s  BENCH_BIN=target/release/cardcrm  BENCH_PORT=3933
# Needs a release build (scripts/build.sh), wrk (apt-get install wrk) and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
INPUT="${1:?usage: scripts/bench-search.sh CONTACTS.jsonl}"
DIR=$(mktemp -d)
PORT="${BENCH_PORT:-3933}"
DURATION="${BENCH_DURATION:-15s}"
BIN="${BENCH_BIN:-target/release/cardcrm}"
export CARDCRM_DATA_DIR="$DIR" LEPTOS_SITE_ADDR="127.0.0.1:$PORT" LEPTOS_SITE_ROOT=target/site
export DATABASE_URL="sqlite://$DIR/bench.db" CARDCRM_ADMIN_PASSWORD="load test password 1"
export RATE_LIMIT_API_PER_IP=1000000000/1m RATE_LIMIT_API_PER_USER=1000000000/1m
export CARDCRM_SEARCH_CACHE_MS=0
export RUST_LOG=warn,service::server::contact_index=info
PID=
trap '[ -n "$PID" ] && kill $PID 2>/dev/null; rm -rf "$DIR"' EXIT

echo "== import $(wc -l < "$INPUT") contacts (release build $BIN)"
$BIN create-admin --username bench --email bench@example.com >/dev/null
$BIN import --input "$INPUT" --as bench --on-duplicate create 2>/dev/null | tail -1
python3 scripts/gen-search-queries.py "$INPUT" --kinds surname --count 2113 --seed 7 --out "$DIR/surnames.tsv"
python3 scripts/gen-search-queries.py "$INPUT" --kinds typo_drop --count 2113 --seed 7 --out "$DIR/drop.tsv"
python3 scripts/gen-search-queries.py "$INPUT" --count 4000 --seed 7 --out "$DIR/mix.tsv"
# One request path per line, the query URL-encoded.
for f in surnames drop mix; do
  python3 -c '
import sys, urllib.parse
for line in open(sys.argv[1], encoding="utf-8"):
    kind, q, _ = line.rstrip("\n").split("\t")
    print("/api/v1/contacts/search?limit=10&q=" + urllib.parse.quote(q))
' "$DIR/$f.tsv" > "$DIR/$f.paths"
  echo "   $f: $(wc -l < "$DIR/$f.paths") distinct queries"
done
# Each wrk thread walks the file from its own offset; p95 from wrk's histogram.
cat > "$DIR/walk.lua" <<'LUA'
local paths, n = {}, 0
local counter = 0
setup = function(thread) counter = counter + 1; thread:set("offset", counter * 997) end
init = function(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  n = tonumber(offset) or 0
end
request = function()
  n = n + 1
  return wrk.format("GET", paths[(n % #paths) + 1])
end
done = function(s, latency, r)
  io.write(string.format("    p50 %.2fms  p95 %.2fms  p99 %.2fms\n", latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
LUA

TICK=$(getconf CLK_TCK)
for engine in ${BENCH_ENGINES:-index database}; do
  if [ "$engine" = database ]; then export CARDCRM_SEARCH_INDEX=off; else unset CARDCRM_SEARCH_INDEX; fi
  start=$(date +%s.%N)
  $BIN serve > "$DIR/server-$engine.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 300); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.2; done
  if [ "$engine" = index ]; then
    for _ in $(seq 1 600); do grep -q "search index ready" "$DIR/server-$engine.log" && break; sleep 0.5; done
    echo "== index: $(grep -o 'search index ready.*' "$DIR/server-$engine.log" | head -1) ($(du -sh "$DIR/search-index" | cut -f1) on disk; ready $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}') s after the start)"
  fi
  TOKEN=$(curl -s "http://127.0.0.1:$PORT/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"username\":\"bench\",\"password\":\"$CARDCRM_ADMIN_PASSWORD\"}" | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
  for run in "surnames:1:surnames" "surnames, a letter dropped:1:drop" "mix:32:mix" "mix:256:mix"; do
    IFS=: read -r name conns file <<<"$run"
    threads=$([ "$conns" = 1 ] && echo 1 || echo 2)
    echo "== $engine — $name, wrk -t$threads -c$conns -d$DURATION (load average before: $(cut -d' ' -f1-3 /proc/loadavg))"
    before=$(awk '{print $14 + $15}' "/proc/$PID/stat")
    out=$(wrk -t"$threads" -c"$conns" -d"$DURATION" --timeout 10s -H "Authorization: Bearer $TOKEN" \
      -s "$DIR/walk.lua" "http://127.0.0.1:$PORT" -- "$DIR/$file.paths")
    ticks=$(( $(awk '{print $14 + $15}' "/proc/$PID/stat") - before ))
    requests=$(echo "$out" | awk '/requests in/ {print $1}')
    echo "$out" | grep -E "Requests/sec|p95|Non-2xx|Socket errors" | sed 's/^/  /'
    awk -v t="$ticks" -v hz="$TICK" -v n="$requests" 'BEGIN {printf "    server CPU %.3f ms/request\n", t * 1000 / hz / n}'
  done
  # Recall: is the contact a query was made from among its 10 hits (by its surname)?
  python3 - "$DIR/mix.tsv" "$PORT" "$TOKEN" <<'PY'
import json, sys, unicodedata, urllib.parse, urllib.request
path, port, token = sys.argv[1], sys.argv[2], sys.argv[3]
def fold(s):
    return "".join(c for c in unicodedata.normalize("NFKD", s.lower()) if not unicodedata.combining(c))
kinds = {}
for line in open(path, encoding="utf-8"):
    kind, q, target = line.rstrip("\n").split("\t")
    if not target or kind in ("company_word", "email_local", "phone_digits", "first_name"):
        continue
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/contacts/search?limit=10&q={urllib.parse.quote(q)}",
                                 headers={"Authorization": f"Bearer {token}"})
    hits = json.load(urllib.request.urlopen(req))
    ok = any(fold(target) in fold(h["full_name"]) for h in hits)
    k = "typo" if kind.startswith("typo") else kind
    a, b = kinds.get(k, (0, 0))
    kinds[k] = (a + ok, b + 1)
total = sum(a for a, _ in kinds.values()), sum(b for _, b in kinds.values())
print("    recall@10: " + ", ".join(f"{k} {a / b:.1%} of {b}" for k, (a, b) in sorted(kinds.items()))
      + f"; all {total[0] / total[1]:.1%} of {total[1]}")
PY
  echo "    server RSS: $(grep -E 'VmRSS|VmHWM' /proc/$PID/status | tr -s ' ' | tr '\n' ' ')"
  kill $PID; wait $PID 2>/dev/null || true; PID=
done
