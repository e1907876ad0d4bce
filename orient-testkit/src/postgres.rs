//! A throwaway PostgreSQL server for the tests of one test process, never a shared one.
//!
//! The first test that asks starts it: `initdb` into a temporary directory (trust authentication, UTF8,
//! no locale, no fsync), a free port on 127.0.0.1, the Unix socket in the same directory, `pg_ctl -w
//! start`. Each test gets a database of its own ([`Server::create_database`]). When the tests run as
//! root (as in the CI containers), the server binaries run as the `postgres` OS user (`initdb` refuses
//! root), which is given the directory.
//!
//! Stopping: a server in a `static` is never dropped, so a reaper process started beside it waits on a
//! pipe from this process, which the kernel closes when this process ends however it ends (success,
//! panic, abort, SIGKILL); the reaper then runs `pg_ctl stop -m fast` and deletes the directory. It runs
//! in a process group of its own, so the Ctrl-C that stops the tests does not stop it first.
//!
//! The binaries come from `ORIENT_PG_BIN` or the newest `/usr/lib/postgresql/*/bin`. Without them the
//! tests say why and pass, unless `ORIENT_REQUIRE_POSTGRES=1`, which makes that a failure.
//!
//! Everything here speaks processes (`initdb`, `pg_ctl`, `psql`), not libpq: this crate is built for the
//! SQLite-only lane too, where no PostgreSQL client library is compiled.

use std::io::Write as _;
use std::net::TcpListener;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

/// A running server. See the module documentation.
#[derive(Debug)]
pub struct Server {
    root: PathBuf,
    bin: PathBuf,
    pub port: u16,
    /// The write end of the reaper's stdin: closed by the kernel when this process exits.
    _reaper: ChildStdin,
    /// Serialises `CREATE DATABASE` (concurrent ones contend on the template database).
    create: Mutex<()>,
}

static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();
static DATABASES: AtomicUsize = AtomicUsize::new(0);

/// Whether the tests must fail rather than skip without PostgreSQL.
pub(crate) fn required() -> bool {
    std::env::var("ORIENT_REQUIRE_POSTGRES").is_ok_and(|v| v == "1")
}

/// The directory holding `initdb`, `pg_ctl` and `postgres`.
pub(crate) fn binaries() -> Result<PathBuf, String> {
    if let Ok(dir) = std::env::var("ORIENT_PG_BIN") {
        let dir = PathBuf::from(dir);
        return if dir.join("initdb").is_file() && dir.join("pg_ctl").is_file() {
            Ok(dir)
        } else {
            Err(format!(
                "ORIENT_PG_BIN={} holds no initdb and pg_ctl",
                dir.display()
            ))
        };
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|_| {
            "no PostgreSQL binaries: /usr/lib/postgresql does not exist (install Debian's \
             `postgresql` or set ORIENT_PG_BIN to the directory holding initdb and pg_ctl)"
                .to_owned()
        })?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            (bin.join("initdb").is_file() && bin.join("pg_ctl").is_file()).then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin).ok_or_else(|| {
        "no PostgreSQL binaries in /usr/lib/postgresql/*/bin (install Debian's `postgresql` or set \
         ORIENT_PG_BIN)"
            .to_owned()
    })
}

pub(crate) fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

impl Server {
    pub fn data_dir(&self) -> PathBuf {
        self.root.join("data")
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.root.join("server.log")).unwrap_or_default()
    }

    /// The URL of database `name` on this server (TCP on loopback, trust authentication).
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// A new, empty database with a name of its own.
    pub fn create_database(&self, hint: &str) -> String {
        let n = DATABASES.fetch_add(1, Ordering::SeqCst);
        let clean: String = hint
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .take(40)
            .collect();
        let name = format!("t{n}_{clean}");
        let _guard = self.create.lock().unwrap_or_else(|e| e.into_inner());
        self.psql("postgres", &format!("CREATE DATABASE \"{name}\""));
        name
    }

    /// The directory of the server's Unix socket (`host=` of a socket URL).
    pub fn socket_dir(&self) -> &Path {
        &self.root
    }

    /// `sql` run by `psql` on database `database`; its unaligned, tuples-only output (one line per
    /// row, columns separated by `|`), trimmed. A failure panics with psql's message.
    pub fn psql(&self, database: &str, sql: &str) -> String {
        self.try_psql(database, sql)
            .unwrap_or_else(|e| panic!("psql on {database} failed: {sql}\n{e}"))
    }

    /// [`Server::psql`], with psql's message as the error. Several statements in `sql` are one
    /// transaction (psql sends them as one query string), so a failure leaves nothing of them.
    pub fn try_psql(&self, database: &str, sql: &str) -> Result<String, String> {
        let mut psql = Command::new(self.bin.join("psql"));
        psql.args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d"])
            .arg(self.url(database));
        // An argument is limited to 128 KiB (Linux's MAX_ARG_STRLEN): a longer script goes through a
        // file, in one transaction (`-1`) as `-c`'s single query string is.
        let script;
        if sql.len() > 64 * 1024 {
            script =
                tempfile::NamedTempFile::new().map_err(|e| format!("a temporary file: {e}"))?;
            std::fs::write(script.path(), sql).map_err(|e| format!("writing the script: {e}"))?;
            psql.arg("-1").arg("-f").arg(script.path());
        } else {
            psql.arg("-c").arg(sql);
        }
        let output = psql
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("running psql: {e}"))?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
        } else {
            Err(String::from_utf8_lossy(&output.stderr).into_owned())
        }
    }
}

pub(crate) fn command(bin: &Path, program: &str, as_postgres_user: bool) -> Command {
    let path = bin.join(program);
    if as_postgres_user {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(path);
        c
    } else {
        Command::new(path)
    }
}

pub(crate) fn run(mut command: Command, what: &str) -> Result<(), String> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{what}: could not run {command:?}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

pub(crate) fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("finding a free port: {e}"))
}

/// `initdb` into `data` (user `postgres`, trust, UTF-8), then the settings every throwaway server has
/// (loopback and a socket in `root` only, no fsync) and `settings` appended to its postgresql.conf.
pub(crate) fn init_data_directory(
    bin: &Path,
    as_postgres_user: bool,
    data: &Path,
    root: &Path,
    settings: &str,
) -> Result<(), String> {
    let mut initdb = command(bin, "initdb", as_postgres_user);
    initdb.arg("-D").arg(data).args([
        "-U",
        "postgres",
        "--auth=trust",
        "-E",
        "UTF8",
        "--no-locale",
        "--no-sync",
    ]);
    run(initdb, "initdb")?;
    let mut conf = std::fs::OpenOptions::new()
        .append(true)
        .open(data.join("postgresql.conf"))
        .map_err(|e| format!("opening postgresql.conf: {e}"))?;
    writeln!(
        conf,
        "\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\nfsync = off\n\
         full_page_writes = off\n{settings}",
        root.display()
    )
    .map_err(|e| format!("writing postgresql.conf: {e}"))
}

pub(crate) fn single_quoted(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', r"'\''"))
}

fn start() -> Result<Server, String> {
    let bin = binaries()?;
    let as_postgres_user = is_root();
    let root = tempfile::Builder::new()
        .prefix("orient-pg-")
        .tempdir()
        .map_err(|e| format!("creating the server's directory: {e}"))?
        .keep();
    if as_postgres_user {
        run(
            {
                let mut c = Command::new("chown");
                c.arg("postgres:").arg(&root);
                c
            },
            "giving the server's directory to the postgres user (the tests run as root)",
        )?;
    }
    let data = root.join("data");

    // The reaper first, so that nothing started below can outlive this process.
    let stop = command(&bin, "pg_ctl", as_postgres_user);
    let stop_line = format!(
        "{} -D {} -m fast -w stop >/dev/null 2>&1",
        std::iter::once(stop.get_program())
            .chain(stop.get_args())
            .map(|a| single_quoted(Path::new(a)))
            .collect::<Vec<_>>()
            .join(" "),
        single_quoted(&data)
    );
    let mut reaper = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "cat >/dev/null; if [ -f {pid} ]; then {stop_line}; fi; rm -rf {root}",
            pid = single_quoted(&data.join("postmaster.pid")),
            root = single_quoted(&root)
        ))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map_err(|e| format!("starting the server's reaper: {e}"))?;
    let reaper_stdin = reaper
        .stdin
        .take()
        .ok_or("the reaper's stdin is not a pipe")?;

    init_data_directory(
        &bin,
        as_postgres_user,
        &data,
        &root,
        "synchronous_commit = off\nmax_connections = 200\n",
    )?;

    let mut last_error = String::new();
    for _ in 0..5 {
        let port = free_port()?;
        let mut pg_ctl = command(&bin, "pg_ctl", as_postgres_user);
        pg_ctl
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(root.join("server.log"))
            .args(["-w", "-t", "120", "-o", &format!("-p {port}"), "start"]);
        match run(pg_ctl, "pg_ctl start") {
            Ok(()) => {
                return Ok(Server {
                    root,
                    bin,
                    port,
                    _reaper: reaper_stdin,
                    create: Mutex::new(()),
                });
            }
            // Another process may have taken the port between our look and the server's bind.
            Err(e) => last_error = e,
        }
    }
    let log = std::fs::read_to_string(root.join("server.log")).unwrap_or_default();
    Err(format!("{last_error}\nserver log:\n{log}"))
}

/// The server of this test binary, started on first use; `None` (after saying why) when PostgreSQL is
/// not installed and not required. A server that is installed but fails to start is a failure.
pub fn server() -> Option<&'static Server> {
    let started = SERVER.get_or_init(|| match binaries() {
        Err(missing) => Err(missing),
        Ok(_) => Ok(start().unwrap_or_else(|e| panic!("starting the test PostgreSQL server: {e}"))),
    });
    match started {
        Ok(server) => Some(server),
        Err(missing) if required() => {
            panic!("ORIENT_REQUIRE_POSTGRES=1 but {missing}")
        }
        Err(missing) => {
            // Once per test binary, straight to stderr: the test harness captures `eprintln!` of
            // passing tests, and a skip nobody sees is a skip nobody fixes.
            static SAID: std::sync::Once = std::sync::Once::new();
            SAID.call_once(|| {
                let _ = writeln!(
                    std::io::stderr(),
                    "skipping the PostgreSQL tests: {missing}; ORIENT_REQUIRE_POSTGRES=1 makes this a failure"
                );
            });
            None
        }
    }
}
