//! How often RSAES_PKCS1_V1_5 unwrapping of a random (corrupted) RSA-2048 blob yields exactly
//! 32 bytes, the length SYMMETRIC_DEFAULT material has. Implicit rejection never fails: an
//! invalid padding gives a pseudo-random message of pseudo-random length, so this is the rate
//! at which a corrupted legacy blob imports unknown material into a key without material.
//!
//! ```sh
//! cargo run --release --example legacy_pkcs1_rate [blobs]
//! ```
//!
//! Prints the count, the rate and a 95 % confidence interval (Wilson score).

use kms_import::WrappingAlgorithm;
use kms_import::{WrapPolicy, WrappingPrivateKey};
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};

fn main() {
    let blobs: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(50_000);
    let path = format!(
        "{}/tests/data/wrapping_rsa_2048.pk8.der",
        env!("CARGO_MANIFEST_DIR")
    );
    let der = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let key = WrappingPrivateKey::from_pkcs8_der(&der).expect("fixture key");
    let k = key.spec().modulus_len().expect("RSA");
    let policy = WrapPolicy::new().allow_legacy_rsaes_pkcs1_v1_5_insecure();
    let mut rng = ChaCha20Rng::seed_from_u64(0x1e9a);
    let (mut thirty_two, mut errors) = (0u64, 0u64);
    let mut blob = vec![0u8; k];
    for _ in 0..blobs {
        rng.fill_bytes(&mut blob);
        // Below the modulus (top byte at least 0x80), so every blob is a valid RSA input.
        blob[0] &= 0x7f;
        match key
            .for_algorithm(WrappingAlgorithm::RsaesPkcs1V15)
            .unwrap(&blob, &policy, &mut rng)
        {
            Ok(m) if m.len() == 32 => thirty_two += 1,
            Ok(_) => {}
            Err(_) => errors += 1,
        }
    }
    let n = blobs as f64;
    let p = thirty_two as f64 / n;
    let z = 1.96f64;
    let centre = (p + z * z / (2.0 * n)) / (1.0 + z * z / n);
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / (1.0 + z * z / n);
    println!(
        "RSA-2048, {blobs} random blobs: {thirty_two} unwrapped to 32 bytes ({errors} errors); \
         rate {p:.5} = 1 in {:.0}; 95 % CI 1 in {:.0} .. 1 in {:.0}",
        1.0 / p,
        1.0 / (centre + half),
        1.0 / (centre - half)
    );
}
