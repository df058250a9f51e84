#!/usr/bin/env bash
# Retakes the README's screenshots (docs/screenshot-*.png) from a throw-away cardcrm filled by
# `cardcrm demo`: release binary, SQLite in a temp dir, a free port, Debian's Chromium.
#   scripts/readme-screenshots.sh [target/release/cardcrm]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-target/release/cardcrm}"
DIR=$(mktemp -d)
PORT="${SCREENSHOT_PORT:-3918}"
export CARDCRM_DATA_DIR="$DIR" DATABASE_URL="sqlite://$DIR/demo.db" LEPTOS_SITE_ADDR="127.0.0.1:$PORT"
export LEPTOS_SITE_ROOT="${LEPTOS_SITE_ROOT:-target/site}" CARDCRM_ADMIN_PASSWORD="tea kettle 2026 screens"
"$BIN" create-admin --username demo --email demo@example.com
"$BIN" demo --as demo
"$BIN" serve > "$DIR/server.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; rm -rf "$DIR"' EXIT
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.2; done
# Wait (at most 3 minutes) for the demo's card photos to be read; the first finished one is shown.
SCAN_ID=""
for _ in $(seq 1 90); do
  SCAN_ID=$(sqlite3 "$DIR/demo.db" "SELECT id FROM card_scans WHERE status = 'done' ORDER BY id LIMIT 1" 2>/dev/null || true)
  [ -n "$SCAN_ID" ] && break
  sleep 2
done
(cd end2end && CARDCRM_URL="http://127.0.0.1:$PORT" E2E_USER=demo E2E_PASSWORD="$CARDCRM_ADMIN_PASSWORD" SCAN_ID="${SCAN_ID:-0}" \
  node screenshots/readme.mjs)
