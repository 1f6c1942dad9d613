//! Report jobs: `/api/report/jobs` (multipart `title`, `template`, `notes`, `formats`,
//! `prompt`, `files[]`). The artifacts are `report.md`, `report.html`, `report.docx`,
//! `report.pdf`, `report.xlsx` (those `formats` names; all by default), `analysis.json`, `inputs/*` and
//! `*.png`.

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
use office_core::{Caller, Job, JobKind, ReportParams, Submission};

const KIND: JobKind = JobKind::Report;
const FORM: FormSpec = FormSpec {
    texts: &[
        "title",
        "template",
        "notes",
        "formats",
        "prompt",
        GENERATOR_FIELD,
        PARENT_FIELD,
    ],
    // `files[]` as browsers and the original API send it; `files` and `file` as well.
    files: &["files[]", "files", "file"],
};

pub fn routes(state: &AppState) -> Api {
    jobs::routes(KIND).route(
        Method::POST,
        "/jobs",
        jobs::upload(state, create),
        op("report", "report_create_job", "Submit a report job")
            .protected()
            .form(&FORM, &[])
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
    let files = form.files_of(FORM.files);
    if files.is_empty() && !form.has_parent() {
        return Err(ApiError::missing("files[]"));
    }
    let mut submission = form.apply_generator(Submission::new(
        KIND,
        form.text("prompt").unwrap_or(""),
        files,
    ))?;
    submission = form.apply_parent(submission)?;
    ReportParams {
        title: form.text("title").map(String::from),
        template: form.text("template").map(String::from),
        notes: form.text("notes").map(String::from),
        formats: ReportParams::parse_formats(form.text("formats").unwrap_or(""))?,
    }
    .apply(&mut submission.params);
    let job = state
        .engine
        .submit(submission.with_tenant(caller.tenant))
        .await?;
    Ok((StatusCode::CREATED, Json(job)))
}
