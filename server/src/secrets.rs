//! The service secrets every instance shares: the import-token sealing keys, the storage keys
//! that seal records at rest, and the commitment keys. One file holds them all; `keys generate`
//! writes it and `--secrets FILE` loads it.
//!
//! The file is JSON (mode 0600), every key hex-encoded; the first key of each list is the
//! current one, the others are previous keys kept so that tokens and records sealed before a
//! rotation still open:
//!
//! ```text
//! {
//!   "format": "kms-import-server-secrets/1",
//!   "sealing_keys":    [{ "id": "<16 hex digits>", "key": "<64 hex digits>" }, ...],
//!   "storage_keys":    [{ "id": "<16 hex digits>", "key": "<64 hex digits>" }, ...],
//!   "commitment_keys": [{ "version": <u32, not 0>,  "key": "<64 hex digits>" }, ...]
//! }
//! ```
//!
//! Nothing here implements `Debug` with key bytes, and no error message quotes the file.

use std::io::Write;
use std::path::Path;

use crate::prelude::*;
use kms_import::SealingKeyId;
use kms_import::{CommitmentKey, CommitmentKeys, StorageKey, StorageKeyId, StorageKeys};

/// The format tag the file starts with; a file of another format is refused.
pub const SECRETS_FORMAT: &str = "kms-import-server-secrets/1";

/// The loaded secrets.
pub(crate) struct Secrets {
    pub(crate) sealing: SealingKeys,
    pub(crate) storage: StorageKeys,
    /// The keys that make imported materials' public ids (every instance must hold the same).
    pub(crate) commitment: CommitmentKeys,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets(<redacted>)")
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct IdKey {
    id: String,
    key: String,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct VersionKey {
    version: u32,
    key: String,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct File {
    format: String,
    sealing_keys: Vec<IdKey>,
    storage_keys: Vec<IdKey>,
    commitment_keys: Vec<VersionKey>,
}

impl Drop for File {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        for k in self
            .sealing_keys
            .iter_mut()
            .chain(self.storage_keys.iter_mut())
        {
            k.key.zeroize();
        }
        for k in &mut self.commitment_keys {
            k.key.zeroize();
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        s.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
    }
    s
}

fn unhex<const N: usize>(s: &str, what: &str) -> Result<Zeroizing<[u8; N]>, String> {
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    let bytes = s.as_bytes();
    if bytes.len() != 2 * N {
        return Err(format!("{what} must be {} hex digits", 2 * N));
    }
    let mut out = Zeroizing::new([0u8; N]);
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        match (digit(pair[0]), digit(pair[1])) {
            (Some(h), Some(l)) => out[i] = (h << 4) | l,
            _ => return Err(format!("{what} must be {} hex digits", 2 * N)),
        }
    }
    Ok(out)
}

impl Secrets {
    /// Fresh secrets: one key of each kind.
    pub(crate) fn generate(rng: &mut dyn CryptoRng) -> Secrets {
        Secrets {
            sealing: SealingKeys::new(SealingKey::generate(rng)),
            storage: StorageKeys::new(StorageKey::generate(rng)),
            commitment: CommitmentKeys::new(CommitmentKey::generate(rng)),
        }
    }

    fn to_file(&self) -> File {
        let sealing = std::iter::once(self.sealing.current()).chain(self.sealing.previous());
        File {
            format: SECRETS_FORMAT.to_owned(),
            sealing_keys: sealing
                .map(|k| IdKey {
                    id: hex(k.id().as_bytes()),
                    key: hex(k.expose_secret()),
                })
                .collect(),
            storage_keys: std::iter::once(self.storage.current())
                .chain(self.storage.previous())
                .map(|k| IdKey {
                    id: hex(k.id().as_bytes()),
                    key: hex(k.expose_secret()),
                })
                .collect(),
            commitment_keys: std::iter::once(self.commitment.current())
                .chain(self.commitment.previous())
                .map(|k| VersionKey {
                    version: k.version(),
                    key: hex(k.expose_secret()),
                })
                .collect(),
        }
    }

    fn from_file(file: &File) -> Result<Secrets, String> {
        if file.format != SECRETS_FORMAT {
            return Err(format!("unknown format (expected \"{SECRETS_FORMAT}\")"));
        }
        let mut sealing = Vec::new();
        for k in &file.sealing_keys {
            let id = unhex::<8>(&k.id, "a sealing key id")?;
            let key = unhex::<32>(&k.key, "a sealing key")?;
            sealing.push(SealingKey::from_bytes(SealingKeyId::from_bytes(*id), *key));
        }
        let mut storage = Vec::new();
        for k in &file.storage_keys {
            let id = unhex::<8>(&k.id, "a storage key id")?;
            let key = unhex::<32>(&k.key, "a storage key")?;
            storage.push(StorageKey::from_bytes(StorageKeyId::from_bytes(*id), *key));
        }
        let mut commitment = Vec::new();
        for k in &file.commitment_keys {
            let key = unhex::<32>(&k.key, "a commitment key")?;
            commitment.push(CommitmentKey::from_bytes(k.version, *key));
        }
        if sealing.is_empty() || storage.is_empty() || commitment.is_empty() {
            return Err(
                "it must hold at least one sealing key, one storage key and one commitment key"
                    .to_owned(),
            );
        }
        let current_sealing = sealing.remove(0);
        let max_previous = sealing.len().max(SealingKeys::DEFAULT_MAX_PREVIOUS);
        let sealing = SealingKeys::with_previous(current_sealing, sealing, max_previous)
            .map_err(|e| e.message().to_owned())?;
        let current = storage.remove(0);
        let max_previous = storage.len().max(StorageKeys::DEFAULT_MAX_PREVIOUS);
        let storage = StorageKeys::with_previous(current, storage, max_previous)
            .map_err(|e| e.message().to_owned())?;
        let current_commitment = commitment.remove(0);
        let commitment = CommitmentKeys::with_previous(current_commitment, commitment)
            .map_err(|e| e.message().to_owned())?;
        Ok(Secrets {
            sealing,
            storage,
            commitment,
        })
    }

    /// Reads a secrets file.
    pub(crate) fn load(path: &Path) -> Result<Secrets, String> {
        let text = Zeroizing::new(
            std::fs::read(path)
                .map_err(|e| format!("cannot read the secrets file {}: {e}", path.display()))?,
        );
        let file: File = serde_json::from_slice(&text).map_err(|e| {
            format!(
                "the secrets file {} is not valid JSON (line {}, column {})",
                path.display(),
                e.line(),
                e.column()
            )
        })?;
        Secrets::from_file(&file)
            .map_err(|e| format!("the secrets file {} is not usable: {e}", path.display()))
    }

    /// Writes a new secrets file with mode 0600; an existing file is never overwritten.
    pub(crate) fn write_new(&self, path: &Path) -> Result<(), String> {
        use std::os::unix::fs::OpenOptionsExt;
        let text = Zeroizing::new(
            serde_json::to_vec_pretty(&self.to_file()).map_err(|_| "cannot encode the secrets")?,
        );
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::AlreadyExists => format!(
                    "{} already exists; it is not overwritten (move it away or choose another path)",
                    path.display()
                ),
                _ => format!("cannot create {}: {e}", path.display()),
            })?;
        file.write_all(&text)
            .and_then(|()| file.write_all(b"\n"))
            .and_then(|()| file.sync_all())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    }
}

/// `kms-import-server keys generate --out FILE`.
pub fn generate_file(path: &Path) -> Result<(), String> {
    let mut rng: OsRng = UnwrapErr(SysRng);
    Secrets::generate(&mut rng).write_new(path)
}

/// The sentence a durable store's refusal to start without secrets ends with.
pub(crate) fn how_to_make_one() -> String {
    "create one with `kms-import-server keys generate --out secrets.json` and start with \
     `--secrets secrets.json` (every instance on the same store loads the same file)"
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_file_loads_back_with_the_same_keys() {
        let dir = std::env::temp_dir().join(format!("kms-secrets-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("a.json");
        let _ = std::fs::remove_file(&path);
        let mut rng: OsRng = UnwrapErr(SysRng);
        let s = Secrets::generate(&mut rng);
        s.write_new(&path).unwrap();
        let back = Secrets::load(&path).unwrap();
        assert_eq!(back.sealing.current().id(), s.sealing.current().id());
        assert_eq!(
            back.sealing.current().expose_secret(),
            s.sealing.current().expose_secret()
        );
        assert_eq!(back.storage.current().id(), s.storage.current().id());
        assert_eq!(
            back.commitment.current().version(),
            s.commitment.current().version()
        );
        assert_eq!(
            back.commitment.current().expose_secret(),
            s.commitment.current().expose_secret()
        );
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let again = s.write_new(&path).unwrap_err();
        assert!(again.contains("not overwritten"), "{again}");
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn malformed_files_are_refused_without_quoting_them() {
        let mut rng: OsRng = UnwrapErr(SysRng);
        let good = Secrets::generate(&mut rng).to_file();
        let mut bad = Secrets::generate(&mut rng).to_file();
        bad.storage_keys[0].key = "zz".repeat(32);
        let e = Secrets::from_file(&bad).unwrap_err();
        assert!(e.contains("storage key"), "{e}");
        let mut empty = Secrets::generate(&mut rng).to_file();
        empty.commitment_keys.clear();
        assert!(Secrets::from_file(&empty).is_err());
        let mut other = Secrets::generate(&mut rng).to_file();
        other.format = "something-else".to_owned();
        assert!(Secrets::from_file(&other).is_err());
        let secret = good.sealing_keys[0].key.clone();
        let mut short = Secrets::generate(&mut rng).to_file();
        short.sealing_keys[0].key = secret[..10].to_owned();
        let e = Secrets::from_file(&short).unwrap_err();
        assert!(!e.contains(&secret[..10]), "{e}");
        assert!(Secrets::from_file(&good).is_ok());
    }

    #[test]
    fn debug_shows_no_key() {
        let mut rng: OsRng = UnwrapErr(SysRng);
        let s = Secrets::generate(&mut rng);
        let shown = format!("{s:?}");
        assert!(!shown.contains(&hex(s.sealing.current().expose_secret())));
        assert!(!shown.contains(&hex(s.storage.current().expose_secret())));
    }
}
