#!/usr/bin/env bash
# What the operations middleware costs: wrk on loopback against the release server with the request
# metrics, the rate limiter (limits high enough never to refuse) and the JSON access log ON, then with
# all three OFF (METRICS_ENABLED=false RATE_LIMITS=off ACCESS_LOG=false), alternating ROUNDS times.
#
#   deploy/bench-middleware.sh            # needs target/release/cardcrm (cargo leptos build --release) and wrk
#
# Env: BENCH_PORT (3923), BENCH_DURATION (10s), BENCH_CONNS (32), ROUNDS (3), CONTACTS (200).
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${BENCH_PORT:-3923}"
DURATION="${BENCH_DURATION:-10s}"
CONNS="${BENCH_CONNS:-32}"
ROUNDS="${ROUNDS:-3}"
CONTACTS="${CONTACTS:-200}"
BIN="${CARDCRM_BIN:-target/release/cardcrm}"
DIR=$(mktemp -d)
PID=""
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$DIR"' EXIT
export CARDCRM_DATA_DIR="$DIR" DATABASE_URL="sqlite://$DIR/bench.db" LEPTOS_SITE_ADDR="127.0.0.1:$PORT"
export LEPTOS_SITE_ROOT="${LEPTOS_SITE_ROOT:-target/site}" CARDCRM_ADMIN_PASSWORD="middleware load password"
$BIN create-admin --username loadtest --email loadtest@example.com >/dev/null

for i in $(seq 1 "$CONTACTS"); do
  echo "{\"first_name\":\"Bench$i\",\"last_name\":\"Person$((i % 37))\",\"company\":\"Load $((i % 11)) GmbH\",\"emails\":[\"b$i@example.com\"]}"
done > "$DIR/contacts.jsonl"
$BIN import --input "$DIR/contacts.jsonl" --as loadtest >/dev/null 2>&1

start() {  # $1 = on|off
  if [ "$1" = on ]; then
    env METRICS_ENABLED=true RATE_LIMITS=on RATE_LIMIT_API_PER_USER=100000000/1m RATE_LIMIT_API_PER_IP=100000000/1m \
        ACCESS_LOG=true LOG_FORMAT=json RUST_LOG=info $BIN serve >"$DIR/server-$1.log" 2>&1 &
  else
    env METRICS_ENABLED=false RATE_LIMITS=off ACCESS_LOG=false LOG_FORMAT=json RUST_LOG=info \
        $BIN serve >"$DIR/server-$1.log" 2>&1 &
  fi
  PID=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && return; sleep 0.1; done
  echo "server did not start" >&2; exit 1
}
stop() { kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""; }

rps() { awk '/Requests\/sec/ {print $2}'; }
p99() { awk '/ 99%/ {print $2}'; }

echo "round,config,endpoint,req_per_s,p99"
for r in $(seq 1 "$ROUNDS"); do
  for cfg in on off; do
    start "$cfg"
    TOKEN=$(curl -s "http://127.0.0.1:$PORT/api/v1/auth/login" -H 'content-type: application/json' \
      -d "{\"username\":\"loadtest\",\"password\":\"$CARDCRM_ADMIN_PASSWORD\"}" | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
    for ep in "/health" "/api/v1/contacts?limit=25"; do
      out=$(wrk -t2 -c"$CONNS" -d"$DURATION" --latency -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT$ep")
      echo "$r,$cfg,$ep,$(echo "$out" | rps),$(echo "$out" | p99)"
    done
    stop
  done
done
echo "access-log lines written with the middleware on: $(wc -l < "$DIR/server-on.log")" >&2
