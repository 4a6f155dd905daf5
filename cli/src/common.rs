//! What the subcommands share: one-line AWS-style failures, file reading, atomic writes, and
//! the choice of wrapping provider and policy for an algorithm.

use std::path::{Path, PathBuf};

use kms_import::{Error, WrappingAlgorithm};
use kms_import::{
    WrapPolicy,
    provider::{WrappingProvider, check_provider_supports, default_provider},
};

/// A failure: the AWS exception name and the message, printed as one line.
pub struct Failure(pub &'static str, pub String);

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure(e.code(), e.message())
    }
}

pub fn read(path: &Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| {
        Failure(
            "ValidationException",
            format!("cannot read {}: {e}", path.display()),
        )
    })
}

/// Writes beside `path` and renames, so `path` holds either the whole result or nothing new.
pub fn write_atomically(path: &Path, data: &[u8]) -> Result<(), Failure> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp-{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let res = std::fs::write(&tmp, data).and_then(|()| std::fs::rename(&tmp, path));
    res.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Failure(
            "KMSInternalException",
            format!("cannot write {}: {e}", path.display()),
        )
    })
}

/// The wrapping provider for `algorithm`: AWS-LC when built with `--features aws-lc`, else the
/// pure-Rust default; the default also for an algorithm the faster backend does not offer
/// (RSAES_PKCS1_V1_5), so that the tools take every algorithm either way.
pub fn provider_for(algorithm: WrappingAlgorithm) -> &'static dyn WrappingProvider {
    #[cfg(feature = "aws-lc")]
    {
        let fast = kms_import::provider::aws_lc_provider();
        if check_provider_supports(fast, algorithm).is_ok() {
            return fast;
        }
    }
    let _ = check_provider_supports;
    let _ = algorithm;
    default_provider()
}

/// Naming RSAES_PKCS1_V1_5 on the command line is the explicit opt-in to that legacy path.
pub fn policy_for(algorithm: WrappingAlgorithm) -> WrapPolicy {
    if is_legacy(algorithm) {
        WrapPolicy::new().allow_legacy_rsaes_pkcs1_v1_5_insecure()
    } else {
        WrapPolicy::new()
    }
}

pub fn is_legacy(algorithm: WrappingAlgorithm) -> bool {
    algorithm == WrappingAlgorithm::RsaesPkcs1V15
}
