//! Import tokens, beside the code they pin: sealing, opening, sealing-key rotation, and every
//! way a token can be wrong.

use super::{
    ImportToken, MAX_CLOCK_SKEW, MAX_KEY_ARN_LEN, MAX_TOKEN_LEN, PARAMETERS_VALIDITY, SealingKey,
    SealingKeyId, SealingKeys, TOKEN_OVERHEAD, TokenClaims, TokenId,
};
use crate::error::Error;
use crate::names::{WrappingAlgorithm, WrappingKeySpec};
use aes_gcm_siv::aead::{AeadInOut, KeyInit};
use aes_gcm_siv::{Aes256GcmSiv, Key, Nonce};
use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use time::{Duration, OffsetDateTime};
use zeroize::Zeroizing;

const ARN: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const OTHER_ARN: &str =
    "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ac";
const ISSUED: i64 = 1_750_000_000;

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

fn at(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(secs).unwrap()
}

fn issued() -> OffsetDateTime {
    at(ISSUED)
}

/// Within the validity window.
fn soon() -> OffsetDateTime {
    issued() + Duration::minutes(5)
}

fn claims_with(arn: &str, private_key: Vec<u8>, rng: &mut ChaCha20Rng) -> TokenClaims {
    TokenClaims::new(
        arn,
        WrappingAlgorithm::RsaAesKeyWrapSha256,
        WrappingKeySpec::Rsa4096,
        Zeroizing::new(private_key),
        issued(),
        rng,
    )
    .unwrap()
}

fn small_claims(rng: &mut ChaCha20Rng) -> TokenClaims {
    claims_with(ARN, vec![0x30, 0x03, 0x02, 0x01, 0x00], rng)
}

fn keys(seed: u64) -> SealingKeys {
    SealingKeys::new(SealingKey::generate(&mut rng(seed)))
}

fn fixture(bits: u32) -> Vec<u8> {
    let path = format!(
        "{}/tests/data/wrapping_rsa_{bits}.pk8.der",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn assert_same_claims(a: &TokenClaims, b: &TokenClaims) {
    assert_eq!(a.token_id(), b.token_id());
    assert_eq!(a.key_arn(), b.key_arn());
    assert_eq!(a.wrapping_algorithm(), b.wrapping_algorithm());
    assert_eq!(a.wrapping_key_spec(), b.wrapping_key_spec());
    assert_eq!(a.issued_at(), b.issued_at());
    assert_eq!(a.parameters_valid_to(), b.parameters_valid_to());
    assert_eq!(
        a.wrapping_private_key().as_slice(),
        b.wrapping_private_key().as_slice()
    );
}

#[test]
fn sealed_token_opens_to_the_same_claims() {
    let mut r = rng(1);
    let set = keys(100);
    let claims = claims_with(ARN, fixture(2048), &mut r);
    let token = set.seal(&claims, &mut r).unwrap();
    let opened = set.open(token.as_bytes(), ARN, soon()).unwrap();
    assert_same_claims(&claims, &opened);
}

#[test]
fn parameters_are_valid_for_24_hours_in_whole_seconds() {
    let mut r = rng(2);
    let issued_with_nanos = issued() + Duration::milliseconds(750);
    let c = TokenClaims::new(
        ARN,
        WrappingAlgorithm::RsaesOaepSha1,
        WrappingKeySpec::Rsa2048,
        Zeroizing::new(vec![1]),
        issued_with_nanos,
        &mut r,
    )
    .unwrap();
    assert_eq!(PARAMETERS_VALIDITY, Duration::hours(24));
    assert_eq!(c.issued_at(), issued());
    assert_eq!(c.parameters_valid_to(), at(ISSUED + 86_400));
}

#[test]
fn token_has_the_documented_header_and_overhead() {
    let mut r = rng(3);
    let set = keys(101);
    let claims = small_claims(&mut r);
    let token = set.seal(&claims, &mut r).unwrap();
    let t = token.as_bytes();
    assert_eq!(t[0], 0x01);
    assert_eq!(&t[1..9], set.current().id().as_bytes());
    // Payload: 39 fixed bytes + ARN + private key.
    assert_eq!(t.len(), TOKEN_OVERHEAD + 39 + ARN.len() + 5);
    assert_eq!(TOKEN_OVERHEAD, 37);
}

/// An independent sealer written from the module documentation: if the documented format and
/// the implementation drift apart, this fails.
fn seal_by_hand(key: &SealingKey, nonce: [u8; 12], arn_in_aad: &str, payload: &[u8]) -> Vec<u8> {
    let mut aad = b"kms-import/import-token\0".to_vec();
    aad.push(0x01);
    aad.extend_from_slice(key.id().as_bytes());
    aad.extend_from_slice(arn_in_aad.as_bytes());
    let cipher = Aes256GcmSiv::new(&Key::<Aes256GcmSiv>::from(*key.expose_secret()));
    let mut body = payload.to_vec();
    let tag = cipher
        .encrypt_inout_detached(&Nonce::from(nonce), &aad, body.as_mut_slice().into())
        .unwrap();
    let mut token = vec![0x01];
    token.extend_from_slice(key.id().as_bytes());
    token.extend_from_slice(&nonce);
    token.extend_from_slice(&body);
    token.extend_from_slice(&tag);
    token
}

fn documented_payload(
    arn: &str,
    alg: u8,
    spec: u8,
    issued: i64,
    valid_to: i64,
    pk: &[u8],
) -> Vec<u8> {
    let mut p = vec![0x02];
    p.extend_from_slice(&[0x42; 16]);
    p.extend_from_slice(&(arn.len() as u16).to_be_bytes());
    p.extend_from_slice(arn.as_bytes());
    p.push(alg);
    p.push(spec);
    p.extend_from_slice(&issued.to_be_bytes());
    p.extend_from_slice(&valid_to.to_be_bytes());
    p.extend_from_slice(&(pk.len() as u16).to_be_bytes());
    p.extend_from_slice(pk);
    p
}

#[test]
fn token_built_from_the_documented_format_opens() {
    let set = keys(102);
    let payload = documented_payload(ARN, 2, 3, ISSUED, ISSUED + 86_400, b"\x02private");
    let token = seal_by_hand(set.current(), [7; 12], ARN, &payload);
    let c = set.open(&token, ARN, soon()).unwrap();
    assert_eq!(c.token_id(), TokenId::from_bytes([0x42; 16]));
    assert_eq!(c.key_arn(), ARN);
    assert_eq!(c.wrapping_algorithm(), WrappingAlgorithm::RsaesOaepSha1);
    assert_eq!(c.wrapping_key_spec(), WrappingKeySpec::Rsa4096);
    assert_eq!(c.issued_at(), issued());
    assert_eq!(c.parameters_valid_to(), at(ISSUED + 86_400));
    assert_eq!(c.wrapping_private_key().as_slice(), b"\x02private");
}

#[test]
fn version_one_payload_hands_on_its_key_as_tagged_pkcs8() {
    let set = keys(103);
    let mut payload = documented_payload(ARN, 2, 3, ISSUED, ISSUED + 86_400, b"\x30\x00");
    payload[0] = 0x01;
    let token = seal_by_hand(set.current(), [8; 12], ARN, &payload);
    let c = set.open(&token, ARN, soon()).unwrap();
    assert_eq!(c.wrapping_private_key().as_slice(), b"\x01\x30\x00");
    for version in [0x00, 0x03, 0xFF] {
        payload[0] = version;
        let token = seal_by_hand(set.current(), [8; 12], ARN, &payload);
        assert_eq!(
            set.open(&token, ARN, soon()).unwrap_err(),
            Error::InvalidImportToken
        );
    }
}

#[test]
fn authentic_payload_that_does_not_parse_is_invalid_token() {
    let set = keys(103);
    let good = documented_payload(ARN, 5, 1, ISSUED, ISSUED + 86_400, b"k");
    let mut cases: Vec<Vec<u8>> = Vec::new();
    let mut trailing = good.clone();
    trailing.push(0);
    cases.push(trailing);
    let mut wrong_payload_version = good.clone();
    wrong_payload_version[0] = 3;
    cases.push(wrong_payload_version);
    cases.push(documented_payload(ARN, 0, 1, ISSUED, ISSUED + 86_400, b"k"));
    cases.push(documented_payload(ARN, 7, 1, ISSUED, ISSUED + 86_400, b"k"));
    cases.push(documented_payload(ARN, 5, 0, ISSUED, ISSUED + 86_400, b"k"));
    cases.push(documented_payload(ARN, 5, 1, ISSUED, ISSUED, b"k"));
    cases.push(documented_payload(
        ARN,
        5,
        1,
        i64::MIN,
        ISSUED + 86_400,
        b"k",
    ));
    cases.push(documented_payload(ARN, 5, 1, ISSUED, ISSUED + 86_400, b""));
    // The sealed ARN differs from the one authenticated in the AAD.
    cases.push(documented_payload(
        OTHER_ARN,
        5,
        1,
        ISSUED,
        ISSUED + 86_400,
        b"k",
    ));
    for (i, payload) in cases.iter().enumerate() {
        let token = seal_by_hand(set.current(), [9; 12], ARN, payload);
        assert_eq!(
            set.open(&token, ARN, soon()).err(),
            Some(Error::InvalidImportToken),
            "case {i}"
        );
    }
}

#[test]
fn token_opens_on_another_instance_with_the_same_keys() {
    let mut r = rng(4);
    let k = SealingKey::generate(&mut rng(104));
    let a = SealingKeys::new(k.clone());
    let b = SealingKeys::new(SealingKey::from_bytes(k.id(), *k.expose_secret()));
    let token = a.seal(&small_claims(&mut r), &mut r).unwrap();
    assert!(b.open(token.as_bytes(), ARN, soon()).is_ok());
}

#[test]
fn token_sealed_before_rotation_opens_until_its_key_leaves_the_set() {
    let mut r = rng(5);
    let mut set = keys(105);
    assert_eq!(set.max_previous(), SealingKeys::DEFAULT_MAX_PREVIOUS);
    let old = set.seal(&small_claims(&mut r), &mut r).unwrap();

    set.rotate(SealingKey::generate(&mut r)).unwrap();
    let newer = set.seal(&small_claims(&mut r), &mut r).unwrap();
    assert_ne!(old.as_bytes()[1..9], newer.as_bytes()[1..9]);
    assert!(set.open(old.as_bytes(), ARN, soon()).is_ok());
    assert!(set.open(newer.as_bytes(), ARN, soon()).is_ok());

    set.rotate(SealingKey::generate(&mut r)).unwrap();
    assert!(set.open(old.as_bytes(), ARN, soon()).is_ok());
    assert_eq!(set.previous().len(), 2);

    // A third rotation drops the key `old` was sealed under; `newer`'s key is still kept.
    set.rotate(SealingKey::generate(&mut r)).unwrap();
    assert_eq!(set.previous().len(), 2);
    assert_eq!(
        set.open(old.as_bytes(), ARN, soon()).err(),
        Some(Error::InvalidImportToken)
    );
    assert!(set.open(newer.as_bytes(), ARN, soon()).is_ok());
}

#[test]
fn set_rebuilt_from_configuration_opens_tokens_of_previous_keys() {
    let mut r = rng(6);
    let k1 = SealingKey::generate(&mut r);
    let k2 = SealingKey::generate(&mut r);
    let old_set = SealingKeys::new(k1.clone());
    let token = old_set.seal(&small_claims(&mut r), &mut r).unwrap();
    let rebuilt = SealingKeys::with_previous(k2, vec![k1], 1).unwrap();
    assert!(rebuilt.open(token.as_bytes(), ARN, soon()).is_ok());
}

#[test]
fn sealing_key_ids_must_be_unique_in_a_set() {
    let mut r = rng(7);
    let k = SealingKey::generate(&mut r);
    let same_id = SealingKey::from_bytes(k.id(), [0x11; 32]);
    let mut set = SealingKeys::new(k.clone());
    let e = set.rotate(same_id.clone()).unwrap_err();
    assert_eq!(e.code(), "ValidationException");
    assert_eq!(set.current().id(), k.id());
    assert!(set.previous().is_empty());

    assert!(SealingKeys::with_previous(k.clone(), vec![same_id], 2).is_err());
    let others = vec![SealingKey::generate(&mut r), SealingKey::generate(&mut r)];
    assert!(SealingKeys::with_previous(k, others, 1).is_err());
}

#[test]
fn token_for_another_key_is_invalid() {
    let mut r = rng(8);
    let set = keys(108);
    let token = set.seal(&small_claims(&mut r), &mut r).unwrap();
    for other in [OTHER_ARN, "", &ARN[..ARN.len() - 1], &format!("{ARN}x")] {
        assert_eq!(
            set.open(token.as_bytes(), other, soon()).err(),
            Some(Error::InvalidImportToken),
            "{other}"
        );
    }
}

#[test]
fn token_sealed_under_an_unknown_key_is_invalid() {
    let mut r = rng(9);
    let token = keys(109).seal(&small_claims(&mut r), &mut r).unwrap();
    assert_eq!(
        keys(110).open(token.as_bytes(), ARN, soon()).err(),
        Some(Error::InvalidImportToken)
    );
}

#[test]
fn same_id_with_another_key_is_invalid() {
    let mut r = rng(10);
    let k = SealingKey::generate(&mut r);
    let token = SealingKeys::new(k.clone())
        .seal(&small_claims(&mut r), &mut r)
        .unwrap();
    let impostor = SealingKeys::new(SealingKey::from_bytes(k.id(), [0; 32]));
    assert_eq!(
        impostor.open(token.as_bytes(), ARN, soon()).err(),
        Some(Error::InvalidImportToken)
    );
}

#[test]
fn unknown_version_is_invalid() {
    let mut r = rng(11);
    let set = keys(111);
    let token = set.seal(&small_claims(&mut r), &mut r).unwrap();
    for v in [0x00, 0x02, 0x80, 0xff] {
        let mut t = token.clone().into_bytes();
        t[0] = v;
        assert_eq!(
            set.open(&t, ARN, soon()).err(),
            Some(Error::InvalidImportToken)
        );
    }
}

#[test]
fn every_single_bit_flip_is_invalid() {
    let mut r = rng(12);
    let set = keys(112);
    let token = set
        .seal(&small_claims(&mut r), &mut r)
        .unwrap()
        .into_bytes();
    assert!(token.len() < 200, "the test wants a small token");
    for i in 0..token.len() * 8 {
        let mut t = token.clone();
        t[i / 8] ^= 1 << (i % 8);
        assert_eq!(
            set.open(&t, ARN, soon()).err(),
            Some(Error::InvalidImportToken),
            "bit {i}"
        );
    }
}

#[test]
fn every_truncation_is_invalid() {
    let mut r = rng(13);
    let set = keys(113);
    let token = set
        .seal(&small_claims(&mut r), &mut r)
        .unwrap()
        .into_bytes();
    for len in 0..token.len() {
        assert_eq!(
            set.open(&token[..len], ARN, soon()).err(),
            Some(Error::InvalidImportToken),
            "length {len}"
        );
    }
}

#[test]
fn appended_bytes_are_invalid() {
    let mut r = rng(14);
    let set = keys(114);
    let token = set
        .seal(&small_claims(&mut r), &mut r)
        .unwrap()
        .into_bytes();
    for extra in [1, 16, MAX_TOKEN_LEN] {
        let mut t = token.clone();
        t.extend(std::iter::repeat_n(0u8, extra));
        assert_eq!(
            set.open(&t, ARN, soon()).err(),
            Some(Error::InvalidImportToken)
        );
    }
}

#[test]
fn over_long_input_is_invalid_even_with_a_valid_header() {
    let set = keys(115);
    let mut t = vec![0x01];
    t.extend_from_slice(set.current().id().as_bytes());
    t.resize(MAX_TOKEN_LEN + 1, 0xa5);
    assert_eq!(
        set.open(&t, ARN, soon()).err(),
        Some(Error::InvalidImportToken)
    );
}

#[test]
fn garbage_is_invalid() {
    let mut r = rng(15);
    let set = keys(116);
    for len in [0, 1, 36, 37, 100, 500, 6144] {
        let mut g = vec![0u8; len];
        r.fill_bytes(&mut g);
        assert_eq!(
            set.open(&g, ARN, soon()).err(),
            Some(Error::InvalidImportToken)
        );
        // The same garbage behind a correct version and key id reaches the AEAD and fails there.
        if len > 9 {
            g[0] = 0x01;
            g[1..9].copy_from_slice(set.current().id().as_bytes());
            assert_eq!(
                set.open(&g, ARN, soon()).err(),
                Some(Error::InvalidImportToken)
            );
        }
    }
}

#[test]
fn token_issued_beyond_the_clock_skew_in_the_future_is_invalid() {
    // An instance whose clock runs ahead issues a token; another opens it at its own `now`.
    let mut r = rng(18);
    let set = keys(118);
    let token = set.seal(&small_claims(&mut r), &mut r).unwrap();
    assert_eq!(MAX_CLOCK_SKEW, Duration::minutes(5));
    for now in [issued() - MAX_CLOCK_SKEW, issued() - Duration::seconds(1)] {
        assert!(set.open(token.as_bytes(), ARN, now).is_ok(), "{now}");
    }
    for now in [
        issued() - MAX_CLOCK_SKEW - Duration::seconds(1),
        issued() - Duration::hours(23),
        issued() - Duration::days(400),
    ] {
        assert_eq!(
            set.open(token.as_bytes(), ARN, now).err(),
            Some(Error::InvalidImportToken),
            "{now}"
        );
    }
}

#[test]
fn expiry_starts_exactly_at_parameters_valid_to() {
    let mut r = rng(16);
    let set = keys(117);
    let claims = small_claims(&mut r);
    let token = set.seal(&claims, &mut r).unwrap();
    let valid_to = claims.parameters_valid_to();
    assert_eq!(valid_to, at(ISSUED + 86_400));
    assert!(set.open(token.as_bytes(), ARN, issued()).is_ok());
    assert!(
        set.open(token.as_bytes(), ARN, valid_to - Duration::seconds(1))
            .is_ok()
    );
    assert!(
        set.open(token.as_bytes(), ARN, valid_to - Duration::nanoseconds(1))
            .is_ok()
    );
    for now in [
        valid_to,
        valid_to + Duration::seconds(1),
        valid_to + Duration::days(400),
    ] {
        assert_eq!(
            set.open(token.as_bytes(), ARN, now).err(),
            Some(Error::ExpiredImportToken),
            "{now}"
        );
    }
}

#[test]
fn expired_and_tampered_is_invalid_not_expired() {
    let mut r = rng(17);
    let set = keys(118);
    let token = set
        .seal(&small_claims(&mut r), &mut r)
        .unwrap()
        .into_bytes();
    let late = at(ISSUED + 10 * 86_400);
    for i in [0, 1, 9, 21, 40, token.len() - 1] {
        let mut t = token.clone();
        t[i] ^= 0x01;
        assert_eq!(
            set.open(&t, ARN, late).err(),
            Some(Error::InvalidImportToken),
            "byte {i}"
        );
    }
    assert_eq!(
        set.open(&token, OTHER_ARN, late).err(),
        Some(Error::InvalidImportToken)
    );
    assert_eq!(
        keys(119).open(&token, ARN, late).err(),
        Some(Error::InvalidImportToken)
    );
}

#[test]
fn every_seal_uses_a_fresh_nonce() {
    let mut r = rng(18);
    let set = keys(120);
    let claims = small_claims(&mut r);
    let a = set.seal(&claims, &mut r).unwrap();
    let b = set.seal(&claims, &mut r).unwrap();
    assert_ne!(a.as_bytes()[9..21], b.as_bytes()[9..21]);
    assert_ne!(a, b);
    assert!(set.open(a.as_bytes(), ARN, soon()).is_ok());
    assert!(set.open(b.as_bytes(), ARN, soon()).is_ok());
}

#[test]
fn claims_outside_the_format_bounds_are_refused() {
    let mut r = rng(19);
    let new = |arn: &str, pk: Vec<u8>, r: &mut ChaCha20Rng| {
        TokenClaims::new(
            arn,
            WrappingAlgorithm::RsaesOaepSha256,
            WrappingKeySpec::Rsa2048,
            Zeroizing::new(pk),
            issued(),
            r,
        )
    };
    assert_eq!(new("", vec![1], &mut r).err(), Some(Error::Internal));
    let long = "a".repeat(MAX_KEY_ARN_LEN + 1);
    assert_eq!(new(&long, vec![1], &mut r).err(), Some(Error::Internal));
    assert_eq!(new(ARN, vec![], &mut r).err(), Some(Error::Internal));
    assert_eq!(
        new(ARN, vec![0; 65_536], &mut r).err(),
        Some(Error::Internal)
    );
    assert_eq!(
        TokenClaims::from_parts(
            TokenId::from_bytes([0; 16]),
            ARN.into(),
            WrappingAlgorithm::RsaesOaepSha256,
            WrappingKeySpec::Rsa2048,
            issued(),
            issued(),
            Zeroizing::new(vec![1]),
        )
        .err(),
        Some(Error::Internal)
    );
    // Encodable claims that would make a token longer than AWS allows are not sealed.
    let too_big = new(ARN, vec![0; MAX_TOKEN_LEN], &mut r).unwrap();
    assert_eq!(
        keys(121).seal(&too_big, &mut r).err(),
        Some(Error::Internal)
    );
}

#[test]
fn debug_output_keeps_secrets_and_token_bytes_out() {
    let mut r = rng(20);
    let set = keys(122);
    let claims = claims_with(ARN, vec![0xee; 64], &mut r);
    let token = set.seal(&claims, &mut r).unwrap();

    let c = format!("{claims:?}");
    assert!(c.contains("<redacted>") && c.contains(ARN), "{c}");
    assert!(
        !c.contains("238") && !c.to_lowercase().contains("eeee"),
        "{c}"
    );

    let t = format!("{token:?}");
    assert_eq!(t, format!("ImportToken(<{} bytes>)", token.len()));

    let key = SealingKey::from_bytes(SealingKeyId::from_bytes([0xcd; 8]), [0x77; 32]);
    let k = format!("{:?}", SealingKeys::new(key));
    assert!(k.contains("cdcdcdcdcdcdcdcd"), "{k}");
    assert!(!k.contains("7777") && !k.contains("119"), "{k}");
}

#[test]
fn rsa_wrapping_keys_fit_the_aws_token_limit() {
    let mut r = rng(21);
    let set = keys(123);
    // The aws-us-gov partition, a multi-Region key id: about the longest ARN AWS issues today.
    let long_arn =
        "arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/mrk-0123456789abcdef0123456789abcdef";
    // The longest ARN the format admits.
    let max_arn = format!("arn:aws:kms:r:1:key/{}", "k".repeat(MAX_KEY_ARN_LEN - 20));
    assert_eq!(max_arn.len(), MAX_KEY_ARN_LEN);
    for (spec, bits) in [
        (WrappingKeySpec::Rsa2048, 2048),
        (WrappingKeySpec::Rsa3072, 3072),
        (WrappingKeySpec::Rsa4096, 4096),
    ] {
        let pk = fixture(bits);
        for arn in [long_arn, max_arn.as_str()] {
            let claims = TokenClaims::new(
                arn,
                WrappingAlgorithm::RsaAesKeyWrapSha256,
                spec,
                Zeroizing::new(pk.clone()),
                issued(),
                &mut r,
            )
            .unwrap();
            let token: ImportToken = set.seal(&claims, &mut r).unwrap();
            println!(
                "{spec}: PKCS#8 {} B, ARN {} B -> token {} B (limit {MAX_TOKEN_LEN})",
                pk.len(),
                arn.len(),
                token.len()
            );
            assert_eq!(token.len(), TOKEN_OVERHEAD + 39 + arn.len() + pk.len());
            assert!(token.len() <= MAX_TOKEN_LEN);
            assert!(set.open(token.as_bytes(), arn, soon()).is_ok());
        }
    }
}

fn proptest_config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(proptest_config())]

    #[test]
    fn arbitrary_bytes_never_open(
        bytes in proptest::collection::vec(any::<u8>(), 0..7000),
        arn in ".{0,80}",
        now in -100_000_000_000i64..100_000_000_000i64,
    ) {
        let set = keys(200);
        let now = at(now);
        prop_assert_eq!(set.open(&bytes, &arn, now).err(), Some(Error::InvalidImportToken));
        let mut headed = bytes;
        if headed.len() > 9 {
            headed[0] = 0x01;
            headed[1..9].copy_from_slice(set.current().id().as_bytes());
            prop_assert_eq!(set.open(&headed, &arn, now).err(), Some(Error::InvalidImportToken));
        }
    }

    #[test]
    fn altered_token_is_invalid_and_intact_one_is_valid_or_expired(
        pos in any::<prop::sample::Index>(),
        xor in 1u8..=255,
        cut in any::<prop::sample::Index>(),
        arn in "arn:aws:kms:[a-z0-9-]{1,20}:[0-9]{12}:key/[a-f0-9-]{1,40}",
        offset in -200_000i64..200_000,
        seed in any::<u64>(),
    ) {
        let mut r = rng(seed);
        let set = keys(201);
        let claims = claims_with(&arn, vec![1, 2, 3], &mut r);
        let token = set.seal(&claims, &mut r).unwrap().into_bytes();
        let now = at(ISSUED + offset);

        match set.open(&token, &arn, now) {
            Ok(c) => prop_assert!(
                now < c.parameters_valid_to() && c.issued_at() <= now + MAX_CLOCK_SKEW
            ),
            Err(Error::ExpiredImportToken) => {
                prop_assert!(now >= claims.parameters_valid_to());
            }
            Err(e) => {
                prop_assert_eq!(e, Error::InvalidImportToken);
                prop_assert!(claims.issued_at() > now + MAX_CLOCK_SKEW);
            }
        }

        let mut flipped = token.clone();
        flipped[pos.index(token.len())] ^= xor;
        prop_assert_eq!(set.open(&flipped, &arn, now).err(), Some(Error::InvalidImportToken));

        let truncated = &token[..cut.index(token.len())];
        prop_assert_eq!(set.open(truncated, &arn, now).err(), Some(Error::InvalidImportToken));
    }
}
