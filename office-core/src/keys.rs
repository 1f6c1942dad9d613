//! API keys and the tenants they belong to: a keys file (`OFFICE_API_KEYS_FILE`, JSON)
//! naming each tenant with the SHA-256 hashes of its keys, an admin flag and its quotas,
//! and the plain keys of `OFFICE_API_KEYS` (each its own tenant). Keys are kept only as
//! hashes; `Keyring::authenticate` turns a presented key into the `Caller` it acts as.
//!
//! Layout: `hash.rs` (a key's hash, new keys), `file.rs` (the file: read, write, add,
//! revoke), `ring.rs` (what the engine holds: the file reloaded when it changes).

mod file;
mod hash;
mod ring;

pub use file::{KeysFile, KeysFormat, TenantKeys};
pub use hash::KeyHash;
pub use ring::Keyring;
