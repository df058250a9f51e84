#!/usr/bin/env bash
# Two builds of cardcrm side by side on the product's hot paths, one after the other in the same run:
# the `start` profile of the README's first command against the release build (BENCHMARKS.md,
# "The first start"), or any two binaries.
#
#   scripts/bench-builds.sh [A_BIN [B_BIN]]     default target/start/cardcrm target/release/cardcrm
#   COUNT=20000 SEED=1 CARDS=40 BENCH_DURATION=8s  (the defaults)
#
# For each binary: reading CARDS synthetic fixture cards (`cardcrm ocr`, one rten thread; CPU seconds),
# importing COUNT generated contacts into a fresh SQLite database (`cardcrm import`; rows/s), all
# duplicate pairs of them (`cardcrm dedup pairs`; CPU seconds), then the API under wrk
# (scripts/bench-api.sh on a copy of that database: the list, random pages, uncached searches;
# requests/s and server CPU per request). Needs wrk and python3 with faker (installed into .venv-bench).
set -euo pipefail
cd "$(dirname "$0")/.."
A="${1:-target/start/cardcrm}"
B="${2:-target/release/cardcrm}"
COUNT="${COUNT:-20000}"
SEED="${SEED:-1}"
CARDS="${CARDS:-40}"
export BENCH_DURATION="${BENCH_DURATION:-8s}"
for bin in "$A" "$B"; do [ -x "$bin" ] || { echo "no binary at $bin" >&2; exit 1; }; done
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }
if [ ! -x .venv-bench/bin/python ]; then
  python3 -m venv .venv-bench
  .venv-bench/bin/pip install --quiet faker
fi
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
.venv-bench/bin/python scripts/gen-contacts.py --count "$COUNT" --seed "$SEED" --out "$WORK/contacts.jsonl"
mapfile -t CARD_FILES < <(find fixtures/cards/synthetic -name 'card-*.jpg' | sort | head -n "$CARDS")
export CARDCRM_MODELS_DIR="${CARDCRM_MODELS_DIR:-$PWD/models}" RTEN_NUM_THREADS=1 OMP_THREAD_LIMIT=1

cpu() { # command… → "wall_s cpu_s" on stderr's last line
  /usr/bin/time -f "%e %U %S" "$@" 2> "$WORK/time" >/dev/null || { cat "$WORK/time" >&2; return 1; }
  tail -1 "$WORK/time" | awk '{printf "%.1f %.1f\n", $1, $2 + $3}'
}

for bin in "$A" "$B"; do
  echo "=== $bin ($(stat -c %s "$bin") bytes; load average $(cut -d' ' -f1-3 /proc/loadavg))"
  read -r wall c < <(cpu "$bin" ocr "${CARD_FILES[@]}")
  echo "ocr: ${#CARD_FILES[@]} cards, ${wall} s wall, ${c} s CPU, $(awk -v c="$c" -v n="${#CARD_FILES[@]}" 'BEGIN {printf "%.0f", c * 1000 / n}') ms CPU per card"
  DB="$WORK/$(basename "$(dirname "$bin")").db"
  rm -f "$DB"
  export DATABASE_URL="sqlite://$DB?mode=rwc" CARDCRM_DATA_DIR="$WORK/data" CARDCRM_ADMIN_PASSWORD="load test password 1"
  "$bin" create-admin --username bench --email bench@example.com >/dev/null
  read -r wall c < <(cpu "$bin" import --input "$WORK/contacts.jsonl" --as bench)
  echo "import: $COUNT rows, ${wall} s wall ($(awk -v w="$wall" -v n="$COUNT" 'BEGIN {printf "%.0f", n / w}') rows/s), ${c} s CPU"
  read -r wall c < <(cpu "$bin" dedup pairs --input "$WORK/contacts.jsonl")
  echo "dedup pairs: ${wall} s wall, ${c} s CPU"
  unset DATABASE_URL CARDCRM_DATA_DIR
  BENCH_BIN="$bin" BENCH_DB="$DB" CARDCRM_SEARCH_CACHE_MS=0 scripts/bench-api.sh 2>&1 \
    | grep -E "^== |Requests/sec|  99%|p95|server CPU" || true
done
