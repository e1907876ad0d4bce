//! `orient-db path`: which database every command here uses, and why. Never opens it. With nothing
//! configured and no project root, it fails like every other command (exit 2), and its message says
//! which variables to set.

use serde::Serialize;

use orient_database::db::Config;
use orient_database::db::config::RootSource;
use orient_database::db::instance::InstanceSource;
use orient_database::db::target::Target;

use crate::exit::Exit;
use crate::output::Output;

#[derive(Serialize)]
struct PathReport<'a> {
    exists: bool,
    #[serde(flatten)]
    config: &'a Config,
}

pub fn run(out: Output) -> anyhow::Result<Exit> {
    let config = Config::from_env()?;
    let report = PathReport {
        exists: orient_database::db::open::exists(&config),
        config: &config,
    };
    out.emit(&report, |r| {
        let c = r.config;
        let source = match (&c.path_variable, &c.path_origin) {
            (Some(var), origin) => format!("{var}={} (from {origin})", c.path_value),
            (None, _) => match &c.instance {
                Some(instance) => format!(
                    "{} (default for instance {}: {})",
                    c.path_value,
                    instance.id,
                    match &instance.source {
                        InstanceSource::Variable => "AI_INSTANCE_ID".to_owned(),
                        InstanceSource::Worktree { name } => format!("worktree `{name}`"),
                        InstanceSource::Default => "main checkout".to_owned(),
                    }
                ),
                None => c.path_value.clone(),
            },
        };
        let root = match &c.root_source {
            RootSource::DieselToml { path } => format!("found {}", path.display()),
            RootSource::Variable { variable } => format!("named by {variable}"),
            RootSource::Named => "named by the program".to_owned(),
            RootSource::CurrentDirectory => "no diesel.toml above; the current directory".to_owned(),
        };
        let env_file = c
            .env_file
            .as_ref()
            .map_or_else(|| "none".to_owned(), |p| p.display().to_string());
        format!(
            "{}\n  from:         {source}\n  project root: {} ({root})\n  .env:         {env_file}\n  \
             type:         {}\n  exists:       {}\n",
            c.target,
            c.project_root.display(),
            c.target.engine(),
            match (&c.target, r.exists) {
                (Target::Postgres(_), _) => "a server: `orient-db migrate` connects and says",
                (Target::Sqlite { .. }, true) => "yes",
                (Target::Sqlite { .. }, false) => "no (migrate creates it)",
            }
        )
    });
    Ok(Exit::Ok)
}
