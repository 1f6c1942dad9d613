//! The web page (`GET /`) and its files (`GET /web/{name}`): plain HTML, CSS and
//! JavaScript modules from `office-http/web/`, built into the binary (no build step, no
//! second server, nothing fetched from elsewhere). The page talks to the API like any
//! other client.

use crate::api::Api;
use crate::error::ApiError;
use crate::openapi::{Describe, op};
use axum::extract::Path;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const SVG: &str = "image/svg+xml";

/// The page's own files: (name, content type, bytes).
const ASSETS: &[(&str, &str, &[u8])] = &[
    ("style.css", CSS, include_bytes!("../web/style.css")),
    ("app.js", JS, include_bytes!("../web/app.js")),
    ("api.js", JS, include_bytes!("../web/api.js")),
    ("sse.js", JS, include_bytes!("../web/sse.js")),
    ("form.js", JS, include_bytes!("../web/form.js")),
    ("job.js", JS, include_bytes!("../web/job.js")),
    ("sheet.js", JS, include_bytes!("../web/sheet.js")),
    ("history.js", JS, include_bytes!("../web/history.js")),
    ("highlight.js", JS, include_bytes!("../web/highlight.js")),
    ("dom.js", JS, include_bytes!("../web/dom.js")),
    ("icon.svg", SVG, include_bytes!("../web/icon.svg")),
];

const INDEX: &[u8] = include_bytes!("../web/index.html");

/// Scripts and styles from this server only; pictures may be `blob:` (charts fetched
/// with the key) or `data:` (inside report.html); the report is shown in a sandboxed
/// frame. Inline styles are allowed for report.html's own `<style>`, inline scripts not;
/// fonts may be `data:` (report.html carries its own).
const POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' blob: data:; font-src 'self' data:; frame-src 'self' blob:; object-src 'none'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

fn file(content_type: &'static str, data: &'static [u8]) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            // Small files; always checked again so a new binary is seen at once.
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(POLICY),
            ),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ),
        ],
        data,
    )
        .into_response()
}

async fn asset(Path(name): Path<String>) -> Result<Response, ApiError> {
    ASSETS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, content_type, data)| file(content_type, data))
        .ok_or_else(|| {
            ApiError::Status(
                StatusCode::NOT_FOUND,
                format!("the page has no file named {name:?}"),
            )
        })
}

/// `/` and `/web/{name}`.
pub fn routes() -> Api {
    let tag = "web";
    Api::new()
        .route(
            Method::GET,
            "/",
            get(|| async { file(HTML, INDEX) }),
            op(
                tag,
                "web_page",
                "The web page: submit jobs, watch them, see what they made",
            )
            .bytes(200, "The page.", &["text/html"]),
        )
        .route(
            Method::GET,
            "/web/{name}",
            get(asset),
            op(
                tag,
                "web_asset",
                "One of the web page's files (scripts, styles, icon)",
            )
            .path_param("name", "The file's name (`app.js`, `style.css`, ...).")
            .bytes(
                200,
                "The file, with its content type.",
                &["text/javascript", "text/css", "image/svg+xml"],
            )
            .errors(&[404]),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every module the page imports is served: a file left out of `ASSETS` would load
    /// in a checkout but not from the binary.
    #[test]
    fn every_imported_module_is_served() {
        let mut sources: Vec<&[u8]> = ASSETS.iter().map(|(_, _, d)| *d).collect();
        sources.push(INDEX);
        for source in sources {
            let text = std::str::from_utf8(source).unwrap();
            for part in text.split("./").skip(1).chain(text.split("/web/").skip(1)) {
                let name: String = part
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-')
                    .collect();
                if name.ends_with(".js") || name.ends_with(".css") || name.ends_with(".svg") {
                    assert!(
                        ASSETS.iter().any(|(n, _, _)| *n == name),
                        "{name} is referred to but not served"
                    );
                }
            }
        }
    }
}
