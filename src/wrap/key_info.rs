//! The checks every provider makes on a wrapping key's encoding before its own parser sees it,
//! so that all providers refuse exactly the same keys with exactly the same message.

use pkcs8::PrivateKeyInfoRef;
use pkcs8::der::Decode;
use spki::SubjectPublicKeyInfoRef;

use crate::error::Error;

/// `rsaEncryption` (RFC 8017, A.1): the only algorithm identifier accepted for wrapping keys.
/// An RSASSA-PSS-restricted key is a signing key and is refused.
const RSA_ENCRYPTION_OID: pkcs8::ObjectIdentifier =
    pkcs8::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

const BAD_PRIVATE_KEY: &str = "The wrapping private key is not an unencrypted PKCS#8 DER \
     rsaEncryption key with a 2048, 3072 or 4096-bit modulus.";
const BAD_PUBLIC_KEY: &str = "The wrapping public key is not a DER SubjectPublicKeyInfo \
     rsaEncryption key with a 2048, 3072 or 4096-bit modulus.";

/// The one error for any private key that is not acceptable, whatever is wrong with it.
pub(super) fn bad_private_key() -> Error {
    Error::Validation(BAD_PRIVATE_KEY.to_owned())
}

/// The one error for any public key that is not acceptable, whatever is wrong with it.
pub(super) fn bad_public_key() -> Error {
    Error::Validation(BAD_PUBLIC_KEY.to_owned())
}

/// Decodes PKCS#8 DER and requires the `rsaEncryption` algorithm identifier.
pub(super) fn rsa_private_key_info(der: &[u8]) -> Result<PrivateKeyInfoRef<'_>, Error> {
    let info = PrivateKeyInfoRef::from_der(der).map_err(|_| bad_private_key())?;
    if info.algorithm.oid != RSA_ENCRYPTION_OID {
        return Err(bad_private_key());
    }
    Ok(info)
}

/// Decodes SubjectPublicKeyInfo DER and requires the `rsaEncryption` algorithm identifier.
pub(super) fn rsa_public_key_info(der: &[u8]) -> Result<SubjectPublicKeyInfoRef<'_>, Error> {
    let info = SubjectPublicKeyInfoRef::from_der(der).map_err(|_| bad_public_key())?;
    if info.algorithm.oid != RSA_ENCRYPTION_OID {
        return Err(bad_public_key());
    }
    Ok(info)
}
