use orient_database::db::Db;

#[orient_database::test]
async fn takes_a_db(db: Db) {
    let _ = db;
}

fn main() {}
