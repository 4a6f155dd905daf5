//! The cost of storing a key record: `KeyRecord::seal` (the record document, encrypted under
//! the current storage key) and `KeyRecord::open_sealed` (authenticate, decrypt, parse, check
//! the invariants), for a key with one material (`one_material`) and for the largest record a
//! symmetric key reaches (`rotated_25`: 25 on-demand rotations, so 26 materials, plus a full
//! used-token ledger).
//!
//! ```sh
//! cargo bench --bench storage
//! ```

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use kms_import::CheckedMaterial;
use kms_import::ImportType;
use kms_import::MaterialImport;
use kms_import::rand_core::SeedableRng;
use kms_import::{
    CreateKeyParams, DisabledImportPolicy, Expiration, KeyContext, KeyId, KeyMaterial, KeyRecord,
    KeySpec, Origin, StorageKey, StorageKeys, WrappingAlgorithm, WrappingKeySpec,
};
use kms_import::{GetParametersForImportRequest, ImportKeyMaterialRequest, ImportService};
use kms_import::{SealingKey, SealingKeys};
use kms_import::{WrapPolicy, WrappingPrivateKey, WrappingPublicKey};
use rand_chacha::ChaCha20Rng;
use time::OffsetDateTime;

const KEY_ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";

fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("fixed instant")
}

fn create() -> KeyRecord {
    KeyRecord::create(
        &KeyContext::new("aws", "us-east-1", "111122223333").expect("context"),
        KEY_ID.parse::<KeyId>().expect("key id"),
        CreateKeyParams {
            key_spec: KeySpec::SymmetricDefault,
            key_usage: None,
            origin: Origin::External,
            description: Some("a key stored sealed".into()),
        },
        now(),
    )
    .expect("record")
}

fn import(record: &mut KeyRecord, byte: u8, import_type: Option<ImportType>) {
    record
        .import_material(
            CheckedMaterial::check(record.key_spec(), KeyMaterial::new(vec![byte; 32])).unwrap(),
            MaterialImport {
                expiration: Expiration::DoesNotExpire,
                import_type,
                key_material_id: None,
                description: Some(format!("material {byte}")),
                disabled_import_policy: DisabledImportPolicy::default(),
            },
            now(),
        )
        .expect("import");
}

/// 26 materials and a ledger filled by real imports (each through its own token).
fn rotated_25(rng: &mut ChaCha20Rng) -> KeyRecord {
    let mut record = create();
    import(&mut record, 0, None);
    for b in 1..=25u8 {
        import(&mut record, b, Some(ImportType::NewKeyMaterial));
        record
            .rotate_key_on_demand(now())
            .into_result()
            .expect("rotate");
    }
    let der = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/wrapping_rsa_2048.pk8.der"
    ))
    .expect("fixture key");
    let context = KeyContext::new("aws", "us-east-1", "111122223333").expect("context");
    let service = ImportService::new(context, SealingKeys::new(SealingKey::generate(rng)));
    for _ in 0..16 {
        let mut key = Some(WrappingPrivateKey::from_pkcs8_der(&der).expect("fixture"));
        let request = GetParametersForImportRequest {
            key_id: KEY_ID.to_owned(),
            wrapping_algorithm: WrappingAlgorithm::RsaesOaepSha256,
            wrapping_key_spec: WrappingKeySpec::Rsa2048,
        };
        let params = service
            .get_parameters_for_import(&mut record, &request, &mut key, now(), rng)
            .into_result()
            .expect("params");
        let wrapped = WrappingPublicKey::from_spki_der(&params.public_key)
            .expect("public key")
            .wrap(
                WrappingAlgorithm::RsaesOaepSha256,
                &[25; 32],
                &WrapPolicy::default(),
                rng,
            )
            .expect("wrap");
        let request =
            ImportKeyMaterialRequest::new(KEY_ID, params.import_token.into_bytes(), wrapped)
                .does_not_expire();
        service
            .import_key_material(&mut record, &request, now(), rng)
            .into_result()
            .expect("re-import");
    }
    record
}

fn storage(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let keys = StorageKeys::new(StorageKey::generate(&mut rng));
    let mut one = create();
    import(&mut one, 7, None);
    let records = [("one_material", one), ("rotated_25", rotated_25(&mut rng))];
    let mut group = c.benchmark_group("storage");
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for (name, record) in &records {
        let sealed = record.seal(&keys, &mut rng).expect("seal");
        println!("storage/{name}: sealed record of {} bytes", sealed.len());
        group.bench_function(format!("seal/{name}"), |b| {
            b.iter(|| record.seal(&keys, &mut rng).expect("seal"))
        });
        let id = record.key_id();
        group.bench_function(format!("open/{name}"), |b| {
            b.iter(|| KeyRecord::open_sealed(&keys, &id, black_box(&sealed)).expect("open"))
        });
    }
    group.finish();
}

criterion_group!(benches, storage);
criterion_main!(benches);
