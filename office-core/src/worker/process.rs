//! One leased job, run to exactly one final status. The worker renews its lease while
//! the job runs, stops the job when it is cancelled, and gives a job whose lease it lost
//! to whoever holds it now. Jobs that fail for a transient reason
//! (`ErrorCode::is_transient`) are retried a bounded number of times, then failed.

use super::Workers;
use crate::job::{ErrorCode, EventBody, Job, JobError, JobEvent, JobStatus, LogLevel, Stage};
use crate::queue::Lease;
use crate::store::Claim;
use chrono::Utc;
use std::time::Duration;

/// How often a running job checks whether it was cancelled.
const CANCEL_POLL: Duration = Duration::from_millis(200);

/// How a run ended, seen from the worker.
enum RunEnd {
    Finished(Result<(), JobError>),
    Cancelled,
    LeaseLost,
}

/// Runs one leased job inside its `job` span, so that every line logged while it runs
/// carries its id, and its tenant from the moment the job is claimed.
pub(super) async fn process(workers: &Workers, lease: Lease) {
    use tracing::Instrument;
    let span = tracing::info_span!("job", job_id = %lease.job_id, tenant = tracing::field::Empty);
    process_in_span(workers, lease).instrument(span).await
}

/// Never returns an error: every way a job can end is written on it.
async fn process_in_span(workers: &Workers, lease: Lease) {
    let id = lease.job_id;
    let store = &workers.store;
    let queue = &workers.queue;
    let max_attempts = workers.max_attempts;

    let running_limit = |tenant: &crate::job::TenantId| workers.quotas.of(tenant).running;
    let job = match store.claim_within(id, &running_limit).await {
        Ok(Claim::Claimed(job)) => *job,
        Ok(Claim::Gone) => {
            // Final or deleted: nothing to do.
            let _ = queue.ack(&lease).await;
            return;
        }
        Ok(Claim::Waits {
            tenant,
            running,
            limit,
        }) => {
            // Not refused: back in the queue until one of the tenant's jobs ends, and
            // meanwhile the workers run other tenants' jobs.
            tracing::debug!(%tenant, running, limit, "the tenant runs its limit of jobs; this one waits");
            let _ = queue.retry(&lease, waiting_delay(lease.deliveries)).await;
            return;
        }
        Err(e) => {
            tracing::error!(%id, error = %e, "could not claim a job; it will be retried");
            let _ = queue.retry(&lease, Duration::from_secs(1)).await;
            return;
        }
    };
    tracing::Span::current().record("tenant", job.tenant.as_str());
    let mut job = job;
    if job.attempts > max_attempts {
        let message = format!(
            "the job was started {} times and never finished (the process running it stopped each time); \
             it was not started again",
            job.attempts - 1
        );
        end(
            workers,
            &mut job,
            JobStatus::Failed,
            Some(JobError::new(ErrorCode::Abandoned, message)),
        )
        .await;
        let _ = queue.ack(&lease).await;
        return;
    }
    if queue.is_cancelled(id).await.unwrap_or(false) {
        end(
            workers,
            &mut job,
            JobStatus::Cancelled,
            Some(cancelled_error()),
        )
        .await;
        let _ = queue.ack(&lease).await;
        return;
    }
    tracing::info!(kind = %job.kind, attempt = job.attempts, "job started");
    workers
        .store
        .record(
            job.id,
            EventBody::Status {
                status: JobStatus::Running,
            },
        )
        .await;

    let run_end = {
        let run = workers.runner.run(&mut job);
        tokio::pin!(run);
        tokio::select! {
            r = &mut run => RunEnd::Finished(r),
            _ = wait_for_cancel(workers, id) => RunEnd::Cancelled,
            _ = keep_lease(workers, &lease) => RunEnd::LeaseLost,
        }
    };

    match run_end {
        RunEnd::Finished(Ok(())) => {
            job.stage = Stage::Done;
            end(workers, &mut job, JobStatus::Succeeded, None).await;
        }
        RunEnd::Finished(Err(error))
            if error.code.is_transient() && job.attempts < max_attempts =>
        {
            // Not the user's fault and maybe passing (storage hiccup): try again later.
            let delay = Duration::from_secs(1 << job.attempts.min(5));
            workers
                .store
                .record(
                    job.id,
                    log(
                        LogLevel::Warn,
                        format!("{}; retrying in {delay:?}", error.message),
                    ),
                )
                .await;
            job.status = JobStatus::Queued;
            job.stage = Stage::Queued;
            job.error = Some(error);
            let _ = store.update(&job).await;
            let _ = queue.retry(&lease, delay).await;
            return;
        }
        RunEnd::Finished(Err(error)) => {
            end(workers, &mut job, JobStatus::Failed, Some(error)).await
        }
        RunEnd::Cancelled => {
            end(
                workers,
                &mut job,
                JobStatus::Cancelled,
                Some(cancelled_error()),
            )
            .await
        }
        RunEnd::LeaseLost => {
            tracing::warn!(%id, "lost the lease on a running job; another worker has it now");
            return;
        }
    }
    let _ = queue.ack(&lease).await;
}

/// How long a job over its tenant's running limit waits before it is looked at again:
/// a quarter of a second at first, longer the more often it was turned back (at most
/// two seconds), so a tenant's burst does not keep the workers busy turning it back.
fn waiting_delay(deliveries: u32) -> Duration {
    Duration::from_millis(250 << deliveries.saturating_sub(1).min(3))
}

pub(crate) fn cancelled_error() -> JobError {
    JobError::new(ErrorCode::Cancelled, "the job was cancelled")
}

fn log(level: LogLevel, message: String) -> EventBody {
    EventBody::Log { level, message }
}

/// Writes the final status once; if someone else already finished the job, theirs stands.
async fn end(workers: &Workers, job: &mut Job, status: JobStatus, error: Option<JobError>) {
    job.status = status;
    job.error = error;
    job.finished_at = Some(Utc::now());
    let event = JobEvent {
        job_id: job.id,
        at: Utc::now(),
        body: EventBody::Status { status },
    };
    match workers.store.finish(job, &event).await {
        Ok(true) => {
            let code = job.error.as_ref().map(|e| e.code.as_str());
            tracing::info!(%status, error = code, "job finished");
            workers.notify_finished()
        }
        Ok(false) => {
            tracing::info!(id = %job.id, "job was already final; this worker's result is dropped")
        }
        Err(e) => {
            tracing::error!(id = %job.id, error = %e, "could not record the job's final status")
        }
    }
}

async fn wait_for_cancel(workers: &Workers, id: crate::job::JobId) {
    loop {
        tokio::time::sleep(CANCEL_POLL).await;
        if workers.queue.is_cancelled(id).await.unwrap_or(false) {
            return;
        }
    }
}

/// Renews the lease at a third of its length; returns only when the lease is lost.
async fn keep_lease(workers: &Workers, lease: &Lease) {
    let length = workers.lease;
    loop {
        tokio::time::sleep(length / 3).await;
        match workers.queue.renew(lease, length).await {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => tracing::warn!(id = %lease.job_id, error = %e, "could not renew a lease"),
        }
    }
}
