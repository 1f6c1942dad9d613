//! Where a job's files are kept: its inputs, the code that ran, its outputs and logs.
//! Files live under `DATA_DIR/jobs/<id>/` by default (`FsArtifacts`); on an S3-compatible
//! object store (`S3Artifacts`, `OFFICE_ARTIFACTS_URL`) several machines share them with
//! no shared folder: workers copy a job's inputs to local scratch and upload its outputs.
//!
//! Keys are relative paths such as `inputs/sales.xlsx`, `outputs/output.xlsx`,
//! `code/generated.py`, `logs/stderr.txt`. Keys come from the engine, never from a user
//! unchecked: `check_key` refuses anything that could leave the job's space.

use crate::error::{Error, Result};
use crate::job::JobId;
use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::BoxStream;
use std::path::PathBuf;

#[cfg(any(test, feature = "test-utils"))]
pub mod conformance;
mod fs;
mod memory;
mod s3;
#[cfg(any(test, feature = "test-utils"))]
pub mod s3_testing;

pub use fs::FsArtifacts;
pub use memory::MemoryArtifacts;
pub use s3::S3Artifacts;

/// A stored file as it arrives, chunk by chunk (see `ArtifactStorage::open`).
pub type ArtifactStream = BoxStream<'static, Result<Bytes>>;

/// Where a job's files live (inputs, code, outputs, summary), by job and key.
#[async_trait]
pub trait ArtifactStorage: Send + Sync + 'static {
    /// Writes `data` under `key` (a relative path, e.g. `inputs/a.csv`), replacing any file.
    async fn put(&self, job: JobId, key: &str, data: Bytes) -> Result<()>;

    /// `Error::NotFound` when there is no such file.
    async fn get(&self, job: JobId, key: &str) -> Result<Bytes>;

    /// Removes every file of the job. Removing a job with no files is not an error.
    async fn delete_job(&self, job: JobId) -> Result<()>;

    /// The file as a stream of chunks, so a large file is served or copied without being
    /// held whole. `Error::NotFound` (before any chunk) when there is no such file. By
    /// default the whole file as one chunk.
    async fn open(&self, job: JobId, key: &str) -> Result<ArtifactStream> {
        let data = self.get(job, key).await?;
        Ok(Box::pin(futures::stream::once(async move { Ok(data) })))
    }

    /// Whether the storage answers (for a readiness check); local storages always do.
    async fn check(&self) -> Result<()> {
        Ok(())
    }

    /// A local path for the key when this storage keeps files on a local file system, so
    /// the executor can read inputs in place instead of copying them.
    fn local_path(&self, _job: JobId, _key: &str) -> Option<PathBuf> {
        None
    }
}

/// Refuses keys that are empty, absolute, contain `..`, backslashes, NULs or control
/// characters, so that no key can name a file outside the job's space.
pub(crate) fn check_key(key: &str) -> Result<()> {
    let bad = key.is_empty()
        || key.len() > 512
        || key.starts_with('/')
        || key.contains('\\')
        || key.chars().any(|c| c.is_control())
        || key
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..");
    if bad {
        Err(Error::not_found(format!("no artifact named {key:?}")))
    } else {
        Ok(())
    }
}

/// Turns a user-supplied file name into one safe to store: the last path component only,
/// no control characters, no leading dots, at most 128 bytes; the extension is kept.
pub(crate) fn safe_file_name(original: &str) -> String {
    let last = original.rsplit(['/', '\\']).next().unwrap_or("");
    let mut cleaned: String = last
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, ':' | '*' | '?' | '"' | '<' | '>' | '|') {
                '_'
            } else {
                c
            }
        })
        .collect();
    cleaned = cleaned.trim().trim_start_matches('.').to_string();
    if cleaned.is_empty() {
        cleaned = "upload".into();
    }
    if cleaned.len() > 128 {
        let (stem, ext) = match cleaned.rfind('.') {
            Some(i) if cleaned.len() - i <= 10 => {
                (cleaned[..i].to_string(), cleaned[i..].to_string())
            }
            _ => (cleaned.clone(), String::new()),
        };
        let mut end = 128 - ext.len();
        while !stem.is_char_boundary(end) {
            end -= 1;
        }
        cleaned = format!("{}{}", &stem[..end], ext);
    }
    cleaned
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_cannot_leave_the_job() {
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../b",
            "a//b",
            "a\\b",
            "./a",
            "a\0b",
            "a/\nb",
        ] {
            assert!(check_key(bad).is_err(), "{bad:?} accepted");
        }
        for good in ["output.xlsx", "inputs/a b.csv", "charts/图表.png"] {
            assert!(check_key(good).is_ok(), "{good:?} refused");
        }
    }

    #[test]
    fn file_names_are_made_safe() {
        assert_eq!(safe_file_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_file_name("C:\\Users\\x\\Book1.xlsx"), "Book1.xlsx");
        assert_eq!(safe_file_name(".hidden.csv"), "hidden.csv");
        assert_eq!(safe_file_name("销售 数据.xlsx"), "销售 数据.xlsx");
        assert_eq!(safe_file_name(""), "upload");
        assert_eq!(safe_file_name("a\u{7}b.csv"), "a_b.csv");
        let long = format!("{}.xlsx", "é".repeat(200));
        let s = safe_file_name(&long);
        assert!(s.len() <= 128 && s.ends_with(".xlsx"), "{s}");
    }
}
