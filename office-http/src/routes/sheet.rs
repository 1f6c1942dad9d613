//! `GET .../jobs/{id}/sheet`: a page of the job's workbook as a table (the engine reads
//! it and marks what the job changed), and `GET .../examples`: requests of the kind the
//! planner plans, shown as hints. Both are mounted per kind by `jobs::routes`.

use super::jobs;
use crate::AppState;
use crate::api::Api;
use crate::bodies;
use crate::error::ApiError;
use crate::openapi::{self, Describe, op};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::Method;
use axum::routing::get;
use axum::{Extension, Json};
use office_core::{
    Caller, DEFAULT_SHEET_ROWS, Error, JobKind, MAX_SHEET_ROWS, SheetPage, SheetRequest,
};
use serde::Deserialize;

/// `?artifact=..&sheet=..&offset=..&limit=..`; numbers as text so that a bad one is
/// answered with a sentence.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SheetQuery {
    pub artifact: Option<String>,
    pub sheet: Option<String>,
    pub offset: Option<String>,
    pub limit: Option<String>,
}

pub fn routes(kind: JobKind) -> Api {
    let tag = kind.as_str();
    Api::new()
        .route(
            Method::GET,
            "/jobs/{id}/sheet",
            get(
                move |State(state): State<AppState>,
                      Extension(caller): Extension<Caller>,
                      Path(id): Path<String>,
                      query: Result<Query<SheetQuery>, QueryRejection>| async move {
                    sheet(state, caller, kind, id, query).await
                },
            ),
            op(
                tag,
                &format!("{tag}_sheet"),
                &format!("A page of the job's workbook, changed cells marked ({tag})"),
            )
            .protected()
            .path_param("id", "The job's id.")
            .query_param(
                "artifact",
                openapi::text(),
                "The artifact to read (xlsx, xlsm, xls, xlsb, ods, csv, tsv); the job's workbook by default.",
            )
            .query_param("sheet", openapi::text(), "The sheet; the first by default.")
            .query_param(
                "offset",
                openapi::integer(0.0, f64::from(u32::MAX)),
                "Rows to skip (0 by default).",
            )
            .query_param(
                "limit",
                openapi::integer(1.0, f64::from(MAX_SHEET_ROWS)),
                &format!(
                    "At most this many rows ({DEFAULT_SHEET_ROWS} by default, at most {MAX_SHEET_ROWS})."
                ),
            )
            .json::<SheetPage>(200, "The page.")
            .errors(&[400, 404, 409, 422]),
        )
        .route(
            Method::GET,
            "/examples",
            get(move || async move {
                Json(bodies::Examples {
                    kind,
                    examples: kind.examples().to_vec(),
                })
            }),
            op(
                tag,
                &format!("{tag}_examples"),
                &format!("Requests the planner understands, as hints ({tag})"),
            )
            .protected()
            .json::<bodies::Examples>(200, "The examples."),
        )
}

async fn sheet(
    state: AppState,
    caller: Caller,
    kind: JobKind,
    id: String,
    query: Result<Query<SheetQuery>, QueryRejection>,
) -> Result<Json<SheetPage>, ApiError> {
    let Query(query) = query
        .map_err(|e| ApiError::Core(Error::invalid(format!("invalid query: {}", e.body_text()))))?;
    let job = jobs::load(&state, &caller, kind, &id).await?;
    let request = SheetRequest {
        artifact: query.artifact.filter(|a| !a.is_empty()),
        sheet: query.sheet.filter(|s| !s.is_empty()),
        offset: number("offset", query.offset.as_deref(), u32::MAX)?.unwrap_or(0),
        limit: number("limit", query.limit.as_deref(), MAX_SHEET_ROWS)?,
    };
    Ok(Json(state.engine.sheet(&job, &request).await?))
}

/// A whole number from text, up to `max`; `None` when absent or blank.
fn number(name: &str, text: Option<&str>, max: u32) -> Result<Option<u32>, ApiError> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => t
            .parse::<u32>()
            .ok()
            .filter(|n| *n <= max)
            .map(Some)
            .ok_or_else(|| {
                ApiError::Core(Error::invalid(format!(
                    "{name} must be a whole number up to {max}; got '{t}'"
                )))
            }),
    }
}
