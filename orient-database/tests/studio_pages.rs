//! What the studio's pages show and do, through its HTTP API on the real binary: keyset pages in both
//! directions and every sort order, filters, references, edits, inserts, deletes with their cascades,
//! and living beside other writers (no pinned WAL, schema changes noticed). Each test body runs on both
//! engines (`on_each_engine!` at the end) unless it is about SQLite's files.
#![cfg(feature = "studio")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod studio_support;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use serde_json::{Value, json};

use studio_support::{DB_FILE, Engine, Sample, Studio, connect, sample_project};

/// The ids of messages in `order` (a WHERE and ORDER BY clause), read from the database itself.
fn ids(sample: &Sample, order: &str) -> Vec<i64> {
    sample
        .texts(&format!(
            "SELECT CAST(id AS TEXT) AS t FROM messages {order}"
        ))
        .iter()
        .map(|id| id.parse().unwrap())
        .collect()
}

fn enc(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Pages through `base` with `after` cursors, then back with `before` cursors; returns the keys of
/// each direction (the backward one put back in forward order).
fn walk(studio: &Studio, base: &str) -> (Vec<i64>, Vec<i64>) {
    let sep = if base.contains('?') { '&' } else { '?' };
    let key = |row: &Value| row["key"].as_str().unwrap().parse::<i64>().unwrap();
    let mut forward = Vec::new();
    let mut pages = Vec::new();
    let mut target = base.to_owned();
    loop {
        let page = studio.get(&target);
        assert_eq!(page.status, 200, "{target}: {page:?}");
        let page = page.json();
        forward.extend(page["rows"].as_array().unwrap().iter().map(key));
        pages.push(page.clone());
        match page["next"].as_str() {
            Some(next) => target = format!("{base}{sep}after={}", enc(next)),
            None => break,
        }
    }
    // Backwards from the last page.
    let mut backward: Vec<i64> = Vec::new();
    let mut page = pages.last().unwrap().clone();
    backward.splice(0..0, page["rows"].as_array().unwrap().iter().map(key));
    while let Some(prev) = page["prev"].as_str().map(str::to_owned) {
        let response = studio.get(&format!("{base}{sep}before={}", enc(&prev)));
        assert_eq!(response.status, 200, "{response:?}");
        page = response.json();
        let rows: Vec<i64> = page["rows"].as_array().unwrap().iter().map(key).collect();
        assert!(!rows.is_empty(), "an empty page before {prev}");
        backward.splice(0..0, rows);
    }
    (forward, backward)
}

fn keyset_pages_walk_every_sort_order_both_ways_without_gaps(engine: Engine) {
    let Some(sample) = Sample::new(engine, 1000) else {
        return;
    };
    let studio = Studio::on(&sample, &[]);
    let before = sample.fingerprint();
    // (page URL, the same order in SQL). group_id is NULL in four rows of five (the studio sorts NULLs
    // first ascending, last descending, on both engines); is_group has two values, so runs of equal
    // values span many pages.
    let orders = [
        ("/api/tables/messages/rows?limit=70", "ORDER BY id"),
        (
            "/api/tables/messages/rows?limit=70&dir=desc",
            "ORDER BY id DESC",
        ),
        (
            "/api/tables/messages/rows?limit=70&sort=timestamp&dir=desc",
            "ORDER BY timestamp DESC, id DESC",
        ),
        (
            "/api/tables/messages/rows?limit=70&sort=group_id",
            "ORDER BY group_id NULLS FIRST, id",
        ),
        (
            "/api/tables/messages/rows?limit=70&sort=group_id&dir=desc",
            "ORDER BY group_id DESC NULLS LAST, id DESC",
        ),
        (
            "/api/tables/messages/rows?limit=70&sort=is_group",
            "ORDER BY is_group, id",
        ),
        (
            "/api/tables/messages/rows?limit=70&sort=media_type&dir=desc",
            "ORDER BY media_type DESC NULLS LAST, id DESC",
        ),
        (
            "/api/tables/messages/rows?limit=70&sort=phone&eq.is_group=false",
            "WHERE NOT is_group ORDER BY phone, id",
        ),
        (
            "/api/tables/messages/rows?limit=33&sort=group_id&has.text=number%2099",
            "WHERE text LIKE '%number 99%' ORDER BY group_id NULLS FIRST, id",
        ),
        (
            "/api/tables/messages/rows?limit=70&notnull.media_type",
            "WHERE media_type IS NOT NULL ORDER BY id",
        ),
    ];
    for (url, order) in orders {
        let expected = ids(&sample, order);
        let (forward, backward) = walk(&studio, url);
        assert_eq!(forward, expected, "{url}");
        assert_eq!(backward, expected, "{url} backwards");
    }
    // A cursor made for one order is refused by another.
    let page = studio
        .get("/api/tables/messages/rows?sort=timestamp")
        .json();
    let cursor = enc(page["next"].as_str().unwrap());
    let response = studio.get(&format!(
        "/api/tables/messages/rows?sort=phone&after={cursor}"
    ));
    assert_eq!(response.status, 400, "{response:?}");
    studio.stop();
    assert_eq!(sample.fingerprint(), before);
}

fn pages_show_declared_types_and_links(engine: Engine) {
    let Some(sample) = Sample::new(engine, 20) else {
        return;
    };
    let studio = Studio::on(&sample, &[]);
    let tables = studio.get("/api/tables").json();
    let names: Vec<&str> = tables["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 34, "{names:?}");
    let agents = tables["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "agents")
        .unwrap();
    assert_eq!(agents["rows"], 5);
    assert_eq!(agents["status"], "ok");

    let page = studio.get("/api/tables/context_rules/rows").json();
    let columns = page["table"]["columns"].as_array().unwrap();
    let column = |name: &str| columns.iter().find(|c| c["name"] == name).unwrap().clone();
    assert_eq!(column("created_at")["type"], "timestamp");
    assert_eq!(column("skill_overrides")["type"], "json");
    assert_eq!(column("agent_id")["references"]["table"], "agents");
    assert_eq!(column("agent_id")["references"]["to_key"], true);
    assert_eq!(page["rows"].as_array().unwrap().len(), 6);
    let enabled = studio.get("/api/tables/agents/rows").json()["table"]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "enabled")
        .unwrap()["type"]
        .clone();
    assert_eq!(enabled, "bool");

    // An agent lists its skills, tools and context rules.
    let row = studio.get("/api/tables/agents/rows/ori").json();
    let referencing: Vec<(String, i64)> = row["referenced_by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["table"]["name"].as_str().unwrap().to_owned(),
                r["count"].as_i64().unwrap(),
            )
        })
        .collect();
    for expected in [
        ("agent_skills", 6),
        ("agent_tools", 5),
        ("context_rules", 4),
    ] {
        assert!(
            referencing.contains(&(expected.0.to_owned(), expected.1)),
            "{expected:?} in {referencing:?}"
        );
    }
    let skills = row["referenced_by"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["table"]["name"] == "agent_skills")
        .unwrap();
    assert_eq!(skills["filter"], json!([["eq.agent_id", "ori"]]));
    let filtered = studio
        .get("/api/tables/agent_skills/rows?eq.agent_id=ori")
        .json();
    assert_eq!(filtered["rows"].as_array().unwrap().len(), 6);
    assert_eq!(studio.get("/api/tables/agents/rows/nobody").status, 404);

    let schema = studio.get("/api/schema").json();
    assert_eq!(schema["clean"], true);
    let migrations = studio.get("/api/migrations").json();
    assert_eq!(migrations["applied"].as_array().unwrap().len(), 2);
    assert!(migrations["applied"][0]["checksum"].as_str().unwrap().len() == 64);
    assert_eq!(migrations["pending"].as_array().unwrap().len(), 0);
    studio.stop();
}

fn edits_are_checked_against_the_declared_types_and_saved_in_one_transaction(engine: Engine) {
    let Some(sample) = Sample::new(engine, 5) else {
        return;
    };
    let studio = Studio::on(&sample, &["--write"]);
    let before = sample.fingerprint();
    let bad = [
        json!({ "values": { "enabled": "maybe" } }),
        json!({ "values": { "created_at": "yesterday" } }),
        json!({ "values": { "name": null } }),
        json!({ "values": { "name": 5 } }),
        json!({ "values": { "id": "ori2" } }),
        // One good value and one bad: nothing is written.
        json!({ "values": { "description": "fine", "enabled": "perhaps" } }),
    ];
    for body in bad {
        let response = studio.send("PUT", "/api/tables/agents/rows/ori", &body);
        assert_eq!(response.status, 400, "{body}: {response:?}");
        assert_eq!(sample.fingerprint(), before, "{body}");
    }
    let response = studio.send(
        "PUT",
        "/api/tables/context_rules/rows/2",
        &json!({ "values": { "skill_overrides": "[1, 2" } }),
    );
    assert_eq!(response.status, 400, "{response:?}");
    assert!(response.error().contains("JSON"), "{response:?}");

    let saved = studio.send(
        "PUT",
        "/api/tables/agents/rows/ori",
        &json!({ "values": {
            "description": "Edited in the studio",
            "enabled": "false",
            "updated_at": "2026-03-01 12:00:00",
            "base_prompt": null
        } }),
    );
    assert_eq!(saved.status, 200, "{saved:?}");
    let saved = saved.json();
    let columns = saved["table"]["columns"].as_array().unwrap();
    let value = |name: &str| {
        let i = columns.iter().position(|c| c["name"] == name).unwrap();
        saved["row"]["values"][i].clone()
    };
    assert_eq!(value("description"), "Edited in the studio");
    assert_eq!(value("enabled"), 0);
    assert_eq!(value("updated_at"), 1_772_366_400);
    assert_eq!(value("base_prompt"), Value::Null);
    let json_saved = studio.send(
        "PUT",
        "/api/tables/context_rules/rows/2",
        &json!({ "values": { "skill_overrides": "[\n  \"disable:x\"\n]" } }),
    );
    assert_eq!(json_saved.status, 200, "{json_saved:?}");
    studio.stop();

    assert_eq!(
        sample.texts(
            "SELECT description || ' / ' || CASE WHEN enabled THEN 'on' ELSE 'off' END \
             FROM agents WHERE id = 'ori'"
        ),
        ["Edited in the studio / off"]
    );
}

fn inserts_fill_defaults_and_name_what_is_missing(engine: Engine) {
    let Some(sample) = Sample::new(engine, 0) else {
        return;
    };
    let studio = Studio::on(&sample, &["--write"]);
    let missing = studio.send(
        "POST",
        "/api/tables/agents/rows",
        &json!({ "values": { "id": "helper" } }),
    );
    assert_eq!(missing.status, 400, "{missing:?}");
    assert!(missing.error().contains("`name`"), "{missing:?}");

    let created = studio.send(
        "POST",
        "/api/tables/agent_skills/rows",
        &json!({ "values": { "agent_id": "ori", "skill_name": "new-skill" } }),
    );
    assert_eq!(created.status, 200, "{created:?}");
    let created = created.json();
    assert_eq!(created["row"]["key"], "14");
    let columns = created["table"]["columns"].as_array().unwrap();
    let value = |name: &str| {
        created["row"]["values"][columns.iter().position(|c| c["name"] == name).unwrap()].clone()
    };
    assert_eq!(value("enabled"), 1, "the SQL default");
    assert!(
        value("created_at").as_i64().unwrap() > 1_769_936_400,
        "default_now: {created}"
    );

    // A foreign key to nothing is refused by the database: 409, nothing written.
    let orphan = studio.send(
        "POST",
        "/api/tables/agent_skills/rows",
        &json!({ "values": { "agent_id": "nobody", "skill_name": "x" } }),
    );
    assert_eq!(orphan.status, 409, "{orphan:?}");
    studio.stop();
}

fn deletes_show_their_cascades_first_and_need_them_confirmed(engine: Engine) {
    let Some(sample) = Sample::new(engine, 0) else {
        return;
    };
    let studio = Studio::on(&sample, &["--write"]);
    let plan = studio.get("/api/tables/agents/rows/ori/delete");
    assert_eq!(plan.status, 200, "{plan:?}");
    let plan = plan.json();
    let effects: Vec<(String, String, i64)> = plan["effects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["table"].as_str().unwrap().to_owned(),
                e["action"].as_str().unwrap().to_owned(),
                e["rows"].as_i64().unwrap(),
            )
        })
        .collect();
    for expected in [
        ("agent_skills", "delete", 6),
        ("agent_tools", "delete", 5),
        ("context_rules", "set_null", 4),
    ] {
        assert!(
            effects.contains(&(expected.0.into(), expected.1.into(), expected.2)),
            "{expected:?} in {effects:?}"
        );
    }
    assert_eq!(plan["blocked"], false);

    // Confirming something else (the rows changed since, or a forged body) is refused.
    let before = sample.fingerprint();
    for confirm in [
        json!([]),
        json!([{ "table": "agent_skills", "columns": ["agent_id"], "action": "delete", "rows": 1, "depth": 1 }]),
    ] {
        let response = studio.send(
            "DELETE",
            "/api/tables/agents/rows/ori",
            &json!({ "confirm": confirm }),
        );
        assert_eq!(response.status, 409, "{response:?}");
        assert_eq!(sample.fingerprint(), before);
    }
    let response = studio.send(
        "DELETE",
        "/api/tables/agents/rows/ori",
        &json!({ "confirm": plan["effects"] }),
    );
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(studio.get("/api/tables/agents/rows/ori").status, 404);
    assert_eq!(
        studio
            .get("/api/tables/agent_skills/count?eq.agent_id=ori")
            .json()["count"],
        0
    );
    assert_eq!(
        studio
            .get("/api/tables/context_rules/count?null.agent_id")
            .json()["count"],
        6
    );
    studio.stop();
}

#[test]
fn the_studio_never_pins_the_wal_and_notices_schema_changes() {
    let project = sample_project(100);
    let db = project.path(DB_FILE);
    let studio = Studio::start(&project, &[]);
    // The page is open: a table page has been read, and is polled while another process writes.
    assert_eq!(
        studio
            .get("/api/tables/messages/rows?sort=timestamp")
            .status,
        200
    );
    let mut writer = connect(&db);
    for round in 0..20 {
        writer
            .batch_execute(&format!(
                "BEGIN IMMEDIATE; UPDATE messages SET text = 'round {round}' WHERE id <= 50; COMMIT;"
            ))
            .unwrap();
        studio_support::insert_messages(&mut writer, 50);
        assert_eq!(
            studio
                .get("/api/tables/messages/rows?sort=timestamp&dir=desc")
                .status,
            200
        );
        assert_eq!(studio.get("/api/tables").status, 200);
    }
    // A full checkpoint succeeds with the studio open: it holds no read transaction between requests.
    #[derive(QueryableByName)]
    struct Checkpoint {
        #[diesel(sql_type = BigInt)]
        busy: i64,
        #[diesel(sql_type = BigInt)]
        log: i64,
        #[diesel(sql_type = BigInt)]
        checkpointed: i64,
    }
    let result: Checkpoint = diesel::sql_query("PRAGMA wal_checkpoint(TRUNCATE)")
        .get_result(&mut writer)
        .unwrap();
    assert_eq!(result.busy, 0, "a reader pinned the WAL");
    assert_eq!(result.log, result.checkpointed);
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    assert_eq!(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0), 0);

    // Another process changes the schema: the next request sees it (no "no such column").
    writer
        .batch_execute("ALTER TABLE agents ADD COLUMN nickname TEXT; ALTER TABLE agents DROP COLUMN base_prompt;")
        .unwrap();
    let page = studio.get("/api/tables/agents/rows");
    assert_eq!(page.status, 200, "{page:?}");
    let names: Vec<String> = page.json()["table"]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect();
    assert!(names.contains(&"nickname".to_owned()), "{names:?}");
    assert!(!names.contains(&"base_prompt".to_owned()), "{names:?}");
    let tables = studio.get("/api/tables").json();
    let agents = tables["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "agents")
        .unwrap()
        .clone();
    assert_eq!(agents["status"], "drift", "{agents}");
    assert_eq!(agents["differences"], 2, "{agents}");
    writer
        .batch_execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        .unwrap();
    let tables = studio.get("/api/tables").json();
    assert!(
        tables["tables"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "notes" && t["status"] == "undeclared")
    );
    let notes = studio.get("/api/tables/notes/rows");
    assert_eq!(notes.status, 200, "{notes:?}");
    // Its INTEGER key is a 64-bit integer, not the model's 32-bit `integer`.
    let big = studio.get("/api/tables/notes/count?eq.id=5000000000");
    assert_eq!(big.json()["count"], 0, "{big:?}");
    drop(writer);
    studio.stop();
}

fn the_seed_page_compares_the_database_with_the_seed_data(engine: Engine) {
    let Some(sample) = Sample::new(engine, 0) else {
        return;
    };
    sample.execute("DROP TABLE chat_permissions;");
    if engine == Engine::Sqlite {
        studio_support::checkpoint(&mut connect(&sample.project.path(DB_FILE)));
    }
    let before = sample.fingerprint();
    let studio = Studio::on(&sample, &[]);
    let seed = studio.get("/api/seed");
    assert_eq!(seed.status, 200, "{seed:?}");
    let seed = seed.json();
    let tables: Vec<&str> = seed["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["table"].as_str().unwrap())
        .collect();
    assert_eq!(
        tables,
        [
            "agents",
            "agent_skills",
            "agent_tools",
            "context_rules",
            "chat_permissions",
            "slack_channel_permissions",
            "system_prompts"
        ]
    );
    let row = |table: &str, key: &str| -> Value {
        seed["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["table"] == table)
            .and_then(|t| {
                t["rows"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|r| r["key"] == key)
            })
            .cloned()
            .unwrap_or_else(|| panic!("{table} / {key} in {seed}"))
    };
    // The sample agents have their own descriptions; app-builder is also disabled.
    assert_eq!(row("agents", "ori")["state"], "differs");
    assert!(
        row("agents", "ori")["fields"]
            .as_array()
            .unwrap()
            .contains(&json!("description"))
    );
    assert!(
        row("agents", "app-builder")["fields"]
            .as_array()
            .unwrap()
            .contains(&json!("enabled"))
    );
    assert_eq!(
        row("agent_skills", "ori / tool-discovery")["state"],
        "matches"
    );
    assert_eq!(
        row("agent_skills", "explorer / testing-strategy"),
        json!({ "key": "explorer / testing-strategy", "state": "differs", "fields": ["enabled"] })
    );
    assert_eq!(
        row("agent_tools", "ori / user-* / allow")["state"],
        "missing"
    );
    assert_eq!(row("context_rules", "default / NULL")["state"], "matches");
    let chats = seed["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == "chat_permissions")
        .unwrap();
    assert_eq!(chats["exists"], false);
    assert!(
        chats["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["state"] == "missing")
    );
    assert_eq!(sample.fingerprint(), before, "comparing reads only");
    studio.stop();
    assert_eq!(sample.fingerprint(), before);
}

fn the_diagram_page_draws_every_live_table_and_foreign_key_with_declared_types(engine: Engine) {
    use orient_database::model::Schema;
    use orient_database::schema::TABLES;

    let Some(sample) = Sample::new(engine, 0) else {
        return;
    };
    let before = sample.fingerprint();
    let studio = Studio::on(&sample, &[]);
    let names: Vec<String> = studio.get("/api/tables").json()["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names.len(), TABLES.len());
    let foreign_keys = Schema::from_declared(TABLES).foreign_key_count();

    let response = studio.get("/api/diagram");
    assert_eq!(response.status, 200, "{response:?}");
    let page = response.json();
    assert_eq!(page["tables"], names.len());
    assert_eq!(page["foreign_keys"], foreign_keys);
    let svg = page["svg"].as_str().unwrap();
    let mermaid = page["mermaid"].as_str().unwrap();
    assert!(
        svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
        "{svg}"
    );
    assert!(mermaid.starts_with("erDiagram\n"), "{mermaid}");
    for name in &names {
        assert!(svg.contains(&format!("data-table=\"{name}\"")), "{name}");
        // Each box opens its table's page.
        assert!(svg.contains(&format!("href=\"#/table/{name}\"")), "{name}");
        assert!(mermaid.contains(&format!("    \"{name}\" {{\n")), "{name}");
    }
    assert_eq!(svg.matches("<g class=\"er-table\" ").count(), names.len());
    assert_eq!(svg.matches("<g class=\"er-link\" ").count(), foreign_keys);
    assert_eq!(
        mermaid.lines().filter(|l| l.contains(" : ")).count(),
        foreign_keys
    );
    // The structs' types, not SQLite's INTEGER and TEXT.
    assert!(
        mermaid.contains("        bool enabled \"nullable\"\n"),
        "{mermaid}"
    );
    assert!(svg.contains(">timestamp?</text>"));
    assert!(svg.contains(">json?</text>"));
    // Nothing the page's Content-Security-Policy would block.
    assert!(!svg.contains("style") && !svg.contains("<script"));

    // The download: the same picture as a file, without links into the page.
    let file = studio.get("/api/diagram.svg");
    assert_eq!(file.status, 200, "{file:?}");
    assert!(
        file.header("content-type")
            .is_some_and(|t| t.starts_with("image/svg+xml")),
        "{file:?}"
    );
    assert!(
        file.header("content-disposition")
            .is_some_and(|d| d.starts_with("attachment") && d.contains("orient-schema.svg")),
        "{file:?}"
    );
    assert_eq!(
        file.body.matches("<g class=\"er-table\" ").count(),
        names.len()
    );
    assert!(!file.body.contains("href="));
    assert_eq!(sample.fingerprint(), before, "drawing reads only");

    // Another process changes the schema: the next diagram shows the database as it is now.
    sample.execute(
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, agent_id TEXT REFERENCES agents(id));
         ALTER TABLE agent_skills DROP COLUMN enabled;",
    );
    let page = studio.get("/api/diagram").json();
    assert_eq!(page["tables"], names.len() + 1);
    assert_eq!(page["foreign_keys"], foreign_keys + 1);
    let mermaid = page["mermaid"].as_str().unwrap();
    assert!(
        mermaid.contains("    \"agents\" |o..o{ \"notes\" : \"agent_id\"\n"),
        "{mermaid}"
    );
    // An undeclared table shows what the database says.
    assert!(
        mermaid.contains("    \"notes\" {\n        integer id PK\n"),
        "{mermaid}"
    );
    assert!(
        page["svg"]
            .as_str()
            .unwrap()
            .contains("data-table=\"notes\"")
    );
    let skills_block = mermaid
        .split("    \"agent_skills\" {\n")
        .nth(1)
        .and_then(|rest| rest.split("    }").next())
        .unwrap();
    assert!(!skills_block.contains("enabled"), "{skills_block}");
    studio.stop();
}

on_each_engine!(
    keyset_pages_walk_every_sort_order_both_ways_without_gaps,
    pages_show_declared_types_and_links,
    edits_are_checked_against_the_declared_types_and_saved_in_one_transaction,
    inserts_fill_defaults_and_name_what_is_missing,
    deletes_show_their_cascades_first_and_need_them_confirmed,
    the_seed_page_compares_the_database_with_the_seed_data,
    the_diagram_page_draws_every_live_table_and_foreign_key_with_declared_types,
);
