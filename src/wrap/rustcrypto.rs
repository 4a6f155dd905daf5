//! The default, pure-Rust [`WrappingProvider`]: RustCrypto's `rsa` (0.10 release candidate,
//! constant-time-oriented arithmetic, PKCS#1 v1.5 implicit rejection) and `aes-kw`.
//!
//! Private operations are always blinded with the caller's RNG (`decrypt_blinded`); the `rsa`
//! crate's OS-RNG default is compiled out.

use std::fmt;

use aes_kw::{KeyInit, KwpAes128, KwpAes192, KwpAes256};
use pkcs8::EncodePrivateKey;
use rand_core::CryptoRng;
use rsa::traits::PublicKeyParts;
use rsa::{Oaep, Pkcs1v15Encrypt, RsaPrivateKey, RsaPublicKey};
use sha1::Sha1;
use sha2::Sha256;
use spki::EncodePublicKey;
use zeroize::Zeroizing;

use super::key_info;
use super::provider::{RsaPadding, WrappingPrivateKeyOps, WrappingProvider, WrappingPublicKeyOps};
use crate::error::Error;
use crate::names::WrappingKeySpec;

/// The pure-Rust provider. Stateless; use [`default_provider`](super::default_provider) or
/// the [`RUSTCRYPTO`] static.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RustCryptoProvider;

/// The one instance of [`RustCryptoProvider`].
pub(crate) static RUSTCRYPTO: RustCryptoProvider = RustCryptoProvider;

fn spec_of(key: &impl PublicKeyParts) -> Option<WrappingKeySpec> {
    let bits = key.n().bits() as usize;
    WrappingKeySpec::RSA
        .into_iter()
        .find(|s| s.modulus_bits() == Some(bits))
}

fn spki_of(key: &RsaPublicKey) -> Result<Vec<u8>, Error> {
    key.to_public_key_der()
        .map(|d| d.into_vec())
        .map_err(|_| Error::Internal)
}

impl WrappingProvider for RustCryptoProvider {
    fn name(&self) -> &'static str {
        "rustcrypto"
    }

    fn generate_private_key(
        &self,
        spec: WrappingKeySpec,
        rng: &mut dyn CryptoRng,
    ) -> Result<Box<dyn WrappingPrivateKeyOps>, Error> {
        let bits = spec.modulus_bits().ok_or_else(|| {
            Error::UnsupportedOperation(format!("{spec} wrapping keys are not supported."))
        })?;
        // RsaPrivateKey::new uses e = 65537 and two primes.
        let key = RsaPrivateKey::new(rng, bits).map_err(|_| Error::Internal)?;
        Ok(Box::new(RcPrivateKey::new(key, Error::Internal)?))
    }

    fn load_private_key_pkcs8_der(
        &self,
        der: &[u8],
    ) -> Result<Box<dyn WrappingPrivateKeyOps>, Error> {
        let bad = key_info::bad_private_key;
        let info = key_info::rsa_private_key_info(der)?;
        // Decodes, checks the key pair (RsaPrivateKey::validate) and precomputes the CRT values.
        let key = RsaPrivateKey::try_from(info).map_err(|_| bad())?;
        Ok(Box::new(RcPrivateKey::new(key, bad())?))
    }

    fn load_public_key_spki_der(&self, der: &[u8]) -> Result<Box<dyn WrappingPublicKeyOps>, Error> {
        let bad = key_info::bad_public_key;
        let info = key_info::rsa_public_key_info(der)?;
        let key = RsaPublicKey::try_from(info).map_err(|_| bad())?;
        let spec = spec_of(&key).ok_or_else(bad)?;
        let spki = spki_of(&key)?;
        Ok(Box::new(RcPublicKey { key, spec, spki }))
    }

    /// Reads the component form without DER decoding; other forms as the default does.
    fn load_private_key_token_encoding(
        &self,
        bytes: &[u8],
    ) -> Result<Box<dyn WrappingPrivateKeyOps>, Error> {
        match super::token_encoding::rsa_from_components(bytes) {
            Some(key) => Ok(Box::new(RcPrivateKey::new(
                key?,
                Error::Validation("The wrapping private key encoding is malformed.".to_owned()),
            )?)),
            None => match super::token_encoding::to_pkcs8(bytes)? {
                super::token_encoding::Pkcs8::Borrowed(der) => self.load_private_key_pkcs8_der(der),
                super::token_encoding::Pkcs8::Owned(der) => self.load_private_key_pkcs8_der(&der),
            },
        }
    }

    fn aes_kwp_wrap(&self, kek: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, Error> {
        if plaintext.is_empty() {
            return Err(Error::Validation(
                "Key material must not be empty.".to_owned(),
            ));
        }
        let mut out = vec![0u8; plaintext.len().div_ceil(8) * 8 + 8];
        let res = match kek.len() {
            16 => kwp_wrap_with::<KwpAes128>(kek, plaintext, &mut out),
            24 => kwp_wrap_with::<KwpAes192>(kek, plaintext, &mut out),
            32 => kwp_wrap_with::<KwpAes256>(kek, plaintext, &mut out),
            _ => Err(Error::Internal),
        };
        res.map(|()| out)
    }

    fn aes_kwp_unwrap(&self, kek: &[u8], wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
        // The aes-kw 0.3.1 guard: an 8-byte input would "unwrap" to an empty key under any KEK.
        if wrapped.len() < 16 || !wrapped.len().is_multiple_of(8) {
            return Err(Error::InvalidCiphertext);
        }
        let mut out = Zeroizing::new(vec![0u8; wrapped.len() - 8]);
        let n = match kek.len() {
            16 => kwp_unwrap_with::<KwpAes128>(kek, wrapped, &mut out),
            24 => kwp_unwrap_with::<KwpAes192>(kek, wrapped, &mut out),
            32 => kwp_unwrap_with::<KwpAes256>(kek, wrapped, &mut out),
            _ => Err(Error::InvalidCiphertext),
        }?;
        // Dropping the padding bytes: they are zero by the integrity check, and the buffer is
        // zeroized on drop either way.
        out.truncate(n);
        Ok(out)
    }
}

trait Kwp: KeyInit {
    fn wrap<'a>(&self, key: &[u8], buf: &'a mut [u8]) -> Result<&'a [u8], aes_kw::Error>;
    fn unwrap<'a>(&self, data: &[u8], buf: &'a mut [u8]) -> Result<&'a [u8], aes_kw::Error>;
}

macro_rules! impl_kwp {
    ($($t:ty),*) => {$(
        impl Kwp for $t {
            fn wrap<'a>(&self, key: &[u8], buf: &'a mut [u8]) -> Result<&'a [u8], aes_kw::Error> {
                self.wrap_key(key, buf)
            }
            fn unwrap<'a>(&self, data: &[u8], buf: &'a mut [u8]) -> Result<&'a [u8], aes_kw::Error> {
                self.unwrap_key(data, buf)
            }
        }
    )*};
}
impl_kwp!(KwpAes128, KwpAes192, KwpAes256);

fn kwp_wrap_with<K: Kwp>(kek: &[u8], plaintext: &[u8], out: &mut [u8]) -> Result<(), Error> {
    let kw = K::new_from_slice(kek).map_err(|_| Error::Internal)?;
    let written = kw.wrap(plaintext, out).map_err(|_| Error::Internal)?;
    if written.len() != out.len() {
        return Err(Error::Internal);
    }
    Ok(())
}

fn kwp_unwrap_with<K: Kwp>(kek: &[u8], wrapped: &[u8], out: &mut [u8]) -> Result<usize, Error> {
    let kw = K::new_from_slice(kek).map_err(|_| Error::InvalidCiphertext)?;
    kw.unwrap(wrapped, out)
        .map(|m| m.len())
        .map_err(|_| Error::InvalidCiphertext)
}

/// A parsed, checked RSA private key with its CRT values precomputed, plus its public key's
/// SPKI encoding. `RsaPrivateKey` zeroizes itself on drop.
struct RcPrivateKey {
    key: RsaPrivateKey,
    spec: WrappingKeySpec,
    spki: Vec<u8>,
}

impl RcPrivateKey {
    /// `wrong_size` is returned when the modulus is not one of the three wrapping sizes.
    fn new(key: RsaPrivateKey, wrong_size: Error) -> Result<RcPrivateKey, Error> {
        let spec = spec_of(&key).ok_or(wrong_size)?;
        let spki = spki_of(key.as_public_key())?;
        Ok(RcPrivateKey { key, spec, spki })
    }
}

impl fmt::Debug for RcPrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RsaWrappingPrivateKey")
            .field("spec", &self.spec)
            .field("key", &"<redacted>")
            .finish()
    }
}

impl WrappingPrivateKeyOps for RcPrivateKey {
    fn spec(&self) -> WrappingKeySpec {
        self.spec
    }

    fn public_key(&self) -> Box<dyn WrappingPublicKeyOps> {
        Box::new(RcPublicKey {
            key: self.key.to_public_key(),
            spec: self.spec,
            spki: self.spki.clone(),
        })
    }

    fn public_key_spki_der(&self) -> &[u8] {
        &self.spki
    }

    fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, Error> {
        self.key
            .to_pkcs8_der()
            .map(|doc| doc.to_bytes())
            .map_err(|_| Error::Internal)
    }

    /// The component form (`n, e, d, p, q`): nothing to compute, unlike PKCS#8.
    fn to_token_encoding(&self) -> Result<Zeroizing<Vec<u8>>, Error> {
        super::token_encoding::components_form(&self.key)
    }

    fn rsa_decrypt(
        &self,
        padding: RsaPadding,
        ciphertext: &[u8],
        rng: &mut dyn CryptoRng,
    ) -> Result<Zeroizing<Vec<u8>>, Error> {
        // Leading-zero-stripped or padded forms are refused: exactly k bytes.
        if ciphertext.len() != self.key.size() {
            return Err(Error::InvalidCiphertext);
        }
        let res = match padding {
            RsaPadding::OaepSha1 => self
                .key
                .decrypt_blinded(rng, Oaep::<Sha1>::new(), ciphertext),
            RsaPadding::OaepSha256 => {
                self.key
                    .decrypt_blinded(rng, Oaep::<Sha256>::new(), ciphertext)
            }
            RsaPadding::Pkcs1v15 => self.key.decrypt_blinded(rng, Pkcs1v15Encrypt, ciphertext),
        };
        res.map(Zeroizing::new)
            .map_err(|_| Error::InvalidCiphertext)
    }
}

struct RcPublicKey {
    key: RsaPublicKey,
    spec: WrappingKeySpec,
    spki: Vec<u8>,
}

impl fmt::Debug for RcPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RsaWrappingPublicKey")
            .field("spec", &self.spec)
            .finish_non_exhaustive()
    }
}

impl WrappingPublicKeyOps for RcPublicKey {
    fn spec(&self) -> WrappingKeySpec {
        self.spec
    }

    fn modulus_len(&self) -> usize {
        self.key.size()
    }

    fn public_key_spki_der(&self) -> &[u8] {
        &self.spki
    }

    fn rsa_encrypt(
        &self,
        padding: RsaPadding,
        msg: &[u8],
        rng: &mut dyn CryptoRng,
    ) -> Result<Vec<u8>, Error> {
        if msg.len() + padding.overhead() > self.key.size() {
            return Err(Error::Internal);
        }
        let res = match padding {
            RsaPadding::OaepSha1 => self.key.encrypt(rng, Oaep::<Sha1>::new(), msg),
            RsaPadding::OaepSha256 => self.key.encrypt(rng, Oaep::<Sha256>::new(), msg),
            RsaPadding::Pkcs1v15 => self.key.encrypt(rng, Pkcs1v15Encrypt, msg),
        };
        let ct = res.map_err(|_| Error::Internal)?;
        if ct.len() != self.key.size() {
            return Err(Error::Internal);
        }
        Ok(ct)
    }
}
