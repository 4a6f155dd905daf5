//! Interoperability with the OpenSSL 3 command line, following the recipe AWS documents for
//! wrapping key material: material wrapped by `openssl` unwraps with this crate, and material
//! wrapped by this crate unwraps with `openssl pkeyutl -decrypt` and
//! `openssl enc -d -id-aes256-wrap-pad`.
//!
//! Every provider compiled in is checked; one without PKCS#1 v1.5 (AWS-LC) must refuse those
//! cases with `UnsupportedOperationException`.
//!
//! The `openssl` binary must be on `PATH` (or named by `OPENSSL`); the tests fail, not skip,
//! when it is missing.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use kms_import::provider;
use kms_import::{WrapPolicy, WrappingPrivateKey, WrappingPublicKey, provider::WrappingProvider};
use kms_import::{WrappingAlgorithm, WrappingKeySpec};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

const LEGACY: WrapPolicy = WrapPolicy::new().allow_legacy_rsaes_pkcs1_v1_5_insecure();

fn openssl() -> String {
    std::env::var("OPENSSL").unwrap_or_else(|_| "openssl".to_owned())
}

/// Runs openssl and panics with its stderr on failure (or if it cannot be started).
fn run(args: &[&str]) -> Vec<u8> {
    let out = Command::new(openssl())
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run `{}` (install OpenSSL 3): {e}", openssl()));
    assert!(
        out.status.success(),
        "openssl {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "kms-import-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
        .to_str()
        .unwrap()
        .to_owned()
}

fn bits(spec: WrappingKeySpec) -> usize {
    spec.modulus_bits().unwrap()
}

fn spki_path(spec: WrappingKeySpec) -> String {
    fixture(&format!("wrapping_rsa_{}.spki.der", bits(spec)))
}

fn pk8_path(spec: WrappingKeySpec) -> String {
    fixture(&format!("wrapping_rsa_{}.pk8.der", bits(spec)))
}

fn private_key(
    provider: &'static dyn WrappingProvider,
    spec: WrappingKeySpec,
) -> WrappingPrivateKey {
    WrappingPrivateKey::from_pkcs8_der_with(provider, &std::fs::read(pk8_path(spec)).unwrap())
        .unwrap()
}

fn is_rsa_aes(alg: WrappingAlgorithm) -> bool {
    matches!(
        alg,
        WrappingAlgorithm::RsaAesKeyWrapSha1 | WrappingAlgorithm::RsaAesKeyWrapSha256
    )
}

fn offered(provider: &dyn WrappingProvider, alg: WrappingAlgorithm) -> bool {
    kms_import::provider::check_provider_supports(provider, alg).is_ok()
}

/// `-pkeyopt` arguments of AWS's recipe for the RSA part of `alg`.
fn padding_opts(alg: WrappingAlgorithm) -> Vec<&'static str> {
    match alg {
        WrappingAlgorithm::RsaesOaepSha1 | WrappingAlgorithm::RsaAesKeyWrapSha1 => {
            vec![
                "-pkeyopt",
                "rsa_padding_mode:oaep",
                "-pkeyopt",
                "rsa_oaep_md:sha1",
            ]
        }
        WrappingAlgorithm::RsaesOaepSha256 | WrappingAlgorithm::RsaAesKeyWrapSha256 => vec![
            "-pkeyopt",
            "rsa_padding_mode:oaep",
            "-pkeyopt",
            "rsa_oaep_md:sha256",
            "-pkeyopt",
            "rsa_mgf1_md:sha256",
        ],
        WrappingAlgorithm::RsaesPkcs1V15 => vec!["-pkeyopt", "rsa_padding_mode:pkcs1"],
        other => panic!("no OpenSSL recipe for {other}"),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The material kinds of the recipe, each with the algorithms that may carry it.
struct Materials {
    symmetric: Vec<u8>,
    hmac: Vec<u8>,
    p384_pkcs8: Vec<u8>,
    rsa2048_pkcs8: Vec<u8>,
}

fn materials(dir: &TempDir) -> Materials {
    let p384 = dir.path("p384.der");
    let pem = run(&[
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-384",
    ]);
    let pem_path = dir.path("p384.pem");
    std::fs::write(&pem_path, pem).unwrap();
    run(&[
        "pkcs8", "-topk8", "-nocrypt", "-outform", "DER", "-in", &pem_path, "-out", &p384,
    ]);
    Materials {
        symmetric: run(&["rand", "32"]),
        hmac: run(&["rand", "64"]),
        p384_pkcs8: std::fs::read(&p384).unwrap(),
        // Any RSA-2048 PKCS#8 key is realistic RSA_AES material; the fixture is one.
        rsa2048_pkcs8: std::fs::read(pk8_path(WrappingKeySpec::Rsa2048)).unwrap(),
    }
}

/// (algorithm, material name, material) for every combination the recipe covers.
fn cases(m: &Materials) -> Vec<(WrappingAlgorithm, &'static str, Vec<u8>)> {
    use WrappingAlgorithm as A;
    let mut out = Vec::new();
    for alg in [
        A::RsaesOaepSha1,
        A::RsaesOaepSha256,
        A::RsaAesKeyWrapSha1,
        A::RsaAesKeyWrapSha256,
    ] {
        out.push((alg, "symmetric-32", m.symmetric.clone()));
        out.push((alg, "hmac-64", m.hmac.clone()));
        out.push((alg, "p384-pkcs8", m.p384_pkcs8.clone()));
    }
    for alg in [A::RsaAesKeyWrapSha1, A::RsaAesKeyWrapSha256] {
        out.push((alg, "rsa2048-pkcs8", m.rsa2048_pkcs8.clone()));
    }
    out.push((A::RsaesPkcs1V15, "symmetric-32", m.symmetric.clone()));
    out
}

/// AWS's OpenSSL recipe: RSA-encrypt the material directly, or wrap it with a fresh AES-256
/// key (`openssl enc -id-aes256-wrap-pad`) and RSA-encrypt that key, RSA part first.
fn openssl_wrap(
    dir: &TempDir,
    spec: WrappingKeySpec,
    alg: WrappingAlgorithm,
    material: &[u8],
) -> Vec<u8> {
    let material_path = dir.path("material.bin");
    std::fs::write(&material_path, material).unwrap();
    let out = dir.path("EncryptedKeyMaterial.bin");
    let spki = spki_path(spec);
    let encrypt = |input: &str, output: &str| {
        let mut args = vec![
            "pkeyutl", "-encrypt", "-pubin", "-keyform", "DER", "-inkey", &spki,
        ];
        args.extend(["-in", input, "-out", output]);
        args.extend(padding_opts(alg));
        run(&args);
    };
    if !is_rsa_aes(alg) {
        encrypt(&material_path, &out);
        return std::fs::read(&out).unwrap();
    }
    let aes_key_path = dir.path("aes-key.bin");
    run(&["rand", "-out", &aes_key_path, "32"]);
    let aes_key = std::fs::read(&aes_key_path).unwrap();
    let kwp_path = dir.path("key-material-wrapped.bin");
    run(&[
        "enc",
        "-id-aes256-wrap-pad",
        "-K",
        &hex(&aes_key),
        "-iv",
        "A65959A6",
        "-in",
        &material_path,
        "-out",
        &kwp_path,
    ]);
    let rsa_path = dir.path("aes-key-wrapped.bin");
    encrypt(&aes_key_path, &rsa_path);
    let mut blob = std::fs::read(&rsa_path).unwrap();
    blob.extend(std::fs::read(&kwp_path).unwrap());
    blob
}

/// The reverse recipe: `openssl pkeyutl -decrypt`, and for RSA_AES `openssl enc -d
/// -id-aes256-wrap-pad` with the recovered key.
fn openssl_unwrap(
    dir: &TempDir,
    spec: WrappingKeySpec,
    alg: WrappingAlgorithm,
    blob: &[u8],
) -> Vec<u8> {
    let k = spec.modulus_len().unwrap();
    let pk8 = pk8_path(spec);
    let decrypt = |input: &str, output: &str| {
        let mut args = vec!["pkeyutl", "-decrypt", "-keyform", "DER", "-inkey", &pk8];
        args.extend(["-in", input, "-out", output]);
        args.extend(padding_opts(alg));
        run(&args);
        std::fs::read(output).unwrap()
    };
    let rsa_in = dir.path("rsa-part.bin");
    std::fs::write(&rsa_in, &blob[..k.min(blob.len())]).unwrap();
    let rsa_out = dir.path("rsa-plain.bin");
    if !is_rsa_aes(alg) {
        assert_eq!(blob.len(), k);
        return decrypt(&rsa_in, &rsa_out);
    }
    let aes_key = decrypt(&rsa_in, &rsa_out);
    assert_eq!(aes_key.len(), 32);
    let kwp_in = dir.path("kwp-part.bin");
    std::fs::write(&kwp_in, &blob[k..]).unwrap();
    let plain = dir.path("material-out.bin");
    run(&[
        "enc",
        "-d",
        "-id-aes256-wrap-pad",
        "-K",
        &hex(&aes_key),
        "-iv",
        "A65959A6",
        "-in",
        &kwp_in,
        "-out",
        &plain,
    ]);
    std::fs::read(&plain).unwrap()
}

#[test]
fn openssl_is_version_3() {
    let v = String::from_utf8(run(&["version"])).unwrap();
    assert!(v.starts_with("OpenSSL 3."), "need OpenSSL 3.x, found {v}");
}

#[test]
fn material_wrapped_by_openssl_unwraps_with_the_crate() {
    let dir = TempDir::new("openssl-wrap");
    let m = materials(&dir);
    let mut rng = ChaCha20Rng::seed_from_u64(31);
    for provider in provider::available_providers() {
        let (mut n, mut refused) = (0, 0);
        for spec in WrappingKeySpec::RSA {
            let key = private_key(provider, spec);
            for (alg, what, material) in cases(&m) {
                let blob = openssl_wrap(&dir, spec, alg, &material);
                let out = key.for_algorithm(alg).unwrap(&blob, &LEGACY, &mut rng);
                if !offered(provider, alg) {
                    assert_eq!(out.unwrap_err().code(), "UnsupportedOperationException");
                    refused += 1;
                    continue;
                }
                let out = out.unwrap_or_else(|e| panic!("{alg} {spec} {what}: {e}"));
                assert_eq!(
                    &out[..],
                    &material[..],
                    "{} {alg} {spec} {what}",
                    provider.name()
                );
                n += 1;
            }
        }
        println!(
            "openssl -> crate ({}): {n} cases, {refused} refused",
            provider.name()
        );
        assert_eq!(n + refused, 3 * 15);
        assert!(n >= 3 * 14);
    }
}

#[test]
fn material_wrapped_by_the_crate_unwraps_with_openssl() {
    let dir = TempDir::new("openssl-unwrap");
    let m = materials(&dir);
    let mut rng = ChaCha20Rng::seed_from_u64(32);
    for provider in provider::available_providers() {
        let (mut n, mut refused) = (0, 0);
        for spec in WrappingKeySpec::RSA {
            let public = WrappingPublicKey::from_spki_der_with(
                provider,
                &std::fs::read(spki_path(spec)).unwrap(),
            )
            .unwrap();
            for (alg, what, material) in cases(&m) {
                let blob = public.wrap(alg, &material, &LEGACY, &mut rng);
                if !offered(provider, alg) {
                    assert_eq!(blob.unwrap_err().code(), "UnsupportedOperationException");
                    refused += 1;
                    continue;
                }
                let out = openssl_unwrap(&dir, spec, alg, &blob.unwrap());
                assert_eq!(out, material, "{} {alg} {spec} {what}", provider.name());
                n += 1;
            }
        }
        println!(
            "crate -> openssl ({}): {n} cases, {refused} refused",
            provider.name()
        );
        assert_eq!(n + refused, 3 * 15);
        assert!(n >= 3 * 14);
    }
}

#[test]
fn openssl_ciphertext_under_the_wrong_algorithm_is_invalid() {
    for provider in provider::available_providers() {
        let dir = TempDir::new("openssl-wrong");
        let spec = WrappingKeySpec::Rsa2048;
        let key = private_key(provider, spec);
        let mut rng = ChaCha20Rng::seed_from_u64(33);
        let material = run(&["rand", "32"]);
        let blob = openssl_wrap(&dir, spec, WrappingAlgorithm::RsaesOaepSha256, &material);
        let e = key
            .for_algorithm(WrappingAlgorithm::RsaesOaepSha1)
            .unwrap(&blob, &LEGACY, &mut rng)
            .unwrap_err();
        assert_eq!(e.code(), "InvalidCiphertextException");
        let blob = openssl_wrap(&dir, spec, WrappingAlgorithm::RsaAesKeyWrapSha1, &material);
        let e = key
            .for_algorithm(WrappingAlgorithm::RsaAesKeyWrapSha256)
            .unwrap(&blob, &LEGACY, &mut rng)
            .unwrap_err();
        assert_eq!(e.code(), "InvalidCiphertextException");
    }
}
