//! Workers take jobs from the queue and run each to exactly one final status.
//!
//! They take what they need (`Workers`: the store, the queue, the runner and a few
//! settings), never the engine. `run` is the one sequence every face uses: recover what
//! an earlier process left, start N workers, run until a shutdown signal, then let
//! running jobs finish within the configured grace.
//!
//! - `process`: one leased job, from claim to its final status (lease renewal,
//!   cancellation, bounded retries of internal failures);
//! - `recover`: jobs left behind by an earlier process.

#![warn(missing_docs, unreachable_pub)]

mod process;
pub(crate) mod recover;

pub use recover::RecoveryReport;

use crate::error::Result;
use crate::queue::Queue;
use crate::runner::Runner;
use crate::store::Store;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How long an idle worker waits on the queue before checking for shutdown.
const TAKE_WAIT: Duration = Duration::from_secs(1);

/// What workers need; cheap to clone.
#[derive(Clone)]
pub(crate) struct Workers {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) queue: Arc<dyn Queue>,
    pub(crate) runner: Arc<Runner>,
    /// How long a worker holds a job before another may take it, unless it renews.
    pub(crate) lease: Duration,
    /// Times a job is started before it is failed for good.
    pub(crate) max_attempts: u32,
    /// How long stopping lets running jobs finish.
    pub(crate) grace: Duration,
    /// Whether running jobs found at start are this process's own (in-process queue).
    pub(crate) recover_running: bool,
    /// Bumped each time a job reaches a final status here, so waiters wake.
    pub(crate) finished: watch::Sender<u64>,
    /// Each tenant's limits; a job over its tenant's running limit waits in the queue.
    pub(crate) quotas: crate::engine::TenantQuotas,
    /// Deletes expired jobs beside the workers, when a retention is configured: the
    /// sweeper, how long jobs are kept, how often it looks.
    pub(crate) retention: Option<(crate::retention::Sweeper, Duration, Duration)>,
}

impl Workers {
    fn notify_finished(&self) {
        self.finished.send_modify(|n| *n += 1);
    }
}

/// Recovers, runs `count` workers until `shutdown` resolves, then stops them within the
/// configured grace. `shutdown` is polled only once the workers run, so a face can pass
/// its whole server as the signal. Returns what `shutdown` returned.
pub(crate) async fn run<T>(
    workers: Workers,
    count: usize,
    shutdown: impl Future<Output = T>,
) -> Result<T> {
    let pool = start_recovered(workers, count).await?;
    let out = shutdown.await;
    pool.stop().await;
    Ok(out)
}

/// Recovers what an earlier process left, then starts `count` workers.
pub(crate) async fn start_recovered(workers: Workers, count: usize) -> Result<WorkerPool> {
    let recovered = recover::recover(&workers).await?;
    tracing::info!(?recovered, "jobs left by an earlier run were taken care of");
    Ok(WorkerPool::start(workers, count))
}

/// The workers of one process. Dropping it without `stop` or `shutdown` aborts them.
pub struct WorkerPool {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    grace: Duration,
}

impl WorkerPool {
    /// Starts `count` workers (no recovery: see `start_recovered`).
    pub(crate) fn start(workers: Workers, count: usize) -> WorkerPool {
        let (stop, rx) = watch::channel(false);
        let grace = workers.grace;
        let mut tasks: Vec<JoinHandle<()>> = (0..count)
            .map(|n| {
                let workers = workers.clone();
                let rx = rx.clone();
                tokio::spawn(async move { worker_loop(workers, n, rx).await })
            })
            .collect();
        // Beside the workers, also with none (`serve --no-worker`), stopped with them.
        if let Some((sweeper, keep, every)) = workers.retention.clone() {
            tasks.push(tokio::spawn(sweeper.run(keep, every, rx.clone())));
        }
        WorkerPool { stop, tasks, grace }
    }

    /// `shutdown` with the configured grace.
    pub async fn stop(self) {
        let grace = self.grace;
        self.shutdown(grace).await
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

async fn worker_loop(workers: Workers, n: usize, mut stop: watch::Receiver<bool>) {
    tracing::debug!(worker = n, "worker started");
    loop {
        if *stop.borrow() {
            break;
        }
        let lease = tokio::select! {
            _ = stop.changed() => break,
            taken = workers.queue.take(TAKE_WAIT, workers.lease) => taken,
        };
        match lease {
            Ok(Some(lease)) => process::process(&workers, lease).await,
            Ok(None) => {}
            Err(e) => {
                tracing::error!(worker = n, error = %e, "could not take a job from the queue");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
    tracing::debug!(worker = n, "worker stopped");
}
