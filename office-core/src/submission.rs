//! What a face hands the engine to create a job: the kind, the request, the files and
//! the kind's fields. Kept apart from the engine so the kinds' intake checks can take
//! it without depending on the engine.

use crate::job::JobKind;
use crate::plan::GeneratorChoice;
use bytes::Bytes;

/// One uploaded file.
#[derive(Debug, Clone)]
pub struct Upload {
    /// The name the user gave it.
    pub name: String,
    pub data: Bytes,
}

/// A request for a new job.
#[derive(Debug, Clone)]
pub struct Submission {
    pub kind: JobKind,
    pub prompt: String,
    pub files: Vec<Upload>,
    /// Kind-specific fields (report title, template, notes).
    pub params: serde_json::Map<String, serde_json::Value>,
}

impl Submission {
    pub fn new(kind: JobKind, prompt: impl Into<String>, files: Vec<Upload>) -> Self {
        Submission {
            kind,
            prompt: prompt.into(),
            files,
            params: Default::default(),
        }
    }

    /// Asks for a generator (`auto` when not said).
    pub fn with_generator(mut self, choice: GeneratorChoice) -> Self {
        self.params
            .insert(GeneratorChoice::PARAM.into(), choice.as_str().into());
        self
    }
}
