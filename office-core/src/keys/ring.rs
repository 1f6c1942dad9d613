//! What the engine checks presented keys against: the keys of `OFFICE_API_KEYS` (each its
//! own tenant, `key-<first 12 hex digits of its hash>`) and the keys file, read again
//! when it changes (its modification time and size are looked at once a second at most).

use super::{KeyHash, KeysFile, TenantKeys};
use crate::error::Result;
use crate::job::{Caller, Quotas, TenantId};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// How often the keys file is looked at, at most.
const RELOAD_EVERY: Duration = Duration::from_secs(1);

/// The keys a server accepts, and the tenant each acts as.
#[derive(Debug, Default)]
pub struct Keyring {
    /// From `OFFICE_API_KEYS`.
    fixed: Vec<TenantKeys>,
    /// From `OFFICE_API_KEYS_FILE`.
    file: Option<Watched>,
}

#[derive(Debug)]
struct Watched {
    path: PathBuf,
    /// A std `Mutex`: held for a `stat` (and, when the file changed, a read of a small
    /// file), never across an `.await`.
    state: Mutex<Loaded>,
}

#[derive(Debug)]
struct Loaded {
    checked: Instant,
    /// The file's modification time and size when it was read.
    stamp: Option<(SystemTime, u64)>,
    tenants: Arc<Vec<TenantKeys>>,
}

impl Keyring {
    /// The plain keys `keys` (each its own tenant) and, when given, the keys file at
    /// `file`, read now: a file that cannot be read or is not valid is an error here, so
    /// a server does not start without the keys it was told to use.
    pub fn new(keys: &[String], file: Option<&Path>) -> Result<Keyring> {
        let fixed = keys
            .iter()
            .map(|key| {
                let hash = KeyHash::of(key);
                TenantKeys {
                    name: TenantId::new(format!("key-{}", &hash.to_hex()[..12]))
                        .expect("hex digits make a tenant name"),
                    admin: false,
                    keys: vec![hash],
                    quotas: Quotas::default(),
                }
            })
            .collect();
        let file = match file {
            None => None,
            Some(path) => {
                let stamp = stamp_of(path);
                let tenants = KeysFile::read(path)?.tenants;
                Some(Watched {
                    path: path.to_path_buf(),
                    state: Mutex::new(Loaded {
                        checked: Instant::now(),
                        stamp,
                        tenants: Arc::new(tenants),
                    }),
                })
            }
        };
        Ok(Keyring { fixed, file })
    }

    /// Whether callers must present a key: some key or a keys file is configured.
    pub fn is_required(&self) -> bool {
        !self.fixed.is_empty() || self.file.is_some()
    }

    /// The caller `key` acts as, or `None` when no tenant has it. Every hash is
    /// compared, without returning early, so the time taken does not tell which (or
    /// whether one) matched.
    pub fn authenticate(&self, key: &str) -> Option<Caller> {
        let presented = KeyHash::of(key);
        let from_file = self.file.as_ref().map(Watched::tenants).unwrap_or_default();
        let mut found: Option<&TenantKeys> = None;
        for tenant in self.fixed.iter().chain(from_file.iter()) {
            for hash in &tenant.keys {
                if hash.matches(&presented) {
                    found = Some(tenant);
                }
            }
        }
        found.map(|t| Caller {
            tenant: t.name.clone(),
            admin: t.admin,
        })
    }

    /// `tenant`'s own quotas, as the keys file has them now (unset when it has none).
    pub fn quotas(&self, tenant: &TenantId) -> Quotas {
        let from_file = self.file.as_ref().map(Watched::tenants).unwrap_or_default();
        self.fixed
            .iter()
            .chain(from_file.iter())
            .find(|t| &t.name == tenant)
            .map(|t| t.quotas)
            .unwrap_or_default()
    }
}

impl Watched {
    /// The tenants as the file has them now, read again when it changed since it was
    /// last looked at (at most once a second). A file that became invalid is logged and
    /// the keys read before stay in force.
    fn tenants(&self) -> Arc<Vec<TenantKeys>> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.checked.elapsed() >= RELOAD_EVERY {
            state.checked = Instant::now();
            let stamp = stamp_of(&self.path);
            if stamp != state.stamp {
                match KeysFile::read(&self.path) {
                    Ok(file) => {
                        tracing::info!(
                            path = %self.path.display(),
                            tenants = file.tenants.len(),
                            "the keys file changed: reloaded"
                        );
                        state.tenants = Arc::new(file.tenants);
                        state.stamp = stamp;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "the keys file changed but cannot be used; keeping the keys read before");
                    }
                }
            }
        }
        state.tenants.clone()
    }
}

fn stamp_of(path: &Path) -> Option<(SystemTime, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_keys_are_each_their_own_tenant() {
        let ring = Keyring::new(&["a".into(), "b".into()], None).unwrap();
        assert!(ring.is_required());
        let a = ring.authenticate("a").unwrap();
        let b = ring.authenticate(" b ").unwrap();
        assert_eq!(
            a.tenant.as_str(),
            format!("key-{}", &KeyHash::of("a").to_hex()[..12])
        );
        assert_ne!(a.tenant, b.tenant);
        assert!(!a.admin);
        assert!(ring.authenticate("c").is_none());
        assert!(!Keyring::new(&[], None).unwrap().is_required());
    }

    #[test]
    fn the_file_is_reloaded_when_it_changes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        let mut file = KeysFile::default();
        let admin = file.add_key(&TenantId::new("ops").unwrap(), true).unwrap();
        file.write(&path).unwrap();
        let ring = Keyring::new(&[], Some(&path)).unwrap();
        let caller = ring.authenticate(&admin).unwrap();
        assert_eq!((caller.tenant.as_str(), caller.admin), ("ops", true));

        let acme = file
            .add_key(&TenantId::new("acme").unwrap(), false)
            .unwrap();
        file.write(&path).unwrap();
        std::thread::sleep(RELOAD_EVERY + Duration::from_millis(100));
        assert_eq!(ring.authenticate(&acme).unwrap().tenant.as_str(), "acme");

        std::fs::write(&path, "not json").unwrap();
        std::thread::sleep(RELOAD_EVERY + Duration::from_millis(100));
        assert!(
            ring.authenticate(&acme).is_some(),
            "a broken file keeps the keys read before"
        );

        file.revoke("acme").unwrap();
        file.write(&path).unwrap();
        std::thread::sleep(RELOAD_EVERY + Duration::from_millis(100));
        assert!(ring.authenticate(&acme).is_none());
        assert!(Keyring::new(&[], Some(&dir.path().join("none.json"))).is_err());
    }
}
