//! In-memory artifact storage: the reference for storages that keep no local files (an
//! object store), so the pipeline's copy-out path is exercised without a service.

use super::{ArtifactStorage, check_key};
use crate::error::{Error, Result};
use crate::job::JobId;
use async_trait::async_trait;
use bytes::Bytes;
use std::collections::HashMap;
use std::sync::Mutex;

/// Job files in memory, for tests and embedding; gone when dropped.
#[derive(Default)]
pub struct MemoryArtifacts {
    /// A std Mutex: it is never held across an `.await`.
    files: Mutex<HashMap<(JobId, String), Bytes>>,
}

impl MemoryArtifacts {
    /// An empty storage.
    pub fn new() -> Self {
        Self::default()
    }

    /// The keys stored for a job, sorted.
    pub fn keys(&self, job: JobId) -> Vec<String> {
        let files = self.files.lock().expect("artifact map poisoned");
        let mut keys: Vec<String> = files
            .keys()
            .filter(|(j, _)| *j == job)
            .map(|(_, k)| k.clone())
            .collect();
        keys.sort();
        keys
    }
}

#[async_trait]
impl ArtifactStorage for MemoryArtifacts {
    async fn put(&self, job: JobId, key: &str, data: Bytes) -> Result<()> {
        check_key(key)?;
        self.files
            .lock()
            .expect("artifact map poisoned")
            .insert((job, key.to_string()), data);
        Ok(())
    }

    async fn get(&self, job: JobId, key: &str) -> Result<Bytes> {
        check_key(key)?;
        let files = self.files.lock().expect("artifact map poisoned");
        files
            .get(&(job, key.to_string()))
            .cloned()
            .ok_or_else(|| Error::not_found(format!("no artifact named {key:?}")))
    }

    async fn delete_job(&self, job: JobId) -> Result<()> {
        self.files
            .lock()
            .expect("artifact map poisoned")
            .retain(|(j, _), _| *j != job);
        Ok(())
    }
}
