//! ECC_NIST_P256/P384/P521 and ECC_SECG_P256K1 material: a DER PKCS#8 `id-ecPublicKey` key on
//! the named curve of the key spec, wrapping an RFC 5915 ECPrivateKey whose scalar is in range
//! and whose optional parameters and public point agree with it.

use pkcs8::der::asn1::AnyRef;
use pkcs8::der::{Tag, Tagged};
use pkcs8::{ObjectIdentifier, PrivateKeyInfoRef};
use sec1::{EcParameters, EcPrivateKey};
use spki::EncodePublicKey;
use zeroize::{Zeroize, Zeroizing};

use super::der_strict;
use super::validated::Fault;
use crate::names::KeySpec;

/// `id-ecPublicKey` (RFC 5480).
const ID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// `secp256r1` / `prime256v1`.
const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
/// `secp384r1`.
const SECP384R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
/// `secp521r1`.
const SECP521R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");
/// `secp256k1`.
const SECP256K1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.10");

/// Builds the signing key of one curve from the scalar and checks the embedded public point
/// (already converted from hybrid form) against it.
macro_rules! signing_key {
    ($curve:ident, $scalar:expr, $point:expr) => {{
        match $curve::ecdsa::SigningKey::from_slice($scalar) {
            Err(_) => Err(Fault::ScalarRange),
            Ok(key) => match $point {
                None => Ok(key),
                Some(point) => match $curve::ecdsa::VerifyingKey::from_sec1_bytes(point) {
                    Ok(embedded) if embedded == *key.verifying_key() => Ok(key),
                    _ => Err(Fault::PublicKeyMismatch),
                },
            },
        }
    }};
}

/// A validated ECDSA signing key on one of the four importable curves.
#[derive(Clone)]
pub(crate) enum EccKey {
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
    P521(p521::ecdsa::SigningKey),
    K256(k256::ecdsa::SigningKey),
}

/// The named-curve OID and the private scalar length in bytes for an ECC key spec.
fn curve_of(spec: KeySpec) -> Option<(ObjectIdentifier, usize)> {
    match spec {
        KeySpec::EccNistP256 => Some((SECP256R1, 32)),
        KeySpec::EccNistP384 => Some((SECP384R1, 48)),
        KeySpec::EccNistP521 => Some((SECP521R1, 66)),
        KeySpec::EccSecgP256k1 => Some((SECP256K1, 32)),
        _ => None,
    }
}

impl EccKey {
    /// The private scalar, big-endian at the curve's fixed length: the key itself, whatever
    /// its encoding (with or without the optional parameters and public point).
    pub(crate) fn canonical(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(66));
        macro_rules! scalar {
            ($k:expr) => {{
                let mut bytes = $k.to_bytes();
                out.extend_from_slice(&bytes);
                bytes.as_mut_slice().zeroize();
            }};
        }
        match self {
            EccKey::P256(k) => scalar!(k),
            EccKey::P384(k) => scalar!(k),
            EccKey::P521(k) => scalar!(k),
            EccKey::K256(k) => scalar!(k),
        }
        out
    }

    /// Checks `der` against the ECC rules for `spec` and returns the key with its DER SPKI.
    pub(crate) fn parse(der: &[u8], spec: KeySpec) -> Result<(EccKey, Vec<u8>), Fault> {
        let (curve, scalar_len) = curve_of(spec).ok_or(Fault::Internal)?;
        let info: PrivateKeyInfoRef<'_> = der_strict::decode(der).ok_or(Fault::NotDerPkcs8)?;
        if info.public_key.is_some() {
            return Err(Fault::NotDerPkcs8);
        }
        if info.algorithm.oid != ID_EC_PUBLIC_KEY {
            return Err(Fault::NotEcKey);
        }
        if named_curve(info.algorithm.parameters)? != curve {
            return Err(Fault::WrongCurve);
        }

        let inner: EcPrivateKey<'_> =
            der_strict::decode(info.private_key.as_bytes()).ok_or(Fault::NotDerEcPrivateKey)?;
        if inner.private_key.len() != scalar_len {
            return Err(Fault::ScalarLength);
        }
        if let Some(EcParameters::NamedCurve(inner_curve)) = inner.parameters {
            if inner_curve != curve {
                return Err(Fault::WrongCurve);
            }
        }
        let point = match inner.public_key {
            Some(p) => Some(uncompress_hybrid(p, scalar_len)?),
            None => None,
        };
        let point = point.as_deref();

        let key = match spec {
            KeySpec::EccNistP256 => EccKey::P256(signing_key!(p256, inner.private_key, point)?),
            KeySpec::EccNistP384 => EccKey::P384(signing_key!(p384, inner.private_key, point)?),
            KeySpec::EccNistP521 => EccKey::P521(signing_key!(p521, inner.private_key, point)?),
            KeySpec::EccSecgP256k1 => EccKey::K256(signing_key!(k256, inner.private_key, point)?),
            _ => return Err(Fault::Internal),
        };
        let spki = match &key {
            EccKey::P256(k) => k.verifying_key().to_public_key_der(),
            EccKey::P384(k) => k.verifying_key().to_public_key_der(),
            EccKey::P521(k) => k.verifying_key().to_public_key_der(),
            EccKey::K256(k) => k.verifying_key().to_public_key_der(),
        }
        .map_err(|_| Fault::Internal)?
        .into_vec();
        Ok((key, spki))
    }
}

/// The named curve in an AlgorithmIdentifier's parameters. Absent parameters, explicit curve
/// parameters (a SEQUENCE) and anything else that is not an OID are rejected.
fn named_curve(parameters: Option<AnyRef<'_>>) -> Result<ObjectIdentifier, Fault> {
    let parameters = parameters.ok_or(Fault::NotNamedCurve)?;
    if parameters.tag() != Tag::ObjectIdentifier {
        return Err(Fault::NotNamedCurve);
    }
    parameters
        .decode_as::<ObjectIdentifier>()
        .map_err(|_| Fault::NotNamedCurve)
}

/// SEC1 points come compressed (0x02/0x03), uncompressed (0x04) or, in X9.62, hybrid
/// (0x06/0x07: uncompressed coordinates plus the parity of y in the tag). A hybrid point whose
/// tag disagrees with y is rejected; a consistent one is returned in uncompressed form.
fn uncompress_hybrid(point: &[u8], field_len: usize) -> Result<Vec<u8>, Fault> {
    match point {
        [tag @ (0x06 | 0x07), coordinates @ ..] if coordinates.len() == 2 * field_len => {
            let y_odd = coordinates.last().is_some_and(|b| b & 1 == 1);
            if y_odd != (*tag == 0x07) {
                return Err(Fault::PublicKeyMismatch);
            }
            let mut out = Vec::with_capacity(point.len());
            out.push(0x04);
            out.extend_from_slice(coordinates);
            Ok(out)
        }
        _ => Ok(point.to_vec()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hybrid_point_parity_must_match_y() {
        let mut odd = vec![0x07];
        odd.extend_from_slice(&[0xAA; 63]);
        odd.push(0x01);
        assert_eq!(uncompress_hybrid(&odd, 32).unwrap()[0], 0x04);
        odd[0] = 0x06;
        assert_eq!(uncompress_hybrid(&odd, 32), Err(Fault::PublicKeyMismatch));
        // Other tags and lengths pass through for the curve decoder to judge.
        assert_eq!(
            uncompress_hybrid(&[0x06, 1, 2], 32).unwrap(),
            vec![0x06, 1, 2]
        );
        assert_eq!(uncompress_hybrid(&[], 32).unwrap(), Vec::<u8>::new());
    }
}
