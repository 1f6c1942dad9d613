//! A key's SHA-256 hash, which is all the keys file keeps of it, and new keys.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::io::Read;

/// The SHA-256 of a key, written as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct KeyHash([u8; 32]);

/// What every new key starts with, so that one found in a log or a repository is known
/// for what it is.
const KEY_PREFIX: &str = "office_";

impl KeyHash {
    /// The hash of `key` (surrounding blanks are not part of a key).
    pub fn of(key: &str) -> KeyHash {
        KeyHash(Sha256::digest(key.trim().as_bytes()).into())
    }

    /// A new random key and its hash: the key is shown once, the hash is kept.
    pub fn generate() -> Result<(String, KeyHash)> {
        let mut random = [0u8; 24];
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut random))
            .map_err(|e| Error::internal(format!("no random bytes for a new key: {e}")))?;
        let key = format!("{KEY_PREFIX}{}", hex::encode(random));
        let hash = KeyHash::of(&key);
        Ok((key, hash))
    }

    /// Compares without returning early, so the time taken does not tell how much of a
    /// hash matched.
    pub fn matches(&self, other: &KeyHash) -> bool {
        self.0
            .iter()
            .zip(other.0.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }

    /// The hash as hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Debug for KeyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyHash({})", &self.to_hex()[..12])
    }
}

impl fmt::Display for KeyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl TryFrom<String> for KeyHash {
    type Error = String;
    fn try_from(text: String) -> std::result::Result<Self, String> {
        let bytes = hex::decode(text.trim()).ok().filter(|b| b.len() == 32);
        match bytes {
            Some(b) => Ok(KeyHash(b.try_into().expect("32 bytes"))),
            None => Err(format!(
                "{text:?} is not a key hash: write the SHA-256 of the key as 64 hex digits"
            )),
        }
    }
}

impl From<KeyHash> for String {
    fn from(h: KeyHash) -> String {
        h.to_hex()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_is_the_sha256_of_the_key() {
        // sha256("abc"), the FIPS 180-2 example.
        assert_eq!(
            KeyHash::of("abc").to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let back: KeyHash =
            serde_json::from_str(&serde_json::to_string(&KeyHash::of("abc")).unwrap()).unwrap();
        assert!(back.matches(&KeyHash::of("abc")));
        assert!(!back.matches(&KeyHash::of("abd")));
        assert!(serde_json::from_str::<KeyHash>("\"abcd\"").is_err());
    }

    #[test]
    fn new_keys_differ_and_hash_to_what_is_kept() {
        let (a, ha) = KeyHash::generate().unwrap();
        let (b, _) = KeyHash::generate().unwrap();
        assert_ne!(a, b);
        assert!(
            a.starts_with(KEY_PREFIX) && a.len() == KEY_PREFIX.len() + 48,
            "{a}"
        );
        assert!(KeyHash::of(&a).matches(&ha));
    }
}
