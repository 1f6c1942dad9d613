//! `office keys add|list|revoke`: edits the keys file (`--file`, or
//! `OFFICE_API_KEYS_FILE`); a running server reloads it within a second or so. The
//! work is in `office_core::KeysFile`; this prints.

use anyhow::{Context, Result};
use clap::Subcommand;
use office_core::{KeysFile, TenantId};
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Make a new key for a tenant (a new tenant when it has none yet) and print it,
    /// once: the file keeps only its hash.
    Add {
        /// The tenant's name (letters, digits, '.', '_', '-').
        tenant: TenantId,
        /// The tenant sees and manages every tenant's jobs.
        #[arg(long)]
        admin: bool,
    },
    /// List each tenant with the first digits of its keys' hashes.
    List,
    /// Revoke a tenant (all its keys) or one key, by the first digits of its hash.
    Revoke {
        /// A tenant's name, or at least 6 hex digits of a key's hash.
        what: String,
    },
}

/// Where the keys file is: `--file`, else `OFFICE_API_KEYS_FILE`.
fn keys_path(file: Option<PathBuf>) -> Result<PathBuf> {
    file.or_else(|| {
        std::env::var_os("OFFICE_API_KEYS_FILE")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    })
    .context("no keys file: pass --file or set OFFICE_API_KEYS_FILE")
}

pub fn run(command: KeysCommand, file: Option<PathBuf>) -> Result<i32> {
    let path = keys_path(file)?;
    let mut keys = KeysFile::read_or_new(&path)?;
    match command {
        KeysCommand::Add { tenant, admin } => {
            let key = keys.add_key(&tenant, admin)?;
            save(&keys, &path)?;
            eprintln!(
                "added a key for tenant {tenant}{}; it is shown only now:",
                if admin { " (admin)" } else { "" }
            );
            println!("{key}");
        }
        KeysCommand::List => {
            for tenant in &keys.tenants {
                let hashes: Vec<String> = tenant
                    .keys
                    .iter()
                    .map(|k| k.to_hex()[..12].to_string())
                    .collect();
                println!(
                    "{}{}\t{}",
                    tenant.name,
                    if tenant.admin { " (admin)" } else { "" },
                    hashes.join(" ")
                );
            }
        }
        KeysCommand::Revoke { what } => {
            let said = keys.revoke(&what)?;
            save(&keys, &path)?;
            println!("{said}");
        }
    }
    Ok(0)
}

fn save(keys: &KeysFile, path: &Path) -> Result<()> {
    keys.write(path)
        .with_context(|| format!("cannot write the keys file {}", path.display()))
}
