//! Threads of follow-up jobs: `GET /api/threads/{id}` lists the jobs of the thread that
//! job `id` is in (any of its jobs, or the thread's id), oldest first, whatever their kind.

use super::jobs::parse_id;
use crate::AppState;
use crate::api::Api;
use crate::error::ApiError;
use crate::openapi::{Describe, op};
use axum::extract::{Path, State};
use axum::http::Method;
use axum::routing::get;
use axum::{Extension, Json};
use office_core::{Caller, Thread};

pub fn routes() -> Api {
    Api::new().route(
        Method::GET,
        "/threads/{id}",
        get(thread),
        op(
            "threads",
            "get_thread",
            "A thread: the first job and its follow-ups, oldest first",
        )
        .protected()
        .path_param(
            "id",
            "Any job of the thread, or the thread's id (its first job's).",
        )
        .json::<Thread>(200, "The thread's id and its jobs in creation order.")
        .errors(&[404]),
    )
}

async fn thread(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<Thread>, ApiError> {
    Ok(Json(state.engine.thread(&caller, parse_id(&id)?).await?))
}
