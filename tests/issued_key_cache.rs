//! The service's cache of issued wrapping keys: ImportKeyMaterial on the issuing instance uses
//! the cached key instead of loading it from the token, any other instance still imports from
//! the token alone, and the cache's bounds (capacity, expiry, use-up, failed imports) hold.
//!
//! Whether the token's key was loaded is observed through a provider that counts its token-key
//! loads and otherwise defers to a real provider.

use std::sync::atomic::{AtomicUsize, Ordering};

use kms_import::WrappingKeyPool;
use kms_import::provider;
use kms_import::{CreateKeyParams, KeyRecord};
use kms_import::{Error, KeySpec, KeyState, KeyUsage, Origin, WrappingAlgorithm, WrappingKeySpec};
use kms_import::{
    GetParametersForImportRequest, GetParametersForImportResponse, ImportKeyMaterialRequest,
    ImportService, IssuedKeyCacheStats, usable_material,
};
use kms_import::{KeyContext, KeyId};
use kms_import::{SealingKey, SealingKeys};
use kms_import::{
    WrapPolicy, WrappingPrivateKey, WrappingPublicKey,
    provider::{RsaPadding, WrappingPrivateKeyOps, WrappingProvider, WrappingPublicKeyOps},
};
use rand_chacha::ChaCha20Rng;
use rand_core::{CryptoRng, Rng, SeedableRng};
use time::{Duration, OffsetDateTime};
use zeroize::Zeroizing;

const OAEP256: WrappingAlgorithm = WrappingAlgorithm::RsaesOaepSha256;
const RSA2048: WrappingKeySpec = WrappingKeySpec::Rsa2048;

/// A real provider that counts how often it loads a key from a token encoding.
#[derive(Debug)]
struct Counting {
    inner: &'static dyn WrappingProvider,
    token_loads: AtomicUsize,
}

impl Counting {
    /// One leaked instance per test, so parallel tests do not share the count.
    fn wrap(inner: &'static dyn WrappingProvider) -> &'static Counting {
        Box::leak(Box::new(Counting {
            inner,
            token_loads: AtomicUsize::new(0),
        }))
    }

    fn token_loads(&self) -> usize {
        self.token_loads.load(Ordering::SeqCst)
    }
}

impl WrappingProvider for Counting {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn supports_padding(&self, padding: RsaPadding) -> bool {
        self.inner.supports_padding(padding)
    }

    fn generate_private_key(
        &self,
        spec: WrappingKeySpec,
        rng: &mut dyn CryptoRng,
    ) -> Result<Box<dyn WrappingPrivateKeyOps>, Error> {
        self.inner.generate_private_key(spec, rng)
    }

    fn load_private_key_pkcs8_der(
        &self,
        der: &[u8],
    ) -> Result<Box<dyn WrappingPrivateKeyOps>, Error> {
        self.inner.load_private_key_pkcs8_der(der)
    }

    fn load_public_key_spki_der(&self, der: &[u8]) -> Result<Box<dyn WrappingPublicKeyOps>, Error> {
        self.inner.load_public_key_spki_der(der)
    }

    fn load_private_key_token_encoding(
        &self,
        bytes: &[u8],
    ) -> Result<Box<dyn WrappingPrivateKeyOps>, Error> {
        self.token_loads.fetch_add(1, Ordering::SeqCst);
        self.inner.load_private_key_token_encoding(bytes)
    }

    fn aes_kwp_wrap(&self, kek: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, Error> {
        self.inner.aes_kwp_wrap(kek, plaintext)
    }

    fn aes_kwp_unwrap(&self, kek: &[u8], wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
        self.inner.aes_kwp_unwrap(kek, wrapped)
    }
}

fn data(path: &str) -> Vec<u8> {
    let full = format!("{}/tests/data/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

fn fixture_key(
    provider: &'static dyn WrappingProvider,
    spec: WrappingKeySpec,
) -> WrappingPrivateKey {
    let bits = spec.modulus_bits().unwrap();
    WrappingPrivateKey::from_pkcs8_der_with(
        provider,
        &data(&format!("wrapping_rsa_{bits}.pk8.der")),
    )
    .unwrap()
}

fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap()
}

fn context() -> KeyContext {
    KeyContext::new("aws", "us-east-1", "111122223333").unwrap()
}

fn sealing_key() -> SealingKey {
    SealingKey::generate(&mut ChaCha20Rng::seed_from_u64(7))
}

/// Two services with the same sealing key, as two instances of one deployment.
fn instance(provider: &'static Counting) -> ImportService {
    ImportService::new(context(), SealingKeys::new(sealing_key())).with_provider(provider)
}

struct World {
    provider: &'static Counting,
    service: ImportService,
    rng: ChaCha20Rng,
}

impl World {
    fn new() -> World {
        World::with(provider::default_provider(), |s| s)
    }

    fn with(
        inner: &'static dyn WrappingProvider,
        configure: impl FnOnce(ImportService) -> ImportService,
    ) -> World {
        let provider = Counting::wrap(inner);
        World {
            provider,
            service: configure(instance(provider)),
            rng: ChaCha20Rng::seed_from_u64(11),
        }
    }

    fn create(&mut self) -> KeyRecord {
        KeyRecord::create(
            &context(),
            KeyId::random(&mut self.rng),
            CreateKeyParams {
                key_spec: KeySpec::SymmetricDefault,
                key_usage: Some(KeyUsage::EncryptDecrypt),
                origin: Origin::External,
                description: None,
            },
            t0(),
        )
        .unwrap()
    }

    /// GetParametersForImport at `now` for RSA_2048, served by the fixture key.
    fn params_at(&mut self, record: &mut KeyRecord, now: OffsetDateTime) -> Issued {
        let key = fixture_key(self.provider.inner, RSA2048);
        self.params_with_key(record, key, now)
    }

    fn params_with_key(
        &mut self,
        record: &mut KeyRecord,
        key: WrappingPrivateKey,
        now: OffsetDateTime,
    ) -> Issued {
        let spec = key.spec();
        let mut pool = WrappingKeyPool::new();
        pool.insert(key);
        let response = self
            .service
            .get_parameters_for_import(
                record,
                &GetParametersForImportRequest {
                    key_id: record.key_id().to_string(),
                    wrapping_algorithm: OAEP256,
                    wrapping_key_spec: spec,
                },
                &mut pool,
                now,
                &mut self.rng,
            )
            .into_result()
            .unwrap();
        let request = request(record, &response, &material(1), &mut self.rng);
        Issued { response, request }
    }

    fn import(
        &mut self,
        record: &mut KeyRecord,
        issued: &Issued,
        now: OffsetDateTime,
    ) -> Result<(), Error> {
        self.service
            .import_key_material(record, &issued.request, now, &mut self.rng)
            .into_result()
            .map(|_| ())
    }

    fn stats(&self) -> IssuedKeyCacheStats {
        self.service.issued_key_cache_stats()
    }
}

/// A token and an import request for it, wrapped under its public key.
struct Issued {
    response: GetParametersForImportResponse,
    request: ImportKeyMaterialRequest,
}

fn request(
    record: &KeyRecord,
    response: &GetParametersForImportResponse,
    material: &[u8],
    rng: &mut ChaCha20Rng,
) -> ImportKeyMaterialRequest {
    let wrapped = WrappingPublicKey::from_spki_der(&response.public_key)
        .unwrap()
        .wrap(OAEP256, material, &WrapPolicy::new(), rng)
        .unwrap();
    ImportKeyMaterialRequest::new(
        record.arn().to_string(),
        response.import_token.as_bytes().to_vec(),
        wrapped,
    )
    .does_not_expire()
}

fn material(seed: u64) -> Vec<u8> {
    let mut bytes = vec![0u8; 32];
    ChaCha20Rng::seed_from_u64(seed + 1000).fill_bytes(&mut bytes);
    bytes
}

#[test]
fn import_on_the_issuing_instance_uses_the_cached_key_not_the_token() {
    for inner in provider::available_providers() {
        let mut w = World::with(inner, |s| s);
        let mut record = w.create();
        let issued = w.params_at(&mut record, t0());
        assert_eq!(w.stats().len, 1, "{}", inner.name());

        w.import(&mut record, &issued, t0()).unwrap();
        assert_eq!(record.key_state(), KeyState::Enabled);
        let usable = usable_material(&record, t0()).unwrap();
        assert_eq!(
            &usable.symmetric_key().unwrap().expose_secret()[..],
            &material(1)[..]
        );
        assert_eq!(w.provider.token_loads(), 0, "{}", inner.name());
        assert_eq!(
            w.stats(),
            IssuedKeyCacheStats {
                len: 0,
                capacity: ImportService::DEFAULT_ISSUED_KEY_CACHE_CAPACITY,
                hits: 1,
                misses: 0
            }
        );
    }
}

#[test]
fn import_on_another_instance_loads_the_key_from_the_token() {
    for inner in provider::available_providers() {
        let mut w = World::with(inner, |s| s);
        let mut record = w.create();
        let issued = w.params_at(&mut record, t0());

        let other_provider = Counting::wrap(inner);
        let other = instance(other_provider);
        other
            .import_key_material(&mut record, &issued.request, t0(), &mut w.rng)
            .into_result()
            .unwrap();
        assert_eq!(record.key_state(), KeyState::Enabled);
        assert_eq!(other_provider.token_loads(), 1, "{}", inner.name());
        assert_eq!(other.issued_key_cache_stats().misses, 1);

        // The issuing instance still holds the entry, but the record knows the token is used:
        // the cache never overrides the ledger.
        assert_eq!(w.stats().len, 1);
        assert_eq!(
            w.import(&mut record, &issued, t0()).unwrap_err(),
            Error::InvalidImportToken
        );
        assert_eq!(w.stats().hits, 0);
    }
}

#[test]
fn capacity_zero_turns_the_cache_off_and_imports_still_succeed() {
    let mut w = World::with(provider::default_provider(), |s| s.with_issued_key_cache(0));
    let mut record = w.create();
    let issued = w.params_at(&mut record, t0());
    assert_eq!(w.stats(), IssuedKeyCacheStats::default());

    w.import(&mut record, &issued, t0()).unwrap();
    assert_eq!(record.key_state(), KeyState::Enabled);
    assert_eq!(w.provider.token_loads(), 1);
    assert_eq!(w.stats(), IssuedKeyCacheStats::default());
}

#[test]
fn a_full_cache_evicts_the_oldest_entry_and_that_token_still_imports() {
    let mut w = World::with(provider::default_provider(), |s| s.with_issued_key_cache(2));
    let mut records: Vec<KeyRecord> = (0..3).map(|_| w.create()).collect();
    let issued: Vec<Issued> = records
        .iter_mut()
        .enumerate()
        .map(|(i, r)| {
            let now = t0() + Duration::minutes(i as i64);
            w.params_at(r, now)
        })
        .collect();
    assert_eq!(w.stats().len, 2);

    let now = t0() + Duration::hours(1);
    w.import(&mut records[0], &issued[0], now).unwrap();
    assert_eq!(
        w.provider.token_loads(),
        1,
        "the evicted token's key is loaded"
    );
    w.import(&mut records[1], &issued[1], now).unwrap();
    w.import(&mut records[2], &issued[2], now).unwrap();
    assert_eq!(w.provider.token_loads(), 1, "the two newest were cached");
    let stats = w.stats();
    assert_eq!((stats.len, stats.hits, stats.misses), (0, 2, 1));
}

#[test]
fn eviction_goes_by_expiry_not_by_insertion_when_clocks_disagree() {
    // The second token is issued with an earlier `now` (another clock): it expires first, so
    // it is the one a full cache gives up.
    let mut w = World::with(provider::default_provider(), |s| s.with_issued_key_cache(2));
    let mut records: Vec<KeyRecord> = (0..3).map(|_| w.create()).collect();
    let times = [
        t0() + Duration::minutes(10),
        t0(),
        t0() + Duration::minutes(20),
    ];
    let issued: Vec<Issued> = records
        .iter_mut()
        .zip(times)
        .map(|(r, now)| w.params_at(r, now))
        .collect();

    let now = t0() + Duration::hours(1);
    w.import(&mut records[1], &issued[1], now).unwrap();
    assert_eq!(w.provider.token_loads(), 1);
    w.import(&mut records[0], &issued[0], now).unwrap();
    w.import(&mut records[2], &issued[2], now).unwrap();
    assert_eq!(w.provider.token_loads(), 1);
}

#[test]
fn expired_entries_are_pruned_when_the_next_token_is_issued() {
    let mut w = World::new();
    let mut first = w.create();
    let mut second = w.create();
    let mut third = w.create();
    let old = w.params_at(&mut first, t0());

    // One second before the first token expires it is still kept.
    let almost = t0() + Duration::hours(24) - Duration::seconds(1);
    w.params_at(&mut second, almost);
    assert_eq!(w.stats().len, 2);

    // At its ParametersValidTo it is expired, and the next issue drops it.
    let expiry = old.response.parameters_valid_to;
    assert_eq!(expiry, t0() + Duration::hours(24));
    w.params_at(&mut third, expiry);
    assert_eq!(w.stats().len, 2, "first pruned, third added");
    assert_eq!(
        w.import(&mut first, &old, expiry).unwrap_err(),
        Error::ExpiredImportToken
    );
    assert_eq!(w.provider.token_loads(), 0);
}

#[test]
fn a_successful_import_removes_the_entry_and_a_failed_one_keeps_it() {
    let mut w = World::new();
    let mut record = w.create();
    let issued = w.params_at(&mut record, t0());

    // Fails after the key lookup: the material does not unwrap.
    let mut tampered = Issued {
        response: issued.response.clone(),
        request: issued.request.clone(),
    };
    let last = tampered.request.encrypted_key_material.len() - 1;
    tampered.request.encrypted_key_material[last] ^= 1;
    assert_eq!(
        w.import(&mut record, &tampered, t0()).unwrap_err(),
        Error::InvalidCiphertext
    );
    assert_eq!(w.stats().len, 1);

    // Fails before the key lookup: KEY_MATERIAL_EXPIRES without ValidTo.
    let mut no_valid_to = Issued {
        response: issued.response.clone(),
        request: issued.request.clone(),
    };
    no_valid_to.request.expiration_model = Some(kms_import::ExpirationModel::KeyMaterialExpires);
    assert_eq!(
        w.import(&mut record, &no_valid_to, t0())
            .unwrap_err()
            .code(),
        "ValidationException"
    );
    assert_eq!(w.stats().len, 1);

    // The token is still usable, from the cache, and then used up and gone.
    w.import(&mut record, &issued, t0()).unwrap();
    assert_eq!(w.provider.token_loads(), 0);
    let stats = w.stats();
    assert_eq!((stats.len, stats.hits), (0, 2));
    assert_eq!(
        w.import(&mut record, &issued, t0()).unwrap_err(),
        Error::InvalidImportToken
    );
}

#[test]
fn a_repeated_token_id_never_pairs_a_token_with_another_tokens_key() {
    // A caller RNG replayed from the same state draws the same token id twice. The second
    // issue replaces the first entry; the first token must then fall back to its own key.
    let cases = [
        // Same spec, different key: caught by the key digest.
        WrappingPrivateKey::from_pkcs8_der(&data("material/rsa_2048.der")).unwrap(),
        // Different spec: caught by the spec check as well.
        fixture_key(provider::default_provider(), WrappingKeySpec::Rsa3072),
    ];
    for other_key in cases {
        let mut w = World::new();
        let mut record = w.create();
        let replay = w.rng.clone();
        let first = w.params_at(&mut record, t0());
        w.rng = replay;
        let second = w.params_with_key(&mut record, other_key.clone(), t0());
        assert_eq!(w.stats().len, 1, "same token id, one entry");
        assert_ne!(first.response.public_key, second.response.public_key);

        w.import(&mut record, &first, t0()).unwrap();
        assert_eq!(w.provider.token_loads(), 1, "{:?}", other_key.spec());
        assert_eq!(w.stats().misses, 1);
    }
}

#[test]
fn debug_shows_the_cache_size_and_no_key() {
    let mut w = World::new();
    let mut record = w.create();
    w.params_at(&mut record, t0());
    let shown = format!("{:?}", w.service);
    assert!(
        shown.contains("IssuedKeyCache { len: 1, capacity: 1024, .. }"),
        "{shown}"
    );
    assert!(!shown.contains("WrappingPrivateKey"), "{shown}");
    assert!(!shown.contains("redacted"), "{shown}");
}

#[test]
fn one_service_serves_imports_from_several_threads() {
    fn is_sync<T: Sync + Send>(_: &T) {}
    let mut w = World::new();
    is_sync(&w.service);
    let mut records: Vec<KeyRecord> = (0..4).map(|_| w.create()).collect();
    let issued: Vec<Issued> = records.iter_mut().map(|r| w.params_at(r, t0())).collect();
    let service = &w.service;
    std::thread::scope(|scope| {
        for (i, (record, issued)) in records.iter_mut().zip(&issued).enumerate() {
            scope.spawn(move || {
                let mut rng = ChaCha20Rng::seed_from_u64(i as u64);
                service
                    .import_key_material(record, &issued.request, t0(), &mut rng)
                    .into_result()
                    .unwrap();
            });
        }
    });
    assert!(records.iter().all(|r| r.key_state() == KeyState::Enabled));
    let stats = w.stats();
    assert_eq!((stats.len, stats.hits, stats.misses), (0, 4, 0));
    assert_eq!(w.provider.token_loads(), 0);
}
