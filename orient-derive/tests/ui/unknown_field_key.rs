use orient_database::Table;

#[derive(Table)]
#[orient(table = "users")]
pub struct User {
    #[orient(primay_key)]
    pub id: i64,
}

fn main() {}
