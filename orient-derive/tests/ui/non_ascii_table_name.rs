use orient_database::Table;

#[derive(Table)]
#[orient(table = "日本語テーブル")]
pub struct Record {
    #[orient(primary_key)]
    pub id: i64,
}

fn main() {}
