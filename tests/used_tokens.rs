//! The used-token ledger through ImportKeyMaterial: many successful imports into one key in one
//! second never make an unused token of that second look used, and a used token never works
//! twice.

use kms_import::WrappingKeyPool;
use kms_import::{CreateKeyParams, KeyRecord};
use kms_import::{Error, KeySpec, Origin, WrappingAlgorithm, WrappingKeySpec};
use kms_import::{GetParametersForImportRequest, ImportKeyMaterialRequest, ImportService};
use kms_import::{KeyContext, KeyId};
use kms_import::{SealingKey, SealingKeys};
use kms_import::{WrapPolicy, WrappingPrivateKey, WrappingPublicKey};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use time::OffsetDateTime;

const OAEP256: WrappingAlgorithm = WrappingAlgorithm::RsaesOaepSha256;

#[test]
fn forty_imports_in_one_second_leave_a_fresh_token_of_that_second_usable() {
    let mut rng = ChaCha20Rng::seed_from_u64(11);
    let context = KeyContext::new("aws", "us-east-1", "111122223333").unwrap();
    let service = ImportService::new(
        context.clone(),
        SealingKeys::new(SealingKey::generate(&mut rng)),
    );
    // Every call happens within the same second (token issue times are whole seconds).
    let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
    let mut record = KeyRecord::create(
        &context,
        KeyId::random(&mut rng),
        CreateKeyParams {
            key_spec: KeySpec::SymmetricDefault,
            key_usage: None,
            origin: Origin::External,
            description: None,
        },
        now,
    )
    .unwrap();
    let der = std::fs::read(format!(
        "{}/tests/data/wrapping_rsa_2048.pk8.der",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let request = |record: &mut KeyRecord, rng: &mut ChaCha20Rng| {
        let mut pool = WrappingKeyPool::new();
        pool.insert(WrappingPrivateKey::from_pkcs8_der(&der).unwrap());
        let params = service
            .get_parameters_for_import(
                record,
                &GetParametersForImportRequest {
                    key_id: record.key_id().to_string(),
                    wrapping_algorithm: OAEP256,
                    wrapping_key_spec: WrappingKeySpec::Rsa2048,
                },
                &mut pool,
                now,
                rng,
            )
            .into_result()
            .unwrap();
        let wrapped = WrappingPublicKey::from_spki_der(&params.public_key)
            .unwrap()
            .wrap(OAEP256, &[4; 32], &WrapPolicy::new(), rng)
            .unwrap();
        ImportKeyMaterialRequest::new(
            record.arn().to_string(),
            params.import_token.into_bytes(),
            wrapped,
        )
        .does_not_expire()
    };
    // Issued before the burst, used after it.
    let fresh = request(&mut record, &mut rng);
    let mut used = Vec::new();
    for _ in 0..40 {
        let r = request(&mut record, &mut rng);
        service
            .import_key_material(&mut record, &r, now, &mut rng)
            .into_result()
            .unwrap();
        used.push(r);
    }
    for r in &used {
        assert_eq!(
            service
                .import_key_material(&mut record, r, now, &mut rng)
                .into_result()
                .unwrap_err(),
            Error::InvalidImportToken
        );
    }
    service
        .import_key_material(&mut record, &fresh, now, &mut rng)
        .into_result()
        .unwrap();
}
