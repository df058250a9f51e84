#!/usr/bin/env bash
# What the operations middleware costs: wrk on loopback against the release server as configured by
# default (request metrics on, the rate limiter on with limits high enough never to refuse, JSON logs,
# request-id spans; ACCESS_LOG at its default, off), then with metrics and limits OFF
# (METRICS_ENABLED=false RATE_LIMITS=off), alternating ROUNDS times. ON_ENV=ACCESS_LOG=true adds the
# per-request access log to the "on" server.
#
#   deploy/bench-middleware.sh            # needs target/release/cardcrm (scripts/build.sh) and wrk
#
# Env: BENCH_PORT (3923), BENCH_DURATION (10s), BENCH_CONNS (32), ROUNDS (3), CONTACTS (200),
# ON_ENV (extra VAR=value settings for the "on" server, e.g. ON_ENV=ACCESS_LOG=false to isolate one part).
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
    # shellcheck disable=SC2086
    env METRICS_ENABLED=true RATE_LIMITS=on RATE_LIMIT_API_PER_USER=100000000/1m RATE_LIMIT_API_PER_IP=100000000/1m \
        LOG_FORMAT=json RUST_LOG=info ${ON_ENV:-} $BIN serve >"$DIR/server-$1.log" 2>&1 &
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
reqs() { awk '/requests in/ {print $1}'; }
# CPU time the server used (user + system, clock ticks): less disturbed by other load than req/s.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
TICK=$(getconf CLK_TCK)

echo "round,config,endpoint,req_per_s,p99,server_cpu_us_per_req"
for r in $(seq 1 "$ROUNDS"); do
  for cfg in on off; do
    start "$cfg"
    TOKEN=$(curl -s "http://127.0.0.1:$PORT/api/v1/auth/login" -H 'content-type: application/json' \
      -d "{\"username\":\"loadtest\",\"password\":\"$CARDCRM_ADMIN_PASSWORD\"}" | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
    for ep in "/health" "/api/v1/contacts?limit=25"; do
      before=$(cpu_ticks)
      out=$(wrk -t2 -c"$CONNS" -d"$DURATION" --latency -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT$ep")
      used=$(( $(cpu_ticks) - before ))
      n=$(echo "$out" | reqs)
      echo "$r,$cfg,$ep,$(echo "$out" | rps),$(echo "$out" | p99),$(awk -v u="$used" -v n="$n" -v t="$TICK" 'BEGIN {printf "%.1f", u / t * 1e6 / n}')"
    done
    stop
  done
done
echo "log lines written by the last \"on\" server: $(wc -l < "$DIR/server-on.log")" >&2
