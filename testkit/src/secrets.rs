//! Checks that a text (a `Debug` or `Display` output, an error message, a response body) does
//! not show a secret in any of the forms it could take.

use std::fmt::Debug;

use base64ct::{Base64, Encoding};
use rand_core::Rng;

/// `len` random bytes from `rng`: a secret to look for.
pub fn random_secret<R: Rng + ?Sized>(rng: &mut R, len: usize) -> Vec<u8> {
    let mut v = vec![0u8; len];
    rng.fill_bytes(&mut v);
    v
}

/// The forms a secret could take in text: hex (both cases), decimal byte lists and base64, of
/// the whole secret and of windows from its start, middle and end. Panics on a secret shorter
/// than 12 bytes (too short to search for without false alarms).
pub fn renderings(secret: &[u8]) -> Vec<String> {
    assert!(secret.len() >= 12, "secret too short to search for");
    let mut out = Vec::new();
    let n = secret.len();
    let windows = [
        &secret[..12],
        &secret[n / 2 - 6..n / 2 + 6],
        &secret[n - 12..],
    ];
    for w in windows {
        let hex: String = w.iter().map(|b| format!("{b:02x}")).collect();
        out.push(hex.to_uppercase());
        out.push(hex);
        let dec: Vec<String> = w[..4].iter().map(|b| b.to_string()).collect();
        out.push(dec.join(", "));
        out.push(Base64::encode_string(w));
    }
    let full = Base64::encode_string(secret);
    let m = full.len() / 2;
    out.push(full[m - 8..m + 8].to_owned());
    out.push(full[..16].to_owned());
    out
}

/// Fails when `text` (the output of `what`) shows `secret` in any of its [`renderings`].
#[track_caller]
pub fn assert_hides(text: &str, secret: &[u8], what: &str) {
    for r in renderings(secret) {
        assert!(
            !text.contains(&r),
            "{what} shows the secret as {r:?}: {text}"
        );
    }
}

/// Fails when the `Debug` output of `value`, plain (`{:?}`) or pretty (`{:#?}`), shows `secret`.
#[track_caller]
pub fn assert_hides_debug<T: Debug + ?Sized>(value: &T, secret: &[u8], what: &str) {
    assert_hides(&format!("{value:?}"), secret, what);
    assert_hides(&format!("{value:#?}"), secret, what);
}

#[cfg(test)]
mod tests {
    use super::{assert_hides, assert_hides_debug, random_secret, renderings};
    use base64ct::{Base64, Encoding};

    fn secret() -> Vec<u8> {
        random_secret(&mut crate::rng(5), 32)
    }

    #[test]
    fn a_text_without_the_secret_passes() {
        let s = secret();
        assert_hides("<redacted>", &s, "a redacted value");
        assert_hides_debug(&[0u8; 32], &s, "another value");
    }

    #[test]
    fn every_rendering_is_searched_for() {
        let s = secret();
        let hex: String = s.iter().map(|b| format!("{b:02x}")).collect();
        let all = renderings(&s);
        assert!(all.iter().any(|r| hex.contains(r.as_str())));
        assert!(all.iter().any(|r| hex.to_uppercase().contains(r.as_str())));
        assert!(all.iter().any(|r| format!("{s:?}").contains(r.as_str())));
        assert!(
            all.iter()
                .any(|r| Base64::encode_string(&s).contains(r.as_str()))
        );
    }

    #[test]
    #[should_panic(expected = "shows the secret")]
    fn a_debug_output_with_the_secret_fails() {
        let s = secret();
        assert_hides_debug(&s, &s, "the secret's bytes");
    }

    #[test]
    #[should_panic(expected = "shows the secret")]
    fn a_hex_text_with_the_secret_fails() {
        let s = secret();
        let hex: String = s.iter().map(|b| format!("{b:02X}")).collect();
        assert_hides(&format!("key={hex}"), &s, "a hex dump");
    }

    #[test]
    #[should_panic(expected = "too short")]
    fn a_secret_too_short_to_search_for_is_refused() {
        renderings(&[1u8; 11]);
    }
}
