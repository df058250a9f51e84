#!/usr/bin/env bash
# Time the tesseract CLI (Debian tesseract-ocr 5.3, -l rus+eng, one thread) on the card fixtures,
# for comparison with `cargo run --release --example ocr-eval`. Prints ms/card per set.
#   ocr/bench/tesseract-cli.sh [fixtures/cards]
set -euo pipefail
ROOT="${1:-$(dirname "$0")/../../fixtures/cards}"
export OMP_THREAD_LIMIT=1
for set in real synthetic/easy synthetic/hard; do
  n=0; start=$(date +%s%N)
  for img in "$ROOT/$set"/*.jpg; do
    tesseract "$img" - -l rus+eng >/dev/null 2>&1
    n=$((n+1))
  done
  end=$(date +%s%N)
  echo "$set: $n cards, $(( (end-start)/1000000/n )) ms/card (tesseract CLI, rus+eng, 1 thread)"
done
