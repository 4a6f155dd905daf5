//! The three import operations end to end: every error they list, token binding, rotation of
//! sealing keys, the 24-hour and 365-day boundaries, re-import rules, expiry, and random
//! operation sequences.

use kms_import::DisabledImportPolicy;
use kms_import::WrappingKeyPool;
use kms_import::{CreateKeyParams, KeyRecord};
use kms_import::{
    DeleteImportedKeyMaterialRequest, GetParametersForImportRequest,
    GetParametersForImportResponse, ImportKeyMaterialRequest, ImportService, usable_material,
};
use kms_import::{Error, KeySpec, KeyState, KeyUsage, Origin, WrappingAlgorithm, WrappingKeySpec};
use kms_import::{KeyContext, KeyId};
use kms_import::{SealingKey, SealingKeys};
use kms_import::{WrapPolicy, WrappingPrivateKey, WrappingPublicKey};
use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use time::{Duration, OffsetDateTime};

const OAEP256: WrappingAlgorithm = WrappingAlgorithm::RsaesOaepSha256;
const RSA2048: WrappingKeySpec = WrappingKeySpec::Rsa2048;

fn fixture_key(spec: WrappingKeySpec) -> WrappingPrivateKey {
    let bits = spec.modulus_bits().unwrap();
    let path = format!(
        "{}/tests/data/wrapping_rsa_{bits}.pk8.der",
        env!("CARGO_MANIFEST_DIR")
    );
    let der = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    WrappingPrivateKey::from_pkcs8_der(&der).unwrap()
}

fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap()
}

struct World {
    service: ImportService,
    pool: WrappingKeyPool,
    rng: ChaCha20Rng,
    now: OffsetDateTime,
}

impl World {
    fn new() -> World {
        World::with_service(|s| s)
    }

    fn with_service(configure: impl FnOnce(ImportService) -> ImportService) -> World {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let sealing = SealingKeys::new(SealingKey::generate(&mut rng));
        World {
            service: configure(ImportService::new(context(), sealing)),
            pool: WrappingKeyPool::new(),
            rng,
            now: t0(),
        }
    }

    fn create(&mut self, spec: KeySpec) -> KeyRecord {
        self.create_with_origin(spec, Origin::External)
    }

    fn create_with_origin(&mut self, spec: KeySpec, origin: Origin) -> KeyRecord {
        let usage = spec.default_key_usage().unwrap_or(KeyUsage::SignVerify);
        KeyRecord::create(
            self.service.context(),
            KeyId::random(&mut self.rng),
            CreateKeyParams {
                key_spec: spec,
                key_usage: Some(usage),
                origin,
                description: None,
            },
            self.now,
        )
        .unwrap()
    }

    fn params_with(
        &mut self,
        record: &mut KeyRecord,
        algorithm: WrappingAlgorithm,
        spec: WrappingKeySpec,
    ) -> Result<GetParametersForImportResponse, Error> {
        // Fixture keys keep the suite free of RSA key generation.
        self.pool.insert(fixture_key(spec));
        let request = GetParametersForImportRequest {
            key_id: record.key_id().to_string(),
            wrapping_algorithm: algorithm,
            wrapping_key_spec: spec,
        };
        self.service
            .get_parameters_for_import(record, &request, &mut self.pool, self.now, &mut self.rng)
            .into_result()
    }

    fn params(&mut self, record: &mut KeyRecord) -> GetParametersForImportResponse {
        self.params_with(record, OAEP256, RSA2048).unwrap()
    }

    fn wrap(
        &mut self,
        params: &GetParametersForImportResponse,
        alg: WrappingAlgorithm,
        material: &[u8],
    ) -> Vec<u8> {
        WrappingPublicKey::from_spki_der(&params.public_key)
            .unwrap()
            .wrap(alg, material, &WrapPolicy::new(), &mut self.rng)
            .unwrap()
    }

    fn request(
        &mut self,
        record: &KeyRecord,
        params: &GetParametersForImportResponse,
        material: &[u8],
    ) -> ImportKeyMaterialRequest {
        let wrapped = self.wrap(params, OAEP256, material);
        ImportKeyMaterialRequest::new(
            record.arn().to_string(),
            params.import_token.as_bytes().to_vec(),
            wrapped,
        )
        .expires_at(self.now + Duration::days(30))
    }

    fn import(
        &mut self,
        record: &mut KeyRecord,
        request: &ImportKeyMaterialRequest,
    ) -> Result<kms_import::ImportKeyMaterialResponse, Error> {
        self.service
            .import_key_material(record, request, self.now, &mut self.rng)
            .into_result()
    }

    /// GetParametersForImport + wrap + ImportKeyMaterial with OAEP-SHA-256 under RSA_2048.
    fn import_fresh(
        &mut self,
        record: &mut KeyRecord,
        material: &[u8],
    ) -> Result<kms_import::ImportKeyMaterialResponse, Error> {
        let params = self.params(record);
        let request = self.request(record, &params, material);
        self.import(record, &request)
    }

    fn delete(
        &mut self,
        record: &mut KeyRecord,
    ) -> Result<kms_import::DeleteImportedKeyMaterialResponse, Error> {
        let request = DeleteImportedKeyMaterialRequest {
            key_id: record.key_id().to_string(),
            key_material_id: None,
        };
        self.service
            .delete_imported_key_material(record, &request, self.now)
            .into_result()
    }
}

fn context() -> KeyContext {
    KeyContext::new("aws", "us-east-1", "111122223333").unwrap()
}

fn material(seed: u8, len: usize) -> Vec<u8> {
    let mut rng = ChaCha20Rng::seed_from_u64(u64::from(seed) + 1000);
    let mut bytes = vec![0u8; len];
    rng.fill_bytes(&mut bytes);
    bytes
}

fn code<T: std::fmt::Debug>(result: Result<T, Error>) -> &'static str {
    result.unwrap_err().code()
}

#[test]
fn symmetric_import_enables_the_key_and_the_material_is_usable() {
    let mut w = World::new();
    let mut record = w.create(KeySpec::SymmetricDefault);
    assert_eq!(record.key_state(), KeyState::PendingImport);
    assert_eq!(record.expiration_model(w.now), None);
    let m = material(1, 32);
    let response = w.import_fresh(&mut record, &m).unwrap();
    assert_eq!(response.key_id, *record.arn());
    assert_eq!(record.key_state(), KeyState::Enabled);
    assert_eq!(record.valid_to(w.now), Some(w.now + Duration::days(30)));
    assert_eq!(
        record.current_key_material_id(),
        Some(response.key_material_id)
    );
    let usable = usable_material(&record, w.now).unwrap();
    assert_eq!(
        usable.symmetric_key().unwrap().expose_secret().as_slice(),
        m.as_slice()
    );
}

#[test]
fn parameters_carry_the_arn_a_24_hour_validity_and_a_der_spki() {
    let mut w = World::new();
    let mut record = w.create(KeySpec::SymmetricDefault);
    let p = w.params(&mut record);
    assert_eq!(p.key_id, *record.arn());
    assert_eq!(p.parameters_valid_to, w.now + Duration::hours(24));
    assert_eq!(
        WrappingPublicKey::from_spki_der(&p.public_key)
            .unwrap()
            .spec(),
        RSA2048
    );
    assert!(p.import_token.len() <= 6144);
}

#[test]
fn every_key_pair_serves_one_token_and_an_empty_pool_generates_inline() {
    let mut w = World::new();
    let mut record = w.create(KeySpec::SymmetricDefault);
    let a = w.params(&mut record);
    let b = w.params(&mut record);
    assert_ne!(a.import_token.as_bytes(), b.import_token.as_bytes());
    assert!(w.pool.is_empty());
    // Nothing in the pool: RSA_2048 is generated inline.
    let request = GetParametersForImportRequest {
        key_id: record.key_id().to_string(),
        wrapping_algorithm: OAEP256,
        wrapping_key_spec: RSA2048,
    };
    let inline = w
        .service
        .get_parameters_for_import(&mut record, &request, &mut w.pool, w.now, &mut w.rng)
        .into_result()
        .unwrap();
    assert_ne!(inline.public_key, a.public_key);
}

#[test]
fn get_parameters_errors() {
    let mut w = World::new();
    let mut record = w.create(KeySpec::SymmetricDefault);
    let ask = |w: &mut World, record: &mut KeyRecord, key_id: &str, alg, spec| {
        w.pool.insert(fixture_key(RSA2048));
        let request = GetParametersForImportRequest {
            key_id: key_id.to_owned(),
            wrapping_algorithm: alg,
            wrapping_key_spec: spec,
        };
        w.service
            .get_parameters_for_import(record, &request, &mut w.pool, w.now, &mut w.rng)
            .into_result()
    };
    let id = record.key_id().to_string();
    assert_eq!(
        code(ask(&mut w, &mut record, "alias/mine", OAEP256, RSA2048)),
        "NotFoundException"
    );
    assert_eq!(
        code(ask(
            &mut w,
            &mut record,
            "arn:aws:kms:us-east-1:111122223333:alias/mine",
            OAEP256,
            RSA2048
        )),
        "InvalidArnException"
    );
    assert_eq!(
        code(ask(&mut w, &mut record, "not-a-key", OAEP256, RSA2048)),
        "NotFoundException"
    );
    let other = KeyId::random(&mut w.rng).to_string();
    let err = ask(&mut w, &mut record, &other, OAEP256, RSA2048).unwrap_err();
    assert_eq!(
        err.message(),
        format!("Key 'arn:aws:kms:us-east-1:111122223333:key/{other}' does not exist")
    );
    assert_eq!(
        code(ask(
            &mut w,
            &mut record,
            &id,
            WrappingAlgorithm::RsaAesKeyWrapSha256,
            RSA2048
        )),
        "UnsupportedOperationException"
    );
    assert_eq!(
        code(ask(
            &mut w,
            &mut record,
            &id,
            WrappingAlgorithm::RsaesPkcs1V15,
            RSA2048
        )),
        "UnsupportedOperationException"
    );
    assert_eq!(
        code(ask(
            &mut w,
            &mut record,
            &id,
            WrappingAlgorithm::Sm2pke,
            WrappingKeySpec::Sm2
        )),
        "UnsupportedOperationException"
    );
    let mut aws = w.create_with_origin(KeySpec::SymmetricDefault, Origin::AwsKms);
    let aws_id = aws.key_id().to_string();
    assert_eq!(
        code(ask(&mut w, &mut aws, &aws_id, OAEP256, RSA2048)),
        "UnsupportedOperationException"
    );
    record.schedule_deletion(w.now, None).into_result().unwrap();
    let err = ask(&mut w, &mut record, &id, OAEP256, RSA2048).unwrap_err();
    assert_eq!(err.code(), "KMSInvalidStateException");
    assert_eq!(
        err.message(),
        format!("{} is pending deletion.", record.arn())
    );
}

#[test]
fn p521_material_cannot_use_oaep_under_rsa_2048() {
    let mut w = World::new();
    let mut record = w.create(KeySpec::EccNistP521);
    let err = w
        .params_with(&mut record, WrappingAlgorithm::RsaesOaepSha1, RSA2048)
        .unwrap_err();
    assert_eq!(err.code(), "UnsupportedOperationException");
    assert!(
        w.params_with(
            &mut record,
            WrappingAlgorithm::RsaesOaepSha1,
            WrappingKeySpec::Rsa3072
        )
        .is_ok()
    );
}

#[test]
fn import_request_length_limits() {
    let mut w = World::new();
    let mut record = w.create(KeySpec::SymmetricDefault);
    let p = w.params(&mut record);
    let mut r = w.request(&record, &p, &material(1, 32));
    r.import_token = Vec::new();
    assert_eq!(code(w.import(&mut record, &r)), "ValidationException");
    r.import_token = vec![1; 6145];
    assert_eq!(code(w.import(&mut record, &r)), "ValidationException");
    let mut r = w.request(&record, &p, &material(1, 32));
    r.encrypted_key_material = Vec::new();
    assert_eq!(code(w.import(&mut record, &r)), "ValidationException");
    r.encrypted_key_material = vec![1; 6145];
    assert_eq!(code(w.import(&mut record, &r)), "ValidationException");
    assert_eq!(record.key_state(), KeyState::PendingImport);
}

#[test]
fn import_identifier_origin_and_state_errors() {
    let mut w = World::new();
    let mut record = w.create(KeySpec::SymmetricDefault);
    let p = w.params(&mut record);
    let base = w.request(&record, &p, &material(1, 32));
    for (key_id, expected) in [
        ("alias/mine".to_owned(), "NotFoundException"),
        (
            "arn:aws:kms:us-east-1:111122223333:alias/mine".to_owned(),
            "InvalidArnException",
        ),
        ("1234".to_owned(), "NotFoundException"),
        (
            format!("arn:aws:kms:us-east-1:444455556666:key/{}", record.key_id()),
            "NotFoundException",
        ),
        (
            format!("arn:aws:kms:eu-west-1:111122223333:key/{}", record.key_id()),
            "NotFoundException",
        ),
    ] {
        let mut r = base.clone();
        r.key_id = key_id.clone();
        assert_eq!(code(w.import(&mut record, &r)), expected, "{key_id}");
    }
    let mut aws = w.create_with_origin(KeySpec::SymmetricDefault, Origin::AwsKms);
    let mut r = base.clone();
    r.key_id = aws.key_id().to_string();
    assert_eq!(
        code(w.import(&mut aws, &r)),
        "UnsupportedOperationException"
    );

    record
        .schedule_deletion(w.now, Some(7))
        .into_result()
        .unwrap();
    let err = w.import(&mut record, &base).unwrap_err();
    assert_eq!(err.code(), "KMSInvalidStateException");
    record.cancel_deletion(w.now).into_result().unwrap();
    assert_eq!(record.key_state(), KeyState::PendingImport);
    // A failed import does not use the token up.
    w.import(&mut record, &base).unwrap();
    assert_eq!(record.key_state(), KeyState::Enabled);
}

#[test]
fn import_type_is_refused_for_asymmetric_and_hmac_keys() {
    let mut w = World::new();
    let mut record = w.create(KeySpec::Hmac256);
    let p = w.params(&mut record);
    let mut r = w.request(&record, &p, &material(2, 32));
    r.import_type = Some(kms_import::ImportType::NewKeyMaterial);
    assert_eq!(
        code(w.import(&mut record, &r)),
        "UnsupportedOperationException"
    );
    r.import_type = None;
    w.import(&mut record, &r).unwrap();
}

#[test]
fn token_for_another_key_is_invalid() {
    let mut w = World::new();
    let mut a = w.create(KeySpec::SymmetricDefault);
    let mut b = w.create(KeySpec::SymmetricDefault);
    let pa = w.params(&mut a);
    let mut r = w.request(&a, &pa, &material(1, 32));
    r.key_id = b.key_id().to_string();
    let err = w.import(&mut b, &r).unwrap_err();
    assert_eq!(err, Error::InvalidImportToken);
    assert_eq!(b.key_state(), KeyState::PendingImport);
}

#[test]
fn altered_tokens_are_invalid_wherever_the_bit_is() {
    let mut w = World::new();
    let mut record = w.create(KeySpec::SymmetricDefault);
    let p = w.params(&mut record);
    let good = w.request(&record, &p, &material(1, 32));
    let len = good.import_token.len();
    for position in [0, 1, 5, 9, 12, 20, 21, 40, len / 2, len - 17, len - 1] {
        let mut r = good.clone();
        r.import_token[position] ^= 0x01;
        assert_eq!(
            w.import(&mut record, &r).unwrap_err(),
            Error::InvalidImportToken,
            "bit at {position}"
        );
    }
    let mut r = good.clone();
    r.import_token.truncate(len - 1);
    assert_eq!(
        w.import(&mut record, &r).unwrap_err(),
        Error::InvalidImportToken
    );
    let mut r = good.clone();
    r.import_token = material(3, 300);
    assert_eq!(
        w.import(&mut record, &r).unwrap_err(),
        Error::InvalidImportToken
    );
    w.import(&mut record, &good).unwrap();
}

#[test]
fn tokens_expire_at_exactly_24_hours() {
    let mut w = World::new();
    let mut record = w.create(KeySpec::SymmetricDefault);
    let p = w.params(&mut record);
    let issued = w.now;
    let mut r = w.request(&record, &p, &material(1, 32));
    r.valid_to = Some(issued + Duration::days(300));
    w.now = issued + Duration::hours(24);
    assert_eq!(
        w.import(&mut record, &r).unwrap_err(),
        Error::ExpiredImportToken
    );
    w.now = issued + Duration::hours(25);
    assert_eq!(
        w.import(&mut record, &r).unwrap_err(),
        Error::ExpiredImportToken
    );
    w.now = issued + Duration::hours(24) - Duration::seconds(1);
    w.import(&mut record, &r).unwrap();
}

#[test]
fn tokens_survive_sealing_key_rotation_and_open_on_another_instance() {
    let mut rng = ChaCha20Rng::seed_from_u64(99);
    let old = SealingKey::generate(&mut rng);
    let old_copy = SealingKey::from_bytes(old.id(), *old.expose_secret());
    let mut w = World::with_service(|_| ImportService::new(context(), SealingKeys::new(old)));
    let mut record = w.create(KeySpec::SymmetricDefault);
    let p = w.params(&mut record);
    let r = w.request(&record, &p, &material(1, 32));

    // Another instance, already rotated to a new sealing key, keeping the old one.
    let mut keys = SealingKeys::new(old_copy);
    keys.rotate(SealingKey::generate(&mut rng)).unwrap();
    let other = ImportService::new(context(), keys);
    other
        .import_key_material(&mut record, &r, w.now, &mut w.rng)
        .into_result()
        .unwrap();
    assert_eq!(record.key_state(), KeyState::Enabled);

    // Once the old key has rotated out, its tokens no longer open.
    let mut record2 = w.create(KeySpec::SymmetricDefault);
    let p2 = w.params(&mut record2);
    let r2 = w.request(&record2, &p2, &material(2, 32));
    let mut gone = other;
    for _ in 0..3 {
        gone.sealing_keys_mut()
            .rotate(SealingKey::generate(&mut rng))
            .unwrap();
    }
    assert_eq!(
        gone.import_key_material(&mut record2, &r2, w.now, &mut w.rng)
            .into_result()
            .unwrap_err(),
        Error::InvalidImportToken
    );
}

#[test]
fn a_successful_import_uses_the_token_up_and_a_failed_one_does_not() {
    let mut w = World::new();
    let mut record = w.create(KeySpec::SymmetricDefault);
    let p = w.params(&mut record);
    let good = w.request(&record, &p, &material(1, 32));
    let mut bad = good.clone();
    bad.expiration_model = None;
    bad.valid_to = None;
    let err = w.import(&mut record, &bad).unwrap_err();
    assert_eq!(
        err.message(),
        "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES"
    );
    let mut bad = good.clone();
    let last = bad.encrypted_key_material.len() - 1;
    bad.encrypted_key_material[last] ^= 1;
    assert_eq!(
        w.import(&mut record, &bad).unwrap_err(),
        Error::InvalidCiphertext
    );
    w.import(&mut record, &good).unwrap();
    assert_eq!(
        w.import(&mut record, &good).unwrap_err(),
        Error::InvalidImportToken
    );
}

#[test]
fn expiration_rules_at_import() {
    let mut w = World::new();
    let mut record = w.create(KeySpec::SymmetricDefault);
    let p = w.params(&mut record);
    let base = w.request(&record, &p, &material(1, 32));
    let now = w.now;
    let cases: [(Option<kms_import::ExpirationModel>, Option<OffsetDateTime>); 4] = [
        (
            Some(kms_import::ExpirationModel::KeyMaterialExpires),
            Some(now),
        ),
        (
            Some(kms_import::ExpirationModel::KeyMaterialExpires),
            Some(now - Duration::seconds(1)),
        ),
        (None, Some(now + Duration::days(365) + Duration::seconds(1))),
        (
            Some(kms_import::ExpirationModel::KeyMaterialDoesNotExpire),
            Some(now + Duration::days(1)),
        ),
    ];
    for (model, valid_to) in cases {
        let mut r = base.clone();
        r.expiration_model = model;
        r.valid_to = valid_to;
        assert_eq!(
            code(w.import(&mut record, &r)),
            "ValidationException",
            "{model:?} {valid_to:?}"
        );
    }
    let mut r = base.clone();
    r.valid_to = Some(now + Duration::days(365));
    w.import(&mut record, &r).unwrap();
    assert_eq!(record.valid_to(now), Some(now + Duration::days(365)));
}

#[test]
fn material_from_another_wrapping_key_or_algorithm_does_not_unwrap() {
    let mut w = World::new();
    let mut record = w.create(KeySpec::SymmetricDefault);
    let p = w.params(&mut record);
    let other = w
        .params_with(&mut record, OAEP256, WrappingKeySpec::Rsa3072)
        .unwrap();
    let mut r = w.request(&record, &p, &material(1, 32));
    r.encrypted_key_material = w.wrap(&other, OAEP256, &material(1, 32));
    assert_eq!(
        w.import(&mut record, &r).unwrap_err(),
        Error::InvalidCiphertext
    );
    r.encrypted_key_material = w.wrap(&p, WrappingAlgorithm::RsaesOaepSha1, &material(1, 32));
    assert_eq!(
        w.import(&mut record, &r).unwrap_err(),
        Error::InvalidCiphertext
    );
    assert_eq!(record.key_state(), KeyState::PendingImport);
}

#[test]
fn material_must_fit_the_key_spec() {
    let mut w = World::new();
    let mut record = w.create(KeySpec::SymmetricDefault);
    assert_eq!(
        code(w.import_fresh(&mut record, &material(1, 31))),
        "IncorrectKeyMaterialException"
    );
    assert_eq!(
        code(w.import_fresh(&mut record, &material(1, 33))),
        "IncorrectKeyMaterialException"
    );
    let mut hmac = w.create(KeySpec::Hmac384);
    assert_eq!(
        code(w.import_fresh(&mut hmac, &material(1, 47))),
        "IncorrectKeyMaterialException"
    );
    assert_eq!(
        code(w.import_fresh(&mut hmac, &material(1, 129))),
        "IncorrectKeyMaterialException"
    );
    w.import_fresh(&mut hmac, &material(1, 128)).unwrap();
}

#[test]
fn reimport_same_material_before_and_after_delete_and_expiry() {
    let mut w = World::new();
    let mut record = w.create(KeySpec::Hmac256);
    let m = material(4, 32);
    let id = w.import_fresh(&mut record, &m).unwrap().key_material_id;

    // Re-import while Enabled (no delete first), with a new expiry.
    let id2 = w.import_fresh(&mut record, &m).unwrap().key_material_id;
    assert_eq!(id, id2);
    assert_eq!(record.key_state(), KeyState::Enabled);
    assert_eq!(
        code(w.import_fresh(&mut record, &material(5, 32))),
        "IncorrectKeyMaterialException"
    );

    let deleted = w.delete(&mut record).unwrap();
    assert_eq!(deleted.key_material_id, Some(id));
    assert_eq!(record.key_state(), KeyState::PendingImport);
    assert_eq!(record.expiration_model(w.now), None);
    assert_eq!(record.valid_to(w.now), None);
    assert!(usable_material(&record, w.now).is_err());
    assert_eq!(
        code(w.import_fresh(&mut record, &material(5, 32))),
        "IncorrectKeyMaterialException"
    );
    w.import_fresh(&mut record, &m).unwrap();
    assert_eq!(record.key_state(), KeyState::Enabled);

    // Expiry at exactly ValidTo.
    let valid_to = record.valid_to(w.now).unwrap();
    let before = record.expire_materials(valid_to - Duration::seconds(1));
    assert!(before.is_empty());
    assert_eq!(record.key_state(), KeyState::Enabled);
    let outcome = record.expire_materials(valid_to);
    assert_eq!(outcome.expired, vec![id]);
    assert_eq!(record.key_state(), KeyState::PendingImport);
    w.now = valid_to;
    assert_eq!(
        code(w.import_fresh(&mut record, &material(5, 32))),
        "IncorrectKeyMaterialException"
    );
    w.import_fresh(&mut record, &m).unwrap();
    assert_eq!(record.key_state(), KeyState::Enabled);
}

#[test]
fn every_operation_applies_due_expiry_first() {
    let mut w = World::new();
    let mut record = w.create(KeySpec::SymmetricDefault);
    w.import_fresh(&mut record, &material(1, 32)).unwrap();
    let valid_to = record.valid_to(w.now).unwrap();
    w.now = valid_to;
    let revision = record.revision();
    let _ = w.params(&mut record);
    assert!(record.revision() > revision);
    assert_eq!(record.key_state(), KeyState::PendingImport);
}

#[test]
fn delete_errors_and_pending_deletion() {
    let mut w = World::new();
    let mut record = w.create(KeySpec::SymmetricDefault);
    // Nothing to delete yet: succeeds, no change.
    assert_eq!(w.delete(&mut record).unwrap().key_material_id, None);
    w.import_fresh(&mut record, &material(1, 32)).unwrap();
    record.schedule_deletion(w.now, None).into_result().unwrap();
    w.delete(&mut record).unwrap();
    assert_eq!(record.key_state(), KeyState::PendingDeletion);
    record.cancel_deletion(w.now).into_result().unwrap();
    assert_eq!(record.key_state(), KeyState::PendingImport);

    let mut aws = w.create_with_origin(KeySpec::SymmetricDefault, Origin::AwsKms);
    let request = DeleteImportedKeyMaterialRequest {
        key_id: aws.key_id().to_string(),
        key_material_id: None,
    };
    assert_eq!(
        code(
            w.service
                .delete_imported_key_material(&mut aws, &request, w.now)
                .into_result()
        ),
        "UnsupportedOperationException"
    );
    let request = DeleteImportedKeyMaterialRequest {
        key_id: record.key_id().to_string(),
        key_material_id: Some("ab".repeat(32).parse().unwrap()),
    };
    assert_eq!(
        code(
            w.service
                .delete_imported_key_material(&mut record, &request, w.now)
                .into_result()
        ),
        "NotFoundException"
    );
    let request = DeleteImportedKeyMaterialRequest {
        key_id: "alias/x".to_owned(),
        key_material_id: None,
    };
    assert_eq!(
        code(
            w.service
                .delete_imported_key_material(&mut record, &request, w.now)
                .into_result()
        ),
        "NotFoundException"
    );
}

#[test]
fn import_into_a_disabled_key_follows_the_policy() {
    for (policy, expected) in [
        (DisabledImportPolicy::StayDisabled, Ok(KeyState::Disabled)),
        (DisabledImportPolicy::Enable, Ok(KeyState::Enabled)),
        (
            DisabledImportPolicy::Reject,
            Err("KMSInvalidStateException"),
        ),
    ] {
        let mut w = World::with_service(|s| s.with_disabled_import_policy(policy));
        let mut record = w.create(KeySpec::SymmetricDefault);
        let m = material(1, 32);
        w.import_fresh(&mut record, &m).unwrap();
        record.disable(w.now).into_result().unwrap();
        let got = w
            .import_fresh(&mut record, &m)
            .map(|_| record.key_state())
            .map_err(|e| e.code());
        assert_eq!(got, expected, "{policy:?}");
    }
}

#[test]
fn legacy_pkcs1_v1_5_needs_the_opt_in_and_then_imports_symmetric_material() {
    let mut w = World::with_service(|s| {
        s.with_wrap_policy(WrapPolicy::new().allow_legacy_rsaes_pkcs1_v1_5_insecure())
    });
    let mut record = w.create(KeySpec::SymmetricDefault);
    let p = w
        .params_with(&mut record, WrappingAlgorithm::RsaesPkcs1V15, RSA2048)
        .unwrap();
    let m = material(8, 32);
    let wrapped = WrappingPublicKey::from_spki_der(&p.public_key)
        .unwrap()
        .wrap(
            WrappingAlgorithm::RsaesPkcs1V15,
            &m,
            &WrapPolicy::new().allow_legacy_rsaes_pkcs1_v1_5_insecure(),
            &mut w.rng,
        )
        .unwrap();
    let r = ImportKeyMaterialRequest::new(
        record.key_id().to_string(),
        p.import_token.into_bytes(),
        wrapped,
    )
    .does_not_expire();
    // A corrupted ciphertext decrypts (implicit rejection) to something that is not 32 bytes
    // of the committed material, so the import fails without saying why.
    let mut bad = r.clone();
    bad.encrypted_key_material[100] ^= 0x40;
    assert!(w.import(&mut record, &bad).is_err());
    w.import(&mut record, &r).unwrap();
    assert_eq!(
        record.expiration_model(w.now),
        Some(kms_import::ExpirationModel::KeyMaterialDoesNotExpire)
    );
    let mut hmac = w.create(KeySpec::Hmac256);
    assert_eq!(
        code(w.params_with(&mut hmac, WrappingAlgorithm::RsaesPkcs1V15, RSA2048)),
        "UnsupportedOperationException"
    );
}

#[derive(Debug, Clone)]
enum Step {
    Params,
    ImportSame,
    ImportOther,
    ImportStaleToken,
    Delete,
    Enable,
    Disable,
    Schedule,
    Cancel,
    Jump(i64),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        Just(Step::Params),
        Just(Step::ImportSame),
        Just(Step::ImportOther),
        Just(Step::ImportStaleToken),
        Just(Step::Delete),
        Just(Step::Enable),
        Just(Step::Disable),
        Just(Step::Schedule),
        Just(Step::Cancel),
        (0i64..(40 * 86_400)).prop_map(Step::Jump),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_operation_sequences_keep_the_invariants(steps in proptest::collection::vec(step(), 1..24)) {
        let mut w = World::new();
        let mut record = w.create(KeySpec::Hmac256);
        let same = material(10, 32);
        let other = material(11, 32);
        let mut stale: Option<ImportKeyMaterialRequest> = None;
        for s in steps {
            let revision = record.revision();
            let result: Result<(), Error> = match s {
                Step::Params => w.params_with(&mut record, OAEP256, RSA2048).map(|_| ()),
                Step::ImportSame | Step::ImportOther => {
                    match w.params_with(&mut record, OAEP256, RSA2048) {
                        Ok(p) => {
                            let m = if matches!(s, Step::ImportSame) { &same } else { &other };
                            let r = w.request(&record, &p, m);
                            let result = w.import(&mut record, &r).map(|_| ());
                            stale = Some(r);
                            result
                        }
                        Err(e) => Err(e),
                    }
                }
                Step::ImportStaleToken => match stale.clone() {
                    Some(r) => w.import(&mut record, &r).map(|_| ()),
                    None => Ok(()),
                },
                Step::Delete => w.delete(&mut record).map(|_| ()),
                Step::Enable => record.enable(w.now).into_result(),
                Step::Disable => record.disable(w.now).into_result(),
                Step::Schedule => record.schedule_deletion(w.now, Some(7)).into_result().map(|_| ()),
                Step::Cancel => record.cancel_deletion(w.now).into_result(),
                Step::Jump(seconds) => {
                    w.now += Duration::seconds(seconds);
                    record.expire_materials(w.now);
                    Ok(())
                }
            };
            if let Err(e) = &result {
                prop_assert!(e.http_status() == 400, "unexpected server fault {e:?}");
            }
            prop_assert!(record.revision() >= revision);
            if let Err(why) = record.check_invariants() {
                prop_assert!(false, "invariant broken after {s:?}: {why}");
            }
            if record.key_state() == KeyState::Enabled {
                prop_assert!(usable_material(&record, w.now).is_ok());
            }
        }
    }
}

#[test]
fn rotation_through_the_import_operations() {
    use kms_import::usable_material_by_id;
    use kms_import::{ImportType, IncludeKeyMaterial, KeyMaterialState};
    let mut w = World::new();
    let mut record = w.create(KeySpec::SymmetricDefault);
    let first = material(20, 32);
    let second = material(21, 32);
    let first_id = w.import_fresh(&mut record, &first).unwrap().key_material_id;

    // Without ImportType, a second import means EXISTING: different bytes are refused.
    assert_eq!(
        code(w.import_fresh(&mut record, &second)),
        "IncorrectKeyMaterialException"
    );
    let p = w.params(&mut record);
    let mut r = w.request(&record, &p, &second);
    r.import_type = Some(ImportType::NewKeyMaterial);
    let second_id = w.import(&mut record, &r).unwrap().key_material_id;
    assert_eq!(record.current_key_material_id(), Some(first_id));

    let key_id = record.key_id().to_string();
    assert_eq!(
        code(
            w.service
                .rotate_key_on_demand(&mut record, "alias/rotating", w.now)
                .into_result()
        ),
        "NotFoundException"
    );
    let rotated = w
        .service
        .rotate_key_on_demand(&mut record, &key_id, w.now)
        .into_result()
        .unwrap();
    assert_eq!(rotated.previous_key_material_id, first_id);
    assert_eq!(rotated.current_key_material_id, second_id);
    assert_eq!(record.current_key_material_id(), Some(second_id));
    assert_eq!(
        code(
            w.service
                .rotate_key_on_demand(&mut record, &key_id, w.now)
                .into_result()
        ),
        "KMSInvalidStateException"
    );

    let page = w
        .service
        .list_key_rotations(
            &record,
            &key_id,
            IncludeKeyMaterial::AllKeyMaterial,
            Some(1),
            None,
            w.now,
        )
        .unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].key_material_id, first_id);
    assert_eq!(
        page.items[0].key_material_state,
        KeyMaterialState::NonCurrent
    );
    let next = w
        .service
        .list_key_rotations(
            &record,
            &key_id,
            IncludeKeyMaterial::AllKeyMaterial,
            Some(1),
            page.next_marker.as_deref(),
            w.now,
        )
        .unwrap();
    assert_eq!(next.items[0].key_material_id, second_id);
    assert_eq!(
        code(w.service.list_key_rotations(
            &record,
            "alias/rotating",
            IncludeKeyMaterial::AllKeyMaterial,
            None,
            None,
            w.now
        )),
        "NotFoundException"
    );

    // Data encrypted under the first material stays decryptable after the rotation.
    let old = usable_material_by_id(&record, &first_id, w.now).unwrap();
    assert_eq!(
        old.symmetric_key().unwrap().expose_secret().as_slice(),
        first.as_slice()
    );
    let current = usable_material(&record, w.now).unwrap();
    assert_eq!(
        current.symmetric_key().unwrap().expose_secret().as_slice(),
        second.as_slice()
    );
}
