//! The endpoints every job kind shares (list, get, delete, summary, code, artifacts, one
//! artifact, events, cancel), mounted per kind by `routes(kind)`; each kind's module adds
//! its own create handler.

use crate::AppState;
use crate::error::ApiError;
use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::handler::Handler;
use axum::http::StatusCode;
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::IntoResponse;
use axum::response::Response;
use axum::routing::{MethodRouter, get, post};
use office_core::{Error, Job, JobId, JobKind, JobStatus, MAX_PAGE_SIZE, PageRequest};
use serde::Deserialize;
use serde_json::{Value, json};

/// `?status=..&limit=..&cursor=..` on list endpoints. `limit` is text here so that a
/// bad one is answered with the engine's sentence, not a parser's.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    pub status: Option<String>,
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

/// The shared endpoints for one kind, under `/jobs`.
pub fn routes(kind: JobKind) -> Router<AppState> {
    Router::new()
        .route(
            "/jobs",
            get(
                move |State(state): State<AppState>,
                      query: Result<Query<ListQuery>, QueryRejection>| async move {
                    list_jobs(state, kind, list_query(query)?).await
                },
            ),
        )
        .route(
            "/jobs/{id}",
            get(move |State(state), Path(id)| get_job(state, kind, id))
                .delete(move |State(state), Path(id)| delete_job(state, kind, id)),
        )
        .route(
            "/jobs/{id}/summary",
            get(move |State(state), Path(id)| summary(state, kind, id)),
        )
        .route(
            "/jobs/{id}/code",
            get(move |State(state), Path(id)| code(state, kind, id)),
        )
        .route(
            "/jobs/{id}/artifacts",
            get(move |State(state), Path(id)| list_artifacts(state, kind, id)),
        )
        .route(
            "/jobs/{id}/artifacts/{*name}",
            get(move |State(state), Path((id, name))| artifact(state, kind, id, name)),
        )
        .route(
            "/jobs/{id}/events",
            get(move |State(state), Path(id)| job_events(state, kind, id)),
        )
        .route(
            "/jobs/{id}/cancel",
            post(move |State(state), Path(id)| cancel_job(state, kind, id)),
        )
}

/// Room for the multipart framing and the prompt around the largest accepted file.
pub fn upload_body_limit(state: &AppState) -> usize {
    state.engine.config().max_upload_bytes as usize + (1 << 20)
}

/// A create endpoint: `handler` behind the upload limit. A body whose `Content-Length`
/// is over the limit is refused at once, before any of it is read (a client announcing
/// 5 GB would otherwise hold the connection for as long as it keeps it open); a body
/// without a length (chunked) is refused while it is read, past the limit.
pub fn upload<H, T>(state: &AppState, handler: H) -> MethodRouter<AppState>
where
    H: Handler<T, AppState>,
    T: 'static,
{
    let limit = upload_body_limit(state);
    let max = state.engine.config().max_upload_bytes;
    post(handler)
        .layer(DefaultBodyLimit::max(limit))
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            refuse_announced_oversize(limit, max, request, next)
        }))
}

async fn refuse_announced_oversize(
    limit: usize,
    max_upload_bytes: u64,
    request: Request,
    next: Next,
) -> Response {
    let announced = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    match announced {
        Some(length) if length > limit as u64 => ApiError::Status(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the upload is larger than the server's limit ({})",
                size_in_words(max_upload_bytes)
            ),
        )
        .into_response(),
        _ => next.run(request).await,
    }
}

/// `50 MB`, `4096 bytes`.
fn size_in_words(bytes: u64) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MB", bytes >> 20)
    } else {
        format!("{bytes} bytes")
    }
}

pub fn parse_id(id: &str) -> Result<JobId, ApiError> {
    id.parse::<JobId>()
        .map_err(|_| ApiError::Core(Error::not_found(format!("job {id} not found"))))
}

pub async fn load(state: &AppState, kind: JobKind, id: &str) -> Result<Job, ApiError> {
    Ok(state.engine.get_kind(parse_id(id)?, kind).await?)
}

pub async fn get_job(state: AppState, kind: JobKind, id: String) -> Result<Json<Job>, ApiError> {
    Ok(Json(load(&state, kind, &id).await?))
}

/// One page of the kind's jobs, newest first, as light items: `{"jobs": [...], "count":
/// n, "next": cursor | null}` (see `Engine::page`).
pub async fn list_jobs(
    state: AppState,
    kind: JobKind,
    query: ListQuery,
) -> Result<Json<Value>, ApiError> {
    let status = match query.status.as_deref() {
        None | Some("") => None,
        Some(s) => Some(
            s.parse::<JobStatus>()
                .map_err(|e| ApiError::Core(Error::invalid(e)))?,
        ),
    };
    let limit = match query.limit.as_deref() {
        None | Some("") => None,
        Some(text) => Some(text.trim().parse::<u32>().map_err(|_| {
            Error::invalid(format!(
                "limit must be a whole number between 1 and {MAX_PAGE_SIZE}; got '{text}'"
            ))
        })?),
    };
    let page = state
        .engine
        .page(&PageRequest {
            kind: Some(kind),
            status,
            limit,
            cursor: query.cursor,
        })
        .await?;
    Ok(Json(
        json!({ "jobs": page.jobs, "count": page.jobs.len(), "next": page.next }),
    ))
}

pub async fn list_artifacts(
    state: AppState,
    kind: JobKind,
    id: String,
) -> Result<Json<Value>, ApiError> {
    let job = load(&state, kind, &id).await?;
    Ok(Json(
        json!({ "job_id": job.id, "status": job.status, "artifacts": job.artifacts }),
    ))
}

pub async fn delete_job(
    state: AppState,
    kind: JobKind,
    id: String,
) -> Result<Json<Value>, ApiError> {
    let job = load(&state, kind, &id).await?;
    state.engine.delete(job.id).await?;
    Ok(Json(json!({ "id": job.id, "deleted": true })))
}

pub async fn cancel_job(state: AppState, kind: JobKind, id: String) -> Result<Json<Job>, ApiError> {
    let job = load(&state, kind, &id).await?;
    Ok(Json(state.engine.cancel(job.id).await?))
}

pub async fn job_events(
    state: AppState,
    kind: JobKind,
    id: String,
) -> Result<Json<Value>, ApiError> {
    let job = load(&state, kind, &id).await?;
    let events = state.engine.events(job.id).await?;
    Ok(Json(json!({ "job_id": job.id, "events": events })))
}

/// A file response; `attachment` names the download the way the user's browser saves it.
pub fn file_response(content_type: &str, data: bytes::Bytes, attachment: Option<&str>) -> Response {
    let mut response = Response::new(Body::from(data));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Some(name) = attachment
        && let Ok(v) = HeaderValue::from_str(&content_disposition(name))
    {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

/// `attachment; filename="ascii"; filename*=UTF-8''percent-encoded` (RFC 6266).
pub fn content_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

async fn summary(state: AppState, kind: JobKind, id: String) -> Result<Json<Value>, ApiError> {
    let job = load(&state, kind, &id).await?;
    Ok(Json(state.engine.summary(&job).await?))
}

async fn code(state: AppState, kind: JobKind, id: String) -> Result<Json<Value>, ApiError> {
    let job = load(&state, kind, &id).await?;
    let code = state.engine.code(&job).await?;
    Ok(Json(
        json!({ "job_id": job.id, "generator": job.generator, "code": code }),
    ))
}

/// One artifact by the name the job lists; any other name (`../x`, an absolute path) is
/// not found.
async fn artifact(
    state: AppState,
    kind: JobKind,
    id: String,
    name: String,
) -> Result<Response, ApiError> {
    let job = load(&state, kind, &id).await?;
    let (artifact, data) = state.engine.read_artifact(&job, &name).await?;
    let file_name = artifact.name.rsplit('/').next().unwrap_or(&artifact.name);
    Ok(file_response(&artifact.content_type, data, Some(file_name)))
}

pub fn list_query(query: Result<Query<ListQuery>, QueryRejection>) -> Result<ListQuery, ApiError> {
    query
        .map(|Query(q)| q)
        .map_err(|e| ApiError::Core(Error::invalid(format!("invalid query: {}", e.body_text()))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_disposition_keeps_unicode_names_safe() {
        let v = content_disposition("销售 \"q1\".xlsx");
        assert!(
            v.starts_with("attachment; filename=\"__ _q1_.xlsx\""),
            "{v}"
        );
        assert!(v.contains("filename*=UTF-8''%E9%94%80"), "{v}");
        assert!(HeaderValue::from_str(&v).is_ok());
    }
}
