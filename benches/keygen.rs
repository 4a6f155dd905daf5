//! Wrapping key generation per spec and provider, and GetParametersForImport from an empty
//! pool (which generates inline). Generation time is dominated by the random prime search and
//! varies several-fold between keys, so this is not a criterion bench: it times each key on
//! its own and prints the spread (min, p10, p50, p90, max, mean).
//!
//! `KEYGEN_SAMPLES` (default 15) sets the keys per spec; `KEYGEN_SPECS` (default
//! `2048,3072,4096`) the sizes. Arguments that are not a filter are ignored, so
//! `cargo bench --bench keygen` works; a filter argument keeps only ids containing it.

mod common;

use std::time::{Duration, Instant};

use common::{SPECS, rng};
use kms_import::GetParametersForImportRequest;
use kms_import::ImportService;
use kms_import::WrappingKeyPool;
use kms_import::WrappingPrivateKey;
use kms_import::provider;
use kms_import::{KeySpec, WrappingAlgorithm};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

fn report(id: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let mean = samples.iter().map(|d| ms(*d)).sum::<f64>() / samples.len() as f64;
    println!(
        "{id:<52} n={:<3} min {:>8.1}  p10 {:>8.1}  p50 {:>8.1}  p90 {:>8.1}  max {:>8.1}  mean {:>8.1} ms",
        samples.len(),
        ms(samples[0]),
        ms(percentile(&samples, 0.10)),
        ms(percentile(&samples, 0.50)),
        ms(percentile(&samples, 0.90)),
        ms(samples[samples.len() - 1]),
        mean,
    );
}

fn main() {
    let samples: usize = std::env::var("KEYGEN_SAMPLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(15);
    let sizes: Vec<usize> = std::env::var("KEYGEN_SPECS")
        .unwrap_or_else(|_| "2048,3072,4096".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let wanted = |id: &str| filter.as_deref().is_none_or(|f| id.contains(f));
    let now = common::now();

    for provider in provider::available_providers() {
        let service = common::service(provider, ImportService::DEFAULT_ISSUED_KEY_CACHE_CAPACITY);
        for spec in SPECS
            .into_iter()
            .filter(|s| sizes.contains(&common::bits(*s)))
        {
            let mut r = rng(common::bits(spec) as u64);
            let id = format!("keygen/{}/{spec}", provider.name());
            if wanted(&id) {
                let times = (0..samples)
                    .map(|_| {
                        let t = Instant::now();
                        let key = WrappingPrivateKey::generate_with(provider, spec, &mut r)
                            .expect("generate");
                        let d = t.elapsed();
                        drop(key);
                        d
                    })
                    .collect();
                report(&id, times);
            }
            let id = format!(
                "get_parameters_for_import/empty_pool/{}/{spec}",
                provider.name()
            );
            if wanted(&id) {
                let record = common::record(KeySpec::SymmetricDefault);
                let request = GetParametersForImportRequest {
                    key_id: record.key_id().to_string(),
                    wrapping_algorithm: WrappingAlgorithm::RsaesOaepSha256,
                    wrapping_key_spec: spec,
                };
                let times = (0..samples)
                    .map(|_| {
                        let mut rec = record.clone();
                        let mut pool = WrappingKeyPool::new();
                        let t = Instant::now();
                        let response = service
                            .get_parameters_for_import(&mut rec, &request, &mut pool, now, &mut r)
                            .into_result()
                            .expect("parameters");
                        let d = t.elapsed();
                        drop(response);
                        d
                    })
                    .collect();
                report(&id, times);
            }
        }
    }
}
