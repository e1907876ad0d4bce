use orient_database::db::Db;

#[orient_database::test(seeded)]
fn seeded_database(db: Db) {
    let _ = db;
}

fn main() {}
