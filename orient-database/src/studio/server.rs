//! The HTTP server: binding (loopback unless told otherwise), routes and handlers.
//!
//! Routes (all behind [`security::guard`]):
//!
//! | Route | |
//! |---|---|
//! | `GET /` | the page (with `?token=` once, to get the cookie) |
//! | `GET /assets/{name}` | its CSS, JavaScript and icon |
//! | `GET /api/info` | the database and whether editing is on |
//! | `GET /api/tables` | tables, row counts, drift |
//! | `GET /api/tables/{table}/rows?…` | a page of rows ([`query::PageRequest`]) |
//! | `GET /api/tables/{table}/count?…` | how many rows match the filters |
//! | `GET /api/tables/{table}/rows/{key}` | a row and the rows pointing at it |
//! | `GET /api/tables/{table}/rows/{key}/delete` | what deleting it would do |
//! | `PUT /api/tables/{table}/rows/{key}` | update (`--write`) |
//! | `DELETE /api/tables/{table}/rows/{key}` | delete, with the confirmed effects (`--write`) |
//! | `POST /api/tables/{table}/rows` | insert (`--write`) |
//! | `GET /api/schema`, `/api/migrations`, `/api/seed` | the other pages |
//! | `GET /api/diagram` | the ER diagram: SVG and Mermaid text |
//! | `GET /api/diagram.svg` | the same SVG as a file, to download |
//!
//! Database work runs on tokio's blocking threads; each request takes a connection and gives it back.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;

use crate::db::target::Target;
use crate::studio::error::Error;
use crate::studio::query::PageRequest;
use crate::studio::security::{self, Guard, Token};
use crate::studio::write::{DeleteInput, RowInput};
use crate::studio::{Studio, assets, pages, seed};

/// `orient-db studio`'s options.
#[derive(Debug, Clone)]
pub struct Options {
    /// The address to listen on; 127.0.0.1 unless `--host` says otherwise.
    pub host: IpAddr,
    /// 0 picks a free port.
    pub port: u16,
    pub write: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 4983,
            write: false,
        }
    }
}

/// A bound, not yet running, studio server.
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    address: SocketAddr,
    token: Token,
    studio: Arc<Studio>,
}

impl Server {
    /// Opens the database and binds the port (so the real port is known before anything is printed).
    pub fn bind(database: &Target, options: &Options) -> Result<Server, Error> {
        let studio = Studio::open_target(database, options.write)?;
        let wanted = SocketAddr::new(options.host, options.port);
        let listener = TcpListener::bind(wanted).map_err(|source| Error::Bind {
            address: wanted.to_string(),
            source,
        })?;
        let address = listener.local_addr()?;
        Ok(Server {
            listener,
            address,
            token: Token::generate()?,
            studio: Arc::new(studio),
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn studio(&self) -> &Studio {
        &self.studio
    }

    /// The URL to open, with the token: `http://127.0.0.1:PORT/?token=…`.
    pub fn url(&self) -> String {
        let host = match self.address.ip() {
            ip if ip.is_unspecified() => "127.0.0.1".to_owned(),
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => format!("[{v6}]"),
        };
        format!(
            "http://{host}:{}/?token={}",
            self.address.port(),
            self.token.as_str()
        )
    }

    /// Serves until `shutdown` completes, on a tokio runtime of its own.
    pub fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<(), Error> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        runtime.block_on(async move {
            self.listener.set_nonblocking(true)?;
            let listener = tokio::net::TcpListener::from_std(self.listener)?;
            let guard = Arc::new(Guard::new(
                self.token,
                self.address.port(),
                self.address.ip(),
            ));
            let app = router(self.studio, guard);
            axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await?;
            Ok(())
        })
    }
}

/// The routes, behind the guard.
pub fn router(studio: Arc<Studio>, guard: Arc<Guard>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/assets/{name}", get(asset))
        .route("/api/info", get(info))
        .route("/api/tables", get(tables))
        .route("/api/tables/{table}/rows", get(rows).post(insert))
        .route("/api/tables/{table}/count", get(count))
        .route(
            "/api/tables/{table}/rows/{key}",
            get(row).put(update).delete(delete),
        )
        .route("/api/tables/{table}/rows/{key}/delete", get(delete_plan))
        .route("/api/schema", get(schema))
        .route("/api/migrations", get(migrations))
        .route("/api/seed", get(seed_status))
        .route("/api/diagram", get(diagram))
        .route("/api/diagram.svg", get(diagram_svg))
        .fallback(not_found)
        .with_state(studio)
        .layer(axum::middleware::from_fn_with_state(guard, security::guard))
}

type Shared = State<Arc<Studio>>;

async fn index() -> Response {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        assets::INDEX_HTML,
    )
        .into_response()
}

async fn asset(Path(name): Path<String>) -> Response {
    match assets::get(&name) {
        Some((content_type, body)) => {
            ([(header::CONTENT_TYPE, content_type)], body).into_response()
        }
        None => not_found().await,
    }
}

async fn not_found() -> Response {
    error_response(&Error::NotFound("no such page".to_owned()))
}

/// Runs database work on a blocking thread and answers with its JSON.
async fn blocking<T, F>(studio: Arc<Studio>, f: F) -> Response
where
    T: Serialize + Send + 'static,
    F: FnOnce(&Studio) -> Result<T, Error> + Send + 'static,
{
    match tokio::task::spawn_blocking(move || f(&studio)).await {
        Ok(Ok(value)) => axum::Json(value).into_response(),
        Ok(Err(error)) => error_response(&error),
        Err(join) => {
            tracing::error!("a studio request panicked: {join}");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

fn error_response(error: &Error) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if status.is_server_error() {
        tracing::warn!("studio: {error}");
    }
    let mut body = serde_json::json!({ "error": error.to_string() });
    if let Error::Invalid(problems) = error {
        body["problems"] = serde_json::json!(problems);
    }
    (status, axum::Json(body)).into_response()
}

fn pairs(query: Option<String>) -> Vec<(String, String)> {
    security::form_pairs(query.as_deref().unwrap_or_default())
}

/// A JSON body, or a 400 saying what is wrong with it.
fn body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(bytes).map_err(|e| {
        Error::BadRequest(format!(
            "the request body is not what this route takes: {e}"
        ))
    })
}

async fn info(State(studio): Shared) -> Response {
    blocking(studio, pages::info).await
}

async fn tables(State(studio): Shared) -> Response {
    blocking(studio, pages::tables).await
}

async fn rows(
    State(studio): Shared,
    Path(table): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    blocking(studio, move |s| {
        let request = PageRequest::from_pairs(&pairs(query))?;
        pages::table_page(s, &table, &request)
    })
    .await
}

async fn count(
    State(studio): Shared,
    Path(table): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    blocking(studio, move |s| {
        let filters = PageRequest::filters_from_pairs(&pairs(query))?;
        pages::count(s, &table, &filters).map(|count| serde_json::json!({ "count": count }))
    })
    .await
}

async fn row(State(studio): Shared, Path((table, key)): Path<(String, String)>) -> Response {
    blocking(studio, move |s| pages::row(s, &table, &key)).await
}

async fn delete_plan(
    State(studio): Shared,
    Path((table, key)): Path<(String, String)>,
) -> Response {
    blocking(studio, move |s| pages::delete_plan(s, &table, &key)).await
}

async fn update(
    State(studio): Shared,
    Path((table, key)): Path<(String, String)>,
    bytes: axum::body::Bytes,
) -> Response {
    blocking(studio, move |s| {
        let input: RowInput = body(&bytes)?;
        pages::update_row(s, &table, &key, &input)
    })
    .await
}

async fn insert(
    State(studio): Shared,
    Path(table): Path<String>,
    bytes: axum::body::Bytes,
) -> Response {
    blocking(studio, move |s| {
        let input: RowInput = body(&bytes)?;
        pages::insert_row(s, &table, &input)
    })
    .await
}

async fn delete(
    State(studio): Shared,
    Path((table, key)): Path<(String, String)>,
    bytes: axum::body::Bytes,
) -> Response {
    blocking(studio, move |s| {
        let input: DeleteInput = body(&bytes)?;
        pages::delete_row(s, &table, &key, &input)
    })
    .await
}

async fn schema(State(studio): Shared) -> Response {
    blocking(studio, pages::schema).await
}

async fn migrations(State(studio): Shared) -> Response {
    blocking(studio, pages::migrations).await
}

async fn seed_status(State(studio): Shared) -> Response {
    blocking(studio, seed::page).await
}

async fn diagram(State(studio): Shared) -> Response {
    blocking(studio, pages::diagram).await
}

/// The SVG itself, as `image/svg+xml`, for the page's download link.
async fn diagram_svg(State(studio): Shared) -> Response {
    match tokio::task::spawn_blocking(move || pages::diagram_svg(&studio)).await {
        Ok(Ok(svg)) => (
            [
                (header::CONTENT_TYPE, "image/svg+xml; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"orient-schema.svg\"",
                ),
            ],
            svg,
        )
            .into_response(),
        Ok(Err(error)) => error_response(&error),
        Err(join) => {
            tracing::error!("a studio request panicked: {join}");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}
