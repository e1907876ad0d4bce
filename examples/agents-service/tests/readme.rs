//! The README's "Using the database from a service" shows this crate's files: each fenced block starts
//! with a comment naming its file. Rust files must be identical (so the README's code is exactly what
//! this crate compiles and tests), and every source file of the crate must be shown. The README's
//! `Cargo.toml` is for a crate outside the workspace, so it is compared by meaning: the same crates, at
//! the workspace's versions, with the same features, and the same profile for the bundled SQLite. Its
//! `.cargo/config.toml` must carry the workspace's `LIBSQLITE3_FLAGS`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const SECTION: &str = "## Using the database from a service";

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn workspace_dir() -> PathBuf {
    crate_dir().join("../..")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// A fenced block of the section: the file its first line names, and its text.
#[derive(Debug)]
struct Block {
    file: String,
    text: String,
}

/// The fenced blocks of the README's service section.
fn blocks() -> Vec<Block> {
    let readme = read(&workspace_dir().join("README.md"));
    let start = readme
        .find(&format!("\n{SECTION}\n"))
        .unwrap_or_else(|| panic!("the README has no section {SECTION:?}"));
    let rest = &readme[start + 1 + SECTION.len()..];
    let section = rest.find("\n## ").map_or(rest, |end| &rest[..end]);
    let mut blocks = Vec::new();
    let mut lines = section.lines();
    while let Some(line) = lines.next() {
        let Some(info) = line.strip_prefix("```") else {
            continue;
        };
        let mut text = String::new();
        for line in lines.by_ref() {
            if line == "```" {
                break;
            }
            text.push_str(line);
            text.push('\n');
        }
        let first = text.lines().next().unwrap_or_default();
        let file = match info {
            "rust" => first.strip_prefix("// "),
            "toml" => first.strip_prefix("# "),
            other => panic!("a block of the service section is {other:?}, not rust or toml"),
        }
        .unwrap_or_else(|| panic!("the block starting {first:?} does not name its file"));
        blocks.push(Block {
            file: file.to_owned(),
            text,
        });
    }
    blocks
}

fn block(file: &str) -> Block {
    blocks()
        .into_iter()
        .find(|b| b.file == file)
        .unwrap_or_else(|| panic!("the README's service section shows no {file}"))
}

fn rust_files(dir: &Path, under: &Path, found: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, under, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let relative = path.strip_prefix(under).unwrap();
            found.insert(relative.to_string_lossy().replace('\\', "/"));
        }
    }
}

#[test]
fn the_readme_shows_every_source_file_of_the_example_as_it_is() {
    let mut sources = BTreeSet::new();
    rust_files(&crate_dir().join("src"), &crate_dir(), &mut sources);
    let mut shown = BTreeSet::new();
    for block in blocks().into_iter().filter(|b| b.file.ends_with(".rs")) {
        let file = crate_dir().join(&block.file);
        assert!(
            file.is_file(),
            "the README shows {}, which examples/agents-service does not have",
            block.file
        );
        let source = read(&file);
        if source != block.text {
            let line = source
                .lines()
                .zip(block.text.lines())
                .position(|(a, b)| a != b)
                .map_or(
                    source.lines().count().min(block.text.lines().count()),
                    |n| n,
                )
                + 1;
            panic!(
                "the README's {} differs from examples/agents-service/{} from line {line}: copy the \
                 file into the README (or the README into the file)",
                block.file, block.file
            );
        }
        shown.insert(block.file);
    }
    assert_eq!(
        shown, sources,
        "the README's service section must show every source file of examples/agents-service"
    );
}

fn toml(text: &str) -> toml::Table {
    text.parse()
        .unwrap_or_else(|e| panic!("not TOML ({e}):\n{text}"))
}

/// A dependency as it is resolved: version requirement, whether default features are on, features.
#[derive(Debug, PartialEq, Eq)]
struct Dependency {
    version: Option<String>,
    default_features: bool,
    features: BTreeSet<String>,
}

fn dependency(value: &toml::Value) -> Dependency {
    match value {
        toml::Value::String(version) => Dependency {
            version: Some(version.clone()),
            default_features: true,
            features: BTreeSet::new(),
        },
        toml::Value::Table(table) => Dependency {
            version: table
                .get("version")
                .and_then(|v| v.as_str())
                .map(str::to_owned),
            default_features: table
                .get("default-features")
                .and_then(|v| v.as_bool())
                .unwrap_or(true),
            features: table
                .get("features")
                .and_then(|v| v.as_array())
                .into_iter()
                .flatten()
                .map(|f| f.as_str().unwrap().to_owned())
                .collect(),
        },
        other => panic!("a dependency is {other:?}"),
    }
}

/// The example's dependencies with `workspace = true` resolved against the workspace's.
fn example_dependencies() -> BTreeMap<String, Dependency> {
    let workspace = toml(&read(&workspace_dir().join("Cargo.toml")));
    let shared = workspace["workspace"]["dependencies"].as_table().unwrap();
    let manifest = toml(&read(&crate_dir().join("Cargo.toml")));
    manifest["dependencies"]
        .as_table()
        .unwrap()
        .iter()
        .map(|(name, value)| {
            let own = dependency(value);
            let inherited = value.get("workspace").and_then(|v| v.as_bool()) == Some(true);
            let resolved = if inherited {
                let base = dependency(&shared[name.as_str()]);
                Dependency {
                    version: base.version,
                    default_features: base.default_features,
                    features: base.features.union(&own.features).cloned().collect(),
                }
            } else {
                own
            };
            (name.clone(), resolved)
        })
        .collect()
}

#[test]
fn the_readme_cargo_toml_names_the_example_s_crates_versions_and_features() {
    let readme = toml(&block("Cargo.toml").text);
    let shown: BTreeMap<String, Dependency> = readme["dependencies"]
        .as_table()
        .expect("the README's Cargo.toml has no [dependencies]")
        .iter()
        .map(|(name, value)| (name.clone(), dependency(value)))
        .collect();
    let example = example_dependencies();
    assert_eq!(
        shown.keys().collect::<Vec<_>>(),
        example.keys().collect::<Vec<_>>(),
        "the README's Cargo.toml and examples/agents-service/Cargo.toml name different crates"
    );
    for (name, dependency) in &shown {
        assert_eq!(
            dependency, &example[name],
            "{name}: the README's Cargo.toml differs from the example (with the workspace's versions)"
        );
    }
    // The library comes from a path or git, never from a registry it is not published to.
    let library = readme["dependencies"]["orient-database"]
        .as_table()
        .unwrap();
    assert!(library.contains_key("path") || library.contains_key("git"));

    let workspace = toml(&read(&workspace_dir().join("Cargo.toml")));
    let edition = &workspace["workspace"]["package"]["edition"];
    assert_eq!(&readme["package"]["edition"], edition);
    let profile = |t: &toml::Table| t["profile"]["dev"]["package"]["libsqlite3-sys"].clone();
    assert_eq!(profile(&readme), profile(&workspace));
    assert_eq!(profile(&readme)["opt-level"].as_integer(), Some(3));
}

#[test]
fn the_readme_build_flags_are_the_workspace_s() {
    let flags = |text: &str| -> String {
        toml(text)["env"]["LIBSQLITE3_FLAGS"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let workspace = flags(&read(&workspace_dir().join(".cargo/config.toml")));
    assert_eq!(flags(&block(".cargo/config.toml").text), workspace);
    assert!(workspace.contains("-DSQLITE_THREADSAFE=2") && workspace.contains("-DSQLITE_DQS=0"));
}

/// The flags do reach this crate's build: the linked SQLite has every recommended option.
#[test]
fn the_example_links_sqlite_built_with_the_recommended_options() {
    use diesel::Connection;
    use orient_database::dialect::sqlite::compile_options::{compile_options, missing};
    let mut conn = orient_database::db::DbConnection::establish(":memory:").unwrap();
    let lacking = missing(&compile_options(&mut conn).unwrap());
    assert!(lacking.is_empty(), "the linked SQLite lacks {lacking:?}");
}
