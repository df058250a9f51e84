#!/usr/bin/env bash
# Installs what is missing, builds cardcrm in release mode and starts it on
# http://127.0.0.1:3000 with the embedded SQLite database in ./data (see README for the first admin).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$PWD/node_modules/.bin:$PATH"
cargo leptos build --release
export LEPTOS_SITE_ROOT="${LEPTOS_SITE_ROOT:-target/site}"
# The on-device card reader (crate ocr-web) under the site's ocr/ (a few minutes the first time).
# Without it everything works but reading cards on the device (the profile setting says so).
scripts/ocr-web.sh site || echo "warning: the on-device reader was not built (scripts/ocr-web.sh site); cards are read on the server" >&2
exec target/release/cardcrm serve
