//! Excel code-interpreter jobs: `/api/excel/jobs` (multipart `file`, `prompt`, optional
//! `generator`), plus `/download` of the result workbook.

use super::jobs;
use crate::AppState;
use crate::error::ApiError;
use crate::form::{Form, FormSpec, GENERATOR_FIELD};
use axum::Json;
use axum::Router;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use office_core::{Job, JobKind, Submission};

const KIND: JobKind = JobKind::Excel;
const FORM: FormSpec = FormSpec {
    texts: &["prompt", GENERATOR_FIELD],
    files: &["file"],
};

pub fn routes(state: &AppState) -> Router<AppState> {
    jobs::routes(KIND)
        .route("/jobs", jobs::upload(state, create))
        .route("/jobs/{id}/download", get(download))
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
