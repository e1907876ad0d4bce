//! `orient-db lint` and `check --lint`, driven as a process on real migration files: exit codes 0/5/2,
//! --json, FILE arguments, allows with and without a reason, the repository's own migrations, and the
//! findings `generate` writes into its header.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use orient_testkit::{Engine, Project, Run};

/// Writes `<dir>/<version>/up.sql` (and an empty-effect down.sql).
fn write_migration(project: &Project, dir: &str, version: &str, up: &str) {
    let path = project.path(&format!("{dir}/{version}"));
    std::fs::create_dir_all(&path).unwrap();
    std::fs::write(path.join("up.sql"), up).unwrap();
    std::fs::write(path.join("down.sql"), "SELECT 1;\n").unwrap();
}

/// The same version in both directories: PostgreSQL's `postgres`, SQLite's `sqlite`.
fn write_both(project: &Project, version: &str, postgres: &str, sqlite: &str) {
    write_migration(project, "migrations/postgres", version, postgres);
    write_migration(project, "migrations/sqlite", version, sqlite);
}

fn codes(report: &serde_json::Value, key: &str) -> Vec<String> {
    report[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_owned())
        .collect()
}

fn lint(project: &Project, args: &[&str]) -> (Run, serde_json::Value) {
    let mut all = vec!["--json", "lint"];
    all.extend_from_slice(args);
    let run = project.run(&all, &[]);
    let json = run.json();
    (run, json)
}

#[test]
fn the_repositorys_own_migrations_lint_clean() {
    let repository = orient_testkit::files::repository();
    let run = Run::from_output(&orient_testkit::process::command_in(
        &orient_testkit::process::binary("orient-db"),
        &repository,
        &["lint"],
        &[],
    ));
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains("ok: no lint findings in 4 migration files"),
        "{run:?}"
    );
}

#[test]
fn findings_exit_5_with_code_file_line_why_and_alternative() {
    let project = Project::with_migrations();
    let (clean, report) = lint(&project, &[]);
    assert_eq!(clean.code, 0, "{clean:?}");
    assert_eq!(report["clean"], true);
    assert_eq!(
        report["files"].as_array().map(Vec::len),
        Some(4),
        "{report}"
    );

    let version = "2026-03-01-000000_hazards";
    write_both(
        &project,
        version,
        "-- agents existed before this migration: both statements lock it.\n\
         CREATE INDEX idx_agents_name ON agents (name);\n\
         ALTER TABLE agents ALTER COLUMN created_at TYPE integer;\n",
        "ALTER TABLE agents RENAME COLUMN description TO summary;\n",
    );
    let (run, report) = lint(&project, &[]);
    assert_eq!(run.code, 5, "{run:?}");
    assert_eq!(report["clean"], false);
    assert_eq!(
        codes(&report, "findings"),
        ["OL202", "OL301", "OL302", "OL103"]
    );
    let index = &report["findings"][1];
    assert_eq!(
        index["file"],
        format!("migrations/postgres/{version}/up.sql"),
        "{report}"
    );
    assert_eq!(index["line"], 2);
    assert_eq!(index["category"], "postgres-lock");
    assert_eq!(
        index["statement"],
        "CREATE INDEX idx_agents_name ON agents (name)"
    );
    assert!(
        index["why"].as_str().unwrap().contains("SHARE lock"),
        "{index}"
    );
    assert!(
        index["instead"].as_str().unwrap().contains("CONCURRENTLY"),
        "{index}"
    );

    // Text for people names file:line and the code.
    let text = project.run(&["lint"], &[]);
    assert_eq!(text.code, 5);
    assert!(
        text.stdout
            .contains(&format!("migrations/sqlite/{version}/up.sql:1: OL202 renames column `agents`.`description` to `summary`")),
        "{text:?}"
    );
    assert!(
        text.stdout.contains("4 lint findings in 6 migration files"),
        "{text:?}"
    );
}

#[test]
fn files_named_on_the_command_line_keep_their_directorys_context() {
    let project = Project::with_migrations();
    let version = "2026-03-01-000000_index";
    write_both(
        &project,
        version,
        "CREATE INDEX idx_agents_name ON agents (name);\n",
        "CREATE INDEX idx_agents_name ON agents (name);\n",
    );
    let postgres = format!("migrations/postgres/{version}/up.sql");
    let (run, report) = lint(&project, &[&postgres]);
    assert_eq!(run.code, 5, "{run:?}");
    assert_eq!(
        codes(&report, "findings"),
        ["OL301"],
        "agents is an existing table"
    );
    assert_eq!(report["files"], serde_json::json!([postgres]));
    let (sqlite, _) = lint(&project, &[&format!("migrations/sqlite/{version}/up.sql")]);
    assert_eq!(sqlite.code, 0, "no CONCURRENTLY on SQLite: {sqlite:?}");

    // A file elsewhere needs --engine; a file that does not exist is a usage error.
    std::fs::write(project.path("loose.sql"), "DROP TABLE agents;\n").unwrap();
    let unknown = project.run(&["lint", "loose.sql"], &[]);
    assert_eq!(unknown.code, 2, "{unknown:?}");
    assert!(
        unknown.stderr.contains("loose.sql") && unknown.stderr.contains("--engine"),
        "{unknown:?}"
    );
    let (loose, report) = lint(&project, &["--engine", "sqlite", "loose.sql"]);
    assert_eq!(loose.code, 5, "{loose:?}");
    assert_eq!(codes(&report, "findings"), ["OL101"]);
    let missing = project.run(&["lint", "migrations/postgres/nope/up.sql"], &[]);
    assert_eq!(missing.code, 2, "{missing:?}");
    assert!(
        missing
            .stderr
            .contains("migrations/postgres/nope/up.sql: no such file"),
        "{missing:?}"
    );
}

#[test]
fn an_allow_needs_a_reason() {
    let project = Project::with_migrations();
    let version = "2026-03-01-000000_drop_description";
    let drop = "ALTER TABLE agents DROP COLUMN description;\n";
    write_both(
        &project,
        version,
        &format!("-- orient:allow OL102 descriptions moved to agent_skills in 2026-02\n{drop}"),
        &format!("-- orient:allow OL102\n{drop}"),
    );
    let (run, report) = lint(&project, &[]);
    assert_eq!(run.code, 5, "{run:?}");
    // SQLite's allow has no reason: it is a finding and accepts nothing.
    assert_eq!(codes(&report, "findings"), ["OL001", "OL102"]);
    assert!(
        report["findings"][0]["file"]
            .as_str()
            .unwrap()
            .contains("migrations/sqlite/")
    );
    assert_eq!(codes(&report, "allowed"), ["OL102"]);
    assert_eq!(
        report["allowed"][0]["allowed"],
        "descriptions moved to agent_skills in 2026-02"
    );

    write_migration(
        &project,
        "migrations/sqlite",
        version,
        &format!("-- orient:allow OL102 descriptions moved to agent_skills in 2026-02\n{drop}"),
    );
    let (run, report) = lint(&project, &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(codes(&report, "allowed"), ["OL102", "OL102"]);
}

#[test]
fn check_lint_exits_5_on_findings_that_are_not_drift() {
    let project = Project::with_migrations();
    // Schema-neutral, so only the linter objects: an index built and dropped again.
    write_both(
        &project,
        "2026-03-01-000000_neutral",
        "CREATE INDEX idx_tmp ON agents (name);\nDROP INDEX idx_tmp;\n",
        "SELECT 1;\n",
    );
    let plain = project.run(&["check", "--no-database"], &[]);
    assert_eq!(plain.code, 0, "{plain:?}");
    let linted = project.run(&["--json", "check", "--no-database", "--lint"], &[]);
    assert_eq!(linted.code, 5, "{linted:?}");
    let report = linted.json();
    assert_eq!(report["clean"], false);
    assert_eq!(codes(&report["lint"], "findings"), ["OL301"]);
}

orient_testkit::on_each_engine! {
    /// `generate` lists the findings of what it writes in the header; with an allow (and its reason)
    /// added, the migration lints clean and still applies on the engine.
    fn generated_findings_are_in_the_header_and_an_allowed_migration_still_applies(project: Project) {
        project.add_migrations();
        let extra = "2026-03-01-000000_legacy_by_hand";
        write_both(
            &project,
            extra,
            "ALTER TABLE agents ADD COLUMN legacy text;\n",
            "ALTER TABLE agents ADD COLUMN legacy text;\n",
        );
        let generate = project.run(&["--json", "generate", "drop_legacy"], &[]);
        assert_eq!(generate.code, 0, "{generate:?}");
        let report = generate.json();
        let name = report["generated"].as_str().unwrap().to_owned();
        assert_eq!(codes(&report, "lint"), ["OL102", "OL102"], "{report}");
        for dir in ["sqlite", "postgres"] {
            let up_path = project.path(&format!("migrations/{dir}/{name}/up.sql"));
            let up = std::fs::read_to_string(&up_path).unwrap();
            assert!(up.contains("-- `orient-db lint` findings in this up.sql"), "{up}");
            assert!(up.contains("--   OL102 drops column `agents`.`legacy` (guarded"), "{up}");
            // The finding's line is the statement's line in the written file.
            let finding = report["lint"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["file"].as_str().unwrap().contains(&format!("/{dir}/")))
                .unwrap();
            let line = finding["line"].as_u64().unwrap() as usize;
            assert!(
                up.lines().nth(line - 1).unwrap().contains("DROP COLUMN \"legacy\""),
                "line {line} of {up}"
            );
            allow_before_line(&up_path, line, "-- orient:allow OL102 legacy was never read by any release");
        }
        let (run, _) = lint(&project, &[]);
        assert_eq!(run.code, 0, "{run:?}");
        // The binary migrates with its embedded migrations; the two new ones are applied by hand.
        let migrate = project.run(&["migrate"], &[]);
        assert_eq!(migrate.code, 0, "{migrate:?}");
        project.execute("ALTER TABLE agents ADD COLUMN legacy text;");
        let dir = match project.engine() {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        };
        let up = std::fs::read_to_string(project.path(&format!("migrations/{dir}/{name}/up.sql")))
            .unwrap();
        assert!(up.contains("-- orient:allow OL102"), "{up}");
        project.try_execute(&up).unwrap();
        let columns = project.rows(match project.engine() {
            Engine::Sqlite => "SELECT name AS value FROM pragma_table_info('agents') WHERE name = 'legacy'",
            Engine::Postgres => {
                "SELECT column_name AS value FROM information_schema.columns WHERE table_name = 'agents' \
                 AND column_name = 'legacy' AND table_schema = current_schema()"
            }
        });
        assert!(columns.is_empty(), "{columns:?}");
    }
}

/// Inserts `allow` as a line of its own before line `line` (1-based) of `path`.
fn allow_before_line(path: &Path, line: usize, allow: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.insert(line - 1, allow);
    std::fs::write(path, format!("{}\n", lines.join("\n"))).unwrap();
}
