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
