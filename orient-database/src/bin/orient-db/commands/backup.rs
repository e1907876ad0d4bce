//! `orient-db backup [--to PATH]` and `orient-db restore PATH`.

use std::path::Path;

use orient_database::db::Config;
use orient_database::ops::backup::{self, describe};

use crate::exit::Exit;
use crate::output::Output;

pub fn backup(to: Option<&Path>, out: Output) -> anyhow::Result<Exit> {
    let config = Config::from_env()?;
    let report = backup::backup(&config, to)?;
    out.emit(&report, |r| {
        format!(
            "backed up {} to {}\n  verified: {}, content checksum equal to the database's \
             ({})\n  restore it with: orient-db restore {}\n",
            r.database.display(),
            describe(&r.backup, r.bytes, &r.checksum),
            if r.backup.extension().is_some_and(|e| e == "dump") || !r.database.is_absolute() {
                "pg_restore reads it"
            } else {
                "integrity_check ok"
            },
            r.checksum.algorithm,
            r.backup.display()
        )
    });
    Ok(Exit::Ok)
}

pub fn restore(path: &Path, out: Output) -> anyhow::Result<Exit> {
    let config = Config::from_env()?;
    let report = backup::restore(&config, path)?;
    out.emit(&report, |r| {
        let mut text = format!(
            "restored {} from {}\n  verified: content checksum {} ({} rows), equal to the backup's\n",
            r.database.display(),
            r.restored_from.display(),
            r.checksum.sha256,
            r.checksum.rows()
        );
        match &r.snapshot {
            Some(snapshot) => text.push_str(&format!(
                "  the database as it was before: {snapshot}\n"
            )),
            None if r.created => text.push_str("  (the database did not exist; it was created)\n"),
            None => {}
        }
        if !r.pending_migrations.is_empty() {
            text.push_str(&format!(
                "  {} migration{} of this binary {} not applied in the backup ({}): run `orient-db migrate`\n",
                r.pending_migrations.len(),
                if r.pending_migrations.len() == 1 { "" } else { "s" },
                if r.pending_migrations.len() == 1 { "is" } else { "are" },
                r.pending_migrations.join(", ")
            ));
        }
        text
    });
    Ok(Exit::Ok)
}
