//! Fair share for the in-process queue: the jobs that can be taken now wait in one line
//! per tenant, and each take serves the tenant with the fewest jobs out on lease, then
//! the one served longest ago (a tenant never served first), then the oldest job. So one
//! tenant's burst of a thousand jobs holds another tenant's single job back by at most
//! the jobs already running, not by the whole burst. Within a tenant, first in, first out.

use crate::job::{JobId, TenantId};
use std::collections::{HashMap, VecDeque};

/// Jobs ready to be taken, by tenant, and when each tenant was last served.
#[derive(Debug, Default)]
pub(super) struct Ready {
    /// Each tenant's ready jobs, oldest first; a tenant with none has no entry.
    lines: HashMap<TenantId, VecDeque<JobId>>,
    /// The take that last served each tenant (counting from 1).
    served: HashMap<TenantId, u64>,
    takes: u64,
}

impl Ready {
    /// `id` at the back of `tenant`'s line.
    pub(super) fn push_back(&mut self, id: JobId, tenant: &TenantId) {
        self.lines.entry(tenant.clone()).or_default().push_back(id);
    }

    /// `id` at the front of `tenant`'s line: for a job that was waiting before every job
    /// of its tenant ready now (an expired lease).
    pub(super) fn push_front(&mut self, id: JobId, tenant: &TenantId) {
        self.lines.entry(tenant.clone()).or_default().push_front(id);
    }

    /// The next job by the order above; `leased(tenant)` says how many of a tenant's
    /// jobs are out on lease now.
    pub(super) fn pop_front(&mut self, leased: impl Fn(&TenantId) -> usize) -> Option<JobId> {
        let tenant = self
            .lines
            .iter()
            .min_by_key(|(tenant, line)| {
                (
                    leased(tenant),
                    self.served.get(*tenant).copied().unwrap_or(0),
                    line.front().copied(),
                )
            })
            .map(|(tenant, _)| tenant.clone())?;
        let line = self.lines.get_mut(&tenant)?;
        let id = line.pop_front();
        if line.is_empty() {
            self.lines.remove(&tenant);
        }
        self.takes += 1;
        self.served.insert(tenant, self.takes);
        id
    }

    /// Takes `id` out of whichever line holds it.
    pub(super) fn remove(&mut self, id: JobId) {
        self.lines.retain(|_, line| {
            line.retain(|&waiting| waiting != id);
            !line.is_empty()
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant(name: &str) -> TenantId {
        TenantId::new(name).unwrap()
    }

    #[test]
    fn a_single_job_is_served_next_whatever_the_burst_before_it() {
        let mut ready = Ready::default();
        let burst: Vec<JobId> = (0..1_000).map(|_| JobId::new()).collect();
        for &id in &burst {
            ready.push_back(id, &tenant("a"));
        }
        // One of a's is taken (and has ended) before b's job comes.
        assert_eq!(ready.pop_front(|_| 0), Some(burst[0]));
        let single = JobId::new();
        ready.push_back(single, &tenant("b"));
        assert_eq!(ready.pop_front(|_| 0), Some(single));
        for &id in &burst[1..] {
            assert_eq!(ready.pop_front(|_| 0), Some(id));
        }
        assert_eq!(ready.pop_front(|_| 0), None);
    }

    #[test]
    fn fewest_leased_first_then_least_recently_served_then_oldest() {
        let mut ready = Ready::default();
        let ids: Vec<JobId> = (0..6).map(|_| JobId::new()).collect();
        ready.push_back(ids[0], &tenant("a"));
        ready.push_back(ids[1], &tenant("b"));
        ready.push_back(ids[2], &tenant("a"));
        ready.push_back(ids[3], &tenant("c"));
        // Never served: the oldest job first.
        assert_eq!(ready.pop_front(|_| 0), Some(ids[0]));
        // a runs two, b one, c none: c.
        let leased = |t: &TenantId| match t.as_str() {
            "a" => 2,
            "b" => 1,
            _ => 0,
        };
        assert_eq!(ready.pop_front(leased), Some(ids[3]));
        // Equal leases: b was never served, a was.
        assert_eq!(ready.pop_front(|_| 0), Some(ids[1]));
        ready.push_front(ids[4], &tenant("a"));
        ready.push_back(ids[5], &tenant("d"));
        ready.remove(ids[5]);
        assert_eq!(ready.pop_front(|_| 0), Some(ids[4]));
        assert_eq!(ready.pop_front(|_| 0), Some(ids[2]));
        assert_eq!(ready.pop_front(|_| 0), None);
        assert!(ready.lines.is_empty());
    }
}
