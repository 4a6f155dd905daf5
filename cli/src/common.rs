//! What the subcommands share: one-line AWS-style failures, file reading, atomic writes, and
//! the choice of wrapping provider and policy for an algorithm.

use std::path::Path;

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

/// Creates `path` for a secret (unwrapped key material): exclusively (an existing file, or a
/// symbolic link even a dangling one, makes it fail; nothing is followed), with mode 0600 set on
/// the open descriptor whatever the umask, and removed again if writing fails. No temporary
/// name is involved.
pub fn write_secret_file(path: &Path, data: &[u8]) -> Result<(), Failure> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(path).map_err(|e| cannot_write(path, &e))?;
    write_and_sync(file, data, true).map_err(|e| {
        // The file is ours (create_new made it): take it away so no partial secret remains.
        let _ = std::fs::remove_file(path);
        cannot_write(path, &e)
    })
}

/// Writes a file that holds nothing secret (wrapped material): into a new file with an
/// unpredictable name beside `path`, created exclusively, then renamed over `path`. `path`
/// holds either the whole result or what it held before; a symbolic link at `path` is replaced,
/// never followed.
pub fn write_atomically(path: &Path, data: &[u8]) -> Result<(), Failure> {
    let mut nonce = [0u8; 8];
    getrandom::fill(&mut nonce).map_err(|e| {
        Failure(
            "KMSInternalException",
            format!("no randomness for a temporary file name: {e}"),
        )
    })?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let suffix: String = nonce.iter().map(|b| format!("{b:02x}")).collect();
    let tmp = path.with_file_name(format!(".{name}.{suffix}.partial"));
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(|e| cannot_write(path, &e))?;
    write_and_sync(file, data, false)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            cannot_write(path, &e)
        })
}

fn write_and_sync(mut file: std::fs::File, data: &[u8], private: bool) -> std::io::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    let _ = private;
    file.write_all(data)?;
    file.sync_all()
}

fn cannot_write(path: &Path, e: &std::io::Error) -> Failure {
    let why = if e.kind() == std::io::ErrorKind::AlreadyExists {
        "it already exists (the output is never overwritten)".to_owned()
    } else {
        e.to_string()
    };
    Failure(
        "KMSInternalException",
        format!("cannot write {}: {why}", path.display()),
    )
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
