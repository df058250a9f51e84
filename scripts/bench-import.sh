#!/usr/bin/env bash
# Import speed (issue 20's target: >= 10,000 rows/s): 100,000-row files of three kinds written by
# scripts/gen-import-files.py (Google CSV, Outlook UTF-16 CSV, a phone's vCard 3.0; distinct
# people from three locales, many without phone or e-mail, 5 % the same person again) imported
# with `cardcrm import` into a fresh cardcrm, one file after the other (so the second and third
# are matched against 100,000 and 200,000 stored contacts), then the first file again (the
# idempotent pass: every row finds its contact, nothing is written). On SQLite, and on
# PostgreSQL when it answers on 127.0.0.1:5432.
#
#   scripts/bench-import.sh                 # COUNT=100000 SEED=7, target/release/cardcrm
#   COUNT=20000 scripts/bench-import.sh     # quicker
#   BENCH_ONLY=postgres scripts/bench-import.sh   # one database (sqlite | postgres)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${CARDCRM_BIN:-target/release/cardcrm}"
COUNT="${COUNT:-100000}"
SEED="${SEED:-7}"
PG_BASE="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}"
[ -x "$BIN" ] || { echo "build the release binary first: cargo build --release -p server --features tesseract" >&2; exit 1; }

if [ ! -x .venv-bench/bin/python ]; then
  python3 -m venv .venv-bench
  .venv-bench/bin/pip install --quiet faker
fi
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
FILES="$WORK/files"
.venv-bench/bin/python scripts/gen-import-files.py --count "$COUNT" --seed "$SEED" --out "$FILES"
ls -l "$FILES"

run() { # name database_url
  local name="$1" url="$2"
  export DATABASE_URL="$url" CARDCRM_DATA_DIR="$WORK/data-$name" CARDCRM_ADMIN_PASSWORD="quiet harbour 4821"
  mkdir -p "$CARDCRM_DATA_DIR"
  "$BIN" migrate >/dev/null
  "$BIN" create-admin --username bench --email bench@example.com >/dev/null
  for f in google.csv outlook.csv phone.vcf google.csv; do
    local start end out
    start=$(date +%s.%N)
    out=$("$BIN" import --input "$FILES/$f" --as bench 2>"$WORK/stderr")
    grep -o "import phases.*" "$WORK/stderr" | sed "s/^/  /" || true
    end=$(date +%s.%N)
    echo "$name $f: $out"
    python3 -c "import re,sys; o=sys.argv[1]; rows=int(re.search(r'(\d+) rows', o).group(1)); s=float(re.search(r'in ([0-9.]+) s', o).group(1)); w=float(sys.argv[3])-float(sys.argv[2]); print(f'  {rows} rows: {rows/s:,.0f} rows/s in the import job ({s:.1f} s), {rows/w:,.0f} rows/s wall incl. start and index merge ({w:.1f} s)')" "$out" "$start" "$end"
  done
}

ONLY="${BENCH_ONLY:-}"
if [ -z "$ONLY" ] || [ "$ONLY" = sqlite ]; then
  run sqlite "sqlite://$WORK/data-sqlite/cardcrm.db?mode=rwc"
fi
if { [ -z "$ONLY" ] || [ "$ONLY" = postgres ]; } && (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
  DB="bench_import_$$"
  psql "$PG_BASE/postgres" -qc "CREATE DATABASE $DB" >/dev/null 2>&1 || "$BIN" --help >/dev/null
  if psql "$PG_BASE/$DB" -qc "SELECT 1" >/dev/null 2>&1; then
    run postgres "$PG_BASE/$DB"
    psql "$PG_BASE/postgres" -qc "DROP DATABASE $DB WITH (FORCE)" >/dev/null 2>&1 || true
  else
    echo "PostgreSQL: could not create a database (psql missing?); skipped"
  fi
fi
