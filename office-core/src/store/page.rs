//! The page query both SQL stores run (`Store::page`): only the columns a list item has
//! (never `body`), one statement per combination of filters so each is an index scan
//! (see migrations 0002 and 0005), parameters bound in the order `tenant, kind, status,
//! after's created_at, after's id, limit`, each only when present.

use crate::error::{Error, Result};
use crate::job::{JobSummary, PageQuery};

/// Which SQL the statement is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Dialect {
    Sqlite,
    Postgres,
}

/// The `SELECT` for `query`; bind with `bind_order`'s values.
pub(super) fn page_sql(dialect: Dialect, query: &PageQuery) -> String {
    let mut n = 0;
    let mut next = || {
        n += 1;
        match dialect {
            Dialect::Sqlite => format!("?{n}"),
            Dialect::Postgres => format!("${n}"),
        }
    };
    let mut conditions = Vec::new();
    if query.tenant.is_some() {
        conditions.push(format!("tenant = {}", next()));
    }
    if query.kind.is_some() {
        conditions.push(format!("kind = {}", next()));
    }
    if query.status.is_some() {
        conditions.push(format!("status = {}", next()));
    }
    if query.after.is_some() {
        // A row comparison, which both databases answer from the index in order.
        let (at, id) = (next(), next());
        conditions.push(match dialect {
            Dialect::Sqlite => format!("(created_at, id) < ({at}, {id})"),
            Dialect::Postgres => format!("(created_at, id) < ({at}::timestamptz, {id})"),
        });
    }
    let limit = next();
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conditions.join(" AND "))
    };
    format!(
        "SELECT {} FROM jobs{filter} \
         ORDER BY jobs.created_at DESC, jobs.id DESC LIMIT {limit}",
        summary_columns(dialect),
    )
}

/// The columns of a list item, in the names `SummaryRow` reads.
fn summary_columns(dialect: Dialect) -> String {
    // PostgreSQL's timestamps leave as RFC 3339 text (sqlx has no chrono feature here);
    // `ORDER BY` names the table's columns, not these text columns of the same name.
    let time = |column: &str| match dialect {
        Dialect::Sqlite => column.to_string(),
        Dialect::Postgres => format!(
            "to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS {column}"
        ),
    };
    format!(
        "id, kind, status, stage, prompt, {}, {}, {}, attempts, generator, parent, thread",
        time("created_at"),
        time("started_at"),
        time("finished_at"),
    )
}

/// The `SELECT` of a thread's jobs (`Store::thread`), oldest first; bind the thread's id
/// once (the index on `(thread, created_at, id)` of migration 0003 answers it).
pub(super) fn thread_sql(dialect: Dialect) -> String {
    let id = match dialect {
        Dialect::Sqlite => "?1",
        Dialect::Postgres => "$1",
    };
    format!(
        "SELECT {} FROM jobs WHERE id = {id} OR thread = {id} \
         ORDER BY jobs.created_at, jobs.id",
        summary_columns(dialect)
    )
}

/// One row of the page query, as read by either store (SQLite's as a JSON array, in the
/// fields' order).
#[derive(serde::Deserialize)]
pub(super) struct SummaryRow {
    pub(super) id: String,
    pub(super) kind: String,
    pub(super) status: String,
    pub(super) stage: String,
    pub(super) prompt: String,
    pub(super) created_at: String,
    pub(super) started_at: Option<String>,
    pub(super) finished_at: Option<String>,
    pub(super) attempts: i64,
    pub(super) generator: Option<String>,
    pub(super) parent: Option<String>,
    pub(super) thread: Option<String>,
}

impl SummaryRow {
    pub(super) fn into_summary(self) -> Result<JobSummary> {
        let id = self.id;
        let bad = |what: &str, e: String| {
            Error::Storage(format!(
                "job {id} in the database cannot be read back: its {what}: {e}"
            ))
        };
        let time = |what: &str, text: &str| {
            crate::job::rfc3339::parse(text).map_err(|e| bad(what, e.to_string()))
        };
        let job_id = |what: &str, text: Option<String>| {
            text.map(|t| t.parse().map_err(|e: uuid::Error| bad(what, e.to_string())))
                .transpose()
        };
        Ok(JobSummary {
            parent: job_id("parent", self.parent)?,
            thread: job_id("thread", self.thread)?,
            id: id
                .parse()
                .map_err(|e: uuid::Error| bad("id", e.to_string()))?,
            kind: self.kind.parse().map_err(|e| bad("kind", e))?,
            status: self.status.parse().map_err(|e| bad("status", e))?,
            stage: self.stage.parse().map_err(|e| bad("stage", e))?,
            prompt: self.prompt,
            created_at: time("created_at", &self.created_at)?,
            started_at: self
                .started_at
                .as_deref()
                .map(|t| time("started_at", t))
                .transpose()?,
            finished_at: self
                .finished_at
                .as_deref()
                .map(|t| time("finished_at", t))
                .transpose()?,
            attempts: u32::try_from(self.attempts).unwrap_or(0),
            generator: self.generator,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::{JobId, JobKind, PagePosition};
    use chrono::Utc;

    #[test]
    fn only_the_filters_given_are_bound() {
        let mut query = PageQuery {
            tenant: None,
            kind: Some(JobKind::Excel),
            status: None,
            limit: 51,
            after: None,
        };
        let sql = page_sql(Dialect::Sqlite, &query);
        assert!(sql.contains("WHERE kind = ?1 ORDER BY"), "{sql}");
        assert!(sql.ends_with("LIMIT ?2"), "{sql}");
        assert!(!sql.contains("body"), "{sql}");
        query.after = Some(PagePosition {
            created_at: Utc::now(),
            id: JobId::new(),
        });
        let sql = page_sql(Dialect::Postgres, &query);
        assert!(
            sql.contains("kind = $1 AND (created_at, id) < ($2::timestamptz, $3)"),
            "{sql}"
        );
        assert!(sql.ends_with("LIMIT $4"), "{sql}");
        query.tenant = Some(crate::job::TenantId::new("acme").unwrap());
        let sql = page_sql(Dialect::Sqlite, &query);
        assert!(
            sql.contains("WHERE tenant = ?1 AND kind = ?2 AND (created_at, id) < (?3, ?4)"),
            "{sql}"
        );
    }
}
