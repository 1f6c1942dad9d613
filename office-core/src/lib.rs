//! office-core: the engine behind every face of office.
//!
//! A user hands over office files and a request in plain language; the engine profiles
//! the files, writes Python that does the work, checks it, runs it sandboxed and keeps
//! what it made. This crate knows nothing of HTTP or Python bindings.
//!
//! # What an embedder uses
//! Everything public is re-exported here, at the root; the modules themselves are
//! crate-private.
//! - [`Engine`], built by [`EngineBuilder`] from a [`Config`]: submit a [`Submission`],
//!   get, list, wait for, cancel and delete [`Job`]s, read their artifacts, run workers.
//! - The job model: [`Job`], [`JobStatus`], [`JobError`] and its [`ErrorCode`],
//!   [`JobEvent`], [`Artifact`], [`ReportParams`].
//! - Backends to plug into the builder: [`Store`] ([`SqliteStore`], [`PostgresStore`],
//!   [`MemoryStore`]), [`Queue`] ([`MemoryQueue`], [`RedisQueue`]), [`ArtifactStorage`]
//!   ([`FsArtifacts`], [`MemoryArtifacts`]), [`CodeGenerator`] ([`OfflinePlanner`],
//!   [`LlmGenerator`]) and [`Executor`] ([`ProcessExecutor`], [`PoolExecutor`], behind a
//!   [`SelfCheckedExecutor`]).
//! - The stages on their own: [`profile_file`] reads what is in a file, [`validate`]
//!   checks a program against a [`Policy`], an [`Executor`] runs one in the sandbox, and
//!   the host probes ([`cgroup_support`], [`probe_job_namespaces`], ...) say what the
//!   sandbox gets on this machine.
//!
//! # Inside
//! - `job`: the job model every face and backend shares.
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

#![warn(missing_docs, unreachable_pub)]

pub(crate) mod artifacts;
pub(crate) mod book;
pub(crate) mod cells;
pub(crate) mod collect;
pub(crate) mod config;
pub(crate) mod engine;
pub(crate) mod error;
pub(crate) mod events;
pub(crate) mod execute;
pub(crate) mod job;
pub(crate) mod keys;
pub(crate) mod kind;
pub(crate) mod metrics;
#[cfg(feature = "openapi")]
mod openapi;
pub(crate) mod plan;
pub(crate) mod profile;
pub(crate) mod queue;
pub(crate) mod readiness;
pub(crate) mod report;
pub(crate) mod retention;
pub(crate) mod runner;
pub(crate) mod startup;
pub(crate) mod store;
pub(crate) mod submission;
pub(crate) mod validate;
pub(crate) mod worker;

// The engine, its builder and configuration.
pub use config::{
    ApiKey, ArtifactsLocation, Config, Limits, LlmConfig, Paper, ReportSettings, S3Settings,
    SandboxMode, SandboxSettings,
};
pub use engine::{Backends, Engine, EngineBuilder, QuotaExceeded, RecoveryReport, RuntimeStatus};
pub use error::{Error, Result};
pub use events::NumberedEvent;
pub use keys::{KeyHash, Keyring, KeysFile, KeysFormat, TenantKeys};
pub use metrics::Metrics;
pub use metrics::text::CONTENT_TYPE as METRICS_CONTENT_TYPE;
pub use readiness::{Readiness, ReadinessCheck};
pub use submission::{Submission, Upload};
pub use worker::WorkerPool;

// The job model.
pub use job::{
    Artifact, ArtifactKind, Caller, ErrorCode, EventBody, InputFile, Job, JobCount, JobCounts,
    JobError, JobEvent, JobFilter, JobId, JobKind, JobStatus, LogLevel, ParentContext, Quotas,
    Stage, StageTiming, TenantId, TenantUsage, Thread, Usage,
};
// Job lists, a page at a time.
pub use job::{
    DEFAULT_PAGE_SIZE, JobPage, JobSummary, MAX_PAGE_SIZE, PagePosition, PageQuery, PageRequest,
};
pub use kind::report::ReportParams;
// A page of a job's workbook, as a table.
pub use cells::{
    Cell, DEFAULT_SHEET_ROWS, MAX_SHEET_COLUMNS, MAX_SHEET_ROWS, SheetPage, SheetRequest, SheetRow,
};
pub use report::render::ReportFormat;

// Backends: metadata, work queue, job files.
pub use artifacts::{ArtifactStorage, ArtifactStream, FsArtifacts, MemoryArtifacts, S3Artifacts};
pub use queue::{Lease, MemoryQueue, Queue, RedisQueue};
pub use store::{Claim, InsertCheck, MemoryStore, PostgresStore, RunningLimit, SqliteStore, Store};

// Code generators: the trait, what it is given and returns, the two implementations.
pub use plan::llm::LlmGenerator;
pub use plan::planner::OfflinePlanner;
pub use plan::{
    CallLog, CodeGenerator, GeneratorChoice, ModelCall, Narrative, NarrativeRequest, Plan,
    PlanError, PlanRequest,
};

// The profiler.
pub use profile::{
    ColumnProfile, ColumnType, CsvDialect, FileFormat, FileProfile, ProfileError, SheetProfile,
    profile_file,
};

// The code policy.
pub use validate::{Lifecycle, Policy, Rule, Violation, rules, validate};

// The sandbox: executors, what a run is given and returns, the self-test, host probes.
pub use execute::selftest::{
    Canary, ENV_CANARY, SandboxStatus, SelfCheckedExecutor, SelfTest, run_self_test,
};
pub use execute::{
    CgroupSupport, ExecOutcome, ExecRequest, Executor, ExitKind, JobNamespaces, NetworkIsolation,
    PoolExecutor, PoolOptions, ProcessExecutor, PythonError, cgroup_support, landlock_abi,
    probe_job_namespaces, probe_network_isolation, python_version, seccomp_available,
};

/// What this workspace's own tests and benchmarks need beyond the facade: the Store and
/// Queue conformance suites (which every backend's tests run), the collect's bounded
/// workbook scan (benchmarked on its own, `benches/benches/bounded.rs`), the scripted
/// model server the model tests talk to, and the report's default prompt. Not part of
/// the API, so hidden from the docs; the suites and the server are only built with the
/// `test-utils` feature.
#[doc(hidden)]
pub mod test_support {
    #[cfg(any(test, feature = "test-utils"))]
    pub use crate::artifacts::conformance as artifact_conformance;
    /// The S3-compatible test server (moto on loopback): buckets, a proxy to cut.
    #[cfg(any(test, feature = "test-utils"))]
    pub use crate::artifacts::s3_testing as s3;
    pub use crate::collect::external::{Budget, ExternalReference, scan_workbook};
    /// The host SysV segment the self-test offers to jobs, for the containment tests.
    pub use crate::execute::sysv;
    #[cfg(any(test, feature = "test-utils"))]
    pub use crate::plan::llm::fake::{FakeLlm, Received, Reply};
    #[cfg(any(test, feature = "test-utils"))]
    pub use crate::queue::conformance as queue_conformance;
    pub use crate::report::DEFAULT_PROMPT as DEFAULT_REPORT_PROMPT;
    #[cfg(any(test, feature = "test-utils"))]
    pub use crate::store::conformance as store_conformance;
    /// Renders a report's documents from its Markdown and the charts in `dir`, as a job's
    /// finish step does (`benches/benches/report_documents.rs`): each format's bytes, or
    /// why it could not be made.
    pub fn render_report_documents(
        markdown: &str,
        dir: &std::path::Path,
        formats: &[crate::ReportFormat],
        python: &std::path::Path,
    ) -> Vec<(crate::ReportFormat, Result<Vec<u8>, String>)> {
        crate::report::render::Renderer::new(&crate::ReportSettings::default(), python)
            .render(markdown, dir, formats, "")
    }
    /// The excel write-back, for the benchmarks (`benches/benches/writeback.rs`).
    pub mod writeback_bench {
        /// Applies an edit script (as `edits.json` holds it) to a workbook: the output's
        /// bytes and how many changes it lists.
        pub fn apply(input: &[u8], edits_json: &str) -> Result<(Vec<u8>, usize), String> {
            apply_named(input, "bench.xlsx", edits_json)
        }

        /// As [`apply`], for an input named `name` (`.csv` for a table file): the
        /// output's bytes and how many changes it lists.
        pub fn apply_named(
            input: &[u8],
            name: &str,
            edits_json: &str,
        ) -> Result<(Vec<u8>, usize), String> {
            let edits: crate::book::edits::Edits =
                serde_json::from_str(edits_json).map_err(|e| e.to_string())?;
            let applied = crate::book::apply::apply(input, name, &edits).map_err(|e| e.message)?;
            Ok((applied.bytes, applied.fidelity.changes.len()))
        }

        /// Files by name, in order.
        pub type NamedFiles = Vec<(String, Vec<u8>)>;

        /// Every file an edit script's write-back gives for an input named `name`: the
        /// output workbook first, then the others (`output.csv` for a table file), with
        /// the notes of what could not be kept.
        pub fn apply_outputs(
            input: &[u8],
            name: &str,
            edits_json: &str,
        ) -> Result<(NamedFiles, Vec<String>), String> {
            let edits: crate::book::edits::Edits =
                serde_json::from_str(edits_json).map_err(|e| e.to_string())?;
            let applied = crate::book::apply::apply(input, name, &edits).map_err(|e| e.message)?;
            let files = std::iter::once((applied.file_name, applied.bytes))
                .chain(applied.also)
                .collect();
            Ok((files, applied.fidelity.lost))
        }
    }
    /// Recalculation end to end, for the benchmarks (`benches/benches/recalc.rs`).
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

        /// The workbook with every formula evaluated by the embedded engine and its
        /// result written as the cached value (so tests check formulas, not the caches the
        /// job wrote).
        pub fn recalculated(xlsx: &[u8]) -> Result<Vec<u8>, String> {
            use crate::book::recalc;
            let values = recalc::evaluate(xlsx).map_err(|e| e.to_string())?;
            recalc::fill_cached(xlsx, &values, false).map_err(|e| e.to_string())
        }
    }
}
