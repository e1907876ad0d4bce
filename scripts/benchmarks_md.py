#!/usr/bin/env python3
"""Writes BENCHMARKS.md (on stdout) from the results of `cargo bench -p orient-tests` (criterion's
target/criterion/*/*/new/estimates.json, medians) and target/bench-results/*.json, then appends the
analysis kept in scripts/benchmark-notes.md."""
import json
import statistics
import os
import platform
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CRITERION = ROOT / "target" / "criterion"
RESULTS = ROOT / "target" / "bench-results"


def run_dirs():
    """The criterion directories of the repeated query runs, else the last run only."""
    runs = sorted(RESULTS.glob("queries-run-*"))
    return runs or [CRITERION]


def pg_run_dirs():
    """The criterion directories of the repeated PostgreSQL runs, else the last run only."""
    runs = sorted(RESULTS.glob("postgres-run-*"))
    return runs or [CRITERION]


def estimate(root, group, bench):
    path = root / group / bench / "new" / "estimates.json"
    if not path.exists():
        return None
    return json.loads(path.read_text())["median"]["point_estimate"]


def medians(group, bench):
    """The median of each run that measured this benchmark (the repeated runs first, then the last)."""
    runs = pg_run_dirs() if group.startswith("pg_") else run_dirs()
    found = [m for m in (estimate(r, group, bench) for r in runs) if m is not None]
    if not found:
        last = estimate(CRITERION, group, bench)
        found = [last] if last is not None else []
    return found


def median_ns(group, bench):
    found = medians(group, bench)
    return statistics.median(found) if found else None


def paired_ratios(group, ours_bench, ref_bench, invert):
    """The ratio in each run (ours and the reference measured in the same run), median and range."""
    ours, ref = medians(group, ours_bench), medians(group, ref_bench)
    ratios = [(o / r) if invert else (r / o) for o, r in zip(ours, ref)]
    return statistics.median(ratios), min(ratios), max(ratios), len(ratios)


def load(name):
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def human_time(ns):
    if ns is None:
        return "not measured"
    if ns >= 1e9:
        return f"{ns / 1e9:.2f} s"
    if ns >= 1e6:
        return f"{ns / 1e6:.1f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.0f} ns"


def machine():
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    rustc = subprocess.run(["rustc", "-V"], capture_output=True, text=True).stdout.strip()
    env = load("env") or {}
    return (f"{os.cpu_count()} × {cpu}{memory}, {platform.system()} {platform.release()}; {rustc}; "
            f"bundled SQLite {env.get('sqlite_version', '?')} built with "
            f"{', '.join(env.get('relevant_options', [])) or '?'}")


rows = []


def row(scenario, ours, reference, ratio_text, target, met):
    rows.append((scenario, ours, reference, ratio_text, target, "yes" if met else ("**no**" if met is not None else "–")))


def speed(group, ours_bench, ref_bench, label_ref, target_ratio, per_item=None, scenario=None, per_label=""):
    """Target as 'ours at least X × the reference's speed' (time_ref / time_ours)."""
    ours, ref = median_ns(group, ours_bench), median_ns(group, ref_bench)
    if ours is None or ref is None:
        row(scenario or group, human_time(ours), human_time(ref), "–", f"≥ {target_ratio}× {label_ref}", None)
        return
    ratio, low, high, runs = paired_ratios(group, ours_bench, ref_bench, invert=False)
    spread = f" ({low:.2f}–{high:.2f} over {runs} runs)" if runs > 1 else ""
    fmt = lambda ns: human_time(ns) + (f" ({per_item / (ns / 1e9):,.0f} {per_label}/s)" if per_item else "")
    row(scenario or group, fmt(ours), f"{fmt(ref)} {label_ref}", f"{ratio:.2f}× the speed{spread}",
        f"≥ {target_ratio}× {label_ref}" if target_ratio else "–", ratio >= target_ratio if target_ratio else None)


def cost(group, ours_bench, ref_bench, label_ref, target_ratio, scenario=None):
    """Target as 'ours costs at most X × the reference's time' (time_ours / time_ref)."""
    ours, ref = median_ns(group, ours_bench), median_ns(group, ref_bench)
    if ours is None or ref is None:
        row(scenario or group, human_time(ours), human_time(ref), "–", f"≤ {target_ratio}× {label_ref}", None)
        return
    ratio, low, high, runs = paired_ratios(group, ours_bench, ref_bench, invert=True)
    spread = f" ({low:.2f}–{high:.2f} over {runs} runs)" if runs > 1 else ""
    row(scenario or group, human_time(ours), f"{human_time(ref)} {label_ref}", f"{ratio:.2f}× the time{spread}",
        f"≤ {target_ratio}× {label_ref}" if target_ratio else "–",
        ratio <= target_ratio if target_ratio else None)


def absolute(scenario, group, bench, limit_ms):
    ns = median_ns(group, bench)
    row(scenario, human_time(ns), "–", "–", f"≤ {limit_ms} ms" if limit_ms else "–",
        (ns is not None and ns <= limit_ms * 1e6) if limit_ms else None)


def main():
    speed("insert_100k", "orient_insert_all", "raw_prepared", "raw", 0.95, 100_000,
          "insert 100k messages, generated `insert_all` (batched)", "rows")
    cost("insert_100k", "orient_insert_all", "diesel_best_pattern_batch", "hand-written best Diesel", 1.05,
         "generated batch insert vs hand-written best-pattern Diesel")
    speed("insert_100k", "orient_per_row", "raw_prepared", "raw", None, 100_000,
          "insert 100k messages, generated insert struct per row", "rows")
    speed("insert_100k", "diesel_default_derive_per_row", "raw_prepared", "raw", None, 100_000,
          "insert 100k, hand-written Diesel, default `Insertable`, per row (context)", "rows")
    speed("insert_100k", "diesel_default_derive_batch", "raw_prepared", "raw", None, 100_000,
          "insert 100k, hand-written Diesel, default `Insertable`, batches (context)", "rows")
    speed("point_lookup", "orient_get_result", "raw_prepared", "raw", 0.9, None,
          "point lookup by primary key (`find(id).get_result`)")
    speed("point_lookup", "orient_db_read", "raw_prepared", "raw", None, None,
          "point lookup through `db.read` (pool checkout included)")
    speed("point_lookup", "diesel_first", "raw_prepared", "raw", None, None,
          "point lookup with `find(id).first()` (context)")
    speed("filtered_100_rows", "orient", "raw_prepared", "raw", None, None,
          "filtered query on an indexed column (100 rows)")
    speed("load_all_100k", "orient", "raw_prepared", "raw", 0.9, 100_000,
          "load all 100k messages into structs", "rows")
    speed("join_agents_skills_1000", "orient", "raw_prepared", "raw", None, None,
          "join: 50 agents with their 1000 skills")

    concurrency = load("concurrency")
    if concurrency:
        row("4 readers + 1 writer (read-modify-write) through `db`, "
            f"{concurrency['seconds']:.0f} s",
            f"{concurrency['reads_per_second']:,.0f} reads/s, {concurrency['writes_per_second']:,.0f} writes/s "
            f"(write p50 {concurrency['write_latency_us']['p50']:.0f} µs, p99 {concurrency['write_latency_us']['p99']:.0f} µs)",
            "–", f"{concurrency['busy_errors']} busy/locked errors", "0 busy errors",
            concurrency["busy_errors"] == 0)
    else:
        row("4 readers + 1 writer through `db`", "not measured", "–", "–", "0 busy errors", None)

    absolute("migrate a fresh database (34 tables, 86 indexes)", "tooling", "migrate_fresh_database", None)
    absolute("`check` on an up-to-date database (34 tables)", "tooling", "check_up_to_date_34_tables", 20)
    absolute("no-op `push` (34 tables)", "tooling", "push_noop_34_tables", 20)
    absolute("full default seed (`orient-seed`, fresh database)", "seed", "full_seed", 50)
    absolute("idempotent seed re-run", "seed", "rerun", None)
    cost("rebuild_1m_rows", "orient_push", "raw_sql", "raw SQL", 1.2, "rebuild of a 1M-row table (push)")
    absolute("per-test database (`orient_database::testing`): copy of the template, ready", "per_test_database",
             "copy_of_template_ready", 2)
    cost("per_test_database", "copy_of_template_ready", "migrate_fresh_file_ready", "migrating a fresh file", None,
         "per-test database ready vs migrating a fresh file")
    cost("per_test_database", "copy_of_template", "migrate_fresh_file", "migrating a fresh file", None,
         "per-test database made, closed and deleted vs the same with migrating")
    absolute("studio: first page of a 1M-row table", "studio", "first_page_1m", 100)
    absolute("studio: next page of a 1M-row table", "studio", "next_page_1m", 100)

    compile = load("compile")
    if compile:
        for kind, label in [("clean_s", "clean build"), ("incremental_s", "incremental (one table edited)")]:
            ours, ref = compile["with_derive"][kind], compile["handwritten"][kind]
            ratio = ours / ref
            row(f"compile the 34 tables, {label} (CPU time)", f"{ours:.1f} s with `#[derive(Table)]`",
                f"{ref:.1f} s hand-written `table!` + Diesel derives", f"{ratio:.2f}× the time",
                "≤ 1.2× hand-written", ratio <= 1.2)

    print("# Benchmarks\n")
    print("Our layer against raw SQLite and hand-written Diesel, measured side by side in one run: each ")
    print("scenario's variants run in the same process on the same data, file database in WAL mode with ")
    print("`synchronous=NORMAL`. Figures are criterion medians (at least 10 samples each), never single runs;")
    print("the query scenarios run three times and show the median of the three paired ratios with their range.\n")
    print(f"Machine: {machine()}.\n")
    print("Regenerate with `scripts/bench.sh` (it runs `cargo bench -p orient-tests` and")
    print("`scripts/compile_time.py`, then this table), on a quiet machine.\n")
    print("| Scenario | Ours | Reference | Ratio | Target | Met |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    print()
    postgres_section()
    notes = ROOT / "scripts" / "benchmark-notes.md"
    if notes.exists():
        print(notes.read_text().rstrip())


def postgres_section():
    """Our layer on PostgreSQL against the `postgres` crate (tests/benches/postgres.rs)."""
    global rows
    rows = []
    speed("pg_point_lookup", "orient_db_read_native", "raw_prepared", "raw", 0.9, None,
          "point lookup by primary key in `native!` through `db.read` (pool checkout included)")
    speed("pg_point_lookup", "orient_native", "raw_prepared", "raw", None, None,
          "point lookup in `native!` on a checked-out connection")
    speed("pg_point_lookup", "orient_get_result", "raw_prepared", "raw", None, None,
          "point lookup written against `db::DbConnection` without `native!` (the enum)")
    speed("pg_point_lookup", "orient_db_read", "raw_prepared", "raw", None, None,
          "the same through `db.read`")
    speed("pg_point_lookup", "diesel_pg_connection", "raw_prepared", "raw", None, None,
          "point lookup, Diesel on `PgConnection` itself, the enum bypassed (context)")
    speed("pg_filtered_100_rows", "orient", "raw_prepared", "raw", None, None,
          "filtered query on an indexed column (100 rows)")
    speed("pg_load_all_100k", "orient", "raw_prepared", "raw", None, 100_000,
          "load all 100k messages into structs", "rows")
    speed("pg_join_agents_skills_1000", "orient", "raw_prepared", "raw", None, None,
          "join: 50 agents with their 1000 skills")
    speed("pg_insert_one_in_transaction", "orient", "raw_prepared", "raw", None, None,
          "insert one message in a transaction (`db.transaction`)")
    speed("pg_insert_all_100k", "orient_insert_all", "raw_copy", "raw COPY", 0.8, 100_000,
          "insert 100k messages, generated `insert_all` (one COPY)", "rows")
    speed("pg_insert_all_100k", "orient_chunked_insert", "raw_copy", "raw COPY", None, 100_000,
          "insert 100k messages in 1000-row INSERTs, as `insert_all` did before COPY (context)", "rows")
    if not any(r[1] != "not measured" for r in rows):
        return
    env = load("postgres-env") or {}
    print("## PostgreSQL\n")
    print("The same scenarios on PostgreSQL (`tests/benches/postgres.rs`, `--features postgres`): our layer "
          "(Diesel through `db::DbConnection`, the enum over both engines, and libpq) against raw prepared "
          "statements and raw binary COPY with the `postgres` crate (the synchronous client, tokio-postgres "
          "underneath), side by side in one process. Both sides reach the same throwaway server "
          f"(PostgreSQL {env.get('server_version', '?')}, {env.get('server_settings', '?')}) over the same "
          "Unix socket. Criterion medians; the groups run three times and each ratio is the median of the "
          "three paired ratios with its range. The server shares the 2 cores with the client and with "
          "everything else on the machine, so absolute times move by a quarter between runs.\n")
    print("| Scenario | Ours | Reference | Ratio | Target | Met |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    print()
    ir = load("postgres-ir")
    if ir:
        print("Client-side instructions per operation (per row for `insert_all`), counted by callgrind in "
              "the benchmark's process (`scripts/bench_postgres_ir.sh`; the server's work is not in "
              "them):\n")
        print("| Scenario | Ours | Ours in `native!` | Diesel on `PgConnection` | `postgres` crate | Ours ÷ crate |")
        print("|---|---|---|---|---|---|")
        for scenario, sides in ir.items():
            ours, native, raw, pg = (sides.get(k) for k in ("ours", "native", "raw", "pg"))
            fmt = lambda v: f"{v:,.0f}" if v else "–"
            print(f"| {scenario} | {fmt(ours)} | {fmt(native)} | {fmt(pg)} | {fmt(raw)} | "
                  f"{(ours / raw if ours and raw else 0):.2f}× |")
        print()


if __name__ == "__main__":
    main()
