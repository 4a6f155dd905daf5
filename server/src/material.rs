//! Fresh key material of the kind each key spec takes, for the keys this server generates (origin AWS_KMS): raw bytes for
//! symmetric and HMAC keys, PKCS#8 DER for RSA and ECC keys.

use kms_import::{Error as KmsError, KeyMaterial, KeySpec};
use p256::elliptic_curve::Generate;
use rand_core::CryptoRng;
use rsa::pkcs8::EncodePrivateKey;

/// Generates material for `spec` (the lengths are the smallest AWS accepts for HMAC keys).
pub fn generate_material(spec: KeySpec, rng: &mut dyn CryptoRng) -> Result<KeyMaterial, KmsError> {
    let raw = |len: usize, rng: &mut dyn CryptoRng| {
        let mut bytes = vec![0u8; len];
        rng.fill_bytes(&mut bytes);
        bytes
    };
    let der = |doc: Result<pkcs8::SecretDocument, pkcs8::Error>| {
        doc.map(|d| d.as_bytes().to_vec())
            .map_err(|_| KmsError::Internal)
    };
    let bytes = match spec {
        KeySpec::SymmetricDefault => raw(32, rng),
        KeySpec::Hmac224 => raw(28, rng),
        KeySpec::Hmac256 => raw(32, rng),
        KeySpec::Hmac384 => raw(48, rng),
        KeySpec::Hmac512 => raw(64, rng),
        KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096 => {
            let bits = spec.rsa_bits().ok_or(KmsError::Internal)?;
            let key = rsa::RsaPrivateKey::new(rng, bits).map_err(|_| KmsError::Internal)?;
            der(key.to_pkcs8_der())?
        }
        KeySpec::EccNistP256 => der(p256::SecretKey::generate_from_rng(rng).to_pkcs8_der())?,
        KeySpec::EccNistP384 => der(p384::SecretKey::generate_from_rng(rng).to_pkcs8_der())?,
        KeySpec::EccNistP521 => der(p521::SecretKey::generate_from_rng(rng).to_pkcs8_der())?,
        KeySpec::EccSecgP256k1 => der(k256::SecretKey::generate_from_rng(rng).to_pkcs8_der())?,
        _ => {
            return Err(KmsError::UnsupportedOperation(format!(
                "KeySpec {spec} is not importable."
            )));
        }
    };
    Ok(KeyMaterial::new(bytes))
}
