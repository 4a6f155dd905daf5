//! The cryptographic uses of a key's material: GenerateMac and VerifyMac (HMAC keys), Sign and
//! Verify (RSA and ECC keys), Encrypt and Decrypt with RSAES-OAEP (RSA keys). SYMMETRIC_DEFAULT
//! encryption is the envelope's (`envelope.rs`).
//!
//! The material arrives validated by kms-import ([`ValidatedMaterial`]), which hands out the
//! private key; the algorithms run here. The checks compare the request with the key *spec*;
//! whether the key's *usage* allows the operation is checked by the operations.

use hmac::{Hmac, KeyInit, Mac};
use kms_import::{Error as KmsError, KeySpec, ValidatedMaterial};

use crate::names::{EncryptionAlgorithmSpec, MacAlgorithmSpec, MessageType, SigningAlgorithmSpec};
use rand_core::CryptoRng;
use rsa::pkcs8::DecodePrivateKey;
use rsa::traits::PublicKeyParts;
use rsa::{Oaep, Pkcs1v15Sign, Pss, RsaPrivateKey};
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};
use zeroize::Zeroizing;

/// GenerateMac, VerifyMac, Sign, Verify, Encrypt and Decrypt on a validated key.
pub trait MaterialCrypto {
    /// The signing algorithms the key spec allows (empty for symmetric and HMAC keys).
    fn signing_algorithms(&self) -> &'static [SigningAlgorithmSpec];

    /// The encryption algorithms this module implements for the key spec: RSAES_OAEP_SHA_1
    /// and RSAES_OAEP_SHA_256 for RSA keys, none otherwise.
    fn encryption_algorithms(&self) -> &'static [EncryptionAlgorithmSpec];

    /// The MAC algorithm of an HMAC key spec (HMAC_256 → HMAC_SHA_256, ...).
    fn mac_algorithm(&self) -> Option<MacAlgorithmSpec>;

    /// GenerateMac: the HMAC of `message`. `InvalidKeyUsageException` unless the key is an
    /// HMAC key and `alg` is its algorithm.
    fn mac(&self, alg: MacAlgorithmSpec, message: &[u8]) -> Result<Vec<u8>, KmsError>;

    /// VerifyMac: whether `mac` is the HMAC of `message`, compared in constant time. A MAC of
    /// the wrong length is simply not valid. Errors as [`MaterialCrypto::mac`].
    fn verify_mac(
        &self,
        alg: MacAlgorithmSpec,
        message: &[u8],
        mac: &[u8],
    ) -> Result<bool, KmsError>;

    /// Sign: a signature over `message` (hashed here when `message_type` is RAW, taken as the
    /// digest when it is DIGEST). RSASSA-PSS uses a salt as long as the hash, as AWS does; the
    /// RSA private operation is blinded with `rng`. ECDSA signatures are DER-encoded, with
    /// RFC 6979 nonces hedged with `rng`.
    ///
    /// Errors: `InvalidKeyUsageException` when `alg` is not allowed for the key spec;
    /// `ValidationException` when a DIGEST message is not exactly as long as the hash;
    /// `KMSInternalException` if the signer fails.
    fn sign(
        &self,
        alg: SigningAlgorithmSpec,
        message_type: MessageType,
        message: &[u8],
        rng: &mut dyn CryptoRng,
    ) -> Result<Vec<u8>, KmsError>;

    /// Verify: whether `signature` is valid for `message` under `alg`. A malformed signature is
    /// simply not valid. Errors as [`MaterialCrypto::sign`].
    fn verify(
        &self,
        alg: SigningAlgorithmSpec,
        message_type: MessageType,
        message: &[u8],
        signature: &[u8],
    ) -> Result<bool, KmsError>;

    /// Encrypt with RSAES_OAEP_SHA_1 or RSAES_OAEP_SHA_256 under an RSA key (empty label, MGF1
    /// with the same hash).
    ///
    /// Errors: `InvalidKeyUsageException` for another algorithm or a non-RSA key
    /// (`UnsupportedOperationException` for SYMMETRIC_DEFAULT, which the envelope encrypts);
    /// `ValidationException` when the plaintext is too long for the modulus and hash.
    fn encrypt(
        &self,
        alg: EncryptionAlgorithmSpec,
        plaintext: &[u8],
        rng: &mut dyn CryptoRng,
    ) -> Result<Vec<u8>, KmsError>;

    /// Decrypt an RSAES_OAEP_SHA_1 or RSAES_OAEP_SHA_256 ciphertext; the private operation is
    /// blinded with `rng`. Errors as [`MaterialCrypto::encrypt`], and
    /// `InvalidCiphertextException` (one message for every cause) when it does not decrypt.
    fn decrypt(
        &self,
        alg: EncryptionAlgorithmSpec,
        ciphertext: &[u8],
        rng: &mut dyn CryptoRng,
    ) -> Result<Zeroizing<Vec<u8>>, KmsError>;
}

fn hmac_algorithm(spec: KeySpec) -> Option<MacAlgorithmSpec> {
    match spec {
        KeySpec::Hmac224 => Some(MacAlgorithmSpec::HmacSha224),
        KeySpec::Hmac256 => Some(MacAlgorithmSpec::HmacSha256),
        KeySpec::Hmac384 => Some(MacAlgorithmSpec::HmacSha384),
        KeySpec::Hmac512 => Some(MacAlgorithmSpec::HmacSha512),
        _ => None,
    }
}

impl MaterialCrypto for ValidatedMaterial {
    fn signing_algorithms(&self) -> &'static [SigningAlgorithmSpec] {
        use SigningAlgorithmSpec as A;
        match self.key_spec() {
            KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096 => &[
                A::RsassaPssSha256,
                A::RsassaPssSha384,
                A::RsassaPssSha512,
                A::RsassaPkcs1V15Sha256,
                A::RsassaPkcs1V15Sha384,
                A::RsassaPkcs1V15Sha512,
            ],
            KeySpec::EccNistP256 | KeySpec::EccSecgP256k1 => &[A::EcdsaSha256],
            KeySpec::EccNistP384 => &[A::EcdsaSha384],
            KeySpec::EccNistP521 => &[A::EcdsaSha512],
            _ => &[],
        }
    }

    fn encryption_algorithms(&self) -> &'static [EncryptionAlgorithmSpec] {
        if self.key_spec().is_rsa() {
            &[
                EncryptionAlgorithmSpec::RsaesOaepSha1,
                EncryptionAlgorithmSpec::RsaesOaepSha256,
            ]
        } else {
            &[]
        }
    }

    fn mac_algorithm(&self) -> Option<MacAlgorithmSpec> {
        hmac_algorithm(self.key_spec())
    }

    fn mac(&self, alg: MacAlgorithmSpec, message: &[u8]) -> Result<Vec<u8>, KmsError> {
        let key = hmac_key(self, alg)?;
        Ok(mac_state(alg, key, message)?.finalize())
    }

    fn verify_mac(
        &self,
        alg: MacAlgorithmSpec,
        message: &[u8],
        mac: &[u8],
    ) -> Result<bool, KmsError> {
        let key = hmac_key(self, alg)?;
        Ok(mac_state(alg, key, message)?.verify(mac))
    }

    fn sign(
        &self,
        alg: SigningAlgorithmSpec,
        message_type: MessageType,
        message: &[u8],
        rng: &mut dyn CryptoRng,
    ) -> Result<Vec<u8>, KmsError> {
        let digest = signing_digest(self, alg, message_type, message)?;
        let signature = if self.key_spec().is_rsa() {
            rsa_sign(&rsa_key(self)?, alg, &digest, rng)
        } else {
            ecdsa_sign(self, &digest, rng)?
        };
        signature.ok_or(KmsError::Internal)
    }

    fn verify(
        &self,
        alg: SigningAlgorithmSpec,
        message_type: MessageType,
        message: &[u8],
        signature: &[u8],
    ) -> Result<bool, KmsError> {
        let digest = signing_digest(self, alg, message_type, message)?;
        if self.key_spec().is_rsa() {
            Ok(rsa_verify(&rsa_key(self)?, alg, &digest, signature))
        } else {
            ecdsa_verify(self, &digest, signature)
        }
    }

    fn encrypt(
        &self,
        alg: EncryptionAlgorithmSpec,
        plaintext: &[u8],
        rng: &mut dyn CryptoRng,
    ) -> Result<Vec<u8>, KmsError> {
        let key = rsa_encryption_key(self, alg)?;
        let public = key.as_public_key();
        let encrypted = match alg {
            EncryptionAlgorithmSpec::RsaesOaepSha1 => {
                public.encrypt(rng, Oaep::<sha1::Sha1>::new(), plaintext)
            }
            EncryptionAlgorithmSpec::RsaesOaepSha256 => {
                public.encrypt(rng, Oaep::<Sha256>::new(), plaintext)
            }
            _ => return Err(KmsError::Internal),
        };
        encrypted.map_err(|_| {
            KmsError::Validation(format!(
                "The plaintext is too long for algorithm {alg} with key spec {}.",
                self.key_spec()
            ))
        })
    }

    fn decrypt(
        &self,
        alg: EncryptionAlgorithmSpec,
        ciphertext: &[u8],
        rng: &mut dyn CryptoRng,
    ) -> Result<Zeroizing<Vec<u8>>, KmsError> {
        let key = rsa_encryption_key(self, alg)?;
        if ciphertext.len() != key.size() {
            return Err(KmsError::InvalidCiphertext);
        }
        let decrypted = match alg {
            EncryptionAlgorithmSpec::RsaesOaepSha1 => {
                key.decrypt_blinded(rng, Oaep::<sha1::Sha1>::new(), ciphertext)
            }
            EncryptionAlgorithmSpec::RsaesOaepSha256 => {
                key.decrypt_blinded(rng, Oaep::<Sha256>::new(), ciphertext)
            }
            _ => return Err(KmsError::InvalidCiphertext),
        };
        decrypted
            .map(Zeroizing::new)
            .map_err(|_| KmsError::InvalidCiphertext)
    }
}

fn hmac_key(material: &ValidatedMaterial, alg: MacAlgorithmSpec) -> Result<&[u8], KmsError> {
    match material.hmac_key() {
        Some(key) if hmac_algorithm(material.key_spec()) == Some(alg) => Ok(key),
        _ => Err(KmsError::InvalidKeyUsage(format!(
            "MAC algorithm {alg} is not valid for key spec {}.",
            material.key_spec()
        ))),
    }
}

/// The RSA private key of validated RSA material (parsed again from its PKCS#8 form, which
/// kms-import has checked).
fn rsa_key(material: &ValidatedMaterial) -> Result<RsaPrivateKey, KmsError> {
    let der = material.rsa_private_key_der().ok_or(KmsError::Internal)?;
    RsaPrivateKey::from_pkcs8_der(&der).map_err(|_| KmsError::Internal)
}

fn rsa_encryption_key(
    material: &ValidatedMaterial,
    alg: EncryptionAlgorithmSpec,
) -> Result<RsaPrivateKey, KmsError> {
    let spec = material.key_spec();
    if spec == KeySpec::SymmetricDefault {
        return Err(KmsError::UnsupportedOperation(format!(
            "Encryption with key spec {spec} is done by the embedder with the symmetric key."
        )));
    }
    if !material.encryption_algorithms().contains(&alg) {
        return Err(KmsError::InvalidKeyUsage(format!(
            "Encryption algorithm {alg} is not valid for key spec {spec}."
        )));
    }
    rsa_key(material)
}

/// The hash a signature is computed over: the message hashed, or the caller's digest.
fn signing_digest(
    material: &ValidatedMaterial,
    alg: SigningAlgorithmSpec,
    message_type: MessageType,
    message: &[u8],
) -> Result<Vec<u8>, KmsError> {
    if !material.signing_algorithms().contains(&alg) {
        return Err(KmsError::InvalidKeyUsage(format!(
            "Signing algorithm {alg} is not valid for key spec {}.",
            material.key_spec()
        )));
    }
    use SigningAlgorithmSpec as A;
    let hash_len = match alg {
        A::RsassaPssSha256 | A::RsassaPkcs1V15Sha256 | A::EcdsaSha256 => 32,
        A::RsassaPssSha384 | A::RsassaPkcs1V15Sha384 | A::EcdsaSha384 => 48,
        A::RsassaPssSha512 | A::RsassaPkcs1V15Sha512 | A::EcdsaSha512 => 64,
        _ => return Err(KmsError::Internal),
    };
    match message_type {
        MessageType::Digest if message.len() == hash_len => Ok(message.to_vec()),
        MessageType::Digest => Err(KmsError::Validation(format!(
            "Digest is invalid length for algorithm {alg}."
        ))),
        _ => Ok(match hash_len {
            32 => Sha256::digest(message).to_vec(),
            48 => Sha384::digest(message).to_vec(),
            _ => Sha512::digest(message).to_vec(),
        }),
    }
}

fn rsa_sign(
    key: &RsaPrivateKey,
    alg: SigningAlgorithmSpec,
    d: &[u8],
    rng: &mut dyn CryptoRng,
) -> Option<Vec<u8>> {
    use SigningAlgorithmSpec as A;
    let signed = match alg {
        A::RsassaPssSha256 => key.sign_with_rng(rng, Pss::<Sha256>::new(), d),
        A::RsassaPssSha384 => key.sign_with_rng(rng, Pss::<Sha384>::new(), d),
        A::RsassaPssSha512 => key.sign_with_rng(rng, Pss::<Sha512>::new(), d),
        A::RsassaPkcs1V15Sha256 => key.sign_with_rng(rng, Pkcs1v15Sign::new::<Sha256>(), d),
        A::RsassaPkcs1V15Sha384 => key.sign_with_rng(rng, Pkcs1v15Sign::new::<Sha384>(), d),
        A::RsassaPkcs1V15Sha512 => key.sign_with_rng(rng, Pkcs1v15Sign::new::<Sha512>(), d),
        _ => return None,
    };
    signed.ok()
}

fn rsa_verify(key: &RsaPrivateKey, alg: SigningAlgorithmSpec, d: &[u8], signature: &[u8]) -> bool {
    use SigningAlgorithmSpec as A;
    let public = key.as_public_key();
    let checked = match alg {
        A::RsassaPssSha256 => public.verify(Pss::<Sha256>::new(), d, signature),
        A::RsassaPssSha384 => public.verify(Pss::<Sha384>::new(), d, signature),
        A::RsassaPssSha512 => public.verify(Pss::<Sha512>::new(), d, signature),
        A::RsassaPkcs1V15Sha256 => public.verify(Pkcs1v15Sign::new::<Sha256>(), d, signature),
        A::RsassaPkcs1V15Sha384 => public.verify(Pkcs1v15Sign::new::<Sha384>(), d, signature),
        A::RsassaPkcs1V15Sha512 => public.verify(Pkcs1v15Sign::new::<Sha512>(), d, signature),
        _ => return false,
    };
    checked.is_ok()
}

/// A DER-encoded ECDSA signature of the digest `d`, with RFC 6979 nonces hedged with `rng`.
fn ecdsa_sign(
    material: &ValidatedMaterial,
    d: &[u8],
    rng: &mut dyn CryptoRng,
) -> Result<Option<Vec<u8>>, KmsError> {
    use p256::ecdsa::signature::hazmat::RandomizedPrehashSigner;
    let scalar = material.ecc_private_scalar().ok_or(KmsError::Internal)?;
    macro_rules! sign {
        ($curve:ident) => {{
            let key =
                $curve::ecdsa::SigningKey::from_slice(&scalar).map_err(|_| KmsError::Internal)?;
            RandomizedPrehashSigner::<$curve::ecdsa::DerSignature>::sign_prehash_with_rng(
                &key, rng, d,
            )
            .ok()
            .map(|s| s.to_bytes().to_vec())
        }};
    }
    Ok(match material.key_spec() {
        KeySpec::EccNistP256 => sign!(p256),
        KeySpec::EccNistP384 => sign!(p384),
        KeySpec::EccNistP521 => sign!(p521),
        KeySpec::EccSecgP256k1 => sign!(k256),
        _ => None,
    })
}

/// Whether the DER `signature` is valid for the digest `d`. On secp256k1 a high-S signature is
/// accepted (as OpenSSL accepts it), although only low-S ones are produced.
fn ecdsa_verify(
    material: &ValidatedMaterial,
    d: &[u8],
    signature: &[u8],
) -> Result<bool, KmsError> {
    use p256::ecdsa::signature::hazmat::PrehashVerifier;
    let scalar = material.ecc_private_scalar().ok_or(KmsError::Internal)?;
    macro_rules! verify {
        ($curve:ident, $normalize:expr) => {{
            let key =
                $curve::ecdsa::SigningKey::from_slice(&scalar).map_err(|_| KmsError::Internal)?;
            $curve::ecdsa::Signature::from_der(signature).is_ok_and(|s| {
                key.verifying_key()
                    .verify_prehash(d, &$normalize(s))
                    .is_ok()
            })
        }};
    }
    Ok(match material.key_spec() {
        KeySpec::EccNistP256 => verify!(p256, |s| s),
        KeySpec::EccNistP384 => verify!(p384, |s| s),
        KeySpec::EccNistP521 => verify!(p521, |s| s),
        KeySpec::EccSecgP256k1 => verify!(k256, |s: k256::ecdsa::Signature| s.normalize_s()),
        _ => false,
    })
}

/// A keyed HMAC state for `alg`, behind one interface for the four hashes.
enum MacState {
    Sha224(Hmac<Sha224>),
    Sha256(Hmac<Sha256>),
    Sha384(Hmac<Sha384>),
    Sha512(Hmac<Sha512>),
}

/// A state keyed with `key` that has absorbed `message`.
fn mac_state(alg: MacAlgorithmSpec, key: &[u8], message: &[u8]) -> Result<MacState, KmsError> {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for these hashes.
    #[allow(unreachable_patterns)]
    let mut state = match alg {
        MacAlgorithmSpec::HmacSha224 => {
            MacState::Sha224(Hmac::new_from_slice(key).map_err(|_| KmsError::Internal)?)
        }
        MacAlgorithmSpec::HmacSha256 => {
            MacState::Sha256(Hmac::new_from_slice(key).map_err(|_| KmsError::Internal)?)
        }
        MacAlgorithmSpec::HmacSha384 => {
            MacState::Sha384(Hmac::new_from_slice(key).map_err(|_| KmsError::Internal)?)
        }
        MacAlgorithmSpec::HmacSha512 => {
            MacState::Sha512(Hmac::new_from_slice(key).map_err(|_| KmsError::Internal)?)
        }
        _ => return Err(KmsError::Internal),
    };
    match &mut state {
        MacState::Sha224(m) => m.update(message),
        MacState::Sha256(m) => m.update(message),
        MacState::Sha384(m) => m.update(message),
        MacState::Sha512(m) => m.update(message),
    }
    Ok(state)
}

impl MacState {
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
