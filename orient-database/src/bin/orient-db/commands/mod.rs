//! One file per command.

mod backup;
mod check;
mod doctor;
mod generate;
mod migrate;
mod path;
mod push;
mod schema;
#[cfg(feature = "studio")]
mod studio;
mod worktree;

use crate::cli::{Command, MigrateAction};
use crate::exit::Exit;
use crate::output::Output;

pub fn run(command: Command, out: Output) -> anyhow::Result<Exit> {
    match command {
        Command::Migrate { action } => match action.unwrap_or(MigrateAction::Run) {
            MigrateAction::Run => migrate::run(out),
            MigrateAction::Status => migrate::status(out),
            MigrateAction::Revert => migrate::revert(out),
            MigrateAction::Redo => migrate::redo(out),
        },
        Command::Path => path::run(out),
        Command::Schema {
            table,
            format,
            declared,
        } => schema::run(table.as_deref(), format, declared, out),
        Command::Generate { name } => generate::run(&name, out),
        Command::Push {
            dry_run,
            accept_data_loss,
        } => push::run(dry_run, accept_data_loss, out),
        Command::Check { no_database } => check::run(no_database, out),
        Command::Doctor => doctor::run(out),
        Command::Backup { to } => backup::backup(to.as_deref(), out),
        Command::Restore { path } => backup::restore(&path, out),
        Command::Worktree {
            isolated,
            name,
            force,
        } => {
            if isolated {
                worktree::isolated(name.as_deref(), force, out)
            } else {
                worktree::show(out)
            }
        }
        #[cfg(feature = "studio")]
        Command::Studio {
            port,
            write,
            open,
            host,
        } => studio::run(port, write, open, host.as_deref(), out),
    }
}
