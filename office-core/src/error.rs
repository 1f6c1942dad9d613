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
    /// What was asked cannot be done to the job as it is now (a follow-up of a job that
    /// failed or is still running, deleting a job that others follow up).
    #[error("{0}")]
    Conflict(String),
    /// A program broke the code policy; each violation says where and why.
    #[error("the program was rejected by the code policy ({} violation(s))", violations.len())]
    Rejected {
        /// What the validator found, in source order.
        violations: Vec<Violation>,
    },

    /// A tenant would go over one of its quotas; nothing of the submission was stored.
    #[error(transparent)]
    OverQuota(crate::engine::QuotaExceeded),

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
    /// The disk under the server's data (or the database) has no space left: what was
    /// being written was not kept, and nothing stored before was touched.
    #[error("{0}")]
    StorageFull(String),
    /// Reading or writing a file failed.
    #[error("i/o error: {0}")]
    Io(std::io::Error),
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
                | Error::Conflict(_)
                | Error::Rejected { .. }
                | Error::OverQuota(_)
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

    /// `StorageFull` with the sentence every face shows.
    pub fn storage_full() -> Self {
        Error::StorageFull(
            "the server has no disk space left to keep this: nothing was stored. Free \
             space on the server (or let old jobs expire, OFFICE_RETENTION_DAYS) and try again"
                .into(),
        )
    }
}

/// Whether an I/O error says the disk (or a quota) is full.
pub(crate) fn is_disk_full(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::StorageFull
        || matches!(e.raw_os_error(), Some(libc::ENOSPC | libc::EDQUOT))
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        if is_disk_full(&e) {
            Error::storage_full()
        } else {
            Error::Io(e)
        }
    }
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        // SQLITE_FULL (13) and PostgreSQL's disk_full (53100): no row was written.
        if let sqlx::Error::Database(db) = &e
            && matches!(db.code().as_deref(), Some("13" | "53100"))
        {
            return Error::storage_full();
        }
        if let sqlx::Error::Io(io) = &e
            && is_disk_full(io)
        {
            return Error::storage_full();
        }
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
