//! Which wrapping algorithm and wrapping key spec may carry which key spec's material, as a
//! table, and the size limits that follow from RSA padding and the 6144-byte
//! `EncryptedKeyMaterial` bound.
//!
//! AWS documents the supported cells; every other cell is refused with
//! `UnsupportedOperationException`. Where AWS rejects an incompatible combination is not
//! documented: this crate checks at GetParametersForImport and again at ImportKeyMaterial.

use crate::error::Error;
use crate::names::{KeySpec, WrappingAlgorithm, WrappingKeySpec};

use super::WrapPolicy;
use super::provider::RsaPadding;

/// The largest `EncryptedKeyMaterial` blob AWS accepts, in bytes.
pub(crate) const MAX_ENCRYPTED_KEY_MATERIAL_LEN: usize = 6144;

/// Length of the ephemeral AES key inside `RSA_AES_KEY_WRAP_*` (AES-256).
pub(crate) const RSA_AES_EPHEMERAL_KEY_LEN: usize = 32;

/// One row of the table: these algorithms, under these wrapping key specs, may carry material
/// of these key specs.
#[derive(Debug)]
struct Rule {
    key_specs: &'static [KeySpec],
    algorithms: &'static [WrappingAlgorithm],
    wrapping_key_specs: &'static [WrappingKeySpec],
    /// The row applies only when the legacy PKCS#1 v1.5 opt-in is on.
    legacy: bool,
}

use KeySpec as K;
use WrappingAlgorithm as A;
use WrappingKeySpec as W;

const OAEP: &[WrappingAlgorithm] = &[A::RsaesOaepSha256, A::RsaesOaepSha1];
const RSA_AES: &[WrappingAlgorithm] = &[A::RsaAesKeyWrapSha256, A::RsaAesKeyWrapSha1];
const ALL_FOUR: &[WrappingAlgorithm] = &[
    A::RsaesOaepSha256,
    A::RsaesOaepSha1,
    A::RsaAesKeyWrapSha256,
    A::RsaAesKeyWrapSha1,
];
const ALL_RSA: &[WrappingKeySpec] = &[W::Rsa4096, W::Rsa3072, W::Rsa2048];

/// The compatibility table for non-China Regions. SM2 material and the SM2PKE algorithm appear
/// in no row. P-521 PKCS#8 (241 bytes) exceeds the RSA-2048 OAEP limits, hence its split rows.
static RULES: &[Rule] = &[
    Rule {
        key_specs: &[K::SymmetricDefault],
        algorithms: OAEP,
        wrapping_key_specs: ALL_RSA,
        legacy: false,
    },
    Rule {
        key_specs: &[K::SymmetricDefault],
        algorithms: &[A::RsaesPkcs1V15],
        wrapping_key_specs: ALL_RSA,
        legacy: true,
    },
    Rule {
        key_specs: &[K::Hmac224, K::Hmac256, K::Hmac384, K::Hmac512],
        algorithms: OAEP,
        wrapping_key_specs: ALL_RSA,
        legacy: false,
    },
    Rule {
        key_specs: &[K::Rsa2048, K::Rsa3072, K::Rsa4096],
        algorithms: RSA_AES,
        wrapping_key_specs: ALL_RSA,
        legacy: false,
    },
    Rule {
        key_specs: &[K::EccNistP256, K::EccNistP384, K::EccSecgP256k1],
        algorithms: ALL_FOUR,
        wrapping_key_specs: ALL_RSA,
        legacy: false,
    },
    Rule {
        key_specs: &[K::EccNistP521],
        algorithms: OAEP,
        wrapping_key_specs: &[W::Rsa4096, W::Rsa3072],
        legacy: false,
    },
    Rule {
        key_specs: &[K::EccNistP521],
        algorithms: RSA_AES,
        wrapping_key_specs: ALL_RSA,
        legacy: false,
    },
];

fn rule_applies(rule: &Rule, policy: &WrapPolicy) -> bool {
    !rule.legacy || policy.legacy_rsaes_pkcs1_v1_5_allowed()
}

/// Whether material of `key_spec` may be imported wrapped with `algorithm` under a
/// `wrapping_key_spec` key, under `policy`.
pub(crate) fn is_compatible(
    key_spec: KeySpec,
    algorithm: WrappingAlgorithm,
    wrapping_key_spec: WrappingKeySpec,
    policy: &WrapPolicy,
) -> bool {
    RULES.iter().any(|r| {
        rule_applies(r, policy)
            && r.key_specs.contains(&key_spec)
            && r.algorithms.contains(&algorithm)
            && r.wrapping_key_specs.contains(&wrapping_key_spec)
    })
}

/// Checks a combination; an incompatible one is `UnsupportedOperationException` with a message
/// naming it. Run it at GetParametersForImport and again at ImportKeyMaterial.
pub fn check_compatible(
    key_spec: KeySpec,
    algorithm: WrappingAlgorithm,
    wrapping_key_spec: WrappingKeySpec,
    policy: &WrapPolicy,
) -> Result<(), Error> {
    if is_compatible(key_spec, algorithm, wrapping_key_spec, policy) {
        return Ok(());
    }
    if algorithm == A::RsaesPkcs1V15 && !policy.legacy_rsaes_pkcs1_v1_5_allowed() {
        return Err(legacy_refused());
    }
    Err(Error::UnsupportedOperation(format!(
        "Wrapping algorithm {algorithm} with wrapping key spec {wrapping_key_spec} is not \
         supported for key material of key spec {key_spec}."
    )))
}

/// Every (algorithm, wrapping key spec) pair that may carry material of `key_spec` under
/// `policy`, in table order (SHA-256 before SHA-1, RSA_4096 first). Empty for key specs that
/// take no imported material.
pub fn valid_pairs(
    key_spec: KeySpec,
    policy: &WrapPolicy,
) -> Vec<(WrappingAlgorithm, WrappingKeySpec)> {
    let mut out = Vec::new();
    for rule in RULES
        .iter()
        .filter(|r| rule_applies(r, policy) && r.key_specs.contains(&key_spec))
    {
        for &alg in rule.algorithms {
            for &wks in rule.wrapping_key_specs {
                out.push((alg, wks));
            }
        }
    }
    out
}

/// The RSA padding an algorithm uses (for `RSA_AES_*`, the padding of the RSA part); `None` for
/// SM2PKE.
pub(crate) fn rsa_padding(algorithm: WrappingAlgorithm) -> Option<RsaPadding> {
    match algorithm {
        A::RsaesOaepSha1 | A::RsaAesKeyWrapSha1 => Some(RsaPadding::OaepSha1),
        A::RsaesOaepSha256 | A::RsaAesKeyWrapSha256 => Some(RsaPadding::OaepSha256),
        A::RsaesPkcs1V15 => Some(RsaPadding::Pkcs1v15),
        A::Sm2pke => None,
    }
}

/// Whether the algorithm is one of the two `RSA_AES_KEY_WRAP_*` hybrids.
pub(crate) fn is_rsa_aes(algorithm: WrappingAlgorithm) -> bool {
    matches!(algorithm, A::RsaAesKeyWrapSha1 | A::RsaAesKeyWrapSha256)
}

/// The largest message one RSA block with `padding` carries under a `wrapping_key_spec` key:
/// `k - 2·hLen - 2` for OAEP (214/190, 342/318, 470/446), `k - 11` for PKCS#1 v1.5. `None` for
/// SM2.
pub(crate) fn rsa_max_plaintext_len(
    padding: RsaPadding,
    wrapping_key_spec: WrappingKeySpec,
) -> Option<usize> {
    wrapping_key_spec
        .modulus_len()
        .and_then(|k| k.checked_sub(padding.overhead()))
}

/// The largest key material `algorithm` can wrap under a `wrapping_key_spec` key. For the
/// single-block algorithms this is the RSA limit; for `RSA_AES_*` it is what keeps the blob
/// (`k + 8·ceil(n/8) + 8` bytes) within 6144 bytes: 5880, 5752 and 5624 bytes. `None` for
/// SM2 and SM2PKE.
pub fn max_material_len(
    algorithm: WrappingAlgorithm,
    wrapping_key_spec: WrappingKeySpec,
) -> Option<usize> {
    let padding = rsa_padding(algorithm)?;
    if is_rsa_aes(algorithm) {
        let k = wrapping_key_spec.modulus_len()?;
        // Largest multiple of 8 that fits after the RSA part and the 8-byte KWP header.
        MAX_ENCRYPTED_KEY_MATERIAL_LEN
            .checked_sub(k + 8)
            .map(|n| n / 8 * 8)
    } else {
        rsa_max_plaintext_len(padding, wrapping_key_spec)
    }
}

pub(crate) fn legacy_refused() -> Error {
    Error::UnsupportedOperation(
        "RSAES_PKCS1_V1_5 is a retired, insecure wrapping algorithm and is refused unless the \
         legacy opt-in is enabled."
            .to_owned(),
    )
}

pub(crate) fn sm2_refused() -> Error {
    Error::UnsupportedOperation(
        "SM2PKE and SM2 wrapping keys (China Regions) are not supported.".to_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::AwsName;

    const LEGACY: WrapPolicy = WrapPolicy::new().allow_legacy_rsaes_pkcs1_v1_5_insecure();

    fn yes(ks: KeySpec, a: WrappingAlgorithm, w: WrappingKeySpec) -> bool {
        is_compatible(ks, a, w, &WrapPolicy::default())
    }

    #[test]
    fn symmetric_and_hmac_material_takes_oaep_only() {
        for ks in [
            K::SymmetricDefault,
            K::Hmac224,
            K::Hmac256,
            K::Hmac384,
            K::Hmac512,
        ] {
            for w in ALL_RSA {
                assert!(yes(ks, A::RsaesOaepSha1, *w));
                assert!(yes(ks, A::RsaesOaepSha256, *w));
                assert!(!yes(ks, A::RsaAesKeyWrapSha1, *w));
                assert!(!yes(ks, A::RsaAesKeyWrapSha256, *w));
                assert!(!yes(ks, A::RsaesPkcs1V15, *w));
            }
        }
    }

    #[test]
    fn rsa_material_takes_rsa_aes_only() {
        for ks in [K::Rsa2048, K::Rsa3072, K::Rsa4096] {
            for w in ALL_RSA {
                assert!(!yes(ks, A::RsaesOaepSha1, *w));
                assert!(!yes(ks, A::RsaesOaepSha256, *w));
                assert!(yes(ks, A::RsaAesKeyWrapSha1, *w));
                assert!(yes(ks, A::RsaAesKeyWrapSha256, *w));
            }
        }
    }

    #[test]
    fn ecc_material_takes_all_four_except_p521_oaep_under_rsa_2048() {
        for ks in [
            K::EccNistP256,
            K::EccNistP384,
            K::EccSecgP256k1,
            K::EccNistP521,
        ] {
            for w in ALL_RSA {
                for a in ALL_FOUR {
                    let expected = !(ks == K::EccNistP521
                        && *w == W::Rsa2048
                        && matches!(a, A::RsaesOaepSha1 | A::RsaesOaepSha256));
                    assert_eq!(yes(ks, *a, *w), expected, "{ks} {a} {w}");
                }
            }
        }
    }

    #[test]
    fn pkcs1_v1_5_needs_the_opt_in_and_symmetric_material() {
        let e = check_compatible(
            K::SymmetricDefault,
            A::RsaesPkcs1V15,
            W::Rsa2048,
            &WrapPolicy::default(),
        )
        .unwrap_err();
        assert_eq!(e.code(), "UnsupportedOperationException");
        assert!(e.message().contains("RSAES_PKCS1_V1_5"));
        for w in ALL_RSA {
            assert!(is_compatible(
                K::SymmetricDefault,
                A::RsaesPkcs1V15,
                *w,
                &LEGACY
            ));
            assert!(!is_compatible(K::Hmac256, A::RsaesPkcs1V15, *w, &LEGACY));
            assert!(!is_compatible(
                K::EccNistP256,
                A::RsaesPkcs1V15,
                *w,
                &LEGACY
            ));
        }
    }

    #[test]
    fn sm2_never_combines() {
        for ks in KeySpec::ALL {
            assert!(!is_compatible(*ks, A::Sm2pke, W::Rsa4096, &LEGACY));
            for a in WrappingAlgorithm::ALL {
                assert!(!is_compatible(*ks, *a, W::Sm2, &LEGACY));
            }
        }
        assert!(valid_pairs(K::Sm2, &LEGACY).is_empty());
        assert!(valid_pairs(K::MlDsa65, &LEGACY).is_empty());
    }

    #[test]
    fn incompatible_combination_message_names_all_three() {
        let e = check_compatible(
            K::EccNistP521,
            A::RsaesOaepSha256,
            W::Rsa2048,
            &WrapPolicy::default(),
        )
        .unwrap_err();
        assert_eq!(e.code(), "UnsupportedOperationException");
        let m = e.message();
        assert!(m.contains("RSAES_OAEP_SHA_256") && m.contains("RSA_2048"));
        assert!(m.contains("ECC_NIST_P521"));
    }

    #[test]
    fn valid_pairs_agree_with_the_check() {
        for policy in [WrapPolicy::default(), LEGACY] {
            for ks in KeySpec::ALL {
                let pairs = valid_pairs(*ks, &policy);
                for a in WrappingAlgorithm::ALL {
                    for w in WrappingKeySpec::ALL {
                        assert_eq!(
                            pairs.contains(&(*a, *w)),
                            check_compatible(*ks, *a, *w, &policy).is_ok()
                        );
                    }
                }
            }
        }
        assert_eq!(
            valid_pairs(K::SymmetricDefault, &WrapPolicy::default()).len(),
            6
        );
        assert_eq!(valid_pairs(K::SymmetricDefault, &LEGACY).len(), 9);
        assert_eq!(
            valid_pairs(K::EccNistP521, &WrapPolicy::default()).len(),
            10
        );
    }

    #[test]
    fn oaep_limits_match_the_published_table() {
        let table = [
            (W::Rsa2048, 214, 190),
            (W::Rsa3072, 342, 318),
            (W::Rsa4096, 470, 446),
        ];
        for (w, sha1, sha256) in table {
            assert_eq!(rsa_max_plaintext_len(RsaPadding::OaepSha1, w), Some(sha1));
            assert_eq!(
                rsa_max_plaintext_len(RsaPadding::OaepSha256, w),
                Some(sha256)
            );
            assert_eq!(max_material_len(A::RsaesOaepSha1, w), Some(sha1));
            assert_eq!(max_material_len(A::RsaesOaepSha256, w), Some(sha256));
        }
        assert_eq!(
            rsa_max_plaintext_len(RsaPadding::Pkcs1v15, W::Rsa2048),
            Some(245)
        );
        assert_eq!(rsa_max_plaintext_len(RsaPadding::OaepSha1, W::Sm2), None);
        assert_eq!(max_material_len(A::Sm2pke, W::Rsa2048), None);
    }

    #[test]
    fn rsa_aes_limit_keeps_the_blob_within_6144_bytes() {
        for w in ALL_RSA {
            let n = max_material_len(A::RsaAesKeyWrapSha256, *w).unwrap();
            let k = w.modulus_len().unwrap();
            assert!(k + n.div_ceil(8) * 8 + 8 <= MAX_ENCRYPTED_KEY_MATERIAL_LEN);
            assert!(k + (n + 1).div_ceil(8) * 8 + 8 > MAX_ENCRYPTED_KEY_MATERIAL_LEN);
        }
        // An RSA-4096 PKCS#8 key (about 2.4 KB) fits under every wrapping key.
        assert!(max_material_len(A::RsaAesKeyWrapSha1, W::Rsa4096).unwrap() > 2400);
    }
}
