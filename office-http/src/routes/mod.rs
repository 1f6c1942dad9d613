//! Routes under `/api`, one module per job kind.

pub mod analytics;
pub mod excel;
pub mod jobs;
pub mod report;

use crate::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router, middleware};
use office_core::{RuntimeStatus, SandboxStatus};
use serde_json::{Value, json};

pub fn api_routes(state: &AppState) -> Router<AppState> {
    let protected = Router::new()
        .nest("/excel", excel::routes(state))
        .nest("/analytics", analytics::routes(state))
        .nest("/report", report::routes(state))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            crate::auth::require_api_key,
        ));
    Router::new().route("/health", get(health)).merge(protected)
}

/// `ok`, `starting` while the runtime probe and the executor's warm-up run (jobs are
/// accepted and wait), or `degraded` with the reason in `python` or `sandbox`.
async fn health(State(state): State<AppState>) -> Json<Value> {
    let engine = &state.engine;
    let backends = engine.backends();
    let mut degraded = false;
    // Jobs cannot run without the interpreter: say so rather than "ok".
    let python = match engine.python_runtime() {
        RuntimeStatus::Probing => "checking".to_string(),
        RuntimeStatus::Ready(version) => version,
        RuntimeStatus::Unavailable(reason) => {
            degraded = true;
            format!("unavailable: {reason}")
        }
    };
    // A sandbox that failed its self-test refuses every job: not "ok" either.
    let sandbox = match engine.sandbox_status() {
        SandboxStatus::NotChecked => "not checked (an executor given by the embedder)".into(),
        SandboxStatus::Checking => "checking".into(),
        SandboxStatus::Holds => "holds".into(),
        SandboxStatus::Refused(why) => {
            degraded = true;
            format!("refusing jobs: {why}")
        }
        SandboxStatus::Degraded(why) => {
            degraded = true;
            format!("DEGRADED (OFFICE_SANDBOX=degraded): running jobs although {why}")
        }
    };
    let status = if degraded {
        "degraded"
    } else if engine.is_starting() {
        "starting"
    } else {
        "ok"
    };
    Json(json!({
        "status": status,
        "version": env!("CARGO_PKG_VERSION"),
        "store": backends.store,
        "queue": backends.queue,
        "generator": backends.generator,
        "python": python,
        "sandbox": sandbox,
    }))
}
