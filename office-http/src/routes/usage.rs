//! `GET /api/usage`: the caller's tenant's jobs queued, running and kept, its stored
//! bytes, its submissions in the last minute, and its limits; an admin key sees every
//! tenant, or one with `?tenant=`.

use crate::AppState;
use crate::api::Api;
use crate::bodies::UsageList;
use crate::error::ApiError;
use crate::openapi::{self, Describe, op};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::Method;
use axum::routing::get;
use axum::{Extension, Json};
use office_core::{Caller, Error, TenantId};
use serde::Deserialize;

/// `?tenant=..`, for an admin key.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageQuery {
    pub tenant: Option<String>,
}

pub fn routes() -> Api {
    Api::new().route(
        Method::GET,
        "/usage",
        get(usage),
        op(
            "usage",
            "get_usage",
            "What tenants use now, and their limits",
        )
        .protected()
        .query_param(
            "tenant",
            openapi::text(),
            "Only this tenant (for an admin key; every other key sees only its own).",
        )
        .json::<UsageList>(200, "Each tenant's usage and limits (`null`: no limit).")
        .errors(&[422]),
    )
}

async fn usage(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    query: Result<Query<UsageQuery>, QueryRejection>,
) -> Result<Json<UsageList>, ApiError> {
    let Query(query) =
        query.map_err(|e| Error::invalid(format!("invalid query: {}", e.body_text())))?;
    let tenant = match query.tenant.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(t) => Some(t.parse::<TenantId>().map_err(Error::invalid)?),
    };
    let tenants = state.engine.usage(&caller, tenant.as_ref()).await?;
    Ok(Json(UsageList { tenants }))
}
