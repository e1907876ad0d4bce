//! The studio in a real headless Chromium, driven over WebDriver (chromedriver, started here on a free
//! port): open the token link, list the tables, open `agents`, follow an agent to its skills, page
//! through 10 000 messages, draw the schema diagram, and with `--write` edit a row and see it saved. Screenshots go to
//! `target/studio-screenshots/` for a person to look at.
//!
//! Needs Debian's `chromium` and `chromium-driver` (or ORIENT_CHROMIUM / ORIENT_CHROMEDRIVER). Without
//! them the test says so and passes, unless ORIENT_REQUIRE_BROWSER is set (as `.ci/run` does).
#![cfg(feature = "studio")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod studio_support;

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use orient_testkit::find_program;
use studio_support::{DB_FILE, Studio, connect, sample_project};

const WIDTH: u32 = 1440;
const HEIGHT: u32 = 900;

/// chromedriver on a free port, stopped when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start(program: &Path) -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(program)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let deadline = Instant::now() + Duration::from_secs(15);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Driver { child, port }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn browser(driver: &Driver, chromium: &Path, profile: &Path) -> Client {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".to_owned(),
        json!({
            "binary": chromium.to_string_lossy(),
            "args": [
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                "--force-device-scale-factor=1",
                format!("--window-size={WIDTH},{HEIGHT}"),
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a Chromium session through chromedriver")
}

/// Screenshots, in `target/studio-screenshots/`.
struct Shots {
    dir: PathBuf,
}

impl Shots {
    fn new() -> Shots {
        // target/debug/orient-db → target/
        let target = Path::new(env!("CARGO_BIN_EXE_orient-db"))
            .parent()
            .and_then(Path::parent)
            .unwrap()
            .to_path_buf();
        let dir = target.join("studio-screenshots");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Shots { dir }
    }

    async fn take(&self, client: &Client, name: &str) {
        let png = client.screenshot().await.unwrap();
        assert!(png.starts_with(b"\x89PNG"), "{name} is a PNG");
        std::fs::write(self.dir.join(format!("{name}.png")), png).unwrap();
    }
}

/// The page's render counter (`body[data-render]`), bumped each time a route has drawn.
async fn renders(client: &Client) -> u64 {
    client
        .execute("return Number(document.body.dataset.render || 0)", vec![])
        .await
        .unwrap()
        .as_u64()
        .unwrap_or(0)
}

/// Waits until the page has drawn a route after `after` renders and is showing `page`.
async fn drawn(client: &Client, after: u64, page: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let state = client
            .execute(
                "return [Number(document.body.dataset.render || 0), document.body.dataset.state, document.body.dataset.page]",
                vec![],
            )
            .await
            .unwrap();
        if state[0].as_u64().unwrap_or(0) > after && state[1] == "ready" && state[2] == page {
            return;
        }
        assert!(Instant::now() < deadline, "page {page} not drawn: {state}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Clicks `element` after scrolling it to the middle of the window: scrolled only as far as the top
/// edge (what WebDriver does by itself), it can sit under the page's sticky header, which would take the
/// click (seen with Chromium 156.0.8078.114).
async fn click(client: &Client, element: fantoccini::elements::Element) {
    client
        .execute(
            "arguments[0].scrollIntoView({block: 'center', inline: 'center'})",
            vec![serde_json::to_value(&element).unwrap()],
        )
        .await
        .unwrap();
    element.click().await.unwrap();
}

/// Clicks and waits for the route it leads to.
async fn click_to(client: &Client, locator: Locator<'_>, page: &str) {
    let before = renders(client).await;
    click(client, client.find(locator).await.unwrap()).await;
    drawn(client, before, page).await;
}

/// Goes to a route of the page (`#/…`) and waits for it.
async fn go(client: &Client, hash: &str, page: &str) {
    let before = renders(client).await;
    client
        .execute("location.hash = arguments[0]", vec![json!(hash)])
        .await
        .unwrap();
    drawn(client, before, page).await;
}

async fn texts(client: &Client, css: &str) -> Vec<String> {
    let mut out = Vec::new();
    for element in client.find_all(Locator::Css(css)).await.unwrap() {
        out.push(element.text().await.unwrap());
    }
    out
}

async fn attrs(client: &Client, css: &str, attr: &str) -> Vec<String> {
    let mut out = Vec::new();
    for element in client.find_all(Locator::Css(css)).await.unwrap() {
        out.push(element.attr(attr).await.unwrap().unwrap_or_default());
    }
    out
}

async fn heading(client: &Client) -> String {
    client
        .find(Locator::Css("h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_studio_in_a_real_browser() {
    let required =
        std::env::var_os("ORIENT_REQUIRE_BROWSER").is_some_and(|v| !v.is_empty() && v != "0");
    let chromium = find_program("ORIENT_CHROMIUM", "/usr/bin/chromium", "chromium");
    let chromedriver = find_program(
        "ORIENT_CHROMEDRIVER",
        "/usr/bin/chromedriver",
        "chromedriver",
    );
    let (Some(chromium), Some(chromedriver)) = (chromium, chromedriver) else {
        let message = "SKIPPED the browser test: Chromium and chromedriver were not found \
                       (apt-get install chromium chromium-driver, or set ORIENT_CHROMIUM and ORIENT_CHROMEDRIVER)";
        assert!(!required, "ORIENT_REQUIRE_BROWSER is set: {message}");
        eprintln!("{message}");
        return;
    };
    let started = Instant::now();
    let project = sample_project(10_000);
    let shots = Shots::new();
    let driver = Driver::start(&chromedriver);
    let profile = tempfile::tempdir().unwrap();
    let client = browser(&driver, &chromium, profile.path()).await;

    // Read-only first.
    let studio = Studio::start(&project, &[]);
    // 1. The token link: the page loads, swaps the token for its cookie and drops it from the URL.
    client.goto(&studio.url).await.unwrap();
    drawn(&client, 0, "tables").await;
    let url = client.current_url().await.unwrap();
    assert!(
        !url.as_str().contains("token"),
        "the token left the address bar: {url}"
    );
    let tables = texts(&client, "a.table-link").await;
    assert_eq!(tables.len(), 34, "{tables:?}");
    assert!(tables.contains(&"agents".to_owned()) && tables.contains(&"messages".to_owned()));
    let mode = client
        .find(Locator::Id("mode"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(mode, "read-only");
    shots.take(&client, "01-tables").await;

    // 2. agents.
    click_to(&client, Locator::LinkText("agents"), "table").await;
    assert_eq!(heading(&client).await, "agents");
    let keys = attrs(&client, "#rows tbody tr", "data-key").await;
    assert_eq!(
        keys,
        [
            "app-builder",
            "communicator",
            "explorer",
            "ori",
            "scheduler"
        ]
    );
    let checks = texts(&client, "#rows td.t-bool").await;
    assert_eq!(
        checks,
        ["✗", "✓", "✓", "✓", "✓"],
        "booleans are check marks"
    );
    let dates = texts(&client, "#rows td.t-timestamp time").await;
    assert!(
        dates.iter().all(|d| d.starts_with("2026-02-01 ")),
        "timestamps are dates: {dates:?}"
    );
    shots.take(&client, "02-agents").await;

    // 3. One agent, and the rows pointing at it; follow the link to its skills.
    click_to(
        &client,
        Locator::Css("tr[data-key='ori'] a.row-link"),
        "row",
    )
    .await;
    let referencing = attrs(&client, "section.referencing", "data-table").await;
    for table in ["agent_skills", "agent_tools", "context_rules"] {
        assert!(
            referencing.iter().any(|t| t == table),
            "{table} in {referencing:?}"
        );
    }
    shots.take(&client, "03-agent-ori").await;
    click_to(
        &client,
        Locator::Css("section[data-table='agent_skills'] a.ref-table"),
        "table",
    )
    .await;
    assert_eq!(heading(&client).await, "agent_skills");
    let url = client.current_url().await.unwrap();
    assert!(url.as_str().contains("eq.agent_id=ori"), "{url}");
    let skills = texts(&client, "#rows tbody td:nth-child(3)").await;
    assert_eq!(skills.len(), 6, "{skills:?}");
    assert!(skills.contains(&"tool-discovery".to_owned()), "{skills:?}");
    let owners = texts(&client, "#rows tbody td:nth-child(2)").await;
    assert!(owners.iter().all(|o| o == "ori"), "{owners:?}");
    shots.take(&client, "04-ori-skills").await;

    // 4. Page through 10 000 messages.
    click_to(&client, Locator::Css("[data-nav='tables']"), "tables").await;
    click_to(&client, Locator::LinkText("messages"), "table").await;
    let first_keys = |keys: Vec<String>| keys.first().cloned().unwrap_or_default();
    assert_eq!(
        first_keys(attrs(&client, "#rows tbody tr", "data-key").await),
        "1"
    );
    for expected in ["51", "101", "151"] {
        click_to(&client, Locator::Id("next"), "table").await;
        let keys = attrs(&client, "#rows tbody tr", "data-key").await;
        assert_eq!(keys.len(), 50);
        assert_eq!(keys[0], expected);
    }
    click_to(&client, Locator::Id("prev"), "table").await;
    assert_eq!(
        first_keys(attrs(&client, "#rows tbody tr", "data-key").await),
        "101"
    );
    // Newest first: sort by timestamp (an indexed column), then flip the direction.
    click_to(
        &client,
        Locator::Css("th[data-column='timestamp'] a.sort"),
        "table",
    )
    .await;
    click_to(
        &client,
        Locator::Css("th[data-column='timestamp'] a.sort"),
        "table",
    )
    .await;
    assert_eq!(
        first_keys(attrs(&client, "#rows tbody tr", "data-key").await),
        "10000"
    );
    click_to(&client, Locator::Id("next"), "table").await;
    assert_eq!(
        first_keys(attrs(&client, "#rows tbody tr", "data-key").await),
        "9950"
    );
    let count = client
        .find(Locator::Id("row-count"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(count, "10,000 rows");
    shots.take(&client, "05-messages").await;

    // The schema and migrations pages draw.
    click_to(&client, Locator::Css("[data-nav='schema']"), "schema").await;
    assert_eq!(texts(&client, "details.schema-table").await.len(), 34);
    go(&client, "#/schema/agent_skills", "schema").await;
    let open = attrs(&client, "details.schema-table[open]", "id").await;
    assert_eq!(open, ["schema-agent_skills"]);
    shots.take(&client, "06-schema").await;
    click_to(
        &client,
        Locator::Css("[data-nav='migrations']"),
        "migrations",
    )
    .await;
    assert_eq!(texts(&client, "#applied tbody tr").await.len(), 2);
    shots.take(&client, "07-migrations").await;
    // The sample database differs from the seed data here and there: badges say where.
    click_to(&client, Locator::Css("[data-nav='seed']"), "seed").await;
    let states = attrs(&client, "details.schema-table tbody tr", "data-state").await;
    for state in ["matches", "differs", "missing"] {
        assert!(states.iter().any(|s| s == state), "{state} in {states:?}");
    }
    shots.take(&client, "08-seed-data").await;
    diagram(&client, &shots).await;
    let violations = client
        .execute("return document.body.dataset.cspViolations || ''", vec![])
        .await
        .unwrap();
    assert_eq!(
        violations, "",
        "the page broke its own Content-Security-Policy"
    );
    studio.stop();

    // 5. With --write: edit an agent and see it saved.
    let studio = Studio::start(&project, &["--write"]);
    client
        .goto(&format!("{}#/row/agents/scheduler", studio.url))
        .await
        .unwrap();
    drawn(&client, 0, "row").await;
    assert_eq!(
        client
            .find(Locator::Id("mode"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "editing on"
    );
    click(&client, client.find(Locator::Id("edit")).await.unwrap()).await;
    let description = client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("[name='description']"))
        .await
        .unwrap();
    description.clear().await.unwrap();
    description
        .send_keys("Calendars and reminders, edited in the browser")
        .await
        .unwrap();
    client
        .find(Locator::Css("select[name='enabled']"))
        .await
        .unwrap()
        .select_by_value("false")
        .await
        .unwrap();
    shots.take(&client, "09-editing").await;
    click(&client, client.find(Locator::Id("save")).await.unwrap()).await;
    let flash = client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Id("flash"))
        .await
        .unwrap();
    assert_eq!(flash.text().await.unwrap(), "Saved.");
    let shown = texts(&client, "#record tr[data-column='description'] td").await;
    assert_eq!(shown, ["Calendars and reminders, edited in the browser"]);
    let enabled = texts(&client, "#record tr[data-column='enabled'] td").await;
    assert_eq!(enabled, ["✗"]);
    shots.take(&client, "10-saved").await;
    // Reloading shows what the database holds, not what the page remembered.
    client.refresh().await.unwrap();
    drawn(&client, 0, "row").await;
    let shown = texts(&client, "#record tr[data-column='description'] td").await;
    assert_eq!(shown, ["Calendars and reminders, edited in the browser"]);

    // Deleting shows what it would cascade to before anything happens; cancelled here.
    go(&client, "#/row/agents/ori", "row").await;
    click(&client, client.find(Locator::Id("delete")).await.unwrap()).await;
    let confirm = client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Id("confirm-delete"))
        .await
        .unwrap();
    let text = confirm.text().await.unwrap();
    for effect in [
        "deletes 6 rows of agent_skills",
        "deletes 5 rows of agent_tools",
        "sets to NULL 4 rows of context_rules",
    ] {
        assert!(text.contains(effect), "{effect} in {text}");
    }
    shots.take(&client, "11-delete-confirmation").await;

    // Insert a row through the form, then delete it again through the confirmation.
    go(&client, "#/new/agent_skills", "new").await;
    for (field, value) in [
        ("agent_id", "explorer"),
        ("skill_name", "added-in-the-browser"),
    ] {
        client
            .find(Locator::Css(&format!("[name='{field}']")))
            .await
            .unwrap()
            .send_keys(value)
            .await
            .unwrap();
    }
    click_to(&client, Locator::Id("insert"), "row").await;
    assert_eq!(
        client
            .find(Locator::Id("flash"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "Inserted."
    );
    let skill = texts(&client, "#record tr[data-column='skill_name'] td").await;
    assert_eq!(skill, ["added-in-the-browser"]);
    let key = texts(&client, "#record tr[data-column='id'] td").await;
    click(&client, client.find(Locator::Id("delete")).await.unwrap()).await;
    let confirm = client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Id("confirm"))
        .await
        .unwrap();
    let before = renders(&client).await;
    click(&client, confirm).await;
    drawn(&client, before, "table").await;
    assert_eq!(
        client
            .find(Locator::Id("flash"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        format!("Deleted agent_skills {}.", key[0])
    );
    assert_eq!(attrs(&client, "#rows tbody tr", "data-key").await.len(), 13);

    // The picture of the README: a table view of a small seeded-looking database.
    client.set_window_size(1280, 820).await.unwrap();
    go(&client, "#/", "tables").await;
    go(&client, "#/table/agent_skills", "table").await;
    shots.take(&client, "readme-table").await;
    go(&client, "#/diagram", "diagram").await;
    // The pointer rests where the last click was; a hovered box would be highlighted in the picture.
    {
        use fantoccini::actions::{InputSource, MouseActions, PointerAction};
        let away = MouseActions::new("mouse".to_owned()).then(PointerAction::MoveTo {
            duration: None,
            x: 1.0,
            y: 1.0,
        });
        client.perform_actions(away).await.unwrap();
    }
    shots.take(&client, "readme-diagram").await;

    client.close().await.unwrap();
    studio.stop();
    drop(driver);

    #[derive(QueryableByName)]
    struct Description {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        description: Option<String>,
    }
    let mut conn = connect(&project.path(DB_FILE));
    let saved: Description =
        diesel::sql_query("SELECT description FROM agents WHERE id = 'scheduler'")
            .get_result(&mut conn)
            .unwrap();
    assert_eq!(
        saved.description.as_deref(),
        Some("Calendars and reminders, edited in the browser")
    );
    eprintln!(
        "browser test: {:.1} s; screenshots in {}",
        started.elapsed().as_secs_f64(),
        shots.dir.display()
    );
}

/// The Diagram page: the SVG the binary drew is in the page, every table a box of real size, no two
/// boxes overlapping, no text running out of its box in the browser's real font, and a click on a box
/// opens its table.
async fn diagram(client: &Client, shots: &Shots) {
    use orient_database::model::Schema;
    use orient_database::schema::TABLES;

    click_to(client, Locator::Css("[data-nav='diagram']"), "diagram").await;
    assert_eq!(heading(client).await, "Diagram");
    let picture = client
        .execute(
            r#"
            const svg = document.getElementById('diagram');
            const bbox = svg.getBBox();
            const frame = svg.getBoundingClientRect();
            const tables = [...svg.querySelectorAll('g.er-table')].map((g) => {
              const r = g.querySelector('rect.er-box').getBoundingClientRect();
              const width = Number(g.querySelector('rect.er-box').getAttribute('width'));
              // Name and type of a row must not run into each other, nor the title out of the box.
              let clash = null;
              for (const row of g.querySelectorAll('g.er-row')) {
                const name = row.querySelector('text.er-column').getBBox();
                const type = row.querySelector('text.er-type').getBBox();
                if (name.x + name.width > type.x - 2 || type.x + type.width > width) clash = row.dataset.column;
              }
              const title = g.querySelector('text.er-name').getBBox();
              if (title.x + title.width > width) clash = 'title';
              return { name: g.dataset.table, x: r.left, y: r.top, w: r.width, h: r.height, clash };
            });
            return {
              bbox: [bbox.width, bbox.height],
              frame: [frame.width, frame.height],
              links: svg.querySelectorAll('g.er-link path.er-line').length,
              tables,
              mermaid: document.getElementById('mermaid-text').value,
            };
            "#,
            vec![],
        )
        .await
        .unwrap();
    let number = |v: &serde_json::Value| v.as_f64().unwrap_or(0.0);
    assert!(
        number(&picture["bbox"][0]) > 500.0 && number(&picture["bbox"][1]) > 500.0,
        "{picture}"
    );
    assert!(
        number(&picture["frame"][0]) > 500.0 && number(&picture["frame"][1]) > 500.0,
        "{picture}"
    );
    assert_eq!(
        picture["links"],
        Schema::from_declared(TABLES).foreign_key_count(),
        "one line per foreign key"
    );
    let tables = picture["tables"].as_array().unwrap();
    assert_eq!(tables.len(), TABLES.len());
    for t in tables {
        assert!(number(&t["w"]) >= 100.0 && number(&t["h"]) >= 40.0, "{t}");
        assert!(t["clash"].is_null(), "text runs over in {t}");
    }
    for (i, a) in tables.iter().enumerate() {
        for b in &tables[i + 1..] {
            let apart = number(&a["x"]) + number(&a["w"]) <= number(&b["x"])
                || number(&b["x"]) + number(&b["w"]) <= number(&a["x"])
                || number(&a["y"]) + number(&a["h"]) <= number(&b["y"])
                || number(&b["y"]) + number(&b["h"]) <= number(&a["y"]);
            assert!(apart, "{} overlaps {}", a["name"], b["name"]);
        }
    }
    assert!(
        picture["mermaid"]
            .as_str()
            .unwrap_or_default()
            .starts_with("erDiagram\n"),
        "{picture}"
    );
    shots.take(client, "08b-diagram").await;
    // The Mermaid text is offered for copying (to the clipboard, or selected where that is refused).
    click(
        client,
        client.find(Locator::Id("copy-mermaid")).await.unwrap(),
    )
    .await;
    let status = client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#copy-status:not(:empty)"))
        .await
        .unwrap();
    let said = status.text().await.unwrap();
    assert!(said == "Copied." || said.starts_with("Selected"), "{said}");
    // A table box is a link to the table.
    click_to(
        client,
        Locator::Css("g.er-table[data-table='agent_skills']"),
        "table",
    )
    .await;
    assert_eq!(heading(client).await, "agent_skills");
    // Back to the diagram, as the browser's history has it.
    let before = renders(client).await;
    client.back().await.unwrap();
    drawn(client, before, "diagram").await;
}
