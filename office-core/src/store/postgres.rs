//! The shared `Store`: PostgreSQL, for several API servers and workers on several
//! machines. Same layout and semantics as `SqliteStore`: the whole job as JSON in
//! `body`, copies of the queried fields beside it, written by one statement.
//!
//! Races between processes are settled by row locks: `update`'s `WHERE status NOT IN
//! (final)` is re-checked on the newest row version after waiting for a concurrent writer
//! (READ COMMITTED), and `claim` reads the row `FOR UPDATE`.

use super::page::{Dialect, SummaryRow, page_sql, thread_sql};
use super::sqlite::{EmbeddedMigrations, UsageRow, job_counts, parse_id, timestamp, usage_from};
use super::{Claim, InsertCheck, RunningLimit, Store};
use crate::error::{Error, Result};
use crate::job::{
    Job, JobCounts, JobEvent, JobFilter, JobId, JobStatus, JobSummary, PageQuery, TenantId,
    TenantUsage,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgArguments, PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::{Postgres, Row};
use std::str::FromStr;
use std::time::Duration;

/// The schema, oldest first; embedded because `sqlx::migrate!` needs sqlx's macros.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "jobs",
        include_str!("../../migrations/postgres/0001_jobs.sql"),
    ),
    (
        2,
        "page indexes",
        include_str!("../../migrations/postgres/0002_page_indexes.sql"),
    ),
    (
        3,
        "threads",
        include_str!("../../migrations/postgres/0003_threads.sql"),
    ),
    (
        4,
        "retention index",
        include_str!("../../migrations/postgres/0004_retention_index.sql"),
    ),
    (
        5,
        "tenants",
        include_str!("../../migrations/postgres/0005_tenants.sql"),
    ),
    (
        6,
        "usage",
        include_str!("../../migrations/postgres/0006_usage.sql"),
    ),
];

/// Connections each process keeps at most, unless configured otherwise.
pub(crate) const DEFAULT_POOL_SIZE: u32 = 10;

/// How long a query waits for a free connection before it fails.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

const NOT_FINAL: &str = "status NOT IN ('succeeded', 'failed', 'cancelled')";

/// Every column a write sets, in the order `bind_job` binds them, from `$2` on (`$1` is
/// the id). Timestamps travel as RFC 3339 text and are cast by the server.
const SET_COLUMNS: &str = "kind = $2, status = $3, stage = $4, prompt = $5, \
     created_at = $6::timestamptz, started_at = $7::timestamptz, \
     finished_at = $8::timestamptz, attempts = $9, generator = $10, body = $11, bytes = $12";

/// A tenant's usage, one row per tenant (`$1`: the window's start, `$2`: one tenant or
/// NULL). Sums are cast back to bigint (PostgreSQL sums bigints as numeric); the oldest
/// recent time is text, as in `counts`.
const USAGE_SQL: &str = "SELECT tenant, \
     SUM(CASE WHEN status = 'queued' THEN 1 ELSE 0 END)::bigint, \
     SUM(CASE WHEN status = 'running' THEN 1 ELSE 0 END)::bigint, count(*), \
     COALESCE(SUM(bytes), 0)::bigint, \
     SUM(CASE WHEN created_at >= $1::timestamptz THEN 1 ELSE 0 END)::bigint, \
     to_char(MIN(CASE WHEN created_at >= $1::timestamptz THEN created_at END) \
     AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') \
     FROM jobs WHERE ($2::text IS NULL OR tenant = $2) GROUP BY tenant ORDER BY tenant";

/// Serializes the inserts (and the claims) of one tenant until the transaction ends: a
/// transaction-scoped advisory lock on the tenant's name, in a key space of its own.
const LOCK_TENANT: &str =
    "SELECT pg_advisory_xact_lock(hashtextextended('office-tenant:' || $1, 0))";

async fn usage_in<'e, E>(
    executor: E,
    tenant: Option<&TenantId>,
    since: DateTime<Utc>,
) -> Result<Vec<TenantUsage>>
where
    E: sqlx::Executor<'e, Database = Postgres>,
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
    E: sqlx::Executor<'e, Database = Postgres>,
{
    let body = serde_json::to_string(job)?;
    let query = sqlx::query(
        "INSERT INTO jobs (id, kind, status, stage, prompt, created_at, started_at, \
         finished_at, attempts, generator, body, bytes, parent, thread, tenant) VALUES ($1, \
         $2, $3, $4, $5, $6::timestamptz, $7::timestamptz, $8::timestamptz, $9, $10, $11, \
         $12, $13, $14, $15)",
    );
    // A job's parent, thread and tenant never change after insert, so only insert
    // writes them.
    let query = bind_job(query, job, body)
        .bind(job.parent.map(|id| id.to_string()))
        .bind(job.thread.map(|id| id.to_string()))
        .bind(job.tenant.as_str().to_owned());
    match query.execute(executor).await {
        Ok(_) => Ok(()),
        Err(e) if is_violation(&e, true) => Err(Error::Storage(format!(
            "a job with id {} already exists",
            job.id
        ))),
        Err(e) => Err(e.into()),
    }
}

/// Jobs in PostgreSQL, for several processes or machines sharing one database.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user@host:port/db`) with up to `pool_size`
    /// connections and brings the schema up to date.
    pub async fn connect(url: &str, pool_size: u32) -> Result<Self> {
        if !url.starts_with("postgres://") && !url.starts_with("postgresql://") {
            return Err(Error::invalid(
                "DATABASE_URL must be a postgres:// address (for example postgres://user@host:5432/office)",
            ));
        }
        let options = PgConnectOptions::from_str(url).map_err(|e| {
            Error::invalid(format!("DATABASE_URL is not a PostgreSQL address: {e}"))
        })?;
        Self::connect_with(options, pool_size).await
    }

    /// Like `connect`, with options built in code (tests use it to pick a schema through
    /// `search_path`).
    pub async fn connect_with(options: PgConnectOptions, pool_size: u32) -> Result<Self> {
        let where_to = format!(
            "{}:{}/{}",
            options.get_host(),
            options.get_port(),
            options.get_database().unwrap_or("")
        );
        let pool = PgPoolOptions::new()
            .max_connections(pool_size.max(1))
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(|e| {
                Error::Storage(format!("cannot connect to PostgreSQL at {where_to}: {e}"))
            })?;
        // Migrations take an advisory lock, so processes starting together wait for one
        // another instead of racing to create the tables.
        Migrator::new(EmbeddedMigrations(MIGRATIONS))
            .await?
            .run(&pool)
            .await?;
        Ok(PostgresStore { pool })
    }

    /// Closes every connection, waiting for queries in flight.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// A list item from a row of `page_sql` or `thread_sql`.
fn summary_from_row(row: &PgRow) -> Result<JobSummary> {
    SummaryRow {
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        status: row.try_get("status")?,
        stage: row.try_get("stage")?,
        prompt: row.try_get("prompt")?,
        created_at: row.try_get("created_at")?,
        started_at: row.try_get("started_at")?,
        finished_at: row.try_get("finished_at")?,
        attempts: i64::from(row.try_get::<i32, _>("attempts")?),
        generator: row.try_get("generator")?,
        parent: row.try_get("parent")?,
        thread: row.try_get("thread")?,
    }
    .into_summary()
}

fn job_from_row(row: &PgRow) -> Result<Job> {
    let id: String = row.try_get("id")?;
    let body: String = row.try_get("body")?;
    serde_json::from_str(&body)
        .map_err(|e| Error::Storage(format!("job {id} in the database cannot be read back: {e}")))
}

type PgQuery<'q> = sqlx::query::Query<'q, Postgres, PgArguments>;

/// Binds `$1` (the id) and then the columns of `SET_COLUMNS`.
/// Writes `job` over its row unless the row is already final (`update` and `finish`);
/// true when it was written.
async fn update_unfinished<'e, E>(executor: E, job: &Job) -> Result<bool>
where
    E: sqlx::Executor<'e, Database = Postgres>,
{
    let body = serde_json::to_string(job)?;
    let sql = format!("UPDATE jobs SET {SET_COLUMNS} WHERE id = $1 AND {NOT_FINAL}");
    let done = bind_job(sqlx::query(&sql), job, body)
        .execute(executor)
        .await?;
    Ok(done.rows_affected() == 1)
}

fn bind_job<'q>(query: PgQuery<'q>, job: &'q Job, body: String) -> PgQuery<'q> {
    query
        .bind(job.id.to_string())
        .bind(job.kind.as_str())
        .bind(job.status.as_str())
        .bind(job.stage.as_str())
        .bind(job.prompt.as_str())
        .bind(timestamp(job.created_at))
        .bind(job.started_at.map(timestamp))
        .bind(job.finished_at.map(timestamp))
        .bind(i32::try_from(job.attempts).unwrap_or(i32::MAX))
        .bind(job.generator.as_deref())
        .bind(body)
        .bind(i64::try_from(job.stored_bytes()).unwrap_or(i64::MAX))
}

fn is_violation(error: &sqlx::Error, unique: bool) -> bool {
    match error {
        sqlx::Error::Database(db) if unique => db.is_unique_violation(),
        sqlx::Error::Database(db) => db.is_foreign_key_violation(),
        _ => false,
    }
}

#[async_trait]
impl Store for PostgresStore {
    async fn insert(&self, job: &Job) -> Result<()> {
        insert_in(&self.pool, job).await
    }

    async fn insert_within(
        &self,
        job: &Job,
        since: DateTime<Utc>,
        check: InsertCheck<'_>,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        // Under the tenant's lock each statement (READ COMMITTED) sees every insert
        // committed before it was taken.
        sqlx::query(LOCK_TENANT)
            .bind(job.tenant.as_str())
            .execute(&mut *tx)
            .await?;
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
        let row = sqlx::query("SELECT id, body FROM jobs WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(job_from_row).transpose()
    }

    async fn get_owned(&self, id: JobId, tenant: &TenantId) -> Result<Option<Job>> {
        let row = sqlx::query("SELECT id, body FROM jobs WHERE id = $1 AND tenant = $2")
            .bind(id.to_string())
            .bind(tenant.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(job_from_row).transpose()
    }

    async fn list(&self, filter: &JobFilter) -> Result<Vec<Job>> {
        let rows = sqlx::query(
            "SELECT id, body FROM jobs \
             WHERE ($1::text IS NULL OR kind = $1) AND ($2::text IS NULL OR status = $2) \
             AND ($4::text IS NULL OR tenant = $4) \
             ORDER BY created_at DESC, id DESC LIMIT $3",
        )
        .bind(filter.kind.map(|kind| kind.as_str()))
        .bind(filter.status.map(|status| status.as_str()))
        // NULL means no limit to PostgreSQL.
        .bind(filter.limit.map(i64::from))
        .bind(filter.tenant.as_ref().map(TenantId::as_str))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(job_from_row).collect()
    }

    async fn page(&self, query: &PageQuery) -> Result<Vec<JobSummary>> {
        let sql = page_sql(Dialect::Postgres, query);
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
        let rows = statement
            .bind(i64::from(query.limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(summary_from_row).collect()
    }

    async fn thread(&self, thread: JobId) -> Result<Vec<JobSummary>> {
        let rows = sqlx::query(&thread_sql(Dialect::Postgres))
            .bind(thread.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(summary_from_row).collect()
    }

    async fn update(&self, job: &Job) -> Result<bool> {
        update_unfinished(&self.pool, job).await
    }

    async fn finish(&self, job: &Job, event: &JobEvent) -> Result<bool> {
        let event_body = serde_json::to_string(event)?;
        let mut tx = self.pool.begin().await?;
        if !update_unfinished(&mut *tx, job).await? {
            tx.rollback().await?;
            return Ok(false);
        }
        sqlx::query("INSERT INTO events (job_id, at, body) VALUES ($1, $2::timestamptz, $3)")
            .bind(event.job_id.to_string())
            .bind(timestamp(event.at))
            .bind(event_body)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn claim_within(&self, id: JobId, running: RunningLimit<'_>) -> Result<Claim> {
        // FOR UPDATE holds the row until commit: a second claimer waits here and then
        // reads this claim's result, so every claim counts its own attempt.
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(
            "SELECT id, body FROM jobs WHERE id = $1 AND status IN ('queued', 'running') \
             FOR UPDATE",
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
            // Claims of one tenant's jobs count one at a time (the row lock above is
            // only this job's).
            sqlx::query(LOCK_TENANT)
                .bind(job.tenant.as_str())
                .execute(&mut *tx)
                .await?;
            let others: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM jobs WHERE tenant = $1 AND status = 'running' AND id <> $2",
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
        let sql = format!("UPDATE jobs SET {SET_COLUMNS} WHERE id = $1");
        bind_job(sqlx::query(&sql), &job, body)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Claim::Claimed(Box::new(job)))
    }

    async fn delete(&self, id: JobId) -> Result<bool> {
        // Events go with the job through `ON DELETE CASCADE`.
        let done = sqlx::query("DELETE FROM jobs WHERE id = $1")
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
        // As text: sqlx has no chrono feature here (see `page`).
        let oldest: Option<String> = sqlx::query_scalar(
            "SELECT to_char(min(created_at) AT TIME ZONE 'UTC', \
             'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM jobs WHERE status = 'queued'",
        )
        .fetch_one(&self.pool)
        .await?;
        job_counts(rows, oldest)
    }

    async fn expired(&self, before: DateTime<Utc>, limit: u32) -> Result<Vec<JobId>> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM jobs WHERE finished_at IS NOT NULL AND finished_at < $1::timestamptz \
             AND status IN ('succeeded', 'failed', 'cancelled') ORDER BY finished_at LIMIT $2",
        )
        .bind(timestamp(before))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        ids.iter().map(|id| parse_id(id)).collect()
    }

    async fn append_event(&self, event: &JobEvent) -> Result<()> {
        let body = serde_json::to_string(event)?;
        let done = sqlx::query(
            "INSERT INTO events (job_id, at, body) \
             SELECT $1, $2::timestamptz, $3 WHERE EXISTS (SELECT 1 FROM jobs WHERE id = $1)",
        )
        .bind(event.job_id.to_string())
        .bind(timestamp(event.at))
        .bind(body)
        .execute(&self.pool)
        .await;
        let missing = || {
            Error::not_found(format!(
                "cannot record an event for job {}: there is no such job",
                event.job_id
            ))
        };
        match done {
            Ok(done) if done.rows_affected() == 0 => Err(missing()),
            Ok(_) => Ok(()),
            // The job was deleted between the check and the insert.
            Err(e) if is_violation(&e, false) => Err(missing()),
            Err(e) => Err(e.into()),
        }
    }

    async fn events(&self, id: JobId) -> Result<Vec<JobEvent>> {
        let rows = sqlx::query("SELECT seq, body FROM events WHERE job_id = $1 ORDER BY seq")
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
