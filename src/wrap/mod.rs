//! The wrapping algorithms of AWS KMS key import, and the RSA wrapping keys they use.
//!
//! - [`WrappingPrivateKey`] is what GetParametersForImport generates and ImportKeyMaterial
//!   unwraps with; [`WrappingPublicKey`] is what the customer wraps with.
//! - The algorithms (`RSAES_OAEP_SHA_1/256`, `RSA_AES_KEY_WRAP_SHA_1/256` and, behind an
//!   explicit legacy opt-in, `RSAES_PKCS1_V1_5`) are written once, on top of a
//!   [`WrappingProvider`] that supplies RSA and AES Key Wrap with Padding. The default provider is
//!   pure Rust ([`default_provider`]); another backend only has to implement the primitives.
//! - [`compat`] holds the table of which algorithm may carry which key spec's material.
//!
//! AES-KWP sits behind the provider, not in the algorithm layer, because other backends (AWS-LC)
//! have their own. The algorithm layer still owns the checks every backend must share (the
//! 16-byte minimum, the 32-byte ephemeral key, the split at `k`).
//!
//! Every ciphertext that does not unwrap gives [`Error::InvalidCiphertext`], whose message is
//! the same whatever the cause.

mod algorithm;
#[cfg(feature = "aws-lc")]
pub(crate) mod awslc;
pub(crate) mod compat;
mod key_info;
mod provider;
pub(crate) mod rustcrypto;
mod token_encoding;

use std::fmt;
use std::sync::Arc;

use rand_core::CryptoRng;
use zeroize::{ZeroizeOnDrop, Zeroizing};

use crate::error::Error;
use crate::names::{WrappingAlgorithm, WrappingKeySpec};

pub use algorithm::{aes_kwp_unwrap, aes_kwp_wrap, check_provider_supports};
pub use compat::{check_compatible, max_material_len, valid_pairs};
pub use provider::{RsaPadding, WrappingPrivateKeyOps, WrappingProvider, WrappingPublicKeyOps};

/// The default provider: pure Rust (`rsa` 0.10 and `aes-kw`).
pub fn default_provider() -> &'static dyn WrappingProvider {
    &rustcrypto::RUSTCRYPTO
}

/// The AWS-LC provider (feature `aws-lc`): a faster RSA private operation, with randomness
/// drawn inside AWS-LC and no `RSAES_PKCS1_V1_5`.
#[cfg(feature = "aws-lc")]
pub fn aws_lc_provider() -> &'static dyn WrappingProvider {
    &awslc::AWS_LC
}

/// Every provider compiled into this build, the default first: `rustcrypto`, then `aws-lc`
/// when that feature is on. Tests and benchmarks run over this list.
pub fn available_providers() -> Vec<&'static dyn WrappingProvider> {
    vec![
        default_provider(),
        #[cfg(feature = "aws-lc")]
        aws_lc_provider(),
    ]
}

/// Which wrapping algorithms a caller accepts beyond the supported ones.
///
/// The default refuses `RSAES_PKCS1_V1_5`, which AWS retired on 2023-10-10. Enabling it is a
/// deliberate, visible act: [`WrapPolicy::allow_legacy_rsaes_pkcs1_v1_5_insecure`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct WrapPolicy {
    legacy_rsaes_pkcs1_v1_5: bool,
}

impl WrapPolicy {
    /// The default policy: OAEP and RSA_AES only.
    pub const fn new() -> WrapPolicy {
        WrapPolicy {
            legacy_rsaes_pkcs1_v1_5: false,
        }
    }

    /// Also accepts `RSAES_PKCS1_V1_5`, for SYMMETRIC_DEFAULT material only.
    ///
    /// Insecure: PKCS#1 v1.5 encryption is malleable and the classic source of padding oracles.
    /// Unwrapping uses implicit rejection, so a tampered ciphertext does not fail; it yields a
    /// deterministic pseudo-random message (see [`UnwrappingKey::unwrap`]) whose length is
    /// close to uniform. About 1 in 250 corrupted RSA-2048 blobs unwraps to exactly 32 bytes
    /// (measured: 377 of 100,000 random blobs, 1 in 265, 95 % interval 1 in 240 to 1 in 293;
    /// `cargo run --release --example legacy_pkcs1_rate`), and a SYMMETRIC_DEFAULT key without
    /// material then takes those bytes as its first material. ImportKeyMaterial flags such an
    /// import (`legacy_wrapping` on its response and on the material record): do not trust
    /// the key until a use of it has shown that the client holds the same material.
    pub const fn allow_legacy_rsaes_pkcs1_v1_5_insecure(self) -> WrapPolicy {
        WrapPolicy {
            legacy_rsaes_pkcs1_v1_5: true,
        }
    }

    /// Whether `RSAES_PKCS1_V1_5` is enabled.
    pub const fn legacy_rsaes_pkcs1_v1_5_allowed(&self) -> bool {
        self.legacy_rsaes_pkcs1_v1_5
    }
}

/// An RSA public wrapping key (RSA_2048, RSA_3072 or RSA_4096), bound to the provider that
/// loaded it.
///
/// Keys from outside may have any public exponent the provider accepts (the default accepts
/// 3 ≤ e < 2^33, odd); keys this crate generates always use 65537. The spec always matches the
/// modulus: a 2048-bit key is never an RSA_4096 key.
#[derive(Clone)]
pub struct WrappingPublicKey {
    inner: Arc<dyn WrappingPublicKeyOps>,
    provider: &'static dyn WrappingProvider,
}

impl WrappingPublicKey {
    /// Parses a DER SubjectPublicKeyInfo RSA key (what GetParametersForImport returns as
    /// `PublicKey`) with the default provider. Anything else is a `ValidationException`.
    pub fn from_spki_der(der: &[u8]) -> Result<WrappingPublicKey, Error> {
        WrappingPublicKey::from_spki_der_with(default_provider(), der)
    }

    /// [`WrappingPublicKey::from_spki_der`] with a chosen provider.
    pub fn from_spki_der_with(
        provider: &'static dyn WrappingProvider,
        der: &[u8],
    ) -> Result<WrappingPublicKey, Error> {
        Ok(WrappingPublicKey {
            inner: Arc::from(provider.load_public_key_spki_der(der)?),
            provider,
        })
    }

    /// The wrapping key spec, fixed by the modulus.
    pub fn spec(&self) -> WrappingKeySpec {
        self.inner.spec()
    }

    /// The DER SubjectPublicKeyInfo.
    pub fn to_spki_der(&self) -> &[u8] {
        self.inner.public_key_spki_der()
    }

    /// The provider-level key.
    pub(crate) fn ops(&self) -> &dyn WrappingPublicKeyOps {
        &*self.inner
    }

    /// The provider this key was loaded with.
    pub fn provider(&self) -> &'static dyn WrappingProvider {
        self.provider
    }

    /// Wraps key material for import with `algorithm`.
    ///
    /// Errors: `UnsupportedOperationException` for SM2PKE, and for `RSAES_PKCS1_V1_5` unless
    /// `policy` enables it; `ValidationException` for empty material or material longer than
    /// [`max_material_len`] (for example more than 190 bytes with `RSAES_OAEP_SHA_256` under
    /// RSA_2048). Which key spec the material belongs to is not checked here; see
    /// [`check_compatible`]. Two wraps of the same material differ (randomised padding and, for
    /// RSA_AES, a fresh AES key).
    pub fn wrap(
        &self,
        algorithm: WrappingAlgorithm,
        material: &[u8],
        policy: &WrapPolicy,
        rng: &mut dyn CryptoRng,
    ) -> Result<Vec<u8>, Error> {
        algorithm::wrap(self, algorithm, material, policy, rng)
    }
}

impl fmt::Debug for WrappingPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WrappingPublicKey")
            .field("spec", &self.spec())
            .field("provider", &self.provider.name())
            .finish_non_exhaustive()
    }
}

/// An RSA private wrapping key, parsed and checked once, bound to its provider.
///
/// Cheap to clone (shared); the key is zeroized when the last clone drops, and `Debug` never
/// shows it. Keep one per import token's wrapping key rather than re-parsing PKCS#8 per call.
#[derive(Clone)]
pub struct WrappingPrivateKey {
    inner: Arc<dyn WrappingPrivateKeyOps>,
    provider: &'static dyn WrappingProvider,
}

impl WrappingPrivateKey {
    /// Generates a key pair of `spec` (e = 65537) with the default provider. SM2 is
    /// `UnsupportedOperationException`.
    ///
    /// RSA-4096 generation takes about a second of one core; services that need fast
    /// GetParametersForImport should generate ahead of time.
    pub fn generate(
        spec: WrappingKeySpec,
        rng: &mut dyn CryptoRng,
    ) -> Result<WrappingPrivateKey, Error> {
        WrappingPrivateKey::generate_with(default_provider(), spec, rng)
    }

    /// [`WrappingPrivateKey::generate`] with a chosen provider.
    pub fn generate_with(
        provider: &'static dyn WrappingProvider,
        spec: WrappingKeySpec,
        rng: &mut dyn CryptoRng,
    ) -> Result<WrappingPrivateKey, Error> {
        if spec == WrappingKeySpec::Sm2 {
            return Err(compat::sm2_refused());
        }
        let key = WrappingPrivateKey {
            inner: Arc::from(provider.generate_private_key(spec, rng)?),
            provider,
        };
        key.warm_up(rng)?;
        Ok(key)
    }

    /// Does the provider's lazy per-key set-up now (see [`WrappingPrivateKeyOps::warm_up`]):
    /// a no-op with the pure-Rust provider; with AWS-LC one encrypt-and-decrypt round trip,
    /// whose result is checked, so that the key's first unwrap is not slower than the next.
    ///
    /// [`generate_with`](Self::generate_with) already does this. Call it on a key loaded with
    /// [`from_pkcs8_der_with`](Self::from_pkcs8_der_with) before putting it in a
    /// [`WrappingKeyPool`](crate::pool::WrappingKeyPool), outside any lock the request path
    /// takes. The set-up is shared by every clone of the key.
    pub fn warm_up(&self, rng: &mut dyn CryptoRng) -> Result<(), Error> {
        self.inner.warm_up(rng)
    }

    /// Parses an unencrypted PKCS#8 DER RSA private key of 2048, 3072 or 4096 bits with the
    /// default provider; the spec comes from the modulus. Anything else is a
    /// `ValidationException` (no detail about the key is given).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<WrappingPrivateKey, Error> {
        WrappingPrivateKey::from_pkcs8_der_with(default_provider(), der)
    }

    /// [`WrappingPrivateKey::from_pkcs8_der`] with a chosen provider.
    pub fn from_pkcs8_der_with(
        provider: &'static dyn WrappingProvider,
        der: &[u8],
    ) -> Result<WrappingPrivateKey, Error> {
        Ok(WrappingPrivateKey {
            inner: Arc::from(provider.load_private_key_pkcs8_der(der)?),
            provider,
        })
    }

    /// Like [`WrappingPrivateKey::from_pkcs8_der`], and the modulus must match `spec`
    /// (`ValidationException` otherwise): for keys stored alongside the spec they were issued
    /// for.
    pub fn from_pkcs8_der_expecting(
        spec: WrappingKeySpec,
        der: &[u8],
    ) -> Result<WrappingPrivateKey, Error> {
        let key = WrappingPrivateKey::from_pkcs8_der(der)?;
        if key.spec() != spec {
            return Err(Error::Validation(format!(
                "The wrapping private key is not a {spec} key."
            )));
        }
        Ok(key)
    }

    /// The wrapping key spec, fixed by the modulus.
    pub fn spec(&self) -> WrappingKeySpec {
        self.inner.spec()
    }

    /// The public half.
    pub fn public_key(&self) -> WrappingPublicKey {
        WrappingPublicKey {
            inner: Arc::from(self.inner.public_key()),
            provider: self.provider,
        }
    }

    /// The public half as DER SubjectPublicKeyInfo (GetParametersForImport's `PublicKey`).
    pub fn public_key_spki_der(&self) -> &[u8] {
        self.inner.public_key_spki_der()
    }

    /// The private key as unencrypted PKCS#8 DER, zeroized on drop. Seal it before it leaves
    /// the process.
    pub fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, Error> {
        self.inner.to_pkcs8_der()
    }

    /// The private key in the form an import token carries it: compact and cheap to load
    /// again with [`WrappingPrivateKey::from_token_encoding_with`]. Zeroized on drop; seal it
    /// before it leaves the process. The encoding is the same for every provider, so a token
    /// issued by one service instance opens on another whatever provider either uses.
    pub fn to_token_encoding(&self) -> Result<Zeroizing<Vec<u8>>, Error> {
        token_encoding::encode(self)
    }

    /// Loads a key written by [`WrappingPrivateKey::to_token_encoding`] with `provider`.
    /// Anything malformed is a `ValidationException` with no detail.
    pub fn from_token_encoding_with(
        provider: &'static dyn WrappingProvider,
        bytes: &[u8],
    ) -> Result<WrappingPrivateKey, Error> {
        Ok(WrappingPrivateKey {
            inner: Arc::from(token_encoding::decode(provider, bytes)?),
            provider,
        })
    }

    /// The provider-level key.
    pub(crate) fn ops(&self) -> &dyn WrappingPrivateKeyOps {
        &*self.inner
    }

    /// The provider this key was loaded with.
    pub fn provider(&self) -> &'static dyn WrappingProvider {
        self.provider
    }

    /// This key bound to `algorithm`: the handle that unwraps material wrapped with that
    /// algorithm under this key's public half, and with no other.
    ///
    /// ImportKeyMaterial never calls this: it binds the key to the algorithm its import token
    /// was issued for. It is for tools that unwrap outside an import (a person checking a
    /// wrapped file with the private key they made).
    pub fn for_algorithm(&self, algorithm: WrappingAlgorithm) -> UnwrappingKey {
        UnwrappingKey {
            key: self.clone(),
            algorithm,
        }
    }
}

/// A [`WrappingPrivateKey`] bound to the one [`WrappingAlgorithm`] it unwraps with.
///
/// ImportKeyMaterial gets one from the import token (key and algorithm come sealed together),
/// so no caller can unwrap an import with an algorithm other than the one the token was issued
/// for. Cheap to clone (the key is shared); `Debug` never shows the key.
#[derive(Clone)]
pub struct UnwrappingKey {
    key: WrappingPrivateKey,
    algorithm: WrappingAlgorithm,
}

impl UnwrappingKey {
    /// Binds `key` to the algorithm of the token `claims` it was issued with. A key whose spec
    /// is not the token's is [`Error::InvalidImportToken`].
    pub(crate) fn for_token(
        key: WrappingPrivateKey,
        claims: &crate::token::TokenClaims,
    ) -> Result<UnwrappingKey, Error> {
        if key.spec() != claims.wrapping_key_spec() {
            return Err(Error::InvalidImportToken);
        }
        Ok(UnwrappingKey {
            key,
            algorithm: claims.wrapping_algorithm(),
        })
    }

    /// The algorithm this key unwraps with.
    pub fn algorithm(&self) -> WrappingAlgorithm {
        self.algorithm
    }

    /// The wrapping key spec, fixed by the modulus.
    pub fn spec(&self) -> WrappingKeySpec {
        self.key.spec()
    }

    /// Unwraps `EncryptedKeyMaterial` that was wrapped with [`algorithm`](Self::algorithm) under
    /// the key's public half. The RSA private operation is blinded with `rng`.
    ///
    /// Errors: `UnsupportedOperationException` for SM2PKE, and for `RSAES_PKCS1_V1_5` unless
    /// `policy` enables it; otherwise every failure is [`Error::InvalidCiphertext`], one fixed
    /// message: a single-block ciphertext that is not exactly `k` bytes (256/384/512), an OAEP
    /// decryption failure, and for `RSA_AES_KEY_WRAP_*` a remainder after the first `k` bytes
    /// shorter than 16 bytes or not a multiple of 8, an RSA part that does not hold exactly 32
    /// bytes, or a KWP integrity failure. For RSA_AES the KWP step runs whether or not the RSA
    /// part decrypted (with a random key when it did not), so the two failures are not told
    /// apart by timing either.
    ///
    /// `RSAES_PKCS1_V1_5` uses implicit rejection: a ciphertext with invalid padding does not
    /// fail but yields a deterministic, pseudo-random message derived from the key and the
    /// ciphertext. That is what keeps this path from being a padding oracle (Bleichenbacher,
    /// Marvin): success and failure look the same. The only signal left is the caller's own
    /// check of the material, chiefly its length (exactly 32 bytes for SYMMETRIC_DEFAULT),
    /// which a synthetic message fails with high probability and which the caller must report
    /// without saying why.
    pub fn unwrap(
        &self,
        ciphertext: &[u8],
        policy: &WrapPolicy,
        rng: &mut dyn CryptoRng,
    ) -> Result<Zeroizing<Vec<u8>>, Error> {
        algorithm::unwrap(&self.key, self.algorithm, ciphertext, policy, rng)
    }
}

impl fmt::Debug for UnwrappingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnwrappingKey")
            .field("algorithm", &self.algorithm)
            .field("key", &self.key)
            .finish()
    }
}

// Providers zeroize their keys on drop (a `WrappingPrivateKeyOps` requirement; the default
// provider holds an `rsa::RsaPrivateKey`, which is `ZeroizeOnDrop`). Clones share one key,
// wiped when the last clone drops.
impl ZeroizeOnDrop for WrappingPrivateKey {}

impl fmt::Debug for WrappingPrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WrappingPrivateKey")
            .field("spec", &self.spec())
            .field("provider", &self.provider.name())
            .field("key", &"<redacted>")
            .finish()
    }
}
