//! The endpoints every job kind shares (list, get, delete, summary, code, artifacts, one
//! artifact, events, cancel), mounted per kind by `routes(kind)`; each kind's module adds
//! its own create handler.

use super::events;
use crate::AppState;
use crate::api::Api;
use crate::bodies;
use crate::error::ApiError;
use crate::openapi::{self, Describe, op};
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::handler::Handler;
use axum::http::{HeaderValue, header};
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::IntoResponse;
use axum::response::Response;
use axum::routing::{MethodRouter, delete, get, post};
use axum::{Extension, Json};
use office_core::{
    Caller, DEFAULT_PAGE_SIZE, Error, Job, JobId, JobKind, JobStatus, MAX_PAGE_SIZE, PageRequest,
    TenantId,
};
use serde::Deserialize;
use serde_json::Value;

/// `?status=..&limit=..&cursor=..` on list endpoints. `limit` is text here so that a
/// bad one is answered with the engine's sentence, not a parser's.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    pub status: Option<String>,
    pub limit: Option<String>,
    pub cursor: Option<String>,
    pub tenant: Option<String>,
}

/// The shared endpoints for one kind, under `/jobs`, each with its description.
pub fn routes(kind: JobKind) -> Api {
    let tag = kind.as_str();
    let doc = |name: &str, summary: &str| {
        op(tag, &format!("{tag}_{name}"), &format!("{summary} ({tag})"))
            .protected()
            .path_param("id", "The job's id.")
    };
    Api::new()
        .route(
            Method::GET,
            "/jobs",
            get(
                move |State(state): State<AppState>,
                      Extension(caller): Extension<Caller>,
                      query: Result<Query<ListQuery>, QueryRejection>| async move {
                    list_jobs(state, caller, kind, list_query(query)?).await
                },
            ),
            op(
                tag,
                &format!("{tag}_list_jobs"),
                &format!("List {tag} jobs, newest first"),
            )
            .protected()
            .query_param(
                "status",
                openapi::status_schema(),
                "Only jobs in this status.",
            )
            .query_param(
                "limit",
                openapi::integer(1.0, f64::from(MAX_PAGE_SIZE)),
                &format!(
                    "At most this many jobs ({DEFAULT_PAGE_SIZE} by default, at most {MAX_PAGE_SIZE})."
                ),
            )
            .query_param(
                "cursor",
                openapi::text(),
                "The `next` of the previous page, as it was given out.",
            )
            .query_param(
                "tenant",
                openapi::text(),
                "Only this tenant's jobs (for an admin key; every other key sees only its own).",
            )
            .json::<bodies::JobList>(200, "The jobs.")
            .errors(&[422]),
        )
        .route(
            Method::GET,
            "/jobs/{id}",
            get(move |State(state), Extension(caller), Path(id)| {
                get_job(state, caller, kind, id)
            }),
            doc("get_job", "A job")
                .json::<Job>(200, "The job.")
                .errors(&[404]),
        )
        .route(
            Method::DELETE,
            "/jobs/{id}",
            delete(
                move |State(state),
                      Extension(caller),
                      Path(id),
                      query: Result<Query<DeleteQuery>, QueryRejection>| async move {
                    delete_job(state, caller, kind, id, delete_query(query)?).await
                },
            ),
            doc("delete_job", "Delete a job, its files and its events")
                .query_param(
                    "cascade",
                    openapi::boolean(),
                    "Also delete every job that follows from this one (its follow-ups, \
                     theirs, ...). Without it, a job that has follow-ups is not deleted (409).",
                )
                .json::<bodies::Deleted>(200, "Deleted.")
                .errors(&[404, 409, 422, 503]),
        )
        .route(
            Method::GET,
            "/jobs/{id}/summary",
            get(move |State(state), Extension(caller), Path(id)| {
                summary(state, caller, kind, id)
            }),
            doc("summary", "The run's record (summary.json)")
                .json_object(200, "summary.json.")
                .errors(&[404, 409, 503]),
        )
        .route(
            Method::GET,
            "/jobs/{id}/code",
            get(move |State(state), Extension(caller), Path(id)| {
                code(state, caller, kind, id)
            }),
            doc("code", "The generated program")
                .json::<bodies::Code>(200, "The program.")
                .errors(&[404, 409, 503]),
        )
        .route(
            Method::GET,
            "/jobs/{id}/artifacts",
            get(move |State(state), Extension(caller), Path(id)| {
                list_artifacts(state, caller, kind, id)
            }),
            doc("artifacts", "What the job made")
                .json::<bodies::ArtifactList>(200, "The artifacts.")
                .errors(&[404]),
        )
        .route(
            Method::GET,
            "/jobs/{id}/artifacts/{*name}",
            get(move |State(state), Extension(caller), Path((id, name))| {
                artifact(state, caller, kind, id, name)
            }),
            doc("artifact", "One artifact, by the name the job lists")
                .path_param(
                    "name",
                    "The artifact's name (may contain `/`, as `inputs/a.csv`).",
                )
                .bytes(200, "The file, with its content type.", &["*/*"])
                .errors(&[404, 503]),
        )
        .route(
            Method::GET,
            "/jobs/{id}/events",
            get(move |State(state), Extension(caller), Path(id), headers| {
                events::job_events(state, caller, kind, id, headers)
            }),
            openapi::events_responses(doc("events", "The job's events, as a list or live"))
                .header_param(
                    "Last-Event-ID",
                    "Only the events after this id (what an SSE client sends to resume).",
                )
                .errors(&[404, 422]),
        )
        .route(
            Method::POST,
            "/jobs/{id}/cancel",
            post(move |State(state), Extension(caller), Path(id)| {
                cancel_job(state, caller, kind, id)
            }),
            doc("cancel", "Cancel a job that has not finished")
                .json::<Job>(200, "The job (final jobs are left as they are).")
                .errors(&[404]),
        )
        .merge(super::sheet::routes(kind))
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

pub async fn load(
    state: &AppState,
    caller: &Caller,
    kind: JobKind,
    id: &str,
) -> Result<Job, ApiError> {
    Ok(state.engine.get_kind(caller, parse_id(id)?, kind).await?)
}

pub async fn get_job(
    state: AppState,
    caller: Caller,
    kind: JobKind,
    id: String,
) -> Result<Json<Job>, ApiError> {
    Ok(Json(load(&state, &caller, kind, &id).await?))
}

/// One page of the kind's jobs, newest first, as light items: `{"jobs": [...], "count":
/// n, "next": cursor | null}` (see `Engine::page`).
pub async fn list_jobs(
    state: AppState,
    caller: Caller,
    kind: JobKind,
    query: ListQuery,
) -> Result<Json<bodies::JobList>, ApiError> {
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
    let tenant = match query.tenant.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(t) => Some(t.parse::<TenantId>().map_err(Error::invalid)?),
    };
    let request = PageRequest {
        tenant,
        kind: Some(kind),
        status,
        limit,
        cursor: query.cursor,
    };
    let page = state.engine.page(&caller, &request).await?;
    Ok(Json(bodies::JobList {
        count: page.jobs.len(),
        jobs: page.jobs,
        next: page.next,
    }))
}

pub async fn list_artifacts(
    state: AppState,
    caller: Caller,
    kind: JobKind,
    id: String,
) -> Result<Json<bodies::ArtifactList>, ApiError> {
    let job = load(&state, &caller, kind, &id).await?;
    Ok(Json(bodies::ArtifactList {
        job_id: job.id,
        status: job.status,
        artifacts: job.artifacts,
    }))
}

/// `?cascade=true|false` on delete.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteQuery {
    pub cascade: Option<String>,
}

fn delete_query(query: Result<Query<DeleteQuery>, QueryRejection>) -> Result<bool, ApiError> {
    let query = query
        .map(|Query(q)| q)
        .map_err(|e| ApiError::Core(Error::invalid(format!("invalid query: {}", e.body_text()))))?;
    match query.cascade.as_deref().map(str::trim) {
        None | Some("") | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(ApiError::Core(Error::invalid(format!(
            "cascade must be true or false; got '{other}'"
        )))),
    }
}

/// Deletes the job; a job with follow-ups only with `cascade` (409 naming them otherwise).
pub async fn delete_job(
    state: AppState,
    caller: Caller,
    kind: JobKind,
    id: String,
    cascade: bool,
) -> Result<Json<bodies::Deleted>, ApiError> {
    let job = load(&state, &caller, kind, &id).await?;
    let jobs = if cascade {
        state.engine.delete_cascade(&caller, job.id).await?
    } else {
        state.engine.delete(&caller, job.id).await?;
        vec![job.id]
    };
    Ok(Json(bodies::Deleted {
        id: job.id,
        deleted: true,
        jobs,
    }))
}

pub async fn cancel_job(
    state: AppState,
    caller: Caller,
    kind: JobKind,
    id: String,
) -> Result<Json<Job>, ApiError> {
    let job = load(&state, &caller, kind, &id).await?;
    Ok(Json(state.engine.cancel(&caller, job.id).await?))
}

/// A file response; `attachment` names the download the way the user's browser saves it.
pub fn file_response(content_type: &str, data: bytes::Bytes, attachment: Option<&str>) -> Response {
    with_file_headers(Response::new(Body::from(data)), content_type, attachment)
}

/// A stored artifact passed on as it arrives from the storage (an object store's file is
/// never held whole), with its recorded length.
pub fn artifact_response(
    artifact: &office_core::Artifact,
    stream: office_core::ArtifactStream,
    attachment: Option<&str>,
) -> Response {
    let mut response = with_file_headers(
        Response::new(Body::from_stream(stream)),
        &artifact.content_type,
        attachment,
    );
    response
        .headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(artifact.size));
    response
}

fn with_file_headers(
    mut response: Response,
    content_type: &str,
    attachment: Option<&str>,
) -> Response {
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

async fn summary(
    state: AppState,
    caller: Caller,
    kind: JobKind,
    id: String,
) -> Result<Json<Value>, ApiError> {
    let job = load(&state, &caller, kind, &id).await?;
    Ok(Json(state.engine.summary(&job).await?))
}

async fn code(
    state: AppState,
    caller: Caller,
    kind: JobKind,
    id: String,
) -> Result<Json<bodies::Code>, ApiError> {
    let job = load(&state, &caller, kind, &id).await?;
    let code = state.engine.code(&job).await?;
    Ok(Json(bodies::Code {
        job_id: job.id,
        generator: job.generator,
        code,
    }))
}

/// One artifact by the name the job lists; any other name (`../x`, an absolute path) is
/// not found.
async fn artifact(
    state: AppState,
    caller: Caller,
    kind: JobKind,
    id: String,
    name: String,
) -> Result<Response, ApiError> {
    let job = load(&state, &caller, kind, &id).await?;
    let (artifact, stream) = state.engine.open_artifact(&job, &name).await?;
    let file_name = artifact.name.rsplit('/').next().unwrap_or(&artifact.name);
    Ok(artifact_response(&artifact, stream, Some(file_name)))
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
