//! The OpenAPI document against the router it describes: every route the router serves
//! is in the document with a summary and its responses, every documented operation is
//! served (not the 404/405 fallback), every `$ref` resolves, and `/docs` works from the
//! binary alone.

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use office_core::{Config, Engine};
use office_http::api::{Api, Op};
use office_http::openapi::{Describe, op};
use office_http::{AppState, app, openapi_document, route_table, with_fallbacks};
use serde_json::Value;
use std::collections::BTreeSet;
use tower::ServiceExt;

const METHODS: [Method; 5] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
];

async fn state() -> (AppState, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::with_data_dir(dir.path());
    if let Some(python) = std::env::var_os("OFFICE_PYTHON") {
        config.python = python.into();
    }
    let engine = Engine::open(config).await.unwrap();
    (AppState::new(engine), dir)
}

/// A concrete path for a documented one: ids that name no job, a plain artifact name.
fn concrete(path: &str) -> String {
    path.replace("{id}", "0190a1b2-0000-7000-8000-000000000000")
        .replace("{name}", "x.txt")
}

/// Whether `router` answered with its fallback: no route for the path, or none for the
/// method on it.
async fn fallback(router: &Router, method: &Method, path: &str) -> Option<StatusCode> {
    let request = Request::builder()
        .method(method.clone())
        .uri(concrete(path))
        .body(Body::empty())
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), 1 << 24)
        .await
        .unwrap();
    let detail = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v["detail"].as_str().map(String::from));
    match (status, detail.as_deref()) {
        (StatusCode::NOT_FOUND, Some("Not Found"))
        | (StatusCode::METHOD_NOT_ALLOWED, Some("Method Not Allowed")) => Some(status),
        _ => None,
    }
}

/// What is wrong between a router and the operations said to describe it.
async fn disagreements(router: Router, ops: &[Op]) -> Vec<String> {
    let mut wrong = Vec::new();
    let documented: BTreeSet<(String, String)> = ops
        .iter()
        .map(|o| (o.path.clone(), o.method.to_string()))
        .collect();
    for op in ops {
        if let Some(status) = fallback(&router, &op.method, &op.path).await {
            wrong.push(format!(
                "{} {} is documented but answers {status}",
                op.method, op.path
            ));
        }
        for method in METHODS {
            let key = (op.path.clone(), method.to_string());
            if !documented.contains(&key) && fallback(&router, &method, &op.path).await.is_none() {
                wrong.push(format!("{method} {} is served but not documented", op.path));
            }
        }
    }
    wrong.sort();
    wrong.dedup();
    wrong
}

#[tokio::test]
async fn every_route_is_documented_and_every_documented_route_is_served() {
    let (state, _dir) = state().await;
    let (_, ops) = route_table(&state);
    let wrong = disagreements(app(state.clone()), &ops).await;
    assert!(wrong.is_empty(), "{wrong:#?}");

    let document = serde_json::to_value(openapi_document(&state)).unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    let mut ids = BTreeSet::new();
    let mut count = 0;
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            count += 1;
            let name = format!("{method} {path}");
            assert!(
                operation["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{name} has no summary"
            );
            assert!(
                operation["responses"]
                    .as_object()
                    .is_some_and(|r| !r.is_empty()),
                "{name} has no responses"
            );
            assert!(
                ids.insert(operation["operationId"].as_str().unwrap().to_string()),
                "{name}: operationId is not unique"
            );
        }
    }
    assert_eq!(count, ops.len(), "one operation per route");
    // The seed API's paths, for every kind.
    for kind in ["excel", "analytics", "report"] {
        for (method, path) in [
            ("post", "/jobs"),
            ("get", "/jobs"),
            ("get", "/jobs/{id}"),
            ("delete", "/jobs/{id}"),
            ("get", "/jobs/{id}/artifacts"),
            ("get", "/jobs/{id}/artifacts/{name}"),
            ("get", "/jobs/{id}/events"),
        ] {
            let full = format!("/api/{kind}{path}");
            assert!(
                document["paths"][&full][method].is_object(),
                "{method} {full} is not documented"
            );
        }
    }
    assert!(document["paths"]["/api/excel/jobs/{id}/download"]["get"].is_object());
    assert!(document["paths"]["/api/health"]["get"].is_object());
}

#[tokio::test]
async fn the_check_catches_a_route_served_with_another_method_than_documented() {
    let (state, _dir) = state().await;
    let (router, ops) = Api::new()
        .route(
            Method::POST,
            "/x",
            axum::routing::get(|| async { "x" }),
            op("t", "x", "X").json_object(200, "x"),
        )
        .into_parts();
    let wrong = disagreements(with_fallbacks(router).with_state(state), &ops).await;
    assert_eq!(
        wrong,
        [
            "GET /x is served but not documented",
            "POST /x is documented but answers 405 Method Not Allowed"
        ]
    );
}

/// Every `"$ref"` in `value`.
fn refs(value: &Value, into: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if k == "$ref" {
                    into.push(v.as_str().unwrap().to_string());
                }
                refs(v, into);
            }
        }
        Value::Array(list) => list.iter().for_each(|v| refs(v, into)),
        _ => {}
    }
}

#[tokio::test]
async fn every_schema_reference_resolves_and_errors_are_fastapi_shaped() {
    let (state, _dir) = state().await;
    let document = serde_json::to_value(openapi_document(&state)).unwrap();
    let mut all = Vec::new();
    refs(&document, &mut all);
    assert!(!all.is_empty());
    for r in all {
        let name = r.strip_prefix("#/components/schemas/").unwrap();
        assert!(
            document["components"]["schemas"][name].is_object(),
            "{r} does not resolve"
        );
    }
    let error = &document["components"]["schemas"]["ErrorBody"];
    assert_eq!(error["required"], serde_json::json!(["detail"]));
    let create = &document["paths"]["/api/excel/jobs"]["post"];
    let form = &create["requestBody"]["content"]["multipart/form-data"]["schema"];
    assert_eq!(form["properties"]["file"]["format"], "binary");
    // `file` is required unless `parent` is given (a follow-up), which a schema's
    // `required` cannot say: its description does.
    assert_eq!(form["required"], serde_json::json!(["prompt"]));
    for status in ["201", "400", "413", "422"] {
        assert!(create["responses"][status].is_object(), "{status}");
    }
    assert_eq!(
        create["responses"]["422"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/ErrorBody"
    );
    let events = &document["paths"]["/api/excel/jobs/{id}/events"]["get"]["responses"]["200"];
    assert!(
        events["content"]["text/event-stream"].is_object(),
        "{events}"
    );
}

#[tokio::test]
async fn docs_page_and_its_assets_are_served_from_the_binary() {
    let (state, _dir) = state().await;
    let router = app(state);
    let get = |path: &str| {
        let router = router.clone();
        let path = path.to_string();
        async move {
            let response = router
                .oneshot(Request::get(path).body(Body::empty()).unwrap())
                .await
                .unwrap();
            let status = response.status();
            let content_type = response.headers()["content-type"]
                .to_str()
                .unwrap()
                .to_string();
            let body = axum::body::to_bytes(response.into_body(), 1 << 24)
                .await
                .unwrap();
            (
                status,
                content_type,
                String::from_utf8_lossy(&body).to_string(),
            )
        }
    };
    let (status, content_type, html) = get("/docs").await;
    assert_eq!(status, 200);
    assert!(content_type.starts_with("text/html"));
    // Every file the page loads is served by this server (nothing from elsewhere).
    let mut loaded = 0;
    for attr in ["src=\"", "href=\""] {
        for part in html.split(attr).skip(1) {
            let url = &part[..part.find('"').unwrap()];
            assert!(url.starts_with('/'), "{url} is not served here");
            let (status, _, body) = get(url).await;
            assert_eq!(status, 200, "{url}");
            assert!(!body.is_empty());
            loaded += 1;
        }
    }
    assert_eq!(loaded, 3);
    let (status, content_type, json) = get("/openapi.json").await;
    assert_eq!(status, 200);
    assert!(content_type.starts_with("application/json"));
    let served: Value = serde_json::from_str(&json).unwrap();
    assert!(served["paths"]["/openapi.json"]["get"].is_object());
}

/// Follow-ups are in the document: `parent` on every create form (the file then
/// optional), `parent` and `thread` on a job and a list item, the thread route, and
/// `cascade` with its 409 on delete.
#[tokio::test]
async fn follow_ups_are_described() {
    let (state, _dir) = state().await;
    let doc = serde_json::to_value(openapi_document(&state)).unwrap();
    for kind in ["excel", "analytics", "report"] {
        let form = &doc["paths"][format!("/api/{kind}/jobs")]["post"]["requestBody"]["content"]["multipart/form-data"]
            ["schema"];
        let parent = form["properties"]["parent"]["description"]
            .as_str()
            .unwrap_or_else(|| panic!("no parent on the {kind} form: {form}"));
        assert!(parent.contains("follow-up"), "{parent}");
        let required = form["required"].to_string();
        assert!(!required.contains("file"), "{kind}: {required}");
        let delete = &doc["paths"][format!("/api/{kind}/jobs/{{id}}")]["delete"];
        assert!(delete["responses"]["409"].is_object(), "{delete}");
        assert!(
            delete["parameters"].to_string().contains("cascade"),
            "{delete}"
        );
    }
    let schemas = &doc["components"]["schemas"];
    for schema in ["Job", "JobSummary"] {
        for field in ["parent", "thread"] {
            assert!(
                schemas[schema]["properties"][field].is_object(),
                "{schema}.{field}: {}",
                schemas[schema]
            );
        }
    }
    let thread = &doc["paths"]["/api/threads/{id}"]["get"];
    assert!(
        thread["summary"].as_str().unwrap().contains("thread"),
        "{thread}"
    );
    assert!(thread["responses"]["200"].is_object() && thread["responses"]["404"].is_object());
    assert!(
        schemas["Thread"]["properties"]["jobs"].is_object(),
        "{schemas}"
    );
}
