//! Excel code-interpreter jobs: `/api/excel/jobs` (multipart `file`, `prompt`, optional
//! `generator`).

use super::jobs::{self, ListQuery};
use crate::AppState;
use crate::error::ApiError;
use crate::form::{Form, FormSpec, GENERATOR_FIELD};
use axum::Json;
use axum::Router;
use axum::extract::multipart::MultipartRejection;
use axum::extract::rejection::QueryRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use office_core::{Job, JobKind, Submission};
use serde_json::{Value, json};

const KIND: JobKind = JobKind::Excel;
const FORM: FormSpec = FormSpec {
    texts: &["prompt", GENERATOR_FIELD],
    files: &["file"],
};

pub fn routes(state: &AppState) -> Router<AppState> {
    // Room for the multipart framing and the prompt around the largest accepted file.
    let body_limit = state.engine.config().max_upload_bytes as usize + (1 << 20);
    Router::new()
        .route(
            "/jobs",
            post(create)
                .layer(DefaultBodyLimit::max(body_limit))
                .get(list),
        )
        .route("/jobs/{id}", get(get_job).delete(delete))
        .route("/jobs/{id}/summary", get(summary))
        .route("/jobs/{id}/code", get(code))
        .route("/jobs/{id}/artifacts", get(artifacts))
        .route("/jobs/{id}/artifacts/{*name}", get(artifact))
        .route("/jobs/{id}/download", get(download))
        .route("/jobs/{id}/events", get(events))
        .route("/jobs/{id}/cancel", post(cancel))
}

async fn create(
    State(state): State<AppState>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<Job>), ApiError> {
    let mut form = Form::read(multipart, &FORM).await?;
    let file = form.required_file("file")?;
    let prompt = form.required_text("prompt")?;
    let submission = form.apply_generator(Submission::new(KIND, prompt, vec![file]))?;
    let job = state.engine.submit(submission).await?;
    Ok((StatusCode::CREATED, Json(job)))
}

async fn list(
    State(state): State<AppState>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    jobs::list_jobs(state, KIND, jobs::list_query(query)?).await
}

async fn get_job(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Job>, ApiError> {
    jobs::get_job(state, KIND, id).await
}

async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    jobs::delete_job(state, KIND, id).await
}

async fn cancel(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Job>, ApiError> {
    jobs::cancel_job(state, KIND, id).await
}

async fn events(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    jobs::job_events(state, KIND, id).await
}

async fn artifacts(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    jobs::list_artifacts(state, KIND, id).await
}

async fn summary(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let job = jobs::load(&state, KIND, &id).await?;
    Ok(Json(state.engine.summary(&job).await?))
}

async fn code(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let job = jobs::load(&state, KIND, &id).await?;
    let code = state.engine.code(&job).await?;
    Ok(Json(
        json!({ "job_id": job.id, "generator": job.generator, "code": code }),
    ))
}

async fn artifact(
    State(state): State<AppState>,
    Path((id, name)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let job = jobs::load(&state, KIND, &id).await?;
    let (artifact, data) = state.engine.read_artifact(&job, &name).await?;
    let file_name = artifact
        .name
        .rsplit('/')
        .next()
        .unwrap_or(&artifact.name)
        .to_string();
    Ok(jobs::file_response(
        &artifact.content_type,
        data,
        Some(&file_name),
    ))
}

async fn download(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let job = jobs::load(&state, KIND, &id).await?;
    let (artifact, data) = state.engine.output(&job).await?;
    let stem = job
        .inputs
        .first()
        .map(|i| {
            i.original_name
                .rsplit(['/', '\\'])
                .next()
                .unwrap_or("")
                .to_string()
        })
        .and_then(|n| n.rsplit_once('.').map(|(s, _)| s.to_string()).or(Some(n)))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "output".into());
    let ext = artifact
        .name
        .rsplit_once('.')
        .map(|(_, e)| e)
        .unwrap_or("xlsx");
    Ok(jobs::file_response(
        &artifact.content_type,
        data,
        Some(&format!("{stem}_result.{ext}")),
    ))
}
