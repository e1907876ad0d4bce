//! `orient-db worktree [--isolated [--name NAME] [--force]]`: which database this checkout uses, or give
//! it one of its own.
//!
//! Without flags it only reads the configuration (nothing is opened or created). With `--isolated` it
//! creates `.dev-data/instance-N/<name>.db` (on PostgreSQL: database `<shared database>__<name>` on
//! the same server), migrates and seeds it, and writes `SQLITE_DATABASE=<its path>` (`DATABASE_URL=<its
//! URL>`) into this checkout's `.env` (that one line, the rest kept), so every later command and
//! service run from the checkout uses it.
//!
//! Seeding without a package cycle: the seeder lives in the `orient-seed` package, which depends on this
//! one, so `orient-db` cannot link it. It runs the `orient-seed` binary that Cargo builds into the same
//! directory as this one (`target/<profile>/`), with `SQLITE_DATABASE` set to the new file. That is the
//! real seeder, with its migration lock, one transaction and exit codes, rather than a second copy of it;
//! the cost is that both binaries must be built (`cargo build -p orient-seed`), which the error says
//! when it is not, before anything is created.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Serialize;

use orient_database::db::config::{Origin, Settings, default_path};
use orient_database::db::instance::{Instance, InstanceSource, instance_for};
use orient_database::db::target::Target;
use orient_database::db::{Config, env_file};
use orient_database::types::Timestamp;

use crate::exit::{CommandError, Exit};
use crate::output::Output;

/// The `.env` variable `--isolated` writes: the file on SQLite, the URL on PostgreSQL.
const SQLITE_VARIABLE: &str = "SQLITE_DATABASE";
const URL_VARIABLE: &str = "DATABASE_URL";

/// Between the shared database's name and an isolated one's on PostgreSQL.
#[cfg(feature = "postgres")]
const ISOLATED_SEPARATOR: &str = "__";

#[derive(Serialize)]
struct ShowReport {
    /// The database this checkout uses.
    database: String,
    exists: bool,
    /// Whether it is the instance database that every checkout of the instance shares.
    shared: bool,
    instance: Instance,
    shared_database: String,
    /// What chose the database, when not the default (`SQLITE_DATABASE=… (from …)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    set_by: Option<String>,
}

pub fn show(out: Output) -> anyhow::Result<Exit> {
    let config = Config::from_env()?;
    let instance = instance(&config)?;
    let shared_database = config.project_root.join(default_path(instance.id));
    let report = ShowReport {
        database: config.target.to_string(),
        exists: orient_database::db::open::exists(&config),
        shared: config.sqlite_path() == Some(shared_database.as_path()),
        set_by: config
            .path_variable
            .map(|var| format!("{var}={} (from {})", config.path_value, config.path_origin)),
        shared_database: shared_database.display().to_string(),
        instance,
    };
    out.emit(&report, |r| {
        let exists = if r.exists {
            "exists"
        } else {
            "does not exist yet; `cargo run -p orient-seed` creates and seeds it"
        };
        let which = match &r.instance.source {
            InstanceSource::Variable => "AI_INSTANCE_ID".to_owned(),
            InstanceSource::Worktree { name } => format!("worktree `{name}`"),
            InstanceSource::Default => "main checkout".to_owned(),
        };
        let mut text = if r.shared {
            format!(
                "This checkout uses the shared database of instance {} ({which}):\n  {} ({exists})\n\
                 Every checkout of instance {} uses it. To give this checkout a database of its own: \
                 orient-db worktree --isolated [--name NAME]\n",
                r.instance.id, r.database, r.instance.id
            )
        } else {
            let back = match (&config.path_variable, &config.path_origin) {
                (Some(var), Origin::EnvFile { path }) => {
                    format!("remove the {var} line from {}", path.display())
                }
                (Some(var), _) => format!("unset {var}"),
                (None, _) => "use the default configuration".to_owned(),
            };
            format!(
                "This checkout uses its own database:\n  {} ({exists})\n  set by {}\n\
                 The shared database of instance {} is {}; {back} to go back to it.\n",
                r.database,
                r.set_by.as_deref().unwrap_or("the configuration"),
                r.instance.id,
                r.shared_database
            )
        };
        if let Some(set_by) = &r.set_by
            && r.shared
        {
            text.push_str(&format!("  (set by {set_by})\n"));
        }
        text
    });
    Ok(Exit::Ok)
}

#[derive(Serialize)]
struct IsolatedReport {
    database: String,
    /// Whether the file was new (an existing file of that name is migrated and seeded again).
    created: bool,
    env_file: String,
    /// The line written into `.env`.
    env_line: String,
    /// `orient-seed --json`'s report.
    seed: serde_json::Value,
    warnings: Vec<String>,
}

pub fn isolated(name: Option<&str>, force: bool, out: Output) -> anyhow::Result<Exit> {
    let config = Config::from_env()?;
    let stem = stem(name)?;
    // Before anything is created: the seeder must be there to finish the job.
    seeder_binary()?;
    // Where the new database goes, and the `.env` line that points at it.
    let (database, created, variable, value, seed_env) = match &config.target {
        Target::Sqlite { .. } => {
            let instance = instance(&config)?;
            let file = config
                .project_root
                .join(".dev-data")
                .join(format!("instance-{}", instance.id))
                .join(format!("{stem}.db"));
            let value = file.to_string_lossy().into_owned();
            (
                file.display().to_string(),
                !file.exists(),
                SQLITE_VARIABLE,
                value.clone(),
                (SQLITE_VARIABLE, value),
            )
        }
        Target::Postgres(beside) => {
            let (target, created) = postgres_beside(beside, &stem)?;
            (
                target.redacted().to_owned(),
                created,
                URL_VARIABLE,
                target.url().to_owned(),
                (URL_VARIABLE, target.url().to_owned()),
            )
        }
    };
    let seed = seed(&config, &seed_env, force, &database)?;

    let env_path = config.project_root.join(".env");
    env_file::set_variable(&env_path, variable, &value)
        .map_err(|e| anyhow::anyhow!("cannot write {variable} into {}: {e}", env_path.display()))?;

    // Say so when something still overrides the line just written.
    let mut warnings = Vec::new();
    let after = Config::from_env()?;
    if after.target.to_string() != database {
        warnings.push(match (&after.path_variable, &after.path_origin) {
            (Some(var), Origin::Environment) => format!(
                "{var} is set in this shell's environment ({}), which wins over .env; unset it to use {database}",
                after.path_value,
            ),
            _ => format!(
                "the configuration still resolves to {} (see `orient-db path`)",
                after.target
            ),
        });
    }
    for warning in &warnings {
        out.warn(warning);
    }

    let report = IsolatedReport {
        database,
        created,
        // The password stays out of what is printed; `.env` holds the whole URL.
        env_line: format!("{variable}={}", shown(&value)),
        env_file: env_path.display().to_string(),
        seed,
        warnings,
    };
    out.emit(&report, |r| {
        let t = &r.seed["totals"];
        format!(
            "{} {}, migrated and seeded ({} rows inserted, {} updated, {} unchanged, {} skipped)\n\
             wrote {} into {}: commands and services run from this checkout now use it\n",
            if r.created { "created" } else { "reused" },
            r.database,
            t["inserted"],
            t["updated"],
            t["unchanged"],
            t["skipped"],
            r.env_line,
            r.env_file
        )
    });
    Ok(Exit::Ok)
}

/// A `.env` value as printed: a PostgreSQL URL with its password hidden.
fn shown(value: &str) -> String {
    match orient_database::db::target::PostgresTarget::parse(value) {
        Ok(target) => target.redacted().to_owned(),
        Err(_) => value.to_owned(),
    }
}

/// Database `<shared database>__<stem>` on the configured server, created unless it exists. The shared
/// database is the configured one, or, when that is itself an isolated one (this checkout ran
/// `--isolated` before and `.env` points at it), the part of its name before `__`: a second
/// `--isolated` makes a sibling, not a child.
#[cfg(feature = "postgres")]
fn postgres_beside(
    beside: &orient_database::db::target::PostgresTarget,
    stem: &str,
) -> anyhow::Result<(orient_database::db::target::PostgresTarget, bool)> {
    let shared = beside
        .database
        .split_once(ISOLATED_SEPARATOR)
        .map_or(beside.database.as_str(), |(shared, _)| shared);
    let mut name = format!(
        "{shared}{ISOLATED_SEPARATOR}{}",
        stem.replace(['-', '.'], "_")
    );
    // Identifiers are at most 63 bytes; the stem is ASCII, so this cuts on a character.
    name.truncate(63);
    Ok(orient_database::dialect::postgres::database::ensure_beside(
        beside, &name,
    )?)
}

#[cfg(not(feature = "postgres"))]
fn postgres_beside(
    beside: &orient_database::db::target::PostgresTarget,
    _stem: &str,
) -> anyhow::Result<(orient_database::db::target::PostgresTarget, bool)> {
    // The configuration refuses PostgreSQL targets in a build without it; this is that refusal again.
    Err(CommandError::usage(format!(
        "{} is a PostgreSQL database and this orient-db was built without the `postgres` feature",
        beside.redacted()
    )))
}

/// Creates (when missing), migrates and seeds the database `env` points the seeder at, by running
/// `orient-seed --json` (see the module documentation); its report. `.env` is not touched here: the
/// caller changes it only once this has succeeded.
fn seed(
    config: &Config,
    env: &(&str, String),
    force: bool,
    database: &str,
) -> anyhow::Result<serde_json::Value> {
    let seeder = seeder_binary()?;
    let mut command = Command::new(&seeder);
    command
        .current_dir(&config.project_root)
        .env(env.0, &env.1)
        .arg("--json")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if force {
        command.arg("--force");
    }
    let output = command
        .output()
        .map_err(|e| anyhow::anyhow!("cannot run {}: {e}", seeder.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let seed: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|_| serde_json::Value::String(stdout.into()));
    if !output.status.success() {
        let code = output.status.code().unwrap_or(1);
        let exit = match code {
            2 => Exit::Usage,
            3 => Exit::Refused,
            4 => Exit::Locked,
            _ => Exit::Error,
        };
        let reason = seed["error"]["message"]
            .as_str()
            .map_or_else(|| format!("exit code {code}"), str::to_owned);
        return Err(anyhow::Error::new(CommandError {
            exit,
            message: format!(
                "seeding {database} failed ({reason}); {} was not changed",
                config.project_root.join(".env").display()
            ),
        }));
    }
    Ok(seed)
}

/// The instance of this checkout, also when a path variable chose the database (the default path would
/// then be this instance's). `AI_INSTANCE_ID` is read by the library's one reader, like every variable.
fn instance(config: &Config) -> anyhow::Result<Instance> {
    if let Some(instance) = &config.instance {
        return Ok(instance.clone());
    }
    Ok(instance_for(
        &config.project_root,
        Settings::from_env()?.instance_id()?,
    ))
}

/// The new database's name without `.db`: `--name` or `worktree_<unix time>`.
fn stem(name: Option<&str>) -> anyhow::Result<String> {
    let name = name.map_or_else(
        || format!("worktree_{}", Timestamp::now().unix_seconds()),
        str::to_owned,
    );
    let stem = name.strip_suffix(".db").unwrap_or(&name);
    let valid = !stem.is_empty()
        && !stem.starts_with('.')
        && stem
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
    if !valid {
        return Err(CommandError::usage(format!(
            "--name {name:?}: use letters, digits, `_`, `-` and `.` (not first); the file is \
             .dev-data/instance-N/<name>.db"
        )));
    }
    if stem == "orient" {
        return Err(CommandError::usage(
            "--name orient is the shared instance database; choose another name",
        ));
    }
    Ok(stem.to_owned())
}

/// The `orient-seed` binary beside this one.
fn seeder_binary() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()
        .map_err(|e| anyhow::anyhow!("cannot find this program's own path: {e}"))?;
    let dir = exe.parent().unwrap_or(Path::new("."));
    let seeder = dir.join(format!("orient-seed{}", std::env::consts::EXE_SUFFIX));
    if seeder.is_file() {
        Ok(seeder)
    } else {
        Err(anyhow::Error::new(CommandError {
            exit: Exit::Error,
            message: format!(
                "the seeder is not built: {} does not exist. Build it with `cargo build -p orient-seed` \
                 (or use scripts/seed-worktree-db.sh, which builds both); nothing was created",
                seeder.display()
            ),
        }))
    }
}
