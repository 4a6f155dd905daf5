//! Key material: fresh material of the kind each key spec takes, for the examples (raw bytes
//! for symmetric and HMAC keys, PKCS#8 DER for RSA and ECC keys), and the material fixtures of
//! `tests/data/material/` (described in its README) with their validation, for the tests.

use std::path::PathBuf;

use kms_import::{Error, KeyMaterial, KeySpec, ValidatedMaterial, validate_material};
use p256::elliptic_curve::Generate;
use rand_core::CryptoRng;
use rsa::pkcs8::EncodePrivateKey;

/// Generates material for `spec` (the lengths are the smallest AWS accepts for HMAC keys).
pub fn generate_material(spec: KeySpec, rng: &mut dyn CryptoRng) -> Result<KeyMaterial, Error> {
    let raw = |len: usize, rng: &mut dyn CryptoRng| {
        let mut bytes = vec![0u8; len];
        rng.fill_bytes(&mut bytes);
        bytes
    };
    let der = |doc: Result<pkcs8::SecretDocument, pkcs8::Error>| {
        doc.map(|d| d.as_bytes().to_vec())
            .map_err(|_| Error::Internal)
    };
    let bytes = match spec {
        KeySpec::SymmetricDefault => raw(32, rng),
        KeySpec::Hmac224 => raw(28, rng),
        KeySpec::Hmac256 => raw(32, rng),
        KeySpec::Hmac384 => raw(48, rng),
        KeySpec::Hmac512 => raw(64, rng),
        KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096 => {
            let bits = spec.rsa_bits().ok_or(Error::Internal)?;
            let key = rsa::RsaPrivateKey::new(rng, bits).map_err(|_| Error::Internal)?;
            der(key.to_pkcs8_der())?
        }
        KeySpec::EccNistP256 => der(p256::SecretKey::generate_from_rng(rng).to_pkcs8_der())?,
        KeySpec::EccNistP384 => der(p384::SecretKey::generate_from_rng(rng).to_pkcs8_der())?,
        KeySpec::EccNistP521 => der(p521::SecretKey::generate_from_rng(rng).to_pkcs8_der())?,
        KeySpec::EccSecgP256k1 => der(k256::SecretKey::generate_from_rng(rng).to_pkcs8_der())?,
        _ => {
            return Err(Error::UnsupportedOperation(format!(
                "KeySpec {spec} is not importable."
            )));
        }
    };
    Ok(KeyMaterial::new(bytes))
}

/// The path of the material fixture `name` (a file of `tests/data/material/`).
pub fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data/material")
        .join(name)
}

/// The bytes of the material fixture `name`. Panics when it cannot be read.
pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture_path(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

/// `bytes` validated as material for `spec`.
pub fn validate(spec: KeySpec, bytes: &[u8]) -> Result<ValidatedMaterial, Error> {
    validate_material(spec, &KeyMaterial::new(bytes.to_vec()))
}

/// The material fixture `name`, validated for `spec`. Panics when validation refuses it.
pub fn valid(spec: KeySpec, name: &str) -> ValidatedMaterial {
    validate(spec, &fixture(name)).unwrap_or_else(|e| panic!("{name} as {spec}: {e}"))
}
