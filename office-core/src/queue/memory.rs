//! The in-process `Queue`: jobs wait in a list, takers wait on a `Notify`. It forgets
//! everything on restart; the worker's recovery re-enqueues unfinished jobs from the store.
//!
//! Time is `tokio::time::Instant`, so tests drive leases and retry delays with
//! `tokio::time::pause()` and `advance()` instead of sleeping.

use super::fair::Ready;
use super::{Lease, Queue};
use crate::error::Result;
use crate::job::{JobId, TenantId};
use async_trait::async_trait;
use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::time::Instant;

/// The in-process queue: one process's workers share it; nothing survives a restart.
#[derive(Debug, Default)]
pub struct MemoryQueue {
    /// A std `Mutex`: no method holds it across an `.await` (takers drop it before they
    /// wait on `changed`), and each critical section is a few collection operations.
    state: Mutex<State>,
    /// Wakes waiting takers when a job may have become takeable, or a new deadline (a
    /// lease's expiry, a retry's delay) appeared that they should wake up for.
    changed: Notify,
}

#[derive(Debug, Default)]
struct State {
    /// Jobs that can be taken now: in order within a tenant, the tenants in turn.
    ready: Ready,
    /// Whose each job in the queue (waiting or leased) is; `default` when not said.
    tenants: HashMap<JobId, TenantId>,
    /// Jobs given back with a delay, and when they become ready.
    delayed: Vec<(Instant, JobId)>,
    /// Every job in `ready` or `delayed`, to make enqueuing idempotent cheaply.
    waiting: HashSet<JobId>,
    leased: HashMap<JobId, Leased>,
    /// How many times each job still in the queue (waiting or leased) has been taken.
    deliveries: HashMap<JobId, u32>,
    /// Cancelled jobs, kept until the job is enqueued again so a running worker can ask.
    cancelled: HashSet<JobId>,
    /// Makes every delivery's token unique.
    next_token: u64,
}

#[derive(Debug)]
struct Leased {
    token: String,
    expires_at: Instant,
}

/// `now + duration`, saturating far in the future instead of overflowing on a huge
/// duration (`Duration::MAX` as "wait forever").
fn after(now: Instant, duration: Duration) -> Instant {
    const CENTURY: Duration = Duration::from_secs(100 * 365 * 24 * 60 * 60);
    now.checked_add(duration.min(CENTURY)).unwrap_or(now)
}

impl State {
    /// Moves expired leases to the front of `ready` (they were waiting before anything
    /// queued since) and delayed jobs whose time has come to its back.
    fn settle(&mut self, now: Instant) {
        let mut expired: Vec<(Instant, JobId)> = self
            .leased
            .iter()
            .filter(|(_, leased)| leased.expires_at <= now)
            .map(|(&id, leased)| (leased.expires_at, id))
            .collect();
        if !expired.is_empty() {
            // Earliest expiry ends up first.
            expired.sort();
            for &(_, id) in expired.iter().rev() {
                self.leased.remove(&id);
                let tenant = self.tenant_of(id);
                self.ready.push_front(id, &tenant);
                self.waiting.insert(id);
            }
        }
        if self.delayed.iter().any(|&(at, _)| at <= now) {
            self.delayed.sort();
            let due = self.delayed.partition_point(|&(at, _)| at <= now);
            let due: Vec<JobId> = self.delayed.drain(..due).map(|(_, id)| id).collect();
            for id in due {
                let tenant = self.tenant_of(id);
                self.ready.push_back(id, &tenant);
            }
        }
    }

    /// The next moment something changes on its own: a lease expires or a delay ends.
    fn next_deadline(&self) -> Option<Instant> {
        let expiries = self.leased.values().map(|leased| leased.expires_at);
        let delays = self.delayed.iter().map(|&(at, _)| at);
        expiries.chain(delays).min()
    }

    fn take_ready(&mut self, now: Instant, lease_for: Duration) -> Option<Lease> {
        let mut leased: HashMap<&TenantId, usize> = HashMap::new();
        for id in self.leased.keys() {
            if let Some(tenant) = self.tenants.get(id) {
                *leased.entry(tenant).or_default() += 1;
            }
        }
        let job_id = self
            .ready
            .pop_front(|tenant| leased.get(tenant).copied().unwrap_or(0))?;
        self.waiting.remove(&job_id);
        let deliveries = self.deliveries.entry(job_id).or_insert(0);
        *deliveries += 1;
        let deliveries = *deliveries;
        self.next_token += 1;
        let token = format!("{job_id}.{}", self.next_token);
        self.leased.insert(
            job_id,
            Leased {
                token: token.clone(),
                expires_at: after(now, lease_for),
            },
        );
        Some(Lease {
            job_id,
            token,
            deliveries,
        })
    }

    /// True when `lease` is the job's current delivery and has not expired.
    fn holds(&self, lease: &Lease) -> bool {
        self.leased
            .get(&lease.job_id)
            .is_some_and(|leased| leased.token == lease.token)
    }

    fn tenant_of(&self, id: JobId) -> TenantId {
        self.tenants.get(&id).cloned().unwrap_or_default()
    }

    fn forget(&mut self, id: JobId) {
        self.deliveries.remove(&id);
        self.tenants.remove(&id);
    }
}

impl MemoryQueue {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    /// Locks the state and brings it up to the current time.
    fn state(&self) -> MutexGuard<'_, State> {
        // No section can panic halfway through an update, so a poisoned lock is usable.
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        state.settle(Instant::now());
        state
    }
}

#[async_trait]
impl Queue for MemoryQueue {
    /// Adds the job at the back, as the `default` tenant's.
    async fn enqueue(&self, id: JobId) -> Result<()> {
        self.enqueue_for(id, &TenantId::default()).await
    }

    /// Adds the job at the back of its tenant's line; takers serve the tenants in turn.
    /// A job already waiting or leased is left as it is; a cancelled job enqueued again
    /// starts afresh, no longer cancelled.
    async fn enqueue_for(&self, id: JobId, tenant: &TenantId) -> Result<()> {
        {
            let mut state = self.state();
            if state.waiting.contains(&id) || state.leased.contains_key(&id) {
                return Ok(());
            }
            state.cancelled.remove(&id);
            state.tenants.insert(id, tenant.clone());
            state.ready.push_back(id, tenant);
            state.waiting.insert(id);
        }
        self.changed.notify_waiters();
        Ok(())
    }

    async fn take(&self, wait: Duration, lease: Duration) -> Result<Option<Lease>> {
        let give_up_at = after(Instant::now(), wait);
        loop {
            // Registered before looking at the state, so a change made between the look
            // and the wait still wakes this taker.
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();

            let next_deadline = {
                let mut state = self.state();
                let now = Instant::now();
                if let Some(taken) = state.take_ready(now, lease) {
                    drop(state);
                    // Other takers must learn about the new lease's expiry.
                    self.changed.notify_waiters();
                    return Ok(Some(taken));
                }
                if now >= give_up_at {
                    return Ok(None);
                }
                state.next_deadline()
            };
            let wake_at = next_deadline.map_or(give_up_at, |at| at.min(give_up_at));
            tokio::select! {
                _ = &mut changed => {}
                _ = tokio::time::sleep_until(wake_at) => {}
            }
        }
    }

    async fn renew(&self, lease: &Lease, lease_for: Duration) -> Result<bool> {
        let mut state = self.state();
        let expires_at = after(Instant::now(), lease_for);
        match state.leased.get_mut(&lease.job_id) {
            Some(leased) if leased.token == lease.token => {
                leased.expires_at = expires_at;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn ack(&self, lease: &Lease) -> Result<()> {
        let mut state = self.state();
        if state.holds(lease) {
            state.leased.remove(&lease.job_id);
            state.forget(lease.job_id);
        }
        Ok(())
    }

    /// Gives the job back; a job cancelled meanwhile is dropped instead.
    async fn retry(&self, lease: &Lease, delay: Duration) -> Result<()> {
        {
            let mut state = self.state();
            if !state.holds(lease) {
                return Ok(());
            }
            let id = lease.job_id;
            state.leased.remove(&id);
            if state.cancelled.contains(&id) {
                state.forget(id);
                return Ok(());
            }
            state.waiting.insert(id);
            if delay.is_zero() {
                let tenant = state.tenant_of(id);
                state.ready.push_back(id, &tenant);
            } else {
                state.delayed.push((after(Instant::now(), delay), id));
            }
        }
        self.changed.notify_waiters();
        Ok(())
    }

    async fn cancel(&self, id: JobId) -> Result<()> {
        let mut state = self.state();
        state.cancelled.insert(id);
        if state.waiting.remove(&id) {
            state.ready.remove(id);
            state.delayed.retain(|&(_, waiting)| waiting != id);
            state.forget(id);
        }
        Ok(())
    }

    async fn is_cancelled(&self, id: JobId) -> Result<bool> {
        Ok(self.state().cancelled.contains(&id))
    }

    /// Jobs waiting, including those whose retry delay has not passed yet and those whose
    /// lease expired.
    async fn pending(&self) -> Result<usize> {
        Ok(self.state().waiting.len())
    }
}
