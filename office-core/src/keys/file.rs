//! The keys file: each tenant's name, the hashes of its keys, whether it is an admin and
//! its own quotas. JSON (`.json`):
//!
//! ```json
//! {"tenants": [
//!   {"name": "acme", "keys": ["<sha256 hex of the key>"], "quotas": {"running": 2}},
//!   {"name": "ops", "admin": true, "keys": ["<sha256 hex>"]}
//! ]}
//! ```
//!
//! or the same in TOML (`.toml`):
//!
//! ```toml
//! [[tenants]]
//! name = "acme"
//! keys = ["<sha256 hex of the key>"]
//! quotas = { running = 2 }
//! ```
//!
//! `office keys add|list|revoke` edit it; a server reloads it when it changes.

use super::KeyHash;
use crate::error::{Error, Result};
use crate::job::{Quotas, TenantId};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::path::Path;

/// What the keys file holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeysFile {
    /// The tenants, each with its keys.
    #[serde(default)]
    pub tenants: Vec<TenantKeys>,
}

/// One tenant of the keys file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantKeys {
    /// Its name, which every job it submits records.
    pub name: TenantId,
    /// Sees and manages every tenant's jobs.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub admin: bool,
    /// The SHA-256 of each key it may present.
    #[serde(default)]
    pub keys: Vec<KeyHash>,
    /// Its own limits, over the configured defaults.
    #[serde(default, skip_serializing_if = "is_unset")]
    pub quotas: Quotas,
}

fn is_unset(quotas: &Quotas) -> bool {
    *quotas == Quotas::default()
}

impl KeysFile {
    /// Reads and checks the file at `path`.
    pub fn read(path: &Path) -> Result<KeysFile> {
        let format = KeysFormat::of(path)?;
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::invalid(format!("cannot read the keys file {}: {e}", path.display()))
        })?;
        Self::parse_as(format, &text).map_err(|e| {
            Error::invalid(format!(
                "the keys file {} is not valid: {e}",
                path.display()
            ))
        })
    }

    /// Reads the file at `path`, or an empty one when there is none yet.
    pub fn read_or_new(path: &Path) -> Result<KeysFile> {
        if path.exists() {
            Self::read(path)
        } else {
            KeysFormat::of(path)?;
            Ok(KeysFile::default())
        }
    }

    /// Parses and checks a JSON keys file's text (see `parse_as`).
    pub fn parse(text: &str) -> std::result::Result<KeysFile, String> {
        Self::parse_as(KeysFormat::Json, text)
    }

    /// Parses and checks a keys file's text: a tenant named twice, or a key given to
    /// two tenants, is refused.
    pub fn parse_as(format: KeysFormat, text: &str) -> std::result::Result<KeysFile, String> {
        let file: KeysFile = match format {
            KeysFormat::Json => serde_json::from_str(text).map_err(|e| e.to_string())?,
            KeysFormat::Toml => toml::from_str(text).map_err(|e| e.to_string())?,
        };
        let mut names = HashSet::new();
        let mut hashes = HashSet::new();
        for tenant in &file.tenants {
            if !names.insert(&tenant.name) {
                return Err(format!("the tenant {} is named twice", tenant.name));
            }
            for key in &tenant.keys {
                if !hashes.insert(key) {
                    return Err(format!("the key {key} is given more than once"));
                }
            }
        }
        Ok(file)
    }

    /// Writes the file whole to a temporary file beside it, then renames it over `path`,
    /// so that a server reloading it never reads half a file. Only the owner may read it.
    pub fn write(&self, path: &Path) -> Result<()> {
        let format = KeysFormat::of(path)?;
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        let text = match format {
            KeysFormat::Json => format!("{}\n", serde_json::to_string_pretty(self)?),
            KeysFormat::Toml => toml::to_string(self)
                .map_err(|e| Error::invalid(format!("cannot write the keys file as TOML: {e}")))?,
        };
        std::io::Write::write_all(&mut tmp, text.as_bytes())?;
        tmp.persist(path).map_err(|e| e.error)?;
        Ok(())
    }

    /// Adds a new key for `tenant` (made an admin when `admin`; a new tenant when it is
    /// not in the file) and returns the key: the file keeps only its hash.
    pub fn add_key(&mut self, tenant: &TenantId, admin: bool) -> Result<String> {
        let (key, hash) = KeyHash::generate()?;
        match self.tenants.iter_mut().find(|t| &t.name == tenant) {
            Some(t) => {
                t.keys.push(hash);
                t.admin |= admin;
            }
            None => self.tenants.push(TenantKeys {
                name: tenant.clone(),
                admin,
                keys: vec![hash],
                quotas: Quotas::default(),
            }),
        }
        Ok(key)
    }

    /// Revokes the tenant named `what` (every key of it), or else the one key whose hash
    /// starts with `what` (at least 6 hex digits). Returns what was revoked, in words.
    pub fn revoke(&mut self, what: &str) -> Result<String> {
        let what = what.trim();
        if let Some(i) = self.tenants.iter().position(|t| t.name.as_str() == what) {
            let tenant = self.tenants.remove(i);
            return Ok(format!(
                "revoked tenant {} and its {} key(s)",
                tenant.name,
                tenant.keys.len()
            ));
        }
        let prefix = what.to_ascii_lowercase();
        if prefix.len() < 6 || !prefix.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::not_found(format!(
                "no tenant is named {what:?}; to revoke one key, give at least 6 hex digits \
                 of its hash (`office keys list` shows them)"
            )));
        }
        let found: Vec<(usize, usize)> = self
            .tenants
            .iter()
            .enumerate()
            .flat_map(|(t, tenant)| {
                tenant
                    .keys
                    .iter()
                    .enumerate()
                    .filter(|(_, k)| k.to_hex().starts_with(&prefix))
                    .map(move |(k, _)| (t, k))
            })
            .collect();
        match found[..] {
            [(t, k)] => {
                let hash = self.tenants[t].keys.remove(k);
                Ok(format!(
                    "revoked key {} of tenant {}",
                    &hash.to_hex()[..12],
                    self.tenants[t].name
                ))
            }
            [] => Err(Error::not_found(format!(
                "no tenant is named {what:?} and no key's hash starts with it"
            ))),
            _ => Err(Error::invalid(format!(
                "{} keys' hashes start with {what:?}: give more of the hash",
                found.len()
            ))),
        }
    }
}

/// How a keys file is written, by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeysFormat {
    /// `.json`
    Json,
    /// `.toml`
    Toml,
}

impl KeysFormat {
    /// The format of the file at `path`; another extension is refused with a sentence
    /// rather than misread.
    pub fn of(path: &Path) -> Result<KeysFormat> {
        match path.extension().and_then(|e| e.to_str()) {
            Some(ext) if ext.eq_ignore_ascii_case("json") => Ok(KeysFormat::Json),
            Some(ext) if ext.eq_ignore_ascii_case("toml") => Ok(KeysFormat::Toml),
            _ => Err(Error::invalid(format!(
                "the keys file {} must be a .json or a .toml file (OFFICE_API_KEYS_FILE)",
                path.display()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant(name: &str) -> TenantId {
        TenantId::new(name).unwrap()
    }

    #[test]
    fn keys_are_added_listed_and_revoked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        let mut file = KeysFile::read_or_new(&path).unwrap();
        let a1 = file.add_key(&tenant("acme"), false).unwrap();
        let a2 = file.add_key(&tenant("acme"), false).unwrap();
        file.add_key(&tenant("ops"), true).unwrap();
        file.write(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            !text.contains(&a1) && text.contains(&KeyHash::of(&a1).to_hex()),
            "{text}"
        );

        let mut back = KeysFile::read(&path).unwrap();
        assert_eq!(back, file);
        assert_eq!(back.tenants[0].keys.len(), 2);
        assert!(back.tenants[1].admin && !back.tenants[0].admin);

        let prefix = &KeyHash::of(&a2).to_hex()[..10];
        let said = back.revoke(prefix).unwrap();
        assert!(said.contains("acme"), "{said}");
        assert_eq!(back.tenants[0].keys, vec![KeyHash::of(&a1)]);
        assert!(back.revoke("ops").unwrap().contains("1 key"));
        assert_eq!(back.tenants.len(), 1);
        assert!(back.revoke("nobody").is_err());
        assert!(back.revoke("abc").is_err());
    }

    #[test]
    fn a_file_that_contradicts_itself_is_refused() {
        let hash = KeyHash::of("k").to_hex();
        let twice = format!(
            r#"{{"tenants": [{{"name": "a", "keys": ["{hash}"]}}, {{"name": "b", "keys": ["{hash}"]}}]}}"#
        );
        assert!(
            KeysFile::parse(&twice)
                .unwrap_err()
                .contains("more than once")
        );
        let named_twice = r#"{"tenants": [{"name": "a"}, {"name": "a"}]}"#;
        assert!(KeysFile::parse(named_twice).unwrap_err().contains("twice"));
        let quotas = format!(
            r#"{{"tenants": [{{"name": "a", "keys": ["{hash}"], "quotas": {{"running": 2}}}}]}}"#
        );
        assert_eq!(
            KeysFile::parse(&quotas).unwrap().tenants[0].quotas.running,
            Some(2)
        );
        assert!(KeysFile::parse(r#"{"tenants": [{"name": "a b"}]}"#).is_err());
        assert!(KeysFile::parse(r#"{"tenant": []}"#).is_err());
        assert!(KeysFile::read_or_new(Path::new("/tmp/keys.yaml")).is_err());
    }

    #[test]
    fn a_toml_file_holds_the_same_and_round_trips() {
        let hash = KeyHash::of("k").to_hex();
        let text = format!(
            "[[tenants]]\nname = \"acme\"\nkeys = [\"{hash}\"]\nquotas = {{ running = 2, retention_days = 7 }}\n\n\
             [[tenants]]\nname = \"ops\"\nadmin = true\n"
        );
        let file = KeysFile::parse_as(KeysFormat::Toml, &text).unwrap();
        assert_eq!(file.tenants[0].keys, vec![KeyHash::of("k")]);
        assert_eq!(file.tenants[0].quotas.running, Some(2));
        assert_eq!(file.tenants[0].quotas.retention_days, Some(7));
        assert!(file.tenants[1].admin && file.tenants[1].keys.is_empty());
        assert!(
            KeysFile::parse_as(KeysFormat::Toml, "[[tenants]]\nname = \"a\"\nkeyz = []\n")
                .unwrap_err()
                .contains("keyz")
        );

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.toml");
        let mut written = KeysFile::read_or_new(&path).unwrap();
        let key = written.add_key(&tenant("acme"), false).unwrap();
        written.tenants[0].quotas.queued = Some(5);
        written.add_key(&tenant("ops"), true).unwrap();
        written.write(&path).unwrap();
        let on_disk = std::fs::read_to_string(&path).unwrap();
        assert!(
            on_disk.contains("[[tenants]]") && !on_disk.contains(&key),
            "{on_disk}"
        );
        assert_eq!(KeysFile::read(&path).unwrap(), written);
    }
}
