//! The runner as a library: custom registries, all-or-nothing on a failing seeder, the dry run's plan.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use orient_database::db::{Config, DbConnection};
use orient_database::seed::SeedTable;
use orient_seed::seeders::{AgentsSeeder, PermissionsSeeder, PromptsSeeder};
use orient_seed::{Context, Error, Options, REGISTRY, Seeder, SeederReport, seed_tables};
use orient_testkit::sqlite::{content_hash, count, execute};
use orient_testkit::{Project, sha256_file};

/// Seeds the prompts (so there is something to roll back), then fails.
#[derive(Debug)]
struct FailsMidway;

impl Seeder for FailsMidway {
    fn name(&self) -> &'static str {
        "fails-midway"
    }

    fn tables(&self) -> &'static [&'static dyn SeedTable] {
        PromptsSeeder.tables()
    }

    fn seed(&self, conn: &mut DbConnection, cx: &Context) -> Result<SeederReport, Error> {
        let report = seed_tables(conn, cx, self.name(), self.tables())?;
        assert!(report.counts().inserted > 0, "it did write");
        Err(Error::Seeder {
            seeder: self.name(),
            message: "injected failure".to_owned(),
        })
    }
}

fn config(project: &Project) -> Config {
    Config::for_path(project.db())
}

#[test]
fn a_seeder_failing_midway_leaves_the_database_byte_identical() {
    let project = Project::new();
    let seeded = orient_seed::run(&config(&project), REGISTRY, &Options::default()).unwrap();
    assert_eq!(seeded.totals.inserted, 89);
    let db = project.db();
    // Give every seeder something to do: rows to insert and rows to rewrite.
    execute(
        &db,
        "UPDATE agents SET name = 'Renamed' WHERE id = 'ori';
         DELETE FROM agent_tools WHERE agent_id = 'explorer';
         DELETE FROM chat_permissions;
         DELETE FROM system_prompts WHERE platform = 'whatsapp';",
    );
    let file = sha256_file(&db);
    let hash = content_hash(&db);

    let registry: &[&dyn Seeder] = &[&AgentsSeeder, &PermissionsSeeder, &FailsMidway];
    let options = Options {
        force: true,
        ..Options::default()
    };
    let error = orient_seed::run(&config(&project), registry, &options).unwrap_err();
    assert!(
        error.to_string().contains("fails-midway") && error.to_string().contains("injected"),
        "{error}"
    );
    assert_eq!(sha256_file(&db), file, "the file is byte-identical");
    assert_eq!(content_hash(&db), hash);
    assert_eq!(count(&db, "agent_tools"), 48);

    // The same run without the failure goes through.
    let report = orient_seed::run(&config(&project), REGISTRY, &options).unwrap();
    assert_eq!(
        (report.totals.inserted, report.totals.updated),
        (7 + 3 + 2, 1)
    );
}

#[test]
fn a_failure_on_a_fresh_database_leaves_no_seed_rows() {
    let project = Project::new();
    let registry: &[&dyn Seeder] = &[&AgentsSeeder, &FailsMidway];
    assert!(orient_seed::run(&config(&project), registry, &Options::default()).is_err());
    // Creating and migrating happened before the seeding transaction; no seed row was kept.
    for table in ["agents", "agent_tools", "system_prompts"] {
        assert_eq!(count(&project.db(), table), 0, "{table}");
    }
}

#[test]
fn selection_names_must_be_in_the_registry() {
    let project = Project::new();
    for options in [
        Options {
            only: Some("nope".to_owned()),
            ..Options::default()
        },
        Options {
            skip: vec!["agents".to_owned(), "nope".to_owned()],
            ..Options::default()
        },
    ] {
        match orient_seed::run(&config(&project), REGISTRY, &options) {
            Err(Error::UnknownSeeder { name, known }) => {
                assert_eq!(name, "nope");
                assert_eq!(known, "agents, permissions, prompts");
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(!project.db().exists(), "refused before opening anything");
}

#[test]
fn the_dry_run_plans_what_the_real_run_then_does() {
    let project = Project::new();
    let dry = Options {
        dry_run: true,
        ..Options::default()
    };
    let plan = orient_seed::run(&config(&project), REGISTRY, &dry).unwrap();
    assert!(!project.db().exists());
    let done = orient_seed::run(&config(&project), REGISTRY, &Options::default()).unwrap();
    assert_eq!(plan.seeders, done.seeders);
    assert_eq!(plan.pending_migrations, done.applied_migrations);

    execute(
        &project.db(),
        "UPDATE slack_channel_permissions SET notes = 'mine';
         DELETE FROM agent_skills WHERE agent_id = 'communicator';",
    );
    for force in [false, true] {
        let plan = orient_seed::run(
            &config(&project),
            REGISTRY,
            &Options {
                force,
                dry_run: true,
                ..Options::default()
            },
        )
        .unwrap();
        assert_eq!(
            (
                plan.totals.inserted,
                plan.totals.updated,
                plan.totals.skipped
            ),
            (2, if force { 3 } else { 0 }, if force { 0 } else { 3 })
        );
    }
}
