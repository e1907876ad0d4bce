use orient_database::Table;

orient_database::text_enum! {
    pub enum Mode { Primary = "primary", Secondary = "secondary" }
}

#[derive(Table)]
#[orient(table = "agents")]
pub struct Agent {
    #[orient(primary_key)]
    pub id: String,
    #[orient(sql_type = text, default = "primary")]
    pub mode: Mode,
}

fn main() {}
