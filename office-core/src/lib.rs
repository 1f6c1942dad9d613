//! office-core: the engine behind every face of office.
//!
//! A user hands over office files and a request in plain language; the engine profiles
//! the files, writes Python that does the work, checks it, runs it sandboxed and keeps
//! what it made. This crate knows nothing of HTTP or Python bindings.
//!
//! # Layout
//! - `job`: the job model (`Job`, `Artifact`, `JobEvent`, `ErrorCode`) every face and
//!   backend shares.
//! - `kind`: one module per job kind (excel, analytics, report): its request fields,
//!   intake checks, the contract its program meets, and its finish step.
//! - `engine`: the entry point for faces: submit, get, list, delete, read artifacts.
//! - `worker`: takes jobs from the queue and runs them; recovery after a restart.
//! - `runner`: one job through the pipeline's stages:
//!   - `profile`: what is in each file (calamine, csv sniffing);
//!   - `plan`: a `CodeGenerator` writes the program (offline planner by default, a model
//!     over any OpenAI-compatible endpoint when configured: `plan::llm`);
//!   - `validate`: a policy on the program's AST;
//!   - `execute`: the program runs in a confined CPython process;
//!   - `collect`: artifacts taken from the output folder;
//!   - then the kind's finish step, and summary.json written once from the run's record;
//!   - `report`: report templates, narrative and number check (used by `kind::report`).
//! - `store`: job metadata (`Store`: SQLite, PostgreSQL, in-memory).
//! - `queue`: work distribution (`Queue`: in-process, Redis Streams).
//! - `artifacts`: job files (`ArtifactStorage`: local folders).
//! - `config`, `error`: configuration from the environment; the one error type.

pub mod artifacts;
pub(crate) mod book;
pub(crate) mod collect;
/// The collect's bounded workbook scan, for the benchmarks (`benches/benches/bounded.rs`).
#[cfg(feature = "test-utils")]
pub mod collect_scan {
    pub use crate::collect::external::{Budget, ExternalReference, scan_workbook};
}
/// Recalculation end to end, for the benchmarks (`benches/benches/recalc.rs`).
#[cfg(feature = "test-utils")]
pub mod recalc_bench {
    use std::time::{Duration, Instant};

    /// Evaluates every formula of the workbook, then writes every result back as its
    /// cached value: (formulas evaluated, errors found, evaluation time, write-back time).
    pub fn recalculate(xlsx: &[u8]) -> Result<(usize, usize, Duration, Duration), String> {
        use crate::book::recalc;
        let clock = Instant::now();
        let values = recalc::evaluate(xlsx).map_err(|e| e.to_string())?;
        let evaluated = clock.elapsed();
        let clock = Instant::now();
        recalc::fill_cached(xlsx, &values, false).map_err(|e| e.to_string())?;
        Ok((
            values.len(),
            recalc::errors(&values).len(),
            evaluated,
            clock.elapsed(),
        ))
    }
}
pub mod config;
pub mod engine;
pub mod error;
pub mod execute;
pub mod job;
pub(crate) mod kind;
pub mod plan;
pub mod profile;
pub mod queue;
pub mod report;
pub(crate) mod runner;
pub mod store;
pub(crate) mod submission;
pub mod validate;
pub(crate) mod worker;

// What an embedder uses, in one place: the engine and its builder, configuration, the
// job model, the backends, the code policy and the profiler.
pub use artifacts::{ArtifactStorage, FsArtifacts, MemoryArtifacts};
pub use config::{Config, Limits, LlmConfig};
pub use engine::{Backends, Engine, EngineBuilder, RecoveryReport, Submission, Upload};
pub use error::{Error, Result};
pub use job::{
    Artifact, ArtifactKind, ErrorCode, EventBody, InputFile, Job, JobError, JobEvent, JobFilter,
    JobId, JobKind, JobStatus, LogLevel, Stage, StageTiming,
};
pub use kind::report::ReportParams;
pub use plan::{CodeGenerator, GeneratorChoice, Plan, PlanError, PlanRequest};
pub use profile::{FileProfile, profile_file};
pub use queue::{MemoryQueue, Queue, RedisQueue};
pub use store::{MemoryStore, PostgresStore, SqliteStore, Store};
pub use validate::{Policy, Rule, Violation, validate};
pub use worker::WorkerPool;
