#!/usr/bin/env bash
# Runs every benchmark side by side and writes BENCHMARKS.md. Run it on a quiet machine: anything else
# using the CPU distorts the figures (the ratios less than the absolute numbers, but still).
#
#   scripts/bench.sh                 # everything (about 40 minutes on 2 cores, 15 of them PostgreSQL)
#   ORIENT_COMPILE_RUNS=1 scripts/bench.sh   # fewer compile-time repetitions
set -euo pipefail
cd "$(dirname "$0")/.."

rm -rf target/criterion target/bench-results
mkdir -p target/bench-results
# The microsecond scenarios drift by up to a quarter between runs on a shared VM, each side on its own:
# run them three times and let the table show the median paired ratio and its range.
for run in 1 2 3; do
  cargo bench -p orient-tests --bench queries
  cp -r target/criterion "target/bench-results/queries-run-$run"
done
cargo bench -p orient-tests --bench concurrency --bench tooling --bench studio --bench testing
# PostgreSQL (feature `postgres`; a throwaway server from the local binaries, skipped without them):
# the same three paired runs, then the client-side instruction counts under callgrind.
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || [ -n "${ORIENT_PG_BIN:-}" ]; then
  for run in 1 2 3; do
    rm -rf target/criterion/pg_*
    cargo bench -p orient-tests --features postgres --bench postgres
    mkdir -p "target/bench-results/postgres-run-$run"
    cp -r target/criterion/pg_* "target/bench-results/postgres-run-$run/"
  done
  if command -v valgrind >/dev/null 2>&1; then
    scripts/bench_postgres_ir.sh
  fi
fi
python3 scripts/compile_time.py
python3 scripts/benchmarks_md.py > BENCHMARKS.md
echo "wrote BENCHMARKS.md"
