//! Key-material validation per key spec (spec §8), and what validated material hands out: the
//! public key as DER SPKI and the private key for the embedder's own cryptography (the server's
//! HMAC, signature and RSAES-OAEP tests run on it). Fixtures are in `tests/data/material/`
//! (see its README).

use kms_import::{AwsName, Error, KeySpec, ValidatedMaterial};
use kms_import_testkit::material::{fixture, valid, validate};
use proptest::prelude::*;

/// Every reason text the crate may put after "…for key spec X: ".
const REASONS: &[&str] = &[
    "wrong length",
    "not a DER-encoded PKCS#8 (RFC 5208) private key",
    "not an rsaEncryption private key with NULL parameters",
    "not a DER-encoded RSAPrivateKey",
    "not a two-prime RSA key",
    "modulus size does not match",
    "public exponent is not an odd number from 3 to 2^33-1",
    "the RSA key components are inconsistent",
    "not an id-ecPublicKey private key",
    "the curve is not given as a named curve",
    "the curve does not match",
    "not a DER-encoded RFC 5915 ECPrivateKey",
    "private key length does not match the curve",
    "private key is out of range for the curve",
    "the embedded public key is invalid or does not match the private key",
];

fn message_for(spec: KeySpec, reason: &str) -> String {
    format!("The key material is not valid for key spec {spec}: {reason}.")
}

#[track_caller]
fn assert_incorrect(spec: KeySpec, bytes: &[u8], reason: &str) {
    assert!(REASONS.contains(&reason), "unknown reason {reason}");
    match validate(spec, bytes) {
        Err(e) => {
            assert_eq!(e.code(), "IncorrectKeyMaterialException", "{e}");
            assert_eq!(e.message(), message_for(spec, reason));
        }
        Ok(_) => panic!("accepted as {spec}, expected: {reason}"),
    }
}

#[track_caller]
fn assert_incorrect_fixture(spec: KeySpec, name: &str, reason: &str) {
    assert_incorrect(spec, &fixture(name), reason);
}

const ECC: [(KeySpec, &str); 4] = [
    (KeySpec::EccNistP256, "p256"),
    (KeySpec::EccNistP384, "p384"),
    (KeySpec::EccNistP521, "p521"),
    (KeySpec::EccSecgP256k1, "k256"),
];

const RSA: [(KeySpec, &str); 3] = [
    (KeySpec::Rsa2048, "rsa_2048"),
    (KeySpec::Rsa3072, "rsa_3072"),
    (KeySpec::Rsa4096, "rsa_4096"),
];

// ---------------------------------------------------------------------------------------------
// Symmetric and HMAC material: length rules.

#[test]
fn symmetric_default_takes_exactly_32_bytes() {
    let key: Vec<u8> = (0u8..32).collect();
    let v = validate(KeySpec::SymmetricDefault, &key).unwrap();
    assert_eq!(
        v.symmetric_key().unwrap().expose_secret().as_slice(),
        &key[..]
    );
    assert_eq!(v.public_key_spki_der(), None);
    for len in [0, 1, 16, 31, 33, 64] {
        assert_incorrect(KeySpec::SymmetricDefault, &vec![7; len], "wrong length");
    }
}

#[test]
fn hmac_lengths_run_from_the_digest_size_to_128_bytes() {
    let table = [
        (KeySpec::Hmac224, 28),
        (KeySpec::Hmac256, 32),
        (KeySpec::Hmac384, 48),
        (KeySpec::Hmac512, 64),
    ];
    for (spec, min) in table {
        for len in [min, min + 1, 127, 128] {
            let v =
                validate(spec, &vec![0x5a; len]).unwrap_or_else(|e| panic!("{spec} {len}: {e}"));
            assert_eq!(v.hmac_key(), Some(&vec![0x5a; len][..]));
            assert_eq!(v.public_key_spki_der(), None);
            assert!(v.rsa_private_key_der().is_none() && v.ecc_private_scalar().is_none());
        }
        for len in [0, min - 1, 129, 1024] {
            assert_incorrect(spec, &vec![0x5a; len], "wrong length");
        }
    }
}

#[test]
fn specs_that_cannot_take_imported_material_are_unsupported() {
    for spec in [
        KeySpec::Sm2,
        KeySpec::MlDsa44,
        KeySpec::MlDsa65,
        KeySpec::MlDsa87,
        KeySpec::EccNistEdwards25519,
    ] {
        let e = validate(spec, &fixture("ec_p256.der")).unwrap_err();
        assert_eq!(e.code(), "UnsupportedOperationException", "{spec}");
        assert!(e.message().contains(spec.as_str()));
    }
    for spec in KeySpec::importable() {
        let e = validate(spec, &[]).unwrap_err();
        assert_eq!(e.code(), "IncorrectKeyMaterialException", "{spec}");
    }
}

// ---------------------------------------------------------------------------------------------
// RSA material.

#[test]
fn rsa_keys_of_each_size_validate_and_their_spki_is_openssls() {
    for (spec, name) in RSA {
        let v = valid(spec, &format!("{name}.der"));
        assert_eq!(v.key_spec(), spec);
        assert_eq!(
            v.public_key_spki_der().unwrap(),
            &fixture(&format!("{name}.spki.der"))[..],
            "{spec}"
        );
    }
}

#[test]
fn rsa_public_exponent_three_is_accepted() {
    let v = valid(KeySpec::Rsa2048, "rsa_2048_e3.der");
    assert_eq!(
        v.public_key_spki_der().unwrap(),
        &fixture("rsa_2048_e3.spki.der")[..]
    );
}

#[test]
fn rsa_modulus_must_have_exactly_the_spec_size() {
    let reason = "modulus size does not match";
    assert_incorrect_fixture(KeySpec::Rsa2048, "rsa_2047.der", reason);
    assert_incorrect_fixture(KeySpec::Rsa2048, "rsa_3072.der", reason);
    assert_incorrect_fixture(KeySpec::Rsa3072, "rsa_2048.der", reason);
    assert_incorrect_fixture(KeySpec::Rsa3072, "rsa_4096.der", reason);
    assert_incorrect_fixture(KeySpec::Rsa4096, "rsa_3072.der", reason);
}

#[test]
fn rsa_multi_prime_keys_are_rejected() {
    assert_incorrect_fixture(
        KeySpec::Rsa2048,
        "rsa_2048_3prime.der",
        "not a two-prime RSA key",
    );
    // Version 1 ("multi") announced without otherPrimeInfos.
    assert_incorrect_fixture(
        KeySpec::Rsa2048,
        "rsa_2048_version1.der",
        "not a two-prime RSA key",
    );
}

#[test]
fn rsa_key_must_be_rsa_encryption_with_null_parameters() {
    let reason = "not an rsaEncryption private key with NULL parameters";
    assert_incorrect_fixture(KeySpec::Rsa2048, "rsa_pss_2048.der", reason);
    assert_incorrect_fixture(KeySpec::Rsa2048, "rsa_2048_no_null.der", reason);
    assert_incorrect_fixture(KeySpec::Rsa2048, "ec_p256.der", reason);
}

#[test]
fn rsa_components_that_do_not_form_a_key_pair_are_rejected() {
    let reason = "the RSA key components are inconsistent";
    assert_incorrect_fixture(KeySpec::Rsa2048, "rsa_2048_bad_d.der", reason);
    assert_incorrect_fixture(KeySpec::Rsa2048, "rsa_2048_bad_dp.der", reason);
    assert_incorrect_fixture(KeySpec::Rsa2048, "rsa_2048_bad_qinv.der", reason);
}

// ---------------------------------------------------------------------------------------------
// ECC material.

#[test]
fn ec_keys_validate_in_every_encoding_openssl_writes_with_the_same_spki() {
    for (spec, name) in ECC {
        let spki = fixture(&format!("ec_{name}.spki.der"));
        for variant in ["", "_nopub", "_compressed", "_hybrid", "_params"] {
            let v = valid(spec, &format!("ec_{name}{variant}.der"));
            assert_eq!(
                v.public_key_spki_der().unwrap(),
                &spki[..],
                "{spec}{variant}"
            );
        }
    }
}

#[test]
fn ec_key_on_another_curve_is_rejected() {
    for (spec, _) in ECC {
        for (other_spec, other) in ECC {
            if spec != other_spec {
                assert_incorrect_fixture(
                    spec,
                    &format!("ec_{other}.der"),
                    "the curve does not match",
                );
            }
        }
    }
    assert_incorrect_fixture(
        KeySpec::EccNistP256,
        "ec_p256_params_mismatch.der",
        "the curve does not match",
    );
}

#[test]
fn ec_curve_must_be_named() {
    let reason = "the curve is not given as a named curve";
    assert_incorrect_fixture(KeySpec::EccNistP256, "ec_p256_explicit.der", reason);
    assert_incorrect_fixture(KeySpec::EccNistP256, "ec_p256_no_curve.der", reason);
}

#[test]
fn ec_spec_rejects_rsa_keys() {
    for (spec, _) in ECC {
        assert_incorrect_fixture(spec, "rsa_2048.der", "not an id-ecPublicKey private key");
    }
}

#[test]
fn ec_embedded_public_key_must_belong_to_the_scalar() {
    let reason = "the embedded public key is invalid or does not match the private key";
    assert_incorrect_fixture(KeySpec::EccNistP256, "ec_p256_wrong_pub.der", reason);
    assert_incorrect_fixture(
        KeySpec::EccNistP256,
        "ec_p256_hybrid_bad_parity.der",
        reason,
    );
}

#[test]
fn ec_point_that_is_not_on_the_curve_is_rejected() {
    // Flip one bit of y in the uncompressed point of a valid key: the point leaves the curve.
    let mut der = fixture("ec_p256.der");
    let last = der.len() - 1;
    der[last] ^= 0x01;
    assert_incorrect(
        KeySpec::EccNistP256,
        &der,
        "the embedded public key is invalid or does not match the private key",
    );
}

#[test]
fn ec_scalar_must_have_the_curve_length_and_be_in_range() {
    let spec = KeySpec::EccNistP256;
    assert_incorrect_fixture(
        spec,
        "ec_p256_scalar_zero.der",
        "private key is out of range for the curve",
    );
    assert_incorrect_fixture(
        spec,
        "ec_p256_scalar_order.der",
        "private key is out of range for the curve",
    );
    assert_incorrect_fixture(
        spec,
        "ec_p256_scalar_short.der",
        "private key length does not match the curve",
    );
}

#[test]
fn ec_private_key_must_be_rfc5915_version_1() {
    assert_incorrect_fixture(
        KeySpec::EccNistP256,
        "ec_p256_sec1_version0.der",
        "not a DER-encoded RFC 5915 ECPrivateKey",
    );
    // The SEC1 form on its own (no PKCS#8 wrapper) is not accepted either.
    assert_incorrect_fixture(
        KeySpec::EccNistP256,
        "ec_p256.sec1.der",
        "not a DER-encoded PKCS#8 (RFC 5208) private key",
    );
}

// ---------------------------------------------------------------------------------------------
// Encodings.

#[test]
fn ber_forms_that_are_not_der_are_rejected() {
    let reason = "not a DER-encoded PKCS#8 (RFC 5208) private key";
    for name in [
        "ber_p256_long_length.der",
        "ber_p256_indefinite_length.der",
        "ber_p256_inner_long_length.der",
        "ber_p256_constructed_octet_string.der",
    ] {
        assert_incorrect_fixture(KeySpec::EccNistP256, name, reason);
    }
    assert_incorrect_fixture(KeySpec::Rsa2048, "ber_rsa_2048_long_length.der", reason);
}

#[test]
fn truncated_and_trailing_bytes_are_rejected() {
    let reason = "not a DER-encoded PKCS#8 (RFC 5208) private key";
    assert_incorrect_fixture(KeySpec::EccNistP256, "truncated_p256.der", reason);
    assert_incorrect_fixture(KeySpec::EccNistP256, "trailing_p256.der", reason);
    assert_incorrect_fixture(KeySpec::Rsa2048, "truncated_rsa_2048.der", reason);
    assert_incorrect_fixture(KeySpec::Rsa2048, "trailing_rsa_2048.der", reason);
}

#[test]
fn pkcs8_version_2_is_not_rfc5208_and_is_rejected() {
    assert_incorrect_fixture(
        KeySpec::EccNistP256,
        "ec_p256_v2.der",
        "not a DER-encoded PKCS#8 (RFC 5208) private key",
    );
}

// ---------------------------------------------------------------------------------------------
// Secrets stay out of Debug and messages.

#[test]
fn debug_output_is_redacted() {
    let sym = validate(KeySpec::SymmetricDefault, &[0xAB; 32]).unwrap();
    for s in [
        format!("{sym:?}"),
        format!("{:?}", sym.symmetric_key().unwrap()),
    ] {
        assert!(
            !s.to_lowercase().contains("ab") && !s.contains("171"),
            "{s}"
        );
        assert!(s.contains("redacted"), "{s}");
    }
    let ec = valid(KeySpec::EccNistP256, "ec_p256.der");
    let s = format!("{ec:?}");
    assert!(
        s.contains("ECC_NIST_P256") && s.contains("<redacted>"),
        "{s}"
    );
    assert!(s.len() < 100, "{s}");
}

// ---------------------------------------------------------------------------------------------
// The private key handed out for the embedder's cryptography is the validated key.

#[test]
fn handed_out_private_keys_are_the_keys_whose_public_key_is_shown() {
    use pkcs8::{DecodePrivateKey, EncodePublicKey};
    for name in ["rsa_2048.der", "rsa_2048_e3.der"] {
        let v = valid(KeySpec::Rsa2048, name);
        let der = v.rsa_private_key_der().expect("RSA key");
        let key = rsa::RsaPrivateKey::from_pkcs8_der(&der).expect("handed-out RSA key parses");
        let spki = key.to_public_key().to_public_key_der().unwrap();
        assert_eq!(spki.as_bytes(), v.public_key_spki_der().unwrap(), "{name}");
        assert!(v.ecc_private_scalar().is_none() && v.hmac_key().is_none());
    }
    let cases: [(KeySpec, &str, usize); 4] = [
        (KeySpec::EccNistP256, "ec_p256.der", 32),
        (KeySpec::EccNistP384, "ec_p384_compressed.der", 48),
        (KeySpec::EccNistP521, "ec_p521_hybrid.der", 66),
        (KeySpec::EccSecgP256k1, "ec_k256_params.der", 32),
    ];
    for (spec, name, len) in cases {
        let v = valid(spec, name);
        let scalar = v.ecc_private_scalar().expect("ECC scalar");
        assert_eq!(scalar.len(), len, "{name}");
        let spki = match spec {
            KeySpec::EccNistP256 => p256::SecretKey::from_slice(&scalar)
                .unwrap()
                .public_key()
                .to_public_key_der(),
            KeySpec::EccNistP384 => p384::SecretKey::from_slice(&scalar)
                .unwrap()
                .public_key()
                .to_public_key_der(),
            KeySpec::EccNistP521 => p521::SecretKey::from_slice(&scalar)
                .unwrap()
                .public_key()
                .to_public_key_der(),
            _ => k256::SecretKey::from_slice(&scalar)
                .unwrap()
                .public_key()
                .to_public_key_der(),
        }
        .unwrap();
        assert_eq!(spki.as_bytes(), v.public_key_spki_der().unwrap(), "{name}");
        assert!(v.rsa_private_key_der().is_none() && v.hmac_key().is_none());
    }
}

// ---------------------------------------------------------------------------------------------
// Robustness: arbitrary input never panics and only yields the errors the spec names.

fn outcome_is_allowed(spec: KeySpec, result: &Result<ValidatedMaterial, Error>) -> bool {
    match result {
        Ok(v) => v.key_spec() == spec,
        Err(e) if spec.is_importable() => {
            e.code() == "IncorrectKeyMaterialException"
                && REASONS.iter().any(|r| e.message() == message_for(spec, r))
        }
        Err(e) => e.code() == "UnsupportedOperationException",
    }
}

fn proptest_config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(proptest_config(256))]

    #[test]
    fn arbitrary_bytes_never_panic_for_any_spec(bytes in proptest::collection::vec(any::<u8>(), 0..700)) {
        for spec in KeySpec::ALL.iter().copied() {
            let result = validate(spec, &bytes);
            prop_assert!(outcome_is_allowed(spec, &result), "{spec}: {result:?}");
        }
    }

    #[test]
    fn mutated_fixtures_never_panic(
        which in 0usize..5,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..4),
    ) {
        let (spec, name) = [
            (KeySpec::EccNistP256, "ec_p256.der"),
            (KeySpec::EccNistP521, "ec_p521_hybrid.der"),
            (KeySpec::EccSecgP256k1, "ec_k256_params.der"),
            (KeySpec::EccNistP384, "ec_p384_compressed.der"),
            (KeySpec::Rsa2048, "rsa_2048.der"),
        ][which];
        let mut bytes = fixture(name);
        for (at, value, op) in edits {
            let i = at.index(bytes.len());
            match op {
                0 => bytes[i] ^= value | 1,
                1 => bytes.insert(i, value),
                _ => { bytes.remove(i); }
            }
        }
        for spec in [spec, KeySpec::Rsa2048, KeySpec::EccNistP256] {
            let result = validate(spec, &bytes);
            prop_assert!(outcome_is_allowed(spec, &result), "{spec}: {result:?}");
        }
    }
}

/// DER TLV with a minimal length.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let be = len.to_be_bytes();
        let skip = be.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (be.len() - skip) as u8);
        out.extend_from_slice(&be[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// A DER INTEGER holding the unsigned big-endian `value`.
fn der_uint(value: &[u8]) -> Vec<u8> {
    let start = value.iter().take_while(|b| **b == 0).count();
    let mut body = value[start..].to_vec();
    if body.first().is_none_or(|b| b & 0x80 != 0) {
        body.insert(0, 0);
    }
    tlv(0x02, &body)
}

fn rsa_pkcs8(components: &[Vec<u8>]) -> Vec<u8> {
    let mut inner = tlv(0x02, &[0]);
    for c in components {
        inner.extend(der_uint(c));
    }
    let alg = tlv(
        0x30,
        &[
            tlv(
                0x06,
                &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01],
            ),
            vec![0x05, 0x00],
        ]
        .concat(),
    );
    tlv(
        0x30,
        &[tlv(0x02, &[0]), alg, tlv(0x04, &tlv(0x30, &inner))].concat(),
    )
}

proptest! {
    #![proptest_config(proptest_config(64))]

    /// Well-formed DER with random RSA numbers reaches the arithmetic checks.
    #[test]
    fn random_rsa_components_never_panic(
        mut n in proptest::collection::vec(any::<u8>(), 256),
        e in proptest::collection::vec(any::<u8>(), 0..6),
        rest in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..260), 6),
    ) {
        n[0] |= 0x80;
        n[255] |= 1;
        let mut components = vec![n, e];
        components.extend(rest);
        let result = validate(KeySpec::Rsa2048, &rsa_pkcs8(&components));
        prop_assert!(outcome_is_allowed(KeySpec::Rsa2048, &result), "{result:?}");
        prop_assert!(result.is_err());
    }

    /// Well-formed DER with a random scalar and random point bytes reaches the curve checks.
    #[test]
    fn random_ec_scalars_and_points_never_panic(
        scalar in proptest::collection::vec(any::<u8>(), 30..34),
        tag in prop::sample::select(vec![0u8, 2, 3, 4, 5, 6, 7]),
        point in proptest::collection::vec(any::<u8>(), 0..70),
    ) {
        let p256 = tlv(0x06, &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]);
        let ec_public_key = tlv(0x06, &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]);
        let bits = tlv(0x03, &[&[0u8, tag][..], &point].concat());
        let sec1 = tlv(0x30, &[tlv(0x02, &[1]), tlv(0x04, &scalar), tlv(0xa1, &bits)].concat());
        let der = tlv(0x30, &[tlv(0x02, &[0]), tlv(0x30, &[ec_public_key, p256].concat()), tlv(0x04, &sec1)].concat());
        let result = validate(KeySpec::EccNistP256, &der);
        prop_assert!(outcome_is_allowed(KeySpec::EccNistP256, &result), "{result:?}");
    }
}
