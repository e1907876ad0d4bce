//! Everything a request passes before it reaches a route, in [`guard`], and the headers every response
//! gets, whatever answered it.
//!
//! Local database studios keep shipping the same holes (listening on every interface, wildcard CORS, no
//! Host or Origin check: Prisma Studio, Drizzle Studio, MCP Inspector CVE-2025-49596, Vite
//! CVE-2025-24010). Here:
//!
//! 1. **Host allow-list** (DNS rebinding): the `Host` header must be `127.0.0.1`, `localhost` or `[::1]`
//!    (or the address given with `--host`) with the port the server really listens on; anything else,
//!    `0.0.0.0` included, is 403 before routing.
//! 2. **No cross-site requests**: a request whose `Origin` is present and not this server's origin, or
//!    whose `Sec-Fetch-Site` says it came from another site, is 403; so is a WebSocket upgrade.
//! 3. **Token**: 256 bits from the OS per launch. `GET /?token=…` with the right token answers with the
//!    page and sets an `HttpOnly; SameSite=Strict` cookie; every other request needs that cookie (or
//!    `Authorization: Bearer …`), compared in constant time. Otherwise 401.
//! 4. **CSRF** on anything that is not GET/HEAD: `Origin` must be exactly this server's origin (a missing
//!    or `null` Origin is refused), the custom header `X-Orient-Studio: 1` must be present (a plain HTML
//!    form cannot send it), and the body must be `application/json` (415 otherwise).
//! 5. **Headers** on every response: `Content-Security-Policy: default-src 'self'; frame-ancestors 'none'…`,
//!    `Referrer-Policy: no-referrer` (the token is in the first URL), `X-Frame-Options: DENY`,
//!    `X-Content-Type-Options: nosniff`, `Cache-Control: no-store`. No `Access-Control-*` header is ever
//!    sent; any a handler might add is removed.

use std::net::IpAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use crate::studio::error::Error;

/// The header state-changing requests must carry (a cross-site form cannot set custom headers).
pub const CSRF_HEADER: &str = "x-orient-studio";

pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; frame-ancestors 'none'; \
     base-uri 'none'; form-action 'self'; object-src 'none'";

/// A per-launch secret.
#[derive(Clone)]
pub struct Token(String);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(…)")
    }
}

impl Token {
    /// 32 bytes from the operating system's random source, as 64 hex digits.
    pub fn generate() -> Result<Token, Error> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| Error::Random(e.to_string()))?;
        Ok(Token(bytes.iter().map(|b| format!("{b:02x}")).collect()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Constant-time comparison (the length is not secret: it is always 64).
    pub fn matches(&self, candidate: &str) -> bool {
        bool::from(self.0.as_bytes().ct_eq(candidate.as_bytes()))
    }
}

/// What the guard needs to know about the server.
#[derive(Debug, Clone)]
pub struct Guard {
    pub token: Token,
    /// The port the server listens on (not the one asked for: `--port 0` picks one).
    pub port: u16,
    /// Host names accepted in the Host header, without port: the loopback names, and the `--host` address
    /// when it is a specific one.
    pub hosts: Vec<String>,
    /// The name of the session cookie; it carries the port, because cookies are shared between ports.
    pub cookie: String,
}

impl Guard {
    pub fn new(token: Token, port: u16, bound: IpAddr) -> Guard {
        let mut hosts: Vec<String> = vec!["127.0.0.1".into(), "localhost".into(), "[::1]".into()];
        if !bound.is_unspecified() && !bound.is_loopback() {
            hosts.push(match bound {
                IpAddr::V4(v4) => v4.to_string(),
                IpAddr::V6(v6) => format!("[{v6}]"),
            });
        }
        Guard {
            token,
            port,
            hosts,
            cookie: format!("orient_studio_{port}"),
        }
    }

    /// Whether a Host header value names this server: an allowed name with the real port.
    pub fn host_allowed(&self, host: &str) -> bool {
        let (name, port) = match host.rsplit_once(':') {
            // `[::1]` alone has colons but no port.
            Some((name, port)) if !port.contains(']') => (name, Some(port)),
            _ => (host, None),
        };
        let port_ok = match port {
            Some(p) => p.parse::<u16>().ok() == Some(self.port),
            None => self.port == 80,
        };
        port_ok && self.hosts.iter().any(|h| h.eq_ignore_ascii_case(name))
    }

    /// The token presented by the cookie or an `Authorization: Bearer` header, if any is right.
    fn authenticated(&self, headers: &HeaderMap) -> bool {
        let bearer = headers
            .get_all(header::AUTHORIZATION)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.strip_prefix("Bearer "))
            .any(|t| self.token.matches(t.trim()));
        bearer || self.cookie_values(headers).any(|t| self.token.matches(t))
    }

    fn cookie_values<'h>(&'h self, headers: &'h HeaderMap) -> impl Iterator<Item = &'h str> + 'h {
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .filter(|(name, _)| *name == self.cookie)
            .map(|(_, value)| value)
    }

    /// `Set-Cookie` for a good token.
    fn session_cookie(&self) -> String {
        format!(
            "{}={}; Path=/; HttpOnly; SameSite=Strict",
            self.cookie,
            self.token.as_str()
        )
    }
}

/// The middleware: checks in the order of the module documentation, then adds the headers.
pub async fn guard(State(guard): State<Arc<Guard>>, request: Request, next: Next) -> Response {
    let mut response = check(&guard, request, next).await;
    secure_headers(response.headers_mut());
    response
}

async fn check(guard: &Guard, request: Request, next: Next) -> Response {
    let headers = request.headers();

    // 1. Host, before anything else looks at the request.
    let hosts: Vec<&str> = headers
        .get_all(header::HOST)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let authority = request.uri().authority().map(|a| a.as_str());
    let host_ok = match (hosts.as_slice(), authority) {
        ([host], None) => guard.host_allowed(host),
        ([host], Some(authority)) => guard.host_allowed(host) && guard.host_allowed(authority),
        ([], Some(authority)) => guard.host_allowed(authority),
        _ => false,
    };
    if !host_ok {
        return refuse(
            StatusCode::FORBIDDEN,
            "this server answers only to 127.0.0.1, localhost or [::1] with its own port",
        );
    }
    let origin = format!(
        "http://{}",
        hosts.first().copied().or(authority).unwrap_or_default()
    );

    // 2. Cross-site requests and upgrades.
    if headers.contains_key(header::UPGRADE) {
        return refuse(StatusCode::FORBIDDEN, "upgrades (WebSocket) are not served");
    }
    let given_origin = headers
        .get(header::ORIGIN)
        .map(|v| v.to_str().unwrap_or("?"));
    if given_origin.is_some_and(|o| o != origin) {
        return refuse(StatusCode::FORBIDDEN, "cross-origin requests are refused");
    }
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if fetch_site.is_some_and(|s| s != "same-origin" && s != "none") {
        return refuse(StatusCode::FORBIDDEN, "cross-site requests are refused");
    }

    // 3. The token.
    let mut set_cookie = false;
    if !guard.authenticated(headers) {
        let offered = (request.method() == Method::GET && request.uri().path() == "/")
            .then(|| token_parameter(request.uri().query().unwrap_or_default()))
            .flatten();
        match offered {
            Some(token) if guard.token.matches(&token) => set_cookie = true,
            _ => {
                return refuse(
                    StatusCode::UNAUTHORIZED,
                    "open the link with the token that `orient-db studio` printed when it started",
                );
            }
        }
    }

    // 4. CSRF, for anything that may change something.
    let method = request.method().clone();
    if method != Method::GET && method != Method::HEAD {
        if given_origin != Some(origin.as_str()) {
            return refuse(
                StatusCode::FORBIDDEN,
                "a change needs the Origin header of this page",
            );
        }
        if headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()) != Some("1") {
            return refuse(
                StatusCode::FORBIDDEN,
                "a change needs the X-Orient-Studio: 1 header",
            );
        }
        let json = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
        if !json {
            return refuse(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "a change is sent as application/json",
            );
        }
    }

    let mut response = next.run(request).await;
    if set_cookie && let Ok(value) = HeaderValue::from_str(&guard.session_cookie()) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// The `token` query parameter, percent-decoded.
fn token_parameter(query: &str) -> Option<String> {
    form_pairs(query)
        .into_iter()
        .find(|(name, _)| name == "token")
        .map(|(_, value)| value)
}

/// `application/x-www-form-urlencoded` pairs (what a query string holds).
pub fn form_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(name), percent_decode(value))
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                if let Some(decoded) = hex {
                    out.push(decoded);
                    i += 2;
                } else {
                    out.push(b'%');
                }
            }
            _ => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn refuse(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({ "error": message }).to_string();
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        Body::from(body),
    )
        .into_response()
}

/// The headers every response carries; CORS headers are never among them.
pub fn secure_headers(headers: &mut HeaderMap) {
    let cors: Vec<_> = headers
        .keys()
        .filter(|k| k.as_str().starts_with("access-control-"))
        .cloned()
        .collect();
    for name in cors {
        headers.remove(name);
    }
    let set = [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::CACHE_CONTROL, "no-store"),
    ];
    for (name, value) in set {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard() -> Guard {
        Guard::new(Token("ab".repeat(32)), 4983, IpAddr::from([127, 0, 0, 1]))
    }

    #[test]
    fn hosts_need_a_loopback_name_and_the_real_port() {
        let g = guard();
        for ok in [
            "127.0.0.1:4983",
            "localhost:4983",
            "LOCALHOST:4983",
            "[::1]:4983",
        ] {
            assert!(g.host_allowed(ok), "{ok}");
        }
        for bad in [
            "0.0.0.0:4983",
            "evil.example:4983",
            "127.0.0.1:80",
            "127.0.0.1",
            "localhost.evil.example:4983",
            "127.0.0.1:4983.evil",
            "[::]:4983",
            "",
        ] {
            assert!(!g.host_allowed(bad), "{bad}");
        }
    }

    #[test]
    fn a_specific_host_address_is_accepted_but_not_a_wildcard() {
        let g = Guard::new(Token("ab".repeat(32)), 9, IpAddr::from([192, 168, 1, 5]));
        assert!(g.host_allowed("192.168.1.5:9"));
        let g = Guard::new(Token("ab".repeat(32)), 9, IpAddr::from([0, 0, 0, 0]));
        assert!(!g.host_allowed("0.0.0.0:9"));
    }

    #[test]
    fn tokens_are_long_random_and_compared_whole() {
        let a = Token::generate().ok().map(|t| t.0).unwrap_or_default();
        let b = Token::generate().ok().map(|t| t.0).unwrap_or_default();
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        let token = Token(a.clone());
        assert!(token.matches(&a));
        let mut last = a.clone();
        last.pop();
        assert!(!token.matches(&last));
        last.push('x');
        assert!(!token.matches(&last));
        assert!(!token.matches(""));
    }

    #[test]
    fn query_strings_are_decoded() {
        assert_eq!(
            form_pairs("eq.name=a%20b+c&token=%41&x"),
            vec![
                ("eq.name".into(), "a b c".into()),
                ("token".into(), "A".into()),
                ("x".into(), String::new()),
            ]
        );
    }
}
