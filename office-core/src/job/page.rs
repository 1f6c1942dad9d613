//! Job lists, a page at a time: light items (no inputs, artifacts, parameters, stages or
//! error details: the whole job is had by id), newest first, and an opaque cursor that
//! stays right while jobs are inserted (a keyset on `(created_at, id)`, not an offset).

use super::{JobId, JobKind, JobStatus, Stage};
use crate::error::{Error, Result};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Items on a page when the caller does not say.
pub const DEFAULT_PAGE_SIZE: u32 = 50;

/// The most items a page holds; a larger `limit` is refused, not cut.
pub const MAX_PAGE_SIZE: u32 = 1000;

/// A job as a list shows it: what it is, where it is, when. The fields keep the names
/// and meaning they have on `Job`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobSummary {
    /// Its id, to get the whole job.
    pub id: JobId,
    /// What kind of job it is.
    pub kind: JobKind,
    /// Where it is in its life.
    pub status: JobStatus,
    /// The stage it is in, or reached last.
    pub stage: Stage,
    /// The request in plain language.
    pub prompt: String,
    /// When it was submitted (to the microsecond in PostgreSQL).
    #[serde(
        serialize_with = "super::rfc3339::serialize",
        deserialize_with = "super::rfc3339::deserialize"
    )]
    pub created_at: DateTime<Utc>,
    /// When a worker first started it.
    #[serde(
        default,
        serialize_with = "super::rfc3339::serialize_option",
        deserialize_with = "super::rfc3339::deserialize_option"
    )]
    pub started_at: Option<DateTime<Utc>>,
    /// When it reached its final status.
    #[serde(
        default,
        serialize_with = "super::rfc3339::serialize_option",
        deserialize_with = "super::rfc3339::deserialize_option"
    )]
    pub finished_at: Option<DateTime<Utc>>,
    /// How many times a worker has started it.
    pub attempts: u32,
    /// Which code generator wrote the program that ran.
    pub generator: Option<String>,
    /// The job this one follows up; null when none.
    pub parent: Option<JobId>,
    /// The first job of its thread; null for a job that follows up no other.
    pub thread: Option<JobId>,
}

impl From<&super::Job> for JobSummary {
    fn from(job: &super::Job) -> Self {
        JobSummary {
            id: job.id,
            kind: job.kind,
            status: job.status,
            stage: job.stage,
            prompt: job.prompt.clone(),
            created_at: job.created_at,
            started_at: job.started_at,
            finished_at: job.finished_at,
            attempts: job.attempts,
            generator: job.generator.clone(),
            parent: job.parent,
            thread: job.thread,
        }
    }
}

/// A place in the newest-first order: the last item of a page. The next page holds the
/// jobs strictly before it, `(created_at, id)` descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PagePosition {
    /// The item's `created_at` as the store keeps it.
    pub created_at: DateTime<Utc>,
    /// The item's id, which breaks ties between jobs created at the same instant.
    pub id: JobId,
}

/// What a store is asked for: one page, already checked by the engine.
#[derive(Debug, Clone)]
pub struct PageQuery {
    /// Only this tenant's jobs.
    pub tenant: Option<super::TenantId>,
    /// Only jobs of this kind.
    pub kind: Option<JobKind>,
    /// Only jobs in this status.
    pub status: Option<JobStatus>,
    /// At most this many items.
    pub limit: u32,
    /// Only jobs after this place in the order (the previous page's last item).
    pub after: Option<PagePosition>,
}

/// What a face asks for: a filter, a size and where the previous page ended.
#[derive(Debug, Clone, Default)]
pub struct PageRequest {
    /// Only this tenant's jobs: what an admin may ask for (every other caller sees only
    /// its own tenant's, whatever this says).
    pub tenant: Option<super::TenantId>,
    /// Only jobs of this kind.
    pub kind: Option<JobKind>,
    /// Only jobs in this status.
    pub status: Option<JobStatus>,
    /// Items on the page: 1 to `MAX_PAGE_SIZE`, `DEFAULT_PAGE_SIZE` when `None`.
    pub limit: Option<u32>,
    /// The `next` of the previous page, as it was given out.
    pub cursor: Option<String>,
}

/// One page of a job list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobPage {
    /// The jobs, newest first.
    pub jobs: Vec<JobSummary>,
    /// The cursor of the following page; `None` on the last page.
    pub next: Option<String>,
}

/// What a cursor holds: the list it belongs to (tenant, kind and status filter) and its
/// place. Given out as hex so that clients treat it as opaque.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cursor {
    /// The tenant filter an admin asked for (`None` for every other list: a caller's own
    /// tenant is not in its cursors, it is applied on every page).
    pub(crate) tenant: Option<super::TenantId>,
    pub(crate) kind: Option<JobKind>,
    pub(crate) status: Option<JobStatus>,
    pub(crate) position: PagePosition,
}

/// Bumped if the layout below changes, so an old cursor is refused, not misread.
const CURSOR_VERSION: &str = "c2";

impl Cursor {
    pub(crate) fn encode(&self) -> String {
        let text = [
            CURSOR_VERSION,
            self.tenant.as_ref().map_or("", super::TenantId::as_str),
            self.kind.map_or("", JobKind::as_str),
            self.status.map_or("", JobStatus::as_str),
            &self
                .position
                .created_at
                .timestamp_nanos_opt()
                .unwrap_or(i64::MAX)
                .to_string(),
            &self.position.id.0.simple().to_string(),
        ]
        .join(" ");
        hex::encode(text)
    }

    pub(crate) fn decode(cursor: &str) -> Result<Cursor> {
        let invalid = || {
            Error::invalid(format!(
                "the cursor '{}' is not one this server gave out: pass the `next` of the \
                 previous page unchanged",
                cursor.chars().take(80).collect::<String>()
            ))
        };
        let bytes = hex::decode(cursor).map_err(|_| invalid())?;
        let text = String::from_utf8(bytes).map_err(|_| invalid())?;
        let parts: Vec<&str> = text.split(' ').collect();
        let [version, tenant, kind, status, nanos, id] = parts[..] else {
            return Err(invalid());
        };
        if version != CURSOR_VERSION {
            return Err(invalid());
        }
        let tenant = match tenant {
            "" => None,
            t => Some(t.parse::<super::TenantId>().map_err(|_| invalid())?),
        };
        let kind = match kind {
            "" => None,
            k => Some(k.parse::<JobKind>().map_err(|_| invalid())?),
        };
        let status = match status {
            "" => None,
            s => Some(s.parse::<JobStatus>().map_err(|_| invalid())?),
        };
        let nanos: i64 = nanos.parse().map_err(|_| invalid())?;
        let id = id.parse::<JobId>().map_err(|_| invalid())?;
        Ok(Cursor {
            tenant,
            kind,
            status,
            position: PagePosition {
                created_at: DateTime::from_timestamp_nanos(nanos),
                id,
            },
        })
    }

    /// Refuses a cursor given out for another list: of another tenant, kind or status.
    pub(crate) fn check_list(
        &self,
        tenant: Option<&super::TenantId>,
        kind: Option<JobKind>,
        status: Option<JobStatus>,
    ) -> Result<()> {
        if self.tenant.as_ref() != tenant {
            return Err(Error::invalid(
                "this cursor belongs to the list of another tenant filter: start again \
                 without a cursor",
            ));
        }
        let name = |kind: Option<JobKind>, status: Option<JobStatus>| {
            let kind = kind.map_or("all".to_string(), |k| k.to_string());
            match status {
                Some(s) => format!("{s} {kind} jobs"),
                None => format!("{kind} jobs"),
            }
        };
        if self.kind != kind || self.status != status {
            return Err(Error::invalid(format!(
                "this cursor belongs to the list of {}, not to the list of {}: start again \
                 without a cursor",
                name(self.kind, self.status),
                name(kind, status)
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_names_its_list() {
        let cursor = Cursor {
            tenant: None,
            kind: Some(JobKind::Excel),
            status: None,
            position: PagePosition {
                created_at: DateTime::parse_from_rfc3339("2025-03-04T05:06:07.123456789Z")
                    .unwrap()
                    .to_utc(),
                id: JobId::new(),
            },
        };
        let text = cursor.encode();
        assert!(text.bytes().all(|b| b.is_ascii_hexdigit()), "{text}");
        let back = Cursor::decode(&text).unwrap();
        assert_eq!(back, cursor);
        back.check_list(None, Some(JobKind::Excel), None).unwrap();
        let other = back
            .check_list(None, Some(JobKind::Report), None)
            .unwrap_err()
            .to_string();
        assert!(
            other.contains("excel jobs") && other.contains("report jobs"),
            "{other}"
        );
        assert!(
            back.check_list(None, Some(JobKind::Excel), Some(JobStatus::Failed))
                .is_err()
        );
        let acme = super::super::TenantId::new("acme").unwrap();
        assert!(
            back.check_list(Some(&acme), Some(JobKind::Excel), None)
                .is_err()
        );
        let filtered = Cursor {
            tenant: Some(acme.clone()),
            ..cursor
        };
        let back = Cursor::decode(&filtered.encode()).unwrap();
        assert_eq!(back, filtered);
        back.check_list(Some(&acme), Some(JobKind::Excel), None)
            .unwrap();
        assert!(back.check_list(None, Some(JobKind::Excel), None).is_err());
    }

    #[test]
    fn a_made_up_cursor_is_refused_with_a_sentence() {
        for bad in ["", "zz", "abcd", &hex::encode("c1 excel  12 nope")] {
            let err = Cursor::decode(bad).unwrap_err().to_string();
            assert!(err.contains("not one this server gave out"), "{bad}: {err}");
        }
    }
}
