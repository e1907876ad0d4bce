//! Embeds the Diesel migrations of `migrations/sqlite/` (the same files `diesel migration run` applies).
//!
//! Diesel's `embed_migrations!` keeps the SQL private, and the migrator needs the text itself (checksums
//! of applied migrations), so this generates a list of `include_str!`s instead. `include_str!` makes
//! cargo rebuild when a file changes; the directory is watched for added or removed migrations.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let dir = manifest.join("../migrations/sqlite");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    entries.sort();
    let mut code = String::from("&[\n");
    for path in &entries {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if !path.join("up.sql").is_file() {
            continue;
        }
        println!("cargo:rerun-if-changed={}", path.display());
        let file = |f: &str| -> Option<String> {
            let p = path.join(f);
            p.is_file()
                .then(|| format!("include_str!({:?})", canonical(&p)))
        };
        let metadata =
            file("metadata.toml").map_or_else(|| "None".to_owned(), |m| format!("Some({m})"));
        let down = file("down.sql").map_or_else(|| "None".to_owned(), |d| format!("Some({d})"));
        let _ = writeln!(
            code,
            "    EmbeddedMigration {{ name: {name:?}, up: {}, down: {down}, metadata: {metadata} }},",
            file("up.sql").unwrap_or_default()
        );
    }
    code.push_str("]\n");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    if let Err(e) = std::fs::write(out.join("embedded_migrations.rs"), code) {
        println!("cargo:warning=cannot write the embedded migration list: {e}");
        std::process::exit(1);
    }
}

fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}
