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
//!
//! Then, per provider and spec, where the uncached overhead goes (`parts/<provider>/<spec>`),
//! each part as a paired ratio to a bare private operation timed next to it: `load` (the key
//! read from its token encoding, as an instance that did not issue the token does it),
//! `setup` (the key's first private operation minus its second: the per-key work a backend
//! does lazily) and `floor` (load plus first operation, over the bare operation: what any
//! import through this backend's API pays on such an instance, token and material aside).
//! With AWS-LC also `pkcs8_check`: AWS-LC's PKCS#8 load of the private key (parse and
//! `RSA_check_key`) minus the load of its public key, the part a key-pair check costs.

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use common::{SPECS, now, public_key, record, rng, service};
use kms_import::GetParametersForImportRequest;
use kms_import::ImportService;
use kms_import::KeyRecord;
use kms_import::provider;
use kms_import::{KeySpec, WrappingAlgorithm, WrappingKeySpec};
use kms_import::{
    WrapPolicy,
    provider::{RsaPadding, WrappingProvider},
};
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

/// Per-pair ratios (in % of the bare operation of the same pair) of the parts of an uncached
/// import: see the module documentation.
struct Parts {
    load: Vec<f64>,
    setup: Vec<f64>,
    floor: Vec<f64>,
    pkcs8_check: Vec<f64>,
}

fn measure_parts(
    provider: &'static dyn WrappingProvider,
    spec: WrappingKeySpec,
    pairs: usize,
) -> Parts {
    let mut r = rng(common::bits(spec) as u64 + 7);
    let (yardstick, ct) = common::yardstick(provider, spec, &mut r);
    yardstick.warm_up(&mut r).expect("warm up");
    let encoding = yardstick.to_token_encoding().expect("token encoding");
    #[cfg(feature = "aws-lc")]
    let (pkcs8, spki) = (
        common::pkcs8(spec),
        common::public_key(provider, spec).to_spki_der().to_vec(),
    );
    let mut parts = Parts {
        load: Vec::with_capacity(pairs),
        setup: Vec::with_capacity(pairs),
        floor: Vec::with_capacity(pairs),
        pkcs8_check: Vec::with_capacity(pairs),
    };
    let bare = |r: &mut ChaCha20Rng| {
        let t = Instant::now();
        let out = yardstick
            .rsa_decrypt(RsaPadding::OaepSha256, black_box(&ct), r)
            .expect("decrypt");
        let d = t.elapsed();
        drop(black_box(out));
        micros(d)
    };
    for i in 0..pairs + 2 {
        let before = if i % 2 == 0 { Some(bare(&mut r)) } else { None };
        let t = Instant::now();
        let key = provider
            .load_private_key_token_encoding(black_box(&encoding))
            .expect("load");
        let load = micros(t.elapsed());
        let mut op = || {
            let t = Instant::now();
            let out = key
                .rsa_decrypt(RsaPadding::OaepSha256, black_box(&ct), &mut r)
                .expect("decrypt");
            let d = t.elapsed();
            drop(black_box(out));
            micros(d)
        };
        let first = op();
        let second = op();
        drop(key);
        #[cfg(feature = "aws-lc")]
        let check = (provider.name() == "aws-lc").then(|| {
            let t = Instant::now();
            let private = aws_lc_rs::rsa::PrivateDecryptingKey::from_pkcs8(black_box(&pkcs8));
            let with_private = micros(t.elapsed());
            let t = Instant::now();
            let public = aws_lc_rs::rsa::PublicEncryptingKey::from_der(black_box(&spki));
            let public_only = micros(t.elapsed());
            assert!(private.is_ok() && public.is_ok());
            with_private - public_only
        });
        #[cfg(not(feature = "aws-lc"))]
        let check: Option<f64> = None;
        let p = before.unwrap_or_else(|| bare(&mut r));
        if i >= 2 {
            parts.load.push(load / p * 100.0);
            parts.setup.push((first - second) / p * 100.0);
            parts.floor.push(((load + first) / p - 1.0) * 100.0);
            if let Some(c) = check {
                parts.pkcs8_check.push(c / p * 100.0);
            }
        }
    }
    parts
}

fn summary(values: &[f64]) -> String {
    if values.is_empty() {
        return "-".to_owned();
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    format!(
        "{:+.1}%[{:+.1}..{:+.1}]",
        percentile(&v, 0.5),
        percentile(&v, 0.1),
        percentile(&v, 0.9)
    )
}

fn main() {
    let pairs: usize = std::env::var("OVERHEAD_PAIRS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(201);
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let wanted = |id: &str| filter.as_deref().is_none_or(|f| id.contains(f));

    for provider in provider::available_providers() {
        for (setting, cache) in [
            ("cached", ImportService::DEFAULT_ISSUED_KEY_CACHE_CAPACITY),
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
        for spec in SPECS {
            let id = format!("parts/{}/{spec}", provider.name());
            if !wanted(&id) {
                continue;
            }
            let parts = measure_parts(provider, spec, pairs);
            println!(
                "{id:<40} pairs={pairs} load={} setup={} floor={} pkcs8_check={}",
                summary(&parts.load),
                summary(&parts.setup),
                summary(&parts.floor),
                summary(&parts.pkcs8_check),
            );
        }
    }
}
