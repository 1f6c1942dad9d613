//! The web page from the binary alone: `/` and every file it loads are served with their
//! content types and a policy that keeps scripts to this server; an unknown file is a
//! 404 with a sentence.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use office_core::{Config, Engine};
use office_http::{AppState, app};
use tower::ServiceExt;

async fn get(path: &str) -> (StatusCode, String, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(Config::with_data_dir(dir.path()))
        .await
        .unwrap();
    let request = Request::get(path).body(Body::empty()).unwrap();
    let response = app(AppState::new(engine)).oneshot(request).await.unwrap();
    let status = response.status();
    let header = |name| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    let content_type = header(header::CONTENT_TYPE);
    let policy = header(header::CONTENT_SECURITY_POLICY);
    let body = axum::body::to_bytes(response.into_body(), 1 << 22)
        .await
        .unwrap();
    (
        status,
        content_type,
        policy,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

#[tokio::test]
async fn the_page_and_its_files_are_served_with_their_types() {
    let (status, content_type, policy, page) = get("/").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "text/html; charset=utf-8");
    assert!(policy.contains("script-src 'self'"), "{policy}");
    assert!(page.contains("<script type=\"module\" src=\"/web/app.js\">"));
    // Every file the page and its modules name, with the type a browser needs for it.
    let mut pending = vec!["app.js".to_string(), "style.css".into(), "icon.svg".into()];
    let mut seen = Vec::new();
    while let Some(name) = pending.pop() {
        if seen.contains(&name) {
            continue;
        }
        let (status, content_type, _, body) = get(&format!("/web/{name}")).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        let expected = match name.rsplit('.').next() {
            Some("js") => "text/javascript; charset=utf-8",
            Some("css") => "text/css; charset=utf-8",
            _ => "image/svg+xml",
        };
        assert_eq!(content_type, expected, "{name}");
        assert!(!body.is_empty(), "{name}");
        // No file is loaded from anywhere else (the page works offline).
        let outside = body.replace("http://www.w3.org/2000/svg", "");
        assert!(
            !outside.contains("http://") && !outside.contains("https://"),
            "{name} names another server"
        );
        for part in body.split("from './").skip(1) {
            pending.push(part.split('\'').next().unwrap().to_string());
        }
        seen.push(name);
    }
    assert!(seen.len() >= 9, "{seen:?}");
}

#[tokio::test]
async fn an_unknown_file_is_a_404_with_a_sentence() {
    let (status, content_type, _, body) = get("/web/nope.js").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(content_type, "application/json");
    assert!(body.contains("the page has no file named"), "{body}");
    let (status, _, _, _) = get("/web/../Cargo.toml").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
