//! The per-key-spec checks ImportKeyMaterial applies to unwrapped material, and
//! [`ValidatedMaterial`], the handle an embedder uses the imported key through.

use std::fmt;

use zeroize::{ZeroizeOnDrop, Zeroizing};

use super::KeyMaterial;
use super::ecc_key::EccKey;
use super::rsa_key::RsaKey;
use crate::error::Error;
use crate::names::KeySpec;

/// Why material failed the checks of its key spec. Each kind has one fixed text; none contains
/// material bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    Length,
    NotDerPkcs8,
    NotRsaKey,
    NotDerRsaPrivateKey,
    NotTwoPrime,
    ModulusSize,
    PublicExponent,
    InconsistentRsa,
    NotEcKey,
    NotNamedCurve,
    WrongCurve,
    NotDerEcPrivateKey,
    ScalarLength,
    ScalarRange,
    PublicKeyMismatch,
    /// A step that cannot fail on validated input did (an encoder error); reported as
    /// `KMSInternalException`.
    Internal,
}

impl Fault {
    fn reason(self) -> &'static str {
        match self {
            Fault::Length => "wrong length",
            Fault::NotDerPkcs8 => "not a DER-encoded PKCS#8 (RFC 5208) private key",
            Fault::NotRsaKey => "not an rsaEncryption private key with NULL parameters",
            Fault::NotDerRsaPrivateKey => "not a DER-encoded RSAPrivateKey",
            Fault::NotTwoPrime => "not a two-prime RSA key",
            Fault::ModulusSize => "modulus size does not match",
            Fault::PublicExponent => "public exponent is not an odd number from 3 to 2^33-1",
            Fault::InconsistentRsa => "the RSA key components are inconsistent",
            Fault::NotEcKey => "not an id-ecPublicKey private key",
            Fault::NotNamedCurve => "the curve is not given as a named curve",
            Fault::WrongCurve => "the curve does not match",
            Fault::NotDerEcPrivateKey => "not a DER-encoded RFC 5915 ECPrivateKey",
            Fault::ScalarLength => "private key length does not match the curve",
            Fault::ScalarRange => "private key is out of range for the curve",
            Fault::PublicKeyMismatch => {
                "the embedded public key is invalid or does not match the private key"
            }
            Fault::Internal => "internal error",
        }
    }

    fn into_error(self, spec: KeySpec) -> Error {
        match self {
            Fault::Internal => Error::Internal,
            _ => Error::IncorrectKeyMaterial(format!(
                "The key material is not valid for key spec {spec}: {}.",
                self.reason()
            )),
        }
    }
}

/// Checks `material` against the rules of `spec` (what ImportKeyMaterial does after unwrapping)
/// and returns the usable key.
///
/// - SYMMETRIC_DEFAULT: exactly 32 bytes.
/// - HMAC_224/256/384/512: 28/32/48/64 up to 128 bytes.
/// - RSA_2048/3072/4096: a PKCS#8 `rsaEncryption` key (NULL parameters) with exactly two primes,
///   a modulus of exactly the spec's size, a public exponent that is odd and from 3 to
///   2^33−1, n = p·q, d·e ≡ 1 modulo p−1 and q−1, d < n, and CRT values that agree with d, p
///   and q.
/// - ECC_NIST_P256/P384/P521, ECC_SECG_P256K1: a PKCS#8 `id-ecPublicKey` key whose parameters
///   name the spec's curve (explicit parameters are rejected), wrapping an RFC 5915
///   ECPrivateKey (version 1) whose private key has the curve's exact scalar length and lies in
///   [1, n−1]; its optional parameters must name the same curve, and its optional public key
///   (compressed, uncompressed or hybrid) must be the scalar's.
///
/// PKCS#8 must be DER: AWS also accepts BER, this crate does not (a documented deviation). It
/// also accepts only PKCS#8 version 1 (RFC 5208), without attributes.
///
/// # Errors
/// - `IncorrectKeyMaterialException` for any material that breaks a rule, with one fixed
///   message per kind of fault (no material bytes in it).
/// - `UnsupportedOperationException` for key specs that cannot receive imported material (SM2,
///   ML-DSA, ECC_NIST_EDWARDS25519).
pub fn validate_material(
    spec: KeySpec,
    material: &KeyMaterial,
) -> Result<ValidatedMaterial, Error> {
    let bytes = material.expose_secret();
    let key = match spec {
        KeySpec::SymmetricDefault => {
            if bytes.len() != 32 {
                return Err(Fault::Length.into_error(spec));
            }
            // Copied straight into its heap buffer, which moves of the handle never copy.
            let mut key = SymmetricKey(Box::new(Zeroizing::new([0u8; 32])));
            key.0.copy_from_slice(bytes);
            UsableKey::Symmetric(key)
        }
        KeySpec::Hmac224 | KeySpec::Hmac256 | KeySpec::Hmac384 | KeySpec::Hmac512 => {
            let min = match spec {
                KeySpec::Hmac224 => 28,
                KeySpec::Hmac256 => 32,
                KeySpec::Hmac384 => 48,
                _ => 64,
            };
            if !(min..=HMAC_MAX_KEY_LEN).contains(&bytes.len()) {
                return Err(Fault::Length.into_error(spec));
            }
            UsableKey::Hmac(HmacKey {
                key: Zeroizing::new(bytes.to_vec()),
            })
        }
        KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096 => {
            let bits = spec.rsa_bits().ok_or(Error::Internal)?;
            UsableKey::Rsa(Box::new(
                RsaKey::parse(bytes, bits).map_err(|f| f.into_error(spec))?,
            ))
        }
        KeySpec::EccNistP256
        | KeySpec::EccNistP384
        | KeySpec::EccNistP521
        | KeySpec::EccSecgP256k1 => {
            let (key, spki) = EccKey::parse(bytes, spec).map_err(|f| f.into_error(spec))?;
            UsableKey::Ecc {
                key: Box::new(key),
                spki,
            }
        }
        KeySpec::Sm2
        | KeySpec::MlDsa44
        | KeySpec::MlDsa65
        | KeySpec::MlDsa87
        | KeySpec::EccNistEdwards25519 => {
            return Err(Error::UnsupportedOperation(format!(
                "Key spec {spec} does not accept imported key material."
            )));
        }
    };
    Ok(ValidatedMaterial { spec, key })
}

/// The longest HMAC key AWS accepts: 1024 bits.
const HMAC_MAX_KEY_LEN: usize = 128;

/// Imported material that passed [`validate_material`]: what an embedder needs to use the key
/// (its public key, and the private key in the form its own cryptography takes: the symmetric
/// key, the HMAC key, the RSA key as PKCS#8, the ECC private scalar). The algorithms are the
/// embedder's; this crate checks and hands out the key.
///
/// It holds secrets (zeroized on drop) and its `Debug` shows only the key spec.
#[derive(Clone)]
pub struct ValidatedMaterial {
    spec: KeySpec,
    key: UsableKey,
}

#[derive(Clone)]
enum UsableKey {
    Symmetric(SymmetricKey),
    Hmac(HmacKey),
    /// Boxed, as the ECC keys are.
    Rsa(Box<RsaKey>),
    /// Boxed: moves of the handle copy a pointer, not the private scalar.
    Ecc {
        key: Box<EccKey>,
        spki: Vec<u8>,
    },
}

/// The 32 bytes of a SYMMETRIC_DEFAULT key, zeroized on drop, redacted in `Debug`. The
/// embedder builds its AES-256-GCM ciphertext format with them.
///
/// The bytes live in one heap allocation that never moves: moving or returning the handle
/// copies only a pointer, so no stray copy of the key is left on the stack. Use it by reference
/// ([`ValidatedMaterial::symmetric_key`]).
#[derive(Clone)]
pub struct SymmetricKey(Box<Zeroizing<[u8; 32]>>);

impl SymmetricKey {
    /// The raw AES-256 key. Callers must not log or persist it unencrypted.
    pub fn expose_secret(&self) -> &[u8; 32] {
        &self.0
    }
}

// The key sits in a `Zeroizing` buffer.
impl ZeroizeOnDrop for SymmetricKey {}

// Every variant's secret wipes itself on drop: `SymmetricKey` and the HMAC key are
// `Zeroizing`, and the RSA and ECDSA keys of the `rsa` and `ecdsa` crates are `ZeroizeOnDrop`
// (checked at compile time below).
impl ZeroizeOnDrop for ValidatedMaterial {}

const _: () = {
    fn zeroize_on_drop<T: ZeroizeOnDrop>() {}
    #[allow(dead_code)]
    fn secrets_of_validated_material() {
        zeroize_on_drop::<SymmetricKey>();
        zeroize_on_drop::<Zeroizing<[u8; 32]>>();
        zeroize_on_drop::<Zeroizing<Vec<u8>>>();
        zeroize_on_drop::<rsa::RsaPrivateKey>();
        zeroize_on_drop::<p256::ecdsa::SigningKey>();
        zeroize_on_drop::<p384::ecdsa::SigningKey>();
        zeroize_on_drop::<p521::ecdsa::SigningKey>();
        zeroize_on_drop::<k256::ecdsa::SigningKey>();
    }
};

impl fmt::Debug for SymmetricKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SymmetricKey(<redacted>)")
    }
}

#[derive(Clone)]
struct HmacKey {
    key: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for ValidatedMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ValidatedMaterial")
            .field("key_spec", &format_args!("{}", self.spec))
            .field("key", &format_args!("<redacted>"))
            .finish()
    }
}

impl ValidatedMaterial {
    /// The key spec the material was validated for.
    pub fn key_spec(&self) -> KeySpec {
        self.spec
    }

    /// The key itself, independent of its encoding: what its commitment covers (see
    /// [`crate::material::CommitmentKey`]).
    pub(crate) fn canonical_key(&self) -> Result<Zeroizing<Vec<u8>>, Error> {
        match &self.key {
            UsableKey::Symmetric(k) => Ok(Zeroizing::new(k.expose_secret().to_vec())),
            UsableKey::Hmac(k) => Ok(Zeroizing::new(k.key.to_vec())),
            UsableKey::Rsa(k) => k.canonical().ok_or(Error::Internal),
            UsableKey::Ecc { key, .. } => Ok(key.canonical()),
        }
    }

    /// The public key as DER SubjectPublicKeyInfo (what GetPublicKey returns) for RSA and ECC
    /// keys; `None` for symmetric and HMAC keys. ECC points are uncompressed, whatever form
    /// the imported material used.
    pub fn public_key_spki_der(&self) -> Option<&[u8]> {
        match &self.key {
            UsableKey::Rsa(k) => Some(k.spki()),
            UsableKey::Ecc { spki, .. } => Some(spki),
            UsableKey::Symmetric(_) | UsableKey::Hmac(_) => None,
        }
    }

    /// The raw key of a SYMMETRIC_DEFAULT key.
    ///
    /// # Errors
    /// `InvalidKeyUsageException` for any other key spec.
    pub fn symmetric_key(&self) -> Result<&SymmetricKey, Error> {
        match &self.key {
            UsableKey::Symmetric(k) => Ok(k),
            _ => Err(Error::InvalidKeyUsage(format!(
                "Key spec {} is not a symmetric encryption key spec.",
                self.spec
            ))),
        }
    }

    /// The key of an HMAC key spec (28 to 128 bytes), for the embedder's GenerateMac and
    /// VerifyMac; `None` for any other key spec. Callers must not log or persist it.
    pub fn hmac_key(&self) -> Option<&[u8]> {
        match &self.key {
            UsableKey::Hmac(k) => Some(&k.key),
            _ => None,
        }
    }

    /// The private key of an RSA key spec as unencrypted PKCS#8 DER (re-encoded from the
    /// checked key), for the embedder's Sign, Verify and RSAES-OAEP Decrypt; `None` for any
    /// other key spec. Zeroized on drop; callers must not log or persist it.
    pub fn rsa_private_key_der(&self) -> Option<Zeroizing<Vec<u8>>> {
        match &self.key {
            UsableKey::Rsa(k) => k.pkcs8_der(),
            _ => None,
        }
    }

    /// The private scalar of an ECC key spec, big-endian at the curve's fixed length (32, 48 or
    /// 66 bytes), for the embedder's ECDSA Sign and Verify; `None` for any other key spec.
    /// Zeroized on drop; callers must not log or persist it.
    pub fn ecc_private_scalar(&self) -> Option<Zeroizing<Vec<u8>>> {
        match &self.key {
            UsableKey::Ecc { key, .. } => Some(key.canonical()),
            _ => None,
        }
    }
}
