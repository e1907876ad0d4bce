//! `#[orient_database::test]` in every accepted form. In a build that is not a test build the `#[test]`
//! functions are gone, but their bodies and argument checks are compiled all the same.

use diesel::prelude::*;
use orient_database::db::{self, Db};
use orient_database::schema::agents;
use orient_database::testing::{SeedError, Template, TestDb};

fn seed(_: &mut orient_database::db::DbConnection) -> Result<(), SeedError> {
    Ok(())
}

static EMPTY: Template = Template::seeded("nothing", seed);

#[orient_database::test]
fn takes_a_db(db: Db) {
    let _ = db.target();
}

#[orient_database::test]
fn takes_a_test_db(db: TestDb) {
    let _conn = db.connect();
}

#[orient_database::test]
fn takes_a_db_by_its_full_path(db: orient_database::db::Db) {
    let _ = db;
}

#[orient_database::test(template = EMPTY)]
fn takes_a_template(_: Db) {}

#[orient_database::test(template = orient_database::testing::MIGRATED)]
fn keeps_its_return_type(db: Db) -> Result<(), db::Error> {
    let n: i64 = db.read(|conn| Ok::<_, db::Error>(agents::table.count().get_result(conn)?))?;
    assert_eq!(n, 0);
    Ok(())
}

#[orient_database::test]
#[should_panic(expected = "on purpose")]
fn keeps_its_other_attributes(_db: Db) {
    panic!("on purpose");
}

mod tests {
    use orient_database::db::Db;

    #[orient_database::test]
    pub fn in_a_module(db: Db) {
        let _ = db;
    }
}

fn main() {}
