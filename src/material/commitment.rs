//! The commitment to imported key material: a `KeyMaterialId` keyed with a service secret, so
//! that the public id confirms no guess of the material to anyone without the secret.
//!
//! Each material records the version of the [`CommitmentKey`] its id was made with, so records
//! keep verifying after the service rotates to a new key. Ids of records made before the
//! service had commitment keys (version absent) were keyed with the KMS key id alone; they keep
//! verifying too, and new material never gets such an id once keys are loaded.
//!
//! The id commits to the key itself, not to its encoding (a crate decision; AWS does not say
//! what its ids cover): the raw bytes of SYMMETRIC_DEFAULT and HMAC material, the private scalar
//! of an ECC key (fixed length, big-endian), and for RSA the modulus, the public exponent and
//! the private exponent reduced modulo p−1 and q−1, ordered by prime. The same key therefore
//! restores its KMS key in any valid encoding: with or without the optional EC public point or
//! parameters, with p and q in either order, or with d taken modulo φ(n) or λ(n).

use std::fmt;

use hmac::{HmacReset, KeyInit, Mac};
use rand_core::CryptoRng;
use sha2::Sha256;
use zeroize::Zeroizing;

use super::{KeyMaterial, KeyMaterialId, ValidatedMaterial};
use crate::error::Error;
use crate::keyring::{KeyRing, RingKey};
use subtle::ConstantTimeEq;

const COMMITMENT_LABEL: &[u8] = b"kms-import/key-material-id/v2\0";

/// A secret key that keys [`KeyMaterialId`]s, with the version recorded beside each id made
/// with it. Every service instance holds the same keys (like the sealing keys).
///
/// The 32 key bytes live in one heap allocation, zeroized on drop, and never appear in `Debug`.
#[derive(Clone)]
pub struct CommitmentKey {
    version: u32,
    key: Box<Zeroizing<[u8; 32]>>,
}

impl CommitmentKey {
    /// Draws a random key and a random non-zero version from `rng`.
    pub fn generate(rng: &mut dyn CryptoRng) -> CommitmentKey {
        let mut key = Box::new(Zeroizing::new([0u8; 32]));
        rng.fill_bytes(&mut key[..]);
        let mut version = 0;
        while version == 0 {
            version = rng.next_u32();
        }
        CommitmentKey { version, key }
    }

    /// Rebuilds a key from its stored version and 32 key bytes. The caller should zeroize its
    /// copy.
    pub fn from_bytes(version: u32, key: [u8; 32]) -> CommitmentKey {
        let mut boxed = Box::new(Zeroizing::new([0u8; 32]));
        boxed.copy_from_slice(&key);
        CommitmentKey {
            version,
            key: boxed,
        }
    }

    /// The version recorded beside every id this key makes.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// The secret key bytes, for the embedder to store in its (protected) configuration.
    pub fn expose_secret(&self) -> &[u8; 32] {
        &self.key
    }

    /// The id of the canonical key `canonical` of KMS key `key_id`.
    fn id(&self, key_id: &str, canonical: &[u8]) -> Result<KeyMaterialId, Error> {
        let mut mac = <HmacReset<Sha256> as KeyInit>::new_from_slice(&self.key[..])
            .map_err(|_| Error::Internal)?;
        let key_id_len = u16::try_from(key_id.len()).map_err(|_| Error::Internal)?;
        mac.update(COMMITMENT_LABEL);
        mac.update(&self.version.to_be_bytes());
        mac.update(&key_id_len.to_be_bytes());
        mac.update(key_id.as_bytes());
        mac.update(canonical);
        Ok(KeyMaterialId::from_bytes(
            // Finalized in place: the state (whose block buffer holds the key) is then wiped
            // where it lies when `mac` drops, instead of being moved out and left behind.
            mac.finalize_reset().into_bytes().into(),
        ))
    }
}

impl fmt::Debug for CommitmentKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CommitmentKey")
            .field("version", &self.version)
            .field("key", &format_args!("<redacted>"))
            .finish()
    }
}

/// The commitment keys of a service: the `current` key makes the ids of new material; it and
/// every previous key verify the ids recorded with their versions.
///
/// Rotate by making a new key current and keeping the old ones for as long as any record holds
/// an id made with them (records do not move to the new key by themselves: an id is public and
/// never changes).
#[derive(Clone)]
pub struct CommitmentKeys {
    /// Unbounded: a commitment key is kept for as long as an id made with it is stored.
    ring: KeyRing<CommitmentKey>,
}

impl RingKey for CommitmentKey {
    type Id = u32;
    const SET: &'static str = "commitment";
    const SET_TITLE: &'static str = "Commitment";
    const ID_NAME: &'static str = "version";

    fn ring_id(&self) -> u32 {
        self.version
    }

    fn ring_id_matches(&self, id: &[u8]) -> bool {
        self.version.to_be_bytes()[..].ct_eq(id).into()
    }
}

impl CommitmentKeys {
    /// A set holding only `current`.
    pub fn new(current: CommitmentKey) -> CommitmentKeys {
        CommitmentKeys {
            ring: KeyRing::new(current, usize::MAX),
        }
    }

    /// Rebuilds a set from configuration: `previous` is newest first.
    ///
    /// Fails with [`Error::Validation`] when two keys share a version (an id's version must
    /// name exactly one key).
    pub fn with_previous(
        current: CommitmentKey,
        previous: Vec<CommitmentKey>,
    ) -> Result<CommitmentKeys, Error> {
        Ok(CommitmentKeys {
            ring: KeyRing::with_previous(current, previous, usize::MAX)?,
        })
    }

    /// Makes `new_current` the key for new material; the old current key becomes the newest
    /// previous key (none is dropped). Fails with [`Error::Validation`], leaving the set
    /// unchanged, when the version is already in the set.
    pub fn rotate(&mut self, new_current: CommitmentKey) -> Result<(), Error> {
        self.ring.rotate(new_current)
    }

    /// The key that makes the ids of new material.
    pub fn current(&self) -> &CommitmentKey {
        self.ring.current()
    }

    /// The earlier keys, newest first.
    pub fn previous(&self) -> &[CommitmentKey] {
        self.ring.previous()
    }

    /// The key of `version`, if the set holds it.
    pub fn get(&self, version: u32) -> Option<&CommitmentKey> {
        self.ring.get(version)
    }

    /// The commitment of validated `material` for the KMS key `key_id`: its id under the
    /// current key, and under each of `versions` (the versions of the materials the key already
    /// holds), so the record can tell whether it holds this key already.
    ///
    /// # Errors
    /// `KMSInternalException` when a version is not in the set (a key still in use was
    /// dropped from the configuration).
    pub(crate) fn commit(
        keys: Option<&CommitmentKeys>,
        key_id: &str,
        material: &KeyMaterial,
        validated: &ValidatedMaterial,
        versions: impl IntoIterator<Item = Option<u32>>,
    ) -> Result<MaterialCommitment, Error> {
        let canonical = validated.canonical_key()?;
        let id_under = |version: Option<u32>| -> Result<KeyMaterialId, Error> {
            match version {
                None => Ok(KeyMaterialId::derive(key_id, material)),
                Some(v) => keys
                    .and_then(|k| k.get(v))
                    .ok_or(Error::Internal)?
                    .id(key_id, &canonical),
            }
        };
        let version = keys.map(|k| k.current().version);
        let id = id_under(version)?;
        let mut others = Vec::new();
        for v in versions {
            if v != version && !others.iter().any(|(o, _)| *o == v) {
                others.push((v, id_under(v)?));
            }
        }
        Ok(MaterialCommitment {
            version,
            id,
            others,
        })
    }
}

impl fmt::Debug for CommitmentKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.ring.debug_fields("CommitmentKeys", f)
    }
}

/// What ImportKeyMaterial hands the key record about one material: the id it gets as new
/// material (with the version of the key that made it; `None` for the unkeyed derivation of a
/// service without commitment keys), and its ids under the versions of the materials the record
/// already holds. Public values only; no secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaterialCommitment {
    version: Option<u32>,
    id: KeyMaterialId,
    others: Vec<(Option<u32>, KeyMaterialId)>,
}

impl MaterialCommitment {
    /// The commitment made without a service secret: the id keyed with the KMS key id alone,
    /// over the material's bytes as given. What records made before commitment keys hold.
    pub fn unkeyed(key_id: &str, material: &KeyMaterial) -> MaterialCommitment {
        MaterialCommitment {
            version: None,
            id: KeyMaterialId::derive(key_id, material),
            others: Vec::new(),
        }
    }

    /// The id new material gets.
    pub fn id(&self) -> KeyMaterialId {
        self.id
    }

    /// The version of the commitment key that made [`MaterialCommitment::id`].
    pub fn version(&self) -> Option<u32> {
        self.version
    }

    /// The material's id under `version`, if it was computed.
    pub fn id_under(&self, version: Option<u32>) -> Option<KeyMaterialId> {
        if version == self.version {
            return Some(self.id);
        }
        self.others
            .iter()
            .find(|(v, _)| *v == version)
            .map(|(_, id)| *id)
    }
}
