//! `kms-import import` against a kms-import-server on 127.0.0.1, through the AWS SDK for Rust,
//! for every importable key spec, both expiration models and, for symmetric keys, NEW and
//! EXISTING imports. Each import is proven by using the key: Encrypt/Decrypt, GenerateMac
//! compared with an HMAC computed here from the material, Sign verified here with the public
//! half of the material.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use aws_sdk_kms::Client;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{
    ExpirationModelType, KeySpec, KeyState, KeyUsageType, MacAlgorithmSpec, MessageType,
    OriginType, SigningAlgorithmSpec,
};
use common::{Scratch, cli_data, error_line, import_command, kms_client, repo_data, runtime};

/// Creates an EXTERNAL key of `spec` and returns its ARN.
fn create_key(kms: &Client, spec: KeySpec) -> String {
    let usage = match spec {
        KeySpec::SymmetricDefault => KeyUsageType::EncryptDecrypt,
        KeySpec::Hmac224 | KeySpec::Hmac256 | KeySpec::Hmac384 | KeySpec::Hmac512 => {
            KeyUsageType::GenerateVerifyMac
        }
        _ => KeyUsageType::SignVerify,
    };
    let out = runtime()
        .block_on(
            kms.create_key()
                .origin(OriginType::External)
                .key_spec(spec)
                .key_usage(usage)
                .send(),
        )
        .unwrap();
    let metadata = out.key_metadata().unwrap();
    assert_eq!(metadata.key_state(), Some(&KeyState::PendingImport));
    metadata.arn().unwrap().to_owned()
}

fn random(n: usize) -> Vec<u8> {
    let mut v = vec![0u8; n];
    getrandom::fill(&mut v).unwrap();
    v
}

/// Runs `kms-import import --key-id <key> --key-material <file> <extra>`.
fn import(key: &str, material: &Path, extra: &[&str]) -> Output {
    import_command()
        .arg("--key-id")
        .arg(key)
        .arg("--key-material")
        .arg(material)
        .args(extra)
        .output()
        .unwrap()
}

/// The success line: `<ARN> <state> KeyMaterialId=<id> ValidTo=<time|none>`.
struct Line {
    arn: String,
    state: String,
    material_id: String,
    valid_to: String,
}

fn success(out: &Output) -> Line {
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{stdout:?}");
    let fields: Vec<&str> = lines[0].split(' ').collect();
    assert_eq!(fields.len(), 4, "{stdout:?}");
    Line {
        arn: fields[0].to_owned(),
        state: fields[1].to_owned(),
        material_id: fields[2].strip_prefix("KeyMaterialId=").unwrap().to_owned(),
        valid_to: fields[3].strip_prefix("ValidTo=").unwrap().to_owned(),
    }
}

/// The two expiration models, as flags and as what DescribeKey must then say.
fn expiration_cases() -> Vec<(Vec<String>, ExpirationModelType, Option<String>)> {
    // A whole second, 30 days ahead, in the form the tool prints back.
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 30 * 86_400;
    let valid_to = aws_sdk_kms::primitives::DateTime::from_secs(secs as i64)
        .fmt(aws_sdk_kms::primitives::DateTimeFormat::DateTime)
        .unwrap();
    vec![
        (
            vec!["--valid-to".into(), valid_to.clone()],
            ExpirationModelType::KeyMaterialExpires,
            Some(valid_to),
        ),
        (
            vec!["--does-not-expire".into()],
            ExpirationModelType::KeyMaterialDoesNotExpire,
            None,
        ),
    ]
}

/// Checks the line and DescribeKey after an import.
fn check_imported(
    kms: &Client,
    arn: &str,
    line: &Line,
    model: &ExpirationModelType,
    valid_to: &Option<String>,
) {
    assert_eq!(line.arn, arn);
    assert_eq!(line.state, "Enabled");
    assert_eq!(
        line.valid_to,
        valid_to.clone().unwrap_or_else(|| "none".into())
    );
    let metadata = runtime()
        .block_on(kms.describe_key().key_id(arn).send())
        .unwrap()
        .key_metadata()
        .unwrap()
        .clone();
    assert_eq!(metadata.key_state(), Some(&KeyState::Enabled));
    assert_eq!(metadata.expiration_model(), Some(model));
    assert_eq!(
        metadata.valid_to().map(|t| t
            .fmt(aws_sdk_kms::primitives::DateTimeFormat::DateTime)
            .unwrap()),
        *valid_to
    );
}

fn encrypt_decrypt(kms: &Client, arn: &str) -> (Vec<u8>, Vec<u8>) {
    let plaintext = random(40);
    let rt = runtime();
    let ciphertext = rt
        .block_on(
            kms.encrypt()
                .key_id(arn)
                .plaintext(Blob::new(plaintext.clone()))
                .send(),
        )
        .unwrap()
        .ciphertext_blob()
        .unwrap()
        .as_ref()
        .to_vec();
    assert_eq!(decrypt(kms, arn, &ciphertext), plaintext);
    (plaintext, ciphertext)
}

fn decrypt(kms: &Client, arn: &str, ciphertext: &[u8]) -> Vec<u8> {
    runtime()
        .block_on(
            kms.decrypt()
                .key_id(arn)
                .ciphertext_blob(Blob::new(ciphertext.to_vec()))
                .send(),
        )
        .unwrap()
        .plaintext()
        .unwrap()
        .as_ref()
        .to_vec()
}

#[test]
fn symmetric_keys_import_with_both_expiration_models() {
    let kms = kms_client();
    for (flags, model, valid_to) in expiration_cases() {
        let arn = create_key(&kms, KeySpec::SymmetricDefault);
        let dir = Scratch::new("sym");
        let material = dir.write("material.bin", &random(32));
        let mut extra: Vec<&str> = flags.iter().map(String::as_str).collect();
        extra.extend(["--wrapping-key-spec", "RSA_2048"]);
        let line = success(&import(&arn, &material, &extra));
        check_imported(&kms, &arn, &line, &model, &valid_to);
        assert_eq!(line.material_id.len(), 64);
        encrypt_decrypt(&kms, &arn);
    }
}

#[test]
fn symmetric_keys_take_new_and_existing_imports() {
    let kms = kms_client();
    let rt = runtime();
    let arn = create_key(&kms, KeySpec::SymmetricDefault);
    let dir = Scratch::new("rotation");
    let first = dir.write("first.bin", &random(32));
    let second = dir.write("second.bin", &random(32));

    // First import, named NEW_KEY_MATERIAL explicitly, with a description.
    let line = success(&import(
        &arn,
        &first,
        &[
            "--import-type",
            "NEW_KEY_MATERIAL",
            "--key-material-description",
            "first material",
            "--wrapping-key-spec",
            "RSA_2048",
            "--does-not-expire",
        ],
    ));
    let first_id = line.material_id.clone();
    let described = rt.block_on(kms.describe_key().key_id(&arn).send()).unwrap();
    assert_eq!(
        described.key_metadata().unwrap().current_key_material_id(),
        Some(first_id.as_str())
    );
    let (plaintext, old_ciphertext) = encrypt_decrypt(&kms, &arn);

    // EXISTING with the same material and its id: accepted; old ciphertexts still decrypt.
    let line = success(&import(
        &arn,
        &first,
        &[
            "--import-type",
            "EXISTING_KEY_MATERIAL",
            "--key-material-id",
            &first_id,
            "--wrapping-key-spec",
            "RSA_2048",
        ],
    ));
    assert_eq!(line.material_id, first_id);
    assert_eq!(decrypt(&kms, &arn, &old_ciphertext), plaintext);

    // EXISTING with other material under that id: the endpoint refuses (an AWS error: 3).
    let out = import(
        &arn,
        &second,
        &[
            "--import-type",
            "EXISTING_KEY_MATERIAL",
            "--key-material-id",
            &first_id,
            "--wrapping-key-spec",
            "RSA_2048",
        ],
    );
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert!(
        error_line(&out).starts_with("error: IncorrectKeyMaterialException: "),
        "{out:?}"
    );

    // NEW_KEY_MATERIAL: a second material, pending rotation; the current one stays.
    let line = success(&import(
        &arn,
        &second,
        &[
            "--import-type",
            "NEW_KEY_MATERIAL",
            "--wrapping-key-spec",
            "RSA_2048",
        ],
    ));
    let second_id = line.material_id.clone();
    assert_ne!(second_id, first_id);
    assert_eq!(line.state, "Enabled");
    let described = rt.block_on(kms.describe_key().key_id(&arn).send()).unwrap();
    assert_eq!(
        described.key_metadata().unwrap().current_key_material_id(),
        Some(first_id.as_str())
    );
    // Rotating onto it makes it current; both materials decrypt their ciphertexts.
    rt.block_on(kms.rotate_key_on_demand().key_id(&arn).send())
        .unwrap();
    let described = rt.block_on(kms.describe_key().key_id(&arn).send()).unwrap();
    assert_eq!(
        described.key_metadata().unwrap().current_key_material_id(),
        Some(second_id.as_str())
    );
    encrypt_decrypt(&kms, &arn);
    assert_eq!(decrypt(&kms, &arn, &old_ciphertext), plaintext);
}

fn local_mac(spec: &KeySpec, key: &[u8], message: &[u8]) -> Vec<u8> {
    use hmac::{KeyInit, Mac};
    fn mac<M: Mac + KeyInit>(key: &[u8], message: &[u8]) -> Vec<u8> {
        let mut m = <M as KeyInit>::new_from_slice(key).unwrap();
        m.update(message);
        m.finalize().into_bytes().to_vec()
    }
    match spec {
        KeySpec::Hmac224 => mac::<hmac::Hmac<sha2::Sha224>>(key, message),
        KeySpec::Hmac256 => mac::<hmac::Hmac<sha2::Sha256>>(key, message),
        KeySpec::Hmac384 => mac::<hmac::Hmac<sha2::Sha384>>(key, message),
        _ => mac::<hmac::Hmac<sha2::Sha512>>(key, message),
    }
}

#[test]
fn hmac_keys_import_and_mac_as_the_material_does() {
    let kms = kms_client();
    let rt = runtime();
    let specs = [
        (KeySpec::Hmac224, MacAlgorithmSpec::HmacSha224, 28),
        (KeySpec::Hmac256, MacAlgorithmSpec::HmacSha256, 32),
        (KeySpec::Hmac384, MacAlgorithmSpec::HmacSha384, 48),
        (KeySpec::Hmac512, MacAlgorithmSpec::HmacSha512, 64),
    ];
    for (spec, alg, len) in specs {
        for (i, (flags, model, valid_to)) in expiration_cases().into_iter().enumerate() {
            let arn = create_key(&kms, spec.clone());
            let dir = Scratch::new("hmac");
            // Shortest allowed length for one model, the longest (128 bytes) for the other.
            let key = random(if i == 0 { len } else { 128 });
            let material = dir.write("material.bin", &key);
            let mut extra: Vec<&str> = flags.iter().map(String::as_str).collect();
            extra.extend(["--wrapping-key-spec", "RSA_2048"]);
            let line = success(&import(&arn, &material, &extra));
            check_imported(&kms, &arn, &line, &model, &valid_to);
            let message = random(100);
            let mac = rt
                .block_on(
                    kms.generate_mac()
                        .key_id(&arn)
                        .mac_algorithm(alg.clone())
                        .message(Blob::new(message.clone()))
                        .send(),
                )
                .unwrap()
                .mac()
                .unwrap()
                .as_ref()
                .to_vec();
            assert_eq!(mac, local_mac(&spec, &key, &message), "{spec:?}");
        }
    }
}

/// Verifies `signature` of `message` under the public half of the PKCS#8 DER private key
/// `pkcs8`, here, without the server.
fn verify_locally(
    spec: &KeySpec,
    pkcs8: &[u8],
    alg: &SigningAlgorithmSpec,
    message: &[u8],
    signature: &[u8],
) {
    use p256::ecdsa::signature::hazmat::PrehashVerifier;
    use p256::pkcs8::DecodePrivateKey;
    use sha2::Digest;
    match spec {
        KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096 => {
            let key = rsa::RsaPrivateKey::from_pkcs8_der(pkcs8).unwrap();
            let public = key.to_public_key();
            let digest = sha2::Sha256::digest(message);
            match alg {
                SigningAlgorithmSpec::RsassaPkcs1V15Sha256 => public
                    .verify(rsa::Pkcs1v15Sign::new::<sha2::Sha256>(), &digest, signature)
                    .unwrap(),
                _ => public
                    .verify(rsa::Pss::<sha2::Sha256>::new(), &digest, signature)
                    .unwrap(),
            }
        }
        KeySpec::EccNistP256 => {
            let sk = p256::SecretKey::from_pkcs8_der(pkcs8).unwrap();
            let vk = p256::ecdsa::VerifyingKey::from(sk.public_key());
            let sig = p256::ecdsa::Signature::from_der(signature).unwrap();
            vk.verify_prehash(&sha2::Sha256::digest(message), &sig)
                .unwrap();
        }
        KeySpec::EccNistP384 => {
            let sk = p384::SecretKey::from_pkcs8_der(pkcs8).unwrap();
            let vk = p384::ecdsa::VerifyingKey::from(sk.public_key());
            let sig = p384::ecdsa::Signature::from_der(signature).unwrap();
            vk.verify_prehash(&sha2::Sha384::digest(message), &sig)
                .unwrap();
        }
        KeySpec::EccNistP521 => {
            let sk = p521::SecretKey::from_pkcs8_der(pkcs8).unwrap();
            let vk = p521::ecdsa::VerifyingKey::from(sk.public_key());
            let sig = p521::ecdsa::Signature::from_der(signature).unwrap();
            vk.verify_prehash(&sha2::Sha512::digest(message), &sig)
                .unwrap();
        }
        KeySpec::EccSecgP256K1 => {
            let sk = k256::SecretKey::from_pkcs8_der(pkcs8).unwrap();
            let vk = k256::ecdsa::VerifyingKey::from(sk.public_key());
            let sig = k256::ecdsa::Signature::from_der(signature).unwrap();
            vk.verify_prehash(&sha2::Sha256::digest(message), &sig.normalize_s())
                .unwrap();
        }
        other => panic!("not a signing spec: {other:?}"),
    }
}

#[test]
fn asymmetric_keys_import_from_every_format_and_sign_as_the_material_does() {
    let kms = kms_client();
    let rt = runtime();
    let m = |f: &str| repo_data(&format!("material/{f}"));
    // (spec, signing algorithm, PKCS#8 DER of the key, one file per expiration model).
    let cases: Vec<(KeySpec, SigningAlgorithmSpec, PathBuf, [PathBuf; 2])> = vec![
        (
            KeySpec::Rsa2048,
            SigningAlgorithmSpec::RsassaPkcs1V15Sha256,
            m("rsa_2048.der"),
            [
                cli_data("rsa_2048.pkcs1.pem"),
                cli_data("rsa_2048.pkcs1.der"),
            ],
        ),
        (
            KeySpec::Rsa3072,
            SigningAlgorithmSpec::RsassaPssSha256,
            m("rsa_3072.der"),
            [m("rsa_3072.der"), m("rsa_3072.der")],
        ),
        (
            KeySpec::Rsa4096,
            SigningAlgorithmSpec::RsassaPkcs1V15Sha256,
            m("rsa_4096.der"),
            [m("rsa_4096.der"), m("rsa_4096.der")],
        ),
        (
            KeySpec::EccNistP256,
            SigningAlgorithmSpec::EcdsaSha256,
            m("ec_p256.der"),
            [cli_data("ec_p256.sec1.pem"), m("ec_p256.der")],
        ),
        (
            KeySpec::EccNistP384,
            SigningAlgorithmSpec::EcdsaSha384,
            m("ec_p384.der"),
            [m("ec_p384.sec1.der"), m("ec_p384_nopub.der")],
        ),
        (
            KeySpec::EccNistP521,
            SigningAlgorithmSpec::EcdsaSha512,
            m("ec_p521.der"),
            [cli_data("ec_p521.pk8.pem"), m("ec_p521.sec1.der")],
        ),
        (
            KeySpec::EccSecgP256K1,
            SigningAlgorithmSpec::EcdsaSha256,
            m("ec_k256.der"),
            [m("ec_k256.sec1.der"), m("ec_k256_compressed.der")],
        ),
    ];
    for (spec, alg, pkcs8, files) in cases {
        let pkcs8 = std::fs::read(pkcs8).unwrap();
        for ((flags, model, valid_to), file) in expiration_cases().into_iter().zip(files) {
            let arn = create_key(&kms, spec.clone());
            let mut extra: Vec<&str> = flags.iter().map(String::as_str).collect();
            extra.extend(["--wrapping-key-spec", "RSA_2048"]);
            let line = success(&import(&arn, &file, &extra));
            check_imported(&kms, &arn, &line, &model, &valid_to);
            let message = random(64);
            let signature = rt
                .block_on(
                    kms.sign()
                        .key_id(&arn)
                        .signing_algorithm(alg.clone())
                        .message_type(MessageType::Raw)
                        .message(Blob::new(message.clone()))
                        .send(),
                )
                .unwrap()
                .signature()
                .unwrap()
                .as_ref()
                .to_vec();
            verify_locally(&spec, &pkcs8, &alg, &message, &signature);
        }
    }
}
