#!/usr/bin/env bash
# Run the vendored rten's own unit tests (e.g. the convolution tests) outside the cardcrm workspace.
#
#   vendor/rten/cardcrm/run-upstream-tests.sh [TEST FILTER...]    # default filter: conv
#
# The published rten crate's tests need two dev-dependencies that upstream never publishes
# (rten-testing: table-driven test cases; rten-bench: a timing helper) and two test model files
# outside the crate. This script copies vendor/rten to a scratch directory, adds minimal
# stand-ins for the two crates (written here, just what the tests call) and empty
# placeholders for the missing test model files (only tests that load them fail), and runs
# `cargo test --lib` there with the workspace's Cargo.lock, so dependencies have the project's
# versions. Nothing in the repository is changed. CARGO_TARGET_DIR defaults to /work/target-ocr.
# Extra cargo flags go in RTEN_TEST_CARGO_FLAGS, e.g. the kernel timing comparison:
#   RTEN_TEST_CARGO_FLAGS=--release vendor/rten/cardcrm/run-upstream-tests.sh bench_depthwise_stride1 --ignored --nocapture
set -euo pipefail

HERE="$(cd "$(dirname "$0")/.." && pwd)"          # vendor/rten
ROOT="$(cd "$HERE/../.." && pwd)"                  # repository root
SCRATCH="${RTEN_TEST_SCRATCH:-/tmp/rten-upstream-tests}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target-ocr}"
export CARGO_INCREMENTAL=0
[ $# -eq 0 ] && set -- conv

rm -rf "$SCRATCH"
mkdir -p "$SCRATCH"
cp -a "$HERE" "$SCRATCH/rten"
rm -rf "$SCRATCH/rten/cardcrm" "$SCRATCH/rten/Cargo.lock"
cp "$ROOT/Cargo.lock" "$SCRATCH/rten/Cargo.lock"
mkdir -p "$SCRATCH/rten/rten-onnx/test-data/mnist-external"
: >"$SCRATCH/rten/rten-onnx/test-data/mnist-external/mnist.onnx"
: >"$SCRATCH/rten/rten-onnx/test-data/mnist-external/mnist.onnx.data"

cat >>"$SCRATCH/rten/Cargo.toml" <<'TOML'

[workspace]

[dev-dependencies.rten-testing]
path = "../rten-testing"

[dev-dependencies.rten-bench]
path = "../rten-bench"
TOML

mkdir -p "$SCRATCH/rten-testing/src" "$SCRATCH/rten-bench/src"
cat >"$SCRATCH/rten-testing/Cargo.toml" <<'TOML'
[package]
name = "rten-testing"
version = "0.0.0"
edition = "2021"
publish = false
TOML
cat >"$SCRATCH/rten-testing/src/lib.rs" <<'RS'
//! Stand-in for upstream's unpublished rten-testing: run every case, then fail listing the
//! cases that panicked.
use std::fmt::Debug;
use std::panic::{catch_unwind, AssertUnwindSafe, RefUnwindSafe, UnwindSafe};

fn finish(failed: Vec<String>, total: usize) {
    assert!(failed.is_empty(), "{} of {} test cases failed: {:?}", failed.len(), total, failed);
}

pub trait TestCases: Sized {
    type Case;
    fn test_each(self, test: impl Fn(&Self::Case) + RefUnwindSafe)
    where
        Self::Case: Debug + RefUnwindSafe;
    fn test_each_clone(self, test: impl Fn(Self::Case) + RefUnwindSafe)
    where
        Self::Case: Debug + Clone + UnwindSafe;
    fn test_each_value(self, test: impl Fn(Self::Case) + RefUnwindSafe)
    where
        Self::Case: Debug + UnwindSafe;
}

impl<I: IntoIterator> TestCases for I {
    type Case = I::Item;
    fn test_each(self, test: impl Fn(&I::Item) + RefUnwindSafe)
    where
        I::Item: Debug + RefUnwindSafe,
    {
        let (mut total, mut failed) = (0, Vec::new());
        for case in self {
            total += 1;
            if catch_unwind(AssertUnwindSafe(|| test(&case))).is_err() {
                failed.push(format!("{case:?}"));
            }
        }
        finish(failed, total);
    }
    fn test_each_clone(self, test: impl Fn(I::Item) + RefUnwindSafe)
    where
        I::Item: Debug + Clone + UnwindSafe,
    {
        self.test_each_value(test)
    }
    fn test_each_value(self, test: impl Fn(I::Item) + RefUnwindSafe)
    where
        I::Item: Debug + UnwindSafe,
    {
        let (mut total, mut failed) = (0, Vec::new());
        for case in self {
            total += 1;
            let desc = format!("{case:?}");
            if catch_unwind(AssertUnwindSafe(|| test(case))).is_err() {
                failed.push(desc);
            }
        }
        finish(failed, total);
    }
}
RS
cat >"$SCRATCH/rten-bench/Cargo.toml" <<'TOML'
[package]
name = "rten-bench"
version = "0.0.0"
edition = "2021"
publish = false
TOML
cat >"$SCRATCH/rten-bench/src/lib.rs" <<'RS'
//! Stand-in for upstream's unpublished rten-bench: time `trials` runs of `f`, print and return
//! the mean and median in milliseconds.
pub struct BenchStats {
    pub mean: f64,
    pub median: f64,
}

pub fn run_bench<F: FnMut()>(trials: usize, desc: Option<&str>, mut f: F) -> BenchStats {
    let mut times: Vec<f64> = (0..trials.max(1))
        .map(|_| {
            let start = std::time::Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(|a, b| a.total_cmp(b));
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    let median = times[times.len() / 2];
    if let Some(desc) = desc {
        println!("{desc}: mean {mean:.3} ms, median {median:.3} ms");
    }
    BenchStats { mean, median }
}
RS

cd "$SCRATCH/rten"
cargo test --lib ${RTEN_TEST_CARGO_FLAGS:-} -- "$@"
