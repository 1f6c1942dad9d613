//! Job files on an S3-compatible object store: `s3://bucket/prefix/<job id>/<key>`.
//!
//! Nothing is local, so `local_path` is `None`: the runner copies a job's inputs to its
//! scratch folder and uploads what the program wrote (see `runner::stages::input_path`).
//! A PUT replaces an object whole, so readers never see half a file. Every failure but
//! "no such object" is `Error::ArtifactStore`, naming the store.

use super::{ArtifactStorage, ArtifactStream, check_key};
use crate::config::S3Settings;
use crate::error::{Error, Result};
use crate::job::JobId;
use async_trait::async_trait;
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::{Path, PathPart};
use object_store::{BackoffConfig, ClientOptions, ObjectStore, ObjectStoreExt, RetryConfig};
use std::sync::Arc;
use std::time::Duration;

/// Job files in an S3 bucket, under a prefix; shared by every process configured with it.
#[derive(Debug, Clone)]
pub struct S3Artifacts {
    store: Arc<AmazonS3>,
    root: Vec<String>,
    /// `s3://bucket/prefix` and the endpoint when there is one, for messages.
    name: String,
}

impl S3Artifacts {
    /// A client for the bucket. It opens no connection: a store that is down shows on the
    /// first request (or `check`), and then names itself.
    pub fn connect(settings: &S3Settings) -> Result<Self> {
        let name = match &settings.endpoint {
            Some(endpoint) => format!("{} at {endpoint}", settings.url()),
            None => settings.url(),
        };
        let mut options = ClientOptions::new()
            .with_timeout(settings.timeout)
            .with_connect_timeout(Duration::from_secs(5));
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&settings.bucket)
            .with_region(&settings.region)
            .with_retry(RetryConfig {
                backoff: BackoffConfig {
                    init_backoff: Duration::from_millis(100),
                    max_backoff: Duration::from_secs(2),
                    base: 2.0,
                },
                max_retries: settings.retries,
                retry_timeout: settings.timeout,
            });
        if let Some(endpoint) = &settings.endpoint {
            options = options.with_allow_http(endpoint.starts_with("http://"));
            builder = builder
                .with_endpoint(endpoint)
                .with_virtual_hosted_style_request(false);
        }
        if let Some(id) = &settings.access_key_id {
            builder = builder.with_access_key_id(id);
        }
        if let Some(secret) = &settings.secret_access_key {
            builder = builder.with_secret_access_key(secret.expose());
        }
        if let Some(token) = &settings.session_token {
            builder = builder.with_token(token.expose());
        }
        let store = builder
            .with_client_options(options)
            .build()
            .map_err(|e| Error::invalid(format!("cannot use the artifact store {name}: {e}")))?;
        Ok(S3Artifacts {
            store: Arc::new(store),
            root: settings
                .prefix
                .split('/')
                .filter(|p| !p.is_empty())
                .map(String::from)
                .collect(),
            name,
        })
    }

    /// `s3://bucket/prefix` (and the endpoint), as messages name it.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn job_path(&self, job: JobId) -> Path {
        let job = job.to_string();
        self.root
            .iter()
            .map(String::as_str)
            .chain(std::iter::once(job.as_str()))
            .map(PathPart::from)
            .collect()
    }

    fn path(&self, job: JobId, key: &str) -> Result<Path> {
        check_key(key)?;
        let mut path = self.job_path(job);
        for part in key.split('/') {
            path = path.join(part);
        }
        Ok(path)
    }

    fn failed(&self, doing: &str, e: object_store::Error) -> Error {
        Error::ArtifactStore(format!(
            "the artifact store {} failed to {doing}: {}",
            self.name,
            root_cause(&e)
        ))
    }

    fn missing_or_failed(&self, job: JobId, key: &str, e: object_store::Error) -> Error {
        match e {
            object_store::Error::NotFound { .. } => {
                Error::not_found(format!("job {job} has no file named '{key}'"))
            }
            e => self.failed(&format!("read '{key}' of job {job}"), e),
        }
    }
}

/// The innermost error's text joined to the outer ones: object_store's own message is
/// generic ("Generic S3 error"), the reason ("connection refused") is at the bottom.
fn root_cause(e: &object_store::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        let inner_text = inner.to_string();
        if !text.contains(&inner_text) {
            text = format!("{text}: {inner_text}");
        }
        source = inner.source();
    }
    text
}

#[async_trait]
impl ArtifactStorage for S3Artifacts {
    async fn put(&self, job: JobId, key: &str, data: Bytes) -> Result<()> {
        let path = self.path(job, key)?;
        self.store
            .put(&path, data.into())
            .await
            .map_err(|e| self.failed(&format!("store '{key}' of job {job}"), e))?;
        Ok(())
    }

    async fn get(&self, job: JobId, key: &str) -> Result<Bytes> {
        let path = self.path(job, key)?;
        let found = self
            .store
            .get(&path)
            .await
            .map_err(|e| self.missing_or_failed(job, key, e))?;
        found
            .bytes()
            .await
            .map_err(|e| self.missing_or_failed(job, key, e))
    }

    async fn open(&self, job: JobId, key: &str) -> Result<ArtifactStream> {
        let path = self.path(job, key)?;
        // The request is answered (found or not) before this returns; the body follows.
        let found = self
            .store
            .get(&path)
            .await
            .map_err(|e| self.missing_or_failed(job, key, e))?;
        let this = self.clone();
        let key = key.to_string();
        Ok(found
            .into_stream()
            .map_err(move |e| this.missing_or_failed(job, &key, e))
            .boxed())
    }

    async fn delete_job(&self, job: JobId) -> Result<()> {
        let prefix = self.job_path(job);
        let listed = self.store.list(Some(&prefix)).map_ok(|meta| meta.location);
        let mut deleted = self.store.delete_stream(listed.boxed());
        while let Some(done) = deleted.next().await {
            match done {
                Ok(_) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(self.failed(&format!("delete the files of job {job}"), e)),
            }
        }
        Ok(())
    }

    async fn check(&self) -> Result<()> {
        // Any answer about an object that need not exist shows the bucket is reachable
        // and the credentials are good.
        let probe = self.job_path(JobId(uuid::Uuid::nil())).join(".check");
        match self.store.head(&probe).await {
            Ok(_) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.failed("answer", e)),
        }
    }
}
