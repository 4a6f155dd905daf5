//! How the AWS JSON 1.1 protocol spells blobs and timestamps, and the sensitive-blob container.
//!
//! Blobs are padded standard base64 strings. Timestamps are seconds since the Unix epoch as a
//! JSON number; input may carry a fraction, output carries at most millisecond precision (the
//! precision AWS reports) and is an integer when the fraction is zero.

use std::fmt;

use base64ct::{Base64, Encoding};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;
use zeroize::{ZeroizeOnDrop, Zeroizing};

/// A blob whose content is customer data the protocol marks as sensitive (`Plaintext`,
/// `Message`): zeroized on drop, and `Debug` prints `<redacted>`.
///
/// It deliberately has no `PartialEq`: comparing secrets is the caller's business, in constant
/// time.
#[derive(Clone, Default)]
pub struct SensitiveBlob(Zeroizing<Vec<u8>>);

impl SensitiveBlob {
    /// Wraps the bytes; they are zeroized when the blob is dropped.
    pub fn new(bytes: Vec<u8>) -> SensitiveBlob {
        SensitiveBlob(Zeroizing::new(bytes))
    }

    /// The bytes. Keep the borrow short and do not copy them into unzeroized storage.
    pub fn expose_secret(&self) -> &[u8] {
        &self.0
    }

    /// Number of bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the blob is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Zeroizing<Vec<u8>>> for SensitiveBlob {
    fn from(bytes: Zeroizing<Vec<u8>>) -> SensitiveBlob {
        SensitiveBlob(bytes)
    }
}

impl ZeroizeOnDrop for SensitiveBlob {}

impl fmt::Debug for SensitiveBlob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl Serialize for SensitiveBlob {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let encoded = Zeroizing::new(Base64::encode_string(self.expose_secret()));
        s.serialize_str(&encoded)
    }
}

impl<'de> Deserialize<'de> for SensitiveBlob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = Zeroizing::new(String::deserialize(d)?);
        decode_base64(&text)
            .map(SensitiveBlob::new)
            .ok_or_else(|| serde::de::Error::custom("invalid base64 blob"))
    }
}

/// Decodes padded standard base64; `None` on any malformation.
pub(crate) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    Base64::decode_vec(text).ok()
}

/// Converts a JSON number of epoch seconds (possibly fractional) into a timestamp. `None` when
/// the number is not finite or the instant is outside what `time` represents.
pub(crate) fn timestamp_from_json(n: &serde_json::Number) -> Option<OffsetDateTime> {
    if let Some(secs) = n.as_i64() {
        return OffsetDateTime::from_unix_timestamp(secs).ok();
    }
    let f = n.as_f64()?;
    if !f.is_finite() {
        return None;
    }
    let whole = f.floor();
    // Saturating casts: an out-of-range value fails in `from_unix_timestamp` below.
    let secs = whole as i64;
    let nanos = (((f - whole) * 1e9).round() as i128).clamp(0, 999_999_999);
    let total = i128::from(secs)
        .checked_mul(1_000_000_000)?
        .checked_add(nanos)?;
    OffsetDateTime::from_unix_timestamp_nanos(total).ok()
}

/// The JSON number AWS would send for `t`: whole seconds as an integer, otherwise seconds with a
/// millisecond fraction.
pub(crate) fn timestamp_to_json(t: OffsetDateTime) -> serde_json::Value {
    let secs = t.unix_timestamp();
    let millis = t.millisecond();
    if millis == 0 {
        serde_json::Value::from(secs)
    } else {
        serde_json::Value::from(secs as f64 + f64::from(millis) / 1000.0)
    }
}

/// `#[serde(with = "blob")]` for a required `Vec<u8>` blob member.
pub(crate) mod blob {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&Base64::encode_string(bytes))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        decode_base64(&text).ok_or_else(|| serde::de::Error::custom("invalid base64 blob"))
    }
}

/// `#[serde(with = "timestamp")]` for a required timestamp member.
pub(crate) mod timestamp {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
        timestamp_to_json(*t).serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<OffsetDateTime, D::Error> {
        let n = serde_json::Number::deserialize(d)?;
        timestamp_from_json(&n).ok_or_else(|| serde::de::Error::custom("timestamp out of range"))
    }
}

/// `#[serde(default, with = "timestamp_opt", skip_serializing_if = "Option::is_none")]` for an
/// optional timestamp member.
pub(crate) mod timestamp_opt {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(
        t: &Option<OffsetDateTime>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => timestamp_to_json(*t).serialize(s),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<OffsetDateTime>, D::Error> {
        match Option::<serde_json::Number>::deserialize(d)? {
            Some(n) => timestamp_from_json(&n)
                .map(Some)
                .ok_or_else(|| serde::de::Error::custom("timestamp out of range")),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(text: &str) -> serde_json::Number {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn fractional_seconds_keep_their_fraction() {
        let t = timestamp_from_json(&num("1568290320.25")).unwrap();
        assert_eq!(t.unix_timestamp(), 1_568_290_320);
        assert_eq!(t.millisecond(), 250);
    }

    #[test]
    fn negative_fractions_floor_to_the_earlier_second() {
        let t = timestamp_from_json(&num("-1.5")).unwrap();
        assert_eq!(t.unix_timestamp_nanos(), -1_500_000_000);
    }

    #[test]
    fn out_of_range_numbers_are_rejected() {
        assert!(timestamp_from_json(&num("1e300")).is_none());
        assert!(timestamp_from_json(&num("-1e300")).is_none());
        assert!(timestamp_from_json(&num("9223372036854775807")).is_none());
    }

    #[test]
    fn whole_seconds_are_emitted_as_integers_and_fractions_as_millis() {
        let t = OffsetDateTime::from_unix_timestamp(1_568_290_320).unwrap();
        assert_eq!(timestamp_to_json(t).to_string(), "1568290320");
        let t = OffsetDateTime::from_unix_timestamp_nanos(1_568_290_320_123_456_789).unwrap();
        assert_eq!(timestamp_to_json(t).to_string(), "1568290320.123");
    }

    #[test]
    fn sensitive_blob_debug_is_redacted() {
        let b = SensitiveBlob::new(b"hunter2".to_vec());
        assert_eq!(format!("{b:?}"), "<redacted>");
    }
}
