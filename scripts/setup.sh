#!/usr/bin/env bash
# Installs what building and testing cardcrm needs, only where it is missing, from the package
# registries (crates.io, rustup, npm, Debian). Idempotent and quick when everything is in place.
#   scripts/setup.sh          build tools (wasm target, wasm-opt and esbuild from npm, Tesseract, models)
#                             (scripts/build.sh compiles wasm-bindgen-cli itself, beside the build)
#   scripts/setup.sh --test   also wasm-bindgen-cli and the browser-test tools (Debian's Chromium, Playwright)
#   scripts/setup.sh --dev    also cargo-leptos and wasm-bindgen-cli, for `cargo leptos watch`
#                             (about 20 minutes the first time; no other command needs them)
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LEPTOS_VERSION=0.3.11
# cargo-leptos 0.3.11 needs a newer rustc than the app; it is built once with this toolchain.
LEPTOS_TOOLCHAIN=1.99.1

say() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }

if ! rustup target list --installed | grep -q '^wasm32-unknown-unknown$'; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if [ "${1:-}" = "--dev" ] && [ "$(cargo leptos --version 2>/dev/null | awk '{print $2}')" != "$CARGO_LEPTOS_VERSION" ]; then
  say "installing cargo-leptos $CARGO_LEPTOS_VERSION (one time, about 20 minutes)"
  rustup toolchain install "$LEPTOS_TOOLCHAIN" --profile minimal
  cargo +"$LEPTOS_TOOLCHAIN" install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked
fi
# wasm-bindgen-cli must be exactly the wasm-bindgen version in Cargo.lock. For a plain build,
# scripts/build.sh compiles it beside the server and the wasm (sooner done); cargo-leptos and the
# tests (the on-device reader is compiled early in scripts/test.sh) need it first.
WBG=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/[^0-9.]/, ""); print; exit}' Cargo.lock)
if [ -n "${1:-}" ] && [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WBG" ]; then
  say "installing wasm-bindgen-cli $WBG"
  cargo install wasm-bindgen-cli --version "$WBG"
fi

# wasm-opt from npm's binaryen (Debian's binaryen 108 breaks hydration) and esbuild (minifies the
# bundle's JavaScript and stylesheet), both as prebuilt binaries into ./node_modules/.bin.
if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -x node_modules/.bin/esbuild ]; then
  say "installing binaryen (wasm-opt) and esbuild from npm"
  npm install --no-audit --no-fund --loglevel=error
fi

# OCR models from the registry (pinned SHA-256; quick when present).
scripts/fetch-models.sh "${CARDCRM_MODELS_DIR:-./models}" >/dev/null

# Tesseract (the engine for Cyrillic cards) is part of every build (`server/tesseract` feature).
TESSERACT_PKGS="libtesseract-dev libleptonica-dev clang libclang-dev tesseract-ocr tesseract-ocr-rus tesseract-ocr-eng"
# shellcheck disable=SC2086
if ! dpkg -s $TESSERACT_PKGS >/dev/null 2>&1; then
  say "installing Tesseract and its build dependencies from Debian"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $TESSERACT_PKGS >/dev/null
fi

if [ "${1:-}" = "--test" ]; then
  if [ ! -x /usr/bin/chromium ]; then
    say "installing Debian's Chromium for the browser tests"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
  fi
  if [ ! -d end2end/node_modules/@playwright/test ]; then
    say "installing Playwright (the test runner only; it uses /usr/bin/chromium)"
    (cd end2end && npm install --no-audit --no-fund --loglevel=error)
  fi
fi
say "tools ready"
