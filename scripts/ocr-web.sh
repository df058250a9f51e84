#!/usr/bin/env bash
# The on-device card reader (crate ocr-web): build it for the browser, serve its test page, and
# check it in Debian's Chromium against the native reading of the same cards.
#
#   scripts/ocr-web.sh [test]   build + native reference + serve + browser test (default)
#   scripts/ocr-web.sh build    build the site only (target/ocr-web/site)
#   scripts/ocr-web.sh site     build, then put the reader into cardcrm's site ($LEPTOS_SITE_ROOT,
#                               default target/site) under ocr/, where the scan page runs it
#   scripts/ocr-web.sh compile  only compile the wasm (scripts/test.sh does it early, in the background)
#   scripts/ocr-web.sh serve    build, then serve the test page on http://127.0.0.1:$OCR_WEB_PORT/ until Ctrl-C
#
# Environment: OCR_WEB_SIMD=0 builds without WebAssembly SIMD (default: +simd128);
#   CARDCRM_MODELS_DIR (default ./models, filled by scripts/fetch-models.sh);
#   OCR_WEB_CARDS (default fixtures/cards: every image with a truth JSON whose locale
#   is not Russian, i.e. the Latin cards; the browser has no Tesseract);
#   OCR_WEB_PORT (default 8765); NODE_PATH (where playwright-core is; default end2end/node_modules,
#   installed by scripts/setup.sh --test); CARGO_TARGET_DIR.
# Needs: the wasm32-unknown-unknown target, wasm-bindgen-cli of Cargo.lock's wasm-bindgen version,
# python3, node, /usr/bin/chromium (never a downloaded browser).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
MODE="${1:-test}"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
SIMD="${OCR_WEB_SIMD:-1}"
MODELS="$(realpath -m "${CARDCRM_MODELS_DIR:-$ROOT/models}")"
CARDS_DIR="${OCR_WEB_CARDS:-fixtures/cards}"
PORT="${OCR_WEB_PORT:-8765}"
export NODE_PATH="${NODE_PATH:-$ROOT/end2end/node_modules}"
# A build without SIMD has other RUSTFLAGS: it gets its own target directory (else each build would
# redo the other's) and its own output directory.
WASM_TARGET="$TARGET"
OUT="$TARGET/ocr-web"
if [ "$SIMD" = 0 ]; then
  WASM_TARGET="$TARGET/wasm-nosimd"
  OUT="$TARGET/ocr-web-nosimd"
fi
SITE="$OUT/site"
say() { printf '\033[1;34m[ocr-web]\033[0m %s\n' "$*"; }

# --- tools ---------------------------------------------------------------------------------------
WBG=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/[^0-9.]/, ""); print; exit}' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WBG" ]; then
  echo "wasm-bindgen-cli $WBG is needed (Cargo.lock's wasm-bindgen): cargo install wasm-bindgen-cli --version $WBG" >&2
  exit 1
fi

# --- models: pinned sums, the same in the worker as in scripts/fetch-models.sh --------------------
scripts/fetch-models.sh "$MODELS" >/dev/null
pinned=$(awk '$1 ~ /\.(onnx|txt)$/ && $2 ~ /^[0-9a-f]{64}$/ {print $1, $2}' scripts/fetch-models.sh | sort)
inworker=$(grep -oE '\["[a-z0-9_]+\.(onnx|txt)", "[0-9a-f]{64}"\]' ocr-web/www/reader.js | tr -d '[]",' | sort)
if [ "$pinned" != "$inworker" ]; then
  echo "ocr-web/www/reader.js MODELS differ from the sums pinned in scripts/fetch-models.sh:" >&2
  diff <(echo "$pinned") <(echo "$inworker") >&2 || true
  exit 1
fi

# --- build ---------------------------------------------------------------------------------------
FLAGS=""
[ "$SIMD" = 0 ] || FLAGS="-C target-feature=+simd128"
say "cargo build --release --target wasm32-unknown-unknown -p ocr-web (RUSTFLAGS='$FLAGS')"
t0=$(date +%s)
RUSTFLAGS="$FLAGS" CARGO_TARGET_DIR="$WASM_TARGET" nice -n 10 cargo build --release --target wasm32-unknown-unknown -p ocr-web
say "built in $(( $(date +%s) - t0 )) s"
if [ "$MODE" = compile ]; then exit 0; fi
WASM="$WASM_TARGET/wasm32-unknown-unknown/release/ocr_web.wasm"
rm -rf "$SITE"
mkdir -p "$SITE/pkg"
wasm-bindgen --target web --no-typescript --out-dir "$SITE/pkg" "$WASM"
cp ocr-web/www/index.html ocr-web/www/worker.js ocr-web/www/reader.js "$SITE/"
mkdir -p "$SITE/models"
for f in ppocrv5_det.onnx ppocrv5_rec.onnx ppocrv5_cls.onnx ppocr_keys_v5.txt; do
  ln -sf "$MODELS/$f" "$SITE/models/$f"
done

if [ "$MODE" = site ]; then
  # The server serves this directory at /ocr/ (precompressed at start) and the models at /ocr-models/.
  DEST="$(realpath -m "${LEPTOS_SITE_ROOT:-$ROOT/target/site}")/ocr"
  rm -rf "$DEST"
  mkdir -p "$DEST"
  cp -r "$SITE/pkg" "$SITE/worker.js" "$SITE/reader.js" "$DEST/"
  say "the on-device reader is in $DEST"
  exit 0
fi

# Sizes: what a phone downloads once (the models could be served compressed too).
node -e '
const fs = require("fs"), zlib = require("zlib");
const size = (files) => {
  let raw = 0, gz = 0, br = 0;
  for (const f of files) {
    const b = fs.readFileSync(f);
    raw += b.length;
    gz += zlib.gzipSync(b, { level: 9 }).length;
    br += zlib.brotliCompressSync(b, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: b.length } }).length;
  }
  return { raw, gzip: gz, br };
};
const site = process.argv[1];
const out = {
  simd: process.argv[2] !== "0",
  wasm: size([site + "/pkg/ocr_web_bg.wasm"]),
  js: size([site + "/pkg/ocr_web.js", site + "/worker.js", site + "/reader.js"]),
  models: size(["ppocrv5_det.onnx", "ppocrv5_rec.onnx", "ppocrv5_cls.onnx", "ppocr_keys_v5.txt"].map((f) => site + "/models/" + f)),
};
fs.writeFileSync(site + "/../sizes.json", JSON.stringify(out, null, 1));
const mb = (n) => (n >= 1048576 ? (n / 1048576).toFixed(2) + " MiB" : (n / 1024).toFixed(1) + " KiB") + ` (${n} B)`;
for (const k of ["wasm", "js", "models"]) console.log(`${k}: raw ${mb(out[k].raw)}, gzip ${mb(out[k].gzip)}, br ${mb(out[k].br)}`);
' "$SITE" "$SIMD"

if [ "$MODE" = build ]; then say "site in $SITE"; exit 0; fi

serve() {
  python3 -m http.server "$PORT" --bind 127.0.0.1 --directory "$SITE" >"$OUT/http.log" 2>&1 &
  SERVER=$!
  trap 'kill $SERVER 2>/dev/null || true' EXIT
  for _ in $(seq 50); do
    curl -sf "http://127.0.0.1:$PORT/index.html" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "the static server did not start (port $PORT busy?)" >&2
  exit 1
}

if [ "$MODE" = serve ]; then
  serve
  say "http://127.0.0.1:$PORT/index.html (Ctrl-C stops)"
  wait "$SERVER"
  exit 0
fi

# --- native reference: the same ocr_web::Reader compiled for this machine ------------------------
python3 - "$CARDS_DIR" >"$OUT/cards.txt" <<'PY'
import json, pathlib, sys
for img in sorted(pathlib.Path(sys.argv[1]).rglob("*")):
    truth = img.with_suffix(".json")
    if img.suffix.lower() not in (".jpg", ".jpeg", ".png", ".webp") or not truth.is_file():
        continue
    if not json.loads(truth.read_text()).get("locale", "").startswith("ru"):
        print(img)
PY
say "$(wc -l <"$OUT/cards.txt") Latin cards; native reading (cargo run --release -p ocr-web --example read)"
# shellcheck disable=SC2046
CARGO_TARGET_DIR="$TARGET" nice -n 10 cargo run --quiet --release -p ocr-web --example read -- --models "$MODELS" $(cat "$OUT/cards.txt") >"$OUT/native.json"

# --- browser test --------------------------------------------------------------------------------
[ -x /usr/bin/chromium ] || { echo "/usr/bin/chromium is missing: scripts/setup.sh --test installs Debian's" >&2; exit 1; }
node -e 'require.resolve("playwright-core")' 2>/dev/null \
  || { echo "playwright-core not found in NODE_PATH=$NODE_PATH (scripts/setup.sh --test)" >&2; exit 1; }
serve
say "browser test (Chromium, offline after the models loaded; CPU ×1 and ×4; SIMD: $SIMD)"
node ocr-web/test/browser-test.cjs "http://127.0.0.1:$PORT/index.html" "$OUT/cards.txt" "$OUT/native.json" "$OUT/browser.json"
say "results: $OUT/browser.json, sizes: $OUT/sizes.json"
