//! The only place errors become HTTP responses. Bodies follow FastAPI: `{"detail": "..."}`
//! for a message, `{"detail": [{"type", "loc", "msg", ...}]}` for field validation.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use office_core::Error;
use serde_json::{Value, json};

#[derive(Debug)]
pub enum ApiError {
    /// An error from the engine.
    Core(Error),
    /// Request fields missing or invalid, in FastAPI's list form.
    Fields(Vec<Value>),
    /// A status and a message decided by the web layer (bad multipart, auth).
    Status(StatusCode, String),
}

impl ApiError {
    /// FastAPI's complaint about a required form field that was not sent.
    pub fn missing(field: &str) -> Self {
        ApiError::Fields(vec![json!({
            "type": "missing",
            "loc": ["body", field],
            "msg": "Field required",
            "input": null,
        })])
    }

    pub fn invalid_field(field: &str, msg: impl Into<String>) -> Self {
        ApiError::Fields(vec![json!({
            "type": "value_error",
            "loc": ["body", field],
            "msg": msg.into(),
        })])
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError::Core(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut retry_after = None;
        let (status, detail) = match self {
            ApiError::Fields(list) => (StatusCode::UNPROCESSABLE_ENTITY, Value::Array(list)),
            ApiError::Status(status, msg) => (status, Value::String(msg)),
            ApiError::Core(e) => match &e {
                Error::NotFound(_) => (StatusCode::NOT_FOUND, Value::String(e.to_string())),
                Error::InvalidInput(_) => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Value::String(e.to_string()),
                ),
                Error::UnreadableFile { .. } => {
                    (StatusCode::BAD_REQUEST, Value::String(e.to_string()))
                }
                Error::TooLarge { .. } => {
                    (StatusCode::PAYLOAD_TOO_LARGE, Value::String(e.to_string()))
                }
                Error::NotReady(_) | Error::Conflict(_) => {
                    (StatusCode::CONFLICT, Value::String(e.to_string()))
                }
                // Over a quota: a size answers 413; a count or a rate 429, with when
                // to try again.
                Error::OverQuota(over) if over.is_size() => {
                    (StatusCode::PAYLOAD_TOO_LARGE, Value::String(e.to_string()))
                }
                Error::OverQuota(over) => {
                    retry_after = over.retry_after();
                    (StatusCode::TOO_MANY_REQUESTS, Value::String(e.to_string()))
                }
                Error::StorageFull(_) => (
                    StatusCode::INSUFFICIENT_STORAGE,
                    Value::String(e.to_string()),
                ),
                // The store is named (no credentials are in the message): an operator
                // sees at once what is down, a client that it may try again.
                Error::ArtifactStore(_) => {
                    tracing::warn!(error = %e, "the artifact store failed a request");
                    (
                        StatusCode::SERVICE_UNAVAILABLE,
                        Value::String(e.to_string()),
                    )
                }
                Error::Rejected { violations } => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    json!({ "message": e.to_string(), "violations": violations }),
                ),
                _ => {
                    // Internal: the details go to the log, not to the caller.
                    tracing::error!(error = %e, "internal error while handling a request");
                    (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        Value::String("internal server error".into()),
                    )
                }
            },
        };
        let mut response = (status, Json(json!({ "detail": detail }))).into_response();
        if let Some(wait) = retry_after {
            // Whole seconds, at least one.
            let seconds = wait.as_secs().max(1);
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
