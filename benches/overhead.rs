//! The ImportKeyMaterial overhead target (at most 5 % over the bare RSA private operation of the
//! same size), measured in pairs: each pair times one bare private operation and one whole
//! ImportKeyMaterial back to back, alternating which goes first, so that both halves of a pair
//! see the same machine. On a shared machine whose speed drifts by more than 5 % over a minute,
//! criterion's one-benchmark-after-another medians (the `import` bench) cannot settle a 5 %
//! question; the median of the per-pair ratios can. Not a criterion bench.
//!
//! Per provider, wrapping key spec and cache setting, every pair has a token of its own, issued
//! (outside the timing) from a pool holding a freshly loaded, warmed-up copy of the fixture key,
//! as `WrappingPrivateKey::generate_with` leaves a generated one. `cached`: the issuing
//! service's cache of issued keys is on (the import finds the key object the token was issued
//! with); `uncached`: it is off, as on an instance that did not issue the token (the import loads
//! the key from the token). The material is 32 bytes of SYMMETRIC_DEFAULT wrapped with
//! RSAES_OAEP_SHA_256; the bare operation is an OAEP-SHA-256 decrypt of 32 bytes with a warmed
//! key of the same size.
//!
//! `OVERHEAD_PAIRS` (default 201) sets the pairs per row; a filter argument keeps only ids
//! containing it. Output, one line per row: `overhead/<provider>/<spec>/<cached|uncached>` with
//! the medians of both halves and the median and p10/p90 of the per-pair overhead.

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use common::{SPECS, now, public_key, record, rng, service};
use kms_import::import::{DEFAULT_ISSUED_KEY_CACHE_CAPACITY, GetParametersForImportRequest};
use kms_import::record::KeyRecord;
use kms_import::wrap::{self, RsaPadding, WrapPolicy, WrappingProvider};
use kms_import::{KeySpec, WrappingAlgorithm, WrappingKeySpec};
use rand_chacha::ChaCha20Rng;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    percentile(&v, 0.5)
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

struct Row {
    private_op: Vec<f64>,
    import: Vec<f64>,
}

fn measure(
    provider: &'static dyn WrappingProvider,
    spec: WrappingKeySpec,
    cache: usize,
    pairs: usize,
) -> Row {
    let service = service(provider, cache);
    let mut r = rng(common::bits(spec) as u64);

    // The yardstick: a warmed key and one ciphertext, decrypted again and again.
    let (yardstick, ct) = common::yardstick(provider, spec, &mut r);
    yardstick.warm_up(&mut r).expect("warm up");

    let alg = WrappingAlgorithm::RsaesOaepSha256;
    let material = [0x42u8; 32];
    let wrapped = public_key(provider, spec)
        .wrap(alg, &material, &WrapPolicy::new(), &mut r)
        .expect("wrap");
    let record = record(KeySpec::SymmetricDefault);
    let params_request = GetParametersForImportRequest {
        key_id: record.key_id().to_string(),
        wrapping_algorithm: alg,
        wrapping_key_spec: spec,
    };

    let mut row = Row {
        private_op: Vec::with_capacity(pairs),
        import: Vec::with_capacity(pairs),
    };
    // Two unrecorded pairs first: caches, branch predictors, lazily built statics.
    for i in 0..pairs + 2 {
        // Set-up, untimed: a fresh record, a pool with a freshly loaded and warmed key, a token.
        let mut rec = record.clone();
        let request = common::import_request(
            &service,
            provider,
            &mut rec,
            &params_request,
            &wrapped,
            &mut r,
        );

        let time_private_op = |r: &mut ChaCha20Rng| {
            let t = Instant::now();
            let out = yardstick
                .ops()
                .rsa_decrypt(RsaPadding::OaepSha256, black_box(&ct), r)
                .expect("decrypt");
            let d = t.elapsed();
            drop(black_box(out));
            d
        };
        let time_import = |rec: &mut KeyRecord, r: &mut ChaCha20Rng| {
            let t = Instant::now();
            let out = service
                .import_key_material(rec, black_box(&request), now(), r)
                .into_result()
                .expect("import");
            let d = t.elapsed();
            drop(black_box(out));
            d
        };
        let (p, m) = if i % 2 == 0 {
            let p = time_private_op(&mut r);
            (p, time_import(&mut rec, &mut r))
        } else {
            let m = time_import(&mut rec, &mut r);
            (time_private_op(&mut r), m)
        };
        if i >= 2 {
            row.private_op.push(micros(p));
            row.import.push(micros(m));
        }
    }
    if cache > 0 {
        let stats = service.issued_key_cache_stats();
        assert_eq!(stats.misses, 0, "every cached import must hit: {stats:?}");
    }
    row
}

fn main() {
    let pairs: usize = std::env::var("OVERHEAD_PAIRS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(201);
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let wanted = |id: &str| filter.as_deref().is_none_or(|f| id.contains(f));

    for provider in wrap::available_providers() {
        for (setting, cache) in [
            ("cached", DEFAULT_ISSUED_KEY_CACHE_CAPACITY),
            ("uncached", 0),
        ] {
            for spec in SPECS {
                let id = format!("overhead/{}/{spec}/{setting}", provider.name());
                if !wanted(&id) {
                    continue;
                }
                let row = measure(provider, spec, cache, pairs);
                let mut ratios: Vec<f64> = row
                    .import
                    .iter()
                    .zip(&row.private_op)
                    .map(|(m, p)| (m / p - 1.0) * 100.0)
                    .collect();
                ratios.sort_by(f64::total_cmp);
                let (op, import) = (median(&row.private_op), median(&row.import));
                println!(
                    "{id:<40} pairs={pairs} private_op_us={op:.1} import_us={import:.1} \
                     overhead_of_medians={:+.1}% paired_median={:+.1}% paired_p10={:+.1}% paired_p90={:+.1}%",
                    (import / op - 1.0) * 100.0,
                    percentile(&ratios, 0.5),
                    percentile(&ratios, 0.1),
                    percentile(&ratios, 0.9),
                );
            }
        }
    }
}
