//! The crate's side of `scripts/compare_openssl.sh`: unwraps the same ciphertexts that OpenSSL
//! made and decrypts, with every provider compiled in, in one process (no process start in the
//! timing). Not a criterion bench.
//!
//! `COMPARE_DIR` names a directory with `rsa_<bits>.pk8.der` and, per size, `ct_<bits>_<i>.bin`
//! (RSAES_OAEP_SHA_256 ciphertexts) with their plaintexts `pt_<bits>_<i>.bin`. Every unwrap is
//! checked against the plaintext. `COMPARE_ROUNDS` (default 5) passes are made over the files;
//! the output is one line per provider and size: `unwrap <provider> <bits> n=<ops>
//! median_us=<..> mean_us=<..>` (median over all single unwraps). Without `COMPARE_DIR` it does
//! nothing, so `cargo bench` stays quiet.

use std::path::Path;
use std::time::Instant;

use kms_import::WrappingAlgorithm;
use kms_import::provider;
use kms_import::{WrapPolicy, WrappingPrivateKey};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

fn main() {
    let Ok(dir) = std::env::var("COMPARE_DIR") else {
        return;
    };
    let dir = Path::new(&dir);
    let rounds: usize = std::env::var("COMPARE_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    for provider in provider::available_providers() {
        for bits in [2048, 3072, 4096] {
            let Ok(pk8) = std::fs::read(dir.join(format!("rsa_{bits}.pk8.der"))) else {
                continue;
            };
            let key = WrappingPrivateKey::from_pkcs8_der_with(provider, &pk8).expect("key");
            let mut cases = Vec::new();
            for i in 0.. {
                let (Ok(ct), Ok(pt)) = (
                    std::fs::read(dir.join(format!("ct_{bits}_{i}.bin"))),
                    std::fs::read(dir.join(format!("pt_{bits}_{i}.bin"))),
                ) else {
                    break;
                };
                cases.push((ct, pt));
            }
            let mut times = Vec::new();
            for _ in 0..rounds {
                for (ct, pt) in &cases {
                    let t = Instant::now();
                    let out = key
                        .for_algorithm(WrappingAlgorithm::RsaesOaepSha256)
                        .unwrap(ct, &WrapPolicy::new(), &mut rng)
                        .expect("unwrap");
                    times.push(t.elapsed().as_secs_f64() * 1e6);
                    assert_eq!(&out[..], &pt[..], "plaintext mismatch");
                }
            }
            if times.is_empty() {
                continue;
            }
            times.sort_by(f64::total_cmp);
            let mean = times.iter().sum::<f64>() / times.len() as f64;
            println!(
                "unwrap {} {bits} n={} median_us={:.1} mean_us={:.1}",
                provider.name(),
                times.len(),
                times[times.len() / 2],
                mean
            );
        }
    }
}
