//! Reading the members of a request object, with AWS's error classes and wording.
//!
//! A member of the wrong JSON type, a blob that is not base64 or a timestamp that is not a
//! number is a `SerializationException` (the protocol layer could not read it). A missing
//! required member, an enum value outside the model, a length, range or pattern violation is a
//! `ValidationException` naming the member in lowerCamelCase, as AWS does. A JSON `null` counts
//! as absent. Members the operation does not know are ignored.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use time::OffsetDateTime;
use zeroize::Zeroizing;

use super::codec::{decode_base64, timestamp_from_json};
use crate::error::{Error, truncate_for_message};
use crate::material::KeyMaterialId;
use crate::names::AwsName;

/// Longest KMS key identifier (key id, key ARN, alias name or alias ARN), in characters.
pub(crate) const KEY_ID_MAX: usize = 2048;
/// Longest blob (`ImportToken`, `EncryptedKeyMaterial`, `CiphertextBlob`, `Mac`, `Signature`).
pub(crate) const CIPHERTEXT_MAX: usize = 6144;
/// The members of one AWS JSON 1.1 request body, read with AWS's error classes and wording
/// (see the [module docs](super)).
///
/// The import operations' readers use it; a service that serves further KMS operations reads
/// their bodies with it too, so every operation answers malformed input alike.
#[derive(Debug)]
pub struct Members {
    map: Map<String, Value>,
}

/// `Limit` of the list operations: 1..=1000.
pub(crate) fn limit(m: &Members) -> Result<Option<u32>, Error> {
    Ok(m.integer("Limit", 1, 1000)?
        .and_then(|v| u32::try_from(v).ok()))
}

/// The lowerCamelCase name AWS uses in validation messages (`KeyId` -> `keyId`).
pub(crate) fn camel(pascal: &str) -> String {
    let mut chars = pascal.chars();
    match chars.next() {
        Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// String lengths as AWS (a Java service) counts them: UTF-16 code units.
fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

fn length_error(pascal: &str, len: usize, min: usize, max: usize) -> Error {
    if len < min {
        Error::invalid_length(&camel(pascal), min, usize::MAX)
    } else {
        Error::invalid_length(&camel(pascal), 0, max)
    }
}

fn pattern_error(value: &str, pascal: &str, pattern: &str) -> Error {
    Error::Validation(format!(
        "1 validation error detected: Value '{}' at '{}' failed to satisfy constraint: \
         Member must satisfy regular expression pattern: {pattern}",
        truncate_for_message(value),
        camel(pascal)
    ))
}

/// `ValidationException` for an integer outside `min..=max`, naming the violated bound.
pub(crate) fn range_error(pascal: &str, value: i64, min: i64, max: i64) -> Error {
    let constraint = if value < min {
        format!("Member must have value greater than or equal to {min}")
    } else {
        format!("Member must have value less than or equal to {max}")
    };
    Error::Validation(format!(
        "1 validation error detected: Value '{value}' at '{}' failed to satisfy constraint: \
         {constraint}",
        camel(pascal)
    ))
}

fn type_error(pascal: &str, expected: &str) -> Error {
    Error::Serialization(format!(
        "Member '{pascal}' has the wrong JSON type: expected {expected}."
    ))
}

/// The value of a required member, or AWS's "must not be null" `ValidationException` naming
/// `pascal` in lowerCamelCase.
pub fn required<T>(value: Option<T>, pascal: &str) -> Result<T, Error> {
    value.ok_or_else(|| Error::missing_member(&camel(pascal)))
}

/// The parsed body may hold base64 text of secrets (`Plaintext`, material); every string in it
/// is wiped when the members are dropped, the secret members having been decoded into
/// zeroizing buffers by then ([`Members::sensitive_blob`]).
impl Drop for Members {
    fn drop(&mut self) {
        for value in self.map.values_mut() {
            wipe(value);
        }
    }
}

/// Zeroizes every string (and object key's value) inside `value`.
fn wipe(value: &mut Value) {
    use zeroize::Zeroize;
    match value {
        Value::String(s) => s.zeroize(),
        Value::Array(items) => items.iter_mut().for_each(wipe),
        Value::Object(map) => map.values_mut().for_each(wipe),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

impl Members {
    /// Parses a request body. An empty (or all-whitespace) body is an empty object; anything
    /// that is not a JSON object is a `SerializationException`.
    pub fn parse(body: &[u8]) -> Result<Members, Error> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Members { map: Map::new() });
        }
        let value: Value = serde_json::from_slice(body).map_err(|e| {
            Error::Serialization(format!(
                "The request body is not valid JSON (line {}, column {}).",
                e.line(),
                e.column()
            ))
        })?;
        match value {
            Value::Object(map) => Ok(Members { map }),
            _ => Err(Error::Serialization(
                "The request body must be a JSON object.".to_owned(),
            )),
        }
    }

    fn get(&self, pascal: &str) -> Option<&Value> {
        match self.map.get(pascal) {
            None | Some(Value::Null) => None,
            Some(v) => Some(v),
        }
    }

    fn raw_str(&self, pascal: &str) -> Result<Option<&str>, Error> {
        match self.get(pascal) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(type_error(pascal, "a string")),
        }
    }

    /// A string member whose length (UTF-16 units) must lie in `min..=max`.
    pub fn string(&self, pascal: &str, min: usize, max: usize) -> Result<Option<String>, Error> {
        let Some(s) = self.raw_str(pascal)? else {
            return Ok(None);
        };
        let len = utf16_len(s);
        if len < min || len > max {
            return Err(length_error(pascal, len, min, max));
        }
        Ok(Some(s.to_owned()))
    }

    /// A KMS key identifier member (`KeyId`, `TargetKeyId`): 1..2048 characters. Which forms
    /// (key id, ARN, alias) the operation accepts is decided above the wire layer.
    pub fn key_id(&self, pascal: &str) -> Result<Option<String>, Error> {
        self.string(pascal, 1, KEY_ID_MAX)
    }

    /// A string member with a length range and a character-class pattern (`^[class]+$` when
    /// `min > 0` or the pattern requires a character; `[class]*` otherwise).
    pub fn patterned(
        &self,
        pascal: &str,
        min: usize,
        max: usize,
        allowed: fn(char) -> bool,
        pattern: &str,
        nonempty: bool,
    ) -> Result<Option<String>, Error> {
        let Some(s) = self.string(pascal, min, max)? else {
            return Ok(None);
        };
        if (nonempty && s.is_empty()) || !s.chars().all(allowed) {
            return Err(pattern_error(&s, pascal, pattern));
        }
        Ok(Some(s))
    }

    /// A pagination marker: 1..1024 characters, each in U+0020..U+00FF.
    pub fn marker(&self) -> Result<Option<String>, Error> {
        self.patterned(
            "Marker",
            1,
            1024,
            |c| ('\u{20}'..='\u{ff}').contains(&c),
            "[\\u0020-\\u00FF]*",
            false,
        )
    }

    /// An enum member, parsed against the crate's wire names; an unknown value is AWS's enum
    /// `ValidationException` naming this member.
    pub fn enumeration<T: AwsName>(&self, pascal: &str) -> Result<Option<T>, Error> {
        match self.raw_str(pascal)? {
            None => Ok(None),
            Some(s) => T::parse_member(s, &camel(pascal)).map(Some),
        }
    }

    /// A blob member: a base64 string whose decoded length must lie in `min..=max`.
    pub fn blob(&self, pascal: &str, min: usize, max: usize) -> Result<Option<Vec<u8>>, Error> {
        Ok(self
            .sensitive_blob(pascal, min, max)?
            .map(|mut bytes| std::mem::take(&mut *bytes)))
    }

    /// A blob member holding customer data: decoded straight into zeroizing storage, so that
    /// neither the result nor a rejected value outlives its use.
    pub fn sensitive_blob(
        &self,
        pascal: &str,
        min: usize,
        max: usize,
    ) -> Result<Option<Zeroizing<Vec<u8>>>, Error> {
        let Some(s) = self.raw_str(pascal)? else {
            return Ok(None);
        };
        let bytes = decode_base64(s).map(Zeroizing::new).ok_or_else(|| {
            Error::Serialization(format!(
                "Member '{pascal}' is not a valid base64-encoded blob."
            ))
        })?;
        if bytes.len() < min || bytes.len() > max {
            return Err(length_error(pascal, bytes.len(), min, max));
        }
        Ok(Some(bytes))
    }

    /// A timestamp member: epoch seconds as a JSON number, fraction allowed.
    pub fn timestamp(&self, pascal: &str) -> Result<Option<OffsetDateTime>, Error> {
        match self.get(pascal) {
            None => Ok(None),
            Some(Value::Number(n)) => timestamp_from_json(n).map(Some).ok_or_else(|| {
                Error::Serialization(format!(
                    "Member '{pascal}' is not a representable timestamp."
                ))
            }),
            Some(_) => Err(type_error(pascal, "a number of epoch seconds")),
        }
    }

    /// An integer member whose value must lie in `min..=max`.
    pub fn integer(&self, pascal: &str, min: i64, max: i64) -> Result<Option<i64>, Error> {
        match self.get(pascal) {
            None => Ok(None),
            Some(Value::Number(n)) => {
                let v = n.as_i64().ok_or_else(|| type_error(pascal, "an integer"))?;
                if v < min || v > max {
                    return Err(range_error(pascal, v, min, max));
                }
                Ok(Some(v))
            }
            Some(_) => Err(type_error(pascal, "an integer")),
        }
    }

    /// A boolean member.
    pub fn boolean(&self, pascal: &str) -> Result<Option<bool>, Error> {
        match self.get(pascal) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(type_error(pascal, "a boolean")),
        }
    }

    /// A map of strings to strings (`EncryptionContext`).
    pub fn string_map(&self, pascal: &str) -> Result<Option<BTreeMap<String, String>>, Error> {
        match self.get(pascal) {
            None => Ok(None),
            Some(Value::Object(m)) => m
                .iter()
                .map(|(k, v)| match v {
                    Value::String(s) => Ok((k.clone(), s.clone())),
                    _ => Err(type_error(pascal, "an object of strings")),
                })
                .collect::<Result<_, _>>()
                .map(Some),
            Some(_) => Err(type_error(pascal, "an object of strings")),
        }
    }

    /// A `KeyMaterialId` member: exactly 64 lowercase hex characters.
    pub fn key_material_id(&self, pascal: &str) -> Result<Option<KeyMaterialId>, Error> {
        match self.raw_str(pascal)? {
            None => Ok(None),
            Some(s) => s.parse::<KeyMaterialId>().map(Some),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wipe_clears_every_string_at_every_depth() {
        let mut v: Value = serde_json::from_str(
            r#"{"Plaintext":"c2VjcmV0","Nested":{"A":["bWF0ZXJpYWw=",{"B":"x"}]},"N":1}"#,
        )
        .unwrap();
        wipe(&mut v);
        assert_eq!(
            v,
            serde_json::json!({"Plaintext":"","Nested":{"A":["",{"B":""}]},"N":1})
        );
    }

    #[test]
    fn camel_lowers_only_the_first_letter() {
        assert_eq!(camel("KeyId"), "keyId");
        assert_eq!(camel("EncryptedKeyMaterial"), "encryptedKeyMaterial");
        assert_eq!(camel(""), "");
    }

    #[test]
    fn lengths_count_utf16_units() {
        assert_eq!(utf16_len("é"), 1);
        assert_eq!(utf16_len("😀"), 2);
    }

    #[test]
    fn null_counts_as_absent() {
        let m = Members::parse(br#"{"KeyId":null}"#).unwrap();
        assert_eq!(m.key_id("KeyId").unwrap(), None);
    }

    #[test]
    fn range_error_names_the_violated_bound() {
        assert!(
            range_error("Limit", 0, 1, 1000)
                .message()
                .ends_with("Member must have value greater than or equal to 1")
        );
        assert!(
            range_error("Limit", 1001, 1, 1000)
                .message()
                .ends_with("Member must have value less than or equal to 1000")
        );
    }
}
