//! Job files in local folders: `<jobs_dir>/<job id>/<key>`.
//!
//! Sandboxed programs write into a job's folder, so anything found there may be hostile:
//! a symbolic link planted by a program must never make the engine read (and serve) or
//! write a file elsewhere. Every path is checked component by component, and files are
//! opened with `O_NOFOLLOW`.

use super::{ArtifactStorage, check_key};
use crate::error::{Error, Result};
use crate::job::JobId;
use async_trait::async_trait;
use bytes::Bytes;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Job files as local folders: `<jobs_dir>/<job id>/<key>`, written atomically.
#[derive(Debug, Clone)]
pub struct FsArtifacts {
    jobs_dir: PathBuf,
}

impl FsArtifacts {
    /// Files go under `jobs_dir`, which is created on the first write.
    pub fn new(jobs_dir: PathBuf) -> Self {
        FsArtifacts { jobs_dir }
    }

    /// The folder every job's folder is in.
    pub fn jobs_dir(&self) -> &Path {
        &self.jobs_dir
    }

    fn job_dir(&self, job: JobId) -> PathBuf {
        self.jobs_dir.join(job.to_string())
    }

    fn path(&self, job: JobId, key: &str) -> Result<PathBuf> {
        check_key(key)?;
        Ok(self.job_dir(job).join(key))
    }
}

/// Fails when the job folder or any folder between it and `key`'s file is a symbolic
/// link (the file itself is guarded by `O_NOFOLLOW`). Missing components are fine.
/// `jobs_dir` itself may be a link: it is configuration, not something a job wrote.
fn refuse_linked_folders(job_dir: &Path, key: &str) -> Result<()> {
    let mut dir = job_dir.to_path_buf();
    let folders = key.split('/').collect::<Vec<_>>();
    let folders = &folders[..folders.len() - 1];
    for next in std::iter::once(None).chain(folders.iter().map(Some)) {
        if let Some(name) = next {
            dir.push(name);
        }
        match fs::symlink_metadata(&dir) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(Error::Storage(format!(
                    "{} is a symbolic link; job files are never reached through links",
                    dir.display()
                )));
            }
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => {
                return Err(Error::Storage(format!(
                    "cannot inspect {}: {e}",
                    dir.display()
                )));
            }
        }
    }
    Ok(())
}

fn write_atomically(path: &Path, data: &[u8]) -> Result<()> {
    // Unique within this process; `create_new` guards against anything else.
    static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);
    let parent = path
        .parent()
        .expect("a key's path always has the job folder above it");
    fs::create_dir_all(parent).map_err(|e| {
        if crate::error::is_disk_full(&e) {
            return Error::storage_full();
        }
        Error::Storage(format!(
            "cannot create the folder {}: {e}",
            parent.display()
        ))
    })?;
    let temp = parent.join(format!(
        ".tmp-{}-{}",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let written = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&temp)?;
        file.write_all(data)?;
        file.sync_all()?;
        // Renaming replaces a link at `path` itself rather than writing through it.
        fs::rename(&temp, path)
    })();
    written.map_err(|e| {
        let _ = fs::remove_file(&temp);
        // The file that was there (if any) is untouched: only the temporary one is lost.
        if crate::error::is_disk_full(&e) {
            return Error::storage_full();
        }
        Error::Storage(format!("cannot write {}: {e}", path.display()))
    })
}

fn read_no_follow(path: &Path, job: JobId, key: &str) -> Result<Bytes> {
    let missing = || Error::not_found(format!("job {job} has no file named '{key}'"));
    let open = OpenOptions::new()
        .read(true)
        // NONBLOCK so that a FIFO planted in the folder cannot hang the read.
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path);
    let mut file: File = match open {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(missing()),
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Err(Error::Storage(format!(
                "{} is a symbolic link; job files are never read through links",
                path.display()
            )));
        }
        Err(e) => {
            return Err(Error::Storage(format!(
                "cannot open {}: {e}",
                path.display()
            )));
        }
    };
    let meta = file
        .metadata()
        .map_err(|e| Error::Storage(format!("cannot inspect {}: {e}", path.display())))?;
    if !meta.is_file() {
        return Err(missing());
    }
    let mut data = Vec::with_capacity(meta.len() as usize);
    file.read_to_end(&mut data)
        .map_err(|e| Error::Storage(format!("cannot read {}: {e}", path.display())))?;
    Ok(Bytes::from(data))
}

#[async_trait]
impl ArtifactStorage for FsArtifacts {
    async fn put(&self, job: JobId, key: &str, data: Bytes) -> Result<()> {
        let path = self.path(job, key)?;
        let (job_dir, key) = (self.job_dir(job), key.to_string());
        tokio::task::spawn_blocking(move || {
            refuse_linked_folders(&job_dir, &key)?;
            write_atomically(&path, &data)
        })
        .await?
    }

    async fn get(&self, job: JobId, key: &str) -> Result<Bytes> {
        let path = self.path(job, key)?;
        let (job_dir, key) = (self.job_dir(job), key.to_string());
        tokio::task::spawn_blocking(move || {
            refuse_linked_folders(&job_dir, &key)?;
            read_no_follow(&path, job, &key)
        })
        .await?
    }

    async fn delete_job(&self, job: JobId) -> Result<()> {
        let dir = self.job_dir(job);
        // `remove_dir_all` removes links without following them, the job folder included.
        let removed = match tokio::fs::symlink_metadata(&dir).await {
            Ok(meta) if meta.is_dir() => tokio::fs::remove_dir_all(&dir).await,
            Ok(_) => tokio::fs::remove_file(&dir).await,
            Err(e) => Err(e),
        };
        match removed {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::Storage(format!(
                "cannot remove {}: {e}",
                dir.display()
            ))),
        }
    }

    fn local_path(&self, job: JobId, key: &str) -> Option<PathBuf> {
        self.path(job, key).ok()
    }
}
