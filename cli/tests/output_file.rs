//! `unwrap` writes plaintext key material: the output is created with mode 0600, exclusively
//! (an existing file or symbolic link at `--out` is an error; the link is never followed), and
//! a failure leaves no file behind.
#![cfg(unix)]

mod common;

use std::ffi::OsStr;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;
use std::process::{Command, Output};

use common::{BIN, Scratch, error_line, repo_data, run};

const OAEP: &str = "RSAES_OAEP_SHA_256";

fn material() -> Vec<u8> {
    vec![0x42; 32]
}

/// A wrapped blob of `material()` under the repository's RSA-2048 wrapping key.
fn blob(dir: &Scratch) -> std::path::PathBuf {
    let mat = dir.write("material.bin", &material());
    let blob = dir.path("blob");
    let out = run(&[
        OsStr::new("wrap"),
        OsStr::new("--algorithm"),
        OsStr::new(OAEP),
        OsStr::new("--public-key"),
        repo_data("wrapping_rsa_2048.spki.der").as_os_str(),
        OsStr::new("--in"),
        mat.as_os_str(),
        OsStr::new("--out"),
        blob.as_os_str(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    blob
}

fn unwrap_args<'a>(input: &'a Path, out: &'a Path) -> Vec<&'a OsStr> {
    vec![
        OsStr::new("unwrap"),
        OsStr::new("--algorithm"),
        OsStr::new(OAEP),
        OsStr::new("--private-key"),
        OsStr::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/data/wrapping_rsa_2048.pk8.der"
        )),
        OsStr::new("--in"),
        input.as_os_str(),
        OsStr::new("--out"),
        out.as_os_str(),
    ]
}

/// Runs `unwrap` under a permissive umask (000), so that the mode comes from the tool.
fn unwrap_with_umask_000(input: &Path, out: &Path) -> Output {
    Command::new("/bin/sh")
        .arg("-c")
        .arg("umask 000 && exec \"$@\"")
        .arg("sh")
        .arg(BIN)
        .args(unwrap_args(input, out))
        .env_clear()
        .output()
        .unwrap()
}

#[test]
fn output_is_created_with_mode_0600() {
    let dir = Scratch::new("mode");
    let blob = blob(&dir);
    let out_path = dir.path("plain.bin");
    let out = unwrap_with_umask_000(&blob, &out_path);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let meta = std::fs::symlink_metadata(&out_path).unwrap();
    assert!(meta.file_type().is_file());
    assert_eq!(meta.permissions().mode() & 0o7777, 0o600);
    assert_eq!(std::fs::read(&out_path).unwrap(), material());
    // Nothing else was left in the directory (no temporary file).
    assert_eq!(dir.entries(), ["blob", "material.bin", "plain.bin"]);
}

#[test]
fn an_existing_symlink_at_out_is_not_followed() {
    let dir = Scratch::new("symlink");
    let blob = blob(&dir);
    let target = dir.write("victim", b"do not touch");
    let link = dir.path("plain.bin");
    symlink(&target, &link).unwrap();
    let out = run(&unwrap_args(&blob, &link));
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let line = error_line(&out);
    assert!(line.contains("already exists"), "{line}");
    assert_eq!(std::fs::read(&target).unwrap(), b"do not touch");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );

    // A dangling link: its target is not created either.
    let missing = dir.path("would-be-created");
    let dangling = dir.path("dangling.bin");
    symlink(&missing, &dangling).unwrap();
    let out = run(&unwrap_args(&blob, &dangling));
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    error_line(&out);
    assert!(!missing.exists());
    assert!(
        std::fs::symlink_metadata(&dangling)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn an_existing_file_at_out_is_not_overwritten() {
    let dir = Scratch::new("exists");
    let blob = blob(&dir);
    let existing = dir.write("plain.bin", b"earlier output");
    let out = run(&unwrap_args(&blob, &existing));
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(error_line(&out).contains("already exists"));
    assert_eq!(std::fs::read(&existing).unwrap(), b"earlier output");
}

#[test]
fn a_failed_unwrap_leaves_no_file() {
    let dir = Scratch::new("failure");
    let blob = blob(&dir);
    let mut damaged = std::fs::read(&blob).unwrap();
    damaged[10] ^= 1;
    let damaged = dir.write("damaged", &damaged);
    let out_path = dir.path("plain.bin");
    let out = run(&unwrap_args(&damaged, &out_path));
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(error_line(&out).starts_with("error: InvalidCiphertextException: "));
    assert!(!out_path.exists());
    assert_eq!(dir.entries(), ["blob", "damaged", "material.bin"]);

    // An output directory that does not exist: a failure, and nothing is created anywhere.
    let nowhere = dir.path("no-such-dir/plain.bin");
    let out = run(&unwrap_args(&blob, &nowhere));
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    error_line(&out);
    assert_eq!(dir.entries(), ["blob", "damaged", "material.bin"]);
}

#[test]
fn wrap_replaces_a_symlink_at_out_instead_of_following_it() {
    let dir = Scratch::new("wraplink");
    let mat = dir.write("material.bin", &material());
    let target = dir.write("victim", b"do not touch");
    let link = dir.path("blob");
    symlink(&target, &link).unwrap();
    let out = run(&[
        OsStr::new("wrap"),
        OsStr::new("--algorithm"),
        OsStr::new(OAEP),
        OsStr::new("--public-key"),
        repo_data("wrapping_rsa_2048.spki.der").as_os_str(),
        OsStr::new("--in"),
        mat.as_os_str(),
        OsStr::new("--out"),
        link.as_os_str(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(std::fs::read(&target).unwrap(), b"do not touch");
    let meta = std::fs::symlink_metadata(&link).unwrap();
    assert!(meta.file_type().is_file());
    assert_eq!(meta.len(), 256);
    assert_eq!(dir.entries(), ["blob", "material.bin", "victim"]);
}
