//! office-http: the reference REST server for office, path for path the API of the
//! original FastAPI backend, over `office_core::Engine`.
//!
//! # Layout
//! - `routes`: one module per job kind (`excel`), each a `routes()` router, plus the
//!   handlers all kinds share (`jobs`) and the health check.
//! - `form`: multipart parsing with FastAPI-compatible complaints about missing fields.
//! - `error`: the one error type and its mapping to statuses and `{"detail": ...}` bodies.
//! - `auth`: optional bearer tokens (`OFFICE_API_KEYS`, `OFFICE_API_KEYS_FILE`), each
//!   request's `Caller` (its tenant).
//! - `web`: the web page at `/`, its files built into the binary (`office-http/web/`).
//!
//! Handlers only extract, call the engine and shape the answer; no logic lives here that
//! another face would need.

pub mod api;
pub mod auth;
pub mod bodies;
pub mod error;
pub mod form;
pub mod openapi;
pub mod routes;
pub mod web;

use axum::Router;
use office_core::Engine;
use std::future::Future;
use tokio::net::TcpListener;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub engine: Engine,
}

impl AppState {
    /// Returns at once: the engine probes the runtime in the background, and the health
    /// check says `starting` until it is done.
    pub fn new(engine: Engine) -> Self {
        AppState { engine }
    }
}

/// Every route of the application, and the OpenAPI operation of each.
pub fn route_table(state: &AppState) -> (Router<AppState>, Vec<api::Op>) {
    let served = openapi::Served::default();
    let table = api::Api::new()
        .nest("/api", routes::api_routes(state))
        .merge(routes::metrics::routes())
        .merge(openapi::routes(served.clone()))
        .merge(web::routes());
    let (router, ops) = table.into_parts();
    let document = openapi::document(&ops);
    let json = serde_json::to_vec(&document).expect("the OpenAPI document serializes");
    let _ = served.set(json.into());
    (router, ops)
}

/// The OpenAPI document of `app(state)`.
pub fn openapi_document(state: &AppState) -> utoipa::openapi::OpenApi {
    let (_, ops) = route_table(state);
    openapi::document(&ops)
}

/// The whole application: every route, the body limits and the auth layer.
pub fn app(state: AppState) -> Router {
    let (router, _) = route_table(&state);
    with_fallbacks(router)
        // Inside the router, so each request's route template is known.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            routes::metrics::count_requests,
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// FastAPI's answers for a path no route serves and for a known path with the wrong
/// method.
pub fn with_fallbacks(router: Router<AppState>) -> Router<AppState> {
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
}

/// FastAPI's answer for a path no route serves.
async fn not_found() -> error::ApiError {
    error::ApiError::Status(axum::http::StatusCode::NOT_FOUND, "Not Found".into())
}

/// FastAPI's answer for a known path with the wrong method.
async fn method_not_allowed() -> error::ApiError {
    error::ApiError::Status(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "Method Not Allowed".into(),
    )
}

/// Serves `app(state)` on `listener` until `shutdown` completes, then finishes requests
/// in flight.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await
}
