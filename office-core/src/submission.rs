//! What a face hands the engine to create a job: the kind, the request, the files and
//! the kind's fields. Kept apart from the engine so the kinds' intake checks can take
//! it without depending on the engine.

use crate::job::{JobId, JobKind, TenantId};
use crate::plan::GeneratorChoice;
use bytes::Bytes;

/// One uploaded file.
#[derive(Debug, Clone)]
pub struct Upload {
    /// The name the user gave it.
    pub name: String,
    /// The file's content.
    pub data: Bytes,
}

/// A request for a new job.
#[derive(Debug, Clone)]
pub struct Submission {
    /// What kind of job to make.
    pub kind: JobKind,
    /// The request in plain language (a report may leave it empty for the default).
    pub prompt: String,
    /// The uploaded files, in order (the first is the program's `INPUT_PATH`).
    pub files: Vec<Upload>,
    /// Kind-specific fields (report title, template, notes).
    pub params: serde_json::Map<String, serde_json::Value>,
    /// The job this one follows up: the new job works on that job's results (an excel
    /// job's workbook; an analysis's inputs and result tables), before `files`, and its
    /// generator is told that job's request, steps and program.
    pub parent: Option<JobId>,
    /// Who submits it: the job is recorded as theirs (`default` unless a face says).
    pub tenant: TenantId,
}

impl Submission {
    /// A request of `kind` on `files`, with no kind-specific fields yet.
    pub fn new(kind: JobKind, prompt: impl Into<String>, files: Vec<Upload>) -> Self {
        Submission {
            kind,
            prompt: prompt.into(),
            files,
            params: Default::default(),
            parent: None,
            tenant: TenantId::default(),
        }
    }

    /// Follows up the job `parent` (see `parent`).
    pub fn with_parent(mut self, parent: JobId) -> Self {
        self.parent = Some(parent);
        self
    }

    /// Submits it as `tenant`'s job.
    pub fn with_tenant(mut self, tenant: TenantId) -> Self {
        self.tenant = tenant;
        self
    }

    /// Asks for a generator (`auto` when not said).
    pub fn with_generator(mut self, choice: GeneratorChoice) -> Self {
        self.params
            .insert(GeneratorChoice::PARAM.into(), choice.as_str().into());
        self
    }
}
