//! Key-material validation per key spec (spec §8) and the use of validated material: public keys
//! as DER SPKI, HMAC, RSA and ECDSA signatures, RSAES-OAEP. Fixtures are in
//! `tests/data/material/` (see its README); interoperability checks run the `openssl` CLI.

use std::path::PathBuf;
use std::process::Command;

use kms_import::{AwsName, Error, KeyMaterial, KeySpec, ValidatedMaterial, validate_material};
use kms_import::{EncryptionAlgorithmSpec, MacAlgorithmSpec, MessageType, SigningAlgorithmSpec};
use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sha2::{Digest, Sha256, Sha384, Sha512};

fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/material")
        .join(name)
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture_path(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

fn validate(spec: KeySpec, bytes: &[u8]) -> Result<ValidatedMaterial, Error> {
    validate_material(spec, &KeyMaterial::new(bytes.to_vec()))
}

fn valid(spec: KeySpec, name: &str) -> ValidatedMaterial {
    validate(spec, &fixture(name)).unwrap_or_else(|e| panic!("{name} as {spec}: {e}"))
}

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

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
        (KeySpec::Hmac224, 28, MacAlgorithmSpec::HmacSha224),
        (KeySpec::Hmac256, 32, MacAlgorithmSpec::HmacSha256),
        (KeySpec::Hmac384, 48, MacAlgorithmSpec::HmacSha384),
        (KeySpec::Hmac512, 64, MacAlgorithmSpec::HmacSha512),
    ];
    for (spec, min, alg) in table {
        for len in [min, min + 1, 127, 128] {
            let v =
                validate(spec, &vec![0x5a; len]).unwrap_or_else(|e| panic!("{spec} {len}: {e}"));
            assert_eq!(v.mac_algorithm(), Some(alg));
            assert_eq!(v.public_key_spki_der(), None);
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
// HMAC use.

#[test]
fn hmac_matches_openssl_and_verifies_in_both_directions() {
    let table = [
        (KeySpec::Hmac224, MacAlgorithmSpec::HmacSha224, "sha224", 28),
        (
            KeySpec::Hmac256,
            MacAlgorithmSpec::HmacSha256,
            "sha256",
            100,
        ),
        (KeySpec::Hmac384, MacAlgorithmSpec::HmacSha384, "sha384", 48),
        (
            KeySpec::Hmac512,
            MacAlgorithmSpec::HmacSha512,
            "sha512",
            128,
        ),
    ];
    let dir = scratch("hmac");
    let message = b"GenerateMac message";
    let msg_path = dir.join("msg");
    std::fs::write(&msg_path, message).unwrap();
    for (spec, alg, md, len) in table {
        let key: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
        let v = validate(spec, &key).unwrap();
        let mac = v.mac(alg, message).unwrap();
        let hexkey: String = key.iter().map(|b| format!("{b:02x}")).collect();
        let expected = openssl(&[
            "dgst",
            &format!("-{md}"),
            "-mac",
            "HMAC",
            "-macopt",
            &format!("hexkey:{hexkey}"),
            "-binary",
            msg_path.to_str().unwrap(),
        ]);
        assert_eq!(mac, expected, "{spec}");
        assert!(v.verify_mac(alg, message, &mac).unwrap());
        assert!(!v.verify_mac(alg, b"another message", &mac).unwrap());
        let mut bad = mac.clone();
        bad[0] ^= 1;
        assert!(!v.verify_mac(alg, message, &bad).unwrap());
        assert!(!v.verify_mac(alg, message, &mac[..mac.len() - 1]).unwrap());
        assert!(!v.verify_mac(alg, message, &[]).unwrap());
    }
}

#[test]
fn hmac_key_only_takes_its_own_algorithm() {
    let v = validate(KeySpec::Hmac256, &[1; 32]).unwrap();
    for alg in [
        MacAlgorithmSpec::HmacSha224,
        MacAlgorithmSpec::HmacSha384,
        MacAlgorithmSpec::HmacSha512,
    ] {
        assert_eq!(
            v.mac(alg, b"m").unwrap_err().code(),
            "InvalidKeyUsageException"
        );
        assert_eq!(
            v.verify_mac(alg, b"m", &[0; 32]).unwrap_err().code(),
            "InvalidKeyUsageException"
        );
    }
    let e = v
        .sign(
            SigningAlgorithmSpec::EcdsaSha256,
            MessageType::Raw,
            b"m",
            &mut rng(1),
        )
        .unwrap_err();
    assert_eq!(e.code(), "InvalidKeyUsageException");
    assert_eq!(
        v.symmetric_key().unwrap_err().code(),
        "InvalidKeyUsageException"
    );
    // And other keys take no MAC algorithm at all.
    let sym = validate(KeySpec::SymmetricDefault, &[1; 32]).unwrap();
    let e = sym.mac(MacAlgorithmSpec::HmacSha256, b"m").unwrap_err();
    assert_eq!(e.code(), "InvalidKeyUsageException");
}

// ---------------------------------------------------------------------------------------------
// RSA use.

const RSA_SIGNING: [(SigningAlgorithmSpec, &str, bool); 6] = [
    (SigningAlgorithmSpec::RsassaPssSha256, "sha256", true),
    (SigningAlgorithmSpec::RsassaPssSha384, "sha384", true),
    (SigningAlgorithmSpec::RsassaPssSha512, "sha512", true),
    (SigningAlgorithmSpec::RsassaPkcs1V15Sha256, "sha256", false),
    (SigningAlgorithmSpec::RsassaPkcs1V15Sha384, "sha384", false),
    (SigningAlgorithmSpec::RsassaPkcs1V15Sha512, "sha512", false),
];

fn hash(md: &str, message: &[u8]) -> Vec<u8> {
    match md {
        "sha256" => Sha256::digest(message).to_vec(),
        "sha384" => Sha384::digest(message).to_vec(),
        "sha512" => Sha512::digest(message).to_vec(),
        _ => unreachable!(),
    }
}

#[test]
fn rsa_signatures_verify_with_openssl_pss_salt_equal_to_hash_length() {
    let v = valid(KeySpec::Rsa2048, "rsa_2048.der");
    let spki = fixture_path("rsa_2048.spki.der");
    let dir = scratch("rsa-sign");
    let message = b"message signed by an imported RSA key";
    let mut r = rng(7);
    for (alg, md, pss) in RSA_SIGNING {
        let signature = v.sign(alg, MessageType::Raw, message, &mut r).unwrap();
        assert_eq!(signature.len(), 256);
        let digest = hash(md, message);
        let digest_path = dir.join("digest");
        std::fs::write(&digest_path, &digest).unwrap();
        let mut opts = vec![format!("digest:{md}")];
        if pss {
            opts.push("rsa_padding_mode:pss".into());
            opts.push(format!("rsa_pss_saltlen:{}", digest.len()));
        } else {
            opts.push("rsa_padding_mode:pkcs1".into());
        }
        let verify = |sig: &[u8]| {
            let sig_path = dir.join("sig");
            std::fs::write(&sig_path, sig).unwrap();
            let mut args = vec![
                "pkeyutl".to_string(),
                "-verify".into(),
                "-pubin".into(),
                "-keyform".into(),
                "DER".into(),
                "-inkey".into(),
                spki.to_str().unwrap().into(),
                "-in".into(),
                digest_path.to_str().unwrap().into(),
                "-sigfile".into(),
                sig_path.to_str().unwrap().into(),
            ];
            for o in &opts {
                args.push("-pkeyopt".into());
                args.push(o.clone());
            }
            openssl_succeeds(&args)
        };
        assert!(verify(&signature), "openssl rejected {alg}");
        let mut bad = signature.clone();
        bad[100] ^= 0x10;
        assert!(!verify(&bad), "openssl accepted a damaged {alg} signature");
    }
}

#[test]
fn rsa_pkcs1_signature_of_a_digest_equals_openssls() {
    // PKCS#1 v1.5 signatures are deterministic, so the bytes must equal OpenSSL's.
    let v = valid(KeySpec::Rsa2048, "rsa_2048.der");
    let dir = scratch("rsa-pkcs1");
    let digest = Sha384::digest(b"DIGEST message type").to_vec();
    let digest_path = dir.join("digest");
    std::fs::write(&digest_path, &digest).unwrap();
    let ours = v
        .sign(
            SigningAlgorithmSpec::RsassaPkcs1V15Sha384,
            MessageType::Digest,
            &digest,
            &mut rng(3),
        )
        .unwrap();
    let theirs = openssl(&[
        "pkeyutl",
        "-sign",
        "-keyform",
        "DER",
        "-inkey",
        fixture_path("rsa_2048.der").to_str().unwrap(),
        "-in",
        digest_path.to_str().unwrap(),
        "-pkeyopt",
        "digest:sha384",
        "-pkeyopt",
        "rsa_padding_mode:pkcs1",
    ]);
    assert_eq!(ours, theirs);
}

#[test]
fn rsa_sign_and_verify_round_trip_for_raw_and_digest_messages() {
    let v = valid(KeySpec::Rsa3072, "rsa_3072.der");
    assert_eq!(v.signing_algorithms().len(), 6);
    let message = b"round trip";
    for (alg, md, _) in RSA_SIGNING {
        let raw = v
            .sign(alg, MessageType::Raw, message, &mut rng(11))
            .unwrap();
        let digest = hash(md, message);
        assert!(
            v.verify(alg, MessageType::Raw, message, &raw).unwrap(),
            "{alg}"
        );
        assert!(
            v.verify(alg, MessageType::Digest, &digest, &raw).unwrap(),
            "{alg}"
        );
        let from_digest = v
            .sign(alg, MessageType::Digest, &digest, &mut rng(12))
            .unwrap();
        assert!(
            v.verify(alg, MessageType::Raw, message, &from_digest)
                .unwrap(),
            "{alg}"
        );
        assert!(
            !v.verify(alg, MessageType::Raw, b"other message", &raw)
                .unwrap(),
            "{alg}"
        );
        assert!(
            !v.verify(alg, MessageType::Raw, message, &raw[1..]).unwrap(),
            "{alg}"
        );
        assert!(
            !v.verify(alg, MessageType::Raw, message, &[]).unwrap(),
            "{alg}"
        );
    }
}

#[test]
fn digest_message_must_have_the_hash_length() {
    let rsa = valid(KeySpec::Rsa2048, "rsa_2048.der");
    let ec = valid(KeySpec::EccNistP384, "ec_p384.der");
    let cases = [
        (&rsa, SigningAlgorithmSpec::RsassaPssSha256, 32),
        (&rsa, SigningAlgorithmSpec::RsassaPkcs1V15Sha512, 64),
        (&ec, SigningAlgorithmSpec::EcdsaSha384, 48),
    ];
    for (v, alg, len) in cases {
        for bad in [0, len - 1, len + 1, 2 * len] {
            let e = v
                .sign(alg, MessageType::Digest, &vec![1; bad], &mut rng(1))
                .unwrap_err();
            assert_eq!(e.code(), "ValidationException", "{alg} {bad}");
            let e = v
                .verify(alg, MessageType::Digest, &vec![1; bad], &[0; 8])
                .unwrap_err();
            assert_eq!(e.code(), "ValidationException", "{alg} {bad}");
        }
        assert!(
            v.sign(alg, MessageType::Digest, &vec![1; len], &mut rng(1))
                .is_ok()
        );
    }
}

#[test]
fn rsa_key_rejects_ecdsa_and_ecc_key_rejects_rsa_algorithms() {
    let rsa = valid(KeySpec::Rsa2048, "rsa_2048.der");
    for alg in [
        SigningAlgorithmSpec::EcdsaSha256,
        SigningAlgorithmSpec::Sm2dsa,
        SigningAlgorithmSpec::MlDsaShake256,
    ] {
        let e = rsa
            .sign(alg, MessageType::Raw, b"m", &mut rng(1))
            .unwrap_err();
        assert_eq!(e.code(), "InvalidKeyUsageException", "{alg}");
        assert!(e.message().contains(alg.as_str()) && e.message().contains("RSA_2048"));
    }
    let ec = valid(KeySpec::EccNistP256, "ec_p256.der");
    for alg in [
        SigningAlgorithmSpec::RsassaPssSha256,
        SigningAlgorithmSpec::EcdsaSha384,
        SigningAlgorithmSpec::EcdsaSha512,
    ] {
        let e = ec
            .sign(alg, MessageType::Raw, b"m", &mut rng(1))
            .unwrap_err();
        assert_eq!(e.code(), "InvalidKeyUsageException", "{alg}");
        let e = ec
            .verify(alg, MessageType::Raw, b"m", &[0; 70])
            .unwrap_err();
        assert_eq!(e.code(), "InvalidKeyUsageException", "{alg}");
    }
}

#[test]
fn rsa_oaep_decrypts_openssl_ciphertext_and_round_trips() {
    let v = valid(KeySpec::Rsa2048, "rsa_2048.der");
    let dir = scratch("rsa-oaep");
    let plaintext = b"thirty-two bytes of plaintext!!!";
    let pt_path = dir.join("pt");
    std::fs::write(&pt_path, plaintext).unwrap();
    for (alg, md) in [
        (EncryptionAlgorithmSpec::RsaesOaepSha1, "sha1"),
        (EncryptionAlgorithmSpec::RsaesOaepSha256, "sha256"),
    ] {
        let ciphertext = openssl(&[
            "pkeyutl",
            "-encrypt",
            "-pubin",
            "-keyform",
            "DER",
            "-inkey",
            fixture_path("rsa_2048.spki.der").to_str().unwrap(),
            "-in",
            pt_path.to_str().unwrap(),
            "-pkeyopt",
            "rsa_padding_mode:oaep",
            "-pkeyopt",
            &format!("rsa_oaep_md:{md}"),
            "-pkeyopt",
            &format!("rsa_mgf1_md:{md}"),
        ]);
        let mut r = rng(5);
        assert_eq!(
            &v.decrypt(alg, &ciphertext, &mut r).unwrap()[..],
            plaintext,
            "{alg}"
        );
        let ours = v.encrypt(alg, plaintext, &mut r).unwrap();
        assert_eq!(
            &v.decrypt(alg, &ours, &mut r).unwrap()[..],
            plaintext,
            "{alg}"
        );

        let mut bad = ciphertext.clone();
        bad[10] ^= 1;
        for c in [&bad[..], &ciphertext[1..], &[][..]] {
            let e = v.decrypt(alg, c, &mut r).unwrap_err();
            assert_eq!(e, Error::InvalidCiphertext, "{alg}");
        }
    }
    // The other OAEP variant does not decrypt it.
    let c = v
        .encrypt(
            EncryptionAlgorithmSpec::RsaesOaepSha1,
            plaintext,
            &mut rng(6),
        )
        .unwrap();
    let e = v
        .decrypt(EncryptionAlgorithmSpec::RsaesOaepSha256, &c, &mut rng(6))
        .unwrap_err();
    assert_eq!(e, Error::InvalidCiphertext);
    // 2048-bit OAEP-SHA-256 holds at most 256 - 2*32 - 2 = 190 bytes.
    let mut r = rng(8);
    assert!(
        v.encrypt(EncryptionAlgorithmSpec::RsaesOaepSha256, &[0; 190], &mut r)
            .is_ok()
    );
    let e = v
        .encrypt(EncryptionAlgorithmSpec::RsaesOaepSha256, &[0; 191], &mut r)
        .unwrap_err();
    assert_eq!(e.code(), "ValidationException");
}

#[test]
fn encryption_needs_an_rsa_key_and_an_oaep_algorithm() {
    let mut r = rng(9);
    let rsa = valid(KeySpec::Rsa2048, "rsa_2048.der");
    for alg in [
        EncryptionAlgorithmSpec::SymmetricDefault,
        EncryptionAlgorithmSpec::Sm2pke,
    ] {
        assert_eq!(
            rsa.encrypt(alg, b"x", &mut r).unwrap_err().code(),
            "InvalidKeyUsageException"
        );
        assert_eq!(
            rsa.decrypt(alg, &[0; 256], &mut r).unwrap_err().code(),
            "InvalidKeyUsageException"
        );
    }
    let ec = valid(KeySpec::EccNistP256, "ec_p256.der");
    let e = ec
        .encrypt(EncryptionAlgorithmSpec::RsaesOaepSha256, b"x", &mut r)
        .unwrap_err();
    assert_eq!(e.code(), "InvalidKeyUsageException");
    let sym = validate(KeySpec::SymmetricDefault, &[3; 32]).unwrap();
    let e = sym
        .encrypt(EncryptionAlgorithmSpec::SymmetricDefault, b"x", &mut r)
        .unwrap_err();
    assert_eq!(e.code(), "UnsupportedOperationException");
    assert!(sym.encryption_algorithms().is_empty() && sym.signing_algorithms().is_empty());
}

// ---------------------------------------------------------------------------------------------
// ECDSA use.

const ECDSA: [(KeySpec, &str, SigningAlgorithmSpec, &str); 4] = [
    (
        KeySpec::EccNistP256,
        "p256",
        SigningAlgorithmSpec::EcdsaSha256,
        "sha256",
    ),
    (
        KeySpec::EccNistP384,
        "p384",
        SigningAlgorithmSpec::EcdsaSha384,
        "sha384",
    ),
    (
        KeySpec::EccNistP521,
        "p521",
        SigningAlgorithmSpec::EcdsaSha512,
        "sha512",
    ),
    (
        KeySpec::EccSecgP256k1,
        "k256",
        SigningAlgorithmSpec::EcdsaSha256,
        "sha256",
    ),
];

#[test]
fn ecdsa_signatures_verify_with_openssl_on_every_curve() {
    let dir = scratch("ecdsa");
    let message = b"message signed by an imported EC key";
    let msg_path = dir.join("msg");
    std::fs::write(&msg_path, message).unwrap();
    for (spec, name, alg, md) in ECDSA {
        let v = valid(spec, &format!("ec_{name}.der"));
        assert_eq!(v.signing_algorithms(), &[alg]);
        let signature = v
            .sign(alg, MessageType::Raw, message, &mut rng(21))
            .unwrap();
        let spki = fixture_path(&format!("ec_{name}.spki.der"));
        let verify = |sig: &[u8]| {
            let sig_path = dir.join("sig");
            std::fs::write(&sig_path, sig).unwrap();
            openssl_succeeds(&[
                "dgst".to_string(),
                format!("-{md}"),
                "-verify".into(),
                spki.to_str().unwrap().into(),
                "-keyform".into(),
                "DER".into(),
                "-signature".into(),
                sig_path.to_str().unwrap().into(),
                msg_path.to_str().unwrap().into(),
            ])
        };
        assert!(verify(&signature), "openssl rejected {spec}");
        let mut bad = signature.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert!(!verify(&bad), "openssl accepted a damaged {spec} signature");
    }
}

#[test]
fn ecdsa_verifies_openssl_signatures_on_every_curve() {
    let dir = scratch("ecdsa-openssl");
    let message = b"signed by openssl";
    let msg_path = dir.join("msg");
    std::fs::write(&msg_path, message).unwrap();
    for (spec, name, alg, md) in ECDSA {
        let v = valid(spec, &format!("ec_{name}_compressed.der"));
        let signature = openssl(&[
            "dgst",
            &format!("-{md}"),
            "-sign",
            fixture_path(&format!("ec_{name}.der")).to_str().unwrap(),
            "-keyform",
            "DER",
            msg_path.to_str().unwrap(),
        ]);
        assert!(
            v.verify(alg, MessageType::Raw, message, &signature)
                .unwrap(),
            "{spec}"
        );
        assert!(
            !v.verify(alg, MessageType::Raw, b"signed by someone", &signature)
                .unwrap()
        );
    }
}

#[test]
fn ecdsa_round_trips_for_raw_and_digest_and_rejects_garbage() {
    for (spec, name, alg, md) in ECDSA {
        let v = valid(spec, &format!("ec_{name}_nopub.der"));
        let message = b"round trip";
        let digest = hash(md, message);
        let sig = v
            .sign(alg, MessageType::Digest, &digest, &mut rng(31))
            .unwrap();
        assert!(
            v.verify(alg, MessageType::Raw, message, &sig).unwrap(),
            "{spec}"
        );
        assert!(
            v.verify(alg, MessageType::Digest, &digest, &sig).unwrap(),
            "{spec}"
        );
        let sig = v
            .sign(alg, MessageType::Raw, message, &mut rng(32))
            .unwrap();
        assert!(
            v.verify(alg, MessageType::Digest, &digest, &sig).unwrap(),
            "{spec}"
        );
        for garbage in [&[][..], &[0x30, 0x00], &sig[..sig.len() - 1], &[0xff; 72]] {
            assert!(
                !v.verify(alg, MessageType::Raw, message, garbage).unwrap(),
                "{spec}"
            );
        }
    }
}

#[test]
fn secp256k1_accepts_high_s_signatures_and_signs_low_s() {
    use k256::ecdsa::Signature;
    let v = valid(KeySpec::EccSecgP256k1, "ec_k256.der");
    let alg = SigningAlgorithmSpec::EcdsaSha256;
    let message = b"malleable";
    let der = v
        .sign(alg, MessageType::Raw, message, &mut rng(41))
        .unwrap();
    let low = Signature::from_der(&der).unwrap();
    assert!(
        low.normalize_s() == low,
        "signing produced a high-S signature"
    );
    let (r, s) = low.split_scalars();
    let high = Signature::from_scalars(r.to_bytes(), (-*s.as_ref()).to_bytes()).unwrap();
    assert!(high != low);
    assert!(
        v.verify(alg, MessageType::Raw, message, &high.to_der().to_bytes())
            .unwrap()
    );
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

// ---------------------------------------------------------------------------------------------
// Helpers that run the openssl CLI.

/// A per-test scratch directory for openssl's input and output files, removed on drop.
struct Scratch(PathBuf);

impl std::ops::Deref for Scratch {
    type Target = PathBuf;
    fn deref(&self) -> &PathBuf {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn scratch(name: &str) -> Scratch {
    let dir =
        std::env::temp_dir().join(format!("kms-import-material-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    Scratch(dir)
}

/// Runs `openssl` and returns its stdout; the command must succeed.
fn openssl(args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("the openssl CLI must be installed for interoperability tests");
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Whether `openssl` exits successfully (for verification commands).
fn openssl_succeeds(args: &[String]) -> bool {
    Command::new("openssl")
        .args(args)
        .output()
        .expect("the openssl CLI must be installed for interoperability tests")
        .status
        .success()
}
