//! One error type for the whole core. Errors a user caused (a bad file, an unknown job,
//! a rejected program) are kept apart from internal failures, so each face can answer
//! the first kind precisely and the second kind generically.

use crate::validate::Violation;

/// The core's result: `Error` unless said otherwise.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the core; `is_user_error` tells the two kinds apart.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The thing asked for does not exist (a job, an artifact).
    #[error("{0}")]
    NotFound(String),
    /// A request field is missing or has a value we cannot use.
    #[error("{0}")]
    InvalidInput(String),
    /// An uploaded file cannot be read: corrupt, encrypted, empty or of an unsupported type.
    #[error("cannot read '{file}': {reason}")]
    UnreadableFile {
        /// The file's name, as the user gave it.
        file: String,
        /// What is wrong with it, in plain words.
        reason: String,
    },
    /// An upload or a produced file is over a configured limit.
    #[error("{what} is larger than the limit of {limit} bytes")]
    TooLarge {
        /// What was too large, in words ("the file 'a.xlsx'").
        what: String,
        /// The limit, in bytes.
        limit: u64,
    },
    /// The job exists but what was asked for is not there yet (output before success).
    #[error("{0}")]
    NotReady(String),
    /// A program broke the code policy; each violation says where and why.
    #[error("the program was rejected by the code policy ({} violation(s))", violations.len())]
    Rejected {
        /// What the validator found, in source order.
        violations: Vec<Violation>,
    },

    // Internal failures: the user did nothing wrong.
    /// The job store failed (a database error).
    #[error("storage error: {0}")]
    Storage(String),
    /// The artifact store (an object store) failed or did not answer; the message names
    /// it. Worth trying again later: nothing was half-stored.
    #[error("{0}")]
    ArtifactStore(String),
    /// The work queue failed (a Redis error).
    #[error("queue error: {0}")]
    Queue(String),
    /// Reading or writing a file failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// Anything else that should not happen.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// True when the caller caused the error and the message is safe and useful to show.
    pub fn is_user_error(&self) -> bool {
        matches!(
            self,
            Error::NotFound(_)
                | Error::InvalidInput(_)
                | Error::UnreadableFile { .. }
                | Error::TooLarge { .. }
                | Error::NotReady(_)
                | Error::Rejected { .. }
        )
    }

    /// `NotFound` about `what`.
    pub fn not_found(what: impl Into<String>) -> Self {
        Error::NotFound(what.into())
    }

    /// `InvalidInput` saying `msg`.
    pub fn invalid(msg: impl Into<String>) -> Self {
        Error::InvalidInput(msg.into())
    }

    /// `Internal` saying `msg`.
    pub fn internal(msg: impl std::fmt::Display) -> Self {
        Error::Internal(msg.to_string())
    }
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        Error::Storage(e.to_string())
    }
}

impl From<sqlx::migrate::MigrateError> for Error {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        Error::Storage(format!("migration failed: {e}"))
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::Internal(format!("json: {e}"))
    }
}

impl From<tokio::task::JoinError> for Error {
    fn from(e: tokio::task::JoinError) -> Self {
        Error::Internal(format!("background task failed: {e}"))
    }
}
