//! No stray copies of imported material: after validate_material, ImportKeyMaterial, three
//! usable_material calls and DeleteImportedKeyMaterial, a scan of the whole process memory
//! (`/proc/self/mem`) finds a marker material nowhere, and nowhere either once everything is
//! dropped.
//!
//! Linux only, and meaningful only in an optimised build (debug builds keep temporaries the
//! optimiser removes):
//!
//! ```sh
//! cargo test --release -p kms-import --test memory_scan
//! ```
#![cfg(all(target_os = "linux", not(debug_assertions)))]

use kms_import::WrappingKeyPool;
use kms_import::{
    CommitmentKey, CommitmentKeys, KeyMaterial, KeySpec, Origin, WrappingAlgorithm,
    WrappingKeySpec, validate_material,
};
use kms_import::{CreateKeyParams, KeyRecord};
use kms_import::{
    DeleteImportedKeyMaterialRequest, GetParametersForImportRequest, ImportKeyMaterialRequest,
    ImportService, usable_material,
};
use kms_import::{KeyContext, KeyId};
use kms_import::{SealingKey, SealingKeys};
use kms_import::{WrapPolicy, WrappingPrivateKey, WrappingPublicKey};
use kms_import_testkit::memory_scan::{self, Scanner};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use time::{Duration, OffsetDateTime};

const MARKER_LEN: usize = 32;

/// The marker's bytes, one at a time, from a fixed generator: the test never holds the marker
/// anywhere except in the buffer it hands to the library.
fn marker_byte(i: usize) -> u8 {
    memory_scan::marker_byte(0x9e37_79b9_7f4a_7c15, i)
}

/// A fresh heap buffer holding the marker.
fn marker() -> Vec<u8> {
    let mut v = Vec::with_capacity(MARKER_LEN);
    for i in 0..MARKER_LEN {
        v.push(marker_byte(i));
    }
    v
}

fn data(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[inline(never)]
fn wrap_marker(public_key: &[u8], rng: &mut ChaCha20Rng) -> Vec<u8> {
    let material = KeyMaterial::new(marker());
    let validated = validate_material(KeySpec::SymmetricDefault, &material).unwrap();
    drop(validated);
    WrappingPublicKey::from_spki_der(public_key)
        .unwrap()
        .wrap(
            WrappingAlgorithm::RsaesOaepSha256,
            material.expose_secret(),
            &WrapPolicy::new(),
            rng,
        )
        .unwrap()
}

#[test]
fn no_copy_of_the_material_survives_its_deletion_or_the_drop() {
    let mut scanner = Scanner::from_generator(MARKER_LEN, marker_byte);
    assert_eq!(
        scanner.count(),
        0,
        "the marker is in memory before the test made it"
    );

    let mut rng = ChaCha20Rng::seed_from_u64(77);
    let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
    let context = KeyContext::new("aws", "us-east-1", "111122223333").unwrap();
    let service = ImportService::new(
        context.clone(),
        SealingKeys::new(SealingKey::generate(&mut rng)),
    )
    .with_commitment_keys(CommitmentKeys::new(CommitmentKey::generate(&mut rng)));
    let key_id = KeyId::random(&mut rng);
    let mut record = KeyRecord::create(
        &context,
        key_id,
        CreateKeyParams {
            key_spec: KeySpec::SymmetricDefault,
            key_usage: None,
            origin: Origin::External,
            description: None,
        },
        now,
    )
    .unwrap();
    let mut pool = WrappingKeyPool::new();
    pool.insert(WrappingPrivateKey::from_pkcs8_der(&data("wrapping_rsa_2048.pk8.der")).unwrap());
    let params = service
        .get_parameters_for_import(
            &mut record,
            &GetParametersForImportRequest {
                key_id: key_id.to_string(),
                wrapping_algorithm: WrappingAlgorithm::RsaesOaepSha256,
                wrapping_key_spec: WrappingKeySpec::Rsa2048,
            },
            &mut pool,
            now,
            &mut rng,
        )
        .into_result()
        .unwrap();
    let wrapped = wrap_marker(&params.public_key, &mut rng);
    let mut counts = Vec::new();
    let mut look = |scanner: &mut Scanner, when: &str| {
        let n = scanner.count();
        counts.push(format!("{when}: {n} {:?}", scanner.places()));
        n
    };
    let after_wrap = look(&mut scanner, "after validate_material and wrap");

    let request = ImportKeyMaterialRequest::new(
        key_id.to_string(),
        params.import_token.into_bytes(),
        wrapped,
    )
    .expires_at(now + Duration::days(1));
    service
        .import_key_material(&mut record, &request, now, &mut rng)
        .into_result()
        .unwrap();
    for _ in 0..3 {
        let usable = usable_material(&record, now).unwrap();
        assert_eq!(usable.symmetric_key().unwrap().expose_secret().len(), 32);
    }
    let after_use = look(&mut scanner, "after import and three usable_material");

    service
        .delete_imported_key_material(
            &mut record,
            &DeleteImportedKeyMaterialRequest {
                key_id: key_id.to_string(),
                key_material_id: None,
            },
            now,
        )
        .into_result()
        .unwrap();
    let after_delete = look(&mut scanner, "after DeleteImportedKeyMaterial");

    drop(record);
    drop(service);
    drop(pool);
    let after_drop = look(&mut scanner, "after the drop");
    // Only the record holds the material while it is imported; nothing once it is deleted.
    assert_eq!(
        (after_wrap, after_use, after_delete, after_drop),
        (0, 1, 0, 0),
        "{counts:#?}"
    );
}
