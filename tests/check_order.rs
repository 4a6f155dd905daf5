//! ImportKeyMaterial validates the whole request before any cryptography, in AWS's order
//! (schema, identifier, state, token, material), and refuses the members a key does not take.

use std::convert::Infallible;

use kms_import::DisabledImportPolicy;
use kms_import::WrappingKeyPool;
use kms_import::{CreateKeyParams, KeyRecord};
use kms_import::{
    Error, ImportType, KeySpec, KeyState, KeyUsage, Origin, WrappingAlgorithm, WrappingKeySpec,
};
use kms_import::{
    GetParametersForImportRequest, GetParametersForImportResponse, ImportKeyMaterialRequest,
    ImportService,
};
use kms_import::{KeyContext, KeyId};
use kms_import::{SealingKey, SealingKeys};
use kms_import::{WrapPolicy, WrappingPrivateKey, WrappingPublicKey};
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng, TryCryptoRng, TryRng};
use time::{Duration, OffsetDateTime};

const OAEP256: WrappingAlgorithm = WrappingAlgorithm::RsaesOaepSha256;
const RSA2048: WrappingKeySpec = WrappingKeySpec::Rsa2048;

/// A generator that counts its draws: the RSA private operation of an unwrap is blinded with
/// the caller's randomness, so an import that draws nothing ran no RSA operation.
struct CountingRng {
    inner: ChaCha20Rng,
    draws: usize,
}

impl TryRng for CountingRng {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        self.draws += 1;
        Ok(self.inner.next_u32())
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        self.draws += 1;
        Ok(self.inner.next_u64())
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        self.draws += 1;
        self.inner.fill_bytes(dst);
        Ok(())
    }
}

impl TryCryptoRng for CountingRng {}

fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap()
}

fn fixture_key() -> WrappingPrivateKey {
    let path = format!(
        "{}/tests/data/wrapping_rsa_2048.pk8.der",
        env!("CARGO_MANIFEST_DIR")
    );
    WrappingPrivateKey::from_pkcs8_der(&std::fs::read(path).unwrap()).unwrap()
}

fn material_file(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/data/material/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(path).unwrap()
}

struct World {
    service: ImportService,
    rng: ChaCha20Rng,
    now: OffsetDateTime,
}

impl World {
    fn new(policy: DisabledImportPolicy) -> World {
        let mut rng = ChaCha20Rng::seed_from_u64(15);
        let context = KeyContext::new("aws", "us-east-1", "111122223333").unwrap();
        let sealing = SealingKeys::new(SealingKey::generate(&mut rng));
        World {
            service: ImportService::new(context, sealing).with_disabled_import_policy(policy),
            rng,
            now: t0(),
        }
    }

    fn create(&mut self, spec: KeySpec) -> KeyRecord {
        let usage = spec.default_key_usage().unwrap_or(KeyUsage::SignVerify);
        KeyRecord::create(
            self.service.context(),
            KeyId::random(&mut self.rng),
            CreateKeyParams {
                key_spec: spec,
                key_usage: Some(usage),
                origin: Origin::External,
                description: None,
            },
            self.now,
        )
        .unwrap()
    }

    fn params(&mut self, record: &mut KeyRecord) -> GetParametersForImportResponse {
        let mut pool = WrappingKeyPool::new();
        pool.insert(fixture_key());
        let request = GetParametersForImportRequest {
            key_id: record.key_id().to_string(),
            wrapping_algorithm: OAEP256,
            wrapping_key_spec: RSA2048,
        };
        self.service
            .get_parameters_for_import(record, &request, &mut pool, self.now, &mut self.rng)
            .into_result()
            .unwrap()
    }

    /// A valid request for `material`.
    fn request(&mut self, record: &mut KeyRecord, material: &[u8]) -> ImportKeyMaterialRequest {
        let params = self.params(record);
        let wrapped = WrappingPublicKey::from_spki_der(&params.public_key)
            .unwrap()
            .wrap(OAEP256, material, &WrapPolicy::new(), &mut self.rng)
            .unwrap();
        ImportKeyMaterialRequest::new(
            record.arn().to_string(),
            params.import_token.into_bytes(),
            wrapped,
        )
        .does_not_expire()
    }

    /// Imports and reports the error and whether any randomness (an RSA operation) was used.
    fn import(
        &mut self,
        record: &mut KeyRecord,
        request: &ImportKeyMaterialRequest,
    ) -> (Error, bool) {
        let mut rng = CountingRng {
            inner: ChaCha20Rng::seed_from_u64(99),
            draws: 0,
        };
        let e = self
            .service
            .import_key_material(record, request, self.now, &mut rng)
            .into_result()
            .unwrap_err();
        (e, rng.draws > 0)
    }
}

fn garbage_token(request: &ImportKeyMaterialRequest) -> ImportKeyMaterialRequest {
    ImportKeyMaterialRequest {
        import_token: vec![0x01; 600],
        ..request.clone()
    }
}

fn garbage_ciphertext(request: &ImportKeyMaterialRequest) -> ImportKeyMaterialRequest {
    ImportKeyMaterialRequest {
        encrypted_key_material: vec![0x5a; 256],
        ..request.clone()
    }
}

#[test]
fn disabled_key_under_reject_answers_state_before_the_token_and_runs_no_rsa() {
    let mut w = World::new(DisabledImportPolicy::Reject);
    let mut record = w.create(KeySpec::SymmetricDefault);
    let first = w.request(&mut record, &[7; 32]);
    w.service
        .import_key_material(&mut record, &first, w.now, &mut w.rng)
        .into_result()
        .unwrap();
    record.disable(w.now).into_result().unwrap();
    let valid = w.request(&mut record, &[7; 32]);
    let disabled = format!("{} is disabled.", record.arn());
    for request in [
        garbage_token(&valid),
        garbage_ciphertext(&valid),
        valid.clone(),
    ] {
        let (e, rsa) = w.import(&mut record, &request);
        assert_eq!(
            (e.code(), e.message()),
            ("KMSInvalidStateException", disabled.clone())
        );
        assert!(!rsa, "an RSA operation ran for a request refused on state");
    }
    assert_eq!(record.key_state(), KeyState::Disabled);
    // The token was not used up: once enabled, the same request succeeds.
    record.enable(w.now).into_result().unwrap();
    w.service
        .import_key_material(&mut record, &valid, w.now, &mut w.rng)
        .into_result()
        .unwrap();
}

#[test]
fn pending_deletion_answers_state_before_the_token_under_every_policy() {
    for policy in [
        DisabledImportPolicy::Reject,
        DisabledImportPolicy::default(),
        DisabledImportPolicy::Enable,
    ] {
        let mut w = World::new(policy);
        let mut record = w.create(KeySpec::SymmetricDefault);
        let valid = w.request(&mut record, &[7; 32]);
        record
            .schedule_deletion(w.now, Some(7))
            .into_result()
            .unwrap();
        for request in [
            garbage_token(&valid),
            garbage_ciphertext(&valid),
            valid.clone(),
        ] {
            let (e, rsa) = w.import(&mut record, &request);
            assert_eq!(e.code(), "KMSInvalidStateException", "{policy:?}");
            assert!(!rsa);
        }
    }
}

#[test]
fn request_members_are_validated_before_the_identifier_and_the_token() {
    let mut w = World::new(DisabledImportPolicy::default());
    let mut record = w.create(KeySpec::SymmetricDefault);
    let valid = w.request(&mut record, &[7; 32]);
    // Each is refused as ValidationException even with a garbage token and an unknown key.
    let unknown_key = KeyId::random(&mut w.rng).to_string();
    let cases: Vec<(ImportKeyMaterialRequest, &str)> = vec![
        (
            ImportKeyMaterialRequest {
                expiration_model: None,
                valid_to: None,
                ..valid.clone()
            },
            "A validTo date must be set",
        ),
        (valid.clone().expires_at(w.now - Duration::seconds(1)), ""),
        (valid.clone().expires_at(w.now + Duration::days(366)), ""),
        (
            ImportKeyMaterialRequest {
                valid_to: Some(w.now + Duration::days(1)),
                ..valid.clone()
            },
            "",
        ),
        (
            ImportKeyMaterialRequest {
                key_material_description: Some("no\u{3000}ideographic".into()),
                ..valid.clone()
            },
            "keyMaterialDescription",
        ),
        (
            ImportKeyMaterialRequest {
                import_type: Some(ImportType::NewKeyMaterial),
                key_material_id: Some("ab".repeat(32).parse().unwrap()),
                ..valid.clone()
            },
            "NEW_KEY_MATERIAL",
        ),
    ];
    for (request, wording) in cases {
        for request in [
            garbage_token(&request),
            ImportKeyMaterialRequest {
                key_id: unknown_key.clone(),
                ..request.clone()
            },
            request,
        ] {
            let (e, rsa) = w.import(&mut record, &request);
            assert_eq!(e.code(), "ValidationException", "{request:?}: {e}");
            assert!(e.message().contains(wording), "{e}");
            assert!(!rsa);
        }
    }
    assert_eq!(record.key_state(), KeyState::PendingImport);
}

#[test]
fn identifier_comes_before_state_and_token() {
    let mut w = World::new(DisabledImportPolicy::Reject);
    let mut record = w.create(KeySpec::SymmetricDefault);
    let valid = w.request(&mut record, &[7; 32]);
    record
        .schedule_deletion(w.now, Some(7))
        .into_result()
        .unwrap();
    let other = KeyId::random(&mut w.rng).to_string();
    let request = garbage_token(&ImportKeyMaterialRequest {
        key_id: other,
        ..valid
    });
    let (e, rsa) = w.import(&mut record, &request);
    assert_eq!(e.code(), "NotFoundException");
    assert!(!rsa);
}

#[test]
fn symmetric_only_members_are_refused_on_hmac_and_asymmetric_keys_before_the_token() {
    let cases = [
        (KeySpec::Hmac256, vec![3u8; 32]),
        (KeySpec::EccNistP256, material_file("ec_p256.der")),
    ];
    for (spec, material) in cases {
        let mut w = World::new(DisabledImportPolicy::default());
        let mut record = w.create(spec);
        let valid = w.request(&mut record, &material);
        let id = "ab".repeat(32).parse().unwrap();
        for (request, member) in [
            (
                ImportKeyMaterialRequest {
                    key_material_id: Some(id),
                    ..valid.clone()
                },
                "KeyMaterialId",
            ),
            (
                ImportKeyMaterialRequest {
                    key_material_description: Some("quarterly".into()),
                    ..valid.clone()
                },
                "KeyMaterialDescription",
            ),
            (
                ImportKeyMaterialRequest {
                    import_type: Some(ImportType::ExistingKeyMaterial),
                    ..valid.clone()
                },
                "ImportType",
            ),
        ] {
            for request in [garbage_token(&request), request] {
                let (e, rsa) = w.import(&mut record, &request);
                assert_eq!(
                    (e.code(), e.message()),
                    (
                        "UnsupportedOperationException",
                        format!("{member} is not supported for KeySpec {spec}.")
                    )
                );
                assert!(!rsa);
            }
        }
        assert!(record.materials().is_empty(), "{spec}");
        // Without them, the same request imports.
        w.service
            .import_key_material(&mut record, &valid, w.now, &mut w.rng)
            .into_result()
            .unwrap();
        assert_eq!(record.materials()[0].description(), None);
    }
}

#[test]
fn key_material_id_with_omitted_import_type_on_a_first_import_is_refused() {
    let mut w = World::new(DisabledImportPolicy::default());
    let mut record = w.create(KeySpec::SymmetricDefault);
    let valid = w.request(&mut record, &[7; 32]);
    // The id the material would get, learnt from a twin key with the same id: none is needed,
    // any id is refused before the token because the omitted type means NEW here.
    let request = ImportKeyMaterialRequest {
        key_material_id: Some("cd".repeat(32).parse().unwrap()),
        ..valid.clone()
    };
    for request in [garbage_token(&request), request] {
        let (e, rsa) = w.import(&mut record, &request);
        assert_eq!(
            (e.code(), e.message()),
            (
                "ValidationException",
                "KeyMaterialId must not be set when ImportType is NEW_KEY_MATERIAL".to_owned()
            )
        );
        assert!(!rsa);
    }
    let id = w
        .service
        .import_key_material(&mut record, &valid, w.now, &mut w.rng)
        .into_result()
        .unwrap()
        .key_material_id;
    // After the first import, an omitted type with the right id re-imports.
    let again = w.request(&mut record, &[7; 32]);
    let again = ImportKeyMaterialRequest {
        key_material_id: Some(id),
        ..again
    };
    w.service
        .import_key_material(&mut record, &again, w.now, &mut w.rng)
        .into_result()
        .unwrap();
}

#[test]
fn state_comes_before_the_members_a_key_takes() {
    let mut w = World::new(DisabledImportPolicy::default());
    let mut record = w.create(KeySpec::Hmac256);
    let valid = w.request(&mut record, &[3; 32]);
    record
        .schedule_deletion(w.now, Some(7))
        .into_result()
        .unwrap();
    let request = ImportKeyMaterialRequest {
        key_material_description: Some("x".into()),
        ..valid
    };
    assert_eq!(
        w.import(&mut record, &request).0.code(),
        "KMSInvalidStateException"
    );
}

#[test]
fn legacy_pkcs1_first_import_is_flagged_on_the_response_and_the_record() {
    let mut rng = ChaCha20Rng::seed_from_u64(16);
    let context = KeyContext::new("aws", "us-east-1", "111122223333").unwrap();
    let service = ImportService::new(context, SealingKeys::new(SealingKey::generate(&mut rng)))
        .with_wrap_policy(WrapPolicy::new().allow_legacy_rsaes_pkcs1_v1_5_insecure());
    let mut w = World {
        service,
        rng,
        now: t0(),
    };
    let mut record = w.create(KeySpec::SymmetricDefault);
    let import = |w: &mut World, record: &mut KeyRecord, alg: WrappingAlgorithm| {
        let mut pool = WrappingKeyPool::new();
        pool.insert(fixture_key());
        let params = w
            .service
            .get_parameters_for_import(
                record,
                &GetParametersForImportRequest {
                    key_id: record.key_id().to_string(),
                    wrapping_algorithm: alg,
                    wrapping_key_spec: RSA2048,
                },
                &mut pool,
                w.now,
                &mut w.rng,
            )
            .into_result()
            .unwrap();
        let policy = WrapPolicy::new().allow_legacy_rsaes_pkcs1_v1_5_insecure();
        let wrapped = WrappingPublicKey::from_spki_der(&params.public_key)
            .unwrap()
            .wrap(alg, &[9; 32], &policy, &mut w.rng)
            .unwrap();
        let request = ImportKeyMaterialRequest::new(
            record.arn().to_string(),
            params.import_token.into_bytes(),
            wrapped,
        )
        .does_not_expire();
        w.service
            .import_key_material(record, &request, w.now, &mut w.rng)
            .into_result()
            .unwrap()
    };
    let first = import(&mut w, &mut record, WrappingAlgorithm::RsaesPkcs1V15);
    assert!(first.legacy_wrapping);
    assert!(record.materials()[0].legacy_wrapping());
    // A re-import of the same material through OAEP proves it: the flag clears.
    let again = import(&mut w, &mut record, OAEP256);
    assert!(!again.legacy_wrapping);
    assert_eq!(again.key_material_id, first.key_material_id);
    assert!(!record.materials()[0].legacy_wrapping());
    // Once confirmed, a later legacy import of the same material is not flagged.
    let third = import(&mut w, &mut record, WrappingAlgorithm::RsaesPkcs1V15);
    assert!(!third.legacy_wrapping);
    assert!(!record.materials()[0].legacy_wrapping());
}
