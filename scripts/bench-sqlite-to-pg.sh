#!/usr/bin/env bash
# Copies the contacts of an SQLite cardcrm database (e.g. the 100,000 imported for bench-api.sh) into a
# PostgreSQL database, so both backends are measured on the same rows without a second 15-minute import:
# contacts (with the search text the service wrote), phones, e-mails, tags, groups. Audit rows and
# duplicate keys are not copied (list and search do not read them).
#   createdb -h 127.0.0.1 -U postgres bench100k
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench100k CARDCRM_ADMIN_PASSWORD=… \
#     target/release/cardcrm create-admin --username bench --email bench@example.com   # migrates, makes the owner
#   scripts/bench-sqlite-to-pg.sh bench.db postgres://postgres@127.0.0.1:5432/bench100k
# Rows the SQLite file's owner made are given to the first PostgreSQL user. Run it on an empty database
# migrated by the same build that wrote the SQLite file (the columns are taken from PostgreSQL).
set -euo pipefail
SRC="$1"
URL="$2"
q() { psql "$URL" -v ON_ERROR_STOP=1 -qAt "$@"; }
owner=$(q -c "SELECT id FROM users ORDER BY id LIMIT 1")
for t in contacts contact_phones contact_emails tags contact_tags contact_groups contact_group_members; do
  cols=$(q -c "SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns
               WHERE table_schema = 'public' AND table_name = '$t' AND is_generated = 'NEVER'")
  select=${cols/owner_id/$owner AS owner_id}
  { echo ".nullvalue '\\N'"; echo ".mode csv"; echo "SELECT $select FROM $t;"; } | sqlite3 -batch "$SRC" \
    | q -c "\\copy $t($cols) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
  echo "$t: $(q -c "SELECT count(*) FROM $t") rows"
done
for t in contacts contact_phones contact_emails tags contact_groups; do
  q -c "SELECT setval(pg_get_serial_sequence('$t', 'id'), COALESCE((SELECT max(id) FROM $t), 1))" >/dev/null
done
q -c "VACUUM ANALYZE"
