//! `GET .../jobs/{id}/events`: the job's events as a JSON list (for clients that poll) or,
//! with `Accept: text/event-stream`, as a live SSE stream that ends after the final
//! status. Both start after `Last-Event-ID` when it is sent. The engine numbers and
//! orders the events and wakes the stream; this module only translates.

use super::jobs;
use crate::AppState;
use crate::bodies::EventList;
use crate::error::ApiError;
use axum::Json;
use axum::http::{HeaderMap, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use office_core::{Caller, Error, JobKind, NumberedEvent};
use std::convert::Infallible;

/// The header an SSE client sends when it reconnects (and any client may send).
const LAST_EVENT_ID: &str = "last-event-id";

pub async fn job_events(
    state: AppState,
    caller: Caller,
    kind: JobKind,
    id: String,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let job = jobs::load(&state, &caller, kind, &id).await?;
    let after = last_event_id(&headers)?;
    if !wants_stream(&headers) {
        let events = state.engine.events_after(&caller, job.id, after).await?;
        return Ok(Json(EventList {
            job_id: job.id,
            events,
        })
        .into_response());
    }
    let events = state.engine.follow_events(&caller, job.id, after).await?;
    let stream = events.map(|event| Ok::<_, Infallible>(sse_event(event)));
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response())
}

fn sse_event(event: office_core::Result<NumberedEvent>) -> Event {
    match event {
        Ok(event) => {
            let data = serde_json::to_string(&event).unwrap_or_default();
            Event::default()
                .id(event.id.to_string())
                .event(event_type(&event))
                .data(data)
        }
        // The stream ends after this; the reason goes to the log, not to the client.
        Err(e) => {
            tracing::error!(error = %e, "a job event stream failed");
            Event::default()
                .event("error")
                .data(r#"{"detail":"internal server error"}"#)
        }
    }
}

/// The event's `type` (`stage`, `status`, `log`), as the SSE event name.
fn event_type(event: &NumberedEvent) -> &'static str {
    match event.event.body {
        office_core::EventBody::Stage { .. } => "stage",
        office_core::EventBody::Status { .. } => "status",
        office_core::EventBody::Log { .. } => "log",
    }
}

fn wants_stream(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("text/event-stream"))
}

/// `Last-Event-ID` as a number (0 when absent or blank).
fn last_event_id(headers: &HeaderMap) -> Result<u64, ApiError> {
    let Some(value) = headers.get(LAST_EVENT_ID) else {
        return Ok(0);
    };
    let text = value.to_str().unwrap_or("\u{fffd}").trim();
    if text.is_empty() {
        return Ok(0);
    }
    text.parse().map_err(|_| {
        ApiError::Core(Error::invalid(format!(
            "Last-Event-ID must be the id of an event (a whole number), not '{text}'"
        )))
    })
}
