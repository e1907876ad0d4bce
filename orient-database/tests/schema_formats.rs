//! `orient-db schema --format sql|mermaid|json|svg [--declared]`, driven as a process: every table and
//! foreign key is in the diagram, the JSON has its documented shape, the database is only read, and bad
//! input gets exit 2.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use orient_database::model::Schema;
use orient_database::schema::TABLES;
use orient_testkit::{Project, listing, run_in, sha256_file};
use serde_json::{Value, json};

const DB: &str = ".dev-data/instance-0/orient.db";

fn migrated() -> Project {
    let project = Project::new();
    let run = project.run(&["migrate"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    project
}

fn declared_foreign_keys() -> usize {
    Schema::from_declared(TABLES).foreign_key_count()
}

/// The `"table" {` lines and the relationship lines of an erDiagram.
fn mermaid_parts(text: &str) -> (Vec<String>, Vec<String>) {
    let blocks = text
        .lines()
        .filter_map(|l| l.strip_prefix("    \"")?.strip_suffix("\" {"))
        .map(str::to_owned)
        .collect();
    let relationships = text
        .lines()
        .filter(|l| l.starts_with("    \"") && l.contains(" : "))
        .map(|l| l.trim().to_owned())
        .collect();
    (blocks, relationships)
}

#[test]
fn mermaid_draws_every_table_and_foreign_key_of_the_database_and_changes_nothing() {
    let project = migrated();
    let db = project.path(DB);
    let before = (sha256_file(&db), listing(project.root()));
    let run = project.run(&["schema", "--format", "mermaid"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.starts_with("erDiagram\n"), "{run:?}");
    let (blocks, relationships) = mermaid_parts(&run.stdout);
    let mut expected: Vec<String> = TABLES.iter().map(|t| t.name.to_string()).collect();
    expected.sort();
    assert_eq!(blocks, expected);
    assert_eq!(blocks.len(), TABLES.len());
    assert_eq!(
        relationships.len(),
        declared_foreign_keys(),
        "{relationships:#?}"
    );
    // Parent on the left, cardinality from nullability and uniqueness, labelled with the column.
    for line in [
        "\"agents\" ||..o{ \"agent_skills\" : \"agent_id\"",
        "\"agents\" |o..o{ \"context_rules\" : \"agent_id\"",
        "\"dashboard_users\" ||..o| \"user_version_preferences\" : \"user_id\"",
        "\"feature_flags\" ||..o{ \"user_feature_flag_overrides\" : \"flag_id\"",
    ] {
        assert!(
            relationships.iter().any(|r| r == line),
            "{line} in {relationships:#?}"
        );
    }
    // The structs' logical types, not SQLite's storage types, and the key markers.
    for attribute in [
        "        text id PK\n",
        "        bool enabled \"nullable\"\n",
        "        timestamp created_at \"nullable\"\n",
        "        json skill_overrides \"nullable\"\n",
        "        bigint user_id FK, UK\n",
        "        text username UK\n",
        "        text agent_id FK\n",
    ] {
        assert!(
            run.stdout.contains(attribute),
            "{attribute:?} in\n{}",
            run.stdout
        );
    }
    assert!(
        !run.stdout.contains(" integer "),
        "SQLite's storage type leaked:\n{}",
        run.stdout
    );
    assert_eq!((sha256_file(&db), listing(project.root())), before);
}

#[test]
fn json_has_the_documented_shape_with_or_without_the_json_flag() {
    let project = migrated();
    let run = project.run(&["schema", "--format", "json"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let doc = run.json();
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["source"], "database");
    assert_eq!(
        doc["database"],
        project.path(DB).display().to_string().as_str()
    );
    let tables = doc["tables"].as_array().unwrap();
    assert_eq!(tables.len(), TABLES.len());
    let keys = |v: &Value| -> Vec<String> {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    for table in tables {
        assert_eq!(
            keys(table),
            ["columns", "foreign_keys", "indexes", "name", "primary_key"]
        );
        for column in table["columns"].as_array().unwrap() {
            assert_eq!(
                keys(column),
                [
                    "autoincrement",
                    "default",
                    "name",
                    "nullable",
                    "primary_key",
                    "type",
                    "unique"
                ]
            );
        }
    }
    let fks: usize = tables
        .iter()
        .map(|t| t["foreign_keys"].as_array().unwrap().len())
        .sum();
    assert_eq!(fks, declared_foreign_keys());
    let table = |name: &str| tables.iter().find(|t| t["name"] == name).unwrap().clone();
    let prefs = table("user_version_preferences");
    assert_eq!(prefs["primary_key"], json!(["id"]));
    assert_eq!(
        prefs["columns"][0],
        json!({ "name": "id", "type": "bigint", "nullable": false, "default": null,
                "primary_key": true, "autoincrement": true, "unique": false })
    );
    let enabled = prefs["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "notifications_enabled")
        .unwrap()
        .clone();
    assert_eq!(enabled["type"], "bool");
    assert_eq!(enabled["nullable"], true);
    assert!(enabled["default"].is_string(), "{enabled}");
    assert_eq!(
        prefs["foreign_keys"],
        json!([{ "columns": ["user_id"], "references": { "table": "dashboard_users", "columns": ["id"] },
                 "on_delete": "cascade", "on_update": "no_action", "nullable": false, "unique": true }])
    );
    assert!(
        prefs["indexes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["columns"] == json!(["user_id"]) && i["unique"] == true),
        "{prefs}"
    );
    // --json changes nothing: the document is JSON already.
    let flagged = project.run(&["--json", "schema", "--format", "json"], &[]);
    assert_eq!(flagged.stdout, run.stdout);
    // One table: only its entry.
    let one = project
        .run(&["schema", "agents", "--format", "json"], &[])
        .json();
    let names: Vec<&str> = one["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["agents"]);
}

#[test]
fn declared_needs_no_database_or_project_and_matches_a_migrated_database() {
    // A directory with no diesel.toml above it and no variables: nothing to find, nothing created.
    let empty = tempfile::tempdir().unwrap();
    for format in ["mermaid", "json", "svg", "sql"] {
        let run = run_in(
            empty.path(),
            &["schema", "--declared", "--format", format],
            &[],
        );
        assert_eq!(run.code, 0, "{format}: {run:?}");
        assert!(!run.stdout.is_empty(), "{format}");
    }
    assert!(
        listing(empty.path()).is_empty(),
        "{:?}",
        listing(empty.path())
    );

    let declared = run_in(
        empty.path(),
        &["schema", "--declared", "--format", "json"],
        &[],
    )
    .json();
    assert_eq!(declared["source"], "declared");
    assert_eq!(declared["database"], Value::Null);
    let project = migrated();
    let live = project.run(&["schema", "--format", "json"], &[]).json();
    // The same tables, columns, types, keys and foreign keys (defaults and index names may be spelled
    // differently by the database).
    let shape = |doc: &Value| -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for t in doc["tables"].as_array().unwrap() {
            let name = t["name"].as_str().unwrap();
            out.insert(format!("{name} key {}", t["primary_key"]));
            for c in t["columns"].as_array().unwrap() {
                out.insert(format!(
                    "{name}.{} {} nullable={} unique={}",
                    c["name"], c["type"], c["nullable"], c["unique"]
                ));
            }
            for f in t["foreign_keys"].as_array().unwrap() {
                out.insert(format!("{name} fk {f}"));
            }
        }
        out
    };
    assert_eq!(shape(&live), shape(&declared));

    let mermaid = run_in(
        empty.path(),
        &["schema", "--declared", "--format", "mermaid"],
        &[],
    );
    let (blocks, relationships) = mermaid_parts(&mermaid.stdout);
    assert_eq!(blocks.len(), TABLES.len());
    assert_eq!(relationships.len(), declared_foreign_keys());
    let sql = run_in(empty.path(), &["schema", "--declared", "agents"], &[]);
    assert_eq!(sql.code, 0, "{sql:?}");
    assert!(
        sql.stdout.starts_with("CREATE TABLE \"agents\" ("),
        "{sql:?}"
    );
}

#[test]
fn svg_draws_every_table_and_foreign_key() {
    let project = migrated();
    let run = project.run(&["schema", "--format", "svg"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let svg = &run.stdout;
    assert!(
        svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
        "{svg}"
    );
    assert!(svg.trim_end().ends_with("</svg>"));
    assert_eq!(svg.matches("<g class=\"er-table\" ").count(), TABLES.len());
    assert_eq!(
        svg.matches("<g class=\"er-link\" ").count(),
        declared_foreign_keys()
    );
    for table in TABLES {
        assert!(
            svg.contains(&format!("data-table=\"{}\"", table.name)),
            "{}",
            table.name
        );
    }
    assert!(
        !svg.contains("href="),
        "a file on its own has no links into the studio"
    );
}

#[test]
fn one_table_draws_it_with_its_neighbours() {
    let project = migrated();
    let run = project.run(&["schema", "agents", "--format", "mermaid"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let (blocks, relationships) = mermaid_parts(&run.stdout);
    assert_eq!(
        blocks,
        ["agent_skills", "agent_tools", "agents", "context_rules"]
    );
    assert_eq!(relationships.len(), 3, "{relationships:#?}");
    let json = project.run(&["--json", "schema", "agents", "--format", "mermaid"], &[]);
    let report = json.json();
    assert_eq!(report["format"], "mermaid");
    assert_eq!(report["source"], "database");
    assert_eq!(report["diagram"], run.stdout.as_str());
}

#[test]
fn bad_input_is_a_usage_error_and_creates_nothing() {
    let project = migrated();
    let before = listing(project.root());
    let format = project.run(&["schema", "--format", "png"], &[]);
    assert_eq!(format.code, 2, "{format:?}");
    assert!(format.stderr.contains("'png'"), "{format:?}");
    for value in ["sql", "mermaid", "json", "svg"] {
        assert!(format.stderr.contains(value), "{value} in {format:?}");
    }
    for args in [
        &["schema", "nope", "--format", "mermaid"][..],
        &["schema", "nope", "--format", "json"],
        &["schema", "nope", "--format", "svg"],
    ] {
        let run = project.run(args, &[]);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert!(run.stderr.contains("no table `nope` in "), "{run:?}");
        assert!(run.stderr.contains("agents"), "{run:?}");
    }
    let declared = project.run(
        &["schema", "nope", "--declared", "--format", "mermaid"],
        &[],
    );
    assert_eq!(declared.code, 2, "{declared:?}");
    assert!(
        declared
            .stderr
            .contains("no table `nope` among the declared structs"),
        "{declared:?}"
    );
    let json = project.run(&["--json", "schema", "nope", "--format", "json"], &[]);
    assert_eq!(json.code, 2, "{json:?}");
    assert_eq!(json.json()["error"]["exit_code"], 2);
    assert_eq!(listing(project.root()), before);

    // No database yet: refused, and still nothing created.
    let fresh = Project::new();
    let before = listing(fresh.root());
    for format in ["mermaid", "json", "svg"] {
        let run = fresh.run(&["schema", "--format", format], &[]);
        assert_eq!(run.code, 2, "{format}: {run:?}");
        assert!(run.stderr.contains("database file not found"), "{run:?}");
    }
    assert_eq!(listing(fresh.root()), before);
}
