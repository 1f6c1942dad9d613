//! Retention: finished jobs and their files expire `Config::retention` after they
//! finished. A sweeper beside the workers deletes them a batch at a time, files first
//! (so a process that dies half-way leaves a row the next sweep finds, never files
//! nobody can reach), then the row and its events. Only final jobs are ever chosen
//! (`Store::expired`), and a final job never runs again, so a running job is safe.
//! Several processes may sweep at once: deleting twice is harmless.

use crate::artifacts::ArtifactStorage;
use crate::error::Result;
use crate::metrics::Metrics;
use crate::store::Store;
use chrono::{DateTime, Utc};
use std::time::Duration;
use tokio::sync::watch;

/// Jobs deleted per store query; between batches the sweeper yields to the server.
const BATCH: u32 = 100;

/// What the sweeper deletes with.
#[derive(Clone)]
pub(crate) struct Sweeper {
    pub(crate) store: std::sync::Arc<dyn Store>,
    pub(crate) artifacts: std::sync::Arc<dyn ArtifactStorage>,
    pub(crate) metrics: Metrics,
}

impl Sweeper {
    /// Deletes every final job that finished before `before`: how many it deleted.
    pub(crate) async fn sweep(&self, before: DateTime<Utc>) -> Result<usize> {
        let mut deleted = 0;
        loop {
            let batch = self.store.expired(before, BATCH).await?;
            for id in &batch {
                self.artifacts.delete_job(*id).await?;
                if self.store.delete(*id).await? {
                    deleted += 1;
                    self.metrics.count_swept(1);
                }
            }
            if batch.len() < BATCH as usize {
                return Ok(deleted);
            }
            // A long backlog: let requests and jobs run between batches.
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Sweeps now and then every `every`, deleting jobs finished more than `keep` ago,
    /// until `stop` turns true.
    pub(crate) async fn run(
        self,
        keep: Duration,
        every: Duration,
        mut stop: watch::Receiver<bool>,
    ) {
        loop {
            let before = cutoff(keep);
            match self.sweep(before).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(jobs = n, "expired jobs and their files were deleted"),
                Err(e) => {
                    tracing::warn!(error = %e, "the retention sweep stopped early; it runs again later")
                }
            }
            tokio::select! {
                _ = stop.changed() => return,
                _ = tokio::time::sleep(every) => {}
            }
            if *stop.borrow() {
                return;
            }
        }
    }
}

/// The end time before which a job kept for `keep` has expired.
pub(crate) fn cutoff(keep: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(keep)
        .ok()
        .and_then(|keep| Utc::now().checked_sub_signed(keep))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}
