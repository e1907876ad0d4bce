#[orient_database::test]
fn any_database<D: Send>(db: D) {
    let _ = db;
}

fn main() {}
