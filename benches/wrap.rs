//! Wrap and unwrap of every algorithm x wrapping key spec x material kind that the
//! compatibility rules allow, for every provider compiled in, with the bare RSA private
//! operation (OAEP-SHA-256 decrypt of 32 bytes) of each size as the yardstick, and AES-KWP.
//!
//! Ids: `wrap_yardstick/rsa_private_op/<provider>/<spec>`, `unwrap/<provider>/<algorithm>/<spec>/<material>`,
//! `wrap/<provider>/<algorithm>/<spec>/<material>`, `kwp/<impl>/<op>/<bytes>`.

mod common;

use std::hint::black_box;
use std::time::Duration;

use common::{ALGORITHMS, SPECS, materials, private_key, public_key, rng};
use criterion::{Criterion, criterion_group, criterion_main};
use kms_import::provider;
use kms_import::{WrapPolicy, check_compatible};

const LEGACY: WrapPolicy = WrapPolicy::new().allow_legacy_rsaes_pkcs1_v1_5_insecure();

fn rsa_private_op(c: &mut Criterion) {
    common::bench_rsa_private_op(c, "wrap_yardstick");
}

fn unwrap_and_wrap(c: &mut Criterion) {
    let materials = materials();
    let mut unwrap = c.benchmark_group("unwrap");
    unwrap
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    let mut cases = Vec::new();
    for provider in provider::available_providers() {
        for spec in SPECS {
            let sk = private_key(provider, spec);
            let pk = public_key(provider, spec);
            for alg in ALGORITHMS {
                if provider::check_provider_supports(provider, alg).is_err() {
                    continue;
                }
                for m in &materials {
                    if check_compatible(m.key_spec, alg, spec, &LEGACY).is_err() {
                        continue;
                    }
                    let mut r = rng(2);
                    let ct = pk.wrap(alg, &m.bytes, &LEGACY, &mut r).expect("wrap");
                    let id = format!("{}/{alg}/{spec}/{}", provider.name(), m.name);
                    unwrap.bench_function(&id, |b| {
                        b.iter(|| {
                            sk.for_algorithm(alg)
                                .unwrap(black_box(&ct), &LEGACY, &mut r)
                                .expect("unwrap")
                        })
                    });
                    cases.push((id, pk.clone(), alg, m.bytes.clone()));
                }
            }
        }
    }
    unwrap.finish();

    let mut wrap_group = c.benchmark_group("wrap");
    wrap_group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(200))
        .measurement_time(Duration::from_secs(1));
    let mut r = rng(3);
    for (id, pk, alg, bytes) in &cases {
        wrap_group.bench_function(id, |b| {
            b.iter(|| {
                pk.wrap(*alg, black_box(bytes), &LEGACY, &mut r)
                    .expect("wrap")
            })
        });
    }
    wrap_group.finish();
}

fn kwp(c: &mut Criterion) {
    let mut group = c.benchmark_group("kwp");
    group
        .warm_up_time(Duration::from_millis(200))
        .measurement_time(Duration::from_secs(1));
    let kek = [0x42u8; 32];
    for len in [32usize, 64, 2400] {
        let plaintext = vec![0x5au8; len];
        let provider = provider::default_provider();
        let wrapped = provider::aes_kwp_wrap(provider, &kek, &plaintext).expect("wrap");
        group.bench_function(format!("aes-kw/wrap/{len}"), |b| {
            b.iter(|| provider::aes_kwp_wrap(provider, &kek, black_box(&plaintext)).expect("wrap"))
        });
        group.bench_function(format!("aes-kw/unwrap/{len}"), |b| {
            b.iter(|| {
                provider::aes_kwp_unwrap(provider, &kek, black_box(&wrapped)).expect("unwrap")
            })
        });
        #[cfg(feature = "aws-lc")]
        {
            use aws_lc_rs::key_wrap::{AES_256, KeyEncryptionKey, KeyWrapPadded};
            group.bench_function(format!("aws-lc/wrap/{len}"), |b| {
                b.iter(|| {
                    let k = KeyEncryptionKey::new(&AES_256, &kek).expect("kek");
                    let mut out = vec![0u8; len.div_ceil(8) * 8 + 8];
                    k.wrap_with_padding(black_box(&plaintext), &mut out)
                        .expect("wrap")
                        .len()
                })
            });
            group.bench_function(format!("aws-lc/unwrap/{len}"), |b| {
                b.iter(|| {
                    let k = KeyEncryptionKey::new(&AES_256, &kek).expect("kek");
                    let mut out = vec![0u8; wrapped.len()];
                    k.unwrap_with_padding(black_box(&wrapped), &mut out)
                        .expect("unwrap")
                        .len()
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, rsa_private_op, unwrap_and_wrap, kwp);
criterion_main!(benches);
