//! Plan stage: turn a request in plain language plus the file profiles into a Python
//! program. The offline planner (`planner`) is the embedded default; an LLM-backed
//! generator (`llm`) plugs in behind the same trait.

pub(crate) mod llm;
pub(crate) mod planner;

use crate::job::JobKind;
use crate::profile::FileProfile;
use serde::{Deserialize, Serialize};

/// What a generator gets to write a program.
#[derive(Debug, Clone)]
pub struct PlanRequest<'a> {
    /// The kind of job the program is for (what it must write).
    pub kind: JobKind,
    /// The user's request in plain language.
    pub prompt: &'a str,
    /// One profile per input, in input order (the first is `INPUT_PATH`).
    pub profiles: &'a [FileProfile],
    /// Kind-specific request fields (report title, template, notes).
    pub params: &'a serde_json::Map<String, serde_json::Value>,
    /// The previous attempt's failure, for generators that can repair.
    pub previous_error: Option<&'a str>,
    /// The previous attempt's program, the one `previous_error` is about.
    pub previous_code: Option<&'a str>,
    /// Where a generator that calls a model records each call (tokens, latency).
    pub calls: Option<&'a CallLog>,
    /// For a follow-up: the job it follows up (its request, steps and program). The
    /// files are already that job's results (see `ParentContext::files`).
    pub parent: Option<&'a crate::job::ParentContext>,
}

/// One request to a model: what it cost and how long it took.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelCall {
    /// What the call was for: `generate`, `narrate`.
    pub purpose: String,
    /// The model that answered.
    pub model: String,
    /// Tokens of the prompt, as the endpoint reported them.
    pub prompt_tokens: Option<u64>,
    /// Tokens of the answer, as the endpoint reported them.
    pub completion_tokens: Option<u64>,
    /// Both together, as the endpoint reported them.
    pub total_tokens: Option<u64>,
    /// From sending the first try to the last byte of the answer, retries included.
    pub latency_ms: f64,
    /// Tries made (1 when the first answer was used).
    pub tries: u32,
}

/// The model calls of one job, in order. Shared by the runner and the generator.
#[derive(Debug, Default)]
pub struct CallLog {
    // std Mutex: held only to push or copy, never across an await.
    calls: std::sync::Mutex<Vec<ModelCall>>,
}

impl CallLog {
    /// Records one call.
    pub fn push(&self, call: ModelCall) {
        self.calls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(call);
    }

    /// The calls so far, in order.
    pub fn calls(&self) -> Vec<ModelCall> {
        self.calls.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Which generator a job asks for (`generator` on a submission).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GeneratorChoice {
    /// The model when one is configured, else the offline planner.
    #[default]
    Auto,
    /// The offline planner, whatever is configured.
    Planner,
    /// The configured model; refused at submission when none is.
    Llm,
}

impl GeneratorChoice {
    /// The key in `Job::params` that carries the choice.
    pub const PARAM: &'static str = "generator";

    /// The name a submission and `Job::params` carry (`auto`, `planner`, `llm`).
    pub fn as_str(self) -> &'static str {
        match self {
            GeneratorChoice::Auto => "auto",
            GeneratorChoice::Planner => "planner",
            GeneratorChoice::Llm => "llm",
        }
    }

    /// The choice a job's params carry; absent means `auto`.
    pub fn from_params(
        params: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<Self, String> {
        match params.get(Self::PARAM) {
            None | Some(serde_json::Value::Null) => Ok(GeneratorChoice::Auto),
            Some(serde_json::Value::String(s)) => s.parse(),
            Some(other) => Err(format!(
                "generator must be one of auto, planner, llm; got {other}"
            )),
        }
    }
}

impl std::str::FromStr for GeneratorChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "auto" => Ok(GeneratorChoice::Auto),
            "planner" => Ok(GeneratorChoice::Planner),
            "llm" => Ok(GeneratorChoice::Llm),
            _ => Err(format!(
                "generator must be one of auto, planner, llm; got '{}'",
                s.trim()
            )),
        }
    }
}

/// A program and what it is meant to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The Python program.
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
    /// Why: `request_not_understood`, `column_not_found`, `llm_timeout`, ...
    pub code: crate::job::ErrorCode,
    /// What went wrong, for the user.
    pub message: String,
    /// What the generator did understand, in plain words.
    pub understood: Vec<String>,
    /// The operations it supports.
    pub operations: Vec<String>,
    /// The columns it could work with.
    pub columns: Vec<String>,
    /// Requests close to this one that the generator can do, each ready to resubmit
    /// (a boxed slice keeps the error small).
    #[serde(default)]
    pub suggestions: Box<[String]>,
}

/// What went wrong with the previous program, as a generator that repairs is told it
/// (`llm::feedback` writes it for a model).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Setback {
    /// The reply held no program.
    NoCode,
    /// The validator's findings.
    Rejected(Vec<crate::validate::Violation>),
    /// It raised (`python`), or stopped with an error and no exception (`stderr_tail`).
    Raised {
        python: Option<crate::execute::PythonError>,
        message: String,
        stderr_tail: String,
    },
    /// It ran but did not write the file its kind requires.
    NoOutput { expected: String },
    /// It ran, but what it wrote was not accepted: an edit script that is not valid, or
    /// whose result fails the check against the input (new formula errors, references
    /// the edit would break), with the places found.
    Unaccepted {
        message: String,
        places: Vec<crate::book::Place>,
    },
}

/// What a narrator gets to write a report's prose: the computed facts and nothing else,
/// so that every number it can quote is one the executed program wrote.
#[derive(Debug, Clone)]
pub struct NarrativeRequest<'a> {
    /// The user's request in plain language.
    pub prompt: &'a str,
    /// The report's title.
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
    /// The prose, Markdown.
    pub markdown: String,
    /// Which generator wrote it: `templates`, `llm:<model>`.
    pub generator: String,
}

/// Writes a job's program (and, optionally, a report's prose); the engine's plan stage.
#[async_trait::async_trait]
pub trait CodeGenerator: Send + Sync + 'static {
    /// Short name recorded on the job (`planner`).
    fn name(&self) -> String;

    /// Writes the program for `req`, or says why it cannot.
    async fn generate(&self, req: &PlanRequest<'_>) -> Result<Plan, PlanError>;

    /// Programs written per job at most. A generator that learns from a failure (a model
    /// shown the findings or the traceback) gets more than one try; a deterministic one
    /// would only write the same program again.
    fn max_attempts(&self) -> u32 {
        1
    }

    /// Writes a report's narrative from computed facts. `None`: this generator writes
    /// no prose and the built-in templates do (the offline default).
    async fn narrate(&self, _req: &NarrativeRequest<'_>) -> Option<Result<Narrative, PlanError>> {
        None
    }
}
