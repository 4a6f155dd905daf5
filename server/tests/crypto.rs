//! The cryptographic use of validated material (kms-import hands out the key, the server runs
//! the algorithms): HMAC, RSA and ECDSA signatures, RSAES-OAEP, against the `openssl` CLI.
//! Fixtures are kms-import's (`tests/data/material/`).

use std::path::PathBuf;
use std::process::Command;

use kms_import::{Error, KeySpec};
use kms_import_server::crypto::MaterialCrypto;
use kms_import_server::names::{
    EncryptionAlgorithmSpec, MacAlgorithmSpec, MessageType, SigningAlgorithmSpec,
};
use kms_import_testkit::material::{fixture_path, valid, validate};
use kms_import_testkit::rng;
use sha2::{Digest, Sha256, Sha384, Sha512};

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
