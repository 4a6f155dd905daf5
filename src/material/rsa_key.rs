//! RSA_2048/3072/4096 material: a DER PKCS#8 `rsaEncryption` private key with two primes, the
//! exact modulus size of the key spec, a consistent key pair and consistent CRT values.

use pkcs8::der::asn1::{Null, UintRef};
use pkcs8::der::{Any, Encode};
use pkcs8::{ObjectIdentifier, PrivateKeyInfoRef};
use rsa::pkcs1::RsaPrivateKeyRef;
use rsa::traits::{PrivateKeyParts, PublicKeyParts};
use rsa::{BoxedUint, RsaPrivateKey};
use spki::EncodePublicKey;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use super::der_strict;
use super::validated::Fault;

/// `rsaEncryption` (PKCS #1, RFC 8017 appendix C).
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// Largest public exponent accepted: `2^33 - 1`, the bound the `rsa` crate enforces for key
/// components (larger exponents make verification a denial-of-service vector).
const MAX_PUBLIC_EXPONENT: u64 = (1 << 33) - 1;

/// A validated RSA private key and its DER SubjectPublicKeyInfo.
#[derive(Clone)]
pub(crate) struct RsaKey {
    key: RsaPrivateKey,
    spki: Vec<u8>,
}

impl RsaKey {
    /// Checks `der` against the RSA rules for a modulus of `bits` bits.
    pub(crate) fn parse(der: &[u8], bits: usize) -> Result<RsaKey, Fault> {
        let info: PrivateKeyInfoRef<'_> = der_strict::decode(der).ok_or(Fault::NotDerPkcs8)?;
        if info.public_key.is_some() {
            return Err(Fault::NotDerPkcs8);
        }
        if info.algorithm.oid != RSA_ENCRYPTION {
            return Err(Fault::NotRsaKey);
        }
        // RFC 8017 A.1: the parameters of rsaEncryption are NULL, and must be present.
        let null = Any::from(Null).to_der().map_err(|_| Fault::Internal)?;
        match info.algorithm.parameters {
            Some(p) if p.to_der().map_err(|_| Fault::Internal)? == null => {}
            _ => return Err(Fault::NotRsaKey),
        }

        let inner = info.private_key.as_bytes();
        if is_multi_prime(inner) {
            return Err(Fault::NotTwoPrime);
        }
        let parts: RsaPrivateKeyRef<'_> =
            der_strict::decode(inner).ok_or(Fault::NotDerRsaPrivateKey)?;
        if parts.other_prime_infos.is_some() {
            return Err(Fault::NotTwoPrime);
        }

        let n = parts.modulus.as_bytes();
        if n.len() * 8 != bits || n.first().is_none_or(|b| b & 0x80 == 0) {
            return Err(Fault::ModulusSize);
        }
        check_public_exponent(parts.public_exponent.as_bytes())?;

        // `from_components` (behind this conversion) checks n = p·q, d < n and
        // d·e ≡ 1 (mod p−1) and (mod q−1), then derives the CRT values itself.
        let key = RsaPrivateKey::try_from(parts.clone()).map_err(|_| Fault::InconsistentRsa)?;
        key.validate().map_err(|_| Fault::InconsistentRsa)?;
        // The file's CRT values are not used by this crate, but a key whose CRT values disagree
        // with d, p and q is malformed (other implementations would sign with them).
        let (Some(dp), Some(dq), Some(qinv)) = (key.dp(), key.dq(), key.qinv()) else {
            return Err(Fault::InconsistentRsa);
        };
        let consistent = same_uint(&parts.exponent1, dp)
            & same_uint(&parts.exponent2, dq)
            & same_uint(&parts.coefficient, &qinv.retrieve());
        if !consistent {
            return Err(Fault::InconsistentRsa);
        }

        let spki = key
            .to_public_key()
            .to_public_key_der()
            .map_err(|_| Fault::Internal)?
            .into_vec();
        Ok(RsaKey { key, spki })
    }

    pub(crate) fn spki(&self) -> &[u8] {
        &self.spki
    }

    /// The key itself, whatever its encoding: the modulus, the public exponent, and the private
    /// exponent as d mod (p−1) and d mod (q−1) (the same for every valid d), ordered by prime,
    /// each length-prefixed and big-endian without leading zeros.
    pub(crate) fn canonical(&self) -> Option<Zeroizing<Vec<u8>>> {
        let [p, q] = self.key.primes() else {
            return None;
        };
        let (dp, dq) = (self.key.dp()?, self.key.dq()?);
        let (first, second) = if p.as_ref() > q.as_ref() {
            (dp, dq)
        } else {
            (dq, dp)
        };
        let mut out = Zeroizing::new(Vec::with_capacity(4 * 520));
        for part in [self.key.n().as_ref(), self.key.e(), first, second] {
            let mut bytes = part.to_be_bytes_trimmed_vartime();
            let len = u16::try_from(bytes.len()).ok()?;
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(&bytes);
            bytes.zeroize();
        }
        Some(out)
    }

    /// The key as unencrypted PKCS#8 DER, re-encoded from the checked key.
    pub(crate) fn pkcs8_der(&self) -> Option<Zeroizing<Vec<u8>>> {
        use rsa::pkcs8::EncodePrivateKey;
        self.key
            .to_pkcs8_der()
            .ok()
            .map(|doc| Zeroizing::new(doc.as_bytes().to_vec()))
    }
}

/// Whether an RSAPrivateKey starts with version 1 (`multi`, RFC 8017 A.1.2), looked at before
/// full decoding so that a three-prime key gets its own message.
fn is_multi_prime(inner: &[u8]) -> bool {
    // SEQUENCE header (short or long length), then INTEGER 1.
    let rest = match inner {
        [0x30, len, rest @ ..] if *len < 0x80 => rest,
        [0x30, 0x81, _, rest @ ..] => rest,
        [0x30, 0x82, _, _, rest @ ..] => rest,
        _ => return false,
    };
    rest.starts_with(&[0x02, 0x01, 0x01])
}

/// The public exponent must be odd, at least 3 and at most [`MAX_PUBLIC_EXPONENT`].
fn check_public_exponent(be: &[u8]) -> Result<(), Fault> {
    if be.len() > 8 {
        return Err(Fault::PublicExponent);
    }
    let e = be.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
    if e < 3 || e % 2 == 0 || e > MAX_PUBLIC_EXPONENT {
        return Err(Fault::PublicExponent);
    }
    Ok(())
}

/// Constant-time comparison of a DER integer with a computed value, both taken as minimal
/// big-endian bytes.
fn same_uint(encoded: &UintRef<'_>, computed: &BoxedUint) -> bool {
    let computed = Zeroizing::new(computed.to_be_bytes());
    let start = computed
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(computed.len());
    let computed = computed.get(start..).unwrap_or_default();
    let encoded = encoded.as_bytes();
    // `UintRef` keeps a single 0x00 for zero; the stripped form of zero is empty.
    let encoded = if encoded == [0] { &[][..] } else { encoded };
    encoded.len() == computed.len() && bool::from(encoded.ct_eq(computed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_exponent_bounds() {
        assert!(check_public_exponent(&[3]).is_ok());
        assert!(check_public_exponent(&[1, 0, 1]).is_ok());
        assert!(check_public_exponent(&[1, 0xff, 0xff, 0xff, 0xff]).is_ok());
        for bad in [
            &[][..],
            &[1],
            &[2],
            &[1, 0, 0],
            &[2, 0, 0, 0, 1],
            &[1, 0, 0, 0, 0, 0, 0, 0, 1],
        ] {
            assert_eq!(
                check_public_exponent(bad),
                Err(Fault::PublicExponent),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn multi_prime_version_is_spotted_before_decoding() {
        assert!(is_multi_prime(&[0x30, 0x82, 0x04, 0x00, 0x02, 0x01, 0x01]));
        assert!(is_multi_prime(&[0x30, 0x10, 0x02, 0x01, 0x01]));
        assert!(!is_multi_prime(&[0x30, 0x82, 0x04, 0x00, 0x02, 0x01, 0x00]));
        assert!(!is_multi_prime(&[0x30]));
        assert!(!is_multi_prime(&[]));
    }
}
