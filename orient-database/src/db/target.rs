//! Which database a configuration points at: an SQLite file, or a PostgreSQL database on a server.
//!
//! The engine is decided here from what the user wrote (a `postgres://` or `postgresql://` URL is a
//! PostgreSQL server, anything else is a file), never by trying to connect: Diesel's `MultiConnection`
//! tries each engine in turn, hides the real error and, with a malformed URL, creates a SQLite *file*
//! named like the URL. A server's URL is parsed once, so every message can name its host, port and
//! database, and never its password.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// The URL schemes of PostgreSQL, as libpq accepts them.
/// Whether this build can open PostgreSQL targets (the `postgres` cargo feature). Tests that run one
/// body per engine read it to skip the PostgreSQL half of a SQLite-only build with a line saying so.
pub const POSTGRES_BUILT: bool = cfg!(feature = "postgres");

pub const POSTGRES_SCHEMES: [&str; 2] = ["postgres://", "postgresql://"];

/// Whether `value` is written as a PostgreSQL URL (any case of the scheme).
pub fn is_postgres_url(value: &str) -> bool {
    let lower = value.trim_start().to_ascii_lowercase();
    POSTGRES_SCHEMES.iter().any(|s| lower.starts_with(s))
}

/// The database a configuration points at.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "engine", rename_all = "snake_case")]
pub enum Target {
    /// An SQLite database file (absolute path).
    Sqlite { path: PathBuf },
    /// A PostgreSQL database on a server.
    Postgres(PostgresTarget),
}

impl Target {
    /// An SQLite database file (made absolute against the current directory when relative).
    pub fn sqlite(path: impl AsRef<Path>) -> Target {
        let path = path.as_ref();
        let path = if path.is_absolute() {
            path.to_path_buf()
        } else {
            std::env::current_dir().map_or_else(|_| path.to_path_buf(), |cwd| cwd.join(path))
        };
        Target::Sqlite { path }
    }

    /// The file, for an SQLite database.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match self {
            Target::Sqlite { path } => Some(path),
            Target::Postgres(_) => None,
        }
    }

    /// The server, for a PostgreSQL database.
    pub fn postgres(&self) -> Option<&PostgresTarget> {
        match self {
            Target::Sqlite { .. } => None,
            Target::Postgres(target) => Some(target),
        }
    }

    /// The engine's name, for messages (`sqlite`, `postgres`).
    pub fn engine(&self) -> &'static str {
        match self {
            Target::Sqlite { .. } => "sqlite",
            Target::Postgres(_) => "postgres",
        }
    }
}

/// The path, or the URL with its password hidden: what messages and reports show.
impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Sqlite { path } => write!(f, "{}", path.display()),
            Target::Postgres(target) => write!(f, "{target}"),
        }
    }
}

/// Never the password, even in a debug print.
impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Sqlite { path } => f.debug_struct("Sqlite").field("path", path).finish(),
            Target::Postgres(target) => f.debug_tuple("Postgres").field(target).finish(),
        }
    }
}

/// A PostgreSQL database, from a `postgres://` URL. The URL itself (which may hold a password) is only
/// handed to libpq; everything shown is [`PostgresTarget::redacted`].
#[derive(Clone, PartialEq, Eq)]
pub struct PostgresTarget {
    url: String,
    /// The host, as written (a name, an address, or the directory of a Unix socket); `localhost` when
    /// the URL names none, as libpq assumes.
    pub host: String,
    /// The port; 5432 when the URL names none.
    pub port: u16,
    /// The database; libpq's default (the user's name) when the URL names none.
    pub database: String,
    /// The user, when the URL names one.
    pub user: Option<String>,
    redacted: String,
}

impl Serialize for PostgresTarget {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = s.serialize_struct("PostgresTarget", 5)?;
        out.serialize_field("url", &self.redacted)?;
        out.serialize_field("host", &self.host)?;
        out.serialize_field("port", &self.port)?;
        out.serialize_field("database", &self.database)?;
        out.serialize_field("user", &self.user)?;
        out.end()
    }
}

impl fmt::Display for PostgresTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted)
    }
}

impl fmt::Debug for PostgresTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresTarget")
            .field("url", &self.redacted)
            .finish_non_exhaustive()
    }
}

/// Why a `postgres://` URL cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct UrlError {
    pub reason: String,
}

fn bad(reason: impl Into<String>) -> UrlError {
    UrlError {
        reason: reason.into(),
    }
}

impl PostgresTarget {
    /// Parses `postgres[ql]://[user[:password]@][host][:port][,host[:port]…][/database][?param=value&…]`,
    /// libpq's URI form. Query parameters libpq knows (`host`, `port`, `dbname`, `user`) override the
    /// parts before them, as libpq does.
    pub fn parse(url: &str) -> Result<PostgresTarget, UrlError> {
        let url = url.trim();
        let rest = POSTGRES_SCHEMES
            .iter()
            .find_map(|scheme| {
                url.get(..scheme.len())
                    .filter(|head| head.eq_ignore_ascii_case(scheme))
                    .map(|_| &url[scheme.len()..])
            })
            .ok_or_else(|| bad("it does not start with postgres:// or postgresql://"))?;
        if rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("it contains spaces or control characters"));
        }
        let (before_query, query) = match rest.split_once('?') {
            Some((a, q)) => (a, Some(q)),
            None => (rest, None),
        };
        let (authority, path) = match before_query.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (before_query, None),
        };
        let (userinfo, hosts) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let (mut user, password) = match userinfo {
            None => (None, None),
            Some(info) => {
                let (u, p) = match info.split_once(':') {
                    Some((u, p)) => (u, Some(p)),
                    None => (info, None),
                };
                let u = decode(u)?;
                (Some(u).filter(|u| !u.is_empty()), p)
            }
        };
        let first_host = hosts.split(',').next().unwrap_or_default();
        let (mut host, mut port) = split_host_port(first_host)?;
        for other in hosts.split(',').skip(1) {
            split_host_port(other)?;
        }
        let mut database = match path {
            Some(p) if !p.is_empty() => Some(decode(p)?),
            _ => None,
        };
        let mut password_in_query = false;
        if let Some(query) = query {
            for pair in query.split('&').filter(|p| !p.is_empty()) {
                let (key, value) = pair
                    .split_once('=')
                    .ok_or_else(|| bad(format!("the parameter `{pair}` has no `=value`")))?;
                let value = decode(value)?;
                match key {
                    "host" => host = Some(value),
                    "port" => port = Some(parse_port(&value)?),
                    "dbname" => database = Some(value),
                    "user" => user = Some(value),
                    "password" => password_in_query = true,
                    _ => {}
                }
            }
        }
        let user_for_default = user.clone();
        let redacted = redact(url, password.is_some(), password_in_query);
        Ok(PostgresTarget {
            url: url.to_owned(),
            host: host.unwrap_or_else(|| "localhost".to_owned()),
            port: port.unwrap_or(5432),
            database: database
                .or(user_for_default)
                .unwrap_or_else(|| "(the user's name)".to_owned()),
            user,
            redacted,
        })
    }

    /// The URL as given, password included: for libpq only, never for messages.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The URL with its password replaced by `***`.
    pub fn redacted(&self) -> &str {
        &self.redacted
    }

    /// The URL split for rewriting: the part before `?`, the query, and where the authority
    /// (`user:password@host:port`) starts and ends in the first.
    fn url_parts(&self) -> (&str, Option<&str>, usize, usize) {
        let scheme_end = self.url.find("://").map_or(0, |i| i + 3);
        let (before_query, query) = match self.url.split_once('?') {
            Some((a, q)) => (a, Some(q)),
            None => (self.url.as_str(), None),
        };
        let authority_end = before_query[scheme_end..]
            .find('/')
            .map_or(before_query.len(), |i| scheme_end + i);
        (before_query, query, scheme_end, authority_end)
    }

    /// The URL without its password, and the password (decoded): for PostgreSQL's programs, which get
    /// the rest as `--dbname` and the password in `PGPASSWORD`, so it never shows in a process list.
    pub fn without_password(&self) -> (String, Option<String>) {
        let mut password = None;
        let (before_query, query, scheme_end, authority_end) = self.url_parts();
        let authority = &before_query[scheme_end..authority_end];
        let mut url = before_query[..scheme_end].to_owned();
        match authority.rsplit_once('@') {
            Some((info, hosts)) => {
                let user = match info.split_once(':') {
                    Some((user, secret)) => {
                        password = decode(secret).ok();
                        user
                    }
                    None => info,
                };
                url.push_str(user);
                url.push('@');
                url.push_str(hosts);
            }
            None => url.push_str(authority),
        }
        url.push_str(&before_query[authority_end..]);
        if let Some(query) = query {
            let kept: Vec<&str> = query
                .split('&')
                .filter(|pair| match pair.strip_prefix("password=") {
                    Some(secret) => {
                        password = decode(secret).ok();
                        false
                    }
                    None => true,
                })
                .collect();
            if !kept.is_empty() {
                url.push('?');
                url.push_str(&kept.join("&"));
            }
        }
        (url, password)
    }

    /// `host:port/database`, for messages.
    pub fn location(&self) -> String {
        format!("{}:{}/{}", self.host, self.port, self.database)
    }

    /// This server's URL for another database on it (`worktree --isolated`, scratch databases), the
    /// rest (user, password, parameters) unchanged.
    pub fn with_database(&self, database: &str) -> Result<PostgresTarget, UrlError> {
        let (before_query, query, _, authority_end) = self.url_parts();
        let mut url = format!("{}/{}", &before_query[..authority_end], encode(database));
        if let Some(query) = query {
            let kept: Vec<&str> = query
                .split('&')
                .filter(|p| !p.starts_with("dbname="))
                .collect();
            if !kept.is_empty() {
                url.push('?');
                url.push_str(&kept.join("&"));
            }
        }
        PostgresTarget::parse(&url)
    }
}

/// `host[:port]`, `[ipv6][:port]` or empty.
fn split_host_port(spec: &str) -> Result<(Option<String>, Option<u16>), UrlError> {
    if spec.is_empty() {
        return Ok((None, None));
    }
    let (host, port) = if let Some(rest) = spec.strip_prefix('[') {
        let (inside, after) = rest
            .split_once(']')
            .ok_or_else(|| bad(format!("the host `{spec}` has no closing `]`")))?;
        let port = match after {
            "" => None,
            p => Some(
                p.strip_prefix(':')
                    .ok_or_else(|| bad(format!("unexpected `{p}` after the host `[{inside}]`")))?,
            ),
        };
        (inside.to_owned(), port)
    } else {
        match spec.rsplit_once(':') {
            Some((h, p)) => (decode(h)?, Some(p)),
            None => (decode(spec)?, None),
        }
    };
    let port = port.map(parse_port).transpose()?;
    Ok((Some(host).filter(|h| !h.is_empty()), port))
}

fn parse_port(text: &str) -> Result<u16, UrlError> {
    text.parse::<u16>()
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| bad(format!("the port `{text}` is not a number from 1 to 65535")))
}

/// Percent-decoding, as libpq applies to each part of the URI.
fn decode(text: &str) -> Result<String, UrlError> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| bad(format!("`{text}` has a `%` not followed by two hex digits")))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| bad(format!("`{text}` does not decode to UTF-8")))
}

/// Percent-encoding of a database name for a URL path.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `url` with the password (in the user information and in a `password=` parameter) replaced by `***`.
fn redact(url: &str, in_userinfo: bool, in_query: bool) -> String {
    let mut out = url.to_owned();
    if in_userinfo && let Some(scheme_end) = out.find("://").map(|i| i + 3) {
        let authority_end = out[scheme_end..]
            .find(['/', '?'])
            .map_or(out.len(), |i| scheme_end + i);
        if let Some(at) = out[scheme_end..authority_end]
            .rfind('@')
            .map(|i| scheme_end + i)
            && let Some(colon) = out[scheme_end..at].find(':').map(|i| scheme_end + i)
        {
            out.replace_range(colon + 1..at, "***");
        }
    }
    if in_query && let Some(q) = out.find('?') {
        let (head, query) = out.split_at(q + 1);
        let hidden: Vec<String> = query
            .split('&')
            .map(|pair| {
                if pair.starts_with("password=") {
                    "password=***".to_owned()
                } else {
                    pair.to_owned()
                }
            })
            .collect();
        out = format!("{head}{}", hidden.join("&"));
    }
    out
}

/// A value that should be a URL, with anything between `://user:` and `@` hidden, for messages about a
/// URL that could not be parsed (so its password is never printed).
pub fn redact_loosely(value: &str) -> String {
    let Some(scheme_end) = value.find("://").map(|i| i + 3) else {
        return value.to_owned();
    };
    let rest = &value[scheme_end..];
    match (rest.find(':'), rest.rfind('@')) {
        (Some(colon), Some(at)) if colon < at => {
            format!(
                "{}{}:***{}",
                &value[..scheme_end],
                &rest[..colon],
                &rest[at..]
            )
        }
        _ => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: &str) -> PostgresTarget {
        PostgresTarget::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"))
    }

    #[test]
    fn the_parts_of_a_url() {
        let t = parse("postgres://orient:s3cret@db.example.com:6432/orient_prod?sslmode=require");
        assert_eq!(t.host, "db.example.com");
        assert_eq!(t.port, 6432);
        assert_eq!(t.database, "orient_prod");
        assert_eq!(t.user.as_deref(), Some("orient"));
        assert_eq!(
            t.redacted(),
            "postgres://orient:***@db.example.com:6432/orient_prod?sslmode=require"
        );
        assert_eq!(t.location(), "db.example.com:6432/orient_prod");
        assert!(!format!("{t:?}").contains("s3cret"));
        assert!(
            !serde_json::to_string(&t)
                .unwrap_or_default()
                .contains("s3cret")
        );
    }

    #[test]
    fn defaults_sockets_and_query_parameters() {
        let t = parse("postgresql://");
        assert_eq!((t.host.as_str(), t.port), ("localhost", 5432));
        let t = parse("postgresql:///orient?host=%2Ftmp%2Fpg&port=55432&password=x");
        assert_eq!(t.host, "/tmp/pg");
        assert_eq!(t.port, 55432);
        assert_eq!(t.database, "orient");
        assert_eq!(
            t.redacted(),
            "postgresql:///orient?host=%2Ftmp%2Fpg&port=55432&password=***"
        );
        let t = parse("POSTGRES://u@[::1]:7000,other:7001/d");
        assert_eq!((t.host.as_str(), t.port), ("::1", 7000));
        assert_eq!(t.database, "d");
    }

    #[test]
    fn malformed_urls_are_refused_with_a_reason() {
        for (url, says) in [
            ("postgres://h:99999/d", "port"),
            ("postgres://h:x/d", "port"),
            ("postgres://[::1/d", "`]`"),
            ("postgres://h/d?sslmode", "no `=value`"),
            ("postgres://h/d%zz", "hex"),
            ("postgres://h /d", "spaces"),
            ("mysql://h/d", "postgres://"),
        ] {
            let error = PostgresTarget::parse(url).err().map(|e| e.reason);
            assert!(
                error.as_deref().is_some_and(|e| e.contains(says)),
                "{url}: {error:?}"
            );
        }
    }

    #[test]
    fn another_database_on_the_same_server() {
        let t = parse("postgres://u:p@h:1/one?sslmode=disable&dbname=x");
        let other = t
            .with_database("orient test")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(other.database, "orient test");
        assert_eq!(
            other.url(),
            "postgres://u:p@h:1/orient%20test?sslmode=disable"
        );
    }

    #[test]
    fn schemes_are_recognised_in_any_case() {
        assert!(is_postgres_url("postgres://x"));
        assert!(is_postgres_url(" PostgreSQL://x"));
        assert!(!is_postgres_url("postgres:oops"));
        assert!(!is_postgres_url(".dev-data/orient.db"));
    }
}
