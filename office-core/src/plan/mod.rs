//! Plan stage: turn a request in plain language plus the file profiles into a Python
//! program. The offline planner (`planner`) is the embedded default; an LLM-backed
//! generator plugs in behind the same trait.

pub mod planner;

use crate::job::JobKind;
use crate::profile::FileProfile;
use serde::{Deserialize, Serialize};

/// What a generator gets to write a program.
#[derive(Debug, Clone)]
pub struct PlanRequest<'a> {
    pub kind: JobKind,
    pub prompt: &'a str,
    /// One profile per input, in input order (the first is `INPUT_PATH`).
    pub profiles: &'a [FileProfile],
    /// Kind-specific request fields (report title, template, notes).
    pub params: &'a serde_json::Map<String, serde_json::Value>,
    /// The previous attempt's failure, for generators that can repair.
    pub previous_error: Option<&'a str>,
}

/// A program and what it is meant to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub code: String,
    /// Which generator wrote it: `planner`, `llm:<model>`.
    pub generator: String,
    /// The steps in plain words, in order ("sorted by Revenue, descending").
    pub steps: Vec<String>,
    /// The main output file the program writes into `OUTPUT_DIR` (e.g. `output.xlsx`).
    pub output: Option<String>,
}

/// The request could not be turned into a program. The message says what was
/// understood and what the generator can do, so the user can rephrase.
#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize, Deserialize)]
#[error("{message}")]
pub struct PlanError {
    /// Stable slug: `request_not_understood`, `column_not_found`, `generator_unavailable`.
    pub code: String,
    pub message: String,
    /// What the generator did understand, in plain words.
    pub understood: Vec<String>,
    /// The operations it supports.
    pub operations: Vec<String>,
    /// The columns it could work with.
    pub columns: Vec<String>,
}

/// What a narrator gets to write a report's prose: the computed facts and nothing else,
/// so that every number it can quote is one the executed program wrote.
#[derive(Debug, Clone)]
pub struct NarrativeRequest<'a> {
    pub prompt: &'a str,
    pub title: &'a str,
    /// The user's notes, to be woven in where they belong.
    pub notes: &'a str,
    /// The section headings to fill, in order (from the template).
    pub sections: &'a [String],
    /// `analysis.json` as the executed program wrote it.
    pub analysis: &'a serde_json::Value,
}

/// A report's prose, Markdown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Narrative {
    pub markdown: String,
    /// Which generator wrote it: `templates`, `llm:<model>`.
    pub generator: String,
}

#[async_trait::async_trait]
pub trait CodeGenerator: Send + Sync + 'static {
    /// Short name recorded on the job (`planner`).
    fn name(&self) -> String;

    async fn generate(&self, req: &PlanRequest<'_>) -> Result<Plan, PlanError>;

    /// Writes a report's narrative from computed facts. `None`: this generator writes
    /// no prose and the built-in templates do (the offline default).
    async fn narrate(&self, _req: &NarrativeRequest<'_>) -> Option<Result<Narrative, PlanError>> {
        None
    }
}
