#!/usr/bin/env bash
# Installs what is missing, builds cardcrm in release mode and starts it on
# http://127.0.0.1:3000 with the embedded SQLite database in ./data (see README for the first admin).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$PWD/node_modules/.bin:$PATH"
cargo leptos build --release
export LEPTOS_SITE_ROOT="${LEPTOS_SITE_ROOT:-target/site}"
exec target/release/cardcrm serve
