//! Jobs left behind by an earlier process: queued jobs are queued again; with the
//! in-process queue, running jobs (whose process died) are started again, or failed once
//! they have used up their attempts.
//!
//! With a shared queue, other processes may be running right now, so a running job is
//! left as it is in the store: it is only handed to the queue, which ignores a job it
//! still holds (a live worker's, or a dead one's whose lease will run out and be
//! reclaimed) and takes back one it lost (a queue server that restarted empty). Safe to
//! run from every process, at any time.

use super::Workers;
use crate::error::Result;
use crate::job::{ErrorCode, EventBody, Job, JobError, JobFilter, JobStatus, LogLevel, Stage};
use chrono::Utc;

/// What a recovery did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct RecoveryReport {
    /// Queued jobs handed to the queue again.
    pub requeued: usize,
    /// Running jobs of a dead process, started again.
    pub resumed: usize,
    /// Running jobs that had used up their attempts, failed.
    pub failed: usize,
}

pub(crate) async fn recover(workers: &Workers) -> Result<RecoveryReport> {
    let mut report = RecoveryReport::default();
    for job in list_all(workers, JobStatus::Queued).await? {
        workers.queue.enqueue_for(job.id, &job.tenant).await?;
        report.requeued += 1;
    }
    if !workers.recover_running {
        for job in list_all(workers, JobStatus::Running).await? {
            workers.queue.enqueue_for(job.id, &job.tenant).await?;
        }
        return Ok(report);
    }
    for mut job in list_all(workers, JobStatus::Running).await? {
        if job.attempts >= workers.max_attempts {
            job.status = JobStatus::Failed;
            job.finished_at = Some(Utc::now());
            job.error = Some(JobError::new(
                ErrorCode::Interrupted,
                format!(
                    "the server stopped while this job was running, {} time(s); it was not started again",
                    job.attempts
                ),
            ));
            if workers.store.update(&job).await? {
                report.failed += 1;
            }
        } else {
            job.status = JobStatus::Queued;
            job.stage = Stage::Queued;
            if workers.store.update(&job).await? {
                let message =
                    "the server stopped while this job was running; it was started again".into();
                workers
                    .store
                    .record(
                        job.id,
                        EventBody::Log {
                            level: LogLevel::Warn,
                            message,
                        },
                    )
                    .await;
                workers.queue.enqueue_for(job.id, &job.tenant).await?;
                report.resumed += 1;
            }
        }
    }
    Ok(report)
}

async fn list_all(workers: &Workers, status: JobStatus) -> Result<Vec<Job>> {
    let filter = JobFilter {
        status: Some(status),
        kind: None,
        limit: Some(u32::MAX),
        tenant: None,
    };
    workers.store.list(&filter).await
}
