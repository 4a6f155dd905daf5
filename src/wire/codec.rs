//! How the AWS JSON 1.1 protocol spells blobs and timestamps.
//!
//! Blobs are padded standard base64 strings. Timestamps are seconds since the Unix epoch as a
//! JSON number; input may carry a fraction, output carries at most millisecond precision (the
//! precision AWS reports) and is an integer when the fraction is zero.

use base64ct::{Base64, Encoding};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;

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

/// `#[serde(with = "kms_import::wire::blob")]` on a required `Vec<u8>` blob member of a response
/// type: a padded standard base64 string.
pub mod blob {
    use super::*;

    /// Writes the member.
    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&Base64::encode_string(bytes))
    }

    /// Reads the member.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        decode_base64(&text).ok_or_else(|| serde::de::Error::custom("invalid base64 blob"))
    }
}

/// `#[serde(with = "kms_import::wire::timestamp")]` on a required `OffsetDateTime` member of a
/// response type: epoch seconds, with a millisecond fraction when the instant has one.
pub mod timestamp {
    use super::*;

    /// Writes the member.
    pub fn serialize<S: Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
        timestamp_to_json(*t).serialize(s)
    }

    /// Reads the member.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<OffsetDateTime, D::Error> {
        let n = serde_json::Number::deserialize(d)?;
        timestamp_from_json(&n).ok_or_else(|| serde::de::Error::custom("timestamp out of range"))
    }
}

/// `#[serde(default, with = "kms_import::wire::timestamp_opt", skip_serializing_if =
/// "Option::is_none")]` on an optional `OffsetDateTime` member of a response type.
pub mod timestamp_opt {
    use super::*;

    /// Writes the member.
    pub fn serialize<S: Serializer>(t: &Option<OffsetDateTime>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => timestamp_to_json(*t).serialize(s),
            None => s.serialize_none(),
        }
    }

    /// Reads the member.
    pub fn deserialize<'de, D: Deserializer<'de>>(
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

/// A key ARN member of a response: the ARN's text.
pub(crate) mod key_arn {
    use super::*;
    use crate::key_id::KeyArn;

    pub(crate) fn serialize<S: Serializer>(arn: &KeyArn, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(arn)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<KeyArn, D::Error> {
        let text = String::deserialize(d)?;
        text.parse()
            .map_err(|_| serde::de::Error::custom("KeyId is not a key ARN"))
    }
}

/// The `ImportToken` member of GetParametersForImport's response: a blob.
pub(crate) mod import_token {
    use super::*;
    use crate::token::ImportToken;

    pub(crate) fn serialize<S: Serializer>(token: &ImportToken, s: S) -> Result<S::Ok, S::Error> {
        blob::serialize(token.as_bytes(), s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<ImportToken, D::Error> {
        blob::deserialize(d).map(ImportToken::from_bytes)
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
}
