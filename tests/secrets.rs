//! No secret leaks through formatting or errors, and every secret-bearing type wipes itself.
//!
//! Every type that holds key material, an AES key or a private key is formatted with `{:?}` (and
//! `{}` where it implements `Display`), and so is every error of the secret paths (unwrap,
//! token opening, material validation, the whole import). None of the outputs may contain the
//! secret bytes as lowercase or uppercase hex, as a decimal byte list, or as base64.
#![cfg(feature = "serde")]

use kms_import::CheckedMaterial;
use kms_import::DisabledImportPolicy;
use kms_import::WrappingKeyPool;
use kms_import::wire::encode_error;
use kms_import::{CreateKeyParams, KeyRecord, MaterialImport};
use kms_import::{
    Error, Expiration, KeyMaterial, KeySpec, KeyUsage, Origin, SymmetricKey, ValidatedMaterial,
    WrappingAlgorithm, WrappingKeySpec, validate_material,
};
use kms_import::{ImportKeyMaterialRequest, ImportService};
use kms_import::{KeyContext, KeyId};
use kms_import::{SealingKey, SealingKeyId, SealingKeys};
use kms_import::{WrapPolicy, WrappingPrivateKey};
use kms_import_testkit::secrets::{assert_hides, assert_hides_debug, random_secret};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use time::{Duration, OffsetDateTime};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

const KEY_ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";

fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap()
}

fn context() -> KeyContext {
    KeyContext::new("aws", "us-east-1", "111122223333").unwrap()
}

fn data(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[track_caller]
fn assert_error_hides(e: &Error, secret: &[u8], what: &str) {
    assert_hides(&e.to_string(), secret, what);
    assert_hides_debug(e, secret, what);
    let (_, body) = encode_error(e);
    assert_hides(&String::from_utf8_lossy(&body), secret, what);
}

fn record(spec: KeySpec) -> KeyRecord {
    KeyRecord::create(
        &context(),
        KEY_ID.parse::<KeyId>().unwrap(),
        CreateKeyParams {
            key_spec: spec,
            key_usage: Some(spec.default_key_usage().unwrap_or(KeyUsage::SignVerify)),
            origin: Origin::External,
            description: None,
        },
        now(),
    )
    .unwrap()
}

fn materials() -> Vec<(KeySpec, Vec<u8>)> {
    let mut rng = ChaCha20Rng::seed_from_u64(11);
    vec![
        (KeySpec::SymmetricDefault, random_secret(&mut rng, 32)),
        (KeySpec::Hmac384, random_secret(&mut rng, 64)),
        (KeySpec::EccNistP256, data("material/ec_p256.der")),
        (KeySpec::EccNistP521, data("material/ec_p521.der")),
        (KeySpec::Rsa2048, data("material/rsa_2048.der")),
    ]
}

#[test]
fn key_material_and_validated_material_are_redacted() {
    for (spec, bytes) in materials() {
        let material = KeyMaterial::new(bytes.clone());
        assert_hides_debug(&material, &bytes, "KeyMaterial");
        let validated = validate_material(spec, &material).unwrap();
        assert_hides_debug(&validated, &bytes, "ValidatedMaterial");
        if let Ok(key) = validated.symmetric_key() {
            assert_hides_debug(key, &bytes, "SymmetricKey");
        }
    }
}

#[test]
fn wrapping_private_keys_and_pools_are_redacted() {
    for bits in [2048, 3072, 4096] {
        let der = data(&format!("wrapping_rsa_{bits}.pk8.der"));
        let key = WrappingPrivateKey::from_pkcs8_der(&der).unwrap();
        // The PKCS#8 encoding holds every private value; search for all of it.
        assert_hides_debug(&key, &der, "WrappingPrivateKey");
        for provider in kms_import::provider::available_providers() {
            let raw = provider.load_private_key_pkcs8_der(&der).unwrap();
            assert_hides_debug(&raw, &der, "WrappingPrivateKeyOps");
        }
        let mut pool = WrappingKeyPool::with_targets(1, 1, 1);
        pool.insert(key.clone());
        assert_hides_debug(&pool, &der, "WrappingKeyPool");
    }
}

#[test]
fn sealing_keys_token_claims_and_services_are_redacted() {
    let mut rng = ChaCha20Rng::seed_from_u64(12);
    let current = SealingKey::generate(&mut rng);
    let previous = SealingKey::from_bytes(
        SealingKeyId::from_bytes([9; 8]),
        random_secret(&mut rng, 32).try_into().unwrap(),
    );
    let secrets = [
        current.expose_secret().to_vec(),
        previous.expose_secret().to_vec(),
    ];
    let keys = SealingKeys::with_previous(current.clone(), vec![previous.clone()], 2).unwrap();
    let service = ImportService::new(context(), keys.clone());
    for secret in &secrets {
        assert_hides_debug(&current, secret, "SealingKey");
        assert_hides_debug(&previous, secret, "SealingKey");
        assert_hides_debug(&keys, secret, "SealingKeys");
        assert_hides_debug(&service, secret, "ImportService");
    }

    let der = data("wrapping_rsa_2048.pk8.der");
    let wrapping = WrappingPrivateKey::from_pkcs8_der(&der).unwrap();
    let arn = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let token = kms_import_testkit::issue_token(
        &keys,
        arn,
        &wrapping,
        WrappingAlgorithm::RsaesOaepSha256,
        now(),
        &mut rng,
    );
    let claims = keys.open(token.as_bytes(), arn, now()).unwrap();
    assert_hides_debug(&claims, &der, "TokenClaims");
    let encoded = wrapping.to_token_encoding().unwrap();
    assert_hides_debug(&claims, &encoded, "TokenClaims (token encoding)");
}

#[test]
fn records_with_material_are_redacted() {
    for (spec, bytes) in materials() {
        let mut record = record(spec);
        record
            .import_material(
                CheckedMaterial::check(record.key_spec(), KeyMaterial::new(bytes.clone())).unwrap(),
                MaterialImport {
                    expiration: Expiration::DoesNotExpire,
                    import_type: None,
                    key_material_id: None,
                    description: None,
                    disabled_import_policy: DisabledImportPolicy::default(),
                },
                now(),
            )
            .unwrap();
        assert_hides_debug(&record, &bytes, "KeyRecord");
        for m in record.materials() {
            assert_hides_debug(m, &bytes, "MaterialRecord");
        }
    }
}

#[test]
fn import_requests_are_redacted() {
    let mut rng = ChaCha20Rng::seed_from_u64(14);
    let key = WrappingPrivateKey::from_pkcs8_der(&data("wrapping_rsa_2048.pk8.der")).unwrap();
    let material = random_secret(&mut rng, 32);
    let wrapped = key
        .public_key()
        .wrap(
            WrappingAlgorithm::RsaesOaepSha256,
            &material,
            &WrapPolicy::new(),
            &mut rng,
        )
        .unwrap();
    let request = ImportKeyMaterialRequest::new(KEY_ID, vec![1; 64], wrapped.clone());
    assert_hides_debug(&request, &material, "ImportKeyMaterialRequest");
    assert_hides_debug(&request, &wrapped, "ImportKeyMaterialRequest (ciphertext)");
}

#[test]
fn unwrap_failures_do_not_show_keys_or_plaintexts() {
    let mut rng = ChaCha20Rng::seed_from_u64(15);
    let der = data("wrapping_rsa_2048.pk8.der");
    let key = WrappingPrivateKey::from_pkcs8_der(&der).unwrap();
    let policy = WrapPolicy::new().allow_legacy_rsaes_pkcs1_v1_5_insecure();
    let material = random_secret(&mut rng, 48);
    for algorithm in [
        WrappingAlgorithm::RsaesOaepSha1,
        WrappingAlgorithm::RsaesOaepSha256,
        WrappingAlgorithm::RsaAesKeyWrapSha1,
        WrappingAlgorithm::RsaAesKeyWrapSha256,
    ] {
        let mut blob = key
            .public_key()
            .wrap(algorithm, &material, &policy, &mut rng)
            .unwrap();
        let last = blob.len() - 1;
        blob[last] ^= 1;
        let e = key
            .for_algorithm(algorithm)
            .unwrap(&blob, &policy, &mut rng)
            .unwrap_err();
        assert_eq!(e, Error::InvalidCiphertext);
        assert_error_hides(&e, &material, "unwrap error");
        assert_error_hides(&e, &der, "unwrap error");
        let e = key
            .for_algorithm(algorithm)
            .unwrap(&blob[..100], &policy, &mut rng)
            .unwrap_err();
        assert_error_hides(&e, &der, "unwrap error");
    }
}

#[test]
fn token_failures_do_not_show_keys() {
    let mut rng = ChaCha20Rng::seed_from_u64(16);
    let sealing = SealingKey::generate(&mut rng);
    let secret = sealing.expose_secret().to_vec();
    let keys = SealingKeys::new(sealing);
    let der = data("wrapping_rsa_2048.pk8.der");
    let arn = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let wrapping = WrappingPrivateKey::from_pkcs8_der(&der).unwrap();
    let token = kms_import_testkit::issue_token(
        &keys,
        arn,
        &wrapping,
        WrappingAlgorithm::RsaesOaepSha256,
        now(),
        &mut rng,
    )
    .into_bytes();
    let mut tampered = token.clone();
    tampered[40] ^= 1;
    let errors = [
        keys.open(&tampered, arn, now()).unwrap_err(),
        keys.open(&token, "arn:aws:kms:us-east-1:111122223333:key/x", now())
            .unwrap_err(),
        keys.open(&token, arn, now() + Duration::days(2))
            .unwrap_err(),
        keys.open(&token[..30], arn, now()).unwrap_err(),
    ];
    for e in &errors {
        assert_error_hides(e, &secret, "token error");
        assert_error_hides(e, &der, "token error");
    }
}

#[test]
fn material_validation_failures_do_not_show_material() {
    let mut rng = ChaCha20Rng::seed_from_u64(17);
    let mut cases: Vec<(KeySpec, Vec<u8>)> = vec![
        (KeySpec::SymmetricDefault, random_secret(&mut rng, 31)),
        (KeySpec::SymmetricDefault, random_secret(&mut rng, 33)),
        (KeySpec::Hmac512, random_secret(&mut rng, 63)),
        (KeySpec::Hmac224, random_secret(&mut rng, 129)),
        (KeySpec::EccNistP384, data("material/ec_p256.der")),
        (KeySpec::Rsa3072, data("material/rsa_2048.der")),
        (KeySpec::Sm2, random_secret(&mut rng, 32)),
    ];
    for name in [
        "ec_p256_wrong_pub",
        "ec_p256_explicit",
        "trailing_p256",
        "truncated_p256",
        "rsa_2048_bad_qinv",
        "rsa_2048_3prime",
        "ber_rsa_2048_long_length",
    ] {
        let spec = if name.contains("rsa") {
            KeySpec::Rsa2048
        } else {
            KeySpec::EccNistP256
        };
        cases.push((spec, data(&format!("material/{name}.der"))));
    }
    for (spec, bytes) in cases {
        let e = validate_material(spec, &KeyMaterial::new(bytes.clone())).unwrap_err();
        assert_error_hides(&e, &bytes, "material error");
    }
}

#[test]
fn import_failures_do_not_show_material_or_keys() {
    let mut rng = ChaCha20Rng::seed_from_u64(18);
    let sealing = SealingKey::generate(&mut rng);
    let sealing_secret = sealing.expose_secret().to_vec();
    let service = ImportService::new(context(), SealingKeys::new(sealing));
    let der = data("wrapping_rsa_2048.pk8.der");
    let wrapping = WrappingPrivateKey::from_pkcs8_der(&der).unwrap();
    let mut record = record(KeySpec::SymmetricDefault);
    let mut pool = WrappingKeyPool::new();
    pool.insert(wrapping);
    let params = service
        .get_parameters_for_import(
            &mut record,
            &kms_import::GetParametersForImportRequest {
                key_id: KEY_ID.to_owned(),
                wrapping_algorithm: WrappingAlgorithm::RsaesOaepSha256,
                wrapping_key_spec: WrappingKeySpec::Rsa2048,
            },
            &mut pool,
            now(),
            &mut rng,
        )
        .into_result()
        .unwrap();
    assert_hides_debug(&params, &der, "GetParametersForImportResponse");
    assert_hides_debug(&params, &sealing_secret, "GetParametersForImportResponse");
    let public = kms_import::WrappingPublicKey::from_spki_der(&params.public_key).unwrap();
    let token = params.import_token.into_bytes();
    // Wrong length for the key spec (31 bytes), and an undecryptable blob.
    let short = random_secret(&mut rng, 31);
    let wrapped = public
        .wrap(
            WrappingAlgorithm::RsaesOaepSha256,
            &short,
            &WrapPolicy::new(),
            &mut rng,
        )
        .unwrap();
    let mut garbled = wrapped.clone();
    garbled[10] ^= 0x40;
    for blob in [wrapped, garbled] {
        let request = ImportKeyMaterialRequest::new(KEY_ID, token.clone(), blob)
            .expires_at(now() + Duration::days(1));
        let e = service
            .import_key_material(&mut record, &request, now(), &mut rng)
            .into_result()
            .unwrap_err();
        assert_error_hides(&e, &short, "import error");
        assert_error_hides(&e, &der, "import error");
        assert_error_hides(&e, &sealing_secret, "import error");
    }
}

fn zeroize_on_drop<T: ZeroizeOnDrop>() {}

#[test]
fn secret_bearing_types_zeroize_on_drop() {
    zeroize_on_drop::<KeyMaterial>();
    zeroize_on_drop::<SymmetricKey>();
    zeroize_on_drop::<ValidatedMaterial>();
    zeroize_on_drop::<SealingKey>();
    zeroize_on_drop::<kms_import::TokenClaims>();
    zeroize_on_drop::<WrappingPrivateKey>();
    // What the unwrap path hands back (the material, and inside RSA_AES the AES key and the
    // KWP output) is a `Zeroizing` buffer.
    zeroize_on_drop::<Zeroizing<Vec<u8>>>();
}

#[test]
fn zeroize_wipes_key_material_and_sealing_keys() {
    let mut material = KeyMaterial::new(vec![0xa5; 32]);
    material.zeroize();
    assert!(material.expose_secret().iter().all(|b| *b == 0));

    let mut sealing = SealingKey::from_bytes(SealingKeyId::from_bytes([1; 8]), [0x5a; 32]);
    sealing.zeroize();
    assert_eq!(sealing.expose_secret(), &[0u8; 32]);
}
