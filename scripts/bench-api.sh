#!/usr/bin/env bash
# API load benchmark: imports a contact set into a fresh SQLite (or $BENCH_DATABASE_URL) database,
# then measures list and search throughput/latency with wrk on loopback, and the server's RSS.
#   scripts/bench-api.sh CONTACTS.jsonl      (e.g. made by scripts/gen-contacts.py --count 100000)
#   BENCH_DB=path/to/imported.db scripts/bench-api.sh   reuses an SQLite file imported before (copied, not changed)
#   BENCH_DATABASE_URL=postgres://… scripts/bench-api.sh [CONTACTS.jsonl]   PostgreSQL: imports when a file is
#     given, else reuses what the database holds
#   BENCH_BIN=path/to/cardcrm   another build (e.g. the previous commit's, to compare back to back)
#   BENCH_ONLY=search   only the runs whose name contains this word
#   CARDCRM_SEARCH_CACHE_MS=0   the server without its search-box answer cache (measures the queries)
#   BENCH_PER_WORD=1   then the server CPU per search for each word of the search mix alone (wrk -c1, 3 s each)
# Every run prints the load average before it and the server's CPU time per request (user+system
# from /proc, which the other load on the machine changes much less than the latencies).
# Rate limits stay on (their cost is part of what is measured) with ceilings the load cannot reach.
# Needs a release build (scripts/build.sh) and wrk (apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
INPUT="${1:-}"
[ -n "$INPUT" ] || [ -n "${BENCH_DB:-}" ] || [ -n "${BENCH_DATABASE_URL:-}" ] || { echo "usage: scripts/bench-api.sh CONTACTS.jsonl (or BENCH_DB=file.db, BENCH_DATABASE_URL=postgres://…)"; exit 2; }
DIR=$(mktemp -d)
PORT="${BENCH_PORT:-3931}"
DURATION="${BENCH_DURATION:-20s}"
export CARDCRM_DATA_DIR="$DIR" LEPTOS_SITE_ADDR="127.0.0.1:$PORT" LEPTOS_SITE_ROOT=target/site RUST_LOG=warn
export DATABASE_URL="${BENCH_DATABASE_URL:-sqlite://$DIR/bench.db}"
export CARDCRM_ADMIN_PASSWORD="load test password 1"
export RATE_LIMIT_API_PER_IP=1000000000/1m RATE_LIMIT_API_PER_USER=1000000000/1m
BIN="${BENCH_BIN:-target/release/cardcrm}"
if [ -n "${BENCH_DB:-}" ]; then
  cp "$BENCH_DB" "$DIR/bench.db"
  $BIN create-admin --username bench --email bench@example.com >/dev/null
elif [ -n "${BENCH_DATABASE_URL:-}" ] && [ -z "$INPUT" ]; then
  $BIN create-admin --username bench --email bench@example.com >/dev/null 2>&1 || true
else
  $BIN create-admin --username bench --email bench@example.com >/dev/null
  echo "== import $(wc -l < "$INPUT") lines"
  $BIN import --input "$INPUT" --as bench 2>/dev/null
fi
$BIN serve > "$DIR/server.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; rm -rf "$DIR"' EXIT
cpu_ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
# PostgreSQL's CPU: every postgres process on the machine (the server's pooled connections keep
# their backends for the whole run; a backend that exits during a run takes its ticks with it).
db_ticks() { local p s=0; for p in $(pgrep -x postgres); do s=$(( s + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0) )); done; echo $s; }
TICK=$(getconf CLK_TCK)
# Milliseconds of CPU per request: per_request TICKS REQUESTS.
per_request() { awk -v t="$1" -v hz="$TICK" -v n="$2" 'BEGIN {printf "%.3f", t * 1000 / hz / n}'; }
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.2; done
TOKEN=$(curl -s "http://127.0.0.1:$PORT/api/v1/auth/login" -H 'content-type: application/json' \
  -d "{\"username\":\"bench\",\"password\":\"$CARDCRM_ADMIN_PASSWORD\"}" | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
cat > "$DIR/pages.lua" <<'LUA'
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/api/v1/contacts?limit=25&page=" .. ((n * 37) % 200 + 1))
end
LUA
# Every one of the 4,000 pages of 25 in turn: each request misses the list cache.
cat > "$DIR/allpages.lua" <<'LUA'
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/api/v1/contacts?limit=25&page=" .. ((n * 7919) % 4000 + 1))
end
LUA
WORDS=(smith m%C3%BCller ivanov schmidt johnson petrov martin garcia brown dubois
       engineer manager gmbh sales 9161 smiht schmdit ivaonv)
cat > "$DIR/search.lua" <<LUA
local words = {$(printf '"%s", ' "${WORDS[@]}")}
LUA
cat >> "$DIR/search.lua" <<'LUA'
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/api/v1/contacts/search?limit=10&q=" .. words[(n % #words) + 1])
end
LUA
echo 'request = function() return wrk.format("GET", "/api/v1/contacts") end' > "$DIR/first.lua"
C="${BENCH_CONNS:-32}"
# wrk prints 50/75/90/99; the search aim is stated at p95.
for f in "$DIR"/*.lua; do
  echo 'done = function(s, latency, r) io.write(string.format("    p95 %.2fms\n", latency:percentile(95) / 1000)) end' >> "$f"
done
echo "== binary $BIN, database $([ -n "${BENCH_DATABASE_URL:-}" ] && echo PostgreSQL || echo SQLite), search cache ${CARDCRM_SEARCH_CACHE_MS:-1000} ms"
for run in "list page 1:first.lua" "list pages 1-200:pages.lua" "list all 4000 pages (uncached):allpages.lua" \
  "search:search.lua"; do
  IFS=: read -r name script <<<"$run"
  case "$name" in *"${BENCH_ONLY:-}"*) ;; *) continue ;; esac
  echo "== $name: wrk -t2 -c$C -d$DURATION --latency   (load average before: $(cut -d' ' -f1-3 /proc/loadavg))"
  before=$(cpu_ticks); db_before=$(db_ticks)
  out=$(wrk -t2 -c"$C" -d"$DURATION" --latency -H "Authorization: Bearer $TOKEN" -s "$DIR/$script" "http://127.0.0.1:$PORT")
  ticks=$(( $(cpu_ticks) - before )); db=$(( $(db_ticks) - db_before ))
  echo "$out" | grep -E "Requests/sec|Latency |  50%|  75%|  90%|  99%|Non-2xx|Socket errors|p95"
  requests=$(echo "$out" | awk '/requests in/ {print $1}')
  echo "    server CPU $(( ticks * 1000 / TICK )) ms for $requests requests: $(per_request "$ticks" "$requests") ms/request"
  if [ -n "${BENCH_DATABASE_URL:-}" ]; then
    echo "    PostgreSQL CPU $(( db * 1000 / TICK )) ms: $(per_request "$db" "$requests") ms/request"
  fi
done
if [ -n "${BENCH_PER_WORD:-}" ]; then
  echo "== server CPU per search, one word at a time (wrk -t1 -c1 -d3s)"
  for w in "${WORDS[@]}"; do
    before=$(cpu_ticks); db_before=$(db_ticks)
    out=$(wrk -t1 -c1 -d3s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/contacts/search?limit=10&q=$w")
    ticks=$(( $(cpu_ticks) - before )); db=$(( $(db_ticks) - db_before ))
    requests=$(echo "$out" | awk '/requests in/ {print $1}')
    printf "    %-14s %6s requests  server %s ms/request" "$w" "$requests" \
      "$(per_request "$ticks" "$requests")"
    if [ -n "${BENCH_DATABASE_URL:-}" ]; then
      printf "  PostgreSQL %s ms/request" "$(per_request "$db" "$requests")"
    fi
    echo
  done
fi
echo "== server RSS: $(grep -E 'VmRSS|VmHWM' /proc/$PID/status | tr -s ' ' | tr '\n' ' ')"
if [ -f target/site/pkg/cardcrm.wasm ]; then
  echo "== wasm bundle: $(stat -c %s target/site/pkg/cardcrm.wasm) bytes raw, $(gzip -9c target/site/pkg/cardcrm.wasm | wc -c) bytes gzip"
fi
