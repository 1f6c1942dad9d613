//! Excel code-interpreter jobs: `/api/excel/jobs` (multipart `file`, `prompt`, optional
//! `generator`), plus `/download` of the result workbook.

use super::jobs;
use crate::AppState;
use crate::api::Api;
use crate::error::ApiError;
use crate::form::{Form, FormSpec, GENERATOR_FIELD, PARENT_FIELD};
use crate::openapi::{Describe, op};
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Json};
use office_core::{Caller, Job, JobKind, Submission};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const XLSM: &str = "application/vnd.ms-excel.sheet.macroEnabled.12";
const KIND: JobKind = JobKind::Excel;
const FORM: FormSpec = FormSpec {
    texts: &["prompt", GENERATOR_FIELD, PARENT_FIELD],
    files: &["file"],
};

pub fn routes(state: &AppState) -> Api {
    jobs::routes(KIND)
        .route(
            Method::POST,
            "/jobs",
            jobs::upload(state, create),
            op("excel", "excel_create_job", "Submit a excel job")
                .protected()
                .form(&FORM, &["prompt"])
                .json::<Job>(201, "The job, queued.")
                .errors(&[400, 404, 409, 413, 422, 429, 503, 507]),
        )
        .route(
            Method::GET,
            "/jobs/{id}/download",
            get(download),
            op(
                "excel",
                "excel_download",
                "The result workbook, named after the input",
            )
            .protected()
            .path_param("id", "The job's id.")
            .bytes(
                200,
                "The workbook (xlsx, or xlsm for a macro workbook).",
                &[XLSX, XLSM],
            )
            .errors(&[404, 409, 503]),
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

async fn download(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let job = jobs::load(&state, &caller, KIND, &id).await?;
    let (artifact, stream) = state.engine.open_output(&job).await?;
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
    let attachment = format!("{stem}_result.{ext}");
    Ok(jobs::artifact_response(
        &artifact,
        stream,
        Some(&attachment),
    ))
}
