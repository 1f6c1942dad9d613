//! The offline planner as an embedder calls it: `OfflinePlanner` through the
//! `CodeGenerator` trait, for the suites that run or validate what it plans.
#![allow(dead_code)]

use office_core::{
    CodeGenerator, FileProfile, JobKind, OfflinePlanner, Plan, PlanError, PlanRequest,
};
use serde_json::{Map, Value};
use std::task::{Context, Poll, Waker};

/// What the offline planner writes for `prompt` on `profiles` as a job of `kind`.
pub fn offline_plan(
    kind: JobKind,
    prompt: &str,
    profiles: &[FileProfile],
    params: &Map<String, Value>,
) -> Result<Plan, PlanError> {
    let request = PlanRequest {
        kind,
        prompt,
        profiles,
        params,
        previous_error: None,
        previous_code: None,
        calls: None,
    };
    let mut generate = OfflinePlanner.generate(&request);
    // The offline planner never waits: its future is ready at the first poll.
    match generate
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(planned) => planned,
        Poll::Pending => panic!("the offline planner waited"),
    }
}

/// What the offline planner writes for an excel job.
pub fn plan_excel(prompt: &str, profiles: &[FileProfile]) -> Result<Plan, PlanError> {
    offline_plan(JobKind::Excel, prompt, profiles, &Map::new())
}
