use orient_database::db::Db;

static SEEDED: &str = "seeded";

#[orient_database::test(template = SEEDED)]
fn seeded_database(db: Db) {
    let _ = db;
}

fn main() {}
