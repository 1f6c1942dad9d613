//! Optional bearer-token authentication: when `OFFICE_API_KEYS` or `OFFICE_API_KEYS_FILE`
//! gives keys, every API request but the health checks must carry one, and acts as the
//! tenant the key belongs to. Without keys, every request is `Caller::default()`.

use crate::AppState;
use crate::error::ApiError;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use office_core::Caller;

/// Lets the request through when it may pass, with the `Caller` it acts as in its
/// extensions (handlers take `Extension<Caller>`).
pub async fn require_api_key(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let engine = &state.engine;
    let caller = if engine.requires_key() {
        bearer(&request).and_then(|key| engine.authenticate(key))
    } else {
        Some(Caller::default())
    };
    match caller {
        Some(caller) => {
            request.extensions_mut().insert(caller);
            Ok(next.run(request).await)
        }
        None => Err(ApiError::Status(
            StatusCode::UNAUTHORIZED,
            "Not authenticated".into(),
        )),
    }
}

/// The key of an `Authorization: Bearer <key>` header.
fn bearer(request: &Request) -> Option<&str> {
    request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}
