//! A bounded, in-memory cache of the wrapping keys an [`ImportService`](super::ImportService)
//! issued, so that ImportKeyMaterial on the issuing instance does not load the key from the
//! token again.
//!
//! Loading costs a key-pair check (about 6 % of an RSA_2048 private operation with the pure-Rust
//! provider, a third to a half of it with AWS-LC, depending on the host), and with AWS-LC the
//! key's first private operation also does its per-key set-up (see BENCHMARKS.md, "Any
//! instance imports as fast as the issuing one"). The token stays the source of truth: an entry is only a
//! shortcut to a key the token also carries, and whenever the cache has nothing (another
//! instance issued the token, the entry was evicted, the lock is poisoned) the key is loaded
//! from the token as before.
//!
//! An entry is found by the token's random 128-bit [`TokenId`], read from a token that has
//! already authenticated, and is then used only when the token's wrapping key spec, its
//! `ParametersValidTo` and the SHA-256 of its key encoding all match what was recorded at issue
//! time (the digest compared in constant time). So a repeated token id, which a broken caller
//! RNG could produce, never pairs a token with another token's key.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Mutex, MutexGuard};

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

use crate::names::WrappingKeySpec;
use crate::token::{TokenClaims, TokenId};
use crate::wrap::WrappingPrivateKey;

/// What the cache of issued wrapping keys reports about itself
/// ([`ImportService::issued_key_cache_stats`](super::ImportService::issued_key_cache_stats)):
/// counts only, never keys.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IssuedKeyCacheStats {
    /// Entries held now.
    pub len: usize,
    /// The most entries held at once; 0 when the cache is off.
    pub capacity: usize,
    /// ImportKeyMaterial calls that used a cached key.
    pub hits: u64,
    /// ImportKeyMaterial calls that loaded the key from the token (no usable entry).
    pub misses: u64,
}

/// Order of eviction: earliest `ParametersValidTo` first, then insertion order.
type Age = (OffsetDateTime, u64);

struct Entry {
    key: WrappingPrivateKey,
    spec: WrappingKeySpec,
    age: Age,
    digest: [u8; 32],
}

#[derive(Default)]
struct Inner {
    entries: HashMap<TokenId, Entry>,
    by_age: BTreeMap<Age, TokenId>,
    next_seq: u64,
    hits: u64,
    misses: u64,
}

impl Inner {
    fn remove(&mut self, id: &TokenId) {
        if let Some(entry) = self.entries.remove(id) {
            self.by_age.remove(&entry.age);
        }
    }

    fn pop_oldest(&mut self) -> bool {
        match self.by_age.pop_first() {
            Some((_, id)) => {
                self.entries.remove(&id);
                true
            }
            None => false,
        }
    }
}

/// The cache itself. Every method takes `&self`; a poisoned lock makes the cache behave as
/// empty and full at once (nothing found, nothing stored).
pub(super) struct IssuedKeyCache {
    capacity: usize,
    inner: Mutex<Inner>,
}

impl IssuedKeyCache {
    /// The capacity [`ImportService::new`](super::ImportService::new) uses.
    pub(super) const DEFAULT_CAPACITY: usize = 1024;

    pub(super) fn new(capacity: usize) -> IssuedKeyCache {
        IssuedKeyCache {
            capacity,
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> Option<MutexGuard<'_, Inner>> {
        self.inner.lock().ok()
    }

    /// Records the key of a token just issued. Expired entries go first, then, while the cache
    /// is full, the entries that expire soonest.
    pub(super) fn insert(
        &self,
        claims: &TokenClaims,
        key: &WrappingPrivateKey,
        now: OffsetDateTime,
    ) {
        if self.capacity == 0 {
            return;
        }
        let Some(mut inner) = self.lock() else {
            return;
        };
        while inner
            .by_age
            .first_key_value()
            .is_some_and(|((valid_to, _), _)| *valid_to <= now)
        {
            inner.pop_oldest();
        }
        let id = claims.token_id();
        inner.remove(&id);
        while inner.entries.len() >= self.capacity {
            if !inner.pop_oldest() {
                break;
            }
        }
        let age = (claims.parameters_valid_to(), inner.next_seq);
        inner.next_seq = inner.next_seq.wrapping_add(1);
        inner.by_age.insert(age, id);
        inner.entries.insert(
            id,
            Entry {
                key: key.clone(),
                spec: claims.wrapping_key_spec(),
                age,
                digest: digest(claims),
            },
        );
    }

    /// The cached key of an authenticated, unexpired token, if this cache holds the very key
    /// the token carries. The entry stays (a failed import leaves the token usable).
    pub(super) fn get(&self, claims: &TokenClaims) -> Option<WrappingPrivateKey> {
        if self.capacity == 0 {
            return None;
        }
        let mut inner = self.lock()?;
        let found = inner.entries.get(&claims.token_id()).and_then(|entry| {
            let same = entry.spec == claims.wrapping_key_spec()
                && entry.key.spec() == claims.wrapping_key_spec()
                && entry.age.0 == claims.parameters_valid_to()
                && bool::from(entry.digest.ct_eq(&digest(claims)));
            same.then(|| entry.key.clone())
        });
        match found {
            Some(_) => inner.hits = inner.hits.saturating_add(1),
            None => inner.misses = inner.misses.saturating_add(1),
        }
        found
    }

    /// Drops the entry of a token that a successful import used up.
    pub(super) fn remove(&self, id: &TokenId) {
        if let Some(mut inner) = self.lock() {
            inner.remove(id);
        }
    }

    pub(super) fn stats(&self) -> IssuedKeyCacheStats {
        let (len, hits, misses) = self.lock().map_or((0, 0, 0), |inner| {
            (inner.entries.len(), inner.hits, inner.misses)
        });
        IssuedKeyCacheStats {
            len,
            capacity: self.capacity,
            hits,
            misses,
        }
    }
}

impl fmt::Debug for IssuedKeyCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stats = self.stats();
        f.debug_struct("IssuedKeyCache")
            .field("len", &stats.len)
            .field("capacity", &stats.capacity)
            .finish_non_exhaustive()
    }
}

fn digest(claims: &TokenClaims) -> [u8; 32] {
    Sha256::digest(claims.wrapping_private_key().as_slice()).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;
    use time::Duration;

    use crate::names::WrappingAlgorithm;

    fn key() -> WrappingPrivateKey {
        let path = format!(
            "{}/tests/data/wrapping_rsa_2048.pk8.der",
            env!("CARGO_MANIFEST_DIR")
        );
        WrappingPrivateKey::from_pkcs8_der(&std::fs::read(path).unwrap()).unwrap()
    }

    fn t0() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap()
    }

    fn claims(key: &WrappingPrivateKey, seed: u64) -> TokenClaims {
        TokenClaims::new(
            "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            WrappingAlgorithm::RsaesOaepSha256,
            key.spec(),
            key.to_token_encoding().unwrap(),
            t0(),
            &mut ChaCha20Rng::seed_from_u64(seed),
        )
        .unwrap()
    }

    #[test]
    fn a_poisoned_lock_finds_nothing_stores_nothing_and_never_panics() {
        let cache = IssuedKeyCache::new(4);
        let key = key();
        let issued = claims(&key, 1);
        cache.insert(&issued, &key, t0());
        assert!(cache.get(&issued).is_some());

        let poisoned = std::thread::scope(|s| {
            s.spawn(|| {
                let _guard = cache.inner.lock().unwrap();
                panic!("poison the lock");
            })
            .join()
        });
        assert!(poisoned.is_err());
        assert!(cache.inner.is_poisoned());

        assert!(cache.get(&issued).is_none());
        cache.insert(&claims(&key, 2), &key, t0());
        cache.remove(&issued.token_id());
        assert_eq!(
            cache.stats(),
            IssuedKeyCacheStats {
                len: 0,
                capacity: 4,
                hits: 0,
                misses: 0
            }
        );
        assert_eq!(
            format!("{cache:?}"),
            "IssuedKeyCache { len: 0, capacity: 4, .. }"
        );
    }

    #[test]
    fn an_entry_is_not_used_for_a_token_with_another_validity_end() {
        let cache = IssuedKeyCache::new(4);
        let key = key();
        let issued = claims(&key, 1);
        cache.insert(&issued, &key, t0());
        let shifted = TokenClaims::from_parts(
            issued.token_id(),
            issued.key_arn().to_owned(),
            issued.wrapping_algorithm(),
            issued.wrapping_key_spec(),
            issued.issued_at(),
            issued.parameters_valid_to() + Duration::seconds(1),
            issued.wrapping_private_key().clone(),
        )
        .unwrap();
        assert!(cache.get(&shifted).is_none());
        assert!(cache.get(&issued).is_some());
    }
}
