#!/usr/bin/env bash
# The size of a contact's vCard over CardDAV with a camera photo, against the photo as stored, and the
# time of the first GET (which makes the phone copy) and the second. Against a running cardcrm:
#   CARDCRM_URL=http://127.0.0.1:3000 CARDCRM_USER=admin CARDCRM_PASSWORD=… scripts/measure-carddav-photo.sh
# It creates a contact "Photo Measure" and an app password "measure".
set -euo pipefail
cd "$(dirname "$0")/.."
B="${CARDCRM_URL:-http://127.0.0.1:3917}"; U="${CARDCRM_USER:-admin}"
: "${CARDCRM_PASSWORD:?set CARDCRM_PASSWORD}"
LOGIN=$(python3 -c 'import json,os;print(json.dumps({"username":os.environ.get("CARDCRM_USER","admin"),"password":os.environ["CARDCRM_PASSWORD"]}))')
T=$(curl -sf -X POST "$B/api/v1/auth/login" -H 'content-type: application/json' -d "$LOGIN" | python3 -c 'import sys,json;print(json.load(sys.stdin)["access_token"])')
C=$(curl -sf -X POST $B/api/v1/contacts -H "authorization: Bearer $T" -H 'content-type: application/json' -d '{"full_name":"Photo Measure","company":"Lens"}')
ID=$(echo "$C" | python3 -c 'import sys,json;print(json.load(sys.stdin)["id"])')
UID_=$(echo "$C" | python3 -c 'import sys,json;print(json.load(sys.stdin)["uid"])')
P=$(curl -sf -X POST $B/api/v1/auth/app-passwords -H "authorization: Bearer $T" -H 'content-type: application/json' -d '{"name":"measure"}' | python3 -c 'import sys,json;print(json.load(sys.stdin)["password"])')
for f in fixtures/cards/real/contoso-chris.jpg fixtures/cards/real/contoso-avery.jpg fixtures/photos/three-cards.jpg; do
  curl -sf -X PUT $B/api/v1/contacts/$ID/photo -H "authorization: Bearer $T" -H 'content-type: image/jpeg' --data-binary @$f -o /dev/null
  s1=$( { /usr/bin/time -f %e curl -sf -u "$U:$P" $B/dav/addressbooks/$U/contacts/$UID_.vcf -o /tmp/card1.vcf; } 2>&1 )
  s2=$( { /usr/bin/time -f %e curl -sf -u "$U:$P" $B/dav/addressbooks/$U/contacts/$UID_.vcf -o /tmp/card2.vcf; } 2>&1 )
  echo "$f: photo $(stat -c %s "$f") B ($(file -b "$f" | grep -o '[0-9]*x[0-9]*' | tail -1)); vCard $(stat -c %s /tmp/card2.vcf) B; first GET ${s1}s (makes the copy), second ${s2}s"
done
