//! Secrets in the server's own wire types: plaintexts and messages never show in `Debug`,
//! and their container zeroizes itself.

use base64ct::{Base64, Encoding};
use kms_import_server::wire::{SensitiveBlob, parse_request};
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use zeroize::ZeroizeOnDrop;

const KEY_ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";

fn random_secret(rng: &mut ChaCha20Rng, len: usize) -> Vec<u8> {
    let mut v = vec![0u8; len];
    rng.fill_bytes(&mut v);
    v
}

/// The forms a secret could take in text: hex (both cases), decimal byte lists and base64, of
/// the whole secret and of windows from its start, middle and end.
fn renderings(secret: &[u8]) -> Vec<String> {
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

#[track_caller]
fn assert_hides(text: &str, secret: &[u8], what: &str) {
    for r in renderings(secret) {
        assert!(
            !text.contains(&r),
            "{what} shows the secret as {r:?}: {text}"
        );
    }
}

#[track_caller]
fn assert_hides_debug<T: std::fmt::Debug>(value: &T, secret: &[u8], what: &str) {
    assert_hides(&format!("{value:?}"), secret, what);
    assert_hides(&format!("{value:#?}"), secret, what);
}

#[test]
fn wire_requests_with_plaintext_are_redacted() {
    let mut rng = ChaCha20Rng::seed_from_u64(13);
    let secret = random_secret(&mut rng, 48);
    let b64 = Base64::encode_string(&secret);
    for (target, body) in [
        (
            "TrentService.Encrypt",
            format!(r#"{{"KeyId":"{KEY_ID}","Plaintext":"{b64}"}}"#),
        ),
        (
            "TrentService.GenerateMac",
            format!(r#"{{"KeyId":"{KEY_ID}","Message":"{b64}","MacAlgorithm":"HMAC_SHA_256"}}"#),
        ),
        (
            "TrentService.Sign",
            format!(
                r#"{{"KeyId":"{KEY_ID}","Message":"{b64}","SigningAlgorithm":"ECDSA_SHA_256"}}"#
            ),
        ),
    ] {
        let request = parse_request(target, body.as_bytes()).unwrap();
        assert_hides_debug(&request, &secret, target);
    }
}

#[test]
fn sensitive_blobs_zeroize_on_drop_and_hide_their_bytes() {
    fn zeroize_on_drop<T: ZeroizeOnDrop>() {}
    zeroize_on_drop::<SensitiveBlob>();
    let b = SensitiveBlob::new(b"hunter2 hunter2".to_vec());
    assert_eq!(format!("{b:?}"), "<redacted>");
}
