//! A dudect-style timing check of the secret-dependent failure paths: for each pair of input
//! classes, many runs are interleaved in random order, timed one by one, and compared with
//! Welch's t-test. `|t| > 4.5` suggests the two classes take different time (a leak); smaller
//! values mean no difference was detected at this sample size.
//!
//! ```sh
//! cargo build --release --example timing_leak
//! taskset -c 1 target/release/examples/timing_leak [samples-per-rsa-test] [manger]
//! ```
//!
//! The Manger check (also run alone with the `manger` argument) targets the OAEP padding
//! oracle: both classes are ciphertexts whose OAEP decoding fails, built by raw RSA from chosen
//! encoded messages; in one class the decrypted first byte is zero (the decoder goes on to the
//! hash check), in the other it is not (a leaky decoder stops there). They go through the
//! public unwrap, as a client's blob would.
//!
//! Run it on an otherwise idle core and in release mode; debug builds measure the wrong code.
//! Each line prints the raw `t` and `t` over the fastest 90 % of samples (cropping the tail
//! that interrupts and frequency changes put there, as dudect does).

use std::hint::black_box;
use std::time::Instant;

use kms_import::WrappingAlgorithm;
use kms_import::{SealingKey, SealingKeys};
use kms_import::{WrapPolicy, WrappingPrivateKey};
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use time::OffsetDateTime;

/// Per-class timings in nanoseconds.
#[derive(Default)]
struct Samples {
    class: [Vec<f64>; 2],
}

impl Samples {
    fn push(&mut self, class: usize, ns: f64) {
        self.class[class].push(ns);
    }

    fn welch(a: &[f64], b: &[f64]) -> f64 {
        let stats = |x: &[f64]| {
            let n = x.len() as f64;
            let mean = x.iter().sum::<f64>() / n;
            let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
            (n, mean, var)
        };
        let (na, ma, va) = stats(a);
        let (nb, mb, vb) = stats(b);
        (ma - mb) / (va / na + vb / nb).sqrt()
    }

    /// Welch's t over all samples, and over the samples below the pooled 90th percentile.
    fn t(&self) -> (f64, f64) {
        let raw = Self::welch(&self.class[0], &self.class[1]);
        let mut pooled: Vec<f64> = self.class.iter().flatten().copied().collect();
        pooled.sort_by(f64::total_cmp);
        let cut = pooled[pooled.len() * 9 / 10];
        let crop = |x: &[f64]| x.iter().copied().filter(|v| *v <= cut).collect::<Vec<_>>();
        let cropped = Self::welch(&crop(&self.class[0]), &crop(&self.class[1]));
        (raw, cropped)
    }

    fn median(&self, class: usize) -> f64 {
        let mut v = self.class[class].clone();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    }
}

/// Runs `op` on inputs of the two classes in random order, `n` times in all.
fn measure(
    name: &str,
    n: usize,
    rng: &mut ChaCha20Rng,
    inputs: [&[Vec<u8>]; 2],
    mut op: impl FnMut(&[u8], &mut ChaCha20Rng) -> bool,
) {
    let mut samples = Samples::default();
    let mut outcomes = [[0usize; 2]; 2];
    // Warm-up: caches, branch predictors, lazy initialisation.
    for i in 0..n / 20 + 1 {
        let input = &inputs[i % 2][i % inputs[i % 2].len()];
        black_box(op(input, rng));
    }
    for _ in 0..n {
        let class = (rng.next_u32() & 1) as usize;
        let pool = inputs[class];
        let input = &pool[rng.next_u32() as usize % pool.len()];
        let start = Instant::now();
        let ok = black_box(op(black_box(input), rng));
        let ns = start.elapsed().as_nanos() as f64;
        samples.push(class, ns);
        outcomes[class][usize::from(ok)] += 1;
    }
    let (raw, cropped) = samples.t();
    let verdict = if raw.abs() > 4.5 || cropped.abs() > 4.5 {
        "DIFFERENT"
    } else {
        "no difference detected"
    };
    println!(
        "{name:<62} n={:>6}/{:<6} median {:>9.0}/{:<9.0} ns  t={raw:>7.2}  t90={cropped:>7.2}  ok {}/{}  {verdict}",
        samples.class[0].len(),
        samples.class[1].len(),
        samples.median(0),
        samples.median(1),
        outcomes[0][1],
        outcomes[1][1],
    );
}

fn fixture(bits: u32) -> WrappingPrivateKey {
    let path = format!(
        "{}/tests/data/wrapping_rsa_{bits}.pk8.der",
        env!("CARGO_MANIFEST_DIR")
    );
    let der = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    WrappingPrivateKey::from_pkcs8_der(&der).expect("fixture key")
}

fn random_block(rng: &mut ChaCha20Rng, k: usize) -> Vec<u8> {
    let mut v = vec![0u8; k];
    rng.fill_bytes(&mut v);
    // Below the modulus (whose top byte is at least 0x80), so the RSA step itself runs.
    v[0] &= 0x3f;
    v
}

/// Raw RSA on the fixture's public key: `em^e mod n`, `k` bytes big-endian.
fn raw_rsa(public: &rsa::RsaPublicKey, em: &[u8]) -> Vec<u8> {
    use rsa::traits::PublicKeyParts;
    let k = public.size();
    let m = rsa::BoxedUint::from_be_slice(em, public.n_bits_precision()).expect("em fits");
    let c = rsa::hazmat::rsa_encrypt(public, &m).expect("raw RSA");
    let bytes = c.to_be_bytes();
    let mut out = vec![0u8; k];
    let take = bytes.len().min(k);
    out[k - take..].copy_from_slice(&bytes[bytes.len() - take..]);
    out
}

/// Manger's oracle: OAEP ciphertexts whose decryption starts with a zero byte against ones
/// whose decryption does not; every one of them fails to decode.
fn manger(rsa_samples: usize, rng: &mut ChaCha20Rng, key: &WrappingPrivateKey, pool: usize) {
    use rsa::pkcs8::DecodePrivateKey;
    let path = format!(
        "{}/tests/data/wrapping_rsa_2048.pk8.der",
        env!("CARGO_MANIFEST_DIR")
    );
    let der = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let public = rsa::RsaPrivateKey::from_pkcs8_der(&der)
        .expect("fixture key")
        .to_public_key();
    let k = key.spec().modulus_len().expect("RSA");
    let policy = WrapPolicy::new();
    let encoded = |rng: &mut ChaCha20Rng, first: u8| {
        let mut em = vec![0u8; k];
        rng.fill_bytes(&mut em);
        em[0] = first;
        raw_rsa(&public, &em)
    };
    let zero: Vec<Vec<u8>> = (0..pool).map(|_| encoded(rng, 0)).collect();
    let nonzero: Vec<Vec<u8>> = (0..pool)
        .map(|_| {
            // 0x01..=0x7f: below the modulus, whose top byte is at least 0x80.
            let first = (rng.next_u32() % 0x7f) as u8 + 1;
            encoded(rng, first)
        })
        .collect();
    for (algorithm, label) in [
        (WrappingAlgorithm::RsaesOaepSha256, "RSAES_OAEP_SHA_256"),
        (WrappingAlgorithm::RsaesOaepSha1, "RSAES_OAEP_SHA_1"),
    ] {
        measure(
            &format!("{label} Manger: first byte zero vs non-zero"),
            rsa_samples,
            rng,
            [&zero, &nonzero],
            |ct, rng| {
                key.for_algorithm(algorithm)
                    .unwrap(ct, &policy, rng)
                    .is_ok()
            },
        );
    }
}

fn main() {
    let rsa_samples: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000);
    let manger_only = std::env::args().nth(2).as_deref() == Some("manger");
    let token_samples = rsa_samples * 20;
    let mut rng = ChaCha20Rng::seed_from_u64(0x7e57);
    let key = fixture(2048);
    let k = key.spec().modulus_len().expect("RSA");
    let public = key.public_key();
    let legacy = WrapPolicy::new().allow_legacy_rsaes_pkcs1_v1_5_insecure();
    let pool = 64;
    println!("class 0 / class 1; RSA-2048 fixture key; {rsa_samples} RSA samples per test");
    manger(rsa_samples, &mut rng, &key, pool);
    if manger_only {
        return;
    }

    for (algorithm, label) in [
        (WrappingAlgorithm::RsaesOaepSha256, "RSAES_OAEP_SHA_256"),
        (WrappingAlgorithm::RsaesOaepSha1, "RSAES_OAEP_SHA_1"),
        (
            WrappingAlgorithm::RsaesPkcs1V15,
            "RSAES_PKCS1_V1_5 (implicit rejection)",
        ),
    ] {
        let valid: Vec<Vec<u8>> = (0..pool)
            .map(|_| {
                let mut m = [0u8; 32];
                rng.fill_bytes(&mut m);
                public.wrap(algorithm, &m, &legacy, &mut rng).expect("wrap")
            })
            .collect();
        let invalid: Vec<Vec<u8>> = (0..pool).map(|_| random_block(&mut rng, k)).collect();
        measure(
            &format!("{label}: valid vs invalid padding"),
            rsa_samples,
            &mut rng,
            [&valid, &invalid],
            |ct, rng| {
                key.for_algorithm(algorithm)
                    .unwrap(ct, &legacy, rng)
                    .is_ok()
            },
        );
    }

    for (algorithm, label) in [
        (
            WrappingAlgorithm::RsaAesKeyWrapSha256,
            "RSA_AES_KEY_WRAP_SHA_256",
        ),
        (
            WrappingAlgorithm::RsaAesKeyWrapSha1,
            "RSA_AES_KEY_WRAP_SHA_1",
        ),
    ] {
        let mut bad_kwp = Vec::new();
        let mut bad_rsa = Vec::new();
        for _ in 0..pool {
            let mut m = [0u8; 64];
            rng.fill_bytes(&mut m);
            let blob = public.wrap(algorithm, &m, &legacy, &mut rng).expect("wrap");
            let mut a = blob.clone();
            let i = k + (rng.next_u32() as usize % (blob.len() - k));
            a[i] ^= 0x01;
            bad_kwp.push(a);
            let mut b = blob;
            b[..k].copy_from_slice(&random_block(&mut rng, k));
            bad_rsa.push(b);
        }
        measure(
            &format!("{label}: valid RSA part + bad KWP vs bad RSA part"),
            rsa_samples,
            &mut rng,
            [&bad_kwp, &bad_rsa],
            |ct, rng| {
                key.for_algorithm(algorithm)
                    .unwrap(ct, &legacy, rng)
                    .is_ok()
            },
        );
    }

    // Import tokens: a realistic payload (an RSA-4096 PKCS#8 key) under a two-key set.
    let sealing = SealingKeys::with_previous(
        SealingKey::generate(&mut rng),
        vec![SealingKey::generate(&mut rng)],
        2,
    )
    .expect("sealing keys");
    let arn = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time");
    let wrapping = fixture(4096);
    let tokens: Vec<Vec<u8>> = (0..pool)
        .map(|_| {
            kms_import_testkit::issue_token(
                &sealing,
                arn,
                &wrapping,
                WrappingAlgorithm::RsaAesKeyWrapSha256,
                now,
                &mut rng,
            )
            .into_bytes()
        })
        .collect();
    let tampered: Vec<Vec<u8>> = tokens
        .iter()
        .map(|t| {
            let mut t = t.clone();
            let last = t.len() - 1;
            t[last] ^= 0x80;
            t
        })
        .collect();
    let unknown_key: Vec<Vec<u8>> = tokens
        .iter()
        .map(|t| {
            let mut t = t.clone();
            t[1] ^= 0xff;
            t
        })
        .collect();
    let tampered_body: Vec<Vec<u8>> = tokens
        .iter()
        .map(|t| {
            let mut t = t.clone();
            let mid = t.len() / 2;
            t[mid] ^= 0x01;
            t
        })
        .collect();
    let open = |t: &[u8], _: &mut ChaCha20Rng| sealing.open(t, arn, now).is_ok();
    measure(
        "token open: valid vs tampered tag",
        token_samples,
        &mut rng,
        [&tokens, &tampered],
        open,
    );
    measure(
        "token open: tampered tag vs tampered ciphertext",
        token_samples,
        &mut rng,
        [&tampered, &tampered_body],
        open,
    );
    measure(
        "token open: tampered tag vs unknown sealing key id",
        token_samples,
        &mut rng,
        [&tampered, &unknown_key],
        open,
    );
    measure(
        "token open: valid vs unknown sealing key id",
        token_samples,
        &mut rng,
        [&tokens, &unknown_key],
        open,
    );
}
