use orient_database::Table;

#[derive(Table)]
#[orient(table = "modes")]
pub enum Mode {
    Primary,
    Secondary,
}

fn main() {}
