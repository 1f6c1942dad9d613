//! Multipart forms: text fields and files by field name, with unknown fields refused and
//! missing ones reported the way FastAPI reports them.

use crate::error::ApiError;
use axum::extract::Multipart;
use axum::extract::multipart::MultipartRejection;
use axum::http::StatusCode;
use office_core::{Error, GeneratorChoice, JobId};
use office_core::{Submission, Upload};
use std::collections::HashMap;

/// A parsed multipart form.
#[derive(Debug, Default)]
pub struct Form {
    texts: HashMap<String, String>,
    files: HashMap<String, Vec<Upload>>,
}

/// The field every create endpoint accepts to pick the code generator:
/// `auto` (default), `planner` or `llm`. List it in the route's `FormSpec::texts` and call
/// `Form::apply_generator` on the submission.
pub const GENERATOR_FIELD: &str = "generator";

/// The field every create endpoint accepts to follow up an earlier job: its id. The new
/// job works on that job's results, and the file fields become optional. List it in the
/// route's `FormSpec::texts` and call `Form::apply_parent` on the submission.
pub const PARENT_FIELD: &str = "parent";

/// What a route accepts: text fields and file fields by name.
pub struct FormSpec {
    pub texts: &'static [&'static str],
    pub files: &'static [&'static str],
}

impl Form {
    pub async fn read(
        multipart: Result<Multipart, MultipartRejection>,
        spec: &FormSpec,
    ) -> Result<Form, ApiError> {
        let mut multipart = multipart.map_err(|e| {
            ApiError::Status(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("expected a multipart/form-data body: {e}"),
            )
        })?;
        let mut form = Form::default();
        while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
            let name = field.name().unwrap_or_default().to_string();
            if spec.files.contains(&name.as_str()) {
                let file_name = field.file_name().unwrap_or_default().to_string();
                let data = field.bytes().await.map_err(multipart_error)?;
                if file_name.is_empty() && data.is_empty() {
                    // Browsers send an empty part for a file input left empty.
                    continue;
                }
                let file_name = if file_name.is_empty() {
                    "upload".to_string()
                } else {
                    file_name
                };
                form.files.entry(name).or_default().push(Upload {
                    name: file_name,
                    data,
                });
            } else if spec.texts.contains(&name.as_str()) {
                // Bytes, then strict UTF-8: `Field::text` sniffs a byte-order mark and would
                // read `\xff\xfe sort` as UTF-16 (a prompt of CJK noise).
                let data = field.bytes().await.map_err(multipart_error)?;
                let text = String::from_utf8(data.to_vec()).map_err(|_| {
                    ApiError::invalid_field(&name, format!("{name} must be UTF-8 text"))
                })?;
                form.texts.insert(name, text);
            } else {
                let mut accepted: Vec<&str> =
                    spec.texts.iter().chain(spec.files).copied().collect();
                accepted.sort();
                return Err(ApiError::invalid_field(
                    &name,
                    format!(
                        "unknown field '{name}'; this endpoint accepts: {}",
                        accepted.join(", ")
                    ),
                ));
            }
        }
        Ok(form)
    }

    pub fn text(&self, name: &str) -> Option<&str> {
        self.texts.get(name).map(String::as_str)
    }

    /// A text field that must be present and not blank.
    pub fn required_text(&self, name: &str) -> Result<String, ApiError> {
        match self.text(name) {
            None => Err(ApiError::missing(name)),
            Some(t) if t.trim().is_empty() => Err(ApiError::invalid_field(
                name,
                format!("{name} must not be empty"),
            )),
            Some(t) => Ok(t.to_string()),
        }
    }

    /// The submission with the generator the form asked for, if it asked.
    pub fn apply_generator(&self, submission: Submission) -> Result<Submission, ApiError> {
        match self.text(GENERATOR_FIELD).map(str::trim) {
            None | Some("") => Ok(submission),
            Some(text) => {
                let choice = text
                    .parse::<GeneratorChoice>()
                    .map_err(|e| ApiError::invalid_field(GENERATOR_FIELD, e))?;
                Ok(submission.with_generator(choice))
            }
        }
    }

    /// Whether the form follows up a job (a `parent` that is not blank).
    pub fn has_parent(&self) -> bool {
        self.text(PARENT_FIELD)
            .is_some_and(|t| !t.trim().is_empty())
    }

    /// The submission following up the job the form names, if it names one. An id that
    /// is not one is a job that does not exist: 404, as for an unknown id.
    pub fn apply_parent(&self, submission: Submission) -> Result<Submission, ApiError> {
        match self.text(PARENT_FIELD).map(str::trim) {
            None | Some("") => Ok(submission),
            Some(text) => {
                let id = text.parse::<JobId>().map_err(|_| {
                    ApiError::Core(Error::not_found(format!(
                        "parent job {text} not found: there is no such job"
                    )))
                })?;
                Ok(submission.with_parent(id))
            }
        }
    }

    /// The one file of the field, or none for a follow-up that adds no file (it works on
    /// its parent's).
    pub fn file_unless_parent(&mut self, name: &str) -> Result<Vec<Upload>, ApiError> {
        if self.has_parent() && !self.files.contains_key(name) {
            return Ok(Vec::new());
        }
        Ok(vec![self.required_file(name)?])
    }

    /// Every file of the named fields, in field order.
    pub fn files_of(&mut self, names: &[&str]) -> Vec<Upload> {
        names
            .iter()
            .flat_map(|name| self.files.remove(*name).unwrap_or_default())
            .collect()
    }

    /// Exactly one file in the field.
    pub fn required_file(&mut self, name: &str) -> Result<Upload, ApiError> {
        let mut files = self.files.remove(name).unwrap_or_default();
        match files.len() {
            0 => Err(ApiError::missing(name)),
            1 => Ok(files.pop().expect("one file")),
            n => Err(ApiError::invalid_field(
                name,
                format!("expected one file in '{name}', got {n}"),
            )),
        }
    }
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    let status = e.status();
    let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
        "the upload is larger than the server's limit".to_string()
    } else {
        format!("the multipart body could not be read: {}", e.body_text())
    };
    ApiError::Status(status, message)
}
