//! Fixtures shared by the benchmarks: the wrapping keys and key material under `tests/data/`,
//! the providers compiled in, and the material kinds the import matrix covers.

#![allow(dead_code)]

use std::hint::black_box;
use std::time::Duration;

use criterion::Criterion;
use kms_import::WrappingKeyPool;
use kms_import::provider;
use kms_import::{CreateKeyParams, KeyRecord};
use kms_import::{GetParametersForImportRequest, ImportKeyMaterialRequest, ImportService};
use kms_import::{KeyContext, KeyId};
use kms_import::{KeySpec, KeyUsage, Origin, WrappingAlgorithm, WrappingKeySpec};
use kms_import::{SealingKey, SealingKeys};
use kms_import::{
    WrappingPrivateKey, WrappingPublicKey,
    provider::{RsaPadding, WrappingProvider},
};
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use time::OffsetDateTime;

pub const SPECS: [WrappingKeySpec; 3] = [
    WrappingKeySpec::Rsa2048,
    WrappingKeySpec::Rsa3072,
    WrappingKeySpec::Rsa4096,
];

pub const ALGORITHMS: [WrappingAlgorithm; 5] = [
    WrappingAlgorithm::RsaesOaepSha1,
    WrappingAlgorithm::RsaesOaepSha256,
    WrappingAlgorithm::RsaAesKeyWrapSha1,
    WrappingAlgorithm::RsaAesKeyWrapSha256,
    WrappingAlgorithm::RsaesPkcs1V15,
];

fn data(path: &str) -> Vec<u8> {
    let full = format!("{}/tests/data/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

pub fn bits(spec: WrappingKeySpec) -> usize {
    spec.modulus_bits().expect("RSA spec")
}

pub fn pkcs8(spec: WrappingKeySpec) -> Vec<u8> {
    data(&format!("wrapping_rsa_{}.pk8.der", bits(spec)))
}

pub fn private_key(
    provider: &'static dyn WrappingProvider,
    spec: WrappingKeySpec,
) -> WrappingPrivateKey {
    WrappingPrivateKey::from_pkcs8_der_with(provider, &pkcs8(spec)).expect("fixture key")
}

pub fn public_key(
    provider: &'static dyn WrappingProvider,
    spec: WrappingKeySpec,
) -> WrappingPublicKey {
    let spki = data(&format!("wrapping_rsa_{}.spki.der", bits(spec)));
    WrappingPublicKey::from_spki_der_with(provider, &spki).expect("fixture key")
}

pub fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

/// The fixed "now" of every bench, so that tokens and expiry never depend on the clock.
pub fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time")
}

pub fn context() -> KeyContext {
    KeyContext::new("aws", "us-east-1", "111122223333").expect("context")
}

/// An import service on `provider` with an issued-key cache of `cache` entries (0: off).
pub fn service(provider: &'static dyn WrappingProvider, cache: usize) -> ImportService {
    let sealing = SealingKeys::new(SealingKey::generate(&mut rng(10)));
    ImportService::new(context(), sealing)
        .with_provider(provider)
        .with_issued_key_cache(cache)
}

/// A new EXTERNAL key of `key_spec` with its default usage, waiting for material.
pub fn record(key_spec: KeySpec) -> KeyRecord {
    let usage = key_spec.default_key_usage().unwrap_or(KeyUsage::SignVerify);
    KeyRecord::create(
        &context(),
        KeyId::random(&mut rng(11)),
        CreateKeyParams {
            key_spec,
            key_usage: Some(usage),
            origin: Origin::External,
            description: None,
        },
        now(),
    )
    .expect("record")
}

/// One kind of key material the matrix imports.
pub struct Material {
    pub name: &'static str,
    pub key_spec: KeySpec,
    pub bytes: Vec<u8>,
}

fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut out = vec![0u8; len];
    rng(seed).fill_bytes(&mut out);
    out
}

/// 32-byte symmetric, 64-byte HMAC, P-384 PKCS#8 and RSA_4096 PKCS#8 material.
pub fn materials() -> Vec<Material> {
    vec![
        Material {
            name: "sym32",
            key_spec: KeySpec::SymmetricDefault,
            bytes: random_bytes(32, 1),
        },
        Material {
            name: "hmac64",
            key_spec: KeySpec::Hmac512,
            bytes: random_bytes(64, 2),
        },
        Material {
            name: "p384_pkcs8",
            key_spec: KeySpec::EccNistP384,
            bytes: data("material/ec_p384.der"),
        },
        Material {
            name: "rsa4096_pkcs8",
            key_spec: KeySpec::Rsa4096,
            bytes: data("material/rsa_4096.der"),
        },
    ]
}

/// The short name a provider goes by in benchmark ids.
pub fn provider_name(provider: &dyn WrappingProvider) -> &'static str {
    provider.name()
}

/// Issues a token for `rec` from a pool holding a freshly loaded, warmed-up copy of the fixture
/// key of `params.wrapping_key_spec` (as `WrappingPrivateKey::generate_with` leaves a generated
/// one), and returns the ImportKeyMaterial request that carries it with `wrapped` material.
pub fn import_request(
    service: &ImportService,
    provider: &'static dyn WrappingProvider,
    rec: &mut KeyRecord,
    params: &GetParametersForImportRequest,
    wrapped: &[u8],
    rng: &mut ChaCha20Rng,
) -> ImportKeyMaterialRequest {
    let key = private_key(provider, params.wrapping_key_spec);
    key.warm_up(rng).expect("warm up");
    let mut pool = WrappingKeyPool::new();
    pool.insert(key);
    let response = service
        .get_parameters_for_import(rec, params, &mut pool, now(), rng)
        .into_result()
        .expect("parameters");
    ImportKeyMaterialRequest::new(
        rec.arn().to_string(),
        response.import_token.into_bytes(),
        wrapped.to_vec(),
    )
    .expires_at(now() + time::Duration::days(30))
}

/// The overhead yardstick's inputs: the provider-level fixture key of `spec` (the bare RSA key,
/// loaded from the provider itself) and an OAEP-SHA-256 ciphertext of 32 bytes under it.
pub fn yardstick(
    provider: &'static dyn WrappingProvider,
    spec: WrappingKeySpec,
    rng: &mut ChaCha20Rng,
) -> (Box<dyn provider::WrappingPrivateKeyOps>, Vec<u8>) {
    let spki = data(&format!("wrapping_rsa_{}.spki.der", bits(spec)));
    let ct = provider
        .load_public_key_spki_der(&spki)
        .expect("fixture key")
        .rsa_encrypt(RsaPadding::OaepSha256, &[7u8; 32], rng)
        .expect("encrypt");
    let key = provider
        .load_private_key_pkcs8_der(&pkcs8(spec))
        .expect("fixture key");
    (key, ct)
}

/// The bare RSA private operation (the yardstick) as criterion group `group`, one
/// `rsa_private_op/<provider>/<spec>` per provider and spec. Each bench names its own group:
/// criterion keys its stored results by id.
pub fn bench_rsa_private_op(c: &mut Criterion, group: &str) {
    let mut group = c.benchmark_group(group);
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500));
    for provider in provider::available_providers() {
        for spec in SPECS {
            let mut r = rng(1);
            let (sk, ct) = yardstick(provider, spec, &mut r);
            group.bench_function(format!("rsa_private_op/{}/{spec}", provider.name()), |b| {
                b.iter(|| {
                    sk.rsa_decrypt(RsaPadding::OaepSha256, black_box(&ct), &mut r)
                        .expect("decrypt")
                })
            });
        }
    }
    group.finish();
}
