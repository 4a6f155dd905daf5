//! Secrets in the server's own wire types: plaintexts and messages never show in `Debug`,
//! and their container zeroizes itself.

use base64ct::{Base64, Encoding};
use kms_import_server::wire::{SensitiveBlob, parse_request};
use kms_import_testkit::secrets::{assert_hides_debug, random_secret};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use zeroize::ZeroizeOnDrop;

const KEY_ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";

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
