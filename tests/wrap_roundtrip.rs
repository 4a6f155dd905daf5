//! Round trips of every wrapping algorithm under every wrapping key size (fixture keys), and
//! the rejection of everything that is not a well-formed ciphertext, for every provider compiled
//! in (the pure-Rust default, and AWS-LC with the `aws-lc` feature).

use std::cell::Cell;
use std::sync::LazyLock;

use kms_import::provider;
use kms_import::{Error, WrappingAlgorithm, WrappingKeySpec};
use kms_import::{
    WrapPolicy, WrappingPrivateKey, WrappingPublicKey,
    provider::{RsaPadding, WrappingProvider},
};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

const LEGACY: WrapPolicy = WrapPolicy::new().allow_legacy_rsaes_pkcs1_v1_5_insecure();

const RSA_ALGS: [WrappingAlgorithm; 5] = [
    WrappingAlgorithm::RsaesOaepSha1,
    WrappingAlgorithm::RsaesOaepSha256,
    WrappingAlgorithm::RsaAesKeyWrapSha1,
    WrappingAlgorithm::RsaAesKeyWrapSha256,
    WrappingAlgorithm::RsaesPkcs1V15,
];

struct Fixture {
    private: WrappingPrivateKey,
    public: WrappingPublicKey,
    /// The same keys as the provider itself loads them (the bare RSA operations).
    raw_private: Box<dyn provider::WrappingPrivateKeyOps>,
    raw_public: Box<dyn provider::WrappingPublicKeyOps>,
}

fn load(provider: &'static dyn WrappingProvider, bits: usize) -> Fixture {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");
    let pk8 = std::fs::read(format!("{dir}/wrapping_rsa_{bits}.pk8.der")).unwrap();
    let spki = std::fs::read(format!("{dir}/wrapping_rsa_{bits}.spki.der")).unwrap();
    Fixture {
        private: WrappingPrivateKey::from_pkcs8_der_with(provider, &pk8).unwrap(),
        public: WrappingPublicKey::from_spki_der_with(provider, &spki).unwrap(),
        raw_private: provider.load_private_key_pkcs8_der(&pk8).unwrap(),
        raw_public: provider.load_public_key_spki_der(&spki).unwrap(),
    }
}

static PROVIDERS: LazyLock<Vec<&'static dyn WrappingProvider>> =
    LazyLock::new(provider::available_providers);

/// Fixture keys per provider, in the order of [`PROVIDERS`].
static KEYS: LazyLock<Vec<[Fixture; 3]>> = LazyLock::new(|| {
    PROVIDERS
        .iter()
        .map(|&p| [load(p, 2048), load(p, 3072), load(p, 4096)])
        .collect()
});

thread_local! {
    /// The provider the current test body runs against (an index into [`PROVIDERS`]).
    static CURRENT: Cell<usize> = const { Cell::new(0) };
}

fn provider() -> &'static dyn WrappingProvider {
    PROVIDERS[CURRENT.get()]
}

/// Runs `body` once per provider; [`key`], [`provider`] and the helpers follow along.
fn for_each_provider(mut body: impl FnMut(&'static dyn WrappingProvider)) {
    for i in 0..PROVIDERS.len() {
        CURRENT.set(i);
        body(PROVIDERS[i]);
    }
    CURRENT.set(0);
}

/// Whether the current provider offers the algorithm's padding (AWS-LC has no PKCS#1 v1.5).
fn offered(alg: WrappingAlgorithm) -> bool {
    kms_import::provider::check_provider_supports(provider(), alg).is_ok()
}

fn is_rsa_aes(alg: WrappingAlgorithm) -> bool {
    matches!(
        alg,
        WrappingAlgorithm::RsaAesKeyWrapSha1 | WrappingAlgorithm::RsaAesKeyWrapSha256
    )
}

fn key(spec: WrappingKeySpec) -> &'static Fixture {
    let i = match spec {
        WrappingKeySpec::Rsa2048 => 0,
        WrappingKeySpec::Rsa3072 => 1,
        WrappingKeySpec::Rsa4096 => 2,
        _ => panic!("no fixture for {spec}"),
    };
    &KEYS[CURRENT.get()][i]
}

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        ..ProptestConfig::default()
    }
}

fn any_alg() -> impl Strategy<Value = WrappingAlgorithm> {
    prop::sample::select(RSA_ALGS.to_vec())
}

fn any_spec() -> impl Strategy<Value = WrappingKeySpec> {
    prop::sample::select(WrappingKeySpec::RSA.to_vec())
}

/// (algorithm, spec, material) with 1 <= material length <= the algorithm's limit. RSA_AES
/// sizes are capped at 3000 bytes (beyond any real PKCS#8 key) to keep cases quick.
fn case() -> impl Strategy<Value = (WrappingAlgorithm, WrappingKeySpec, Vec<u8>)> {
    (any_alg(), any_spec()).prop_flat_map(|(alg, spec)| {
        let max = kms_import::max_material_len(alg, spec).unwrap().min(3000);
        (
            Just(alg),
            Just(spec),
            prop_oneof![
                prop::collection::vec(any::<u8>(), 1..=max),
                prop::collection::vec(any::<u8>(), max..=max),
            ],
        )
    })
}

proptest! {
    #![proptest_config(config(96))]

    #[test]
    fn every_algorithm_round_trips_up_to_its_limit(
        (alg, spec, material) in case(),
        seed: u64,
        p in 0..PROVIDERS.len(),
    ) {
        CURRENT.set(p);
        let k = key(spec);
        let mut r = rng(seed);
        if !offered(alg) {
            let e = k.public.wrap(alg, &material, &LEGACY, &mut r).unwrap_err();
            prop_assert_eq!(e.code(), "UnsupportedOperationException");
            let e = k.private.for_algorithm(alg).unwrap(&[0; 512], &LEGACY, &mut r).unwrap_err();
            prop_assert_eq!(e.code(), "UnsupportedOperationException");
            return Ok(());
        }
        let blob = k.public.wrap(alg, &material, &LEGACY, &mut r).unwrap();
        let back = k.private.for_algorithm(alg).unwrap(&blob, &LEGACY, &mut r).unwrap();
        prop_assert_eq!(&back[..], &material[..]);
        let n = spec.modulus_len().unwrap();
        if is_rsa_aes(alg) {
            prop_assert_eq!(blob.len(), n + material.len().div_ceil(8) * 8 + 8);
        } else {
            prop_assert_eq!(blob.len(), n);
        }
    }

    #[test]
    fn unwrapping_arbitrary_bytes_fails_only_with_invalid_ciphertext(
        alg in any_alg(),
        spec in any_spec(),
        shape in 0usize..4,
        extra in prop::collection::vec(any::<u8>(), 0..80),
        seed: u64,
        p in 0..PROVIDERS.len(),
    ) {
        CURRENT.set(p);
        let k = key(spec);
        let n = spec.modulus_len().unwrap();
        let mut r = rng(seed);
        // Lengths that reach every check: arbitrary, exactly k, k plus a KWP-shaped remainder.
        let len = match shape {
            0 => extra.len(),
            1 => n,
            2 => n + 16 + (extra.len() / 8) * 8,
            _ => n + extra.len(),
        };
        let mut blob = vec![0u8; len];
        for (i, b) in blob.iter_mut().enumerate() {
            *b = extra.get(i % extra.len().max(1)).copied().unwrap_or(0xA5) ^ (i as u8);
        }
        match k.private.for_algorithm(alg).unwrap(&blob, &LEGACY, &mut r) {
            Err(e) if !offered(alg) => prop_assert_eq!(e.code(), "UnsupportedOperationException"),
            Err(e) => prop_assert_eq!(e, Error::InvalidCiphertext),
            // Only PKCS#1 v1.5 (implicit rejection) may turn garbage into a message.
            Ok(_) => prop_assert_eq!(alg, WrappingAlgorithm::RsaesPkcs1V15),
        }
    }
}

#[test]
fn two_wraps_of_the_same_material_differ() {
    for_each_provider(|_provider| {
        let material = [7u8; 32];
        let mut r = rng(1);
        for spec in WrappingKeySpec::RSA {
            for alg in RSA_ALGS.into_iter().filter(|a| offered(*a)) {
                let k = key(spec);
                let a = k.public.wrap(alg, &material, &LEGACY, &mut r).unwrap();
                let b = k.public.wrap(alg, &material, &LEGACY, &mut r).unwrap();
                assert_ne!(a, b, "{alg} {spec}");
                if is_rsa_aes(alg) {
                    // A fresh AES key per wrap: the KWP parts differ too.
                    let n = spec.modulus_len().unwrap();
                    assert_ne!(a[n..], b[n..], "{alg} {spec}");
                }
            }
        }
    });
}

#[test]
fn fixture_keys_carry_the_spec_of_their_modulus() {
    for_each_provider(|_provider| {
        for (spec, bits) in [
            (WrappingKeySpec::Rsa2048, 2048),
            (WrappingKeySpec::Rsa3072, 3072),
            (WrappingKeySpec::Rsa4096, 4096),
        ] {
            let k = key(spec);
            assert_eq!(k.private.spec(), spec);
            assert_eq!(k.public.spec(), spec);
            assert_eq!(k.private.public_key_spki_der(), k.public.to_spki_der());
            assert_eq!(k.private.public_key().to_spki_der(), k.public.to_spki_der());
            let again = WrappingPrivateKey::from_pkcs8_der_with(
                provider(),
                &k.private.to_pkcs8_der().unwrap(),
            )
            .unwrap();
            assert_eq!(again.public_key_spki_der(), k.public.to_spki_der());
            assert_eq!(spec.modulus_bits(), Some(bits));
            let pk8 = k.private.to_pkcs8_der().unwrap();
            for other in WrappingKeySpec::RSA {
                let r = WrappingPrivateKey::from_pkcs8_der_expecting(other, &pk8);
                assert_eq!(r.is_ok(), other == spec, "{spec} loaded as {other}");
            }
        }
    });
}

#[test]
fn a_generated_key_exports_and_reloads() {
    for_each_provider(|_provider| {
        let mut r = rng(2);
        let k = WrappingPrivateKey::generate_with(provider(), WrappingKeySpec::Rsa2048, &mut r)
            .unwrap();
        assert_eq!(k.spec(), WrappingKeySpec::Rsa2048);
        let reloaded =
            WrappingPrivateKey::from_pkcs8_der_with(provider(), &k.to_pkcs8_der().unwrap())
                .unwrap();
        let public =
            WrappingPublicKey::from_spki_der_with(provider(), k.public_key_spki_der()).unwrap();
        let blob = public
            .wrap(
                WrappingAlgorithm::RsaesOaepSha256,
                &[1; 32],
                &WrapPolicy::default(),
                &mut r,
            )
            .unwrap();
        let back = reloaded
            .for_algorithm(WrappingAlgorithm::RsaesOaepSha256)
            .unwrap(&blob, &WrapPolicy::default(), &mut r)
            .unwrap();
        assert_eq!(&back[..], &[1; 32]);
        // The exported SPKI has e = 65537: 0x010001 closes the RSAPublicKey sequence.
        assert!(
            k.public_key_spki_der()
                .ends_with(&[0x02, 0x03, 0x01, 0x00, 0x01])
        );
    });
}

/// Warming a key up (done by `generate_with`, and by hand for keys loaded into a pool) leaves it
/// working, is repeatable, and is shared by its clones; it succeeds with every provider.
#[test]
fn a_warmed_up_key_and_its_clones_still_unwrap() {
    for_each_provider(|provider| {
        let mut r = rng(3);
        for spec in [WrappingKeySpec::Rsa2048, WrappingKeySpec::Rsa4096] {
            let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");
            let bits = spec.modulus_bits().unwrap();
            let pk8 = std::fs::read(format!("{dir}/wrapping_rsa_{bits}.pk8.der")).unwrap();
            let fresh = WrappingPrivateKey::from_pkcs8_der_with(provider, &pk8).unwrap();
            fresh.warm_up(&mut r).unwrap();
            fresh.warm_up(&mut r).unwrap();
            let clone = fresh.clone();
            for alg in [
                WrappingAlgorithm::RsaesOaepSha1,
                WrappingAlgorithm::RsaAesKeyWrapSha256,
            ] {
                let material: Vec<u8> = (0..32u8).collect();
                let blob = key(spec)
                    .public
                    .wrap(alg, &material, &WrapPolicy::default(), &mut r)
                    .unwrap();
                for k in [&fresh, &clone] {
                    let back = k
                        .for_algorithm(alg)
                        .unwrap(&blob, &WrapPolicy::default(), &mut r)
                        .unwrap();
                    assert_eq!(&back[..], &material[..], "{} {spec} {alg}", provider.name());
                }
            }
        }
    });
}

#[test]
fn debug_output_never_shows_the_private_key() {
    for_each_provider(|_provider| {
        let k = key(WrappingKeySpec::Rsa2048);
        let dbg = format!("{:?} {:?} {:?}", k.private, k.raw_private, k.public);
        assert!(dbg.contains("<redacted>"));
        assert!(dbg.contains("RSA_2048") || dbg.contains("Rsa2048"));
        let pk8 = k.private.to_pkcs8_der().unwrap();
        // No 4-byte window of the private key's encoding (beyond the public header) shows up.
        let tail = &pk8[pk8.len() - 64..];
        let hex: String = tail.iter().map(|b| format!("{b:02x}")).collect();
        assert!(!dbg.contains(&hex[..16]));
    });
}

#[test]
fn sm2_is_unsupported_never_a_panic() {
    for_each_provider(|_provider| {
        let k = key(WrappingKeySpec::Rsa2048);
        let mut r = rng(3);
        let e = k
            .public
            .wrap(WrappingAlgorithm::Sm2pke, &[1; 32], &LEGACY, &mut r)
            .unwrap_err();
        assert_eq!(e.code(), "UnsupportedOperationException");
        let e = k
            .private
            .for_algorithm(WrappingAlgorithm::Sm2pke)
            .unwrap(&[0; 256], &LEGACY, &mut r)
            .unwrap_err();
        assert_eq!(e.code(), "UnsupportedOperationException");
        let e = WrappingPrivateKey::generate_with(provider(), WrappingKeySpec::Sm2, &mut r)
            .unwrap_err();
        assert_eq!(e.code(), "UnsupportedOperationException");
    });
}

#[test]
fn pkcs1_v1_5_is_refused_without_the_legacy_opt_in() {
    for_each_provider(|_provider| {
        if !offered(WrappingAlgorithm::RsaesPkcs1V15) {
            return; // covered by pkcs1_v1_5_is_unsupported_on_providers_without_it
        }
        let k = key(WrappingKeySpec::Rsa2048);
        let mut r = rng(4);
        let default = WrapPolicy::default();
        let e = k
            .public
            .wrap(WrappingAlgorithm::RsaesPkcs1V15, &[1; 32], &default, &mut r)
            .unwrap_err();
        assert_eq!(e.code(), "UnsupportedOperationException");
        assert!(e.message().contains("RSAES_PKCS1_V1_5"));
        let blob = k
            .public
            .wrap(WrappingAlgorithm::RsaesPkcs1V15, &[1; 32], &LEGACY, &mut r)
            .unwrap();
        let e = k
            .private
            .for_algorithm(WrappingAlgorithm::RsaesPkcs1V15)
            .unwrap(&blob, &default, &mut r)
            .unwrap_err();
        assert_eq!(e.code(), "UnsupportedOperationException");
    });
}

#[test]
fn pkcs1_v1_5_tampering_yields_a_different_message_not_an_error() {
    for_each_provider(|_provider| {
        if !offered(WrappingAlgorithm::RsaesPkcs1V15) {
            return; // covered by pkcs1_v1_5_is_unsupported_on_providers_without_it
        }
        let k = key(WrappingKeySpec::Rsa2048);
        let mut r = rng(5);
        let material = [0x42u8; 32];
        let mut blob = k
            .public
            .wrap(WrappingAlgorithm::RsaesPkcs1V15, &material, &LEGACY, &mut r)
            .unwrap();
        blob[100] ^= 1;
        let a = k
            .private
            .for_algorithm(WrappingAlgorithm::RsaesPkcs1V15)
            .unwrap(&blob, &LEGACY, &mut r)
            .unwrap();
        let b = k
            .private
            .for_algorithm(WrappingAlgorithm::RsaesPkcs1V15)
            .unwrap(&blob, &LEGACY, &mut r)
            .unwrap();
        assert_ne!(&a[..], &material[..]);
        // Deterministic: blinding randomness does not change the synthetic message.
        assert_eq!(&a[..], &b[..]);
    });
}

#[test]
fn material_over_the_oaep_limit_is_a_validation_error() {
    for_each_provider(|_provider| {
        let mut r = rng(6);
        for spec in WrappingKeySpec::RSA {
            for alg in [
                WrappingAlgorithm::RsaesOaepSha1,
                WrappingAlgorithm::RsaesOaepSha256,
            ] {
                let max = kms_import::max_material_len(alg, spec).unwrap();
                let k = key(spec);
                assert!(k.public.wrap(alg, &vec![1; max], &LEGACY, &mut r).is_ok());
                let e = k
                    .public
                    .wrap(alg, &vec![1; max + 1], &LEGACY, &mut r)
                    .unwrap_err();
                assert_eq!(e.code(), "ValidationException", "{alg} {spec}");
                assert!(e.message().contains(&max.to_string()));
            }
        }
        // A P-521 PKCS#8 key (241 bytes) does not fit RSA-2048 OAEP.
        let k = key(WrappingKeySpec::Rsa2048);
        assert!(
            k.public
                .wrap(WrappingAlgorithm::RsaesOaepSha1, &[1; 241], &LEGACY, &mut r)
                .is_err()
        );
        // RSA_AES: the whole blob must stay within 6144 bytes.
        let k = key(WrappingKeySpec::Rsa4096);
        let max = kms_import::max_material_len(
            WrappingAlgorithm::RsaAesKeyWrapSha256,
            WrappingKeySpec::Rsa4096,
        )
        .unwrap();
        let blob = k
            .public
            .wrap(
                WrappingAlgorithm::RsaAesKeyWrapSha256,
                &vec![1; max],
                &LEGACY,
                &mut r,
            )
            .unwrap();
        assert!(blob.len() <= 6144);
        assert!(
            k.public
                .wrap(
                    WrappingAlgorithm::RsaAesKeyWrapSha256,
                    &vec![1; max + 1],
                    &LEGACY,
                    &mut r
                )
                .is_err()
        );
    });
}

#[test]
fn empty_material_is_refused_by_every_algorithm() {
    for_each_provider(|_provider| {
        let k = key(WrappingKeySpec::Rsa2048);
        let mut r = rng(7);
        for alg in RSA_ALGS.into_iter().filter(|a| offered(*a)) {
            let e = k.public.wrap(alg, &[], &LEGACY, &mut r).unwrap_err();
            assert_eq!(e.code(), "ValidationException", "{alg}");
        }
    });
}

fn wrapped(alg: WrappingAlgorithm, spec: WrappingKeySpec, material: &[u8]) -> Vec<u8> {
    key(spec)
        .public
        .wrap(alg, material, &LEGACY, &mut rng(8))
        .unwrap()
}

fn assert_invalid(alg: WrappingAlgorithm, spec: WrappingKeySpec, blob: &[u8], what: &str) {
    let r = key(spec)
        .private
        .for_algorithm(alg)
        .unwrap(blob, &LEGACY, &mut rng(9));
    if !offered(alg) {
        let e = r.unwrap_err();
        assert_eq!(
            e.code(),
            "UnsupportedOperationException",
            "{alg} {spec}: {what}"
        );
        return;
    }
    assert_eq!(
        r.unwrap_err(),
        Error::InvalidCiphertext,
        "{alg} {spec}: {what}"
    );
}

#[test]
fn oaep_rejects_wrong_lengths_flips_wrong_hash_and_wrong_key() {
    for_each_provider(|_provider| {
        for spec in WrappingKeySpec::RSA {
            let n = spec.modulus_len().unwrap();
            for (alg, other) in [
                (
                    WrappingAlgorithm::RsaesOaepSha1,
                    WrappingAlgorithm::RsaesOaepSha256,
                ),
                (
                    WrappingAlgorithm::RsaesOaepSha256,
                    WrappingAlgorithm::RsaesOaepSha1,
                ),
            ] {
                let blob = wrapped(alg, spec, &[0x11; 32]);
                assert_eq!(blob.len(), n);
                assert_invalid(alg, spec, &[], "empty");
                assert_invalid(alg, spec, &blob[1..], "one byte short");
                let mut longer = vec![0];
                longer.extend_from_slice(&blob);
                assert_invalid(alg, spec, &longer, "leading zero added");
                let mut longer = blob.clone();
                longer.push(0);
                assert_invalid(alg, spec, &longer, "trailing byte");
                for i in [0, n / 2, n - 1] {
                    let mut flipped = blob.clone();
                    flipped[i] ^= 0x01;
                    assert_invalid(alg, spec, &flipped, "bit flip");
                }
                assert_invalid(other, spec, &blob, "other hash");
                assert_invalid(alg, spec, &vec![0xFF; n], "not below the modulus");
                let other_spec_key = WrappingKeySpec::RSA
                    .into_iter()
                    .find(|s| *s != spec)
                    .unwrap();
                let other_blob = wrapped(alg, other_spec_key, &[0x11; 32]);
                assert_invalid(alg, spec, &other_blob, "other key, other size");
            }
        }
    });
}

#[test]
fn oaep_rejects_a_ciphertext_for_another_key_of_the_same_size() {
    for_each_provider(|_provider| {
        let mut r = rng(10);
        let other = WrappingPrivateKey::generate_with(provider(), WrappingKeySpec::Rsa2048, &mut r)
            .unwrap();
        let blob = other
            .public_key()
            .wrap(
                WrappingAlgorithm::RsaesOaepSha256,
                &[3; 32],
                &LEGACY,
                &mut r,
            )
            .unwrap();
        assert_invalid(
            WrappingAlgorithm::RsaesOaepSha256,
            WrappingKeySpec::Rsa2048,
            &blob,
            "wrong key",
        );
        let blob = other
            .public_key()
            .wrap(
                WrappingAlgorithm::RsaAesKeyWrapSha256,
                &[3; 32],
                &LEGACY,
                &mut r,
            )
            .unwrap();
        assert_invalid(
            WrappingAlgorithm::RsaAesKeyWrapSha256,
            WrappingKeySpec::Rsa2048,
            &blob,
            "wrong key",
        );
    });
}

#[test]
fn rsa_aes_rejects_bad_splits_flips_and_kwp_integrity_failures() {
    for_each_provider(|_provider| {
        for spec in WrappingKeySpec::RSA {
            let n = spec.modulus_len().unwrap();
            for (alg, other) in [
                (
                    WrappingAlgorithm::RsaAesKeyWrapSha1,
                    WrappingAlgorithm::RsaAesKeyWrapSha256,
                ),
                (
                    WrappingAlgorithm::RsaAesKeyWrapSha256,
                    WrappingAlgorithm::RsaAesKeyWrapSha1,
                ),
            ] {
                let blob = wrapped(alg, spec, &[0x22; 40]);
                assert_eq!(blob.len(), n + 40 + 8);
                assert_invalid(alg, spec, &[], "empty");
                assert_invalid(alg, spec, &blob[..n], "RSA part only");
                assert_invalid(alg, spec, &blob[..n + 8], "8-byte remainder");
                assert_invalid(
                    alg,
                    spec,
                    &blob[..blob.len() - 1],
                    "remainder not a multiple of 8",
                );
                assert_invalid(
                    alg,
                    spec,
                    &blob[..blob.len() - 8],
                    "truncated by a semiblock",
                );
                let mut longer = blob.clone();
                longer.extend_from_slice(&[0; 8]);
                assert_invalid(alg, spec, &longer, "extra semiblock");
                for i in [0, n - 1, n, n + 20, blob.len() - 1] {
                    let mut flipped = blob.clone();
                    flipped[i] ^= 0x80;
                    assert_invalid(alg, spec, &flipped, "bit flip");
                }
                assert_invalid(other, spec, &blob, "other hash");
                assert_invalid(
                    WrappingAlgorithm::RsaesOaepSha1,
                    spec,
                    &blob,
                    "as plain OAEP",
                );
                // Swapped parts (KWP first) must not be accepted either.
                let mut swapped = blob[n..].to_vec();
                swapped.extend_from_slice(&blob[..n]);
                assert_invalid(alg, spec, &swapped, "parts swapped");
            }
        }
    });
}

#[test]
fn rsa_aes_rejects_an_rsa_part_that_is_not_a_32_byte_key() {
    for_each_provider(|_provider| {
        let mut r = rng(11);
        for spec in WrappingKeySpec::RSA {
            let k = key(spec);
            let good = wrapped(WrappingAlgorithm::RsaAesKeyWrapSha256, spec, &[0x33; 32]);
            let n = spec.modulus_len().unwrap();
            // An AES-128 and an AES-192 key, each with a KWP part that is valid under that key.
            for len in [16usize, 24, 31, 33] {
                let aes = vec![0x5Au8; len];
                let mut blob = k
                    .raw_public
                    .rsa_encrypt(RsaPadding::OaepSha256, &aes, &mut r)
                    .unwrap();
                let kwp_kek = if matches!(len, 16 | 24) {
                    aes.clone()
                } else {
                    vec![0x5A; 32]
                };
                blob.extend(provider::aes_kwp_wrap(provider(), &kwp_kek, &[0x33; 32]).unwrap());
                assert_invalid(
                    WrappingAlgorithm::RsaAesKeyWrapSha256,
                    spec,
                    &blob,
                    "RSA part not 32 bytes",
                );
            }
            // Control: the same construction with a 32-byte key is accepted.
            let aes = [0x5Au8; 32];
            let mut blob = k
                .raw_public
                .rsa_encrypt(RsaPadding::OaepSha256, &aes, &mut r)
                .unwrap();
            blob.extend(provider::aes_kwp_wrap(provider(), &aes, &[0x33; 32]).unwrap());
            let out = k
                .private
                .for_algorithm(WrappingAlgorithm::RsaAesKeyWrapSha256)
                .unwrap(&blob, &LEGACY, &mut r)
                .unwrap();
            assert_eq!(&out[..], &[0x33; 32]);
            assert_eq!(good.len(), n + 40);
        }
    });
}

#[test]
fn an_eight_byte_kwp_remainder_never_unwraps_to_empty_material() {
    for_each_provider(|_provider| {
        // aes-kw 0.3.1 "unwraps" A6 59 59 A6 00 00 00 00 to an empty key under any KEK.
        let trap = [0xA6, 0x59, 0x59, 0xA6, 0, 0, 0, 0];
        let p = provider();
        assert_eq!(
            provider::aes_kwp_unwrap(p, &[0; 32], &trap).unwrap_err(),
            Error::InvalidCiphertext
        );
        // The provider itself refuses it as well.
        assert_eq!(
            p.aes_kwp_unwrap(&[0; 32], &trap).unwrap_err(),
            Error::InvalidCiphertext
        );
        for spec in WrappingKeySpec::RSA {
            let n = spec.modulus_len().unwrap();
            let good = wrapped(WrappingAlgorithm::RsaAesKeyWrapSha1, spec, &[0x44; 32]);
            let mut blob = good[..n].to_vec();
            blob.extend_from_slice(&trap);
            assert_invalid(
                WrappingAlgorithm::RsaAesKeyWrapSha1,
                spec,
                &blob,
                "8-byte KWP trap",
            );
        }
    });
}

#[test]
fn garbage_and_empty_input_is_invalid_ciphertext_for_every_algorithm() {
    for_each_provider(|_provider| {
        for spec in WrappingKeySpec::RSA {
            let n = spec.modulus_len().unwrap();
            for alg in RSA_ALGS {
                assert_invalid(alg, spec, &[], "empty");
                assert_invalid(alg, spec, &[0x00], "one byte");
                assert_invalid(alg, spec, &vec![0xFF; n], "all ones (>= modulus)");
                assert_invalid(alg, spec, &vec![0x5A; 6144], "maximum-size garbage");
            }
            for alg in [
                WrappingAlgorithm::RsaesOaepSha1,
                WrappingAlgorithm::RsaesOaepSha256,
                WrappingAlgorithm::RsaAesKeyWrapSha1,
                WrappingAlgorithm::RsaAesKeyWrapSha256,
            ] {
                let mut blob = vec![0x00; n];
                blob[n - 1] = 2;
                blob.extend_from_slice(&[0x77; 40]);
                let blob = if is_rsa_aes(alg) {
                    blob
                } else {
                    blob[..n].to_vec()
                };
                assert_invalid(alg, spec, &blob, "small-integer RSA part");
            }
        }
    });
}

#[test]
fn malformed_keys_are_refused_with_a_validation_error() {
    for_each_provider(|_provider| {
        let pk8 = key(WrappingKeySpec::Rsa2048)
            .private
            .to_pkcs8_der()
            .unwrap();
        let spki = key(WrappingKeySpec::Rsa2048).public.to_spki_der().to_vec();
        for bad in [&[][..], &[0x30, 0x00][..], &pk8[..pk8.len() - 1], &spki[..]] {
            let e = WrappingPrivateKey::from_pkcs8_der_with(provider(), bad).unwrap_err();
            assert_eq!(e.code(), "ValidationException");
        }
        for bad in [&[][..], &spki[..spki.len() - 1], &pk8[..]] {
            let e = WrappingPublicKey::from_spki_der_with(provider(), bad).unwrap_err();
            assert_eq!(e.code(), "ValidationException");
        }
        let mut trailing = spki.clone();
        trailing.push(0);
        assert!(WrappingPublicKey::from_spki_der_with(provider(), &trailing).is_err());
    });
}

#[test]
fn pkcs1_v1_5_is_unsupported_on_providers_without_it() {
    for_each_provider(|provider| {
        if offered(WrappingAlgorithm::RsaesPkcs1V15) {
            return;
        }
        let k = key(WrappingKeySpec::Rsa2048);
        let mut r = rng(12);
        let e = k
            .public
            .wrap(WrappingAlgorithm::RsaesPkcs1V15, &[1; 32], &LEGACY, &mut r)
            .unwrap_err();
        assert_eq!(e.code(), "UnsupportedOperationException");
        assert!(e.message().contains(provider.name()));
        // Refused before any decryption: a well-formed PKCS#1 v1.5 ciphertext from the default
        // provider gets the same answer, so nothing about its padding can leak.
        let blob = WrappingPublicKey::from_spki_der(k.public.to_spki_der())
            .unwrap()
            .wrap(WrappingAlgorithm::RsaesPkcs1V15, &[1; 32], &LEGACY, &mut r)
            .unwrap();
        let e = k
            .private
            .for_algorithm(WrappingAlgorithm::RsaesPkcs1V15)
            .unwrap(&blob, &LEGACY, &mut r)
            .unwrap_err();
        assert_eq!(e.code(), "UnsupportedOperationException");
    });
}

#[test]
fn material_wrapped_by_one_provider_unwraps_with_every_other() {
    let mut r = rng(13);
    for (i, from) in PROVIDERS.iter().enumerate() {
        for (j, to) in PROVIDERS.iter().enumerate() {
            for spec in WrappingKeySpec::RSA {
                let idx = spec.modulus_len().unwrap() / 128 - 2;
                for alg in [
                    WrappingAlgorithm::RsaesOaepSha1,
                    WrappingAlgorithm::RsaesOaepSha256,
                    WrappingAlgorithm::RsaAesKeyWrapSha1,
                    WrappingAlgorithm::RsaAesKeyWrapSha256,
                ] {
                    let blob = KEYS[i][idx]
                        .public
                        .wrap(alg, &[0x66; 48], &LEGACY, &mut r)
                        .unwrap();
                    let back = KEYS[j][idx]
                        .private
                        .for_algorithm(alg)
                        .unwrap(&blob, &LEGACY, &mut r)
                        .unwrap();
                    assert_eq!(
                        &back[..],
                        &[0x66; 48],
                        "{} -> {} {alg} {spec}",
                        from.name(),
                        to.name()
                    );
                }
            }
        }
    }
}

#[test]
fn token_encoding_round_trips_across_providers() {
    for from in PROVIDERS.iter() {
        for spec in WrappingKeySpec::RSA {
            let idx = spec.modulus_len().unwrap() / 128 - 2;
            let i = PROVIDERS
                .iter()
                .position(|p| std::ptr::addr_eq(*p, *from))
                .unwrap();
            let encoded = KEYS[i][idx].private.to_token_encoding().unwrap();
            for &to in PROVIDERS.iter() {
                let k = WrappingPrivateKey::from_token_encoding_with(to, &encoded).unwrap();
                assert_eq!(k.spec(), spec);
                assert_eq!(k.public_key_spki_der(), KEYS[i][idx].public.to_spki_der());
            }
            for bad in [
                &[][..],
                &[0x00][..],
                &encoded[..encoded.len() - 1],
                &[0x7F, 0x30, 0x00][..],
            ] {
                for &to in PROVIDERS.iter() {
                    let e = WrappingPrivateKey::from_token_encoding_with(to, bad).unwrap_err();
                    assert_eq!(e.code(), "ValidationException");
                }
            }
        }
    }
}

#[test]
fn pure_rust_token_encoding_is_the_component_form_and_is_checked_on_load() {
    let k = &KEYS[0][0];
    let encoded = k.private.to_token_encoding().unwrap();
    assert_eq!(encoded[0], 0x02, "n, e, d, p, q form");
    // The first field is n: 2-byte length 256, then the modulus (its top bit set).
    assert_eq!(&encoded[1..3], &256u16.to_be_bytes());
    assert!(encoded[3] & 0x80 != 0);
    // A changed byte inside d (third field) breaks d·e ≡ 1: refused, not loaded.
    let d_at =
        1 + (2 + 256) + (2 + usize::from(u16::from_be_bytes([encoded[259], encoded[260]]))) + 2;
    let mut tampered = encoded.to_vec();
    tampered[d_at + 100] ^= 0x01;
    for &p in PROVIDERS.iter() {
        let e = WrappingPrivateKey::from_token_encoding_with(p, &tampered).unwrap_err();
        assert_eq!(e.code(), "ValidationException", "{}", p.name());
    }
    // Trailing bytes after q are refused too.
    let mut trailing = encoded.to_vec();
    trailing.push(0);
    assert!(WrappingPrivateKey::from_token_encoding_with(PROVIDERS[0], &trailing).is_err());
}
