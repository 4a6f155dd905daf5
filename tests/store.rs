//! The storage contract: the `changed` signal of every import operation (failures included),
//! the in-memory reference store with compare-and-swap on the revision, and the retry helper
//! that reloads and operates again after a lost race.

use kms_import::rand_core::{CryptoRng, SeedableRng};
use kms_import::{
    Applied, CreateKeyParams, Error, KeyContext, KeyId, KeyRecord, KeySpec, KeyState, MemoryStore,
    Origin, RecordStore, StorageKey, StorageKeys, UpdateError, WrappingAlgorithm, WrappingKeySpec,
    update,
};
use kms_import::{
    DeleteImportedKeyMaterialRequest, GetParametersForImportRequest, ImportKeyMaterialRequest,
    ImportService,
};
use kms_import::{SealingKey, SealingKeys};
use kms_import::{WrapPolicy, WrappingPrivateKey, WrappingPublicKey};
use rand_chacha::ChaCha20Rng;
use time::{Duration, OffsetDateTime};

const KEY_ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";

fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap()
}

fn key_id() -> KeyId {
    KEY_ID.parse().unwrap()
}

fn context() -> KeyContext {
    KeyContext::new("aws", "us-east-1", "111122223333").unwrap()
}

fn fixture_key() -> WrappingPrivateKey {
    let path = format!(
        "{}/tests/data/wrapping_rsa_2048.pk8.der",
        env!("CARGO_MANIFEST_DIR")
    );
    WrappingPrivateKey::from_pkcs8_der(&std::fs::read(path).unwrap()).unwrap()
}

fn create() -> KeyRecord {
    KeyRecord::create(
        &context(),
        key_id(),
        CreateKeyParams {
            key_spec: KeySpec::SymmetricDefault,
            key_usage: None,
            origin: Origin::External,
            description: None,
        },
        t0(),
    )
    .unwrap()
}

struct World {
    service: ImportService,
    rng: ChaCha20Rng,
}

impl World {
    fn new() -> World {
        let mut rng = ChaCha20Rng::seed_from_u64(11);
        let service =
            ImportService::new(context(), SealingKeys::new(SealingKey::generate(&mut rng)));
        World { service, rng }
    }

    fn params(
        &mut self,
        record: &mut KeyRecord,
        now: OffsetDateTime,
    ) -> Applied<(Vec<u8>, Vec<u8>)> {
        let request = GetParametersForImportRequest {
            key_id: KEY_ID.to_owned(),
            wrapping_algorithm: WrappingAlgorithm::RsaesOaepSha256,
            wrapping_key_spec: WrappingKeySpec::Rsa2048,
        };
        // One fixture key as the source: the suite never generates RSA keys.
        let mut one = Some(fixture_key());
        let applied =
            self.service
                .get_parameters_for_import(record, &request, &mut one, now, &mut self.rng);
        assert!(one.is_none() || applied.result.is_err());
        Applied {
            changed: applied.changed,
            result: applied
                .result
                .map(|p| (p.public_key, p.import_token.into_bytes())),
        }
    }

    fn import_request(
        &mut self,
        record: &mut KeyRecord,
        valid_to: OffsetDateTime,
    ) -> ImportKeyMaterialRequest {
        let (public_key, token) = self.params(record, t0()).result.unwrap();
        let wrapped = WrappingPublicKey::from_spki_der(&public_key)
            .unwrap()
            .wrap(
                WrappingAlgorithm::RsaesOaepSha256,
                &[0x42; 32],
                &WrapPolicy::default(),
                &mut self.rng,
            )
            .unwrap();
        ImportKeyMaterialRequest::new(KEY_ID, token, wrapped).expires_at(valid_to)
    }
}

#[test]
fn every_import_operation_says_whether_it_changed_the_record() {
    let mut w = World::new();
    let mut record = create();
    let valid_to = t0() + Duration::days(1);

    // GetParametersForImport with nothing due changes nothing.
    let params = w.params(&mut record, t0());
    assert!(params.result.is_ok());
    assert!(!params.changed);

    let request = w.import_request(&mut record, valid_to);
    let imported = w
        .service
        .import_key_material(&mut record, &request, t0(), &mut w.rng);
    assert!(imported.result.is_ok());
    assert!(imported.changed);

    // The same token again fails, and (nothing being due) changes nothing.
    let again = w
        .service
        .import_key_material(&mut record, &request, t0(), &mut w.rng);
    assert_eq!(again.result.unwrap_err(), Error::InvalidImportToken);
    assert!(!again.changed);

    // A failing operation at ValidTo still applies the due expiry: the caller must store. (Its
    // own ValidTo must lie ahead, or the request fails on its own before the record is read.)
    let revision = record.revision();
    let late_request = request.clone().expires_at(valid_to + Duration::days(1));
    let late = w
        .service
        .import_key_material(&mut record, &late_request, valid_to, &mut w.rng);
    assert_eq!(
        late.result.unwrap_err().code(),
        "ExpiredImportTokenException"
    );
    assert!(late.changed);
    assert!(record.revision() > revision);
    // The expiry it applied is done: applying it again changes nothing.
    assert!(!record.expire_materials(valid_to).changed());
    assert_eq!(record.key_state(), KeyState::PendingImport);

    // Deleting material that is already gone changes nothing.
    let delete = DeleteImportedKeyMaterialRequest {
        key_id: KEY_ID.to_owned(),
        key_material_id: None,
    };
    let deleted = w
        .service
        .delete_imported_key_material(&mut record, &delete, valid_to);
    assert!(deleted.result.unwrap().key_material_id.is_some());
    assert!(!deleted.changed);

    // RotateKeyOnDemand fails on a key pending import, without change.
    let rotated = w
        .service
        .rotate_key_on_demand(&mut record, KEY_ID, valid_to);
    assert_eq!(
        rotated.result.unwrap_err().code(),
        "KMSInvalidStateException"
    );
    assert!(!rotated.changed);
}

#[test]
fn record_operations_say_whether_they_changed_the_record() {
    let mut record = create();
    let failed = record.enable(t0());
    assert_eq!(
        failed.result.unwrap_err().code(),
        "KMSInvalidStateException"
    );
    assert!(!failed.changed);
    let scheduled = record.schedule_deletion(t0(), Some(7));
    assert!(scheduled.changed);
    assert_eq!(scheduled.into_result(), Ok(t0() + Duration::days(7)));
    let again = record.schedule_deletion(t0(), Some(7));
    assert!(!again.changed);
    assert_eq!(again.result.unwrap_err().code(), "KMSInvalidStateException");
    let cancelled = record.cancel_deletion(t0());
    assert!(cancelled.changed && cancelled.result.is_ok());
    let deleted = record.delete_material(None, t0());
    assert_eq!(deleted.result, Ok(None));
    assert!(!deleted.changed);
    let rotated = record.rotate_key_on_demand(t0());
    assert!(rotated.result.is_err() && !rotated.changed);
    // Expiry says so through its outcome; Applied::track wraps any other step the same way.
    assert!(!record.expire_materials(t0()).changed());
    let tracked = Applied::track(&mut record, |r| Ok(r.expire_materials(t0())));
    assert!(!tracked.changed);
}

fn storage_keys() -> StorageKeys {
    StorageKeys::new(StorageKey::generate(&mut ChaCha20Rng::seed_from_u64(5)))
}

#[test]
fn memory_store_compares_and_swaps_on_the_revision() {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let mut store = MemoryStore::new(storage_keys());
    let record = create();
    assert!(store.is_empty());
    assert!(matches!(store.get(&key_id()), Ok(None)));
    assert_eq!(store.insert_if_revision(&record, None, &mut rng), Ok(true));
    // A second create of the same key loses.
    assert_eq!(store.insert_if_revision(&record, None, &mut rng), Ok(false));
    assert_eq!(store.len(), 1);
    assert_eq!(store.revision(&key_id()), Some(0));

    let mut a = store.get(&key_id()).unwrap().unwrap();
    let mut b = store.get(&key_id()).unwrap().unwrap();
    a.schedule_deletion(t0(), Some(7)).result.unwrap();
    b.schedule_deletion(t0(), Some(30)).result.unwrap();
    assert_eq!(store.insert_if_revision(&a, Some(0), &mut rng), Ok(true));
    // b was loaded at revision 0 too: its write loses and stores nothing.
    assert_eq!(store.insert_if_revision(&b, Some(0), &mut rng), Ok(false));
    let stored = store.get(&key_id()).unwrap().unwrap();
    assert_eq!(stored.deletion_date(), Some(t0() + Duration::days(7)));
    assert_eq!(stored.revision(), a.revision());

    assert!(!store.remove_if_revision(&key_id(), 0));
    assert!(store.remove_if_revision(&key_id(), a.revision()));
    assert!(matches!(store.get(&key_id()), Ok(None)));
}

#[test]
fn memory_store_holds_only_sealed_records() {
    let mut w = World::new();
    let mut record = create();
    let request = w.import_request(&mut record, t0() + Duration::days(1));
    w.service
        .import_key_material(&mut record, &request, t0(), &mut w.rng)
        .result
        .unwrap();
    let mut store = MemoryStore::new(storage_keys());
    store.insert_if_revision(&record, None, &mut w.rng).unwrap();
    let sealed = store.sealed(&key_id()).unwrap();
    assert!(!sealed.windows(32).any(|win| win == [0x42; 32]));
    let back = store.get(&key_id()).unwrap().unwrap();
    assert_eq!(
        back.current_material()
            .unwrap()
            .material()
            .unwrap()
            .expose_secret(),
        &[0x42; 32]
    );
    // Records sealed before a storage-key rotation still load, and are resealed on write.
    let old_id = store.storage_keys_mut().current().id();
    store
        .storage_keys_mut()
        .rotate(StorageKey::generate(&mut w.rng))
        .unwrap();
    assert_eq!(&store.sealed(&key_id()).unwrap()[1..9], old_id.as_bytes());
    let mut loaded = store.get(&key_id()).unwrap().unwrap();
    let revision = loaded.revision();
    loaded.disable(t0()).result.unwrap();
    assert!(
        store
            .insert_if_revision(&loaded, Some(revision), &mut w.rng)
            .unwrap()
    );
    assert_ne!(&store.sealed(&key_id()).unwrap()[1..9], old_id.as_bytes());
}

/// A store where another writer wins the first `races` compare-and-swaps: before each of
/// them, it disables or enables the key behind the caller's back.
struct Racing {
    inner: MemoryStore,
    races: usize,
}

impl RecordStore for Racing {
    type Error = Error;

    fn get(&self, key_id: &KeyId) -> Result<Option<KeyRecord>, Error> {
        RecordStore::get(&self.inner, key_id)
    }

    fn insert_if_revision(
        &mut self,
        record: &KeyRecord,
        expected: Option<u64>,
        rng: &mut dyn CryptoRng,
    ) -> Result<bool, Error> {
        if self.races > 0 {
            self.races -= 1;
            let mut other = self.inner.get(&record.key_id()).unwrap().unwrap();
            let loaded = other.revision();
            toggle(&mut other, 30).result?;
            assert!(self.inner.insert_if_revision(&other, Some(loaded), rng)?);
        }
        self.inner.insert_if_revision(record, expected, rng)
    }
}

/// Cancels a scheduled deletion, or schedules one `days` ahead.
fn toggle(record: &mut KeyRecord, days: u32) -> Applied<()> {
    if record.key_state() == KeyState::PendingDeletion {
        record.cancel_deletion(t0())
    } else {
        record.schedule_deletion(t0(), Some(days)).map(|_| ())
    }
}

fn racing(races: usize) -> Racing {
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let mut inner = MemoryStore::new(storage_keys());
    let mut record = create();
    record.schedule_deletion(t0(), Some(7)).result.unwrap();
    inner.insert_if_revision(&record, None, &mut rng).unwrap();
    Racing { inner, races }
}

#[test]
fn update_reloads_and_retries_after_a_lost_race() {
    let mut store = racing(2);
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let mut calls = 0;
    let applied = update(&mut store, &key_id(), 3, &mut rng, |record, _| {
        calls += 1;
        toggle(record, 7)
    })
    .unwrap();
    assert_eq!(calls, 3);
    assert!(applied.changed);
    assert!(applied.result.is_ok());
    // Loaded PendingDeletion, raced to PendingImport, then back: the third attempt cancelled.
    let stored = store.inner.get(&key_id()).unwrap().unwrap();
    assert_eq!(stored.key_state(), KeyState::PendingImport);
}

#[test]
fn update_gives_up_after_its_attempts() {
    let mut store = racing(5);
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let e = update(&mut store, &key_id(), 2, &mut rng, |record, _| {
        toggle(record, 7)
    })
    .unwrap_err();
    assert_eq!(
        e,
        UpdateError::Conflict {
            key_id: key_id(),
            attempts: 2
        }
    );
}

#[test]
fn update_writes_nothing_when_nothing_changed() {
    let mut store = racing(1);
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let before = store.inner.revision(&key_id());
    let applied = update(&mut store, &key_id(), 3, &mut rng, |record, _| {
        record.enable(t0())
    })
    .unwrap();
    assert_eq!(
        applied.result.unwrap_err().code(),
        "KMSInvalidStateException"
    );
    assert!(!applied.changed);
    assert_eq!(store.inner.revision(&key_id()), before);
    // No write was attempted, so the racing writer never ran.
    assert_eq!(store.races, 1);

    let missing: KeyId = "0000abcd-12ab-34cd-56ef-1234567890ab".parse().unwrap();
    let e = update(&mut store, &missing, 3, &mut rng, |record, _| {
        record.enable(t0())
    })
    .unwrap_err();
    assert_eq!(e, UpdateError::NotFound(missing));
}

/// Two service instances share one store and nothing else but their keys: the instance that
/// issued the token is not the one that imports, and a write based on a stale load loses its
/// compare-and-swap instead of undoing the import.
#[test]
fn two_instances_share_one_store_through_compare_and_swap() {
    let mut rng = ChaCha20Rng::seed_from_u64(21);
    let sealing = SealingKeys::new(SealingKey::generate(&mut rng));
    let a = ImportService::new(context(), sealing.clone());
    let b = ImportService::new(context(), sealing);
    let mut store = MemoryStore::new(storage_keys());
    store.insert_if_revision(&create(), None, &mut rng).unwrap();

    // Instance A issues the parameters; nothing was due, so nothing is written.
    let request = GetParametersForImportRequest {
        key_id: KEY_ID.to_owned(),
        wrapping_algorithm: WrappingAlgorithm::RsaesOaepSha256,
        wrapping_key_spec: WrappingKeySpec::Rsa2048,
    };
    let mut source = Some(fixture_key());
    let params = update(&mut store, &key_id(), 3, &mut rng, |record, rng| {
        a.get_parameters_for_import(record, &request, &mut source, t0(), rng)
    })
    .unwrap();
    assert!(!params.changed);
    assert_eq!(store.revision(&key_id()), Some(0));
    let params = params.result.unwrap();

    // A loads the record for a DisableKey of its own, but is slow to write it back.
    let mut stale = store.get(&key_id()).unwrap().unwrap();
    let stale_revision = stale.revision();

    // Instance B imports with A's token.
    let wrapped = WrappingPublicKey::from_spki_der(&params.public_key)
        .unwrap()
        .wrap(
            WrappingAlgorithm::RsaesOaepSha256,
            &[0x42; 32],
            &WrapPolicy::default(),
            &mut rng,
        )
        .unwrap();
    let import = ImportKeyMaterialRequest::new(KEY_ID, params.import_token.into_bytes(), wrapped)
        .expires_at(t0() + Duration::days(1));
    let imported = update(&mut store, &key_id(), 3, &mut rng, |record, rng| {
        b.import_key_material(record, &import, t0(), rng)
    })
    .unwrap();
    assert!(imported.changed && imported.result.is_ok());

    // A's write, based on the revision it loaded before the import, loses.
    let refused = stale.schedule_deletion(t0(), Some(7));
    assert!(refused.changed);
    assert_eq!(
        store.insert_if_revision(&stale, Some(stale_revision), &mut rng),
        Ok(false)
    );
    // Through the retry helper it reloads and applies on top of the import.
    let disabled = update(&mut store, &key_id(), 3, &mut rng, |record, _| {
        record.disable(t0())
    })
    .unwrap();
    assert!(disabled.changed && disabled.result.is_ok());
    let stored = store.get(&key_id()).unwrap().unwrap();
    assert_eq!(stored.key_state(), KeyState::Disabled);
    assert!(stored.current_material().unwrap().material().is_some());
    // The used token is in the stored ledger: a replay through either instance is refused.
    let replay = update(&mut store, &key_id(), 3, &mut rng, |record, rng| {
        a.import_key_material(record, &import, t0(), rng)
    })
    .unwrap();
    assert_eq!(replay.result.unwrap_err(), Error::InvalidImportToken);
    assert!(!replay.changed);
}
