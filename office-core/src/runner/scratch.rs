//! The per-run output and working folders, removed when the run ends.

use crate::job::JobId;
use std::path::{Path, PathBuf};

pub(super) struct Scratch {
    root: PathBuf,
}

impl Scratch {
    pub(super) fn create(base: &Path, job: JobId) -> std::io::Result<Scratch> {
        let root = base.join(format!("{job}-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(root.join("out"))?;
        std::fs::create_dir_all(root.join("work"))?;
        Ok(Scratch { root })
    }

    /// Empties the output and working folders, so an attempt sees nothing of the last one.
    pub(super) fn reset(&self) -> std::io::Result<()> {
        for dir in [self.output_dir(), self.work_dir()] {
            std::fs::remove_dir_all(&dir)?;
            std::fs::create_dir_all(&dir)?;
        }
        Ok(())
    }

    pub(super) fn output_dir(&self) -> PathBuf {
        self.root.join("out")
    }

    pub(super) fn work_dir(&self) -> PathBuf {
        self.root.join("work")
    }

    /// Where the program's copies of inputs with calculated formulas are kept.
    pub(super) fn filled_dir(&self) -> PathBuf {
        self.root.join("filled")
    }

    /// Where inputs are copied when the artifact storage keeps no local files.
    pub(super) fn inputs_dir(&self) -> PathBuf {
        self.root.join("inputs")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}
