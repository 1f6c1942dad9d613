//! Job kinds: what makes an excel, an analytics and a report job different, one module
//! each, behind one trait, dispatched in one place (`of`).
//!
//! A kind owns its typed request fields and their checks at intake, the contract its
//! program must meet (the file it writes into `OUTPUT_DIR` and the text a model is given
//! about it), and its finish step, which turns what the program wrote into the kind's
//! results. The engine, the runner, the prompt builder and the faces ask the kind; none
//! of them knows a kind's file names.
//!
//! Adding a kind: one file here implementing `Kind`, one `JobKind` variant, one arm in `of`.

#![warn(missing_docs, unreachable_pub)]

pub(crate) mod analytics;
pub(crate) mod excel;
pub(crate) mod report;

use crate::error::Result;
use crate::job::{Artifact, ArtifactKind, Job, JobError, JobKind};
use crate::plan::CodeGenerator;
use crate::profile::FileProfile;
use crate::submission::Submission;
use bytes::Bytes;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// The program every kind runs is kept under this name.
pub(crate) const CODE_FILE: &str = "generated.py";
/// The job's own account of its run (see `runner::record`).
pub(crate) const SUMMARY_FILE: &str = "summary.json";
/// What a program may write about its own run; kept in the summary as `program_report`.
pub(crate) const PROGRAM_REPORT_FILE: &str = "result.json";

/// What one kind's program must write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Contract {
    /// The file the program must leave in `OUTPUT_DIR`.
    pub output: &'static str,
    /// The contract as a model reads it (one bullet of its system message).
    pub prompt: &'static str,
}

/// What a kind's finish step gets: the job, its inputs' profiles, and the bytes of the
/// kind's output file as collected (never read back from storage).
pub(crate) struct FinishInput<'a> {
    pub job: &'a Job,
    pub profiles: &'a [FileProfile],
    /// `Contract::output` as the program wrote it; `None` when it wrote none.
    pub output: Option<&'a Bytes>,
    /// The generator that wrote the program (a report's narrator).
    pub generator: &'a dyn CodeGenerator,
    /// Local paths of the job's inputs, in the order of `job.inputs`.
    pub inputs: &'a [PathBuf],
    /// The program's output folder, as it left it.
    pub output_dir: &'a Path,
    /// Makes a report's documents (the paper, the fonts).
    pub documents: &'a crate::report::render::Renderer,
}

/// What a finish step made.
#[derive(Debug, Default)]
pub(crate) struct Finished {
    /// Fields the kind adds to summary.json.
    pub results: KindResults,
    /// Files to store as artifacts of the job.
    pub files: Vec<(ArtifactKind, String, Bytes)>,
    /// Artifacts to list that are already stored (a report's inputs).
    pub listed: Vec<Artifact>,
    /// Said in the job's log, as warnings.
    pub warnings: Vec<String>,
}

/// The kind-specific part of a run's record, kept in summary.json.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) enum KindResults {
    /// Nothing beyond the common fields.
    #[default]
    None,
    Excel(excel::Results),
    Analytics(analytics::Results),
    Report(report::Summary),
}

impl KindResults {
    /// Adds this kind's fields to summary.json.
    pub(crate) fn write_into(&self, summary: &mut Map<String, Value>) {
        match self {
            KindResults::None => {}
            KindResults::Excel(r) => r.write_into(summary),
            KindResults::Analytics(r) => r.write_into(summary),
            KindResults::Report(r) => r.write_into(summary),
        }
    }
}

/// One job kind.
#[async_trait::async_trait]
pub(crate) trait Kind: Send + Sync {
    /// Checks (and may normalise) a submission of this kind before a job exists.
    fn intake(&self, _submission: &mut Submission) -> Result<()> {
        Ok(())
    }

    /// What the program must write.
    fn contract(&self) -> Contract;

    /// A file the program may write instead of `contract().output` (a workbook an excel
    /// program saved itself); its finish step decides whether to accept it, and stores
    /// it when it does (the collect leaves it out).
    fn also_accepted(&self) -> Option<&'static str> {
        None
    }

    /// Requests of this kind the offline planner plans (over a sheet with such columns),
    /// shown to people as hints.
    fn examples(&self) -> &'static [&'static str] {
        &[]
    }

    /// Turns what the program wrote into the kind's results, after collect.
    async fn finish(&self, input: FinishInput<'_>) -> std::result::Result<Finished, JobError>;
}

/// The one place a `JobKind` becomes its module.
pub(crate) fn of(kind: JobKind) -> &'static dyn Kind {
    match kind {
        JobKind::Excel => &excel::Excel,
        JobKind::Analytics => &analytics::Analytics,
        JobKind::Report => &report::Report,
    }
}

impl JobKind {
    /// Requests of this kind the offline planner plans, for hints: each names columns
    /// the way a user would (`revenue`, `region`), to be read as "a request like this".
    pub fn examples(self) -> &'static [&'static str] {
        of(self).examples()
    }
}

/// The kind's output file parsed as JSON, or the error a job ends with.
pub(crate) fn output_json(
    input: &FinishInput<'_>,
    name: &str,
) -> std::result::Result<Value, JobError> {
    let data = input.output.ok_or_else(|| {
        JobError::new(
            crate::job::ErrorCode::NoOutput,
            format!("the program finished but did not write {name}"),
        )
    })?;
    serde_json::from_slice(data).map_err(|e| {
        JobError::new(
            crate::job::ErrorCode::InvalidOutput,
            format!("the program wrote {name}, but it is not valid JSON: {e}"),
        )
    })
}

#[cfg(test)]
mod tests;
