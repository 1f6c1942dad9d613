//! The default `Store`: one SQLite file, in WAL mode so readers never wait for the writer.
//!
//! Each row keeps the whole job as JSON in `body` (what is read back, so a job
//! round-trips exactly) plus copies of the fields that queries filter and sort on. Both
//! are always written by the same statement, so they cannot drift apart.

use super::page::{Dialect, SummaryRow, page_sql, thread_sql};
use super::sqlite_readers::{Reader, Readers};
use super::{Claim, InsertCheck, RunningLimit, Store};
use crate::error::{Error, Result};
use crate::job::{
    Job, JobCount, JobCounts, JobEvent, JobFilter, JobId, JobStatus, JobSummary, PageQuery,
    TenantId, TenantUsage,
};
use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use futures::future::BoxFuture;
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Row, Sqlite};
use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// The schema, oldest first. Embedded as text because the `sqlx::migrate!` macro would
/// need sqlx's `macros` feature.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "jobs",
        include_str!("../../migrations/sqlite/0001_jobs.sql"),
    ),
    (
        2,
        "page indexes",
        include_str!("../../migrations/sqlite/0002_page_indexes.sql"),
    ),
    (
        3,
        "threads",
        include_str!("../../migrations/sqlite/0003_threads.sql"),
    ),
    (
        4,
        "retention index",
        include_str!("../../migrations/sqlite/0004_retention_index.sql"),
    ),
    (
        5,
        "tenants",
        include_str!("../../migrations/sqlite/0005_tenants.sql"),
    ),
    (
        6,
        "usage",
        include_str!("../../migrations/sqlite/0006_usage.sql"),
    ),
];

/// How long a writer waits for another connection's write lock before giving up. Writes
/// are single short statements, so reaching this means something is badly stuck.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

const POOL_SIZE: u32 = 6;

/// Connections kept for reads, beside the pool (see `sqlite_readers`).
const READERS: usize = 4;

/// The `WHERE` condition that keeps a final job from ever changing again.
const NOT_FINAL: &str = "status NOT IN ('succeeded', 'failed', 'cancelled')";

/// Jobs in one SQLite file (the default) or in memory.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// For the hot reads (a job, a page, a thread); `None` for a database in memory,
    /// which exists only on the pool's one connection.
    readers: Option<Arc<Readers>>,
}

impl SqliteStore {
    /// Opens (creating it and its folder when missing) the database at `path` and brings
    /// its schema up to date.
    pub async fn open(path: &Path) -> Result<Self> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            tokio::fs::create_dir_all(parent).await.map_err(|e| {
                Error::Storage(format!(
                    "cannot create the folder {} for the job database: {e}",
                    parent.display()
                ))
            })?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL is durable in WAL mode except for the last commits before a power cut.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(POOL_SIZE)
            // A ping on every acquire is a round trip to the connection's thread for a
            // file that cannot hang up.
            .test_before_acquire(false)
            .connect_with(options.clone())
            .await
            .map_err(|e| {
                Error::Storage(format!(
                    "cannot open the job database {}: {e}",
                    path.display()
                ))
            })?;
        let mut store = Self::from_pool(pool).await?;
        let readers = Readers::open(&options, READERS).await.map_err(|e| {
            Error::Storage(format!(
                "cannot open the job database {}: {e}",
                path.display()
            ))
        })?;
        store.readers = Some(Arc::new(readers));
        Ok(store)
    }

    /// A private database that lives as long as the store, for tests.
    pub async fn open_in_memory() -> Result<Self> {
        let options = SqliteConnectOptions::new()
            .in_memory(true)
            .foreign_keys(true);
        // Every connection to `:memory:` is a database of its own, so the pool holds
        // exactly one connection and never lets it go.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await?;
        Self::from_pool(pool).await
    }

    async fn from_pool(pool: SqlitePool) -> Result<Self> {
        Migrator::new(EmbeddedMigrations(MIGRATIONS))
            .await?
            .run(&pool)
            .await?;
        Ok(SqliteStore {
            pool,
            readers: None,
        })
    }

    /// Closes every connection, waiting for queries in flight.
    pub async fn close(&self) {
        if let Some(readers) = &self.readers {
            readers.close().await;
        }
        self.pool.close().await;
    }

    /// A connection for one read.
    async fn reader(&self) -> Result<Reader<'_>> {
        Ok(match &self.readers {
            Some(readers) => readers.get(&self.pool).await?,
            None => Reader::Pooled(self.pool.acquire().await?),
        })
    }
}

/// Embedded migrations (version, description, SQL) as a source for sqlx's `Migrator`
/// (which otherwise reads a folder at run time). The PostgreSQL store uses it too.
#[derive(Debug)]
pub(super) struct EmbeddedMigrations(pub &'static [(i64, &'static str, &'static str)]);

impl MigrationSource<'static> for EmbeddedMigrations {
    fn resolve(self) -> BoxFuture<'static, Result<Vec<Migration>, BoxDynError>> {
        let migrations = self
            .0
            .iter()
            .map(|&(version, description, sql)| {
                Migration::new(
                    version,
                    Cow::Borrowed(description),
                    MigrationType::Simple,
                    Cow::Borrowed(sql),
                    false,
                )
            })
            .collect();
        Box::pin(std::future::ready(Ok(migrations)))
    }
}

/// Fixed-width RFC 3339 (nine fraction digits, `Z`), so comparing the text compares times.
pub(super) fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// A list of summaries (`page_sql`, `thread_sql`), its rows gathered by SQLite into one
/// JSON array of arrays in `order`. sqlx hands each row of a result from its connection
/// thread to the caller's task on its own, a wake-up per row; one row per list is what
/// lets a page of 50 cost about what one job's lookup costs.
fn as_one_row(list: &str, order: &str) -> String {
    format!(
        "SELECT json_group_array(json_array(id, kind, status, stage, prompt, created_at, \
         started_at, finished_at, attempts, generator, parent, thread) ORDER BY {order}) \
         FROM ({list})"
    )
}

/// A list's rows as `as_one_row` gathers them.
fn summaries_from_json(page: &str) -> Result<Vec<JobSummary>> {
    // Each inner array is a `SummaryRow`, its fields in `as_one_row`'s order.
    let rows: Vec<SummaryRow> = serde_json::from_str(page)
        .map_err(|e| Error::Storage(format!("a page of jobs cannot be read back: {e}")))?;
    rows.into_iter().map(SummaryRow::into_summary).collect()
}

/// The rows of a `GROUP BY kind, status` count and the oldest queued job's creation time
/// (RFC 3339 text), as both SQL stores read them.
pub(super) fn job_counts(
    rows: Vec<(String, String, String, i64)>,
    oldest_queued: Option<String>,
) -> Result<JobCounts> {
    Ok(JobCounts {
        counts: rows
            .into_iter()
            .map(|(kind, status, tenant, jobs)| count_from(kind, status, tenant, jobs))
            .collect::<Result<_>>()?,
        oldest_queued: oldest_queued.as_deref().map(parse_time).transpose()?,
    })
}

/// One row of a `GROUP BY kind, status, tenant` count.
fn count_from(kind: String, status: String, tenant: String, jobs: i64) -> Result<JobCount> {
    let bad = |e: String| Error::Storage(format!("a job count cannot be read back: {e}"));
    Ok(JobCount {
        kind: kind.parse().map_err(bad)?,
        status: status.parse().map_err(bad)?,
        tenant: tenant.parse().map_err(bad)?,
        jobs: jobs.max(0) as u64,
    })
}

/// A timestamp column read back as RFC 3339 text.
pub(super) fn parse_time(text: &str) -> Result<DateTime<Utc>> {
    crate::job::rfc3339::parse(text).map_err(|e| {
        Error::Storage(format!(
            "a time in the database cannot be read back ({text}): {e}"
        ))
    })
}

/// A job id column read back.
pub(super) fn parse_id(text: &str) -> Result<JobId> {
    text.parse().map_err(|_| {
        Error::Storage(format!(
            "a job id in the database cannot be read back: {text}"
        ))
    })
}

fn job_from_row(row: &SqliteRow) -> Result<Job> {
    let id: String = row.try_get("id")?;
    let body: String = row.try_get("body")?;
    serde_json::from_str(&body)
        .map_err(|e| Error::Storage(format!("job {id} in the database cannot be read back: {e}")))
}

/// Binds the job's columns in the order `kind, status, stage, prompt, created_at,
/// started_at, finished_at, attempts, generator, body` used by every write below.
/// Writes `job` over its row unless the row is already final (`update` and `finish`);
/// true when it was written.
async fn update_unfinished<'e, E>(executor: E, job: &Job) -> Result<bool>
where
    E: sqlx::Executor<'e, Database = Sqlite>,
{
    let body = serde_json::to_string(job)?;
    let sql = format!("UPDATE jobs SET {SET_COLUMNS} WHERE id = ? AND {NOT_FINAL}");
    let done = bind_job(sqlx::query(&sql), job, body)
        .bind(job.id.to_string())
        .execute(executor)
        .await?;
    Ok(done.rows_affected() == 1)
}

fn bind_job<'q>(
    query: sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments<'q>>,
    job: &'q Job,
    body: String,
) -> sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments<'q>> {
    query
        .bind(job.kind.as_str())
        .bind(job.status.as_str())
        .bind(job.stage.as_str())
        .bind(job.prompt.as_str())
        .bind(timestamp(job.created_at))
        .bind(job.started_at.map(timestamp))
        .bind(job.finished_at.map(timestamp))
        .bind(i64::from(job.attempts))
        .bind(job.generator.as_deref())
        .bind(body)
        .bind(i64::try_from(job.stored_bytes()).unwrap_or(i64::MAX))
}

const SET_COLUMNS: &str = "kind = ?, status = ?, stage = ?, prompt = ?, created_at = ?, \
     started_at = ?, finished_at = ?, attempts = ?, generator = ?, body = ?, bytes = ?";

/// A tenant's usage, one row per tenant (`?1`: the window's start, `?2`: one tenant or NULL).
const USAGE_SQL: &str = "SELECT tenant, \
     SUM(CASE WHEN status = 'queued' THEN 1 ELSE 0 END), \
     SUM(CASE WHEN status = 'running' THEN 1 ELSE 0 END), count(*), COALESCE(SUM(bytes), 0), \
     SUM(CASE WHEN created_at >= ?1 THEN 1 ELSE 0 END), \
     MIN(CASE WHEN created_at >= ?1 THEN created_at END) \
     FROM jobs WHERE (?2 IS NULL OR tenant = ?2) GROUP BY tenant ORDER BY tenant";

/// One row of a usage query: tenant, queued, running, jobs, bytes, recent, oldest recent.
pub(super) type UsageRow = (String, i64, i64, i64, i64, i64, Option<String>);

/// A tenant's usage from a row of `USAGE_SQL` (or PostgreSQL's).
pub(super) fn usage_from(row: UsageRow) -> Result<TenantUsage> {
    let (tenant, queued, running, jobs, bytes, recent, oldest) = row;
    let count = |n: i64| n.max(0) as u64;
    Ok(TenantUsage {
        tenant: TenantId::new(tenant).map_err(Error::Storage)?,
        queued: count(queued),
        running: count(running),
        jobs: count(jobs),
        stored_bytes: count(bytes),
        submitted_recently: count(recent),
        oldest_recent: oldest.as_deref().map(parse_time).transpose()?,
    })
}

async fn usage_in<'e, E>(
    executor: E,
    tenant: Option<&TenantId>,
    since: DateTime<Utc>,
) -> Result<Vec<TenantUsage>>
where
    E: sqlx::Executor<'e, Database = Sqlite>,
{
    let rows: Vec<UsageRow> = sqlx::query_as(USAGE_SQL)
        .bind(timestamp(since))
        .bind(tenant.map(|t| t.as_str().to_owned()))
        .fetch_all(executor)
        .await?;
    rows.into_iter().map(usage_from).collect()
}

async fn insert_in<'e, E>(executor: E, job: &Job) -> Result<()>
where
    E: sqlx::Executor<'e, Database = Sqlite>,
{
    let body = serde_json::to_string(job)?;
    let query = sqlx::query(
        "INSERT INTO jobs (id, kind, status, stage, prompt, created_at, started_at, \
         finished_at, attempts, generator, body, bytes, parent, thread, tenant) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(job.id.to_string());
    // A job's parent, thread and tenant never change after insert, so only insert
    // writes them.
    let query = bind_job(query, job, body)
        .bind(job.parent.map(|id| id.to_string()))
        .bind(job.thread.map(|id| id.to_string()))
        .bind(job.tenant.as_str().to_owned());
    match query.execute(executor).await {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e) => Err(Error::Storage(format!(
            "a job with id {} already exists",
            job.id
        ))),
        Err(e) => Err(e.into()),
    }
}

fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}

#[async_trait]
impl Store for SqliteStore {
    async fn insert(&self, job: &Job) -> Result<()> {
        insert_in(&self.pool, job).await
    }

    async fn insert_within(
        &self,
        job: &Job,
        since: DateTime<Utc>,
        check: InsertCheck<'_>,
    ) -> Result<()> {
        // The write lock first (BEGIN IMMEDIATE): no other insert counts in between.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let usage = usage_in(&mut *tx, Some(&job.tenant), since)
            .await?
            .pop()
            .unwrap_or_else(|| TenantUsage::none(job.tenant.clone()));
        if let Err(e) = check(&usage) {
            tx.rollback().await?;
            return Err(e);
        }
        insert_in(&mut *tx, job).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn usage(
        &self,
        tenant: Option<&TenantId>,
        since: DateTime<Utc>,
    ) -> Result<Vec<TenantUsage>> {
        usage_in(&self.pool, tenant, since).await
    }

    async fn get(&self, id: JobId) -> Result<Option<Job>> {
        let row = sqlx::query("SELECT id, body FROM jobs WHERE id = ?")
            .bind(id.to_string())
            .fetch_optional(&mut *self.reader().await?)
            .await?;
        row.as_ref().map(job_from_row).transpose()
    }

    async fn get_owned(&self, id: JobId, tenant: &TenantId) -> Result<Option<Job>> {
        let row = sqlx::query("SELECT id, body FROM jobs WHERE id = ?1 AND tenant = ?2")
            .bind(id.to_string())
            .bind(tenant.as_str())
            .fetch_optional(&mut *self.reader().await?)
            .await?;
        row.as_ref().map(job_from_row).transpose()
    }

    async fn list(&self, filter: &JobFilter) -> Result<Vec<Job>> {
        // `? IS NULL OR column = ?` keeps one statement (and one cached plan) for every
        // combination of filters.
        let rows = sqlx::query(
            "SELECT id, body FROM jobs \
             WHERE (?1 IS NULL OR kind = ?1) AND (?2 IS NULL OR status = ?2) \
             AND (?4 IS NULL OR tenant = ?4) \
             ORDER BY created_at DESC, id DESC LIMIT ?3",
        )
        .bind(filter.kind.map(|kind| kind.as_str()))
        .bind(filter.status.map(|status| status.as_str()))
        // A negative limit means no limit to SQLite.
        .bind(filter.limit.map_or(-1, i64::from))
        .bind(filter.tenant.as_ref().map(TenantId::as_str))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(job_from_row).collect()
    }

    async fn page(&self, query: &PageQuery) -> Result<Vec<JobSummary>> {
        let sql = as_one_row(
            &page_sql(Dialect::Sqlite, query),
            "created_at DESC, id DESC",
        );
        let mut statement = sqlx::query(&sql);
        if let Some(tenant) = &query.tenant {
            statement = statement.bind(tenant.as_str());
        }
        if let Some(kind) = query.kind {
            statement = statement.bind(kind.as_str());
        }
        if let Some(status) = query.status {
            statement = statement.bind(status.as_str());
        }
        if let Some(after) = query.after {
            statement = statement
                .bind(timestamp(after.created_at))
                .bind(after.id.to_string());
        }
        let page: String = statement
            .bind(i64::from(query.limit))
            .fetch_one(&mut *self.reader().await?)
            .await?
            .try_get(0)?;
        summaries_from_json(&page)
    }

    async fn thread(&self, thread: JobId) -> Result<Vec<JobSummary>> {
        let sql = as_one_row(&thread_sql(Dialect::Sqlite), "created_at, id");
        let jobs: String = sqlx::query(&sql)
            .bind(thread.to_string())
            .fetch_one(&mut *self.reader().await?)
            .await?
            .try_get(0)?;
        summaries_from_json(&jobs)
    }

    async fn update(&self, job: &Job) -> Result<bool> {
        update_unfinished(&self.pool, job).await
    }

    async fn finish(&self, job: &Job, event: &JobEvent) -> Result<bool> {
        let event_body = serde_json::to_string(event)?;
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        if !update_unfinished(&mut *tx, job).await? {
            tx.rollback().await?;
            return Ok(false);
        }
        sqlx::query("INSERT INTO events (job_id, at, body) VALUES (?1, ?2, ?3)")
            .bind(event.job_id.to_string())
            .bind(timestamp(event.at))
            .bind(event_body)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn claim_within(&self, id: JobId, running: RunningLimit<'_>) -> Result<Claim> {
        // BEGIN IMMEDIATE takes the write lock before reading, so no other writer can slip
        // in between the read and the write; a plain (deferred) BEGIN would instead fail
        // with SQLITE_BUSY when two claimers both read and then both try to write.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let row = sqlx::query(
            "SELECT id, body FROM jobs WHERE id = ? AND status IN ('queued', 'running')",
        )
        .bind(id.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            tx.rollback().await?;
            return Ok(Claim::Gone);
        };
        let mut job = job_from_row(&row)?;
        if let Some(limit) = running(&job.tenant) {
            let others: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM jobs WHERE tenant = ? AND status = 'running' AND id <> ?",
            )
            .bind(job.tenant.as_str())
            .bind(id.to_string())
            .fetch_one(&mut *tx)
            .await?;
            if others >= i64::from(limit) {
                tx.rollback().await?;
                return Ok(Claim::Waits {
                    tenant: job.tenant,
                    running: others.max(0) as u64,
                    limit,
                });
            }
        }
        job.status = JobStatus::Running;
        job.attempts += 1;
        job.started_at = Some(Utc::now());
        let body = serde_json::to_string(&job)?;
        let sql = format!("UPDATE jobs SET {SET_COLUMNS} WHERE id = ?");
        bind_job(sqlx::query(&sql), &job, body)
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Claim::Claimed(Box::new(job)))
    }

    async fn delete(&self, id: JobId) -> Result<bool> {
        // Events go with the job through `ON DELETE CASCADE`.
        let done = sqlx::query("DELETE FROM jobs WHERE id = ?")
            .bind(id.to_string())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn counts(&self) -> Result<JobCounts> {
        let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
            "SELECT kind, status, tenant, count(*) AS jobs FROM jobs GROUP BY kind, status, tenant",
        )
        .fetch_all(&self.pool)
        .await?;
        let oldest: Option<String> =
            sqlx::query_scalar("SELECT min(created_at) FROM jobs WHERE status = 'queued'")
                .fetch_one(&self.pool)
                .await?;
        job_counts(rows, oldest)
    }

    async fn expired(&self, before: DateTime<Utc>, limit: u32) -> Result<Vec<JobId>> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM jobs WHERE finished_at IS NOT NULL AND finished_at < ?1 \
             AND status IN ('succeeded', 'failed', 'cancelled') ORDER BY finished_at LIMIT ?2",
        )
        .bind(timestamp(before))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        ids.iter().map(|id| parse_id(id)).collect()
    }

    async fn append_event(&self, event: &JobEvent) -> Result<()> {
        let body = serde_json::to_string(event)?;
        // Inserting only when the job exists gives a clear error instead of a foreign key
        // failure, and never leaves events behind a deleted job.
        let done = sqlx::query(
            "INSERT INTO events (job_id, at, body) \
             SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM jobs WHERE id = ?1)",
        )
        .bind(event.job_id.to_string())
        .bind(timestamp(event.at))
        .bind(body)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(Error::not_found(format!(
                "cannot record an event for job {}: there is no such job",
                event.job_id
            )));
        }
        Ok(())
    }

    async fn events(&self, id: JobId) -> Result<Vec<JobEvent>> {
        let rows = sqlx::query("SELECT seq, body FROM events WHERE job_id = ? ORDER BY seq")
            .bind(id.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                let seq: i64 = row.try_get("seq")?;
                let body: String = row.try_get("body")?;
                serde_json::from_str(&body).map_err(|e| {
                    Error::Storage(format!(
                        "event {seq} of job {id} in the database cannot be read back: {e}"
                    ))
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_sort_as_text() {
        let parse = |text| DateTime::parse_from_rfc3339(text).unwrap().to_utc();
        // Out of order on purpose: the shortest text is the latest time.
        let a = timestamp(parse("2024-01-02T03:04:05.123456789Z"));
        let b = timestamp(parse("2024-01-02T03:04:05.5Z"));
        let c = timestamp(parse("2024-01-02T03:04:06Z"));
        assert_eq!(a.len(), b.len());
        assert!(a < b && b < c, "{a} {b} {c}");
    }

    #[test]
    fn migrations_are_numbered_in_order() {
        let versions: Vec<i64> = MIGRATIONS.iter().map(|m| m.0).collect();
        let mut sorted = versions.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(versions, sorted);
    }
}
