#!/usr/bin/env bash
# Installs what is missing, builds cardcrm and starts it on http://127.0.0.1:3000 with the embedded
# SQLite database in ./data (see README for the first admin).
#
# The build is the `start` profile (Cargo.toml: unoptimised but for the OCR, image, matcher, regex,
# hashing and compression crates, SQLite at -O1; a light wasm), about 15 minutes cold on 2 cores
# against 25 for a release build (BENCHMARKS.md "The first start"); CARDCRM_BUILD_PROFILE=release
# builds what production and the benchmarks use. The on-device card reader (crate ocr-web) is
# compiled in the background once the server is up; until it is there, cards are read on the server.
set -euo pipefail
cd "$(dirname "$0")/.."
BEGIN=$(date +%s)
scripts/setup.sh
PROFILE="${CARDCRM_BUILD_PROFILE:-start}"
scripts/build.sh --profile "$PROFILE"
BIN="target/$PROFILE/cardcrm"
export LEPTOS_SITE_ROOT="${LEPTOS_SITE_ROOT:-target/site}"
echo "[start] built in $(( ($(date +%s) - BEGIN) / 60 )) min $(( ($(date +%s) - BEGIN) % 60 )) s; starting cardcrm"
# The on-device reader into the site's ocr/ (a few minutes of one core the first time, at low
# priority; quick later). The server serves it as soon as it is there.
mkdir -p target/build-logs
( nice -n 10 scripts/ocr-web.sh site > target/build-logs/ocr-web.log 2>&1 \
    && "$BIN" precompress "$LEPTOS_SITE_ROOT/ocr" >/dev/null 2>&1 \
    && echo "[start] the on-device card reader is ready (profile page: \"Where cards are read\")" \
    || echo "[start] warning: the on-device reader was not built (target/build-logs/ocr-web.log); cards are read on the server" >&2 ) &
exec "$BIN" serve
