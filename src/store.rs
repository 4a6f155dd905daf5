//! Storing key records: the contract every embedder follows, the [`Applied`] signal that says
//! when to store, a compare-and-swap retry helper, and an in-memory reference store.
//!
//! # The storage contract
//!
//! Storage is the embedder's; the crate never reads or writes it. For every operation on a key:
//!
//! 1. **Load** the record (with the revision it was stored at).
//! 2. **Operate**: call the operation with the loaded record, `now` and `rng`. Every operation
//!    first applies the expiry that is due at `now`, so a record never acts on expired
//!    material, and reports in [`Applied::changed`] whether the record changed, *also when it
//!    failed*: expiry applied before a failing check is still a change to keep.
//! 3. **Store** the record when it changed, with compare-and-swap on the revision you loaded:
//!    the write succeeds only if the stored revision is still that one. On a lost race, reload
//!    and retry (or answer as AWS would, for example `ConflictException`); never write a record
//!    you did not load. [`update`] does steps 1-3 with retries over any [`RecordStore`].
//!
//! Never hold a lock or a database transaction across an RSA private operation
//! (ImportKeyMaterial's unwrap) or a key generation (GetParametersForImport on a pool miss):
//! they take milliseconds to seconds. Do the cryptography on the loaded record, then commit with
//! compare-and-swap; the revision makes that safe.
//!
//! A record holds key material, so it leaves the process only sealed under a storage key
//! (feature `serde`: `KeyRecord::seal`, `KeyRecord::open_sealed_at`; the
//! format is documented in [`crate::record::storage`]). Keep the revision in a column of its
//! own, beside the sealed bytes, and compare-and-swap on that column; revisions fit a signed
//! 64-bit integer. All instances share the import-token sealing keys and the storage keys, and
//! nothing else.
//!
//! `MemoryStore` (feature `serde`) is the reference: a plain map, no threads, that does exactly
//! this.

use rand_core::CryptoRng;

use crate::error::Error;
use crate::key_id::KeyId;
use crate::record::KeyRecord;

/// The result of an operation on a record, with whether the record changed.
///
/// `changed` is true whenever the record differs from the one given to the operation, whether
/// the operation succeeded or failed (due expiry is applied first and stays applied); the
/// caller then stores the record. A failed operation changes nothing besides that expiry.
#[derive(Debug)]
#[must_use = "a changed record must be stored, also when the operation failed"]
pub struct Applied<T> {
    /// The operation's answer or its AWS error.
    pub result: Result<T, Error>,
    /// Whether the record changed and must be stored (compare-and-swap on the loaded revision).
    pub changed: bool,
}

impl<T> Applied<T> {
    /// Runs `op` on `record` and reports whether the record's revision moved.
    pub fn track(
        record: &mut KeyRecord,
        op: impl FnOnce(&mut KeyRecord) -> Result<T, Error>,
    ) -> Applied<T> {
        let before = record.revision();
        let result = op(record);
        Applied {
            result,
            changed: record.revision() != before,
        }
    }

    /// Maps the answer, keeping `changed`.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Applied<U> {
        Applied {
            result: self.result.map(f),
            changed: self.changed,
        }
    }

    /// The operation's answer, once the caller has looked at [`Applied::changed`].
    pub fn into_result(self) -> Result<T, Error> {
        self.result
    }
}

/// A store of key records with compare-and-swap on the revision: what [`update`] needs.
///
/// A shared store implements it on a handle whose methods each take the lock (or run one
/// short transaction) themselves: [`update`] calls them between operations and never holds
/// anything across one.
pub trait RecordStore {
    /// The store's own failure (I/O, a record that does not load, …).
    type Error;

    /// The stored record of `key_id`, or `None`.
    fn get(&self, key_id: &KeyId) -> Result<Option<KeyRecord>, Self::Error>;

    /// Stores `record` if the stored revision of its key is `expected` (`None`: no record of
    /// that key is stored). `Ok(false)`, storing nothing, when another writer came first.
    fn insert_if_revision(
        &mut self,
        record: &KeyRecord,
        expected: Option<u64>,
        rng: &mut dyn CryptoRng,
    ) -> Result<bool, Self::Error>;
}

/// Why [`update`] did not complete.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpdateError<E> {
    /// No record of the key is stored (AWS: `NotFoundException`).
    #[error("no record of key {0} is stored")]
    NotFound(KeyId),
    /// Every attempt lost its compare-and-swap to another writer.
    #[error("the record of key {key_id} changed under each of {attempts} attempts")]
    Conflict {
        /// The key.
        key_id: KeyId,
        /// How many attempts were made.
        attempts: usize,
    },
    /// The store failed.
    #[error("the record store failed")]
    Store(E),
}

/// Load, operate, store with compare-and-swap; on a lost race, reload and operate again, at
/// most `max_attempts` times (at least once).
///
/// `op` runs on a freshly loaded record each time (never hold a lock across it: it may unwrap
/// or generate RSA keys). When it reports no change, nothing is written. The [`Applied`]
/// returned is that of the attempt whose record was stored, its `changed` telling whether a
/// write happened.
pub fn update<S: RecordStore, T>(
    store: &mut S,
    key_id: &KeyId,
    max_attempts: usize,
    rng: &mut dyn CryptoRng,
    mut op: impl FnMut(&mut KeyRecord, &mut dyn CryptoRng) -> Applied<T>,
) -> Result<Applied<T>, UpdateError<S::Error>> {
    let attempts = max_attempts.max(1);
    for _ in 0..attempts {
        let mut record = store
            .get(key_id)
            .map_err(UpdateError::Store)?
            .ok_or(UpdateError::NotFound(*key_id))?;
        let loaded = record.revision();
        let applied = op(&mut record, rng);
        if !applied.changed {
            return Ok(applied);
        }
        if store
            .insert_if_revision(&record, Some(loaded), rng)
            .map_err(UpdateError::Store)?
        {
            return Ok(applied);
        }
    }
    Err(UpdateError::Conflict {
        key_id: *key_id,
        attempts,
    })
}

#[cfg(feature = "serde")]
pub use memory::MemoryStore;

#[cfg(feature = "serde")]
mod memory {
    use std::collections::BTreeMap;
    use std::fmt;

    use super::*;
    use crate::record::{StorageError, StorageKeys};

    /// The reference store: sealed records in a map, keyed by key id, each beside its revision,
    /// with compare-and-swap on the revision. Sans-IO and single-threaded; a service puts it
    /// (or its database equivalent) behind its own lock, held only for `get` and
    /// `insert_if_revision`, never across an operation.
    pub struct MemoryStore {
        keys: StorageKeys,
        records: BTreeMap<KeyId, (u64, Vec<u8>)>,
    }

    impl MemoryStore {
        /// An empty store sealing under `keys`.
        pub fn new(keys: StorageKeys) -> MemoryStore {
            MemoryStore {
                keys,
                records: BTreeMap::new(),
            }
        }

        /// The stored record of `key_id`, opened and checked, or `None`. A sealed record whose
        /// revision is not the one stored beside it (a stale copy) is refused.
        pub fn get(&self, key_id: &KeyId) -> Result<Option<KeyRecord>, StorageError> {
            let Some((revision, sealed)) = self.records.get(key_id) else {
                return Ok(None);
            };
            KeyRecord::open_sealed_at(&self.keys, key_id, *revision, sealed).map(Some)
        }

        /// Seals and stores `record` if the stored revision of its key is `expected` (`None`:
        /// none stored); `Ok(false)`, storing nothing, otherwise.
        ///
        /// Fails with [`Error::Internal`] when the record cannot be sealed.
        pub fn insert_if_revision(
            &mut self,
            record: &KeyRecord,
            expected: Option<u64>,
            rng: &mut dyn CryptoRng,
        ) -> Result<bool, Error> {
            let key_id = record.key_id();
            let stored = self.records.get(&key_id).map(|(revision, _)| *revision);
            if stored != expected {
                return Ok(false);
            }
            let sealed = record.seal(&self.keys, rng)?;
            self.records.insert(key_id, (record.revision(), sealed));
            Ok(true)
        }

        /// Removes the record of `key_id` if it is stored at `expected` (once its deletion
        /// date has come); whether it was removed.
        pub fn remove_if_revision(&mut self, key_id: &KeyId, expected: u64) -> bool {
            match self.records.get(key_id) {
                Some((revision, _)) if *revision == expected => {
                    self.records.remove(key_id);
                    true
                }
                _ => false,
            }
        }

        /// The stored revision of `key_id`.
        pub fn revision(&self, key_id: &KeyId) -> Option<u64> {
            self.records.get(key_id).map(|(revision, _)| *revision)
        }

        /// The sealed bytes stored for `key_id`: what a database would hold.
        pub fn sealed(&self, key_id: &KeyId) -> Option<&[u8]> {
            self.records
                .get(key_id)
                .map(|(_, sealed)| sealed.as_slice())
        }

        /// The stored key ids, in order.
        pub fn key_ids(&self) -> impl Iterator<Item = &KeyId> {
            self.records.keys()
        }

        /// How many records are stored.
        pub fn len(&self) -> usize {
            self.records.len()
        }

        /// Whether no record is stored.
        pub fn is_empty(&self) -> bool {
            self.records.is_empty()
        }

        /// The storage keys, to rotate them: records are sealed under the new current key the
        /// next time they are stored.
        pub fn storage_keys_mut(&mut self) -> &mut StorageKeys {
            &mut self.keys
        }
    }

    impl RecordStore for MemoryStore {
        type Error = Error;

        fn get(&self, key_id: &KeyId) -> Result<Option<KeyRecord>, Error> {
            MemoryStore::get(self, key_id).map_err(Error::from)
        }

        fn insert_if_revision(
            &mut self,
            record: &KeyRecord,
            expected: Option<u64>,
            rng: &mut dyn CryptoRng,
        ) -> Result<bool, Error> {
            MemoryStore::insert_if_revision(self, record, expected, rng)
        }
    }

    impl fmt::Debug for MemoryStore {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("MemoryStore")
                .field("keys", &self.keys)
                .field("records", &self.records.len())
                .finish()
        }
    }
}
