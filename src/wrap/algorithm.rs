//! The five AWS wrapping algorithms, written once on top of a [`WrappingProvider`].
//!
//! `RSAES_*`: the blob is one RSA ciphertext of exactly `k` bytes. `RSA_AES_KEY_WRAP_*`: the
//! blob is `RSA-OAEP(K) ‖ AES-KWP_K(material)` for a fresh 32-byte AES key K, RSA part first.

use rand_core::CryptoRng;
use subtle::{Choice, ConditionallySelectable};
use zeroize::Zeroizing;

use super::compat::{self, RSA_AES_EPHEMERAL_KEY_LEN};
use super::{WrapPolicy, WrappingPrivateKey, WrappingProvider, WrappingPublicKey};
use crate::error::Error;
use crate::names::{WrappingAlgorithm, WrappingKeySpec};

/// The shortest AES-KWP ciphertext that authenticates anything: one 8-byte header plus one
/// 8-byte semiblock. Shorter input never reaches a provider (aes-kw 0.3.1 would "unwrap" an
/// 8-byte input to an empty key without checking anything).
const KWP_MIN_LEN: usize = 16;

/// Admission shared by both directions: refuses SM2PKE and SM2 keys, and PKCS#1 v1.5 unless
/// the policy enables it.
fn admit(
    provider: &dyn WrappingProvider,
    algorithm: WrappingAlgorithm,
    spec: WrappingKeySpec,
    policy: &WrapPolicy,
) -> Result<super::RsaPadding, Error> {
    if spec == WrappingKeySpec::Sm2 {
        return Err(compat::sm2_refused());
    }
    let padding = compat::rsa_padding(algorithm).ok_or_else(compat::sm2_refused)?;
    if algorithm == WrappingAlgorithm::RsaesPkcs1V15 && !policy.legacy_rsaes_pkcs1_v1_5_allowed() {
        return Err(compat::legacy_refused());
    }
    check_provider_supports(provider, algorithm)?;
    Ok(padding)
}

/// `UnsupportedOperationException` when `provider` does not offer the RSA padding that
/// `algorithm` needs (the AWS-LC provider has no PKCS#1 v1.5). SM2PKE passes here; it is
/// refused elsewhere.
pub fn check_provider_supports(
    provider: &dyn WrappingProvider,
    algorithm: WrappingAlgorithm,
) -> Result<(), Error> {
    match compat::rsa_padding(algorithm) {
        Some(padding) if !provider.supports_padding(padding) => {
            Err(Error::UnsupportedOperation(format!(
                "{algorithm} is not supported by the {} wrapping provider.",
                provider.name()
            )))
        }
        _ => Ok(()),
    }
}

pub(super) fn wrap(
    key: &WrappingPublicKey,
    algorithm: WrappingAlgorithm,
    material: &[u8],
    policy: &WrapPolicy,
    rng: &mut dyn CryptoRng,
) -> Result<Vec<u8>, Error> {
    let spec = key.spec();
    let padding = admit(key.provider(), algorithm, spec, policy)?;
    let max = compat::max_material_len(algorithm, spec).ok_or(Error::Internal)?;
    if material.is_empty() {
        return Err(Error::Validation(
            "Key material must not be empty.".to_owned(),
        ));
    }
    if material.len() > max {
        return Err(Error::Validation(format!(
            "Key material of {} bytes is too long for {algorithm} with a {spec} wrapping key: \
             the limit is {max} bytes.",
            material.len()
        )));
    }
    let ops = key.ops();
    if !compat::is_rsa_aes(algorithm) {
        return ops.rsa_encrypt(padding, material, rng);
    }
    let mut aes_key = Zeroizing::new([0u8; RSA_AES_EPHEMERAL_KEY_LEN]);
    rng.fill_bytes(&mut aes_key[..]);
    let mut blob = ops.rsa_encrypt(padding, &aes_key[..], rng)?;
    if blob.len() != ops.modulus_len() {
        return Err(Error::Internal);
    }
    let kwp = key.provider().aes_kwp_wrap(&aes_key[..], material)?;
    blob.extend_from_slice(&kwp);
    Ok(blob)
}

pub(super) fn unwrap(
    key: &WrappingPrivateKey,
    algorithm: WrappingAlgorithm,
    ciphertext: &[u8],
    policy: &WrapPolicy,
    rng: &mut dyn CryptoRng,
) -> Result<Zeroizing<Vec<u8>>, Error> {
    let spec = key.spec();
    let padding = admit(key.provider(), algorithm, spec, policy)?;
    let k = spec.modulus_len().ok_or(Error::Internal)?;
    let ops = key.ops();

    if !compat::is_rsa_aes(algorithm) {
        if ciphertext.len() != k {
            return Err(Error::InvalidCiphertext);
        }
        return ops
            .rsa_decrypt(padding, ciphertext, rng)
            .map_err(|_| Error::InvalidCiphertext);
    }

    // Public-length checks first: they reveal nothing the attacker does not already know.
    let (rsa_part, kwp_part) = match ciphertext.split_at_checked(k) {
        Some(parts) => parts,
        None => return Err(Error::InvalidCiphertext),
    };
    if kwp_part.len() < KWP_MIN_LEN || !kwp_part.len().is_multiple_of(8) {
        return Err(Error::InvalidCiphertext);
    }

    // From here on every path runs the RSA step and the KWP step, and failures are folded into
    // one flag, so neither the error nor the work done says which step failed.
    let mut kek = Zeroizing::new([0u8; RSA_AES_EPHEMERAL_KEY_LEN]);
    rng.fill_bytes(&mut kek[..]);
    let mut ok = Choice::from(0);
    if let Ok(aes_key) = ops.rsa_decrypt(padding, rsa_part, rng) {
        if let Ok(bytes) = <&[u8; RSA_AES_EPHEMERAL_KEY_LEN]>::try_from(&aes_key[..]) {
            ok = Choice::from(1);
            for (dst, src) in kek.iter_mut().zip(bytes.iter()) {
                dst.conditional_assign(src, ok);
            }
        }
    }
    let kwp = aes_kwp_unwrap(key.provider(), &kek[..], kwp_part);
    ok &= Choice::from(u8::from(kwp.is_ok()));
    match kwp {
        Ok(material) if bool::from(ok) => Ok(material),
        _ => Err(Error::InvalidCiphertext),
    }
}

/// AES Key Wrap with Padding (RFC 5649) of `plaintext` under `kek` (16, 24 or 32 bytes), as
/// the RSA_AES algorithms use it. Empty plaintext is a `ValidationException`.
pub fn aes_kwp_wrap(
    provider: &dyn WrappingProvider,
    kek: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, Error> {
    if plaintext.is_empty() {
        return Err(Error::Validation(
            "Key material must not be empty.".to_owned(),
        ));
    }
    provider.aes_kwp_wrap(kek, plaintext)
}

/// The KWP unwrap that `RSA_AES_KEY_WRAP_*` uses: inputs shorter than 16 bytes or not a
/// multiple of 8 are refused before the provider sees them; every failure is
/// [`Error::InvalidCiphertext`]. The output is zeroized on drop.
pub fn aes_kwp_unwrap(
    provider: &dyn WrappingProvider,
    kek: &[u8],
    wrapped: &[u8],
) -> Result<Zeroizing<Vec<u8>>, Error> {
    if wrapped.len() < KWP_MIN_LEN || !wrapped.len().is_multiple_of(8) {
        return Err(Error::InvalidCiphertext);
    }
    provider
        .aes_kwp_unwrap(kek, wrapped)
        .map_err(|_| Error::InvalidCiphertext)
}
