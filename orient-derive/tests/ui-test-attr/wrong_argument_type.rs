#[orient_database::test]
fn takes_a_path(db: std::path::PathBuf) {
    let _ = db;
}

fn main() {}
