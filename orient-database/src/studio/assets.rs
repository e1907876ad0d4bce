//! The page, embedded in the binary: one HTML file, one stylesheet, one script and an icon. No CDN, no
//! build step: what is in `assets/` is what the browser gets. Only these names are served; any other
//! path is a 404, so nothing on disk can be reached through them.

pub const INDEX_HTML: &str = include_str!("assets/index.html");
pub const APP_JS: &str = include_str!("assets/app.js");
pub const APP_CSS: &str = include_str!("assets/app.css");
pub const FAVICON_SVG: &str = include_str!("assets/favicon.svg");

/// An asset by its exact name: its content type and content.
pub fn get(name: &str) -> Option<(&'static str, &'static str)> {
    match name {
        "app.js" => Some(("text/javascript; charset=utf-8", APP_JS)),
        "app.css" => Some(("text/css; charset=utf-8", APP_CSS)),
        "favicon.svg" => Some(("image/svg+xml", FAVICON_SVG)),
        _ => None,
    }
}
