//! The reference `Store`: jobs and events in a map, for tests and embedding. Every other
//! store must behave like this one (the conformance suite checks both).

use super::{Claim, InsertCheck, RunningLimit, Store};
use crate::error::{Error, Result};
use crate::job::{
    Job, JobCount, JobCounts, JobEvent, JobFilter, JobId, JobStatus, JobSummary, PageQuery,
    TenantId, TenantUsage,
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

    /// `tenant`'s usage in `state`, or `None` when it has no jobs.
    fn usage_of(state: &State, tenant: &TenantId, since: DateTime<Utc>) -> Option<TenantUsage> {
        let mut usage = TenantUsage::none(tenant.clone());
        for job in state.jobs.values().filter(|job| &job.tenant == tenant) {
            usage.jobs += 1;
            usage.queued += u64::from(job.status == JobStatus::Queued);
            usage.running += u64::from(job.status == JobStatus::Running);
            usage.stored_bytes += job.stored_bytes();
            if job.created_at >= since {
                usage.submitted_recently += 1;
                usage.oldest_recent = Some(
                    usage
                        .oldest_recent
                        .map_or(job.created_at, |t| t.min(job.created_at)),
                );
            }
        }
        (usage.jobs > 0).then_some(usage)
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

    async fn insert_within(
        &self,
        job: &Job,
        since: DateTime<Utc>,
        check: InsertCheck<'_>,
    ) -> Result<()> {
        let mut state = self.state();
        let usage = Self::usage_of(&state, &job.tenant, since)
            .unwrap_or_else(|| TenantUsage::none(job.tenant.clone()));
        check(&usage)?;
        if state.jobs.contains_key(&job.id) {
            return Err(Error::Storage(format!(
                "a job with id {} already exists",
                job.id
            )));
        }
        state.jobs.insert(job.id, job.clone());
        Ok(())
    }

    async fn usage(
        &self,
        tenant: Option<&TenantId>,
        since: DateTime<Utc>,
    ) -> Result<Vec<TenantUsage>> {
        let state = self.state();
        let mut tenants: Vec<&TenantId> = match tenant {
            Some(t) => vec![t],
            None => state.jobs.values().map(|job| &job.tenant).collect(),
        };
        tenants.sort();
        tenants.dedup();
        Ok(tenants
            .into_iter()
            .filter_map(|t| Self::usage_of(&state, t, since))
            .collect())
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

    async fn claim_within(&self, id: JobId, running: RunningLimit<'_>) -> Result<Claim> {
        let mut state = self.state();
        let Some(tenant) = state
            .jobs
            .get(&id)
            .filter(|job| matches!(job.status, JobStatus::Queued | JobStatus::Running))
            .map(|job| job.tenant.clone())
        else {
            return Ok(Claim::Gone);
        };
        if let Some(limit) = running(&tenant) {
            let others = state
                .jobs
                .values()
                .filter(|j| j.id != id && j.tenant == tenant && j.status == JobStatus::Running)
                .count() as u64;
            if others >= u64::from(limit) {
                return Ok(Claim::Waits {
                    tenant,
                    running: others,
                    limit,
                });
            }
        }
        let job = state
            .jobs
            .get_mut(&id)
            .expect("looked up above, under the lock");
        job.status = JobStatus::Running;
        job.attempts += 1;
        job.started_at = Some(Utc::now());
        Ok(Claim::Claimed(Box::new(job.clone())))
    }

    async fn delete(&self, id: JobId) -> Result<bool> {
        let mut state = self.state();
        state.events.remove(&id);
        Ok(state.jobs.remove(&id).is_some())
    }

    async fn counts(&self) -> Result<JobCounts> {
        let state = self.state();
        let mut by: HashMap<(crate::job::JobKind, JobStatus, &TenantId), u64> = HashMap::new();
        for job in state.jobs.values() {
            *by.entry((job.kind, job.status, &job.tenant)).or_default() += 1;
        }
        Ok(JobCounts {
            counts: by
                .into_iter()
                .map(|((kind, status, tenant), jobs)| JobCount {
                    kind,
                    status,
                    tenant: tenant.clone(),
                    jobs,
                })
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
