//! Embeds the Diesel migrations of `migrations/<dialect>/` (the same files `diesel migration run`
//! applies), one list per dialect this build supports.
//!
//! Diesel's `embed_migrations!` keeps the SQL private, and the migrator needs the text itself (checksums
//! of applied migrations), so this generates a list of `include_str!`s instead. `include_str!` makes
//! cargo rebuild when a file changes; the directory is watched for added or removed migrations.
//!
//! A missing migrations directory, or a migration without `up.sql`, fails the build: a binary that
//! silently embedded no migrations would create empty databases.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The dialects whose migrations are embedded: (directory under `migrations/`, generated file).
const DIALECTS: [(&str, &str); 2] = [
    ("sqlite", "embedded_migrations_sqlite.rs"),
    ("postgres", "embedded_migrations_postgres.rs"),
];

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    for (dialect, file) in DIALECTS {
        let dir = manifest.join("../migrations").join(dialect);
        match embed(&dir) {
            Ok(code) => {
                if let Err(e) = std::fs::write(out.join(file), code) {
                    fail(&format!(
                        "cannot write the embedded migration list {}: {e}",
                        out.join(file).display()
                    ));
                }
            }
            Err(message) => fail(&message),
        }
    }
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    println!("cargo:warning={message}");
    std::process::exit(1);
}

/// The Rust list of the migrations in `dir`, in version order.
fn embed(dir: &Path) -> Result<String, String> {
    println!("cargo:rerun-if-changed={}", dir.display());
    let read = std::fs::read_dir(dir).map_err(|e| {
        format!(
            "cannot read the migrations directory {} ({e}); it must exist, with one \
             `<version>_<name>/up.sql` per migration (write them with `orient-db generate NAME`)",
            dir.display()
        )
    })?;
    let mut entries: Vec<PathBuf> = Vec::new();
    for entry in read {
        let path = entry
            .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
            .path();
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_none_or(|n| n.starts_with('.'));
        if path.is_dir() && !hidden {
            entries.push(path);
        }
    }
    entries.sort();
    let mut code = String::from("&[\n");
    for path in &entries {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| format!("{} is not a UTF-8 name", path.display()))?;
        println!("cargo:rerun-if-changed={}", path.display());
        if !path.join("up.sql").is_file() {
            return Err(format!(
                "migration {} has no up.sql; every migration directory needs one",
                path.display()
            ));
        }
        let file = |f: &str| -> Option<String> {
            let p = path.join(f);
            p.is_file()
                .then(|| format!("include_str!({:?})", canonical(&p)))
        };
        let metadata =
            file("metadata.toml").map_or_else(|| "None".to_owned(), |m| format!("Some({m})"));
        let down = file("down.sql").map_or_else(|| "None".to_owned(), |d| format!("Some({d})"));
        let up = file("up.sql").unwrap_or_default();
        let _ = writeln!(
            code,
            "    EmbeddedMigration {{ name: {name:?}, up: {up}, down: {down}, metadata: {metadata} }},"
        );
    }
    code.push_str("]\n");
    Ok(code)
}

fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}
