//! `GET /metrics` (the engine's Prometheus text) and the middleware that counts every
//! HTTP request by its route template and status.

use crate::AppState;
use crate::api::Api;
use crate::openapi::{Describe, op};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::time::Instant;

/// `/metrics`, outside `/api` where scrapers look for it, and without a key like health.
pub fn routes() -> Api {
    Api::new().route(
        Method::GET,
        "/metrics",
        get(metrics),
        op("health", "metrics", "Metrics in the Prometheus text format").bytes(
            200,
            "Jobs by kind, status and tenant, queue depth and oldest queued age, stage durations, \
             the sandbox self-test's state, validator rejections by rule, model calls, \
             tokens and latency, HTTP requests by route and status.",
            &["text/plain"],
        ),
    )
}

async fn metrics(State(state): State<AppState>) -> Response {
    let text = state.engine.metrics_text().await;
    (
        [(header::CONTENT_TYPE, office_core::METRICS_CONTENT_TYPE)],
        text,
    )
        .into_response()
}

/// Counts the request under its route template (`/api/excel/jobs/{id}`), `unmatched` for
/// a path no route serves, so that neither ids nor probes make new series.
pub async fn count_requests(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = match *request.method() {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::DELETE => "DELETE",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    };
    let clock = Instant::now();
    let response = next.run(request).await;
    state.engine.metrics().observe_http(
        method,
        &route,
        response.status().as_u16(),
        clock.elapsed(),
    );
    response
}
