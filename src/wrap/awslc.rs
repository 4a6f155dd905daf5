//! An optional [`WrappingProvider`] on AWS-LC (`aws-lc-rs`), behind the `aws-lc` feature: the
//! RSA private operation is several times faster than the pure-Rust default.
//!
//! Differences from the default provider, all deliberate:
//!
//! - **Randomness comes from AWS-LC's own generator**, not from the `rng` arguments: key
//!   generation, OAEP padding and the blinding of private operations all draw internally. This
//!   is the one exception to the crate's sans-IO rule, and it exists only with this optional
//!   feature. Results are therefore not reproducible from a seeded `rng`.
//! - **`RSAES_PKCS1_V1_5` is refused** with `UnsupportedOperationException`, for wrapping and
//!   unwrapping alike. AWS-LC reports bad PKCS#1 v1.5 padding as an error; passing that on would
//!   let a caller tell a padding failure from a wrong-length message, which is a Bleichenbacher
//!   oracle. Implicit rejection cannot be rebuilt soundly on top of an API that has already
//!   branched on the padding, so the legacy algorithm is only available on the default provider.
//! - AES Key Wrap with Padding is the same code as the default provider's (`aes-kw`): it is at
//!   least as fast as AWS-LC's and also covers 192-bit KEKs.
//!
//! AWS-LC wipes RSA keys when it frees them; exported PKCS#8 is returned in a zeroizing buffer.

use std::fmt;

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rsa::{
    KeySize, OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OaepAlgorithm, OaepPrivateDecryptingKey,
    OaepPublicEncryptingKey, PrivateDecryptingKey, PublicEncryptingKey,
};
use rand_core::CryptoRng;
use zeroize::Zeroizing;

use super::key_info;
use super::provider::{RsaPadding, WrappingPrivateKeyOps, WrappingProvider, WrappingPublicKeyOps};
use super::rustcrypto::RUSTCRYPTO;
use crate::error::Error;
use crate::names::WrappingKeySpec;

/// The AWS-LC provider. Stateless; use [`aws_lc_provider`](super::aws_lc_provider) or the
/// [`AWS_LC`] static.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct AwsLcProvider;

/// The one instance of [`AwsLcProvider`].
pub(crate) static AWS_LC: AwsLcProvider = AwsLcProvider;

fn spec_of_bits(bits: usize) -> Option<WrappingKeySpec> {
    WrappingKeySpec::RSA
        .into_iter()
        .find(|s| s.modulus_bits() == Some(bits))
}

fn pkcs1v15_refused() -> Error {
    Error::UnsupportedOperation(
        "RSAES_PKCS1_V1_5 is not supported by the aws-lc wrapping provider.".to_owned(),
    )
}

fn oaep_algorithm(padding: RsaPadding) -> Result<&'static OaepAlgorithm, Error> {
    match padding {
        RsaPadding::OaepSha1 => Ok(&OAEP_SHA1_MGF1SHA1),
        RsaPadding::OaepSha256 => Ok(&OAEP_SHA256_MGF1SHA256),
        RsaPadding::Pkcs1v15 => Err(pkcs1v15_refused()),
    }
}

impl WrappingProvider for AwsLcProvider {
    fn name(&self) -> &'static str {
        "aws-lc"
    }

    /// OAEP only: see the module documentation for why PKCS#1 v1.5 is refused.
    fn supports_padding(&self, padding: RsaPadding) -> bool {
        padding != RsaPadding::Pkcs1v15
    }

    /// Ignores `rng`: AWS-LC generates the primes from its own generator.
    fn generate_private_key(
        &self,
        spec: WrappingKeySpec,
        _rng: &mut dyn CryptoRng,
    ) -> Result<Box<dyn WrappingPrivateKeyOps>, Error> {
        let size = match spec {
            WrappingKeySpec::Rsa2048 => KeySize::Rsa2048,
            WrappingKeySpec::Rsa3072 => KeySize::Rsa3072,
            WrappingKeySpec::Rsa4096 => KeySize::Rsa4096,
            _ => {
                return Err(Error::UnsupportedOperation(format!(
                    "{spec} wrapping keys are not supported."
                )));
            }
        };
        let key = PrivateDecryptingKey::generate(size).map_err(|_| Error::Internal)?;
        Ok(Box::new(AlPrivateKey::new(key, Error::Internal)?))
    }

    fn load_private_key_pkcs8_der(
        &self,
        der: &[u8],
    ) -> Result<Box<dyn WrappingPrivateKeyOps>, Error> {
        let bad = key_info::bad_private_key;
        // The algorithm identifier is checked here, not left to AWS-LC, so that both providers
        // refuse exactly the same keys (an RSASSA-PSS key is a signing key).
        key_info::rsa_private_key_info(der)?;
        // Parses and checks the key pair (AWS-LC's RSA_check_key).
        let key = PrivateDecryptingKey::from_pkcs8(der).map_err(|_| bad())?;
        Ok(Box::new(AlPrivateKey::new(key, bad())?))
    }

    fn load_public_key_spki_der(&self, der: &[u8]) -> Result<Box<dyn WrappingPublicKeyOps>, Error> {
        let bad = key_info::bad_public_key;
        key_info::rsa_public_key_info(der)?;
        let key = PublicEncryptingKey::from_der(der).map_err(|_| bad())?;
        Ok(Box::new(AlPublicKey::new(key, bad())?))
    }

    fn aes_kwp_wrap(&self, kek: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, Error> {
        RUSTCRYPTO.aes_kwp_wrap(kek, plaintext)
    }

    fn aes_kwp_unwrap(&self, kek: &[u8], wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
        RUSTCRYPTO.aes_kwp_unwrap(kek, wrapped)
    }
}

/// An AWS-LC RSA private key with its OAEP decryptor and its public key's SPKI encoding.
struct AlPrivateKey {
    key: PrivateDecryptingKey,
    oaep: OaepPrivateDecryptingKey,
    public: AlPublicKey,
}

impl AlPrivateKey {
    /// `wrong_size` is returned when the modulus is not one of the three wrapping sizes.
    fn new(key: PrivateDecryptingKey, wrong_size: Error) -> Result<AlPrivateKey, Error> {
        let public = AlPublicKey::new(key.public_key(), wrong_size)?;
        let oaep = OaepPrivateDecryptingKey::new(key.clone()).map_err(|_| Error::Internal)?;
        Ok(AlPrivateKey { key, oaep, public })
    }
}

impl fmt::Debug for AlPrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsLcWrappingPrivateKey")
            .field("spec", &self.public.spec)
            .field("key", &"<redacted>")
            .finish()
    }
}

impl WrappingPrivateKeyOps for AlPrivateKey {
    fn spec(&self) -> WrappingKeySpec {
        self.public.spec
    }

    fn public_key(&self) -> Box<dyn WrappingPublicKeyOps> {
        Box::new(self.public.clone())
    }

    fn public_key_spki_der(&self) -> &[u8] {
        &self.public.spki
    }

    fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, Error> {
        let der: Pkcs8V1Der<'static> = self.key.as_der().map_err(|_| Error::Internal)?;
        Ok(Zeroizing::new(der.as_ref().to_vec()))
    }

    /// AWS-LC builds a key's Montgomery contexts and its blinding state inside the first
    /// private operation (at 2048 bits half a private operation's time, or a whole one on a
    /// host where AVX-512 IFMA speeds up the operation but not the set-up). One OAEP round trip here does that ahead of the first unwrap, and checks that
    /// the private key inverts the public one. Ignores `rng`, like every operation here.
    fn warm_up(&self, rng: &mut dyn CryptoRng) -> Result<(), Error> {
        const PROBE: [u8; 32] = [0x5a; 32];
        let ct = self
            .public
            .rsa_encrypt(RsaPadding::OaepSha256, &PROBE, rng)?;
        let pt = self
            .rsa_decrypt(RsaPadding::OaepSha256, &ct, rng)
            .map_err(|_| Error::Internal)?;
        if pt.as_slice() != PROBE.as_slice() {
            return Err(Error::Internal);
        }
        Ok(())
    }

    /// Ignores `rng`: AWS-LC blinds with its own generator.
    fn rsa_decrypt(
        &self,
        padding: RsaPadding,
        ciphertext: &[u8],
        _rng: &mut dyn CryptoRng,
    ) -> Result<Zeroizing<Vec<u8>>, Error> {
        let algorithm = oaep_algorithm(padding)?;
        if ciphertext.len() != self.oaep.key_size_bytes() {
            return Err(Error::InvalidCiphertext);
        }
        let mut out = Zeroizing::new(vec![0u8; self.oaep.min_output_size()]);
        let n = self
            .oaep
            .decrypt(algorithm, ciphertext, &mut out, None)
            .map_err(|_| Error::InvalidCiphertext)?
            .len();
        out.truncate(n);
        Ok(out)
    }
}

#[derive(Clone)]
struct AlPublicKey {
    key: PublicEncryptingKey,
    spec: WrappingKeySpec,
    spki: Vec<u8>,
}

impl AlPublicKey {
    fn new(key: PublicEncryptingKey, wrong_size: Error) -> Result<AlPublicKey, Error> {
        let spec = spec_of_bits(key.key_size_bits()).ok_or(wrong_size)?;
        let spki: PublicKeyX509Der<'static> = key.as_der().map_err(|_| Error::Internal)?;
        let spki = spki.as_ref().to_vec();
        Ok(AlPublicKey { key, spec, spki })
    }
}

impl fmt::Debug for AlPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsLcWrappingPublicKey")
            .field("spec", &self.spec)
            .finish_non_exhaustive()
    }
}

impl WrappingPublicKeyOps for AlPublicKey {
    fn spec(&self) -> WrappingKeySpec {
        self.spec
    }

    fn modulus_len(&self) -> usize {
        self.key.key_size_bytes()
    }

    fn public_key_spki_der(&self) -> &[u8] {
        &self.spki
    }

    /// Ignores `rng`: AWS-LC draws the OAEP seed from its own generator.
    fn rsa_encrypt(
        &self,
        padding: RsaPadding,
        msg: &[u8],
        _rng: &mut dyn CryptoRng,
    ) -> Result<Vec<u8>, Error> {
        let algorithm = oaep_algorithm(padding)?;
        let oaep = OaepPublicEncryptingKey::new(self.key.clone()).map_err(|_| Error::Internal)?;
        let k = oaep.key_size_bytes();
        if msg.len() + padding.overhead() > k {
            return Err(Error::Internal);
        }
        let mut out = vec![0u8; oaep.ciphertext_size()];
        let n = oaep
            .encrypt(algorithm, msg, &mut out, None)
            .map_err(|_| Error::Internal)?
            .len();
        if n != k {
            return Err(Error::Internal);
        }
        out.truncate(n);
        Ok(out)
    }
}
