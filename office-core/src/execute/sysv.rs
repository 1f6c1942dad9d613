//! A SysV shared-memory segment of the host, made by the self-test's canary and by the
//! containment tests (`test-utils`), so that both check the same thing: a job must neither
//! attach a segment of the host nor leave one behind.
#![warn(missing_docs, unreachable_pub)]
// Public only with `test-utils`; inside the crate, the self-test uses part of it.
#![cfg_attr(not(feature = "test-utils"), allow(unreachable_pub, dead_code))]

/// A segment of the host, removed when dropped.
#[derive(Debug)]
pub struct HostSegment {
    key: libc::key_t,
    id: libc::c_int,
}

impl HostSegment {
    /// A one-page segment with `mode` (e.g. 0o600), holding `contents` at its start, under
    /// a key made of `tag` and this process's pid (so parallel test processes differ).
    /// `Err` when the host refused to make or fill it.
    pub fn create(tag: u16, mode: libc::c_int, contents: &[u8]) -> std::io::Result<HostSegment> {
        let key = Self::key_for(tag);
        let size = 4096usize;
        // SAFETY: creates (or finds) a one-page segment; removed in Drop.
        let id = unsafe { libc::shmget(key, size, libc::IPC_CREAT | mode) };
        if id < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let segment = HostSegment { key, id };
        if !contents.is_empty() {
            // SAFETY: attaches the segment made above and writes at most its size.
            unsafe {
                let at = libc::shmat(id, std::ptr::null(), 0);
                if at as isize == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                let n = contents.len().min(size);
                std::ptr::copy_nonoverlapping(contents.as_ptr(), at.cast::<u8>(), n);
                libc::shmdt(at);
            }
        }
        Ok(segment)
    }

    /// The key a job would ask for.
    pub fn key(&self) -> libc::key_t {
        self.key
    }

    /// The key `create` uses for `tag` in this process (also for a segment a job must not
    /// leave behind: see `exists`).
    pub fn key_for(tag: u16) -> libc::key_t {
        (libc::key_t::from(tag) << 16) | (std::process::id() as libc::key_t & 0xffff)
    }

    /// Whether a segment with `key` exists on the host (a lookup only).
    pub fn exists(key: libc::key_t) -> bool {
        // SAFETY: a lookup only; nothing is created.
        unsafe { libc::shmget(key, 0, 0) >= 0 }
    }
}

impl Drop for HostSegment {
    fn drop(&mut self) {
        // SAFETY: removes the segment made in `create`.
        unsafe { libc::shmctl(self.id, libc::IPC_RMID, std::ptr::null_mut()) };
    }
}
