mod schema {
    use orient_database::Table;

    #[derive(Table)]
    #[orient(table = "users")]
    pub struct User {
        #[orient(primary_key)]
        pub id: i64,
    }

    #[derive(Table)]
    #[orient(table = "posts")]
    pub struct Post {
        #[orient(primary_key)]
        pub id: i64,
        #[orient(references = users::id)]
        pub user_id: i64,
    }

    orient_database::register_tables! {
        posts => Post,
    }
}

fn main() {}
