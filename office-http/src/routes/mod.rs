//! Routes under `/api`, one module per job kind.

pub mod analytics;
pub mod events;
pub mod excel;
pub mod jobs;
pub mod metrics;
pub mod report;
pub mod sheet;
pub mod threads;
pub mod usage;

use crate::AppState;
use crate::api::Api;
use crate::openapi::{Describe, op};
use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::routing::get;
use axum::{Json, middleware};
use office_core::{RuntimeStatus, SandboxStatus};
use serde_json::{Value, json};

pub fn api_routes(state: &AppState) -> Api {
    let auth_state = state.clone();
    let protected = Api::new()
        .nest("/excel", excel::routes(state))
        .nest("/analytics", analytics::routes(state))
        .nest("/report", report::routes(state))
        .merge(threads::routes())
        .merge(usage::routes())
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
        .route(
            Method::GET,
            "/health/live",
            get(live),
            op("health", "health_live", "Liveness: the process answers")
                .json::<crate::bodies::Live>(200, "Alive."),
        )
        .route(
            Method::GET,
            "/health/ready",
            get(ready),
            op(
                "health",
                "health_ready",
                "Readiness: the store, queue, artifact store and sandbox can serve jobs",
            )
            .json::<crate::bodies::Ready>(200, "Ready.")
            .json::<crate::bodies::Ready>(503, "Not ready: `detail` says what is not."),
        )
        .merge(protected)
}

async fn live() -> Json<crate::bodies::Live> {
    Json(crate::bodies::Live {
        status: "alive".into(),
    })
}

/// 200 when every backend is ready, else 503 naming those that are not.
async fn ready(State(state): State<AppState>) -> (StatusCode, Json<crate::bodies::Ready>) {
    let readiness = state.engine.readiness().await;
    let (status, word, detail) = if readiness.is_ready() {
        (StatusCode::OK, "ready", "ok".to_string())
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready",
            readiness.not_ready(),
        )
    };
    let body = crate::bodies::Ready {
        status: word.into(),
        detail,
        checks: readiness.checks,
    };
    (status, Json(body))
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
        "artifacts": backends.artifacts,
        "generator": backends.generator,
        "python": python,
        "sandbox": sandbox,
    }))
}
