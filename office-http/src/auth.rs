//! Optional bearer-token authentication: when `OFFICE_API_KEYS` lists tokens, every API
//! request but the health check must carry one of them.

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
    let keys = &state.engine.config().api_keys;
    // One tenant for now: every key acts as `default` with every job in sight.
    request.extensions_mut().insert(Caller::default());
    if keys.is_empty() {
        return Ok(next.run(request).await);
    }
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match presented {
        Some(token)
            if keys
                .iter()
                .any(|k| constant_time_eq(k.as_bytes(), token.as_bytes())) =>
        {
            Ok(next.run(request).await)
        }
        _ => Err(ApiError::Status(
            StatusCode::UNAUTHORIZED,
            "Not authenticated".into(),
        )),
    }
}

/// Compares without returning early, so response times do not leak how much matched.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
