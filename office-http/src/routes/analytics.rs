//! Analytics jobs: `/api/analytics/jobs` (multipart `file`, `prompt`, optional
//! `generator`). The artifacts are `summary.json` (profile and computed results),
//! `generated.py` and `*.png` charts.

use super::jobs;
use crate::AppState;
use crate::api::Api;
use crate::error::ApiError;
use crate::form::{Form, FormSpec, GENERATOR_FIELD, PARENT_FIELD};
use crate::openapi::{Describe, op};
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::{Method, StatusCode};
use axum::{Extension, Json};
use office_core::{Caller, Job, JobKind, Submission};

const KIND: JobKind = JobKind::Analytics;
const FORM: FormSpec = FormSpec {
    texts: &["prompt", GENERATOR_FIELD, PARENT_FIELD],
    files: &["file"],
};

pub fn routes(state: &AppState) -> Api {
    jobs::routes(KIND).route(
        Method::POST,
        "/jobs",
        jobs::upload(state, create),
        op(
            "analytics",
            "analytics_create_job",
            "Submit a analytics job",
        )
        .protected()
        .form(&FORM, &["prompt"])
        .json::<Job>(201, "The job, queued.")
        .errors(&[400, 404, 409, 413, 422, 429, 503, 507]),
    )
}

async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<Job>), ApiError> {
    let mut form = Form::read(multipart, &FORM).await?;
    let files = form.file_unless_parent("file")?;
    let prompt = form.required_text("prompt")?;
    let submission = form.apply_generator(Submission::new(KIND, prompt, files))?;
    let submission = form.apply_parent(submission)?;
    let job = state
        .engine
        .submit(submission.with_tenant(caller.tenant))
        .await?;
    Ok((StatusCode::CREATED, Json(job)))
}
