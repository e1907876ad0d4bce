//! Exit codes, decided from the error's type in one place.

use orient_database::db;
use orient_database::migrations;
use orient_database::ops::{self, ErrorClass};
use orient_database::push::PushError;

/// The documented exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    Ok = 0,
    Error = 1,
    Usage = 2,
    Refused = 3,
    Locked = 4,
    Drift = 5,
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> std::process::ExitCode {
        std::process::ExitCode::from(exit as u8)
    }
}

/// An error that carries its own exit code (usage errors found by the commands themselves).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct CommandError {
    pub exit: Exit,
    pub message: String,
}

impl CommandError {
    pub fn usage(message: impl Into<String>) -> anyhow::Error {
        anyhow::Error::new(CommandError {
            exit: Exit::Usage,
            message: message.into(),
        })
    }
}

pub fn exit_code(error: &anyhow::Error) -> Exit {
    if let Some(e) = error.downcast_ref::<CommandError>() {
        return e.exit;
    }
    if error.downcast_ref::<db::ConfigError>().is_some() {
        return Exit::Usage;
    }
    if let Some(e) = error.downcast_ref::<PushError>() {
        if e.is_locked() {
            return Exit::Locked;
        }
        return match e {
            PushError::DataLoss { .. } | PushError::ForeignDatabase { .. } => Exit::Refused,
            PushError::Snapshot(e) => class_exit(e.class()),
            _ => Exit::Error,
        };
    }
    if let Some(e) = error.downcast_ref::<ops::Error>() {
        return class_exit(e.class());
    }
    if let Some(e) = error.downcast_ref::<ops::transfer::Error>() {
        return class_exit(e.class());
    }
    if let Some(e) = error.downcast_ref::<db::Error>() {
        return match e {
            db::Error::Migration(m) => migration_exit(m),
            _ => class_exit(e.class()),
        };
    }
    if let Some(e) = error.downcast_ref::<migrations::Error>() {
        return migration_exit(e);
    }
    Exit::Error
}

fn class_exit(class: ErrorClass) -> Exit {
    match class {
        ErrorClass::Failure => Exit::Error,
        ErrorClass::Usage => Exit::Usage,
        ErrorClass::Refused => Exit::Refused,
        ErrorClass::Locked => Exit::Locked,
    }
}

fn migration_exit(error: &migrations::Error) -> Exit {
    match error {
        // The two engines' directories disagree: the drift `check` reports (exit 5 there too).
        migrations::Error::OutOfParity { .. } => Exit::Drift,
        _ => class_exit(error.class()),
    }
}
