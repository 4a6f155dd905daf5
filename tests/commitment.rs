//! The KeyMaterialId is keyed with the service's commitment keys (versioned, rotatable), so it
//! confirms no guess of the material to anyone without them; and it commits to the key itself,
//! so the same key in any valid encoding restores its KMS key.

use kms_import::WrappingKeyPool;
use kms_import::{
    CommitmentKey, CommitmentKeys, KeyMaterial, KeyMaterialId, KeySpec, KeyState, KeyUsage, Origin,
    WrappingAlgorithm, WrappingKeySpec,
};
use kms_import::{CreateKeyParams, KeyRecord};
use kms_import::{
    DeleteImportedKeyMaterialRequest, GetParametersForImportRequest, ImportKeyMaterialRequest,
    ImportService,
};
use kms_import::{KeyContext, KeyId};
use kms_import::{SealingKey, SealingKeys};
use kms_import::{WrapPolicy, WrappingPrivateKey, WrappingPublicKey};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use rsa::traits::{PrivateKeyParts, PublicKeyParts};
use time::OffsetDateTime;

/// RSA_AES for RSA and ECC material, OAEP for symmetric material (spec §6.3).
fn algorithm(spec: KeySpec) -> WrappingAlgorithm {
    if spec.is_symmetric() {
        WrappingAlgorithm::RsaesOaepSha256
    } else {
        WrappingAlgorithm::RsaAesKeyWrapSha256
    }
}

fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap()
}

fn data(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn context() -> KeyContext {
    KeyContext::new("aws", "us-east-1", "111122223333").unwrap()
}

fn service(keys: Option<CommitmentKeys>) -> ImportService {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let service = ImportService::new(context(), SealingKeys::new(SealingKey::generate(&mut rng)));
    match keys {
        Some(keys) => service.with_commitment_keys(keys),
        None => service,
    }
}

fn commitment_keys(version: u32, byte: u8) -> CommitmentKeys {
    CommitmentKeys::new(CommitmentKey::from_bytes(version, [byte; 32]))
}

fn create(spec: KeySpec, key_id: KeyId) -> KeyRecord {
    KeyRecord::create(
        &context(),
        key_id,
        CreateKeyParams {
            key_spec: spec,
            key_usage: Some(spec.default_key_usage().unwrap_or(KeyUsage::SignVerify)),
            origin: Origin::External,
            description: None,
        },
        t0(),
    )
    .unwrap()
}

fn key_id(n: u8) -> KeyId {
    format!("1234abcd-12ab-34cd-56ef-1234567890{n:02x}")
        .parse()
        .unwrap()
}

fn import(
    service: &ImportService,
    record: &mut KeyRecord,
    material: &[u8],
) -> Result<KeyMaterialId, kms_import::Error> {
    // A fresh seed per import: a repeated seed would repeat the token id, and a used token id
    // is refused.
    static SEED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(100);
    let seed = SEED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut pool = WrappingKeyPool::new();
    pool.insert(WrappingPrivateKey::from_pkcs8_der(&data("wrapping_rsa_4096.pk8.der")).unwrap());
    let alg = algorithm(record.key_spec());
    let params = service
        .get_parameters_for_import(
            record,
            &GetParametersForImportRequest {
                key_id: record.key_id().to_string(),
                wrapping_algorithm: alg,
                wrapping_key_spec: WrappingKeySpec::Rsa4096,
            },
            &mut pool,
            t0(),
            &mut rng,
        )
        .into_result()
        .unwrap();
    let wrapped = WrappingPublicKey::from_spki_der(&params.public_key)
        .unwrap()
        .wrap(alg, material, &WrapPolicy::new(), &mut rng)
        .unwrap();
    let request = ImportKeyMaterialRequest::new(
        record.arn().to_string(),
        params.import_token.into_bytes(),
        wrapped,
    )
    .does_not_expire();
    service
        .import_key_material(record, &request, t0(), &mut rng)
        .into_result()
        .map(|r| r.key_material_id)
}

fn delete(service: &ImportService, record: &mut KeyRecord) {
    service
        .delete_imported_key_material(
            record,
            &DeleteImportedKeyMaterialRequest {
                key_id: record.key_id().to_string(),
                key_material_id: None,
            },
            t0(),
        )
        .into_result()
        .unwrap();
}

#[test]
fn material_id_cannot_be_computed_from_public_values() {
    // What anyone could compute from the key id and a guessed material: the id must differ.
    let keyed = service(Some(commitment_keys(1, 0x11)));
    let guess = [0x42u8; 32];
    let mut record = create(KeySpec::SymmetricDefault, key_id(1));
    let id = import(&keyed, &mut record, &guess).unwrap();
    let unkeyed = KeyMaterialId::derive(&key_id(1).to_string(), &KeyMaterial::new(guess.to_vec()));
    assert_ne!(id, unkeyed);
    assert_eq!(record.materials()[0].commitment_version(), Some(1));
    // Another secret gives another id for the same key and material.
    let other = service(Some(commitment_keys(1, 0x22)));
    let mut twin = create(KeySpec::SymmetricDefault, key_id(1));
    assert_ne!(import(&other, &mut twin, &guess).unwrap(), id);
    // The same secret on another instance gives the same id.
    let same = service(Some(commitment_keys(1, 0x11)));
    let mut twin = create(KeySpec::SymmetricDefault, key_id(1));
    assert_eq!(import(&same, &mut twin, &guess).unwrap(), id);
}

#[test]
fn rotated_commitment_keys_keep_old_records_verifying() {
    let old = service(Some(commitment_keys(1, 0x11)));
    let mut record = create(KeySpec::SymmetricDefault, key_id(2));
    let id = import(&old, &mut record, &[5; 32]).unwrap();
    delete(&old, &mut record);

    let mut keys = commitment_keys(1, 0x11);
    keys.rotate(CommitmentKey::from_bytes(2, [0x33; 32]))
        .unwrap();
    assert_eq!(
        keys.rotate(CommitmentKey::from_bytes(1, [0x44; 32]))
            .unwrap_err()
            .code(),
        "ValidationException"
    );
    let rotated = service(Some(keys));
    // Same material: restored, same id, still version 1.
    assert_eq!(import(&rotated, &mut record, &[5; 32]), Ok(id));
    assert_eq!(record.key_state(), KeyState::Enabled);
    assert_eq!(record.materials()[0].commitment_version(), Some(1));
    delete(&rotated, &mut record);
    // Other material: refused.
    assert_eq!(
        import(&rotated, &mut record, &[6; 32]).unwrap_err().code(),
        "IncorrectKeyMaterialException"
    );
    // New keys get the current version.
    let mut fresh = create(KeySpec::SymmetricDefault, key_id(3));
    import(&rotated, &mut fresh, &[5; 32]).unwrap();
    assert_eq!(fresh.materials()[0].commitment_version(), Some(2));
    // A service that lost version 1 cannot verify, and says so without detail.
    let lost = service(Some(commitment_keys(2, 0x33)));
    assert_eq!(
        import(&lost, &mut record, &[5; 32]).unwrap_err().code(),
        "KMSInternalException"
    );
}

#[test]
fn records_made_before_commitment_keys_keep_verifying() {
    let before = service(None);
    let mut record = create(KeySpec::SymmetricDefault, key_id(4));
    let id = import(&before, &mut record, &[8; 32]).unwrap();
    assert_eq!(record.materials()[0].commitment_version(), None);
    delete(&before, &mut record);
    let after = service(Some(commitment_keys(7, 0x55)));
    assert_eq!(
        import(&after, &mut record, &[9; 32]).unwrap_err().code(),
        "IncorrectKeyMaterialException"
    );
    assert_eq!(import(&after, &mut record, &[8; 32]), Ok(id));
    assert_eq!(record.key_state(), KeyState::Enabled);
}

#[test]
fn commitment_key_debug_is_redacted_and_versions_are_unique() {
    let key = CommitmentKey::from_bytes(9, [0xab; 32]);
    let shown = format!("{key:?} {:?}", CommitmentKeys::new(key.clone()));
    assert!(
        !shown.to_lowercase().contains("ab, ") && !shown.contains("171"),
        "{shown}"
    );
    assert_eq!(key.version(), 9);
    assert_eq!(key.expose_secret(), &[0xab; 32]);
    let dup =
        CommitmentKeys::with_previous(key.clone(), vec![CommitmentKey::from_bytes(9, [1; 32])]);
    assert_eq!(dup.unwrap_err().code(), "ValidationException");
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let a = CommitmentKey::generate(&mut rng);
    let b = CommitmentKey::generate(&mut rng);
    assert_ne!(a.version(), 0);
    assert_ne!(a.expose_secret(), b.expose_secret());
    let set = CommitmentKeys::with_previous(b.clone(), vec![a.clone()]).unwrap();
    assert_eq!(
        set.get(a.version()).unwrap().expose_secret(),
        a.expose_secret()
    );
}

/// The same EC key in every encoding the fixtures hold.
#[test]
fn same_ec_key_in_another_encoding_restores_the_key() {
    let service = service(Some(commitment_keys(1, 0x11)));
    for (spec, curve) in [
        (KeySpec::EccNistP256, "p256"),
        (KeySpec::EccNistP384, "p384"),
        (KeySpec::EccSecgP256k1, "k256"),
    ] {
        let mut record = create(spec, key_id(0x10));
        let id = import(
            &service,
            &mut record,
            &data(&format!("material/ec_{curve}.der")),
        )
        .unwrap();
        for variant in ["nopub", "compressed", "hybrid", "params"] {
            delete(&service, &mut record);
            let other = data(&format!("material/ec_{curve}_{variant}.der"));
            assert_ne!(other, data(&format!("material/ec_{curve}.der")));
            assert_eq!(
                import(&service, &mut record, &other),
                Ok(id),
                "{curve} {variant}"
            );
            assert_eq!(record.key_state(), KeyState::Enabled);
        }
        delete(&service, &mut record);
        let another = if curve == "p256" {
            data("material/ec_p256_other.der")
        } else {
            data("material/ec_p256.der")
        };
        assert_eq!(
            import(&service, &mut record, &another).unwrap_err().code(),
            "IncorrectKeyMaterialException"
        );
    }
}

#[test]
fn same_rsa_key_written_another_way_restores_the_key() {
    let service = service(Some(commitment_keys(1, 0x11)));
    let original = data("material/rsa_2048.der");
    let key = rsa::RsaPrivateKey::from_pkcs8_der(&original).unwrap();
    // The primes in the other order (with the CRT values that go with it), as another tool may
    // write them.
    let primes = key.primes();
    let swapped = rsa::RsaPrivateKey::from_components(
        key.n().as_ref().clone(),
        key.e().clone(),
        key.d().clone(),
        vec![primes[1].as_ref().clone(), primes[0].as_ref().clone()],
    )
    .unwrap();
    let swapped = swapped.to_pkcs8_der().unwrap().as_bytes().to_vec();
    assert_ne!(swapped, original);

    let mut record = create(KeySpec::Rsa2048, key_id(0x20));
    let id = import(&service, &mut record, &original).unwrap();
    delete(&service, &mut record);
    assert_eq!(import(&service, &mut record, &swapped), Ok(id));
    assert_eq!(record.key_state(), KeyState::Enabled);
    delete(&service, &mut record);
    assert_eq!(
        import(&service, &mut record, &data("material/rsa_2048_e3.der"))
            .unwrap_err()
            .code(),
        "IncorrectKeyMaterialException"
    );
}
