#!/usr/bin/env python3
"""Compile time of the 34 Orient tables: with #[derive(Table)] against the same tables written by hand.

Generates two crates under target/compile-bench/ from orient-database/src/schema/*.rs:
  with_derive  - the schema files as they are (#[derive(Table)] + the Diesel derives), using orient-database
                 for the derive, the types and text_enum!;
  handwritten  - for every struct the diesel::table! the derive would emit, the struct with the same Diesel
                 derives, a New* Insertable struct (treat_none_as_default_value = false), joinable! and one
                 allow_tables_to_appear_in_same_query!: what a developer writes without the derive.
Both share one target directory, so dependencies are built once and only the crate itself is timed:
  clean        - `cargo clean -p <crate>` then `cargo build`;
  incremental  - a nullable column added to `agents`, then `cargo build`.
CPU time (user + system of cargo and rustc) is compared, wall time is reported beside it.
Each measurement is repeated (ORIENT_COMPILE_RUNS, default 3) and the median kept. Writes
target/bench-results/compile.json.
"""
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "orient-database" / "src" / "schema"
OUT = ROOT / "target" / "compile-bench"
RUNS = int(os.environ.get("ORIENT_COMPILE_RUNS", "3"))

DIESEL_TYPES = {
    "i32": "Integer", "i64": "BigInt", "bool": "Bool", "String": "Text", "f64": "Double",
    "Timestamp": "BigInt", "Vec<u8>": "Binary",
}

STRUCT_RE = re.compile(
    r"(?P<attrs>(?:#\[[^\n]*\]\n)+)pub struct (?P<name>\w+) \{\n(?P<body>.*?)\n\}", re.S)
FIELD_RE = re.compile(r"(?P<attrs>(?:    #\[orient\([^\n]*\)\]\n)*)    pub (?P<name>\w+): (?P<ty>[^\n]+),")


def diesel_type(rust: str, orient: str) -> str:
    nullable = rust.startswith("Option<")
    inner = rust[7:-1] if nullable else rust
    if inner.startswith("Json<"):
        base = "Text"
    elif "sql_type = text" in orient:
        base = "Text"
    else:
        base = DIESEL_TYPES[inner]
    return f"Nullable<{base}>" if nullable else base


def handwritten_module(source: str) -> str:
    """The hand-written equivalent of one schema file."""
    uses = re.findall(r"^use [^;]+;", source, re.M)
    uses = [u.replace("use crate::Table;", "").replace("crate::", "orient_database::") for u in uses]
    out = [u for u in uses if u]
    for m in STRUCT_RE.finditer(source):
        attrs, name, body = m.group("attrs"), m.group("name"), m.group("body")
        table = re.search(r'#\[orient\(table = "(\w+)"\)\]', attrs).group(1)
        fields = []
        for f in FIELD_RE.finditer(body):
            fields.append((f.group("name"), f.group("ty"), f.group("attrs")))
        pk = next(n for n, _, a in fields if "primary_key" in a)
        columns = []
        for n, ty, a in fields:
            col = re.search(r'column = "(\w+)"', a)
            rename = f'        #[sql_name = "{col.group(1)}"]\n' if col else ""
            columns.append(f"{rename}        {n} -> {diesel_type(ty, a)},")
        out.append(f"diesel::table! {{\n    {table} ({pk}) {{\n" + "\n".join(columns) + "\n    }\n}")
        for n, ty, a in fields:
            ref = re.search(r"references = (\w+)::(\w+)", a)
            if ref:
                out.append(f"diesel::joinable!({table} -> {ref.group(1)} ({n}));")
        derive_line = [l for l in attrs.splitlines() if l.startswith("#[derive(")][0]
        diesel_line = [l for l in attrs.splitlines() if l.startswith("#[diesel(")][0]
        out.append(derive_line.replace("Table, ", ""))
        out.append(diesel_line)
        out.append(f"pub struct {name} {{")
        out.extend(f"    pub {n}: {ty}," for n, ty, _ in fields)
        out.append("}")
        insertable = [(n, ty) for n, ty, a in fields if "autoincrement" not in a]
        out.append("#[derive(diesel::Insertable, Debug, Clone)]")
        out.append(f"#[diesel(table_name = {table}, treat_none_as_default_value = false)]")
        out.append(f"pub struct New{name} {{")
        out.extend(f"    pub {n}: {ty}," for n, ty in insertable)
        out.append("}")
    return "\n".join(out) + "\n"


def derive_module(source: str) -> str:
    return (source.replace("use crate::Table;", "use orient_database::Table;")
            .replace("crate::register_tables!", "orient_database::register_tables!")
            .replace("use crate::", "use orient_database::"))


def write_crate(name: str, modules: dict, registry: str):
    crate = OUT / name
    if crate.exists():
        shutil.rmtree(crate)
    (crate / "src").mkdir(parents=True)
    (crate / "Cargo.toml").write_text(f"""[package]
name = "{name}"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
diesel = {{ version = "2.3.14", default-features = false, features = ["sqlite", "32-column-tables"] }}
orient-database = {{ path = "{ROOT / 'orient-database'}" }}

[workspace]
""")
    lib = ["#![allow(dead_code, unused_imports)]"]
    for module, text in modules.items():
        (crate / "src" / f"{module}.rs").write_text(text)
        lib.append(f"pub mod {module};")
        lib.append(f"pub use {module}::*;")
    lib.append(registry)
    (crate / "src" / "lib.rs").write_text("\n".join(lib) + "\n")


def build(crate: str) -> tuple:
    """(wall seconds, CPU seconds of cargo and rustc). CPU time is what the ratio uses: other load on the
    machine stretches wall time far more than it changes the work done."""
    env = dict(os.environ, CARGO_TARGET_DIR=str(OUT / "target"))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    subprocess.run(["cargo", "build", "-q"], cwd=OUT / crate, env=env, check=True)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main():
    files = {p.stem: p.read_text() for p in sorted(SCHEMA.glob("*.rs"))}
    registry_source = files.pop("mod")
    pairs = re.findall(r"^    (\w+) => (\w+),$", registry_source, re.M)
    domains = files.pop("domains").replace("use crate::text_enum;", "use orient_database::text_enum;")
    derive_registry = "orient_database::register_tables! {\n" + "\n".join(f"    {t} => {s}," for t, s in pairs) + "\n}"
    hand_registry = "diesel::allow_tables_to_appear_in_same_query!(" + ", ".join(t for t, _ in pairs) + ");"

    write_crate("with_derive", {"domains": domains, **{m: derive_module(t) for m, t in files.items()}}, derive_registry)
    write_crate("handwritten", {"domains": domains, **{m: handwritten_module(t) for m, t in files.items()}}, hand_registry)

    results = {}
    for crate in ["with_derive", "handwritten"]:
        build(crate)  # dependencies, untimed
        clean, incremental = [], []
        agents_file = OUT / crate / "src" / "agent_registry.rs"
        original = agents_file.read_text()
        for _ in range(RUNS):
            env = dict(os.environ, CARGO_TARGET_DIR=str(OUT / "target"))
            subprocess.run(["cargo", "clean", "-q", "-p", crate], cwd=OUT / crate, env=env, check=True)
            clean.append(build(crate))
            agents_file.write_text(original.replace(
                "    pub base_prompt: Option<String>,\n",
                "    pub base_prompt: Option<String>,\n    pub nickname: Option<String>,\n", 1)
                .replace("        base_prompt -> Nullable<Text>,\n",
                         "        base_prompt -> Nullable<Text>,\n        nickname -> Nullable<Text>,\n", 1))
            incremental.append(build(crate))
            agents_file.write_text(original)
            build(crate)
        results[crate] = {
            "clean_s": statistics.median(c for _, c in clean),
            "incremental_s": statistics.median(c for _, c in incremental),
            "clean_wall_s": statistics.median(w for w, _ in clean),
            "incremental_wall_s": statistics.median(w for w, _ in incremental),
            "clean_runs": clean, "incremental_runs": incremental,
        }
        r = results[crate]
        print(f"{crate}: clean {r['clean_s']:.1f} s CPU ({r['clean_wall_s']:.1f} s wall), "
              f"incremental {r['incremental_s']:.1f} s CPU ({r['incremental_wall_s']:.1f} s wall)", file=sys.stderr)
    out = ROOT / "target" / "bench-results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "compile.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
