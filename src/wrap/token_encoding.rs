//! How an import token carries its wrapping private key: a tag byte, then the key.
//!
//! - `0x01`: unencrypted PKCS#8 DER. Any provider writes and reads it.
//! - `0x02`: the RSA components `n, e, d, p, q`, each as a 2-byte big-endian length and a
//!   big-endian integer, nothing after `q`. The pure-Rust provider writes it because it costs
//!   nothing to produce (PKCS#8 needs the CRT values recomputed, a modular inversion), and reads
//!   it without DER decoding. Other providers read it through a conversion to PKCS#8.
//!
//! Either way the key is checked again when it is loaded (the key pair is validated), so the
//! token's authenticity is not the only safeguard. Every encoding is zeroized on drop.

use rsa::traits::{PrivateKeyParts, PublicKeyParts};
use rsa::{BoxedUint, RsaPrivateKey};
use zeroize::Zeroizing;

use super::WrappingPrivateKey;
use crate::error::Error;

const TAG_PKCS8: u8 = 0x01;
const TAG_RSA_COMPONENTS: u8 = 0x02;

const BAD_ENCODING: &str = "The wrapping private key encoding is malformed.";

fn bad() -> Error {
    Error::Validation(BAD_ENCODING.to_owned())
}

pub(super) fn encode(key: &WrappingPrivateKey) -> Result<Zeroizing<Vec<u8>>, Error> {
    key.ops().to_token_encoding()
}

pub(super) fn decode(
    provider: &'static dyn super::WrappingProvider,
    bytes: &[u8],
) -> Result<Box<dyn super::WrappingPrivateKeyOps>, Error> {
    provider.load_private_key_token_encoding(bytes)
}

/// The `0x01` form of a PKCS#8 document.
pub(super) fn pkcs8_form(der: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
    let mut out = Zeroizing::new(Vec::with_capacity(1 + der.len()));
    out.push(TAG_PKCS8);
    out.extend_from_slice(der);
    Ok(out)
}

/// The `0x02` form of an RSA key with two primes.
pub(super) fn components_form(key: &RsaPrivateKey) -> Result<Zeroizing<Vec<u8>>, Error> {
    let [p, q] = key.primes() else {
        return Err(Error::Internal);
    };
    let parts: [Zeroizing<Box<[u8]>>; 5] = [
        Zeroizing::new(key.n().as_ref().to_be_bytes()),
        Zeroizing::new(key.e().to_be_bytes()),
        Zeroizing::new(key.d().to_be_bytes()),
        Zeroizing::new(p.as_ref().to_be_bytes()),
        Zeroizing::new(q.as_ref().to_be_bytes()),
    ];
    let len = 1 + parts.iter().map(|b| 2 + b.len()).sum::<usize>();
    let mut out = Zeroizing::new(Vec::with_capacity(len));
    out.push(TAG_RSA_COMPONENTS);
    for part in &parts {
        let n = u16::try_from(part.len()).map_err(|_| Error::Internal)?;
        out.extend_from_slice(&n.to_be_bytes());
        out.extend_from_slice(part);
    }
    Ok(out)
}

/// Reads a `0x02` body into an `RsaPrivateKey`, validating the key pair and precomputing the
/// CRT values. `None` when `bytes` is not in that form.
pub(super) fn rsa_from_components(bytes: &[u8]) -> Option<Result<RsaPrivateKey, Error>> {
    let (&TAG_RSA_COMPONENTS, mut rest) = bytes.split_first()? else {
        return None;
    };
    let mut next = || -> Result<BoxedUint, Error> {
        let (len, tail) = rest.split_first_chunk::<2>().ok_or_else(bad)?;
        let len = usize::from(u16::from_be_bytes(*len));
        let (int, tail) = tail.split_at_checked(len).ok_or_else(bad)?;
        rest = tail;
        if int.is_empty() {
            return Err(bad());
        }
        let bits = u32::try_from(len * 8).map_err(|_| bad())?;
        BoxedUint::from_be_slice(int, bits).map_err(|_| bad())
    };
    let parsed = (|| {
        let n = next()?;
        let e = next()?;
        let d = next()?;
        let p = next()?;
        let q = next()?;
        Ok((n, e, d, p, q))
    })();
    Some(parsed.and_then(|(n, e, d, p, q)| {
        if !rest.is_empty() {
            return Err(bad());
        }
        RsaPrivateKey::from_components(n, e, d, vec![p, q]).map_err(|_| bad())
    }))
}

/// A PKCS#8 document found in a token encoding.
pub(super) enum Pkcs8<'a> {
    Borrowed(&'a [u8]),
    Owned(Zeroizing<Vec<u8>>),
}

/// The PKCS#8 DER inside any token encoding (converting the component form).
pub(super) fn to_pkcs8(bytes: &[u8]) -> Result<Pkcs8<'_>, Error> {
    if let Some(key) = rsa_from_components(bytes) {
        use pkcs8::EncodePrivateKey;
        let der = key?.to_pkcs8_der().map_err(|_| bad())?;
        return Ok(Pkcs8::Owned(der.to_bytes()));
    }
    match bytes.split_first() {
        Some((&TAG_PKCS8, der)) => Ok(Pkcs8::Borrowed(der)),
        _ => Err(bad()),
    }
}
