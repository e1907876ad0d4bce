//! One file per command.

mod backup;
mod check;
mod doctor;
mod generate;
mod lint;
mod migrate;
mod path;
mod push;
mod schema;
#[cfg(feature = "studio")]
mod studio;
mod transfer;
mod worktree;

use orient_database::db::target::Target;
use orient_database::dialect::sqlite::storage::storage_error;

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
        Command::Check { no_database, lint } => check::run(no_database, lint, out),
        Command::Lint { files, engine } => lint::run(&files, engine, out),
        Command::Doctor {
            idle_threshold,
            skip,
        } => doctor::run(out, idle_threshold, skip),
        Command::Backup { to } => backup::backup(to.as_deref(), out),
        Command::Restore { path } => backup::restore(&path, out),
        Command::Transfer { to, from, replace } => {
            transfer::run(&to, from.as_deref(), replace, out)
        }
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

/// Names the database and the step in a storage failure (disk full, a file-size limit, a lock held too
/// long, a file that cannot be written), with what to do; other errors pass through unchanged.
pub trait AtDatabase<T> {
    fn at(self, database: &Target, step: &str) -> anyhow::Result<T>;
}

impl<T, E> AtDatabase<T> for Result<T, E>
where
    E: std::error::Error + Send + Sync + 'static,
{
    fn at(self, database: &Target, step: &str) -> anyhow::Result<T> {
        // Storage failures are a file's: a server reports its own errors, which pass through.
        self.map_err(|e| {
            match database
                .sqlite_path()
                .and_then(|path| storage_error(path, step, &e))
            {
                Some(explained) => anyhow::Error::new(explained),
                None => anyhow::Error::new(e),
            }
        })
    }
}
