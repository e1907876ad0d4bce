//! The studio's seed-data page on a database `orient-seed` made: every seed row matches; after a person
//! edits one row and deletes another, the page names the changed column and the missing row.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use orient_testkit::{DB_VARIABLES, Project, binary, describe};

/// `GET /api/seed` from a freshly started `orient-db studio` on the project's database.
fn seed_page(project: &Project) -> serde_json::Value {
    let mut command = Command::new(binary("orient-db"));
    command
        .current_dir(project.root())
        .args(["studio", "--port", "0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for var in DB_VARIABLES {
        command.env_remove(var);
    }
    let mut studio = command.spawn().unwrap();
    let mut url = String::new();
    BufReader::new(studio.stdout.take().unwrap())
        .read_line(&mut url)
        .unwrap();
    let (address, token) = url
        .trim()
        .trim_start_matches("http://")
        .split_once("/?token=")
        .unwrap_or_else(|| panic!("no URL printed: {url:?}"));
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "GET /api/seed HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let _ = studio.kill();
    let _ = studio.wait();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        !head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked"),
        "a JSON answer has a Content-Length: {head}"
    );
    serde_json::from_str(body).unwrap()
}

fn states(page: &serde_json::Value) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for table in page["tables"].as_array().unwrap() {
        for row in table["rows"].as_array().unwrap() {
            out.push((
                table["table"].as_str().unwrap().to_owned(),
                row["key"].as_str().unwrap().to_owned(),
                row["state"].as_str().unwrap().to_owned(),
            ));
        }
    }
    out
}

#[test]
fn the_studio_shows_which_seed_rows_exist_differ_or_are_missing() {
    let project = Project::with_migrations();
    let seed = project.command(&binary("orient-seed"), &[], &[]);
    assert!(seed.status.success(), "{}", describe(&seed));

    let page = seed_page(&project);
    let all = states(&page);
    assert_eq!(all.len(), 5 + 13 + 55 + 6 + 3 + 3 + 4);
    assert!(
        all.iter().all(|(_, _, state)| state == "matches"),
        "{all:?}"
    );

    let file = project.root().join(".dev-data/instance-0/orient.db");
    let mut conn = SqliteConnection::establish(&file.to_string_lossy()).unwrap();
    conn.batch_execute(
        "UPDATE agents SET model_tier = 'balanced' WHERE id = 'explorer';
         DELETE FROM agent_skills WHERE agent_id = 'ori' AND skill_name = 'onboarding-guide';
         PRAGMA wal_checkpoint(TRUNCATE);",
    )
    .unwrap();
    drop(conn);

    let page = seed_page(&project);
    let find = |table: &str, key: &str| {
        page["tables"]
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
            .unwrap_or_else(|| panic!("{table} / {key}"))
    };
    assert_eq!(
        find("agents", "explorer"),
        serde_json::json!({ "key": "explorer", "state": "differs", "fields": ["model_tier"] })
    );
    assert_eq!(
        find("agent_skills", "ori / onboarding-guide")["state"],
        "missing"
    );
    let changed = states(&page)
        .into_iter()
        .filter(|(_, _, state)| state != "matches")
        .count();
    assert_eq!(changed, 2);
}
