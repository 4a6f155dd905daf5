//! `KeyMaterialDescription`: the one rule for it, used by ImportKeyMaterial and the wire layer.

use crate::error::Error;

/// Longest key-material description ImportKeyMaterial accepts, in characters.
pub(crate) const MAX_MATERIAL_DESCRIPTION_LEN: usize = 256;

/// The pattern AWS's model gives, quoted in the error message.
pub(crate) const MATERIAL_DESCRIPTION_PATTERN: &str = "^[a-zA-Z0-9:/_\\s.-]+$";

/// Whether `c` may appear in a description: `[a-zA-Z0-9:/_\s.-]`, where `\s` is the Java
/// (and AWS) class of ASCII whitespace: space, tab, line feed, vertical tab, form feed and
/// carriage return. No other whitespace (U+00A0, U+2028, U+3000, …) is allowed.
pub(crate) fn is_material_description_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            ':' | '/' | '_' | '.' | '-' | ' ' | '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r'
        )
}

/// Checks a `KeyMaterialDescription`: 1 to [`MAX_MATERIAL_DESCRIPTION_LEN`] characters, each
/// allowed by [`is_material_description_char`]; `ValidationException` in AWS's wording
/// otherwise.
pub(crate) fn check_material_description(description: &str) -> Result<(), Error> {
    let len = description.chars().count();
    if len == 0 || len > MAX_MATERIAL_DESCRIPTION_LEN {
        return Err(Error::invalid_length(
            "keyMaterialDescription",
            1,
            MAX_MATERIAL_DESCRIPTION_LEN,
        ));
    }
    if !description.chars().all(is_material_description_char) {
        return Err(Error::Validation(format!(
            "1 validation error detected: Value '{}' at 'keyMaterialDescription' failed to \
             satisfy constraint: Member must satisfy regular expression pattern: \
             {MATERIAL_DESCRIPTION_PATTERN}",
            crate::error::truncate_for_message(description)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn description_allows_ascii_whitespace_only() {
        for ok in [
            "Q3 2026 material: v1.0/rotation_a",
            "tab\there",
            "lines\r\nand\u{0B}vt\u{0C}ff",
            &"d".repeat(256),
        ] {
            assert_eq!(check_material_description(ok), Ok(()), "{ok:?}");
        }
        for bad in [
            "no\u{A0}break",
            "line\u{2028}separator",
            "ideographic\u{3000}space",
            "next\u{85}line",
            "en\u{2002}space",
            "bad;chars",
            "",
            &"d".repeat(257),
        ] {
            let e = check_material_description(bad).unwrap_err();
            assert_eq!(e.code(), "ValidationException", "{bad:?}");
        }
        let e = check_material_description("a\u{3000}b").unwrap_err();
        assert!(e.message().ends_with("^[a-zA-Z0-9:/_\\s.-]+$"), "{e}");
    }
}
