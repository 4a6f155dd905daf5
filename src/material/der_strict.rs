//! DER-only decoding: a structure is accepted only if encoding it again gives back exactly the
//! input bytes, so every BER-only form (long-form or indefinite lengths, constructed strings,
//! non-minimal integers) and every trailing byte is rejected.

use pkcs8::der::{Decode, Encode};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// Decodes `T` from `bytes` and checks that its DER encoding is `bytes` itself.
///
/// The re-encoding may hold secrets, so it is zeroized; the comparison is constant time in the
/// content (lengths are public).
pub(crate) fn decode<'a, T>(bytes: &'a [u8]) -> Option<T>
where
    T: Decode<'a, Error = pkcs8::der::Error> + Encode,
{
    let value = T::from_der(bytes).ok()?;
    let again = Zeroizing::new(value.to_der().ok()?);
    if again.len() == bytes.len() && bool::from(again.as_slice().ct_eq(bytes)) {
        Some(value)
    } else {
        None
    }
}
