//! Routes under `/api`, one module per job kind.

pub mod analytics;
pub mod events;
pub mod excel;
pub mod jobs;
pub mod report;

use crate::AppState;
use crate::api::Api;
use crate::openapi::{Describe, op};
use axum::extract::State;
use axum::http::Method;
use axum::routing::get;
use axum::{Json, middleware};
use office_core::SandboxStatus;
use serde_json::{Value, json};

pub fn api_routes(state: &AppState) -> Api {
    let auth_state = state.clone();
    let protected = Api::new()
        .nest("/excel", excel::routes(state))
        .nest("/analytics", analytics::routes(state))
        .nest("/report", report::routes(state))
        .map_router(|router| {
            router.route_layer(middleware::from_fn_with_state(
                auth_state,
                crate::auth::require_api_key,
            ))
        });
    Api::new()
        .route(
            Method::GET,
            "/health",
            get(health),
            op("health", "health", "Whether jobs can run, and on what")
                .json::<crate::bodies::Health>(200, "The server's state."),
        )
        .merge(protected)
}

async fn health(State(state): State<AppState>) -> Json<Value> {
    let backends = state.engine.backends();
    // Jobs cannot run without the interpreter: say so rather than "ok".
    let (mut status, python) = match &*state.python {
        Ok(version) => ("ok", version.clone()),
        Err(reason) => ("degraded", format!("unavailable: {reason}")),
    };
    // A sandbox that failed its self-test refuses every job: not "ok" either.
    let sandbox = match state.engine.sandbox_status() {
        SandboxStatus::NotChecked => "not checked (an executor given by the embedder)".into(),
        SandboxStatus::Checking => "checking".into(),
        SandboxStatus::Holds => "holds".into(),
        SandboxStatus::Refused(why) => {
            status = "degraded";
            format!("refusing jobs: {why}")
        }
        SandboxStatus::Degraded(why) => {
            status = "degraded";
            format!("DEGRADED (OFFICE_SANDBOX=degraded): running jobs although {why}")
        }
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
