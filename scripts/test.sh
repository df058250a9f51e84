#!/usr/bin/env bash
# Runs every test of cardcrm: Rust unit and API tests on SQLite, again on PostgreSQL and Redis
# when they answer on localhost, then the Playwright browser tests against a release build, a real
# CardDAV client (vdirsyncer) and the API fuzzer.
# Installs what is missing first (see scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
export PATH="$PWD/node_modules/.bin:$PATH"

PG_URL="${TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
REDIS_URL_TEST="${TEST_REDIS_URL:-redis://127.0.0.1:6379}"
answers() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
section() { printf '\n\033[1;34m== %s ==\033[0m\n' "$*"; }

# One cargo invocation for every native crate, with the features the release build uses, so each
# dependency is compiled once (separate `-p` runs would rebuild them with other feature sets).
# frontend is the wasm entry point; building it natively beside `server` would mix ssr and hydrate.
# No incremental cache: it is large and a test run does not benefit from it.
export CARGO_INCREMENTAL=0
# Tesseract on one thread, as the server runs it (`ocr::limit_openmp_threads`); test binaries have no such start.
export OMP_THREAD_LIMIT="${OMP_THREAD_LIMIT:-1}"
TEST_SELECTION=(--workspace --exclude frontend --features server/tesseract)
section "Rust tests on SQLite"
cargo test "${TEST_SELECTION[@]}"

# The fuzz targets (ocr/tests/fuzz_*.rs, dedup/tests/fuzz_*.rs) ran above as ordinary tests with
# their bounded default case counts; PROPTEST_CASES=N runs them longer (docs/testing.md).

section "Supply chain: cargo deny (licences, bans, sources; advisories when the database is reachable)"
# Pinned: 0.20.2 builds with the project's toolchain (needs rustc 1.88). Installing takes about
# 4-5 minutes of CPU, once per machine.
CARGO_DENY_VERSION=0.20.2
if [ "$(cargo deny --version 2>/dev/null)" != "cargo-deny $CARGO_DENY_VERSION" ]; then
  cargo install --locked "cargo-deny@$CARGO_DENY_VERSION"
fi
# deny.toml: the whole graph (all features, vendor/rten included), crates.io and path crates only.
cargo deny check licenses bans sources
# The RustSec advisory database is a git repository on GitHub, which the package-registry-only
# network here does not reach; check advisories when it can be fetched (or a copy is present).
if cargo deny fetch db 2>/dev/null || compgen -G "${CARGO_HOME:-$HOME/.cargo}/advisory-dbs/advisory-db-*/crates" >/dev/null; then
  cargo deny --offline check advisories
else
  echo "cargo deny check advisories: skipped, the RustSec advisory database (GitHub) cannot be fetched from here"
fi

# The on-device card reader's wasm (crate ocr-web, issue 23) compiles in its own target directory,
# at low priority, while the PostgreSQL run (much of it waiting on the database) goes on; it is put
# into the site after the release build below.
OCR_WEB_TARGET="$PWD/target/ocr-web-build"
mkdir -p "$OCR_WEB_TARGET"
# Its own process group (setsid), so that a run that stops early stops it too, cargo included (the
# trap is replaced once it has been waited for).
setsid env CARGO_TARGET_DIR="$OCR_WEB_TARGET" scripts/ocr-web.sh compile > "$OCR_WEB_TARGET/compile.log" 2>&1 &
OCR_WEB_PID=$!
trap 'kill -- -"$OCR_WEB_PID" 2>/dev/null || true' EXIT

if answers 127.0.0.1 5432; then
  section "Rust tests on PostgreSQL ($PG_URL) and Redis ($REDIS_URL_TEST)"
  # Same selection as above, so nothing is rebuilt.
  TEST_DATABASE_URL="$PG_URL" TEST_REDIS_URL="$REDIS_URL_TEST" cargo test "${TEST_SELECTION[@]}"
else
  section "PostgreSQL does not answer on 127.0.0.1:5432: skipping the PostgreSQL run"
fi

section "Browser tests (Playwright, Debian's Chromium)"
# The release build as scripts/start.sh and the Dockerfile make it (scripts/build.sh, no cargo-leptos).
scripts/build.sh
# The on-device card reader (crate ocr-web, wasm SIMD) into the site under ocr/ (issue 23); if the
# early compile failed, this compiles again and shows why.
wait "$OCR_WEB_PID" || tail -30 "$OCR_WEB_TARGET/compile.log"
CARGO_TARGET_DIR="$OCR_WEB_TARGET" scripts/ocr-web.sh site
E2E_DIR=$(mktemp -d)
PORT="${E2E_PORT:-3917}"
export CARDCRM_DATA_DIR="$E2E_DIR" DATABASE_URL="sqlite://$E2E_DIR/e2e.db" LEPTOS_SITE_ADDR="127.0.0.1:$PORT"
export LEPTOS_SITE_ROOT=target/site CARDCRM_ADMIN_PASSWORD="e2e admin password"
# Every spec signs in from 127.0.0.1, on two viewports: the per-IP ceilings are for real traffic.
export RATE_LIMIT_LOGIN_PER_IP=1000/1m RATE_LIMIT_API_PER_IP=100000/1m RATE_LIMIT_API_PER_USER=100000/1m
target/release/cardcrm create-admin --username e2eadmin --email e2e@example.com
target/release/cardcrm serve > "$E2E_DIR/server.log" 2>&1 &
SERVER_PID=$!
trap 'kill $SERVER_PID 2>/dev/null || true; rm -rf "$E2E_DIR"' EXIT
for _ in $(seq 1 100); do
  if answers 127.0.0.1 "$PORT"; then break; fi
  sleep 0.2
done
answers 127.0.0.1 "$PORT" || { cat "$E2E_DIR/server.log"; echo "the server did not start"; exit 1; }
(cd end2end && CARDCRM_URL="http://127.0.0.1:$PORT" E2E_USER=e2eadmin E2E_PASSWORD="$CARDCRM_ADMIN_PASSWORD" npx playwright test) || {
  echo "--- server log ---"; tail -50 "$E2E_DIR/server.log"; exit 1;
}

section "CardDAV with a real client (vdirsyncer against cardcrm, and against Radicale as the reference)"
# Its own throw-away server (SQLite, free port) from the release binary built above; installs
# vdirsyncer and Radicale into .venv-carddav. Any failure against cardcrm fails the run.
timeout 420 scripts/carddav-vdirsyncer.sh target/release/cardcrm

section "API fuzzing (Schemathesis against /api/v1/openapi.json, same server)"
# After the browser tests: the fuzzer creates, changes and deletes data at random.
# Strict: any finding fails the run — a 5xx, a dropped connection or time-out, a request the document
# forbids that the server accepts, a documented request refused, an undocumented status or content
# type (issue 19). SCHEMATHESIS_STRICT=0 reports findings other than server errors without failing.
ST_LOG="$E2E_DIR/schemathesis.log"
set +e
# A fixed seed (checked 2026-12-06 on the release build: 25,607 cases, no finding) keeps CI reproducible;
# SCHEMATHESIS_SEED=… (or unset it in the script's own call) explores other cases.
SCHEMATHESIS_SEED="${SCHEMATHESIS_SEED:-286581968}" SCHEMATHESIS_USER=e2eadmin SCHEMATHESIS_PASSWORD="$CARDCRM_ADMIN_PASSWORD" \
  scripts/schemathesis.sh "http://127.0.0.1:$PORT" > "$ST_LOG" 2>&1
ST_STATUS=$?
set -e
# (Its pytest-style banner line is relabelled so it is not read as this run's closing line.)
sed -E 's/^=+ (.*) =+$/schemathesis summary: \1/' "$ST_LOG"
if [ "$ST_STATUS" -ne 0 ]; then
  if [ "${SCHEMATHESIS_STRICT:-1}" = "1" ] || grep -qiE "server error|network error|timed out|timeout" "$ST_LOG"; then
    echo "--- server log ---"; tail -50 "$E2E_DIR/server.log"; exit 1
  fi
  echo "schemathesis: findings above are reported, not fatal (no 5xx, no dropped connection, no time-out)"
fi
