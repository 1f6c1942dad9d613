//! Why a job failed, as a closed set: every `JobError::code` and `PlanError::code` is one
//! of these. Each serialises to the stable slug faces and stored jobs have always shown
//! (`"execution_failed"`), and the decisions that depend on the kind of failure (retry
//! later, show it to the model, raise which Python exception) are methods here, so no
//! other module compares slugs.

#![warn(missing_docs, unreachable_pub)]

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

macro_rules! error_codes {
    ($($(#[$m:meta])* $variant:ident => $text:literal,)+) => {
        /// A job error's stable code; `as_str` is its slug.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode { $($(#[$m])* $variant),+ }

        impl ErrorCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),+];

            /// The slug, as serialised.
            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $text),+ }
            }
        }

        impl FromStr for ErrorCode {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok(ErrorCode::$variant),)+
                    other => Err(format!("unknown job error code '{other}'")),
                }
            }
        }
    };
}

error_codes! {
    // Intake and profiling.
    /// An input could not be read when the job ran.
    UnreadableFile => "unreadable_file",
    /// The job's `generator` parameter is not one of auto, planner, llm.
    InvalidGenerator => "invalid_generator",
    /// The job asked for a model this worker does not have.
    GeneratorUnavailable => "generator_unavailable",
    /// A report's template is unknown.
    InvalidTemplate => "invalid_template",

    // The offline planner.
    /// No input, or no sheet with data.
    NoData => "no_data",
    /// The request could not be read as any supported operation.
    RequestNotUnderstood => "request_not_understood",
    /// The request names a column the table does not have.
    ColumnNotFound => "column_not_found",
    /// A phrase matches more than one column.
    AmbiguousColumn => "ambiguous_column",
    /// An operation was recognised but cannot apply (wrong column type, bad value).
    InvalidOperation => "invalid_operation",
    /// A request over time, on a table with no date column.
    NoDateColumn => "no_date_column",

    // The model.
    /// The model's reply held no program.
    NoCodeInReply => "no_code_in_reply",
    /// The model's reply held no prose (a report's narrative).
    NoTextInReply => "no_text_in_reply",
    /// The model did not answer in time.
    LlmTimeout => "llm_timeout",
    /// The model's endpoint could not be reached.
    LlmUnreachable => "llm_unreachable",
    /// The endpoint answered with something that is not a chat reply.
    LlmBadReply => "llm_bad_reply",
    /// The endpoint refused the key.
    LlmUnauthorized => "llm_unauthorized",
    /// The endpoint does not know the model.
    LlmNotFound => "llm_not_found",
    /// The endpoint kept saying "too many requests".
    LlmRateLimited => "llm_rate_limited",
    /// Any other error status from the endpoint.
    LlmError => "llm_error",

    // The program.
    /// The validator rejected the program.
    CodeRejected => "code_rejected",
    /// The program raised or exited non-zero.
    ExecutionFailed => "execution_failed",
    /// The program ran past its time limit.
    Timeout => "timeout",
    /// The program was killed at a resource limit (memory, processes, file size).
    ResourceLimit => "resource_limit",
    /// No interpreter, or the harness around the program broke.
    RuntimeUnavailable => "runtime_unavailable",
    /// The program finished without writing the file its kind requires.
    NoOutput => "no_output",
    /// The program wrote its kind's file, but not in the required form.
    InvalidOutput => "invalid_output",
    /// The program's edit script could not be applied to the workbook as written, or the
    /// result failed its check against the input (a lost sheet or part, a new formula
    /// error, a broken reference); the message names the places.
    EditFailed => "edit_failed",
    /// A file the program wrote was refused when collected (a zip bomb, a workbook whose
    /// scan passed its budget).
    OutputRejected => "output_rejected",

    // The job's life.
    /// Cancelled by a user.
    Cancelled => "cancelled",
    /// The process running it stopped, too many times (found at recovery).
    Interrupted => "interrupted",
    /// Started more times than allowed, never finished (found by a worker).
    Abandoned => "abandoned",
    /// The server's disk (or database) was full: the job's files could not be kept. Not
    /// retried on its own: space comes back only when someone frees it.
    StorageFull => "storage_full",
    /// The artifact store (an object store) could not be reached or refused a request,
    /// each try; the message names it.
    ArtifactStoreUnavailable => "artifact_store_unavailable",
    /// Something inside the engine failed; not the user's doing.
    Internal => "internal",
}

impl ErrorCode {
    /// Worth running the job again later, unchanged: the failure was not the job's
    /// (a storage hiccup) and may pass. The worker retries these within its attempts.
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            ErrorCode::Internal | ErrorCode::ArtifactStoreUnavailable
        )
    }

    /// A generator that learns from failures (a model) is shown this failure and asked
    /// for a new program. Timeouts and resource limits are not: each try would cost
    /// the whole limit again, and a rewrite rarely makes the data smaller.
    pub fn is_repairable(self) -> bool {
        matches!(
            self,
            ErrorCode::NoCodeInReply
                | ErrorCode::CodeRejected
                | ErrorCode::ExecutionFailed
                | ErrorCode::NoOutput
                | ErrorCode::InvalidOutput
                | ErrorCode::EditFailed
        )
    }

    /// The program broke the code policy: the error's details list the findings.
    pub fn is_rejection(self) -> bool {
        matches!(self, ErrorCode::CodeRejected)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl PartialEq<str> for ErrorCode {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_through_json_as_its_slug() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_value(code).unwrap();
            assert_eq!(json, serde_json::Value::String(code.as_str().into()));
            assert_eq!(serde_json::from_value::<ErrorCode>(json).unwrap(), *code);
        }
        assert!(serde_json::from_str::<ErrorCode>("\"no_such_code\"").is_err());
    }

    #[test]
    fn slugs_are_unique_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "{s} twice");
            assert!(s.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{s}");
        }
        assert_eq!(ErrorCode::ALL.len(), 34);
    }

    #[test]
    fn only_internal_failures_are_retried_and_only_program_failures_repaired() {
        let retried: Vec<_> = ErrorCode::ALL.iter().filter(|c| c.is_transient()).collect();
        assert_eq!(
            retried,
            [&ErrorCode::ArtifactStoreUnavailable, &ErrorCode::Internal]
        );
        assert!(ErrorCode::ExecutionFailed.is_repairable());
        assert!(ErrorCode::CodeRejected.is_repairable());
        assert!(ErrorCode::EditFailed.is_repairable());
        assert!(ErrorCode::InvalidOutput.is_repairable());
        assert!(!ErrorCode::Timeout.is_repairable());
        assert!(!ErrorCode::ResourceLimit.is_repairable());
        assert!(!ErrorCode::LlmTimeout.is_repairable());
        assert!(ErrorCode::CodeRejected.is_rejection());
        assert!(!ErrorCode::ExecutionFailed.is_rejection());
    }
}
