//! Key material: the zeroizing container for imported bytes, the `KeyMaterialId` that commits
//! to them, the checks that material must pass for each key spec ([`validate_material`]), and
//! the handle that uses a validated key ([`ValidatedMaterial`]).

use std::fmt;
use std::str::FromStr;

use hmac::{HmacReset, KeyInit, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::Error;

mod commitment;
mod der_strict;
pub(crate) mod description;
mod ecc_key;
mod rsa_key;
mod validated;

pub use commitment::{CommitmentKey, CommitmentKeys, MaterialCommitment};
pub(crate) use description::check_material_description;
pub use validated::{SymmetricKey, ValidatedMaterial, validate_material};

/// Imported key material (raw symmetric or HMAC bytes, or a PKCS#8 DER private key).
///
/// The bytes are zeroized on drop and never appear in `Debug`.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct KeyMaterial {
    bytes: Vec<u8>,
}

impl KeyMaterial {
    /// Takes ownership of the bytes.
    pub fn new(bytes: Vec<u8>) -> KeyMaterial {
        KeyMaterial { bytes }
    }

    /// Copies the bytes out of a zeroizing buffer.
    pub fn from_zeroizing(bytes: &Zeroizing<Vec<u8>>) -> KeyMaterial {
        KeyMaterial {
            bytes: bytes.to_vec(),
        }
    }

    /// The secret bytes. Callers must not log or persist them unencrypted.
    pub fn expose_secret(&self) -> &[u8] {
        &self.bytes
    }

    /// Length in bytes (not secret: AWS fixes or bounds it per key spec).
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the material is empty (never valid for any key spec).
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

impl fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyMaterial(<redacted>)")
    }
}

/// Key material that passed [`validate_material`] for one key spec: the only form in which a
/// [`KeyRecord`](crate::KeyRecord) accepts material.
///
/// ImportKeyMaterial makes one from the bytes it unwrapped; an embedder that loads material by
/// other means makes one with [`CheckedMaterial::check`]. Zeroized on drop, redacted in `Debug`.
#[derive(Clone)]
pub struct CheckedMaterial {
    spec: crate::names::KeySpec,
    material: KeyMaterial,
}

impl CheckedMaterial {
    /// Checks `material` for `spec` as [`validate_material`] does (with its errors) and keeps it
    /// with the spec it was checked for.
    pub fn check(spec: crate::names::KeySpec, material: KeyMaterial) -> Result<Self, Error> {
        validate_material(spec, &material)?;
        Ok(CheckedMaterial { spec, material })
    }

    /// `material`, which `validated` proves valid: what [`validate_material`] returned for it.
    pub(crate) fn from_validated(validated: &ValidatedMaterial, material: KeyMaterial) -> Self {
        CheckedMaterial {
            spec: validated.key_spec(),
            material,
        }
    }

    /// The key spec the material was checked for.
    pub fn key_spec(&self) -> crate::names::KeySpec {
        self.spec
    }

    /// The checked bytes, for the record that stores them.
    pub(crate) fn into_material(self) -> KeyMaterial {
        self.material
    }

    /// The checked bytes, borrowed.
    pub(crate) fn material(&self) -> &KeyMaterial {
        &self.material
    }
}

// The only secret is the `KeyMaterial`, which zeroizes itself on drop.
impl ZeroizeOnDrop for CheckedMaterial {}

impl fmt::Debug for CheckedMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CheckedMaterial({}, <redacted>)", self.spec)
    }
}

/// `KeyMaterialId`: 64 lowercase hex characters that identify one material of one key.
///
/// It is HMAC-SHA-256 keyed with the KMS key id over a domain-separation label and the material,
/// so it is stable across deletion and re-import of the same bytes and differs between keys.
/// The crate keeps it after the material is gone and uses it as the commitment that "same
/// material" on re-import is checked against (in constant time). AWS derives its ids in an
/// undocumented way; ids made here do not match AWS's.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyMaterialId([u8; 32]);

const MATERIAL_ID_LABEL: &[u8] = b"kms-import/key-material-id/v1\0";

impl KeyMaterialId {
    /// Derives the id of `material` for the key whose id (UUID form) is `key_id`.
    pub fn derive(key_id: &str, material: &KeyMaterial) -> KeyMaterialId {
        // HMAC zero-pads a key up to the 64-byte block and hashes a longer one first; doing
        // that here gives the same MAC through the infallible constructor.
        let raw = key_id.as_bytes();
        let mut block = [0u8; 64];
        if raw.len() <= block.len() {
            block[..raw.len()].copy_from_slice(raw);
        } else {
            block[..32].copy_from_slice(&Sha256::digest(raw));
        }
        let mut mac = <HmacReset<Sha256> as KeyInit>::new(&block.into());
        mac.update(MATERIAL_ID_LABEL);
        mac.update(material.expose_secret());
        // Finalized in place, so the state holding the material is wiped where it lies.
        KeyMaterialId(mac.finalize_reset().into_bytes().into())
    }

    /// Constant-time equality, for comparing a recomputed id against a stored one.
    pub fn ct_eq(&self, other: &KeyMaterialId) -> bool {
        self.0.ct_eq(&other.0).into()
    }

    /// The 32 raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Builds an id from raw bytes (as stored by an embedder).
    pub fn from_bytes(bytes: [u8; 32]) -> KeyMaterialId {
        KeyMaterialId(bytes)
    }
}

impl fmt::Display for KeyMaterialId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for KeyMaterialId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyMaterialId({self})")
    }
}

impl FromStr for KeyMaterialId {
    type Err = Error;

    /// Parses exactly 64 lowercase hex characters; anything else is a `ValidationException`.
    fn from_str(s: &str) -> Result<Self, Error> {
        let invalid = || {
            Error::Validation(format!(
                "1 validation error detected: Value '{}' at 'keyMaterialId' failed to satisfy \
                 constraint: Member must satisfy regular expression pattern: ^[a-f0-9]{{64}}$",
                crate::error::truncate_for_message(s)
            ))
        };
        let raw = s.as_bytes();
        if raw.len() != 64 {
            return Err(invalid());
        }
        let mut out = [0u8; 32];
        for (i, pair) in raw.chunks_exact(2).enumerate() {
            let hi = lower_hex_value(pair[0]).ok_or_else(invalid)?;
            let lo = lower_hex_value(pair[1]).ok_or_else(invalid)?;
            out[i] = (hi << 4) | lo;
        }
        Ok(KeyMaterialId(out))
    }
}

fn lower_hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

#[cfg(any(feature = "serde", feature = "wire"))]
impl serde::Serialize for KeyMaterialId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(any(feature = "serde", feature = "wire"))]
impl<'de> serde::Deserialize<'de> for KeyMaterialId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
        s.parse()
            .map_err(|e: Error| serde::de::Error::custom(e.message()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::Hmac;

    #[test]
    fn material_debug_is_redacted() {
        let m = KeyMaterial::new(vec![0xAB; 32]);
        let s = format!("{m:?}");
        assert!(
            !s.contains("171") && !s.to_lowercase().contains("ab"),
            "{s}"
        );
    }

    #[test]
    fn material_id_is_64_lower_hex_and_round_trips() {
        let id = KeyMaterialId::derive(
            "1234abcd-12ab-34cd-56ef-1234567890ab",
            &KeyMaterial::new(vec![7; 32]),
        );
        let s = id.to_string();
        assert_eq!(s.len(), 64);
        assert!(
            s.bytes()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
        );
        assert_eq!(s.parse::<KeyMaterialId>().unwrap(), id);
    }

    #[test]
    fn material_id_is_standard_hmac_sha256() {
        // Independent check: HMAC-SHA-256 through the variable-key constructor.
        let key_id = "1234abcd-12ab-34cd-56ef-1234567890ab";
        let m = KeyMaterial::new(vec![9; 32]);
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key_id.as_bytes()).unwrap();
        mac.update(MATERIAL_ID_LABEL);
        mac.update(m.expose_secret());
        let expected: [u8; 32] = mac.finalize().into_bytes().into();
        assert_eq!(KeyMaterialId::derive(key_id, &m).as_bytes(), &expected);
    }

    #[test]
    fn material_id_depends_on_key_and_material() {
        let m = KeyMaterial::new(vec![7; 32]);
        let a = KeyMaterialId::derive("1234abcd-12ab-34cd-56ef-1234567890ab", &m);
        let b = KeyMaterialId::derive("1234abcd-12ab-34cd-56ef-1234567890ac", &m);
        let c = KeyMaterialId::derive(
            "1234abcd-12ab-34cd-56ef-1234567890ab",
            &KeyMaterial::new(vec![8; 32]),
        );
        assert!(!a.ct_eq(&b) && !a.ct_eq(&c) && a.ct_eq(&a));
    }

    #[test]
    fn material_id_parse_rejects_non_canonical_forms() {
        let good = "a".repeat(64);
        assert!(good.parse::<KeyMaterialId>().is_ok());
        for bad in [
            "A".repeat(64),
            "a".repeat(63),
            "a".repeat(65),
            "g".repeat(64),
            String::new(),
        ] {
            let e = bad.parse::<KeyMaterialId>().unwrap_err();
            assert_eq!(e.code(), "ValidationException");
        }
    }
}
