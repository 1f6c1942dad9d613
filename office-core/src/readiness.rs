//! Readiness: whether this process can take and run jobs now, backend by backend (the
//! store, the queue, the artifact store and its disk, the sandbox). Liveness needs no
//! check: a process that answers is alive.

use serde::Serialize;

/// What each backend said; ready when all of them are.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Readiness {
    /// One entry per backend, in a fixed order: store, queue, artifacts, sandbox.
    pub checks: Vec<ReadinessCheck>,
}

/// One backend's answer.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReadinessCheck {
    /// `store`, `queue`, `artifacts` or `sandbox`.
    pub name: String,
    /// Whether it can serve jobs now.
    pub ready: bool,
    /// `ok`, or what is wrong in a sentence.
    pub detail: String,
}

impl Readiness {
    /// Whether every backend is ready.
    pub fn is_ready(&self) -> bool {
        self.checks.iter().all(|c| c.ready)
    }

    /// `store: ...; sandbox: ...` for the backends that are not ready (empty when all are).
    pub fn not_ready(&self) -> String {
        self.checks
            .iter()
            .filter(|c| !c.ready)
            .map(|c| format!("{}: {}", c.name, c.detail))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub(crate) fn check(name: &str, result: std::result::Result<(), String>) -> ReadinessCheck {
        ReadinessCheck {
            name: name.into(),
            ready: result.is_ok(),
            detail: result.err().unwrap_or_else(|| "ok".into()),
        }
    }
}

/// Bytes free to an unprivileged writer on the file system holding `path`.
pub(crate) fn free_bytes(path: &std::path::Path) -> std::io::Result<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|_| std::io::Error::other("a path with a NUL byte"))?;
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a valid NUL-terminated path and `stat` a valid out-pointer.
    let rc = unsafe { libc::statvfs(c.as_ptr(), &mut stat) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok((stat.f_bavail as u64).saturating_mul(stat.f_frsize as u64))
}
