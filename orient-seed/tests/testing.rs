//! `orient_seed::testing::SEEDED`: a per-test database holding what `orient-seed` writes into a new
//! database.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use orient_database::db::{self, Db};
use orient_database::seed::{SeedRowState, status};
use orient_database::testing::TestDb;
use orient_seed::testing::SEEDED;
use orient_seed::{Options, REGISTRY, seed_connection};
use orient_testkit::Project;
use orient_testkit::sqlite::{connect, count, table_names};

#[orient_database::test(template = SEEDED)]
fn every_seed_row_is_there_and_matches(db: Db) {
    let tables = db.read(|conn| Ok::<_, db::Error>(status(conn)?)).unwrap();
    assert!(!tables.is_empty());
    for table in &tables {
        assert!(table.exists, "{}", table.table);
        assert!(!table.rows.is_empty(), "{}", table.table);
        for row in &table.rows {
            assert_eq!(row.state, SeedRowState::Matches, "{}: {row:?}", table.table);
        }
    }
}

#[orient_database::test(template = SEEDED)]
fn seeding_the_copy_again_changes_nothing(db: TestDb) {
    let mut conn = db.connect().unwrap();
    let reports = seed_connection(&mut conn, REGISTRY, &Options::default()).unwrap();
    let inserted: usize = reports.iter().map(|r| r.counts().inserted).sum();
    let updated: usize = reports.iter().map(|r| r.counts().updated).sum();
    assert_eq!((inserted, updated), (0, 0), "{reports:?}");
}

#[test]
fn the_template_holds_as_many_rows_per_table_as_the_binary_writes() {
    let project = Project::new();
    project.seed_json(&[]);
    let seeded = TestDb::from_template(&SEEDED).unwrap();
    let tables = table_names(&mut connect(&project.db()));
    assert_eq!(
        tables,
        table_names(&mut connect(seeded.sqlite_path().unwrap()))
    );
    let mut nonempty = 0;
    for table in &tables {
        let n = count(&project.db(), table);
        assert_eq!(count(seeded.sqlite_path().unwrap(), table), n, "{table}");
        nonempty += usize::from(n > 0);
    }
    // The seeded tables, and the ledgers.
    assert!(nonempty >= 7, "{nonempty}");
}
