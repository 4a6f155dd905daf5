//! The seam between the wrapping algorithms and a cryptographic library.
//!
//! A [`WrappingProvider`] supplies the primitives (RSA key pairs, RSA encryption with the three
//! paddings, AES Key Wrap with Padding); the algorithm layer in this module's parent builds the
//! AWS wrapping algorithms on top of them once, for every backend. The rest of the crate only
//! names these traits, never a crypto library.

use std::fmt;

use rand_core::CryptoRng;
use zeroize::Zeroizing;

use crate::error::Error;
use crate::names::WrappingKeySpec;

/// An RSA encryption padding, as the wrapping algorithms use it.
///
/// Both OAEP variants use MGF1 with the same hash as the label hash, and an empty label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RsaPadding {
    /// RSAES-OAEP, SHA-1, MGF1-SHA-1, empty label.
    OaepSha1,
    /// RSAES-OAEP, SHA-256, MGF1-SHA-256, empty label.
    OaepSha256,
    /// RSAES-PKCS1-v1_5 (legacy). Decryption must use implicit rejection: a ciphertext with
    /// bad padding yields a deterministic synthetic message, not an error.
    Pkcs1v15,
}

impl RsaPadding {
    /// Bytes of padding overhead: the largest message for a modulus of `k` bytes is
    /// `k - overhead()` (`2·hLen + 2` for OAEP, 11 for PKCS#1 v1.5).
    pub const fn overhead(self) -> usize {
        match self {
            RsaPadding::OaepSha1 => 2 * 20 + 2,
            RsaPadding::OaepSha256 => 2 * 32 + 2,
            RsaPadding::Pkcs1v15 => 11,
        }
    }
}

/// A cryptographic backend for the wrapping algorithms, in the manner of rustls's
/// `CryptoProvider`: the embedder picks one (usually [`default_provider`](super::default_provider))
/// and every key loaded or generated through it carries it along.
///
/// Implementations must not read a clock or an OS random source: randomness comes only from the
/// `rng` arguments. Errors for malformed keys are [`Error::Validation`]; errors for ciphertexts
/// that do not decrypt are [`Error::InvalidCiphertext`], with no further detail.
pub trait WrappingProvider: Send + Sync + fmt::Debug {
    /// A short name for logs and `Debug` output (for example `"rustcrypto"`).
    fn name(&self) -> &'static str;

    /// Whether this provider offers `padding` at all. The wrapping algorithms answer
    /// `UnsupportedOperationException` for an algorithm whose padding is not offered, before
    /// any cryptography. The default offers all three.
    fn supports_padding(&self, padding: RsaPadding) -> bool {
        let _ = padding;
        true
    }

    /// Generates an RSA key pair of the given spec with public exponent 65537.
    ///
    /// SM2 gives [`Error::UnsupportedOperation`].
    fn generate_private_key(
        &self,
        spec: WrappingKeySpec,
        rng: &mut dyn CryptoRng,
    ) -> Result<Box<dyn WrappingPrivateKeyOps>, Error>;

    /// Parses an unencrypted PKCS#8 DER `rsaEncryption` private key whose modulus is exactly
    /// 2048, 3072 or 4096 bits; the spec is taken from the modulus. The key is parsed and
    /// checked once here, so that later decryptions do not repeat the work.
    fn load_private_key_pkcs8_der(
        &self,
        der: &[u8],
    ) -> Result<Box<dyn WrappingPrivateKeyOps>, Error>;

    /// Parses a DER SubjectPublicKeyInfo `rsaEncryption` public key whose modulus is exactly
    /// 2048, 3072 or 4096 bits.
    fn load_public_key_spki_der(&self, der: &[u8]) -> Result<Box<dyn WrappingPublicKeyOps>, Error>;

    /// Loads a private key from the form an import token carries it (see
    /// [`WrappingPrivateKey::to_token_encoding`](super::WrappingPrivateKey::to_token_encoding)).
    /// The default reads every encoding the crate writes, converting to PKCS#8 where needed;
    /// a provider overrides it to read its own compact form without that detour. Malformed
    /// input is [`Error::Validation`].
    fn load_private_key_token_encoding(
        &self,
        bytes: &[u8],
    ) -> Result<Box<dyn WrappingPrivateKeyOps>, Error> {
        match super::token_encoding::to_pkcs8(bytes)? {
            super::token_encoding::Pkcs8::Borrowed(der) => self.load_private_key_pkcs8_der(der),
            super::token_encoding::Pkcs8::Owned(der) => self.load_private_key_pkcs8_der(&der),
        }
    }

    /// AES Key Wrap with Padding (RFC 5649, default alternative IV) of `plaintext` under `kek`
    /// (16, 24 or 32 bytes). `plaintext` must not be empty.
    fn aes_kwp_wrap(&self, kek: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, Error>;

    /// Inverse of [`WrappingProvider::aes_kwp_wrap`]. Any malformed input or integrity failure
    /// is [`Error::InvalidCiphertext`]. Callers go through
    /// [`aes_kwp_unwrap`](super::aes_kwp_unwrap), which rejects inputs shorter than 16 bytes
    /// before they reach the provider.
    fn aes_kwp_unwrap(&self, kek: &[u8], wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error>;
}

/// An RSA public wrapping key, loaded by a [`WrappingProvider`].
pub trait WrappingPublicKeyOps: Send + Sync + fmt::Debug {
    /// The spec, fixed by the modulus size.
    fn spec(&self) -> WrappingKeySpec;

    /// The modulus length `k` in bytes: 256, 384 or 512.
    fn modulus_len(&self) -> usize;

    /// The DER SubjectPublicKeyInfo (what GetParametersForImport returns as `PublicKey`).
    fn public_key_spki_der(&self) -> &[u8];

    /// Encrypts `msg` (at most `modulus_len() - padding.overhead()` bytes) with `padding`.
    /// The output is exactly `modulus_len()` bytes.
    fn rsa_encrypt(
        &self,
        padding: RsaPadding,
        msg: &[u8],
        rng: &mut dyn CryptoRng,
    ) -> Result<Vec<u8>, Error>;
}

/// An RSA private wrapping key, loaded or generated by a [`WrappingProvider`]. Implementations
/// zeroize the key on drop and never print it.
pub trait WrappingPrivateKeyOps: Send + Sync + fmt::Debug {
    /// The spec, fixed by the modulus size.
    fn spec(&self) -> WrappingKeySpec;

    /// The public half.
    fn public_key(&self) -> Box<dyn WrappingPublicKeyOps>;

    /// The DER SubjectPublicKeyInfo of the public half.
    fn public_key_spki_der(&self) -> &[u8];

    /// The private key as unencrypted PKCS#8 DER, in a zeroizing buffer.
    fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, Error>;

    /// The private key in the form an import token carries it. The default is PKCS#8 behind
    /// the tag byte `0x01`; a provider may write a cheaper form that every provider's
    /// [`WrappingProvider::load_private_key_token_encoding`] still reads.
    fn to_token_encoding(&self) -> Result<Zeroizing<Vec<u8>>, Error> {
        super::token_encoding::pkcs8_form(&self.to_pkcs8_der()?)
    }

    /// Does now, once, the per-key set-up that the backend would otherwise do lazily inside
    /// the key's first private operation, so that the first unwrap costs what every later one
    /// does. Called by [`WrappingPrivateKey::generate_with`](super::WrappingPrivateKey::generate_with),
    /// that is off the request path, when a pool is refilled; not called when a key is loaded
    /// to serve a single unwrap, where it would only add a private operation.
    ///
    /// The default does nothing: a provider that sets everything up when it loads or generates
    /// a key has nothing to do here. An implementation that runs a private operation should
    /// also check its result (a pairwise consistency test) and return [`Error::Internal`] on a
    /// mismatch.
    fn warm_up(&self, rng: &mut dyn CryptoRng) -> Result<(), Error> {
        let _ = rng;
        Ok(())
    }

    /// Decrypts `ciphertext`, which must be exactly `k` bytes, blinding the private operation
    /// with `rng`. Every failure is [`Error::InvalidCiphertext`]. With
    /// [`RsaPadding::Pkcs1v15`], bad padding is not a failure (implicit rejection).
    fn rsa_decrypt(
        &self,
        padding: RsaPadding,
        ciphertext: &[u8],
        rng: &mut dyn CryptoRng,
    ) -> Result<Zeroizing<Vec<u8>>, Error>;
}
