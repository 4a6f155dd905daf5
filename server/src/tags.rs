//! CreateKey's `Tags` member, checked as AWS checks it: a list of `{TagKey, TagValue}`, both
//! required strings, TagKey 1 to 128 and TagValue 0 to 256 characters (UTF-16 code units).
//! This server keeps no tags; it only refuses the requests AWS refuses.

use crate::prelude::*;

const TAG_KEY_MAX: usize = 128;
const TAG_VALUE_MAX: usize = 256;
/// Values echoed in a message are cut here, so that a huge value cannot make a huge answer.
const ECHO_MAX: usize = 2048;

fn echo(value: &str) -> &str {
    let mut end = value.len().min(ECHO_MAX);
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    &value[..end]
}

fn serialization(what: &str) -> KmsError {
    KmsError::Serialization(format!("Member '{what}' has the wrong JSON type."))
}

/// Checks the `Tags` member of a CreateKey body. A member of the wrong JSON type is a
/// SerializationException; a missing TagKey or TagValue, or one of the wrong length, is a
/// ValidationException listing every violation in AWS's wording
/// (`Value '…' at 'tags.1.member.tagKey' failed to satisfy constraint: …`).
pub(crate) fn check_create_key_tags(body: &[u8]) -> Result<(), KmsError> {
    let doc: serde_json::Value = serde_json::from_slice(body)
        .map_err(|_| KmsError::Serialization("The request body is not valid JSON.".to_owned()))?;
    let tags = match doc.get("Tags") {
        None | Some(serde_json::Value::Null) => return Ok(()),
        Some(serde_json::Value::Array(tags)) => tags,
        Some(_) => return Err(serialization("Tags")),
    };
    let mut violations = Vec::new();
    for (n, tag) in tags.iter().enumerate() {
        let index = n + 1;
        let tag = match tag {
            serde_json::Value::Object(tag) => tag,
            _ => return Err(serialization("Tags")),
        };
        for (member, wire, min, max) in [
            ("TagKey", "tagKey", 1, TAG_KEY_MAX),
            ("TagValue", "tagValue", 0, TAG_VALUE_MAX),
        ] {
            let at = format!("tags.{index}.member.{wire}");
            match tag.get(member) {
                None | Some(serde_json::Value::Null) => violations.push(format!(
                    "Value null at '{at}' failed to satisfy constraint: Member must not be null"
                )),
                Some(serde_json::Value::String(value)) => {
                    let len = value.encode_utf16().count();
                    let constraint = if len < min {
                        format!("Member must have length greater than or equal to {min}")
                    } else if len > max {
                        format!("Member must have length less than or equal to {max}")
                    } else {
                        continue;
                    };
                    violations.push(format!(
                        "Value '{}' at '{at}' failed to satisfy constraint: {constraint}",
                        echo(value)
                    ));
                }
                Some(_) => return Err(serialization(member)),
            }
        }
    }
    match violations.len() {
        0 => Ok(()),
        1 => Err(KmsError::Validation(format!(
            "1 validation error detected: {}",
            violations.join("; ")
        ))),
        n => Err(KmsError::Validation(format!(
            "{n} validation errors detected: {}",
            violations.join("; ")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(body: &str) -> Result<(), KmsError> {
        check_create_key_tags(body.as_bytes())
    }

    #[test]
    fn well_formed_tags_and_no_tags_pass() {
        assert_eq!(check("{}"), Ok(()));
        assert_eq!(check(r#"{"Tags":null}"#), Ok(()));
        assert_eq!(check(r#"{"Tags":[]}"#), Ok(()));
        assert_eq!(check(r#"{"Tags":[{"TagKey":"k","TagValue":""}]}"#), Ok(()));
        let max = format!(
            r#"{{"Tags":[{{"TagKey":"{}","TagValue":"{}"}}]}}"#,
            "k".repeat(128),
            "v".repeat(256)
        );
        assert_eq!(check(&max), Ok(()));
    }

    #[test]
    fn an_over_long_tag_key_is_refused_in_aws_wording() {
        let key = "a".repeat(129);
        let e = check(&format!(
            r#"{{"Tags":[{{"TagKey":"{key}","TagValue":"v"}}]}}"#
        ))
        .unwrap_err();
        assert_eq!(
            e,
            KmsError::Validation(format!(
                "1 validation error detected: Value '{key}' at 'tags.1.member.tagKey' failed to \
                 satisfy constraint: Member must have length less than or equal to 128"
            ))
        );
    }

    #[test]
    fn every_violation_is_listed_and_counted() {
        let e = check(&format!(
            r#"{{"Tags":[{{"TagKey":"ok","TagValue":"v"}},{{"TagKey":"","TagValue":"{}"}},{{"TagValue":"x"}}]}}"#,
            "v".repeat(257)
        ))
        .unwrap_err();
        let m = e.message();
        assert_eq!(e.code(), "ValidationException");
        assert!(m.starts_with("3 validation errors detected: "), "{m}");
        assert!(m.contains("at 'tags.2.member.tagKey' failed to satisfy constraint: Member must have length greater than or equal to 1"), "{m}");
        assert!(m.contains("at 'tags.2.member.tagValue' failed to satisfy constraint: Member must have length less than or equal to 256"), "{m}");
        assert!(m.contains("Value null at 'tags.3.member.tagKey' failed to satisfy constraint: Member must not be null"), "{m}");
    }

    #[test]
    fn wrong_json_types_are_serialization_errors() {
        for body in [
            r#"{"Tags":"k=v"}"#,
            r#"{"Tags":[["k","v"]]}"#,
            r#"{"Tags":[{"TagKey":7,"TagValue":"v"}]}"#,
        ] {
            assert_eq!(
                check(body).unwrap_err().code(),
                "SerializationException",
                "{body}"
            );
        }
    }
}
