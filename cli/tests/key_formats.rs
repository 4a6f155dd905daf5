//! `wrap --public-key` and `unwrap --private-key` take the forms people have: DER and PEM,
//! SubjectPublicKeyInfo and PKCS#1 public keys, the base64 line the AWS CLI prints, PKCS#8 and
//! PKCS#1 private keys. Encrypted private keys are refused with a message that says so.
//!
//! Every form is checked by a round trip through the repository's RSA-2048 wrapping key pair:
//! material wrapped under the form being tested is unwrapped with the PKCS#8 DER key (and the
//! other way round), so a form that was read as another key fails.

mod common;

use std::ffi::OsStr;
use std::path::Path;

use common::{Scratch, cli_data, error_line, repo_data, run};

const OAEP: &str = "RSAES_OAEP_SHA_256";
const RSA_AES: &str = "RSA_AES_KEY_WRAP_SHA_256";

fn wrap(alg: &str, public_key: &Path, input: &Path, out: &Path) -> std::process::Output {
    run(&[
        OsStr::new("wrap"),
        OsStr::new("--algorithm"),
        OsStr::new(alg),
        OsStr::new("--public-key"),
        public_key.as_os_str(),
        OsStr::new("--in"),
        input.as_os_str(),
        OsStr::new("--out"),
        out.as_os_str(),
    ])
}

fn unwrap(alg: &str, private_key: &Path, input: &Path, out: &Path) -> std::process::Output {
    run(&[
        OsStr::new("unwrap"),
        OsStr::new("--algorithm"),
        OsStr::new(alg),
        OsStr::new("--private-key"),
        private_key.as_os_str(),
        OsStr::new("--in"),
        input.as_os_str(),
        OsStr::new("--out"),
        out.as_os_str(),
    ])
}

fn material() -> Vec<u8> {
    (0u8..32).map(|i| i.wrapping_mul(37) ^ 0x5a).collect()
}

#[test]
fn every_public_key_form_wraps_for_the_same_private_key() {
    let dir = Scratch::new("pubforms");
    let mat = dir.write("material.bin", &material());
    let forms = [
        repo_data("wrapping_rsa_2048.spki.der"),
        cli_data("wrapping.spki.pem"),
        cli_data("wrapping.spki.b64"),
        cli_data("wrapping.pkcs1pub.der"),
        cli_data("wrapping.pkcs1pub.pem"),
    ];
    for (i, form) in forms.iter().enumerate() {
        for alg in [OAEP, RSA_AES] {
            let blob = dir.path(&format!("blob-{i}-{alg}"));
            let out = wrap(alg, form, &mat, &blob);
            assert_eq!(out.status.code(), Some(0), "{form:?} {alg}: {out:?}");
            let back = dir.path(&format!("back-{i}-{alg}"));
            let out = unwrap(alg, &repo_data("wrapping_rsa_2048.pk8.der"), &blob, &back);
            assert_eq!(out.status.code(), Some(0), "{form:?} {alg}: {out:?}");
            assert_eq!(std::fs::read(&back).unwrap(), material(), "{form:?} {alg}");
        }
    }
}

#[test]
fn every_private_key_form_unwraps_what_the_public_key_wrapped() {
    let dir = Scratch::new("privforms");
    let mat = dir.write("material.bin", &material());
    let blob = dir.path("blob");
    let out = wrap(OAEP, &repo_data("wrapping_rsa_2048.spki.der"), &mat, &blob);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let forms = [
        repo_data("wrapping_rsa_2048.pk8.der"),
        cli_data("wrapping.pk8.pem"),
        cli_data("wrapping.pkcs1.der"),
        cli_data("wrapping.pkcs1.pem"),
    ];
    for (i, form) in forms.iter().enumerate() {
        let back = dir.path(&format!("back-{i}"));
        let out = unwrap(OAEP, form, &blob, &back);
        assert_eq!(out.status.code(), Some(0), "{form:?}: {out:?}");
        assert_eq!(std::fs::read(&back).unwrap(), material(), "{form:?}");
    }
}

#[test]
fn encrypted_private_keys_are_refused_with_a_clear_message() {
    let dir = Scratch::new("encrypted");
    let mat = dir.write("material.bin", &material());
    let blob = dir.path("blob");
    assert_eq!(
        wrap(OAEP, &repo_data("wrapping_rsa_2048.spki.der"), &mat, &blob)
            .status
            .code(),
        Some(0)
    );
    for form in [
        "wrapping.enc.pk8.pem",
        "wrapping.enc.pk8.der",
        "wrapping.enc.pkcs1.pem",
    ] {
        let back = dir.path(&format!("back-{form}"));
        let out = unwrap(OAEP, &cli_data(form), &blob, &back);
        assert_eq!(out.status.code(), Some(1), "{form}: {out:?}");
        let line = error_line(&out);
        assert!(line.contains("encrypted private key"), "{form}: {line}");
        assert!(!back.exists(), "{form}: output written");
    }
}

#[test]
fn a_key_of_the_wrong_kind_is_refused() {
    let dir = Scratch::new("wrongkind");
    let mat = dir.write("material.bin", &material());
    let cases: [(&str, std::path::PathBuf, &str); 6] = [
        (
            "wrap",
            repo_data("wrapping_rsa_2048.pk8.der"),
            "private key",
        ),
        ("wrap", cli_data("wrapping.pkcs1.pem"), "private key"),
        ("wrap", cli_data("wrapping.enc.pk8.pem"), "private key"),
        (
            "unwrap",
            repo_data("wrapping_rsa_2048.spki.der"),
            "public key",
        ),
        ("unwrap", cli_data("wrapping.pkcs1pub.pem"), "public key"),
        (
            "unwrap",
            repo_data("material/ec_p256.sec1.der"),
            "EC private key",
        ),
    ];
    for (i, (cmd, key, says)) in cases.iter().enumerate() {
        let out_path = dir.path(&format!("out-{i}"));
        let out = if *cmd == "wrap" {
            wrap(OAEP, key, &mat, &out_path)
        } else {
            unwrap(OAEP, key, &mat, &out_path)
        };
        assert_eq!(out.status.code(), Some(1), "{cmd} {key:?}: {out:?}");
        let line = error_line(&out);
        assert!(line.contains(says), "{cmd} {key:?}: {line}");
        assert!(!out_path.exists());
    }
}

#[test]
fn damaged_key_files_are_refused() {
    let dir = Scratch::new("damaged");
    let mat = dir.write("material.bin", &material());
    let pem = std::fs::read_to_string(cli_data("wrapping.spki.pem")).unwrap();
    let cases = [
        dir.write("junk", b"junk!"),
        dir.write("empty", b""),
        // PEM without its END line.
        dir.write(
            "cut.pem",
            pem.lines()
                .take(3)
                .collect::<Vec<_>>()
                .join("\n")
                .as_bytes(),
        ),
        // PEM whose base64 is damaged.
        dir.write("bad64.pem", pem.replacen('M', "*", 2).as_bytes()),
        // A certificate request is not a public key.
        dir.write(
            "csr.pem",
            b"-----BEGIN CERTIFICATE REQUEST-----\nMAA=\n-----END CERTIFICATE REQUEST-----\n",
        ),
    ];
    for (i, key) in cases.iter().enumerate() {
        let out_path = dir.path(&format!("out-{i}"));
        let out = wrap(OAEP, key, &mat, &out_path);
        assert_eq!(out.status.code(), Some(1), "{key:?}: {out:?}");
        let line = error_line(&out);
        assert!(
            line.starts_with("error: ValidationException: "),
            "{key:?}: {line}"
        );
        assert!(!out_path.exists());
    }
}
