#!/usr/bin/env bash
# Runs every benchmark side by side and writes BENCHMARKS.md. Run it on a quiet machine: anything else
# using the CPU distorts the figures (the ratios less than the absolute numbers, but still).
#
#   scripts/bench.sh                 # everything (about 15 minutes on 2 cores)
#   ORIENT_COMPILE_RUNS=1 scripts/bench.sh   # fewer compile-time repetitions
set -euo pipefail
cd "$(dirname "$0")/.."

rm -rf target/criterion target/bench-results
mkdir -p target/bench-results
cargo bench -p orient-tests
python3 scripts/compile_time.py
python3 scripts/benchmarks_md.py > BENCHMARKS.md
echo "wrote BENCHMARKS.md"
