//! The per-key-spec checks ImportKeyMaterial applies to unwrapped material, and
//! [`ValidatedMaterial`], the handle an embedder uses the imported key through.

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use rand_core::CryptoRng;
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};
use zeroize::{ZeroizeOnDrop, Zeroizing};

use super::KeyMaterial;
use super::ecc_key::EccKey;
use super::rsa_key::RsaKey;
use crate::error::Error;
use crate::names::{
    EncryptionAlgorithmSpec, KeySpec, MacAlgorithmSpec, MessageType, SigningAlgorithmSpec,
};

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
            let (min, alg) = match spec {
                KeySpec::Hmac224 => (28, MacAlgorithmSpec::HmacSha224),
                KeySpec::Hmac256 => (32, MacAlgorithmSpec::HmacSha256),
                KeySpec::Hmac384 => (48, MacAlgorithmSpec::HmacSha384),
                _ => (64, MacAlgorithmSpec::HmacSha512),
            };
            if !(min..=HMAC_MAX_KEY_LEN).contains(&bytes.len()) {
                return Err(Fault::Length.into_error(spec));
            }
            UsableKey::Hmac(HmacKey {
                alg,
                key: Zeroizing::new(bytes.to_vec()),
            })
        }
        KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096 => {
            let bits = spec.rsa_bits().ok_or(Error::Internal)?;
            UsableKey::Rsa(RsaKey::parse(bytes, bits).map_err(|f| f.into_error(spec))?)
        }
        KeySpec::EccNistP256
        | KeySpec::EccNistP384
        | KeySpec::EccNistP521
        | KeySpec::EccSecgP256k1 => {
            let (key, spki) = EccKey::parse(bytes, spec).map_err(|f| f.into_error(spec))?;
            UsableKey::Ecc { key, spki }
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

/// Imported material that passed [`validate_material`]: what an embedder needs to use the key.
///
/// It holds secrets (zeroized on drop) and its `Debug` shows only the key spec. The algorithm
/// checks here compare the request with the key *spec*; whether the key's *usage*
/// (SIGN_VERIFY, ENCRYPT_DECRYPT, ...) allows the operation is the caller's check, from the
/// key's metadata.
#[derive(Clone)]
pub struct ValidatedMaterial {
    spec: KeySpec,
    key: UsableKey,
}

#[derive(Clone)]
enum UsableKey {
    Symmetric(SymmetricKey),
    Hmac(HmacKey),
    Rsa(RsaKey),
    Ecc { key: EccKey, spki: Vec<u8> },
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
    alg: MacAlgorithmSpec,
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

/// The hash the signature is computed over: the message hashed, or the caller's digest.
pub(crate) struct Digested(Vec<u8>);

impl Digested {
    pub(crate) fn as_slice(&self) -> &[u8] {
        &self.0
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

    /// The signing algorithms the key spec allows (empty for symmetric and HMAC keys).
    pub fn signing_algorithms(&self) -> &'static [SigningAlgorithmSpec] {
        use SigningAlgorithmSpec as A;
        match &self.key {
            UsableKey::Rsa(_) => &[
                A::RsassaPssSha256,
                A::RsassaPssSha384,
                A::RsassaPssSha512,
                A::RsassaPkcs1V15Sha256,
                A::RsassaPkcs1V15Sha384,
                A::RsassaPkcs1V15Sha512,
            ],
            UsableKey::Ecc { key, .. } => match key {
                EccKey::P256(_) | EccKey::K256(_) => &[A::EcdsaSha256],
                EccKey::P384(_) => &[A::EcdsaSha384],
                EccKey::P521(_) => &[A::EcdsaSha512],
            },
            UsableKey::Symmetric(_) | UsableKey::Hmac(_) => &[],
        }
    }

    /// The encryption algorithms this handle implements for the key spec: RSAES_OAEP_SHA_1
    /// and RSAES_OAEP_SHA_256 for RSA keys, none otherwise (SYMMETRIC_DEFAULT encryption is
    /// the embedder's, through [`ValidatedMaterial::symmetric_key`]).
    pub fn encryption_algorithms(&self) -> &'static [EncryptionAlgorithmSpec] {
        match &self.key {
            UsableKey::Rsa(_) => &[
                EncryptionAlgorithmSpec::RsaesOaepSha1,
                EncryptionAlgorithmSpec::RsaesOaepSha256,
            ],
            _ => &[],
        }
    }

    /// The MAC algorithm of an HMAC key spec (HMAC_256 → HMAC_SHA_256, ...).
    pub fn mac_algorithm(&self) -> Option<MacAlgorithmSpec> {
        match &self.key {
            UsableKey::Hmac(k) => Some(k.alg),
            _ => None,
        }
    }

    /// GenerateMac: the HMAC of `message`.
    ///
    /// # Errors
    /// `InvalidKeyUsageException` unless the key is an HMAC key and `alg` is its algorithm.
    pub fn mac(&self, alg: MacAlgorithmSpec, message: &[u8]) -> Result<Vec<u8>, Error> {
        let key = self.hmac_key(alg)?;
        Ok(mac_state(alg, &key.key, message)?.finalize())
    }

    /// VerifyMac: whether `mac` is the HMAC of `message`, compared in constant time. A MAC of
    /// the wrong length is simply not valid. AWS reports `false` as
    /// `KMSInvalidMacException`; that mapping is the caller's.
    ///
    /// # Errors
    /// `InvalidKeyUsageException` unless the key is an HMAC key and `alg` is its algorithm.
    pub fn verify_mac(
        &self,
        alg: MacAlgorithmSpec,
        message: &[u8],
        mac: &[u8],
    ) -> Result<bool, Error> {
        let key = self.hmac_key(alg)?;
        Ok(mac_state(alg, &key.key, message)?.verify(mac))
    }

    fn hmac_key(&self, alg: MacAlgorithmSpec) -> Result<&HmacKey, Error> {
        match &self.key {
            UsableKey::Hmac(k) if k.alg == alg => Ok(k),
            _ => Err(Error::InvalidKeyUsage(format!(
                "MAC algorithm {alg} is not valid for key spec {}.",
                self.spec
            ))),
        }
    }

    /// Sign: a signature over `message` (hashed here when `message_type` is RAW, taken as the
    /// digest when it is DIGEST). RSASSA-PSS uses a salt as long as the hash, as AWS does;
    /// the RSA private operation is blinded with `rng`. ECDSA signatures are DER-encoded, with
    /// RFC 6979 nonces hedged with `rng`.
    ///
    /// Allowed pairs: RSA keys with the six RSASSA algorithms; ECC_NIST_P256 and
    /// ECC_SECG_P256K1 with ECDSA_SHA_256, ECC_NIST_P384 with ECDSA_SHA_384, ECC_NIST_P521
    /// with ECDSA_SHA_512.
    ///
    /// # Errors
    /// - `InvalidKeyUsageException` when `alg` is not allowed for the key spec.
    /// - `ValidationException` when a DIGEST message is not exactly as long as the hash.
    /// - `KMSInternalException` if the signer fails (the RNG failed).
    pub fn sign(
        &self,
        alg: SigningAlgorithmSpec,
        message_type: MessageType,
        message: &[u8],
        rng: &mut dyn CryptoRng,
    ) -> Result<Vec<u8>, Error> {
        let digest = self.signing_digest(alg, message_type, message)?;
        let signature = match &self.key {
            UsableKey::Rsa(k) => k.sign(alg, &digest, rng),
            UsableKey::Ecc { key, .. } => key.sign(&digest, rng),
            UsableKey::Symmetric(_) | UsableKey::Hmac(_) => None,
        };
        signature.ok_or(Error::Internal)
    }

    /// Verify: whether `signature` is valid for `message` under `alg`. A malformed signature
    /// is simply not valid. AWS reports `false` as `KMSInvalidSignatureException`; that
    /// mapping is the caller's.
    ///
    /// # Errors
    /// As [`ValidatedMaterial::sign`], except that verification never needs randomness.
    pub fn verify(
        &self,
        alg: SigningAlgorithmSpec,
        message_type: MessageType,
        message: &[u8],
        signature: &[u8],
    ) -> Result<bool, Error> {
        let digest = self.signing_digest(alg, message_type, message)?;
        Ok(match &self.key {
            UsableKey::Rsa(k) => k.verify(alg, &digest, signature),
            UsableKey::Ecc { key, .. } => key.verify(&digest, signature),
            UsableKey::Symmetric(_) | UsableKey::Hmac(_) => false,
        })
    }

    fn signing_digest(
        &self,
        alg: SigningAlgorithmSpec,
        message_type: MessageType,
        message: &[u8],
    ) -> Result<Digested, Error> {
        if !self.signing_algorithms().contains(&alg) {
            return Err(Error::InvalidKeyUsage(format!(
                "Signing algorithm {alg} is not valid for key spec {}.",
                self.spec
            )));
        }
        use SigningAlgorithmSpec as A;
        let hash_len = match alg {
            A::RsassaPssSha256 | A::RsassaPkcs1V15Sha256 | A::EcdsaSha256 => 32,
            A::RsassaPssSha384 | A::RsassaPkcs1V15Sha384 | A::EcdsaSha384 => 48,
            A::RsassaPssSha512 | A::RsassaPkcs1V15Sha512 | A::EcdsaSha512 => 64,
            _ => return Err(Error::Internal),
        };
        match message_type {
            MessageType::Digest if message.len() == hash_len => Ok(Digested(message.to_vec())),
            MessageType::Digest => Err(Error::Validation(format!(
                "Digest is invalid length for algorithm {alg}."
            ))),
            MessageType::Raw => Ok(Digested(match hash_len {
                32 => Sha256::digest(message).to_vec(),
                48 => Sha384::digest(message).to_vec(),
                _ => Sha512::digest(message).to_vec(),
            })),
        }
    }

    /// Encrypt with RSAES_OAEP_SHA_1 or RSAES_OAEP_SHA_256 under an RSA key (empty label, MGF1
    /// with the same hash).
    ///
    /// # Errors
    /// - `InvalidKeyUsageException` for another algorithm or a non-RSA key. For a
    ///   SYMMETRIC_DEFAULT key, `UnsupportedOperationException`: the embedder encrypts with
    ///   [`ValidatedMaterial::symmetric_key`].
    /// - `ValidationException` when the plaintext is too long for the modulus and hash.
    pub fn encrypt(
        &self,
        alg: EncryptionAlgorithmSpec,
        plaintext: &[u8],
        rng: &mut dyn CryptoRng,
    ) -> Result<Vec<u8>, Error> {
        let key = self.rsa_encryption_key(alg)?;
        key.encrypt(alg, plaintext, rng).ok_or_else(|| {
            Error::Validation(format!(
                "The plaintext is too long for algorithm {alg} with key spec {}.",
                self.spec
            ))
        })
    }

    /// Decrypt an RSAES_OAEP_SHA_1 or RSAES_OAEP_SHA_256 ciphertext; the private operation is
    /// blinded with `rng`. The plaintext is zeroized on drop.
    ///
    /// # Errors
    /// - As [`ValidatedMaterial::encrypt`] for the algorithm and key spec.
    /// - `InvalidCiphertextException` (one message for every cause) when the ciphertext does
    ///   not decrypt.
    pub fn decrypt(
        &self,
        alg: EncryptionAlgorithmSpec,
        ciphertext: &[u8],
        rng: &mut dyn CryptoRng,
    ) -> Result<Zeroizing<Vec<u8>>, Error> {
        let key = self.rsa_encryption_key(alg)?;
        key.decrypt(alg, ciphertext, rng)
            .ok_or(Error::InvalidCiphertext)
    }

    fn rsa_encryption_key(&self, alg: EncryptionAlgorithmSpec) -> Result<&RsaKey, Error> {
        match &self.key {
            UsableKey::Rsa(k) if self.encryption_algorithms().contains(&alg) => Ok(k),
            UsableKey::Symmetric(_) => Err(Error::UnsupportedOperation(format!(
                "Encryption with key spec {} is done by the embedder with the symmetric key.",
                self.spec
            ))),
            _ => Err(Error::InvalidKeyUsage(format!(
                "Encryption algorithm {alg} is not valid for key spec {}.",
                self.spec
            ))),
        }
    }
}

/// A keyed HMAC state for `alg`, behind one interface for the four hashes.
enum MacState {
    Sha224(Hmac<Sha224>),
    Sha256(Hmac<Sha256>),
    Sha384(Hmac<Sha384>),
    Sha512(Hmac<Sha512>),
}

/// A state keyed with `key` that has absorbed `message`.
fn mac_state(alg: MacAlgorithmSpec, key: &[u8], message: &[u8]) -> Result<MacState, Error> {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for these hashes.
    let mut state = match alg {
        MacAlgorithmSpec::HmacSha224 => {
            MacState::Sha224(Hmac::new_from_slice(key).map_err(|_| Error::Internal)?)
        }
        MacAlgorithmSpec::HmacSha256 => {
            MacState::Sha256(Hmac::new_from_slice(key).map_err(|_| Error::Internal)?)
        }
        MacAlgorithmSpec::HmacSha384 => {
            MacState::Sha384(Hmac::new_from_slice(key).map_err(|_| Error::Internal)?)
        }
        MacAlgorithmSpec::HmacSha512 => {
            MacState::Sha512(Hmac::new_from_slice(key).map_err(|_| Error::Internal)?)
        }
    };
    state.update(message);
    Ok(state)
}

impl MacState {
    fn update(&mut self, message: &[u8]) {
        match self {
            MacState::Sha224(m) => m.update(message),
            MacState::Sha256(m) => m.update(message),
            MacState::Sha384(m) => m.update(message),
            MacState::Sha512(m) => m.update(message),
        }
    }

    fn finalize(self) -> Vec<u8> {
        match self {
            MacState::Sha224(m) => m.finalize().into_bytes().to_vec(),
            MacState::Sha256(m) => m.finalize().into_bytes().to_vec(),
            MacState::Sha384(m) => m.finalize().into_bytes().to_vec(),
            MacState::Sha512(m) => m.finalize().into_bytes().to_vec(),
        }
    }

    /// Constant-time comparison (the `hmac` crate's `verify_slice` uses `subtle`).
    fn verify(self, tag: &[u8]) -> bool {
        match self {
            MacState::Sha224(m) => m.verify_slice(tag).is_ok(),
            MacState::Sha256(m) => m.verify_slice(tag).is_ok(),
            MacState::Sha384(m) => m.verify_slice(tag).is_ok(),
            MacState::Sha512(m) => m.verify_slice(tag).is_ok(),
        }
    }
}
