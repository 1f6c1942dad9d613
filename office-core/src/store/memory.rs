//! The reference `Store`: jobs and events in a map, for tests and embedding. Every other
//! store must behave like this one (the conformance suite checks both).

use super::Store;
use crate::error::{Error, Result};
use crate::job::{
    Job, JobCount, JobCounts, JobEvent, JobFilter, JobId, JobStatus, JobSummary, PageQuery,
    TenantId,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::cmp::Reverse;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

/// Jobs in memory: the reference implementation, for tests and embedding.
#[derive(Debug, Default)]
pub struct MemoryStore {
    /// A std `Mutex`, not a tokio one: no method holds it across an `.await` (none of
    /// them awaits at all), and every critical section is a few map operations, so a
    /// blocking lock is cheaper than an async one and cannot stall the runtime.
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    jobs: HashMap<JobId, Job>,
    /// Kept apart from `jobs` so appending does not clone or touch the job.
    events: HashMap<JobId, Vec<JobEvent>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while the lock was held cannot leave the maps half-written (each
        // section does one insert or remove), so a poisoned lock is still usable.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl Store for MemoryStore {
    async fn insert(&self, job: &Job) -> Result<()> {
        let mut state = self.state();
        if state.jobs.contains_key(&job.id) {
            return Err(Error::Storage(format!(
                "a job with id {} already exists",
                job.id
            )));
        }
        state.jobs.insert(job.id, job.clone());
        Ok(())
    }

    async fn get(&self, id: JobId) -> Result<Option<Job>> {
        Ok(self.state().jobs.get(&id).cloned())
    }

    async fn get_owned(&self, id: JobId, tenant: &TenantId) -> Result<Option<Job>> {
        Ok(self
            .state()
            .jobs
            .get(&id)
            .filter(|job| &job.tenant == tenant)
            .cloned())
    }

    async fn list(&self, filter: &JobFilter) -> Result<Vec<Job>> {
        let state = self.state();
        let mut jobs: Vec<&Job> = state
            .jobs
            .values()
            .filter(|job| filter.tenant.as_ref().is_none_or(|t| &job.tenant == t))
            .filter(|job| filter.kind.is_none_or(|kind| job.kind == kind))
            .filter(|job| filter.status.is_none_or(|status| job.status == status))
            .collect();
        // Newest first; ids (UUID v7) break ties the same way the SQL stores do.
        jobs.sort_by_key(|job| Reverse((job.created_at, job.id)));
        let limit = filter.limit.map_or(usize::MAX, |limit| limit as usize);
        Ok(jobs.into_iter().take(limit).cloned().collect())
    }

    async fn page(&self, query: &PageQuery) -> Result<Vec<JobSummary>> {
        let state = self.state();
        let after = query.after.map(|p| (p.created_at, p.id));
        let mut jobs: Vec<&Job> = state
            .jobs
            .values()
            .filter(|job| query.tenant.as_ref().is_none_or(|t| &job.tenant == t))
            .filter(|job| query.kind.is_none_or(|kind| job.kind == kind))
            .filter(|job| query.status.is_none_or(|status| job.status == status))
            .filter(|job| after.is_none_or(|after| (job.created_at, job.id) < after))
            .collect();
        jobs.sort_by_key(|job| Reverse((job.created_at, job.id)));
        Ok(jobs
            .into_iter()
            .take(query.limit as usize)
            .map(JobSummary::from)
            .collect())
    }

    async fn thread(&self, thread: JobId) -> Result<Vec<JobSummary>> {
        let state = self.state();
        let mut jobs: Vec<&Job> = state
            .jobs
            .values()
            .filter(|job| job.id == thread || job.thread == Some(thread))
            .collect();
        jobs.sort_by_key(|job| (job.created_at, job.id));
        Ok(jobs.into_iter().map(JobSummary::from).collect())
    }

    async fn update(&self, job: &Job) -> Result<bool> {
        let mut state = self.state();
        match state.jobs.get_mut(&job.id) {
            Some(stored) if !stored.status.is_final() => {
                *stored = job.clone();
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn claim(&self, id: JobId) -> Result<Option<Job>> {
        let mut state = self.state();
        match state.jobs.get_mut(&id) {
            Some(job) if matches!(job.status, JobStatus::Queued | JobStatus::Running) => {
                job.status = JobStatus::Running;
                job.attempts += 1;
                job.started_at = Some(Utc::now());
                Ok(Some(job.clone()))
            }
            _ => Ok(None),
        }
    }

    async fn delete(&self, id: JobId) -> Result<bool> {
        let mut state = self.state();
        state.events.remove(&id);
        Ok(state.jobs.remove(&id).is_some())
    }

    async fn counts(&self) -> Result<JobCounts> {
        let state = self.state();
        let mut by: HashMap<(crate::job::JobKind, JobStatus), u64> = HashMap::new();
        for job in state.jobs.values() {
            *by.entry((job.kind, job.status)).or_default() += 1;
        }
        Ok(JobCounts {
            counts: by
                .into_iter()
                .map(|((kind, status), jobs)| JobCount { kind, status, jobs })
                .collect(),
            oldest_queued: state
                .jobs
                .values()
                .filter(|job| job.status == JobStatus::Queued)
                .map(|job| job.created_at)
                .min(),
        })
    }

    async fn expired(&self, before: DateTime<Utc>, limit: u32) -> Result<Vec<JobId>> {
        let state = self.state();
        let mut found: Vec<(DateTime<Utc>, JobId)> = state
            .jobs
            .values()
            .filter(|job| job.status.is_final())
            .filter_map(|job| job.finished_at.map(|at| (at, job.id)))
            .filter(|(at, _)| *at < before)
            .collect();
        found.sort();
        Ok(found
            .into_iter()
            .take(limit as usize)
            .map(|(_, id)| id)
            .collect())
    }

    async fn append_event(&self, event: &JobEvent) -> Result<()> {
        let mut state = self.state();
        if !state.jobs.contains_key(&event.job_id) {
            return Err(Error::not_found(format!(
                "cannot record an event for job {}: there is no such job",
                event.job_id
            )));
        }
        state
            .events
            .entry(event.job_id)
            .or_default()
            .push(event.clone());
        Ok(())
    }

    async fn events(&self, id: JobId) -> Result<Vec<JobEvent>> {
        Ok(self.state().events.get(&id).cloned().unwrap_or_default())
    }
}
