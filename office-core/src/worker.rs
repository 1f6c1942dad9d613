//! Workers take jobs from the queue and run each to exactly one final status.
//!
//! A worker renews its lease while a job runs, stops the job when it is cancelled, and
//! gives a job whose lease it lost to whoever holds it now. Jobs that keep failing for
//! internal reasons are retried a bounded number of times, then failed with that said.

use crate::engine::Engine;
use crate::job::{EventBody, Job, JobError, JobStatus, LogLevel, Stage};
use crate::queue::Lease;
use chrono::Utc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How often a running job checks whether it was cancelled.
const CANCEL_POLL: Duration = Duration::from_millis(200);
/// How long an idle worker waits on the queue before checking for shutdown.
const TAKE_WAIT: Duration = Duration::from_secs(1);

/// The workers of one process. Dropping it without `shutdown` aborts them.
pub struct WorkerPool {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl WorkerPool {
    pub fn start(engine: Engine, count: usize) -> WorkerPool {
        let (stop, rx) = watch::channel(false);
        let tasks = (0..count)
            .map(|n| {
                let engine = engine.clone();
                let rx = rx.clone();
                tokio::spawn(async move { worker_loop(engine, n, rx).await })
            })
            .collect();
        WorkerPool { stop, tasks }
    }

    /// Stops taking jobs and lets running ones finish for up to `grace`; jobs still
    /// running then are abandoned (aborted when the pool drops) to the next start's
    /// recovery.
    pub async fn shutdown(mut self, grace: Duration) {
        let _ = self.stop.send(true);
        let all = futures::future::join_all(self.tasks.iter_mut());
        if tokio::time::timeout(grace, all).await.is_err() {
            tracing::warn!(
                "workers did not finish within {grace:?}; their jobs resume at next start"
            );
        }
    }
}

impl Drop for WorkerPool {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

async fn worker_loop(engine: Engine, n: usize, mut stop: watch::Receiver<bool>) {
    tracing::debug!(worker = n, "worker started");
    loop {
        if *stop.borrow() {
            break;
        }
        let lease = tokio::select! {
            _ = stop.changed() => break,
            taken = engine.queue().take(TAKE_WAIT, engine.config().lease) => taken,
        };
        match lease {
            Ok(Some(lease)) => process(&engine, lease).await,
            Ok(None) => {}
            Err(e) => {
                tracing::error!(worker = n, error = %e, "could not take a job from the queue");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
    tracing::debug!(worker = n, "worker stopped");
}

/// How a run ended, seen from the worker.
enum RunEnd {
    Finished(Result<(), JobError>),
    Cancelled,
    LeaseLost,
}

/// Runs one leased job. Never returns an error: every way a job can end is written on it.
async fn process(engine: &Engine, lease: Lease) {
    let id = lease.job_id;
    let store = engine.store();
    let queue = engine.queue();
    let max_attempts = engine.config().max_attempts;

    let job = match store.claim(id).await {
        Ok(Some(job)) => job,
        Ok(None) => {
            // Final or deleted: nothing to do.
            let _ = queue.ack(&lease).await;
            return;
        }
        Err(e) => {
            tracing::error!(%id, error = %e, "could not claim a job; it will be retried");
            let _ = queue.retry(&lease, Duration::from_secs(1)).await;
            return;
        }
    };
    let mut job = job;
    if job.attempts > max_attempts {
        let message = format!(
            "the job was started {} times and never finished (the process running it stopped each time); \
             it was not started again",
            job.attempts - 1
        );
        end(
            engine,
            &mut job,
            JobStatus::Failed,
            Some(JobError::new("abandoned", message)),
        )
        .await;
        let _ = queue.ack(&lease).await;
        return;
    }
    if queue.is_cancelled(id).await.unwrap_or(false) {
        end(
            engine,
            &mut job,
            JobStatus::Cancelled,
            Some(cancelled_error()),
        )
        .await;
        let _ = queue.ack(&lease).await;
        return;
    }
    engine
        .store()
        .record(
            job.id,
            EventBody::Status {
                status: JobStatus::Running,
            },
        )
        .await;

    let run_end = {
        let run = engine.runner().run(&mut job);
        tokio::pin!(run);
        tokio::select! {
            r = &mut run => RunEnd::Finished(r),
            _ = wait_for_cancel(engine, id) => RunEnd::Cancelled,
            _ = keep_lease(engine, &lease) => RunEnd::LeaseLost,
        }
    };

    match run_end {
        RunEnd::Finished(Ok(())) => {
            job.stage = Stage::Done;
            end(engine, &mut job, JobStatus::Succeeded, None).await;
        }
        RunEnd::Finished(Err(error)) if error.code == "internal" && job.attempts < max_attempts => {
            // Not the user's fault and maybe passing (storage hiccup): try again later.
            let delay = Duration::from_secs(1 << job.attempts.min(5));
            engine
                .store()
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
        RunEnd::Finished(Err(error)) => end(engine, &mut job, JobStatus::Failed, Some(error)).await,
        RunEnd::Cancelled => {
            end(
                engine,
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

fn cancelled_error() -> JobError {
    JobError::new("cancelled", "the job was cancelled")
}

fn log(level: LogLevel, message: String) -> EventBody {
    EventBody::Log { level, message }
}

/// Writes the final status once; if someone else already finished the job, theirs stands.
async fn end(engine: &Engine, job: &mut Job, status: JobStatus, error: Option<JobError>) {
    job.status = status;
    job.error = error;
    job.finished_at = Some(Utc::now());
    match engine.store().update(job).await {
        Ok(true) => {
            engine
                .store()
                .record(job.id, EventBody::Status { status })
                .await;
            engine.notify_finished();
        }
        Ok(false) => {
            tracing::info!(id = %job.id, "job was already final; this worker's result is dropped")
        }
        Err(e) => {
            tracing::error!(id = %job.id, error = %e, "could not record the job's final status")
        }
    }
}

async fn wait_for_cancel(engine: &Engine, id: crate::job::JobId) {
    loop {
        tokio::time::sleep(CANCEL_POLL).await;
        if engine.queue().is_cancelled(id).await.unwrap_or(false) {
            return;
        }
    }
}

/// Renews the lease at a third of its length; returns only when the lease is lost.
async fn keep_lease(engine: &Engine, lease: &Lease) {
    let length = engine.config().lease;
    loop {
        tokio::time::sleep(length / 3).await;
        match engine.queue().renew(lease, length).await {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => tracing::warn!(id = %lease.job_id, error = %e, "could not renew a lease"),
        }
    }
}
