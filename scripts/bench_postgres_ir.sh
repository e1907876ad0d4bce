#!/usr/bin/env bash
# Client-side instructions per operation of the PostgreSQL benchmark's scenarios, ours and the
# `postgres` crate's, under callgrind (which sees this process only: the server's work is not counted).
# Writes target/bench-results/postgres-ir.json, which scripts/benchmarks_md.py puts in BENCHMARKS.md.
#
#   scripts/bench_postgres_ir.sh        # about 3 minutes; needs valgrind and PostgreSQL's binaries
set -euo pipefail
cd "$(dirname "$0")/.."

cargo bench -p orient-tests --features postgres --bench postgres --no-run
bin=$(ls -t target/release/deps/postgres-* | grep -v '\.d$' | head -n 1)
mkdir -p target/bench-results
out=target/bench-results/postgres-callgrind.out
# Collection is on only inside the `ir_<scenario>_<side>` functions (tests/benches/postgres.rs), each of
# which repeats one scenario a fixed number of times after the setup.
ORIENT_BENCH_COUNT=1 valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*::ir_*' \
  --callgrind-out-file="$out" "$bin" >target/bench-results/postgres-callgrind.log 2>&1
callgrind_annotate --inclusive=yes --threshold=100 "$out" >target/bench-results/postgres-callgrind.txt
python3 - <<'PY'
import json, re
from pathlib import Path
# Operations per function: must match IR_LOOKUPS, IR_LOOKUPS / 10, IR_LOADS, IR_INSERTS and ROWS in
# tests/benches/postgres.rs.
per = {"point_lookup": 2000, "filtered": 200, "load_all": 3, "join": 3, "insert_one": 500, "insert_all": 100_000}
text = Path("target/bench-results/postgres-callgrind.txt").read_text()
found = {}
for line in text.splitlines():
    m = re.match(r"\s*([\d,]+) \([^)]*\)\s+\S*?::ir_([a-z_]+?)_(raw|ours|pg|native)\b", line)
    if m:
        scenario, side = m.group(2), m.group(3)
        found.setdefault(scenario, {})[side] = int(m.group(1).replace(",", "")) / per[scenario]
if not found:
    raise SystemExit("no ir_ functions in the callgrind report: see target/bench-results/postgres-callgrind.txt")
Path("target/bench-results/postgres-ir.json").write_text(json.dumps(found, indent=1))
for scenario, sides in found.items():
    print(f"{scenario}: ours {sides.get('ours', 0):,.0f}, raw {sides.get('raw', 0):,.0f} instructions per "
          f"{'row' if scenario == 'insert_all' else 'operation'}")
PY
