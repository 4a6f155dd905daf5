//! Fixtures shared by the benchmarks: the wrapping keys and key material under `tests/data/`,
//! the providers compiled in, and the material kinds the import matrix covers.

#![allow(dead_code)]

use kms_import::wrap::{WrappingPrivateKey, WrappingProvider, WrappingPublicKey};
use kms_import::{KeySpec, WrappingAlgorithm, WrappingKeySpec};
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};

pub const SPECS: [WrappingKeySpec; 3] = [
    WrappingKeySpec::Rsa2048,
    WrappingKeySpec::Rsa3072,
    WrappingKeySpec::Rsa4096,
];

pub const ALGORITHMS: [WrappingAlgorithm; 5] = [
    WrappingAlgorithm::RsaesOaepSha1,
    WrappingAlgorithm::RsaesOaepSha256,
    WrappingAlgorithm::RsaAesKeyWrapSha1,
    WrappingAlgorithm::RsaAesKeyWrapSha256,
    WrappingAlgorithm::RsaesPkcs1V15,
];

fn data(path: &str) -> Vec<u8> {
    let full = format!("{}/tests/data/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

pub fn bits(spec: WrappingKeySpec) -> usize {
    spec.modulus_bits().expect("RSA spec")
}

pub fn pkcs8(spec: WrappingKeySpec) -> Vec<u8> {
    data(&format!("wrapping_rsa_{}.pk8.der", bits(spec)))
}

pub fn private_key(
    provider: &'static dyn WrappingProvider,
    spec: WrappingKeySpec,
) -> WrappingPrivateKey {
    WrappingPrivateKey::from_pkcs8_der_with(provider, &pkcs8(spec)).expect("fixture key")
}

pub fn public_key(
    provider: &'static dyn WrappingProvider,
    spec: WrappingKeySpec,
) -> WrappingPublicKey {
    let spki = data(&format!("wrapping_rsa_{}.spki.der", bits(spec)));
    WrappingPublicKey::from_spki_der_with(provider, &spki).expect("fixture key")
}

pub fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

/// One kind of key material the matrix imports.
pub struct Material {
    pub name: &'static str,
    pub key_spec: KeySpec,
    pub bytes: Vec<u8>,
}

fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut out = vec![0u8; len];
    rng(seed).fill_bytes(&mut out);
    out
}

/// 32-byte symmetric, 64-byte HMAC, P-384 PKCS#8 and RSA_4096 PKCS#8 material.
pub fn materials() -> Vec<Material> {
    vec![
        Material {
            name: "sym32",
            key_spec: KeySpec::SymmetricDefault,
            bytes: random_bytes(32, 1),
        },
        Material {
            name: "hmac64",
            key_spec: KeySpec::Hmac512,
            bytes: random_bytes(64, 2),
        },
        Material {
            name: "p384_pkcs8",
            key_spec: KeySpec::EccNistP384,
            bytes: data("material/ec_p384.der"),
        },
        Material {
            name: "rsa4096_pkcs8",
            key_spec: KeySpec::Rsa4096,
            bytes: data("material/rsa_4096.der"),
        },
    ]
}

/// The short name a provider goes by in benchmark ids.
pub fn provider_name(provider: &dyn WrappingProvider) -> &'static str {
    provider.name()
}
