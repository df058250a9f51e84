#!/usr/bin/env bash
# Builds cardcrm: the server binary and its site (the hydration wasm, its JavaScript, the stylesheet
# and the public files), without cargo-leptos. This is what `scripts/start.sh`, `scripts/test.sh`
# and the Dockerfile run; `cargo leptos watch` stays the tool for development (scripts/setup.sh --dev).
#
#   scripts/build.sh                      the release build (what the benchmarks measure)
#   scripts/build.sh --profile NAME       another cargo profile of the workspace (e.g. start)
#
# Output, as cargo-leptos 0.3 lays it out with `hash-files` (server/src/assets.rs reads it):
#   target/<profile>/cardcrm, target/<profile>/hash.txt (the bundle's content hashes),
#   $LEPTOS_SITE_ROOT (default target/site): the public files, and pkg/cardcrm.<hash>.{js,wasm,css}.
#
# Why not cargo-leptos here: it takes ~17 minutes to install (with a second, newer toolchain), and
# with hash-files it compiles the wasm and the server one after the other. Here the two cargo builds
# (and, the first time, wasm-bindgen-cli) run side by side, then the same steps it runs:
# wasm-bindgen --target web, wasm-opt -Oz, the JavaScript and the stylesheet minified (esbuild),
# each bundle file renamed name.<md5, base64url>.ext and the hashes written to hash.txt.
# Progress: a line every 15 s (60 s without a terminal) with each build's crate count; the full
# cargo output is in target/build-logs/.
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE=release
while [ $# -gt 0 ]; do
  case "$1" in
    --profile) PROFILE="${2:?--profile needs a name}"; shift 2 ;;
    --profile=*) PROFILE="${1#*=}"; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "scripts/build.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

TARGET="${CARGO_TARGET_DIR:-$PWD/target}"
# cargo's output directory for a profile: `dev` builds go to debug/, every other profile to its name.
OUT_DIR="$TARGET/$PROFILE"; [ "$PROFILE" = dev ] && OUT_DIR="$TARGET/debug"
SITE="${LEPTOS_SITE_ROOT:-target/site}"
PKG="$SITE/pkg"
LOGS="$TARGET/build-logs"
mkdir -p "$LOGS"
export PATH="$PWD/node_modules/.bin:$PATH"
START=$(date +%s)
say() { printf '\033[1;34m[build %s]\033[0m %s\n' "$(elapsed)" "$*"; }
elapsed() { local s=$(($(date +%s) - START)); printf '%02d:%02d' $((s / 60)) $((s % 60)); }

# What cargo-leptos passes to both builds ([workspace.metadata.leptos] in Cargo.toml): the site's
# layout for leptos_config, and `--cfg erase_components` (always-erase-components = true).
export LEPTOS_OUTPUT_NAME=cardcrm LEPTOS_SITE_PKG_DIR=pkg LEPTOS_HASH_FILES=true LEPTOS_HASH_FILE_NAME=hash.txt
export RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }--cfg erase_components"
# Progress bars into the logs, so the status line below can read the crate counts.
export CARGO_TERM_PROGRESS_WHEN=always CARGO_TERM_PROGRESS_WIDTH=100

# --- three jobs side by side ----------------------------------------------------------------------
# wasm-bindgen-cli must be exactly Cargo.lock's wasm-bindgen; compiled once per machine.
WBG=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/[^0-9.]/, ""); print; exit}' Cargo.lock)
BINDGEN_PID=""
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WBG" ]; then
  # Not optimised (half the compiling): it runs once per build, for a few seconds, beside the server.
  # Its own build directory (not CARGO_TARGET_DIR), so it does not wait on the server build's lock.
  CARGO_PROFILE_RELEASE_OPT_LEVEL=0 CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    env -u CARGO_TARGET_DIR cargo install wasm-bindgen-cli --version "$WBG" > "$LOGS/wasm-bindgen-cli.log" 2>&1 &
  BINDGEN_PID=$!
fi
# CARDCRM_BUILD_TIMINGS=1: cargo's --timings report (target/cargo-timings/) for both builds.
TIMINGS=(); [ "${CARDCRM_BUILD_TIMINGS:-0}" = 1 ] && TIMINGS=(--timings)
# The server (with Tesseract, as in production).
cargo build "${TIMINGS[@]}" --profile "$PROFILE" -p server --bin cardcrm --no-default-features --features tesseract \
  > "$LOGS/server.log" 2>&1 &
SERVER_PID=$!

# The site, in one job beside the server: the hydration wasm (its own target directory, as
# cargo-leptos's target/front, so both cargo builds run at once; profile wasm-release, size over
# speed, or wasm-start for the start profile: Cargo.toml says why), then wasm-bindgen --target web,
# wasm-opt -Oz, the JavaScript and the stylesheet minified (esbuild), the public files copied.
WASM_PROFILE=wasm-release; [ "$PROFILE" = start ] && WASM_PROFILE=wasm-start
site() {
  cargo build "${TIMINGS[@]}" --profile "$WASM_PROFILE" -p frontend --lib --target wasm32-unknown-unknown \
    --no-default-features --target-dir "$TARGET/front" > "$LOGS/wasm.log" 2>&1 || { echo "the wasm build failed"; return 1; }
  # wasm-bindgen-cli, if it is being compiled beside.
  while [ -n "$BINDGEN_PID" ] && kill -0 "$BINDGEN_PID" 2>/dev/null; do sleep 1; done
  [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" = "$WBG" ] \
    || { echo "wasm-bindgen-cli $WBG is missing (see wasm-bindgen-cli.log)"; return 1; }
  WASM_IN="$TARGET/front/wasm32-unknown-unknown/$WASM_PROFILE/frontend.wasm"
  # Nothing to do when the wasm, the stylesheet, the public files and the tools are those of the last
  # site build and its files are in place (wasm-opt alone takes a minute).
  STAMP="$TARGET/front/site.stamp"
  stamp=$( { md5sum "$WASM_IN" style/main.css; find public -type f -print0 | sort -z | xargs -0 md5sum;
    echo "$SITE"; wasm-bindgen --version; wasm-opt --version; esbuild --version; } | md5sum | cut -d' ' -f1)
  site_current() {
    [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$stamp" ] && [ -f "$TARGET/front/hash.txt" ] || return 1
    local kind hash
    while read -r kind hash; do [ -f "$PKG/cardcrm.$hash.${kind%:}" ] || return 1; done < "$TARGET/front/hash.txt"
  }
  if site_current; then
    mkdir -p "$OUT_DIR"
    cp "$TARGET/front/hash.txt" "$OUT_DIR/hash.txt"
    echo "the site in $SITE is current"
    return 0
  fi
  rm -f "$STAMP"
  # The public files at the site root (the old ones removed first, as cargo-leptos mirrors them), but
  # never the on-device reader's ocr/ (scripts/ocr-web.sh site puts it there).
  case "$(realpath -m "$SITE")" in
    /|"$HOME"|"$PWD"|"$(realpath -m public)") echo "refusing LEPTOS_SITE_ROOT=$SITE (it is emptied first)"; return 2 ;;
  esac
  mkdir -p "$SITE"
  find "$SITE" -mindepth 1 -maxdepth 1 ! -name ocr -exec rm -rf {} +
  cp -R public/. "$SITE/"
  mkdir -p "$PKG"
  wasm-bindgen --target web --out-name cardcrm --out-dir "$PKG" --no-typescript \
    "$WASM_IN"
  # Leptos's hydration script loads <name>.wasm (cargo-leptos renames wasm-bindgen's <name>_bg.wasm).
  mv "$PKG/cardcrm_bg.wasm" "$PKG/cardcrm.wasm"
  # Shrunk by wasm-opt as cargo-leptos does, except for the start profile's wasm (Cargo.toml says why).
  [ "$WASM_PROFILE" = wasm-start ] \
    || wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int "$PKG/cardcrm.wasm" -o "$PKG/cardcrm.wasm"
  esbuild "$PKG/cardcrm.js" --minify --log-level=warning --outfile="$PKG/cardcrm.min.js"
  mv "$PKG/cardcrm.min.js" "$PKG/cardcrm.js"
  esbuild style/main.css --minify --log-level=warning --outfile="$PKG/cardcrm.css"
  # name.<md5 as unpadded base64url>.ext (cargo-leptos's hash-files; wasm-bindgen's snippets/ keep
  # their names: the wasm imports them by name), the new names put into the JavaScript, and the
  # hashes into hash.txt beside the binary, where Leptos and server/src/assets.rs look for them.
  mkdir -p "$OUT_DIR"
  python3 - "$PKG" "$OUT_DIR/hash.txt" <<'PY'
import base64, hashlib, pathlib, sys
pkg, hash_file = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
def md5(path):
    return base64.urlsafe_b64encode(hashlib.md5(path.read_bytes()).digest()).decode().rstrip("=")
hashes = {ext: md5(pkg / f"cardcrm.{ext}") for ext in ("wasm", "css")}
# The JavaScript last, so that its name covers the names written into it.
js = (pkg / "cardcrm.js").read_text()
for ext, h in hashes.items():
    js = js.replace(f"cardcrm.{ext}", f"cardcrm.{h}.{ext}")
(pkg / "cardcrm.js").write_text(js)
hashes["js"] = md5(pkg / "cardcrm.js")
for ext, h in hashes.items():
    (pkg / f"cardcrm.{ext}").rename(pkg / f"cardcrm.{h}.{ext}")
hash_file.write_text("".join(f"{ext}: {hashes[ext]}\n" for ext in ("js", "wasm", "css")))
PY
  cp "$OUT_DIR/hash.txt" "$TARGET/front/hash.txt"
  echo "$stamp" > "$STAMP"
  echo "site built: $(du -sh "$PKG" | cut -f1) in $PKG"
}
site > "$LOGS/site.log" 2>&1 &
SITE_PID=$!
trap 'kill $SERVER_PID $SITE_PID $BINDGEN_PID 2>/dev/null || true' EXIT

# A job's state for the status line: the crate count of its cargo log's last progress bar
# ("Building [===>  ] 312/640: …"), or done.
progress() { # log pid
  if ! kill -0 "$2" 2>/dev/null; then echo "done"; return; fi
  local bar
  bar=$(tr '\r' '\n' < "$1" 2>/dev/null | grep -aoE '(Building|Installing).*\] [0-9]+/[0-9]+' | tail -1 | grep -oE '[0-9]+/[0-9]+$' || true)
  echo "${bar:-starting}"
}
running() { local pid; for pid in "$@"; do [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && return 0; done; return 1; }
say "building cardcrm ($PROFILE) and its site side by side; logs in ${LOGS#"$PWD"/}/"
INTERVAL=60; [ -t 1 ] && INTERVAL=15
while running $SERVER_PID $SITE_PID $BINDGEN_PID; do
  for _ in $(seq "$INTERVAL"); do sleep 1; running $SERVER_PID $SITE_PID $BINDGEN_PID || break; done
  site_state=$(progress "$LOGS/wasm.log" $SITE_PID)
  if [ "$site_state" != done ] && grep -qa "Finished" "$LOGS/wasm.log" 2>/dev/null; then site_state="wasm-bindgen, minify"; fi
  line="server $(progress "$LOGS/server.log" $SERVER_PID) · site $site_state"
  [ -z "$BINDGEN_PID" ] || line="$line · wasm-bindgen-cli $(progress "$LOGS/wasm-bindgen-cli.log" "$BINDGEN_PID")"
  say "$line"
done
failed=0
for job in server:$SERVER_PID site:$SITE_PID ${BINDGEN_PID:+wasm-bindgen-cli:$BINDGEN_PID}; do
  if ! wait "${job#*:}"; then
    echo "--- ${job%%:*} failed; the end of $LOGS/${job%%:*}.log: ---" >&2
    tr '\r' '\n' < "$LOGS/${job%%:*}.log" | grep -av '^ *Building \[' | tail -40 >&2
    [ "${job%%:*}" != site ] || tr '\r' '\n' < "$LOGS/wasm.log" | grep -av '^ *Building \[' | tail -40 >&2
    failed=1
  fi
done
trap - EXIT
[ "$failed" = 0 ] || exit 1
say "done: ${OUT_DIR#"$PWD"/}/cardcrm; $(tail -1 "$LOGS/site.log")"
