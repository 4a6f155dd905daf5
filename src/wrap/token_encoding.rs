//! How an import token carries its wrapping private key.
//!
//! Version 1 is the PKCS#8 DER of the key behind a one-byte tag, `0x01`. It is what every
//! provider reads and writes, so tokens move freely between service instances whatever
//! provider each uses. The tag leaves room for a cheaper encoding without a token format change.

use zeroize::Zeroizing;

use super::{WrappingPrivateKey, WrappingPrivateKeyOps, WrappingProvider};
use crate::error::Error;

const TAG_PKCS8: u8 = 0x01;

const BAD_ENCODING: &str = "The wrapping private key encoding is malformed.";

pub(super) fn encode(key: &WrappingPrivateKey) -> Result<Zeroizing<Vec<u8>>, Error> {
    let der = key.ops().to_pkcs8_der()?;
    let mut out = Zeroizing::new(Vec::with_capacity(1 + der.len()));
    out.push(TAG_PKCS8);
    out.extend_from_slice(&der);
    Ok(out)
}

pub(super) fn decode(
    provider: &'static dyn WrappingProvider,
    bytes: &[u8],
) -> Result<Box<dyn WrappingPrivateKeyOps>, Error> {
    match bytes.split_first() {
        Some((&TAG_PKCS8, der)) => provider.load_private_key_pkcs8_der(der),
        _ => Err(Error::Validation(BAD_ENCODING.to_owned())),
    }
}
