mod a {
    use orient_database::Table;

    #[derive(Table)]
    #[orient(table = "users")]
    pub struct User {
        #[orient(primary_key)]
        pub id: i64,
    }
}

mod b {
    use orient_database::Table;

    #[derive(Table)]
    #[orient(table = "users")]
    pub struct Account {
        #[orient(primary_key)]
        pub id: i64,
    }
}

use a::{User, users as a_users};
use b::{Account, users as b_users};

orient_database::register_tables! {
    a_users => User,
    b_users => Account,
}

fn main() {}
