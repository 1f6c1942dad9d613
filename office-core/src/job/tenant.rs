//! Who a job belongs to. Every job records its tenant; the faces scope what a caller sees to
//! the caller's tenant (an embedder with no tenants gets `TenantId::default()`, "default").

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A tenant's name: 1 to 64 characters of ASCII letters, digits, `.`, `_` and `-`, so it
/// can sit in a metric label, a log line, a Redis key and a file name unescaped.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TenantId(String);

impl TenantId {
    /// The tenant of an engine that has none configured, and of jobs stored before
    /// tenants existed.
    pub const DEFAULT: &'static str = "default";

    /// Checks `name` against the rule above.
    pub fn new(name: impl Into<String>) -> Result<Self, String> {
        let name = name.into();
        let valid = !name.is_empty()
            && name.len() <= 64
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if valid {
            Ok(TenantId(name))
        } else {
            Err(format!(
                "{name:?} is not a tenant name: use 1 to 64 letters, digits, '.', '_' or '-'"
            ))
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for TenantId {
    fn default() -> Self {
        TenantId(Self::DEFAULT.to_owned())
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for TenantId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        TenantId::new(s)
    }
}

impl TryFrom<String> for TenantId {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        TenantId::new(s)
    }
}

impl From<TenantId> for String {
    fn from(t: TenantId) -> String {
        t.0
    }
}

/// Who is asking: the tenant a face's caller acts as, and whether they may see every
/// tenant's jobs. A face builds one per request (the REST face from the API key) and hands
/// it to the engine; an embedder with no tenants uses `Caller::default()` (the `default`
/// tenant, admin).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The tenant new jobs are recorded for, and whose jobs a non-admin sees.
    pub tenant: TenantId,
    /// Sees and manages every tenant's jobs.
    pub admin: bool,
}

impl Default for Caller {
    fn default() -> Self {
        Caller {
            tenant: TenantId::default(),
            admin: true,
        }
    }
}

/// What one tenant may use. Each limit is `None` when not set at this level: a tenant's
/// own quotas (from the keys file) are laid over the configured defaults with
/// [`Quotas::over`], and a limit unset at both levels does not apply.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Quotas {
    /// Jobs running at once.
    #[serde(default)]
    pub running: Option<u32>,
    /// Jobs waiting in the queue at once.
    #[serde(default)]
    pub queued: Option<u32>,
    /// Submissions accepted per rolling minute.
    #[serde(default)]
    pub submissions_per_minute: Option<u32>,
    /// Bytes uploaded with one job (all its files together).
    #[serde(default)]
    pub upload_bytes: Option<u64>,
    /// Bytes of job files kept for the tenant in total (inputs and outputs).
    #[serde(default)]
    pub stored_bytes: Option<u64>,
    /// Days a finished job and its files are kept (over `OFFICE_RETENTION_DAYS`).
    #[serde(default)]
    pub retention_days: Option<u32>,
}

impl Quotas {
    /// These quotas, with every limit they leave unset taken from `defaults`.
    pub fn over(self, defaults: Quotas) -> Quotas {
        Quotas {
            running: self.running.or(defaults.running),
            queued: self.queued.or(defaults.queued),
            submissions_per_minute: self
                .submissions_per_minute
                .or(defaults.submissions_per_minute),
            upload_bytes: self.upload_bytes.or(defaults.upload_bytes),
            stored_bytes: self.stored_bytes.or(defaults.stored_bytes),
            retention_days: self.retention_days.or(defaults.retention_days),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert_eq!(
            TenantId::new("team-a.eu_1").unwrap().as_str(),
            "team-a.eu_1"
        );
        for bad in ["", "a b", "a/b", "ü", &"x".repeat(65)] {
            assert!(TenantId::new(bad).is_err(), "{bad:?} was accepted");
        }
        assert_eq!(TenantId::default().as_str(), "default");
    }

    #[test]
    fn own_quotas_win_over_defaults() {
        let defaults = Quotas {
            running: Some(2),
            queued: Some(100),
            ..Quotas::default()
        };
        let own = Quotas {
            running: Some(8),
            ..Quotas::default()
        };
        let q = own.over(defaults);
        assert_eq!(
            (q.running, q.queued, q.stored_bytes),
            (Some(8), Some(100), None)
        );
        let parsed: Quotas = serde_json::from_str(r#"{"queued": 5}"#).unwrap();
        assert_eq!(parsed.queued, Some(5));
        assert!(serde_json::from_str::<Quotas>(r#"{"queue": 5}"#).is_err());
    }

    #[test]
    fn a_job_stored_before_tenants_reads_as_default() {
        let t: TenantId = serde_json::from_str("\"acme\"").unwrap();
        assert_eq!(t.as_str(), "acme");
        assert!(serde_json::from_str::<TenantId>("\"a b\"").is_err());
    }
}
