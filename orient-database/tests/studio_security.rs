//! `orient-db studio`'s security rules, one test per rule, against the real binary on a free port. Each
//! refused request is checked for its status code and for the database file being unchanged (SHA-256
//! of the file and its WAL); every response is checked for CSP and Referrer-Policy and for the absence
//! of any `Access-Control-*` header (in `studio_support::request`).
//!
//! Each test body runs on both engines (`on_each_engine!` at the end): on the sample SQLite file, and
//! with feature `postgres` on the same rows in a PostgreSQL database of its own, where the database's
//! fingerprint is a hash of every table's rows.
#![cfg(feature = "studio")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod studio_support;

use studio_support::{Engine, Sample, Studio, request};

/// A change a browser page on this origin would send: set an agent's name.
fn rename_body() -> serde_json::Value {
    serde_json::json!({ "values": { "name": "Renamed" } })
}

const RENAME: &str = "/api/tables/agents/rows/ori";

fn listens_on_loopback_only_and_prints_a_fresh_token_once(engine: Engine) {
    let Some(db) = Sample::new(engine, 0) else {
        return;
    };
    let studio = Studio::on(&db, &[]);
    let (prefix, token) = studio.url.split_once("/?token=").unwrap();
    assert_eq!(prefix, format!("http://127.0.0.1:{}", studio.port));
    assert_eq!(token.len(), 64, "256 bits as hex: {token}");
    assert!(token.chars().all(|c| c.is_ascii_hexdigit()));
    // Printed once: not on stderr.
    assert!(
        !studio.stderr_text().contains(token),
        "{}",
        studio.stderr_text()
    );

    #[cfg(target_os = "linux")]
    {
        // /proc/net/tcp: the listening socket (state 0A) on this port is bound to 127.0.0.1 only.
        let port_hex = format!("{:04X}", studio.port);
        let table = std::fs::read_to_string("/proc/net/tcp").unwrap();
        let listening: Vec<&str> = table
            .lines()
            .filter(|l| {
                let fields: Vec<&str> = l.split_whitespace().collect();
                fields.get(3) == Some(&"0A")
                    && fields
                        .get(1)
                        .is_some_and(|a| a.ends_with(&format!(":{port_hex}")))
            })
            .collect();
        assert_eq!(listening.len(), 1, "{listening:?}");
        assert!(
            listening[0]
                .split_whitespace()
                .nth(1)
                .unwrap()
                .starts_with("0100007F:"),
            "bound to 127.0.0.1: {listening:?}"
        );
        let table6 = std::fs::read_to_string("/proc/net/tcp6").unwrap_or_default();
        assert!(
            !table6
                .lines()
                .any(|l| l.contains(&format!(":{port_hex} ")) && l.contains(" 0A ")),
            "nothing listens on IPv6 for this port"
        );
    }

    let second = Studio::on(&db, &[]);
    assert_ne!(second.token, studio.token, "every launch gets a new token");
    second.stop();
    studio.stop();
}

fn requests_without_the_right_token_get_401(engine: Engine) {
    let Some(db) = Sample::new(engine, 10) else {
        return;
    };
    let studio = Studio::on(&db, &[]);
    let before = db.fingerprint();

    let mut last_char_differs = studio.token.clone();
    let last = last_char_differs.pop().unwrap();
    last_char_differs.push(if last == '0' { '1' } else { '0' });
    let wrong = "0".repeat(64);
    let cookie = |t: &str| format!("orient_studio_{}={t}", studio.port);
    let bearer = |t: &str| format!("Bearer {t}");

    type Case<'a> = (&'a str, String, Vec<(&'a str, String)>);
    let refused: Vec<Case> = vec![
        ("no token", "/api/tables".into(), vec![]),
        ("no token, page", "/".into(), vec![]),
        ("no token, asset", "/assets/app.js".into(), vec![]),
        ("no token, unknown path", "/nothing-here".into(), vec![]),
        (
            "wrong cookie",
            "/api/tables".into(),
            vec![("Cookie", cookie(&wrong))],
        ),
        (
            "last char cookie",
            "/api/tables".into(),
            vec![("Cookie", cookie(&last_char_differs))],
        ),
        (
            "short cookie",
            "/api/tables".into(),
            vec![("Cookie", cookie(&studio.token[..63]))],
        ),
        (
            "long cookie",
            "/api/tables".into(),
            vec![("Cookie", cookie(&format!("{}0", studio.token)))],
        ),
        (
            "wrong bearer",
            "/api/tables".into(),
            vec![("Authorization", bearer(&wrong))],
        ),
        (
            "last char bearer",
            "/api/tables".into(),
            vec![("Authorization", bearer(&last_char_differs))],
        ),
        (
            "last char query",
            format!("/?token={last_char_differs}"),
            vec![],
        ),
        ("empty query token", "/?token=".into(), vec![]),
        // The token in a query string is only exchanged on the page itself, never on the API.
        (
            "query token on the API",
            format!("/api/tables?token={}", studio.token),
            vec![],
        ),
        // The cookie of another studio (another port) is not this one's.
        (
            "cookie for another port",
            "/api/tables".into(),
            vec![("Cookie", format!("orient_studio_1={}", studio.token))],
        ),
    ];
    for (what, target, headers) in &refused {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let response = studio.request("GET", target, &headers, None);
        assert_eq!(response.status, 401, "{what}: {response:?}");
        assert!(response.header("set-cookie").is_none(), "{what}");
        assert!(
            !response.body.contains("agents"),
            "{what}: no data in a 401"
        );
        assert_eq!(db.fingerprint(), before, "{what}");
    }

    // The right token: the page, and the cookie that replaces it.
    let page = studio.request("GET", &format!("/?token={}", studio.token), &[], None);
    assert_eq!(page.status, 200, "{page:?}");
    let set_cookie = page.header("set-cookie").expect("a session cookie");
    assert!(set_cookie.starts_with(&format!("orient_studio_{}={};", studio.port, studio.token)));
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Strict"), "{set_cookie}");
    assert_eq!(studio.get("/api/tables").status, 200);
    assert_eq!(
        studio
            .request(
                "GET",
                "/api/tables",
                &[("Authorization", &bearer(&studio.token))],
                None
            )
            .status,
        200
    );
    assert_eq!(db.fingerprint(), before);
    studio.stop();
    assert_eq!(db.fingerprint(), before, "after the studio stopped");
}

fn foreign_host_headers_get_403_before_routing(engine: Engine) {
    let Some(db) = Sample::new(engine, 10) else {
        return;
    };
    let studio = Studio::on(&db, &["--write"]);
    let before = db.fingerprint();
    let cookie = studio.cookie();
    let port = studio.port;
    let hosts = [
        format!("evil.example:{port}"),
        format!("0.0.0.0:{port}"),
        format!("127.0.0.1:{}", port.wrapping_add(1)),
        "127.0.0.1".to_owned(),
        format!("localhost.evil.example:{port}"),
        format!("127.0.0.1.nip.io:{port}"),
        format!("[::]:{port}"),
    ];
    for host in &hosts {
        // A page, the API, a path that does not exist (403, not 404: refused before routing), the token
        // exchange and a well-formed change: all refused.
        for (method, target) in [
            ("GET", "/api/tables".to_owned()),
            ("GET", "/no-such-page".to_owned()),
            ("GET", format!("/?token={}", studio.token)),
        ] {
            let response = studio.request(
                method,
                &target,
                &[("Host", host), ("Cookie", &cookie)],
                None,
            );
            assert_eq!(response.status, 403, "Host {host}, {target}: {response:?}");
            assert!(response.header("set-cookie").is_none());
        }
        let origin = format!("http://{host}");
        let response = studio.request(
            "PUT",
            RENAME,
            &[
                ("Host", host),
                ("Cookie", &cookie),
                ("Origin", &origin),
                ("X-Orient-Studio", "1"),
                ("Content-Type", "application/json"),
            ],
            Some(&rename_body().to_string()),
        );
        assert_eq!(response.status, 403, "Host {host}, PUT: {response:?}");
        assert_eq!(db.fingerprint(), before, "Host {host}");
    }
    // The loopback names with the real port are served.
    for host in [
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
        format!("127.0.0.1:{port}"),
    ] {
        let response = studio.request(
            "GET",
            "/api/tables",
            &[("Host", &host), ("Cookie", &cookie)],
            None,
        );
        assert_eq!(response.status, 200, "Host {host}");
    }
    studio.stop();
    assert_eq!(db.fingerprint(), before);
}

fn changes_need_the_exact_origin_the_custom_header_and_json(engine: Engine) {
    let Some(db) = Sample::new(engine, 10) else {
        return;
    };
    let studio = Studio::on(&db, &["--write"]);
    let before = db.fingerprint();
    let cookie = studio.cookie();
    let origin = studio.origin();
    let other_port = format!("http://127.0.0.1:{}", studio.port.wrapping_add(1));
    let localhost_origin = format!("http://localhost:{}", studio.port);
    let json = rename_body().to_string();
    let form = "values%5Bname%5D=Renamed".to_owned();

    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str, u16);
    let cases: Vec<Case> = vec![
        (
            "foreign Origin",
            vec![
                ("Origin", "https://evil.example"),
                ("X-Orient-Studio", "1"),
                ("Content-Type", "application/json"),
            ],
            &json,
            403,
        ),
        (
            "Origin null",
            vec![
                ("Origin", "null"),
                ("X-Orient-Studio", "1"),
                ("Content-Type", "application/json"),
            ],
            &json,
            403,
        ),
        (
            "no Origin",
            vec![
                ("X-Orient-Studio", "1"),
                ("Content-Type", "application/json"),
            ],
            &json,
            403,
        ),
        (
            "Origin of another local port",
            vec![
                ("Origin", &other_port),
                ("X-Orient-Studio", "1"),
                ("Content-Type", "application/json"),
            ],
            &json,
            403,
        ),
        (
            // Same machine, but not the origin this request's Host names: not same-origin.
            "Origin localhost for Host 127.0.0.1",
            vec![
                ("Origin", &localhost_origin),
                ("X-Orient-Studio", "1"),
                ("Content-Type", "application/json"),
            ],
            &json,
            403,
        ),
        (
            "https Origin",
            vec![
                ("Origin", "https://127.0.0.1"),
                ("X-Orient-Studio", "1"),
                ("Content-Type", "application/json"),
            ],
            &json,
            403,
        ),
        (
            "no custom header",
            vec![("Origin", &origin), ("Content-Type", "application/json")],
            &json,
            403,
        ),
        (
            "custom header with another value",
            vec![
                ("Origin", &origin),
                ("X-Orient-Studio", "0"),
                ("Content-Type", "application/json"),
            ],
            &json,
            403,
        ),
        // A cross-site HTML form can send these two content types without a preflight.
        (
            "simple POST text/plain",
            vec![
                ("Origin", &origin),
                ("X-Orient-Studio", "1"),
                ("Content-Type", "text/plain"),
            ],
            &json,
            415,
        ),
        (
            "simple POST form-urlencoded",
            vec![
                ("Origin", &origin),
                ("X-Orient-Studio", "1"),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            &form,
            415,
        ),
        (
            "no Content-Type",
            vec![("Origin", &origin), ("X-Orient-Studio", "1")],
            &json,
            415,
        ),
        (
            "cross-site fetch metadata",
            vec![
                ("Origin", &origin),
                ("X-Orient-Studio", "1"),
                ("Content-Type", "application/json"),
                ("Sec-Fetch-Site", "cross-site"),
            ],
            &json,
            403,
        ),
        // A form post without any of it, the classic CSRF.
        (
            "plain form post",
            vec![("Content-Type", "application/x-www-form-urlencoded")],
            &form,
            403,
        ),
    ];
    for method in ["PUT", "POST", "DELETE"] {
        let target = if method == "POST" {
            "/api/tables/agents/rows"
        } else {
            RENAME
        };
        for (what, headers, body, status) in &cases {
            let mut all = vec![("Cookie", cookie.as_str())];
            all.extend(headers.iter().copied());
            let response = studio.request(method, target, &all, Some(body));
            assert_eq!(response.status, *status, "{method} {what}: {response:?}");
            assert_eq!(db.fingerprint(), before, "{method} {what}");
        }
    }

    // The same change, sent as the page sends it, is made.
    let response = studio.send("PUT", RENAME, &rename_body());
    assert_eq!(response.status, 200, "{response:?}");
    assert_ne!(db.fingerprint(), before, "the accepted change was written");
    studio.stop();
    assert_eq!(
        db.texts("SELECT name FROM agents WHERE id = 'ori'"),
        ["Renamed"]
    );
}

fn a_read_only_studio_refuses_changes(engine: Engine) {
    let Some(db) = Sample::new(engine, 10) else {
        return;
    };
    let files = db.files();
    let studio = Studio::on(&db, &[]);
    let before = db.fingerprint();
    let info = studio.get("/api/info").json();
    assert_eq!(info["writable"], false);
    for (method, target, body) in [
        ("PUT", RENAME, rename_body()),
        (
            "POST",
            "/api/tables/agents/rows",
            serde_json::json!({ "values": { "id": "x", "name": "X" } }),
        ),
        ("DELETE", RENAME, serde_json::json!({ "confirm": [] })),
    ] {
        let response = studio.send(method, target, &body);
        assert_eq!(response.status, 403, "{method}: {response:?}");
        assert!(response.error().contains("read-only"), "{response:?}");
        assert_eq!(db.fingerprint(), before, "{method}");
    }
    assert_eq!(studio.get("/api/tables").status, 200);
    assert_eq!(studio.stop(), 0, "Ctrl-C / SIGTERM is a clean stop");
    assert_eq!(db.fingerprint(), before);
    // Its connections closed on the way out: no -wal or -shm is left behind.
    assert_eq!(db.files(), files);
}

// The desktop opener is a Unix `xdg-open` here.
#[cfg_attr(not(unix), allow(unused_variables))]
fn open_hands_the_link_to_the_desktop_opener(engine: Engine) {
    #[cfg(unix)]
    open_hands_the_link_on_unix(engine);
}

#[cfg(unix)]
fn open_hands_the_link_on_unix(engine: Engine) {
    use std::os::unix::fs::PermissionsExt;
    let Some(db) = Sample::new(engine, 0) else {
        return;
    };
    let bin = db.project.path("fake-bin");
    std::fs::create_dir(&bin).unwrap();
    let opened = db.project.path("opened.txt");
    let opener = bin.join("xdg-open");
    std::fs::write(&opener, "#!/bin/sh\nprintf '%s' \"$1\" > \"$OPENED\"\n").unwrap();
    std::fs::set_permissions(&opener, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let studio = Studio::on_with(
        &db,
        &["--open"],
        &[("PATH", &path), ("OPENED", &opened.to_string_lossy())],
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !opened.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the opener was not run"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(50));
    assert_eq!(std::fs::read_to_string(&opened).unwrap(), studio.url);
    studio.stop();
}

fn no_cors_headers_on_any_response_preflight_included(engine: Engine) {
    let Some(db) = Sample::new(engine, 10) else {
        return;
    };
    let studio = Studio::on(&db, &["--write"]);
    let before = db.fingerprint();
    let cookie = studio.cookie();
    let origin = studio.origin();
    for (what, origin) in [
        ("foreign", "https://evil.example"),
        ("same", origin.as_str()),
        ("null", "null"),
    ] {
        for target in [RENAME, "/api/tables", "/"] {
            let response = studio.request(
                "OPTIONS",
                target,
                &[
                    ("Cookie", &cookie),
                    ("Origin", origin),
                    ("Access-Control-Request-Method", "PUT"),
                    (
                        "Access-Control-Request-Headers",
                        "content-type, x-orient-studio",
                    ),
                ],
                None,
            );
            // `request` already asserted that no Access-Control-* header came back; a preflight is
            // never approved.
            assert!(
                response.status >= 400,
                "{what} preflight {target}: {response:?}"
            );
        }
    }
    // Ordinary responses carry none either, and the security headers are there on success and failure.
    for target in [
        "/api/tables",
        "/assets/app.js",
        "/nothing",
        "/api/tables/nope/rows",
    ] {
        let response = studio.request(
            "GET",
            target,
            &[("Cookie", &cookie), ("Origin", &studio.origin())],
            None,
        );
        assert_eq!(response.header("x-frame-options"), Some("DENY"), "{target}");
        assert_eq!(
            response.header("x-content-type-options"),
            Some("nosniff"),
            "{target}"
        );
    }
    assert_eq!(db.fingerprint(), before);
    studio.stop();
}

fn websocket_upgrades_and_cross_site_reads_are_refused(engine: Engine) {
    let Some(db) = Sample::new(engine, 10) else {
        return;
    };
    let studio = Studio::on(&db, &[]);
    let cookie = studio.cookie();
    for origin in ["https://evil.example", studio.origin().as_str()] {
        let response = studio.request(
            "GET",
            "/api/tables",
            &[
                ("Cookie", &cookie),
                ("Origin", origin),
                ("Connection", "Upgrade"),
                ("Upgrade", "websocket"),
                ("Sec-WebSocket-Version", "13"),
                ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
            ],
            None,
        );
        assert_eq!(response.status, 403, "{origin}: {response:?}");
    }
    // A read from another origin (another local app's page) is refused even with the cookie.
    let response = studio.request(
        "GET",
        "/api/tables",
        &[("Cookie", &cookie), ("Origin", "http://localhost:3000")],
        None,
    );
    assert_eq!(response.status, 403);
    let response = studio.request(
        "GET",
        "/api/tables",
        &[("Cookie", &cookie), ("Sec-Fetch-Site", "same-site")],
        None,
    );
    assert_eq!(response.status, 403);
    studio.stop();
}

fn injection_attempts_in_table_column_sort_and_filter_parameters_get_400(engine: Engine) {
    let Some(db) = Sample::new(engine, 200) else {
        return;
    };
    let studio = Studio::on(&db, &["--write"]);
    let before = db.fingerprint();
    let rejected = [
        // Table names.
        "/api/tables/agents%3B%20DROP%20TABLE%20agents/rows",
        "/api/tables/%22agents%22/rows",
        "/api/tables/agents%22%20--/rows",
        "/api/tables/..%2F..%2Fetc%2Fpasswd/rows",
        "/api/tables/sqlite_schema/rows",
        "/api/tables/__diesel_schema_migrations/rows",
        "/api/tables/agents%00/rows",
        "/api/tables/AGENTS/rows",
        "/api/tables/nope/count",
        "/api/tables/nope/rows/1",
        // Sort columns.
        "/api/tables/agents/rows?sort=id%3B%20DROP%20TABLE%20agents",
        "/api/tables/agents/rows?sort=%22id%22",
        "/api/tables/agents/rows?sort=(SELECT%201)",
        "/api/tables/agents/rows?sort=rowid",
        "/api/tables/agents/rows?sort=1",
        // Not indexed: sorting would read the whole table.
        "/api/tables/agents/rows?sort=description",
        "/api/tables/agents/rows?dir=asc%3B%20DROP%20TABLE%20agents",
        "/api/tables/agents/rows?limit=1%20OR%201%3D1",
        "/api/tables/agents/rows?limit=100000",
        "/api/tables/agents/rows?after=%27%3B%20DROP%20TABLE%20agents%3B--",
        "/api/tables/agents/rows?after=%7B%22c%22%3A%22name%3B%22%7D",
        // Filter columns.
        "/api/tables/agents/rows?eq.name%22%20OR%201%3D1%20--=x",
        "/api/tables/agents/rows?eq.nope=x",
        "/api/tables/agents/count?has.name%3B%20DROP%20TABLE%20agents=x",
        "/api/tables/agents/rows?null.(SELECT%201)",
        "/api/tables/agents/rows?where=1%3D1",
        "/api/tables/agents/rows?drop.agents=1",
        // Filter values that do not fit the column's declared type.
        "/api/tables/messages/rows?eq.id=1%20OR%201%3D1",
        "/api/tables/messages/rows?eq.is_group=1%20OR%201",
        "/api/tables/messages/rows?eq.timestamp=yesterday",
        // Keys.
        "/api/tables/messages/rows/1%20OR%201%3D1",
    ];
    for target in rejected {
        let response = studio.get(target);
        assert_eq!(response.status, 400, "{target}: {response:?}");
        assert!(!response.error().is_empty(), "{target}");
        assert_eq!(db.fingerprint(), before, "{target}");
    }
    // Values are bound, never spliced: quotes and LIKE wildcards match themselves.
    let bound = [
        (
            "/api/tables/agents/count?eq.name=x%27%20OR%20%271%27%3D%271",
            0,
        ),
        (
            "/api/tables/agents/count?eq.id=ori%27%3B%20DROP%20TABLE%20agents%3B--",
            0,
        ),
        ("/api/tables/agents/count?has.name=%25", 0),
        ("/api/tables/agents/count?has.name=_", 0),
        ("/api/tables/agents/count?has.id=-", 1),
        ("/api/tables/agents/count?eq.id=ori", 1),
        ("/api/tables/messages/count?has.text=number%201", 111),
    ];
    for (target, expected) in bound {
        let response = studio.get(target);
        assert_eq!(response.status, 200, "{target}: {response:?}");
        assert_eq!(response.json()["count"], expected, "{target}");
    }
    let response = studio.get("/api/tables/agents/rows/x%27%20OR%20%271%27%3D%271");
    assert_eq!(response.status, 404, "{response:?}");
    // The same names in a change are refused too.
    for (method, target, body) in [
        (
            "PUT",
            RENAME,
            serde_json::json!({ "values": { "name\" = 'x' --": "y" } }),
        ),
        (
            "POST",
            "/api/tables/agents%3B/rows",
            serde_json::json!({ "values": { "id": "x", "name": "x" } }),
        ),
        (
            "PUT",
            "/api/tables/agents/rows/ori",
            serde_json::json!({ "values": {}, "sql": "DROP TABLE agents" }),
        ),
    ] {
        let response = studio.send(method, target, &body);
        assert_eq!(response.status, 400, "{method} {target}: {response:?}");
        assert_eq!(db.fingerprint(), before, "{method} {target}");
    }
    studio.stop();
    assert_eq!(db.fingerprint(), before);
}

fn path_traversal_gets_404(engine: Engine) {
    let Some(db) = Sample::new(engine, 0) else {
        return;
    };
    let studio = Studio::on(&db, &[]);
    let before = db.fingerprint();
    for target in [
        "/..%2f..%2fetc/passwd",
        "/..%2F..%2F..%2Fetc%2Fpasswd",
        "/assets/..%2f..%2fCargo.toml",
        "/assets/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
        "/assets/%2e%2e/%2e%2e/etc/passwd",
        "/assets/../../etc/passwd",
        "/assets/",
        "/assets/app.js%00.png",
        "/assets/app.js/..%2fapp.css",
        "/etc/passwd",
        "/orient.db",
        "/.env",
        "/%2e%2e/orient.db",
    ] {
        let response = studio.get(target);
        assert_eq!(response.status, 404, "{target}: {response:?}");
        assert!(!response.body.contains("root:"), "{target}");
        assert!(!response.body.contains("SQLite format"), "{target}");
    }
    assert_eq!(studio.get("/assets/app.js").status, 200);
    assert_eq!(db.fingerprint(), before);
    studio.stop();
}

fn another_address_needs_host_prints_a_warning_and_keeps_every_check(engine: Engine) {
    let Some(db) = Sample::new(engine, 0) else {
        return;
    };
    let studio = Studio::on(&db, &["--host", "0.0.0.0"]);
    assert!(
        studio.stderr_text().contains("warning"),
        "{}",
        studio.stderr_text()
    );
    assert!(
        studio.url.starts_with("http://127.0.0.1:"),
        "{}",
        studio.url
    );
    let port = studio.port;
    assert_eq!(request(port, "GET", "/api/tables", &[], None).status, 401);
    let cookie = studio.cookie();
    let zero = format!("0.0.0.0:{port}");
    assert_eq!(
        request(
            port,
            "GET",
            "/api/tables",
            &[("Host", &zero), ("Cookie", &cookie)],
            None
        )
        .status,
        403
    );
    assert_eq!(studio.get("/api/tables").status, 200);
    studio.stop();

    let bad = db.run(&["studio", "--host", "example.com"]);
    assert_eq!(bad.code, 2, "{bad:?}");
}

/// A missing SQLite file is a usage error (exit 2, like every read-only command); a database missing
/// from a reachable PostgreSQL server is exit 1 naming it. Neither is created.
fn a_missing_database_is_a_usage_error_and_nothing_is_created(engine: Engine) {
    let project = orient_testkit::Project::new();
    let listing = orient_testkit::listing(project.root());
    let (variable, value, code, says) = match engine {
        Engine::Sqlite => ("SQLITE_DATABASE", "missing.db".to_owned(), 2, "not found"),
        Engine::Postgres => {
            let Some(server) = orient_testkit::postgres::server() else {
                return;
            };
            let url = server.url("studio_missing_database");
            ("DATABASE_URL", url, 1, "studio_missing_database")
        }
    };
    let run = project.run(&["studio", "--port", "0"], &[(variable, &value)]);
    assert_eq!(run.code, code, "{run:?}");
    assert!(run.stderr.contains(says), "{run:?}");
    assert!(
        run.stdout.is_empty(),
        "no URL for a studio that did not start: {run:?}"
    );
    assert_eq!(orient_testkit::listing(project.root()), listing);
    if let (Engine::Postgres, Some(server)) = (engine, orient_testkit::postgres::server()) {
        let found = server.psql(
            "postgres",
            "SELECT count(*) FROM pg_database WHERE datname = 'studio_missing_database'",
        );
        assert_eq!(found, "0", "the database was not created");
    }
}

fn the_diagram_routes_are_guarded_like_every_page(engine: Engine) {
    let Some(db) = Sample::new(engine, 10) else {
        return;
    };
    let studio = Studio::on(&db, &[]);
    let before = db.fingerprint();
    let cookie = studio.cookie();
    let wrong = format!("orient_studio_{}={}", studio.port, "0".repeat(64));
    let foreign_host = format!("evil.example:{}", studio.port);
    for target in ["/api/diagram", "/api/diagram.svg"] {
        // No token, a wrong one, or the token only in the query string: 401 and nothing of the schema.
        for (what, headers) in [
            ("no token", vec![]),
            ("wrong cookie", vec![("Cookie", wrong.as_str())]),
        ] {
            let response = studio.request("GET", target, &headers, None);
            assert_eq!(response.status, 401, "{what} {target}: {response:?}");
            assert!(response.header("set-cookie").is_none(), "{what} {target}");
            assert!(
                !response.body.contains("agents"),
                "{what} {target}: no data in a 401"
            );
        }
        let query = studio.request(
            "GET",
            &format!("{target}?token={}", studio.token),
            &[],
            None,
        );
        assert_eq!(query.status, 401, "query token {target}: {query:?}");
        // Another Host (DNS rebinding), another origin, another site: 403 even with the cookie.
        for (what, headers) in [
            (
                "foreign host",
                vec![("Host", foreign_host.as_str()), ("Cookie", cookie.as_str())],
            ),
            (
                "foreign origin",
                vec![
                    ("Cookie", cookie.as_str()),
                    ("Origin", "http://localhost:3000"),
                ],
            ),
            (
                "cross site",
                vec![
                    ("Cookie", cookie.as_str()),
                    ("Sec-Fetch-Site", "cross-site"),
                ],
            ),
        ] {
            let response = studio.request("GET", target, &headers, None);
            assert_eq!(response.status, 403, "{what} {target}: {response:?}");
            assert!(!response.body.contains("agents"), "{what} {target}");
        }
        // With the cookie: served, with every security header (the CSP is checked by `request`).
        let response = studio.get(target);
        assert_eq!(response.status, 200, "{target}: {response:?}");
        assert_eq!(response.header("x-frame-options"), Some("DENY"), "{target}");
        assert_eq!(
            response.header("x-content-type-options"),
            Some("nosniff"),
            "{target}"
        );
        assert_eq!(
            response.header("cache-control"),
            Some("no-store"),
            "{target}"
        );
        let csp = response
            .header("content-security-policy")
            .unwrap_or_default();
        assert!(!csp.contains("unsafe-inline"), "{target}: {csp}");
    }
    // Changing methods are not routes of the diagram; refused without the CSRF header whatever they are.
    let post = studio.request("POST", "/api/diagram", &[("Cookie", &cookie)], Some("{}"));
    assert_eq!(post.status, 403, "{post:?}");
    assert_eq!(db.fingerprint(), before);
    studio.stop();
    assert_eq!(db.fingerprint(), before);
}

/// The pages serve what the database holds, read through the engine: counts, a row, a boolean filter,
/// a sorted next page.
fn pages_show_the_rows_the_database_holds(engine: Engine) {
    let Some(db) = Sample::new(engine, 30) else {
        return;
    };
    let studio = Studio::on(&db, &[]);
    let tables = studio.get("/api/tables").json();
    let messages = tables["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "messages")
        .unwrap()
        .clone();
    assert_eq!(messages["rows"], 30, "{tables}");
    assert_eq!(messages["status"], "ok", "{tables}");
    let ori = studio.get("/api/tables/agents/rows/ori").json();
    let columns = ori["table"]["columns"].as_array().unwrap();
    let at = |name: &str| columns.iter().position(|c| c["name"] == name).unwrap();
    assert_eq!(ori["row"]["values"][at("name")], "Ori", "{ori}");
    // Booleans read as SQLite shows them, whatever the engine stores.
    assert_eq!(ori["row"]["values"][at("enabled")], 1, "{ori}");
    assert!(
        ori["referenced_by"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["table"]["name"] == "agent_skills" && r["count"] == 6),
        "{ori}"
    );
    for (filter, expected) in [
        ("eq.is_group=true", 6),
        ("eq.is_group=0", 24),
        ("has.text=NUMBER%202", 11),
    ] {
        let count = studio.get(&format!("/api/tables/messages/count?{filter}"));
        assert_eq!(count.status, 200, "{filter}: {count:?}");
        assert_eq!(count.json()["count"], expected, "{filter}");
    }
    let first = studio
        .get("/api/tables/messages/rows?sort=timestamp&dir=desc&limit=20")
        .json();
    assert_eq!(first["rows"].as_array().unwrap().len(), 20, "{first}");
    let next = first["next"].as_str().unwrap();
    let second = studio
        .get(&format!(
            "/api/tables/messages/rows?sort=timestamp&dir=desc&limit=20&after={}",
            urlencode(next)
        ))
        .json();
    let keys: Vec<&str> = second["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        ["10", "9", "8", "7", "6", "5", "4", "3", "2", "1"],
        "{second}"
    );
    studio.stop();
}

/// A table without a primary key: browsed by SQLite's rowid (and editable, as before), and on
/// PostgreSQL shown by `ctid` and read-only, the page saying why.
fn a_table_without_a_primary_key(engine: Engine) {
    let Some(db) = Sample::new(engine, 0) else {
        return;
    };
    db.execute("CREATE TABLE notes (body TEXT NOT NULL); INSERT INTO notes (body) VALUES ('first'), ('second');");
    let studio = Studio::on(&db, &["--write"]);
    let page = studio.get("/api/tables/notes/rows").json();
    let bodies: Vec<&str> = page["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["values"][0].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["first", "second"], "{page}");
    assert_eq!(page["table"]["key_is_rowid"], true);
    let key = page["rows"][0]["key"].as_str().unwrap().to_owned();
    let row = studio.get(&format!("/api/tables/notes/rows/{}", urlencode(&key)));
    assert_eq!(row.status, 200, "{row:?}");
    assert_eq!(row.json()["row"]["values"][0], "first");
    let before = db.fingerprint();
    let edit = studio.send(
        "PUT",
        &format!("/api/tables/notes/rows/{}", urlencode(&key)),
        &serde_json::json!({ "values": { "body": "changed" } }),
    );
    match engine {
        Engine::Sqlite => {
            assert_eq!(page["table"]["key"][0], "rowid");
            assert!(page["table"].get("read_only").is_none(), "{page}");
            assert_eq!(edit.status, 200, "{edit:?}");
            assert_eq!(
                db.texts("SELECT body FROM notes ORDER BY rowid"),
                ["changed", "second"]
            );
        }
        Engine::Postgres => {
            assert_eq!(page["table"]["key"][0], "ctid");
            let why = page["table"]["read_only"].as_str().unwrap_or_default();
            assert!(why.contains("no primary key"), "{page}");
            assert_eq!(edit.status, 403, "{edit:?}");
            assert!(edit.error().contains("no primary key"), "{edit:?}");
            let insert = studio.send(
                "POST",
                "/api/tables/notes/rows",
                &serde_json::json!({ "values": { "body": "third" } }),
            );
            assert_eq!(insert.status, 403, "{insert:?}");
            assert_eq!(db.fingerprint(), before);
        }
    }
    studio.stop();
}

/// Percent-encodes a query-string value.
fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

on_each_engine!(
    listens_on_loopback_only_and_prints_a_fresh_token_once,
    requests_without_the_right_token_get_401,
    foreign_host_headers_get_403_before_routing,
    changes_need_the_exact_origin_the_custom_header_and_json,
    a_read_only_studio_refuses_changes,
    open_hands_the_link_to_the_desktop_opener,
    no_cors_headers_on_any_response_preflight_included,
    websocket_upgrades_and_cross_site_reads_are_refused,
    injection_attempts_in_table_column_sort_and_filter_parameters_get_400,
    path_traversal_gets_404,
    another_address_needs_host_prints_a_warning_and_keeps_every_check,
    a_missing_database_is_a_usage_error_and_nothing_is_created,
    the_diagram_routes_are_guarded_like_every_page,
    pages_show_the_rows_the_database_holds,
    a_table_without_a_primary_key,
);
