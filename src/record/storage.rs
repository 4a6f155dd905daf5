//! Storing a key record: the storage keys, the sealed form and the typed loading error.
//!
//! A record holds imported key material, so it leaves the process only sealed: encrypted and
//! authenticated under a service *storage key* (AES-256-GCM-SIV, as import tokens are sealed),
//! bound to the record's key id and revision so that a sealed record cannot be presented for
//! another key or another revision than the one it was written at.
//!
//! The format is specified, for embedders, in the public [`crate::storage_format`] page.

use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::key_id::KeyId;
use crate::keyring::{KeyRing, RingKey};

/// The envelope version this crate writes and reads.
#[cfg_attr(not(feature = "serde"), allow(dead_code))]
pub(crate) const SEALED_RECORD_VERSION: u8 = 0x01;
/// The record document's `FormatVersion` this crate writes and reads.
#[cfg_attr(not(feature = "serde"), allow(dead_code))]
pub(crate) const RECORD_FORMAT_VERSION: u64 = 1;
/// Length of a [`StorageKeyId`].
pub(crate) const STORAGE_KEY_ID_LEN: usize = 8;
/// The longest sealed record this crate writes or opens (1 MiB); longer input is refused before
/// any cryptography.
#[cfg_attr(not(feature = "serde"), allow(dead_code))]
pub(crate) const MAX_SEALED_RECORD_LEN: usize = 1 << 20;
/// The largest revision a record reaches: revisions fit a signed 64-bit database column.
pub(crate) const MAX_REVISION: u64 = i64::MAX as u64;

/// The short public name of a storage key, written in the clear at the front of every sealed
/// record so that the opener picks the key without trying each one.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct StorageKeyId([u8; STORAGE_KEY_ID_LEN]);

impl StorageKeyId {
    /// Wraps raw id bytes (as stored in an embedder's configuration).
    pub fn from_bytes(bytes: [u8; STORAGE_KEY_ID_LEN]) -> StorageKeyId {
        StorageKeyId(bytes)
    }

    /// The raw id bytes.
    pub fn as_bytes(&self) -> &[u8; STORAGE_KEY_ID_LEN] {
        &self.0
    }

    fn ct_eq(&self, other: &[u8]) -> bool {
        self.0[..].ct_eq(other).into()
    }
}

impl fmt::Display for StorageKeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for StorageKeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StorageKeyId({self})")
    }
}

/// An AES-256 key that seals key records at rest, with its [`StorageKeyId`].
///
/// The key bytes are zeroized on drop and never appear in `Debug`.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct StorageKey {
    #[zeroize(skip)]
    id: StorageKeyId,
    key: [u8; 32],
}

impl StorageKey {
    /// Draws a fresh random id and key from `rng`.
    pub fn generate(rng: &mut dyn rand_core::CryptoRng) -> StorageKey {
        let mut id = [0u8; STORAGE_KEY_ID_LEN];
        rng.fill_bytes(&mut id);
        let mut key = StorageKey {
            id: StorageKeyId(id),
            key: [0u8; 32],
        };
        rng.fill_bytes(&mut key.key);
        key
    }

    /// Rebuilds a key from its stored id and 32 key bytes. The caller should zeroize its copy.
    pub fn from_bytes(id: StorageKeyId, key: [u8; 32]) -> StorageKey {
        StorageKey { id, key }
    }

    /// The key's public id.
    pub fn id(&self) -> StorageKeyId {
        self.id
    }

    /// The secret key bytes, for the embedder to keep in its (protected) configuration.
    pub fn expose_secret(&self) -> &[u8; 32] {
        &self.key
    }

    #[cfg(feature = "serde")]
    fn cipher(&self) -> aes_gcm_siv::Aes256GcmSiv {
        use aes_gcm_siv::aead::KeyInit;
        let key: &aes_gcm_siv::Key<aes_gcm_siv::Aes256GcmSiv> = (&self.key).into();
        aes_gcm_siv::Aes256GcmSiv::new(key)
    }
}

impl fmt::Debug for StorageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StorageKey")
            .field("id", &self.id)
            .field("key", &format_args!("<redacted>"))
            .finish()
    }
}

/// The storage keys a service holds: the `current` key seals records; it and up to
/// `max_previous` earlier keys open them.
///
/// Every instance gets the same set. To rotate, [`StorageKeys::rotate`] a new key in; records
/// sealed under the old key still open while it is among the previous keys, and are sealed
/// under the new key the next time they are stored. Re-store every record (or wait until each
/// has been written once) before the old key leaves the set.
#[derive(Clone)]
pub struct StorageKeys {
    ring: KeyRing<StorageKey>,
}

impl RingKey for StorageKey {
    type Id = StorageKeyId;
    const SET: &'static str = "storage";
    const SET_TITLE: &'static str = "Storage";
    const ID_NAME: &'static str = "id";

    fn ring_id(&self) -> StorageKeyId {
        self.id
    }

    fn ring_id_matches(&self, id: &[u8]) -> bool {
        self.id.ct_eq(id)
    }
}

impl StorageKeys {
    /// How many previous keys a set keeps unless told otherwise.
    pub const DEFAULT_MAX_PREVIOUS: usize = 2;

    /// A set holding only `current`, keeping up to [`StorageKeys::DEFAULT_MAX_PREVIOUS`] previous
    /// keys after rotations.
    pub fn new(current: StorageKey) -> StorageKeys {
        StorageKeys {
            ring: KeyRing::new(current, Self::DEFAULT_MAX_PREVIOUS),
        }
    }

    /// Rebuilds a set from configuration: `previous` is newest first.
    ///
    /// Fails with [`crate::Error::Validation`] when `previous` holds more than `max_previous` keys or
    /// two keys share an id (a sealed record's id must name exactly one key).
    pub fn with_previous(
        current: StorageKey,
        previous: Vec<StorageKey>,
        max_previous: usize,
    ) -> Result<StorageKeys, crate::Error> {
        Ok(StorageKeys {
            ring: KeyRing::with_previous(current, previous, max_previous)?,
        })
    }

    /// Makes `new_current` the sealing key; the old current key becomes the newest
    /// previous key and the oldest previous key beyond the limit is dropped (records
    /// sealed under it stop opening).
    ///
    /// Fails with [`crate::Error::Validation`], leaving the set unchanged, when `new_current`'s id
    /// is already in the set.
    pub fn rotate(&mut self, new_current: StorageKey) -> Result<(), crate::Error> {
        self.ring.rotate(new_current)
    }

    /// The key that seals new records.
    pub fn current(&self) -> &StorageKey {
        self.ring.current()
    }

    /// The earlier keys that still open records, newest first.
    pub fn previous(&self) -> &[StorageKey] {
        self.ring.previous()
    }

    /// How many previous keys the set keeps.
    pub fn max_previous(&self) -> usize {
        self.ring.max_previous()
    }
}

impl fmt::Debug for StorageKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.ring.debug_fields("StorageKeys", f)
    }
}

/// Why a stored record could not be loaded (or a record breaks an invariant).
///
/// None of these says which cryptographic check failed, and none carries key material.
/// Converted into [`crate::Error`], every one is `KMSInternalException`: a record the service
/// cannot load is the service's fault, not the caller's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// The bytes cannot be a sealed record: shorter than the envelope or longer than 1 MiB.
    #[error("not a sealed key record: {0} bytes is outside the possible lengths")]
    Length(usize),
    /// An envelope version or a document `FormatVersion` this release does not read: the
    /// record was written by a newer release of kms-import.
    #[error(
        "stored key record has format version {found}, but this release of kms-import reads \
         version {supported}; a record of a newer version needs a newer release"
    )]
    UnsupportedVersion {
        /// The version found.
        found: u64,
        /// The highest version this release reads.
        supported: u64,
    },
    /// The envelope names a storage key that is not in the set (rotated out, or never known).
    #[error("sealed key record names storage key {0}, which is not in the storage key set")]
    UnknownStorageKey(StorageKeyId),
    /// The record does not authenticate: another storage key with the same id, a record of
    /// another key, a changed revision, or altered bytes (which one is not said).
    #[error("sealed key record does not authenticate for this key id and revision")]
    NotAuthentic,
    /// The document does not parse: bad JSON, a missing or unknown member, a value out of
    /// range.
    #[error("stored key record is malformed: {0}")]
    Malformed(String),
    /// The record belongs to another key than the one the caller loaded.
    #[error("stored key record belongs to key {found}, not {expected}")]
    WrongKey {
        /// The key id the caller asked for.
        expected: KeyId,
        /// The key id of the record.
        found: KeyId,
    },
    /// The sealed record is at another revision than the store says it should be (a stale
    /// copy put back in place of the current one).
    #[error("sealed key record is at revision {found}, the store expects revision {expected}")]
    RevisionMismatch {
        /// The revision the store holds for the key.
        expected: u64,
        /// The revision in the sealed record.
        found: u64,
    },
    /// The record breaks one of the invariants listed on [`KeyRecord::check_invariants`](crate::KeyRecord::check_invariants).
    #[error("key record breaks an invariant: {0}")]
    BrokenInvariant(super::Invariant),
}

impl From<StorageError> for crate::Error {
    fn from(_: StorageError) -> crate::Error {
        crate::Error::Internal
    }
}

#[cfg(feature = "serde")]
mod sealed {
    use aes_gcm_siv::aead::AeadInOut;
    use aes_gcm_siv::{Nonce, Tag};
    use rand_core::CryptoRng;
    use zeroize::Zeroizing;

    use super::document::{self, DocumentV1};
    use super::*;
    use crate::error::Error;
    use crate::record::KeyRecord;

    const NONCE_LEN: usize = 12;
    const TAG_LEN: usize = 16;
    const HEADER_LEN: usize = 1 + STORAGE_KEY_ID_LEN + 8 + NONCE_LEN;
    const AAD_LABEL: &[u8] = b"kms-import/key-record\0";

    fn associated_data(key: StorageKeyId, revision: u64, key_id: &KeyId) -> Vec<u8> {
        let key_id = key_id.to_string();
        let mut aad = Vec::with_capacity(AAD_LABEL.len() + 1 + 8 + 8 + key_id.len());
        aad.extend_from_slice(AAD_LABEL);
        aad.push(SEALED_RECORD_VERSION);
        aad.extend_from_slice(key.as_bytes());
        aad.extend_from_slice(&revision.to_be_bytes());
        aad.extend_from_slice(key_id.as_bytes());
        aad
    }

    impl KeyRecord {
        /// The sealed storage form of the record: its document (material included)
        /// encrypted and authenticated under the current storage key, bound to the key id and
        /// the revision (the format is specified in `src/record/storage.rs`). A fresh nonce
        /// comes from `rng` for every seal.
        ///
        /// Fails with [`Error::Internal`] only when the record cannot be encoded (a time
        /// outside RFC 3339's years, a sealed record beyond 1 MiB).
        pub fn seal(&self, keys: &StorageKeys, rng: &mut dyn CryptoRng) -> Result<Vec<u8>, Error> {
            let doc = DocumentV1::from_record(self)?;
            let doc_len = document::encoded_len(&doc)?;
            let total = HEADER_LEN + doc_len + TAG_LEN;
            if total > MAX_SEALED_RECORD_LEN || self.revision > MAX_REVISION {
                return Err(Error::Internal);
            }
            let key = keys.current();
            let mut nonce = [0u8; NONCE_LEN];
            rng.fill_bytes(&mut nonce);
            // One buffer of the final size: the document is written, then encrypted, in place,
            // so no cleartext copy is left behind by a reallocation.
            let mut out = Zeroizing::new(Vec::with_capacity(total));
            out.push(SEALED_RECORD_VERSION);
            out.extend_from_slice(key.id().as_bytes());
            out.extend_from_slice(&self.revision.to_be_bytes());
            out.extend_from_slice(&nonce);
            document::write(&doc, &mut out)?;
            drop(doc);
            if out.len() != HEADER_LEN + doc_len {
                return Err(Error::Internal);
            }
            let aad = associated_data(key.id(), self.revision, &self.key_id());
            let body = out.get_mut(HEADER_LEN..).ok_or(Error::Internal)?;
            let tag = key
                .cipher()
                .encrypt_inout_detached(&Nonce::from(nonce), &aad, body.into())
                .map_err(|_| Error::Internal)?;
            out.extend_from_slice(&tag);
            Ok(std::mem::take(&mut *out))
        }

        /// Opens a sealed record of the key `expected`, written by [`KeyRecord::seal`] under
        /// any key of `keys`, and checks it (format, invariants) before returning it.
        ///
        /// A store that keeps the revision in a column of its own should use
        /// [`KeyRecord::open_sealed_at`], which also refuses a stale copy put back in place.
        ///
        /// Errors, in this order: [`StorageError::Length`], [`StorageError::UnsupportedVersion`]
        /// and [`StorageError::UnknownStorageKey`] before any cryptography;
        /// [`StorageError::NotAuthentic`] for anything that does not authenticate for
        /// `expected` at the revision in the header; then [`StorageError::Malformed`],
        /// [`StorageError::WrongKey`] and [`StorageError::BrokenInvariant`] for a document
        /// that authenticates but does not load.
        pub fn open_sealed(
            keys: &StorageKeys,
            expected: &KeyId,
            bytes: &[u8],
        ) -> Result<KeyRecord, StorageError> {
            if bytes.len() < HEADER_LEN + TAG_LEN || bytes.len() > MAX_SEALED_RECORD_LEN {
                return Err(StorageError::Length(bytes.len()));
            }
            let (header, rest) = bytes.split_at(HEADER_LEN);
            let (body, tag) = rest.split_at(rest.len() - TAG_LEN);
            let (version, header) = header.split_at(1);
            if version != [SEALED_RECORD_VERSION] {
                return Err(StorageError::UnsupportedVersion {
                    found: u64::from(version.first().copied().unwrap_or_default()),
                    supported: u64::from(SEALED_RECORD_VERSION),
                });
            }
            let (key_id, header) = header.split_at(STORAGE_KEY_ID_LEN);
            let (revision, nonce) = header.split_at(8);
            let mut id = [0u8; STORAGE_KEY_ID_LEN];
            id.copy_from_slice(key_id);
            let key = keys
                .ring
                .find(key_id)
                .ok_or(StorageError::UnknownStorageKey(StorageKeyId(id)))?;
            let mut rev = [0u8; 8];
            rev.copy_from_slice(revision);
            let revision = u64::from_be_bytes(rev);
            let mut n = [0u8; NONCE_LEN];
            n.copy_from_slice(nonce);
            let mut t = [0u8; TAG_LEN];
            t.copy_from_slice(tag);

            let aad = associated_data(key.id(), revision, expected);
            let mut plain = Zeroizing::new(body.to_vec());
            key.cipher()
                .decrypt_inout_detached(
                    &Nonce::from(n),
                    &aad,
                    plain.as_mut_slice().into(),
                    &Tag::from(t),
                )
                .map_err(|_| StorageError::NotAuthentic)?;
            let record = document::read(&plain)?;
            if record.key_id() != *expected {
                return Err(StorageError::WrongKey {
                    expected: *expected,
                    found: record.key_id(),
                });
            }
            if record.revision != revision {
                return Err(StorageError::RevisionMismatch {
                    expected: revision,
                    found: record.revision,
                });
            }
            Ok(record)
        }

        /// [`KeyRecord::open_sealed`] for a store that keeps each record's revision beside
        /// it: also refuses, with [`StorageError::RevisionMismatch`] and before any
        /// cryptography, a sealed record whose revision is not `revision` (an older copy put
        /// back in place of the current one).
        pub fn open_sealed_at(
            keys: &StorageKeys,
            expected: &KeyId,
            revision: u64,
            bytes: &[u8],
        ) -> Result<KeyRecord, StorageError> {
            let found = sealed_revision(bytes)?;
            if found != revision {
                return Err(StorageError::RevisionMismatch {
                    expected: revision,
                    found,
                });
            }
            KeyRecord::open_sealed(keys, expected, bytes)
        }

        /// The record's document in clear, **key material included** (base64): for
        /// migration, debugging with test keys and support tools, never for storage. Anyone
        /// who reads the output holds the key material. The buffer is zeroized on drop.
        ///
        /// Fails with [`Error::Internal`] only when the record cannot be encoded.
        pub fn to_plaintext_json_insecure(&self) -> Result<Zeroizing<String>, Error> {
            let doc = DocumentV1::from_record(self)?;
            let mut out = Zeroizing::new(Vec::with_capacity(document::encoded_len(&doc)?));
            document::write(&doc, &mut out)?;
            let text = String::from_utf8(std::mem::take(&mut *out)).map_err(|_| Error::Internal)?;
            Ok(Zeroizing::new(text))
        }

        /// Loads a record from its document in clear: the current format (written by
        /// [`KeyRecord::to_plaintext_json_insecure`]) or the unversioned form of earlier
        /// releases (snake_case members, Unix-second ledger times), for migrating records
        /// into the sealed form. The record is checked as [`KeyRecord::open_sealed`] checks
        /// it.
        ///
        /// Errors: [`StorageError::UnsupportedVersion`] for a newer `FormatVersion`,
        /// [`StorageError::Malformed`], [`StorageError::BrokenInvariant`].
        pub fn from_plaintext_json_insecure(json: &str) -> Result<KeyRecord, StorageError> {
            document::read(json.as_bytes())
        }
    }

    /// The revision in the header of a sealed record, read without any key (the header is
    /// authenticated when the record is opened).
    ///
    /// Errors: [`StorageError::Length`], [`StorageError::UnsupportedVersion`].
    pub fn sealed_revision(bytes: &[u8]) -> Result<u64, StorageError> {
        if bytes.len() < HEADER_LEN + TAG_LEN || bytes.len() > MAX_SEALED_RECORD_LEN {
            return Err(StorageError::Length(bytes.len()));
        }
        let version = bytes.first().copied().unwrap_or_default();
        if version != SEALED_RECORD_VERSION {
            return Err(StorageError::UnsupportedVersion {
                found: u64::from(version),
                supported: u64::from(SEALED_RECORD_VERSION),
            });
        }
        let mut rev = [0u8; 8];
        let start = 1 + STORAGE_KEY_ID_LEN;
        rev.copy_from_slice(
            bytes
                .get(start..start + 8)
                .ok_or(StorageError::Length(bytes.len()))?,
        );
        Ok(u64::from_be_bytes(rev))
    }
}

#[cfg(feature = "serde")]
pub use sealed::sealed_revision;

#[cfg(feature = "serde")]
mod document;
