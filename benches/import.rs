//! The import operations end to end, per provider and wrapping key spec, next to the bare RSA
//! private operation of the same size measured in the same run (the overhead yardstick), and
//! the parts of the overhead: loading the token's wrapping key, token seal/open, material checks.
//!
//! Ids: `import_yardstick/rsa_private_op/<provider>/<spec>`,
//! `import_key_material/<provider>/<spec>/<material>` (the issuing instance: wrapping key from
//! the service's cache of issued keys), `import_key_material_uncached/<provider>/<spec>/<material>`
//! (cache off, as on an instance that did not issue the token: key loaded from the token),
//! `import_parts/load_token_key/<provider>/<spec>`, `token/{seal,open}/<spec>`,
//! `material_validation/<material>`, `get_parameters_for_import/warm_pool/<provider>/<spec>`.
//! GetParametersForImport from an empty pool is key generation: see the `keygen` bench.

mod common;

use std::hint::black_box;
use std::time::Duration;

use common::{SPECS, materials, now, private_key, public_key, record, rng, service};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use kms_import::GetParametersForImportRequest;
use kms_import::ImportService;
use kms_import::WrapPolicy;
use kms_import::WrappingKeyPool;
use kms_import::provider;
use kms_import::validate_material;
use kms_import::{KeyMaterial, KeySpec, WrappingAlgorithm, WrappingKeySpec};
use kms_import::{SealingKey, SealingKeys};

/// The algorithm the end-to-end import uses for a material: OAEP-SHA-256 when the material fits
/// in one RSA block under `spec`, else RSA_AES_KEY_WRAP_SHA_256.
fn algorithm_for(key_spec: KeySpec, spec: WrappingKeySpec) -> Option<WrappingAlgorithm> {
    [
        WrappingAlgorithm::RsaesOaepSha256,
        WrappingAlgorithm::RsaAesKeyWrapSha256,
    ]
    .into_iter()
    .find(|&alg| kms_import::check_compatible(key_spec, alg, spec, &WrapPolicy::new()).is_ok())
}

fn rsa_private_op(c: &mut Criterion) {
    common::bench_rsa_private_op(c, "import_yardstick");
}

fn import_key_material(c: &mut Criterion) {
    import_key_material_group(
        c,
        "import_key_material",
        ImportService::DEFAULT_ISSUED_KEY_CACHE_CAPACITY,
    );
}

fn import_key_material_uncached(c: &mut Criterion) {
    import_key_material_group(c, "import_key_material_uncached", 0);
}

/// ImportKeyMaterial end to end. Every iteration imports with a token of its own, issued
/// (outside the timing) by the same service from a pool holding a freshly loaded copy of the
/// fixture key, so that with the cache on each import finds its key cached, as on the instance
/// that issued the token. The copy is fresh because each token has its own key, and it is
/// warmed up (`WrappingPrivateKey::warm_up`) outside the timing, as `generate_with` does for
/// every key a pool is refilled with: a backend that sets up per-key state lazily on first use
/// (AWS-LC's Montgomery contexts and blinding) has done so before the import, as in service.
/// Without the cache (another instance), the key is loaded from the token inside the timing and
/// its first private operation is the unwrap itself.
fn import_key_material_group(c: &mut Criterion, name: &str, cache: usize) {
    let mut group = c.benchmark_group(name);
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500));
    let materials = materials();
    for provider in provider::available_providers() {
        let service = service(provider, cache);
        for spec in SPECS {
            for m in materials
                .iter()
                .filter(|m| matches!(m.name, "sym32" | "rsa4096_pkcs8"))
            {
                let Some(alg) = algorithm_for(m.key_spec, spec) else {
                    continue;
                };
                let fresh = record(m.key_spec);
                let mut setup_rng = rng(20);
                let wrapped = public_key(provider, spec)
                    .wrap(alg, &m.bytes, &WrapPolicy::new(), &mut setup_rng)
                    .expect("wrap");
                let params_request = GetParametersForImportRequest {
                    key_id: fresh.key_id().to_string(),
                    wrapping_algorithm: alg,
                    wrapping_key_spec: spec,
                };
                let mut r = rng(21);
                group.bench_function(format!("{}/{spec}/{}", provider.name(), m.name), |b| {
                    b.iter_batched_ref(
                        || {
                            let mut rec = fresh.clone();
                            let request = common::import_request(
                                &service,
                                provider,
                                &mut rec,
                                &params_request,
                                &wrapped,
                                &mut setup_rng,
                            );
                            (rec, request)
                        },
                        |(rec, request)| {
                            service
                                .import_key_material(rec, request, now(), &mut r)
                                .into_result()
                                .expect("import")
                        },
                        BatchSize::SmallInput,
                    )
                });
                let stats = service.issued_key_cache_stats();
                assert!(
                    cache == 0 || stats.misses == 0,
                    "every cached import must hit: {stats:?}"
                );
            }
        }
    }
    group.finish();
}

fn import_parts(c: &mut Criterion) {
    let mut group = c.benchmark_group("import_parts");
    group
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    for provider in provider::available_providers() {
        for spec in SPECS {
            let encoded = private_key(provider, spec)
                .to_token_encoding()
                .expect("encoding");
            group.bench_function(format!("load_token_key/{}/{spec}", provider.name()), |b| {
                b.iter(|| {
                    kms_import::WrappingPrivateKey::from_token_encoding_with(
                        provider,
                        black_box(&encoded),
                    )
                    .expect("load")
                })
            });
        }
    }
    group.finish();
}

fn token(c: &mut Criterion) {
    let mut group = c.benchmark_group("token");
    group
        .warm_up_time(Duration::from_millis(200))
        .measurement_time(Duration::from_secs(1));
    let keys = SealingKeys::new(SealingKey::generate(&mut rng(30)));
    let arn = record(KeySpec::SymmetricDefault).arn().to_string();
    for spec in SPECS {
        let mut r = rng(31);
        let issued = kms_import_testkit::issue_token(
            &keys,
            &arn,
            &private_key(provider::default_provider(), spec),
            WrappingAlgorithm::RsaesOaepSha256,
            now(),
            &mut r,
        );
        let claims = keys.open(issued.as_bytes(), &arn, now()).expect("open");
        let sealed = keys.seal(&claims, &mut r).expect("seal");
        group.bench_function(format!("seal/{spec}"), |b| {
            b.iter(|| keys.seal(black_box(&claims), &mut r).expect("seal"))
        });
        group.bench_function(format!("open/{spec}"), |b| {
            b.iter(|| {
                keys.open(black_box(sealed.as_bytes()), &arn, now())
                    .expect("open")
            })
        });
    }
    group.finish();
}

fn material_validation(c: &mut Criterion) {
    let mut group = c.benchmark_group("material_validation");
    group
        .sample_size(30)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    for m in materials() {
        let material = KeyMaterial::new(m.bytes.clone());
        group.bench_function(m.name, |b| {
            b.iter(|| validate_material(m.key_spec, black_box(&material)).expect("valid"))
        });
    }
    group.finish();
}

fn get_parameters_warm_pool(c: &mut Criterion) {
    let mut group = c.benchmark_group("get_parameters_for_import");
    group
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    for provider in provider::available_providers() {
        let service = service(provider, ImportService::DEFAULT_ISSUED_KEY_CACHE_CAPACITY);
        for spec in SPECS {
            let key = private_key(provider, spec);
            let fresh = record(KeySpec::SymmetricDefault);
            let request = GetParametersForImportRequest {
                key_id: fresh.key_id().to_string(),
                wrapping_algorithm: WrappingAlgorithm::RsaesOaepSha256,
                wrapping_key_spec: spec,
            };
            let mut r = rng(40);
            group.bench_function(format!("warm_pool/{}/{spec}", provider.name()), |b| {
                b.iter_batched_ref(
                    || {
                        let mut pool = WrappingKeyPool::new();
                        pool.insert(key.clone());
                        (fresh.clone(), pool)
                    },
                    |(rec, pool)| {
                        service
                            .get_parameters_for_import(rec, &request, pool, now(), &mut r)
                            .into_result()
                            .expect("parameters")
                    },
                    BatchSize::SmallInput,
                )
            });
        }
    }
    group.finish();
}

criterion_group!(
    benches,
    rsa_private_op,
    import_key_material,
    import_key_material_uncached,
    import_parts,
    token,
    material_validation,
    get_parameters_warm_pool
);
criterion_main!(benches);
