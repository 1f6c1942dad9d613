//! What `/metrics` shows: counters and histograms this process keeps (stage durations,
//! validator rejections, model calls, HTTP requests, jobs swept), and values read at
//! scrape time from the shared backends (jobs by status from the store, the queue's
//! depth), so that every process of a deployment reports the same jobs.
//!
//! Labels are plain `(name, value)` pairs written in one place per family; a `tenant`
//! label is one more pair once jobs record their tenant (none does yet).

pub(crate) mod text;

use crate::execute::selftest::SandboxStatus;
use crate::job::{JobCounts, JobKind, JobStatus, Stage};
use crate::plan::ModelCall;
use crate::validate::Violation;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use text::{Histogram, Text};

/// Stage durations: from a few milliseconds (validate) to minutes (a model, a big run).
const STAGE_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
];
/// Model calls: a fraction of a second to a few minutes.
const MODEL_BUCKETS: &[f64] = &[
    0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
];
/// HTTP requests, to the response's head.
const HTTP_BUCKETS: &[f64] = &[
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// This process's counters and histograms. Cheap to clone: clones share them.
#[derive(Clone, Default)]
pub struct Metrics {
    registry: Arc<Mutex<Registry>>,
}

#[derive(Default)]
struct Registry {
    /// By (kind, stage).
    stages: BTreeMap<(&'static str, &'static str), Histogram>,
    /// Rejected programs, by the rule that found something (each rule once a program).
    rejections: BTreeMap<String, u64>,
    /// By (purpose, model).
    model: BTreeMap<(String, String), ModelStats>,
    /// By (method, route template, status).
    http: BTreeMap<(String, String, u16), u64>,
    /// By (method, route template).
    http_seconds: BTreeMap<(String, String), Histogram>,
    /// Expired jobs the retention sweeper deleted.
    swept: u64,
    /// Uploads being profiled now.
    profiles_running: u64,
    /// Profiles stopped because their submission went away.
    profiles_cancelled: u64,
}

/// One running profile, counted while it lives.
pub(crate) struct ProfileRunning(Metrics);

impl Drop for ProfileRunning {
    fn drop(&mut self) {
        let mut r = self.0.registry();
        r.profiles_running = r.profiles_running.saturating_sub(1);
    }
}

struct ModelStats {
    calls: u64,
    prompt_tokens: u64,
    completion_tokens: u64,
    latency: Histogram,
}

/// What the shared backends said at scrape time; `None` where one could not answer.
pub(crate) struct Scrape {
    pub(crate) counts: Option<JobCounts>,
    pub(crate) queue_depth: Option<usize>,
    pub(crate) sandbox: SandboxStatus,
    pub(crate) now: DateTime<Utc>,
}

impl Metrics {
    fn registry(&self) -> MutexGuard<'_, Registry> {
        // Each section is a few map updates: a poisoned lock is still consistent.
        self.registry.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts one HTTP request by its route template (`/api/excel/jobs/{id}`, never the
    /// raw path, so ids do not make new series) and status, with its time to the head.
    pub fn observe_http(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let mut r = self.registry();
        *r.http
            .entry((method.to_string(), route.to_string(), status))
            .or_default() += 1;
        r.http_seconds
            .entry((method.to_string(), route.to_string()))
            .or_insert_with(|| Histogram::new(HTTP_BUCKETS))
            .observe(elapsed.as_secs_f64());
    }

    /// One stage of one job took `seconds`.
    pub(crate) fn observe_stage(&self, kind: JobKind, stage: Stage, seconds: f64) {
        self.registry()
            .stages
            .entry((kind.as_str(), stage.as_str()))
            .or_insert_with(|| Histogram::new(STAGE_BUCKETS))
            .observe(seconds);
    }

    /// A program the validator rejected, counted once under each rule that found
    /// something in it.
    pub(crate) fn count_rejection(&self, violations: &[Violation]) {
        let rules: BTreeSet<&str> = violations.iter().map(|v| v.code.as_str()).collect();
        let mut r = self.registry();
        for rule in rules {
            *r.rejections.entry(rule.to_string()).or_default() += 1;
        }
    }

    /// One answered model call, with the tokens the endpoint reported.
    pub(crate) fn observe_model_call(&self, call: &ModelCall) {
        let mut r = self.registry();
        let stats = r
            .model
            .entry((call.purpose.clone(), call.model.clone()))
            .or_insert_with(|| ModelStats {
                calls: 0,
                prompt_tokens: 0,
                completion_tokens: 0,
                latency: Histogram::new(MODEL_BUCKETS),
            });
        stats.calls += 1;
        stats.prompt_tokens += call.prompt_tokens.unwrap_or(0);
        stats.completion_tokens += call.completion_tokens.unwrap_or(0);
        stats.latency.observe(call.latency_ms / 1000.0);
    }

    /// A profile starts; it is counted as running until the guard is dropped.
    pub(crate) fn profile_running(&self) -> ProfileRunning {
        self.registry().profiles_running += 1;
        ProfileRunning(self.clone())
    }

    /// A profile stopped early because its submission went away.
    pub(crate) fn count_profile_cancelled(&self) {
        self.registry().profiles_cancelled += 1;
    }

    /// The retention sweeper deleted `jobs` expired jobs.
    pub(crate) fn count_swept(&self, jobs: u64) {
        self.registry().swept += jobs;
    }

    /// The whole exposition: the scrape-time values, then this process's families.
    pub(crate) fn render(&self, scrape: &Scrape) -> String {
        let mut t = Text::new();
        render_scrape(&mut t, scrape);
        let r = self.registry();
        t.family(
            "office_stage_duration_seconds",
            "histogram",
            "Time each pipeline stage took, by job kind and stage (jobs run by this process).",
        );
        for ((kind, stage), h) in &r.stages {
            t.histogram(
                "office_stage_duration_seconds",
                &[("kind", kind), ("stage", stage)],
                h,
            );
        }
        t.family(
            "office_validator_rejections_total",
            "counter",
            "Programs the code policy rejected, by rule (a program counts once per rule it broke).",
        );
        for (rule, n) in &r.rejections {
            t.sample(
                "office_validator_rejections_total",
                &[("rule", rule)],
                *n as f64,
            );
        }
        render_model(&mut t, &r);
        t.family(
            "office_http_requests_total",
            "counter",
            "HTTP requests answered, by method, route template and status.",
        );
        for ((method, route, status), n) in &r.http {
            let status = status.to_string();
            t.sample(
                "office_http_requests_total",
                &[("method", method), ("route", route), ("status", &status)],
                *n as f64,
            );
        }
        t.family(
            "office_http_request_duration_seconds",
            "histogram",
            "Time to the response's head, by method and route template.",
        );
        for ((method, route), h) in &r.http_seconds {
            t.histogram(
                "office_http_request_duration_seconds",
                &[("method", method), ("route", route)],
                h,
            );
        }
        t.family(
            "office_retention_deleted_jobs_total",
            "counter",
            "Expired jobs (and their files) the retention sweeper of this process deleted.",
        );
        t.sample("office_retention_deleted_jobs_total", &[], r.swept as f64);
        t.family(
            "office_profiles_running",
            "gauge",
            "Uploads this process is profiling now.",
        );
        t.sample("office_profiles_running", &[], r.profiles_running as f64);
        t.family(
            "office_profiles_cancelled_total",
            "counter",
            "Profiles this process stopped because their client went away.",
        );
        t.sample(
            "office_profiles_cancelled_total",
            &[],
            r.profiles_cancelled as f64,
        );
        t.finish()
    }
}

fn render_scrape(t: &mut Text, scrape: &Scrape) {
    t.family(
        "office_backend_up",
        "gauge",
        "Whether the backend answered this scrape (1) or not (0).",
    );
    let up = |ok: bool| if ok { 1.0 } else { 0.0 };
    t.sample(
        "office_backend_up",
        &[("backend", "store")],
        up(scrape.counts.is_some()),
    );
    t.sample(
        "office_backend_up",
        &[("backend", "queue")],
        up(scrape.queue_depth.is_some()),
    );
    if let Some(counts) = &scrape.counts {
        t.family(
            "office_jobs",
            "gauge",
            "Jobs in the store, by kind and status (every process sharing the store).",
        );
        for kind in JobKind::ALL {
            for status in JobStatus::ALL {
                t.sample(
                    "office_jobs",
                    &[("kind", kind.as_str()), ("status", status.as_str())],
                    counts.get(*kind, *status) as f64,
                );
            }
        }
        // Per tenant beside the totals, so that `office_jobs` stays one complete grid
        // (an alert on a total needs no `sum by`), and a tenant's series exist once it
        // has a job.
        t.family(
            "office_tenant_jobs",
            "gauge",
            "Jobs in the store of each tenant that has any, by kind and status.",
        );
        for tenant in counts.tenants() {
            for kind in JobKind::ALL {
                for status in JobStatus::ALL {
                    t.sample(
                        "office_tenant_jobs",
                        &[
                            ("tenant", tenant.as_str()),
                            ("kind", kind.as_str()),
                            ("status", status.as_str()),
                        ],
                        counts.get_for(tenant, *kind, *status) as f64,
                    );
                }
            }
        }
        t.family(
            "office_queue_oldest_age_seconds",
            "gauge",
            "Seconds since the oldest queued job was submitted (0 when none waits).",
        );
        let age = counts.oldest_queued.map_or(0.0, |at| {
            ((scrape.now - at).num_milliseconds().max(0) as f64) / 1000.0
        });
        t.sample("office_queue_oldest_age_seconds", &[], age);
    }
    if let Some(depth) = scrape.queue_depth {
        t.family(
            "office_queue_depth",
            "gauge",
            "Jobs waiting in the work queue to be taken by a worker.",
        );
        t.sample("office_queue_depth", &[], depth as f64);
    }
    t.family(
        "office_sandbox_state",
        "gauge",
        "The sandbox self-test's state: 1 for the current one.",
    );
    let current = sandbox_state(&scrape.sandbox);
    for state in ["not_checked", "checking", "holds", "refused", "degraded"] {
        t.sample(
            "office_sandbox_state",
            &[("state", state)],
            if state == current { 1.0 } else { 0.0 },
        );
    }
}

fn render_model(t: &mut Text, r: &Registry) {
    t.family(
        "office_model_calls_total",
        "counter",
        "Answered model calls, by purpose (generate, narrate) and model.",
    );
    for ((purpose, model), s) in &r.model {
        t.sample(
            "office_model_calls_total",
            &[("purpose", purpose), ("model", model)],
            s.calls as f64,
        );
    }
    t.family(
        "office_model_tokens_total",
        "counter",
        "Tokens the model endpoint reported, by purpose, model and type (prompt, completion).",
    );
    for ((purpose, model), s) in &r.model {
        for (kind, n) in [
            ("prompt", s.prompt_tokens),
            ("completion", s.completion_tokens),
        ] {
            t.sample(
                "office_model_tokens_total",
                &[("purpose", purpose), ("model", model), ("type", kind)],
                n as f64,
            );
        }
    }
    t.family(
        "office_model_latency_seconds",
        "histogram",
        "Time of a model call, retries included, by purpose and model.",
    );
    for ((purpose, model), s) in &r.model {
        t.histogram(
            "office_model_latency_seconds",
            &[("purpose", purpose), ("model", model)],
            &s.latency,
        );
    }
}

/// The label value of a sandbox status.
fn sandbox_state(status: &SandboxStatus) -> &'static str {
    match status {
        SandboxStatus::NotChecked => "not_checked",
        SandboxStatus::Checking => "checking",
        SandboxStatus::Holds => "holds",
        SandboxStatus::Refused(_) => "refused",
        SandboxStatus::Degraded(_) => "degraded",
    }
}
