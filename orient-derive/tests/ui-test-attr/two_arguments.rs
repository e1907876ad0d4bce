use orient_database::db::Db;

#[orient_database::test]
fn two_databases(first: Db, second: Db) {
    let _ = (first, second);
}

fn main() {}
